// SPDX-License-Identifier: GPL-2.0
//! Netlink attributes: validation policies, reading attributes, extended-ack messages and
//! building messages.
//!
//! C header: [`include/net/netlink.h`](srctree/include/net/netlink.h)

use core::{fmt, marker::PhantomData, mem::size_of};
use kernel::{ffi, prelude::*};

use crate::{net::sys, wire::nla};

/// An attribute validation policy, indexed by attribute type.
#[repr(transparent)]
pub(crate) struct PolicyEntry(sys::nla_policy);

// SAFETY: Entries are only made by the constructors below, whose pointers are all null, and
// are never changed.
unsafe impl Sync for PolicyEntry {}

impl PolicyEntry {
    const fn of_type(kind: u32, len: u16) -> Self {
        // SAFETY: All-zeroes is a valid `nla_policy` (`NLA_UNSPEC`, no validation).
        let mut p: sys::nla_policy = unsafe { core::mem::zeroed() };
        p.type_ = kind as u8;
        p.len = len;
        Self(p)
    }
    /// No validation (attribute type 0, or unused numbers).
    pub(crate) const UNSPEC: Self = Self::of_type(sys::NLA_UNSPEC, 0);
    /// `u8`.
    pub(crate) const U8: Self = Self::of_type(sys::NLA_U8, 0);
    /// `u16`.
    pub(crate) const U16: Self = Self::of_type(sys::NLA_U16, 0);
    /// `u32`.
    pub(crate) const U32: Self = Self::of_type(sys::NLA_U32, 0);
    /// `u64`.
    pub(crate) const U64: Self = Self::of_type(sys::NLA_U64, 0);
    /// Zero-length flag.
    pub(crate) const FLAG: Self = Self::of_type(sys::NLA_FLAG, 0);
    /// Binary data of any length.
    pub(crate) const BINARY: Self = Self::of_type(sys::NLA_BINARY, 0);
}

/// Extended acknowledgement of a request: the error message and offending attribute.
///
/// # Invariants
///
/// `ptr` is null or points to the extended ack of a request being handled, valid for `'a`.
pub(crate) struct Extack<'a> {
    ptr: *mut sys::netlink_ext_ack,
    _p: PhantomData<&'a mut sys::netlink_ext_ack>,
}

/// Writes formatted text into a fixed buffer, truncating, always leaving a NUL.
struct MsgBuf<'a> {
    buf: &'a mut [ffi::c_char],
    len: usize,
}

impl fmt::Write for MsgBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            let room = self.buf.len().saturating_sub(1);
            if self.len >= room {
                break;
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b as ffi::c_char;
                self.len += 1;
            }
        }
        if let Some(end) = self.buf.get_mut(self.len) {
            *end = 0;
        }
        Ok(())
    }
}

impl<'a> Extack<'a> {
    /// Wraps the extended ack a netlink callback was given.
    ///
    /// # Safety
    ///
    /// `ptr` is null or points to a `netlink_ext_ack` that stays valid, and that nothing
    /// else writes, for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut sys::netlink_ext_ack) -> Self {
        // INVARIANT: As the caller guarantees.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// Sets the error message, formatted (at most `NETLINK_MAX_FMTMSG_LEN - 1` bytes).
    pub(crate) fn message(&self, args: fmt::Arguments<'_>) {
        if self.ptr.is_null() {
            return;
        }
        // SAFETY: By the type invariant, a non-null `ptr` is the request's extack, valid for `'a`
        // and written by nothing else.
        let ext = unsafe { &mut *self.ptr };
        let mut w = MsgBuf {
            buf: &mut ext._msg_buf,
            len: 0,
        };
        let _ = fmt::write(&mut w, args);
        ext._msg = ext._msg_buf.as_ptr();
    }

    /// Marks `attr` as the attribute at fault.
    pub(crate) fn bad_attr(&self, attr: &Attr<'_>) {
        if !self.ptr.is_null() {
            // SAFETY: As in `message`; `attr` points into the request, which outlives the ack.
            unsafe { (*self.ptr).bad_attr = attr.ptr };
        }
    }
}

/// Sets an extended-ack message and returns the error: `Err(fail!(ack, EINVAL, "..."))`.
macro_rules! fail {
    ($ack:expr, $err:expr, $($fmt:tt)+) => {{
        $ack.message(format_args!($($fmt)+));
        $err
    }};
}
pub(crate) use fail;

/// One netlink attribute of a request.
///
/// # Invariants
///
/// `ptr` points to an attribute whose `nla_len` bytes the kernel checked against the message
/// and that stays readable for `'a`.
pub(crate) struct Attr<'a> {
    ptr: *const sys::nlattr,
    _p: PhantomData<&'a sys::nlattr>,
}

const NLA_HDRLEN: usize = (size_of::<sys::nlattr>() + 3) & !3;

impl<'a> Attr<'a> {
    /// Wraps an attribute of a parsed request, `None` if `ptr` is null (attribute absent).
    ///
    /// # Safety
    ///
    /// A non-null `ptr` points to an attribute the kernel validated against the length of its
    /// message (`nla_parse` and friends), readable for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *const sys::nlattr) -> Option<Self> {
        // INVARIANT: As the caller guarantees, for a non-null `ptr`.
        (!ptr.is_null()).then_some(Self {
            ptr,
            _p: PhantomData,
        })
    }

    /// The payload bytes.
    pub(crate) fn payload(&self) -> &'a [u8] {
        // SAFETY: By the type invariant, `nla_len` bytes from `ptr` are readable for `'a`.
        let len = usize::from(unsafe { (*self.ptr).nla_len });
        let Some(payload_len) = len.checked_sub(NLA_HDRLEN) else {
            return &[];
        };
        // SAFETY: As above: the payload follows the header and fits in `nla_len`.
        unsafe { core::slice::from_raw_parts(self.ptr.cast::<u8>().add(NLA_HDRLEN), payload_len) }
    }

    /// The payload as exactly `N` bytes.
    pub(crate) fn array<const N: usize>(&self) -> Option<[u8; N]> {
        self.payload().try_into().ok()
    }
}

/// A message being built; every `put` fails with `EMSGSIZE` when the buffer is full.
///
/// # Invariants
///
/// `skb` is a netlink message being built, which nothing else writes for `'a`.
pub(crate) struct Msg<'a> {
    skb: *mut sys::sk_buff,
    _p: PhantomData<&'a mut sys::sk_buff>,
}

impl<'a> Msg<'a> {
    /// Wraps a netlink message under construction.
    ///
    /// # Safety
    ///
    /// `skb` is a valid netlink message being built (its header already put), which only the
    /// returned `Msg` writes for `'a`.
    pub(crate) unsafe fn from_raw(skb: *mut sys::sk_buff) -> Self {
        // INVARIANT: As the caller guarantees.
        Self {
            skb,
            _p: PhantomData,
        }
    }

    /// Appends attribute `kind` with payload `data`.
    pub(crate) fn put(&mut self, kind: u16, data: &[u8]) -> Result {
        let len = i32::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: By the type invariant `skb` is the message being built; `data` is readable for
        // `len` bytes.
        kernel::error::to_result(unsafe {
            sys::nla_put(self.skb, i32::from(kind), len, data.as_ptr().cast())
        })
    }
    /// Appends the attributes `write` lays out, at most `max` octets of them, in place: one
    /// reservation for many attributes, where a `put` each is a call into the kernel. On error
    /// the message is left as it was.
    pub(crate) fn append(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut nla::Writer<'_>) -> Result<(), nla::Full>,
    ) -> Result {
        // SAFETY: By the type invariant `skb` is the message being built.
        let room = unsafe { sys::ioam_rs_skb_tailroom(self.skb) } as usize;
        let len = max.min(room);
        // SAFETY: The `room` bytes from the tail pointer are the message's tail room, inside
        // its linear buffer; only `self` writes them (type invariant) and nothing reads them
        // before they are put. Zeroed before the slice is made.
        let tail = unsafe {
            let tail = sys::ioam_rs_skb_tail_pointer(self.skb);
            core::ptr::write_bytes(tail, 0, len);
            core::slice::from_raw_parts_mut(tail, len)
        };
        let mut writer = nla::Writer::new(tail);
        write(&mut writer).map_err(|nla::Full| EMSGSIZE)?;
        // At most `len`, the tail room: fits in a `u32`.
        let used = writer.len() as u32;
        // SAFETY: As above; `used` bytes of the tail room are written, so `skb_put` stays
        // within the buffer.
        unsafe { sys::skb_put(self.skb, used) };
        Ok(())
    }

    /// Appends a `u16` attribute.
    pub(crate) fn put_u16(&mut self, kind: u16, v: u16) -> Result {
        self.put(kind, &v.to_ne_bytes())
    }
    /// Appends a `u32` attribute.
    pub(crate) fn put_u32(&mut self, kind: u16, v: u32) -> Result {
        self.put(kind, &v.to_ne_bytes())
    }
    /// Appends a nested attribute `kind` holding what `fill` appends. On error the message is
    /// left half-built: the caller cancels it.
    pub(crate) fn nest(&mut self, kind: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: By the type invariant `skb` is the message being built.
        let start = unsafe { sys::ioam_rs_nla_nest_start(self.skb, i32::from(kind)) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        fill(self)?;
        // SAFETY: `start` was returned by `nla_nest_start` on this message.
        unsafe { sys::ioam_rs_nla_nest_end(self.skb, start) };
        Ok(())
    }

    /// Appends a `u8` attribute.
    pub(crate) fn put_u8(&mut self, kind: u16, v: u8) -> Result {
        self.put(kind, &[v])
    }

    /// Appends a `u64` attribute, 8-byte aligned with a `pad` attribute where needed.
    pub(crate) fn put_u64(&mut self, kind: u16, v: u64, pad: u16) -> Result {
        let bytes = v.to_ne_bytes();
        // SAFETY: As in `put`.
        kernel::error::to_result(unsafe {
            sys::nla_put_64bit(
                self.skb,
                i32::from(kind),
                8,
                bytes.as_ptr().cast(),
                i32::from(pad),
            )
        })
    }
}
