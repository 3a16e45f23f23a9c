// SPDX-License-Identifier: GPL-2.0
//! Socket buffers as an IPv6 netfilter hook sees them (on receive, and at `POST_ROUTING` on
//! the way out): read and written in place, never freed or queued here.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use core::{marker::PhantomData, ops::Range, ptr::NonNull, slice};
use kernel::prelude::*;

use crate::net::{
    skb::{self, postpull_rcsum, postpush_rcsum, push_data, reset_network_header, Skb},
    sys,
};

// The router alert offset that `RxPacket` moves is a `u16`, at an even offset in the skb.
const _: () = assert!(sys::IOAM_RS_SIZE_IP6CB_RA == core::mem::size_of::<u16>());
const _: () = assert!((sys::IOAM_RS_OFFSET_SKB_CB + sys::IOAM_RS_OFFSET_IP6CB_RA) % 2 == 0);

/// An IPv6 packet lent to a netfilter hook for the duration of the hook.
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

    /// `skb->data` offset of the network header plus `len`, if that makes sense (the network
    /// header is not in front of `data`): `skb_network_offset()`, read here rather than called.
    fn data_offset(&self, len: usize) -> Option<u32> {
        // SAFETY: `skb` is valid, its network header set (type invariant).
        let (nh, data) = unsafe { (skb::network_header(self.raw()), (*self.raw()).data) };
        let offset = (nh as usize).checked_sub(data as usize)?;
        u32::try_from(offset.checked_add(len)?).ok()
    }

    /// The bytes from the network header to the end of the linear area, as they are (nothing
    /// pulled): a hook's first look at every packet, without a call on its way.
    pub(crate) fn linear_network_bytes(&self) -> &[u8] {
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let (nh, linear) = unsafe { skb::linear_network_header(self.raw()) };
        // SAFETY: `linear` bytes from the network header are in the linear area, borrowed
        // through `self`.
        unsafe { slice::from_raw_parts(nh, linear) }
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

    /// Makes the first `len` bytes from `data` linear and private to this packet
    /// (`skb_ensure_writable()`), without a call when they already are: linear, in a head no
    /// clone shares (that function's own first tests).
    fn ensure_writable(&mut self, len: u32) -> Result {
        let skb = self.raw();
        // SAFETY: `skb` is valid (type invariant).
        let in_place = unsafe { len <= skb::headlen(skb) }
            // SAFETY: As above.
            && !unsafe { skb::maybe_cloned(skb) };
        if in_place {
            return Ok(());
        }
        // SAFETY: `skb` is ours for the hook (type invariant); pulling or copying may move the
        // head, which no live borrow can point into (they all borrow `self`). On success the
        // first `len` bytes from `data` are linear and private.
        kernel::error::to_result(unsafe { sys::skb_ensure_writable(skb, len) })
    }

    /// Makes `range` (network-header offsets) writable, runs `edit` on it, and keeps a
    /// `CHECKSUM_COMPLETE` checksum right for what `edit` changed.
    pub(crate) fn edit<R>(
        &mut self,
        range: Range<usize>,
        edit: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R> {
        let need = self.data_offset(range.end).ok_or(EINVAL)?;
        self.ensure_writable(need)?;
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

    /// Grows the packet by `added` bytes at `at` bytes from the network header: the first `at`
    /// bytes (the IPv6 header and the start of the Hop-by-Hop header) move `added` bytes towards
    /// the packet's start, into its headroom; what lies behind `at` stays in place, so the
    /// transport header and later extension headers keep their addresses.
    ///
    /// `edit` gets the `added + at` bytes from the new network header: `added` stale bytes, then
    /// the old first `at`; it must leave there the new first `added + at` bytes of the packet.
    /// The MAC header moves in front of the new network header, the router alert offset of
    /// the IPv6 control block follows what moved, and a `CHECKSUM_COMPLETE` checksum stays
    /// right. Returns what `edit` returned, and whether the head had to be reallocated (too
    /// little headroom, or shared with a clone).
    pub(crate) fn grow_front<R>(
        &mut self,
        added: usize,
        at: usize,
        edit: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<(R, bool)> {
        let added_u32 = u32::try_from(added).map_err(|_| EINVAL)?;
        let at_u32 = u32::try_from(at).map_err(|_| EINVAL)?;
        // On the receive path before routing, `data` is at the network header.
        if self.data_offset(0) != Some(0) {
            return Err(EINVAL);
        }
        let skb = self.raw();
        self.ensure_writable(at_u32)?;
        // SAFETY: `skb` is valid (type invariant).
        let (head_before, mac_len) = unsafe { ((*skb).head, u32::from((*skb).mac_len)) };
        let room = added_u32.checked_add(mac_len).ok_or(EINVAL)?;
        // SAFETY: As above; on success the head is private with `room` bytes of headroom.
        kernel::error::to_result(unsafe { sys::ioam_rs_skb_cow_head(skb, room) })?;
        // SAFETY: `skb` is valid (type invariant); `skb_cow_head()` may have moved the head.
        let reallocated = unsafe { (*skb).head } != head_before;
        let total_len = added.checked_add(at).ok_or(EINVAL)?;
        let total = u32::try_from(total_len).map_err(|_| EINVAL)?;
        // SAFETY: The network header is at `data` (checked above), with `at` private linear
        // bytes, and the head has `added + mac_len` bytes of private headroom: the push cannot
        // underflow, the MAC header fits in front of the new network header, and `total` bytes
        // from the new `data` are linear and private. Only `self` borrows the packet.
        let buf = unsafe {
            postpull_rcsum(skb, (*skb).data, at_u32);
            push_data(skb, added_u32);
            reset_network_header(skb)?;
            // Before `edit` writes over the old MAC header's bytes.
            sys::ioam_rs_skb_mac_header_rebuild(skb);
            slice::from_raw_parts_mut((*skb).data, total_len)
        };
        let r = edit(buf);
        // SAFETY: The `total` bytes at `data` are the packet's new first bytes (above).
        unsafe { postpush_rcsum(skb, (*skb).data, total) };
        self.shift_router_alert(at, added);
        Ok((r, reallocated))
    }

    /// Moves the router alert option's offset in the IPv6 control block (set by the Hop-by-Hop
    /// parser, relative to the network header) by `added` when the option lies behind `at`.
    fn shift_router_alert(&mut self, at: usize, added: usize) {
        // SAFETY: `skb` is ours for the hook; its control block holds the `inet6_skb_parm` of
        // the IPv6 receive path, whose `ra` field (a `u16`, checked below) is at this offset.
        let ra = unsafe {
            self.raw()
                .cast::<u8>()
                .add(sys::IOAM_RS_OFFSET_SKB_CB + sys::IOAM_RS_OFFSET_IP6CB_RA)
                .cast::<u16>()
        };
        // SAFETY: As above; the skb is 8-byte aligned and `ra` at an even offset (asserted at
        // the top of this file).
        let offset = unsafe { ra.read() };
        if usize::from(offset) >= at {
            if let Some(moved) = usize::from(offset)
                .checked_add(added)
                .and_then(|o| u16::try_from(o).ok())
            {
                // SAFETY: As above.
                unsafe { ra.write(moved) };
            }
        }
    }

    /// Routes the packet now if it has no route yet, as the kernel's own Hop-by-Hop IOAM
    /// handler does: the egress interface is part of the node data.
    pub(crate) fn route(&mut self) {
        if self.skb().has_route() {
            return;
        }
        // SAFETY: `skb` is ours for the hook, on the receive path before routing, where
        // `ip6_route_input` may be called; the route it sets is then used by the stack.
        unsafe { sys::ip6_route_input(self.raw()) };
    }
}
