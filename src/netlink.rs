// SPDX-License-Identifier: GPL-2.0
//! Netlink attributes: validation policies, reading attributes, extended-ack messages and
//! building messages.
//!
//! C header: [`include/net/netlink.h`](srctree/include/net/netlink.h)

use core::{fmt, marker::PhantomData, mem::size_of};
use kernel::{ffi, prelude::*};

use crate::sys;

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
pub(crate) struct Extack<'a> {
    pub(super) ptr: *mut sys::netlink_ext_ack,
    pub(super) _p: PhantomData<&'a mut sys::netlink_ext_ack>,
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

impl Extack<'_> {
    /// Sets the error message, formatted (at most `NETLINK_MAX_FMTMSG_LEN - 1` bytes).
    pub(crate) fn message(&self, args: fmt::Arguments<'_>) {
        if self.ptr.is_null() {
            return;
        }
        // SAFETY: A non-null `ptr` is the request's extack, valid while the request is handled.
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
pub(crate) struct Attr<'a> {
    pub(super) ptr: *const sys::nlattr,
    pub(super) _p: PhantomData<&'a sys::nlattr>,
}

const NLA_HDRLEN: usize = (size_of::<sys::nlattr>() + 3) & !3;

impl<'a> Attr<'a> {
    /// The payload bytes.
    pub(crate) fn payload(&self) -> &'a [u8] {
        // SAFETY: `ptr` points to an attribute the kernel validated against the message
        // length, so `nla_len` bytes from it are readable for `'a`.
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
pub(crate) struct Msg<'a> {
    pub(super) skb: *mut sys::sk_buff,
    pub(super) _p: PhantomData<&'a mut sys::sk_buff>,
}

impl Msg<'_> {
    /// Appends attribute `kind` with payload `data`.
    pub(crate) fn put(&mut self, kind: u16, data: &[u8]) -> Result {
        let len = i32::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `skb` is the message being built; `data` is readable for `len` bytes.
        kernel::error::to_result(unsafe {
            sys::nla_put(self.skb, i32::from(kind), len, data.as_ptr().cast())
        })
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
        // SAFETY: `skb` is the message being built.
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
