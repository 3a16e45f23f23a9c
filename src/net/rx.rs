// SPDX-License-Identifier: GPL-2.0
//! Socket buffers on the IPv6 receive path, as a netfilter hook sees them: read and written
//! in place, never freed or queued here.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use core::{marker::PhantomData, ops::Range, ptr::NonNull, slice};
use kernel::prelude::*;

use crate::net::{
    skb::{self, Skb},
    sys,
};

/// A received IPv6 packet, lent to a netfilter hook for the duration of the hook.
///
/// # Invariants
///
/// `skb` is a valid `sk_buff` whose network header is set, owned by the hook's caller for `'a`
/// and processed under RCU; nobody else touches it meanwhile.
pub(crate) struct RxPacket<'a> {
    skb: NonNull<sys::sk_buff>,
    _p: PhantomData<&'a mut sys::sk_buff>,
}

impl<'a> RxPacket<'a> {
    /// # Safety
    ///
    /// `skb` is valid, has its network header set, and is lent to the caller exclusively for
    /// `'a`, under RCU (a netfilter hook's packet).
    pub(crate) unsafe fn from_raw(skb: NonNull<sys::sk_buff>) -> Self {
        // INVARIANT: per the function's requirements.
        Self {
            skb,
            _p: PhantomData,
        }
    }

    fn raw(&self) -> *mut sys::sk_buff {
        self.skb.as_ptr()
    }

    /// What the output and receive paths share: route, queue, timestamp.
    pub(crate) fn skb(&self) -> &Skb {
        // SAFETY: The packet is valid and under RCU for as long as `self` is borrowed.
        unsafe { Skb::from_raw(self.raw()) }
    }

    /// `skb->data` offset of the network header plus `len`, if that makes sense.
    fn data_offset(&self, len: usize) -> Option<u32> {
        // SAFETY: `skb` is valid.
        let offset = unsafe { sys::ioam_rs_skb_network_offset(self.raw()) };
        let offset = usize::try_from(offset).ok()?;
        u32::try_from(offset.checked_add(len)?).ok()
    }

    /// The first `len` bytes from the network header, made linear; `None` when the packet is
    /// shorter. The borrow ends before any other change to the packet.
    pub(crate) fn network_bytes(&mut self, len: usize) -> Option<&[u8]> {
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let (nh, linear) = unsafe { skb::linear_network_header(self.raw()) };
        if len <= linear {
            // SAFETY: `len` linear bytes from the network header, borrowed through `self`.
            return Some(unsafe { slice::from_raw_parts(nh, len) });
        }
        let need = self.data_offset(len)?;
        // SAFETY: `skb` is ours for the hook; pulling may move the head, which no live borrow
        // can point into (they all borrow `self`).
        if !unsafe { sys::ioam_rs_pskb_may_pull(self.raw(), need) } {
            return None;
        }
        // SAFETY: `len` bytes from the network header are linear after the pull.
        Some(unsafe { slice::from_raw_parts(skb::network_header(self.raw()), len) })
    }

    /// Makes `range` (network-header offsets) writable, runs `edit` on it, and keeps a
    /// `CHECKSUM_COMPLETE` checksum right for what `edit` changed.
    pub(crate) fn edit<R>(
        &mut self,
        range: Range<usize>,
        edit: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R> {
        let need = self.data_offset(range.end).ok_or(EINVAL)?;
        // SAFETY: As in `network_bytes`; on success the first `need` bytes from `data` are
        // linear and private to this packet.
        kernel::error::to_result(unsafe { sys::skb_ensure_writable(self.raw(), need) })?;
        // SAFETY: `range.end` bytes from the network header are linear and writable (above),
        // and borrowed only through `&mut self`.
        let head = unsafe { slice::from_raw_parts_mut(skb::network_header(self.raw()), range.end) };
        let part = head.get_mut(range).ok_or(EINVAL)?;
        let len = u32::try_from(part.len()).map_err(|_| EINVAL)?;
        let skb = self.skb.as_ptr();
        // SAFETY: `part` lies in the packet's linear data, which the checksum covers from the
        // network header on (at an even offset: the caller's ranges start 4-aligned).
        unsafe { skb::postpull_rcsum(skb, part.as_ptr(), len) };
        let r = edit(part);
        // SAFETY: As above, for the new bytes.
        unsafe { skb::postpush_rcsum(skb, part.as_ptr(), len) };
        Ok(r)
    }

    /// Routes the packet now if it has no route yet, as the kernel's own Hop-by-Hop IOAM
    /// handler does: the egress interface is part of the node data.
    pub(crate) fn route(&mut self) {
        // SAFETY: `skb` is ours for the hook, on the receive path before routing, where
        // `ip6_route_input` may be called; the route it sets is then used by the stack.
        unsafe {
            if !sys::ioam_rs_skb_valid_dst(self.raw()) {
                sys::ip6_route_input(self.raw());
            }
        }
    }
}
