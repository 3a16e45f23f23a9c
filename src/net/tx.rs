// SPDX-License-Identifier: GPL-2.0
//! Packets made here on the packet path (RFC 9322 loopback copies): allocated (`GFP_ATOMIC`),
//! written, routed and sent as if by a local socket, through `LOCAL_OUT` and `POST_ROUTING`.
//!
//! C header: [`include/net/ipv6.h`](srctree/include/net/ipv6.h)

use core::slice;
use kernel::prelude::*;

use crate::net::{
    dst::{self, DstRef},
    pernet::Net,
    skb::{headers_mut, network_header, reset_network_header, IPV6_HDR_LEN},
    sys,
};

/// `NET_XMIT_CN`: the packet was queued, under congestion.
const NET_XMIT_CN: i32 = 2;

/// What a new packet's writer is told: where it goes and how.
pub(crate) struct Sending {
    /// The source address the route picks.
    pub(crate) source: [u8; 16],
    /// The route's hop limit.
    pub(crate) hop_limit: u8,
}

/// Sends a new IPv6 packet of `len` bytes to `daddr`: `write` gets the packet's bytes (stale)
/// and must write all of them, its IPv6 header first; an error from it drops the packet
/// unsent. Fails without a route to `daddr`, a source address for it, or memory.
pub(crate) fn send_new(
    net: &Net,
    daddr: &[u8; 16],
    len: usize,
    write: impl FnOnce(&mut [u8], &Sending) -> Result,
) -> Result {
    if len < IPV6_HDR_LEN {
        return Err(EINVAL);
    }
    let route = dst::route_output(net, &[0; 16], daddr, 0)?;
    let dev = route.dev().ok_or(EINVAL)?;
    let sending = Sending {
        source: dev
            .source_address(net, daddr)
            .ok_or_else(dst::host_unreachable)?,
        hop_limit: route.hop_limit(),
    };
    let mut pkt = NewPacket::new(dev.ll_reserved_space(), len)?;
    write(pkt.data(), &sending)?;
    pkt.send(net, route)
}

/// A packet allocated here and not yet sent; freed on drop.
///
/// # Invariants
///
/// `skb` is a valid `sk_buff` owned by this object alone, whose network header is at `data`
/// with `len` linear bytes from there.
struct NewPacket {
    skb: core::ptr::NonNull<sys::sk_buff>,
    len: usize,
}

impl NewPacket {
    /// A packet of `len` bytes of (stale) data, its network header at the start, `headroom`
    /// bytes in front of it.
    fn new(headroom: u32, len: usize) -> Result<Self> {
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        let size = len_u32.checked_add(headroom).ok_or(EINVAL)?;
        let headroom_i32 = i32::try_from(headroom).map_err(|_| EINVAL)?;
        // SAFETY: Allocation with `GFP_ATOMIC` may be called from any context.
        let skb = core::ptr::NonNull::new(unsafe { sys::ioam_rs_alloc_skb_atomic(size) })
            .ok_or(ENOMEM)?;
        // From here the packet is freed on every error.
        let mut pkt = Self { skb, len: 0 };
        // SAFETY: The packet is fresh and ours, with room for `headroom + len` bytes (allocated
        // above): neither the reservation nor the put can overrun it.
        unsafe {
            sys::ioam_rs_skb_reserve(skb.as_ptr(), headroom_i32);
            sys::skb_put(skb.as_ptr(), len_u32);
            reset_network_header(skb.as_ptr())?;
            headers_mut(skb.as_ptr()).protocol = sys::IOAM_RS_ETH_P_IPV6_BE;
        }
        // INVARIANT: `len` bytes were put at `data`, where the network header now is.
        pkt.len = len;
        Ok(pkt)
    }

    /// The packet's bytes, from its network header.
    fn data(&mut self) -> &mut [u8] {
        // SAFETY: `len` linear bytes at the network header (type invariant), borrowed through
        // `&mut self` alone.
        unsafe { slice::from_raw_parts_mut(network_header(self.skb.as_ptr()), self.len) }
    }

    /// Sends the packet along `route`, as a local socket would (`ip6_local_out()`).
    fn send(self, net: &Net, route: DstRef) -> Result {
        let skb = self.skb.as_ptr();
        core::mem::forget(self);
        // SAFETY: We own `skb`; `skb_dst_set` takes over the route reference and
        // `ip6_local_out` the packet, with no socket (allowed: `sk` is only passed on).
        let err = unsafe {
            sys::ioam_rs_skb_dst_set(skb, route.into_raw());
            sys::ip6_local_out(net.as_ptr(), core::ptr::null_mut(), skb)
        };
        // Positive values are `NET_XMIT_*` codes: `NET_XMIT_CN` (congestion, sent) is success,
        // as `net_xmit_eval()` has it; `NET_XMIT_DROP` is not.
        match err {
            0 | NET_XMIT_CN => Ok(()),
            e if e < 0 => Err(Error::from_errno(e)),
            _ => Err(Error::from_errno(-(sys::ENOBUFS as i32))),
        }
    }
}

impl Drop for NewPacket {
    fn drop(&mut self) {
        // SAFETY: We own the packet (type invariant); nobody else uses it.
        unsafe { sys::ioam_rs_kfree_skb(self.skb.as_ptr()) };
    }
}
