// SPDX-License-Identifier: GPL-2.0
//! Socket buffers: what the output and the receive path read of a packet, and IPv6 packets on
//! the output path.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use core::{ptr::NonNull, slice};
use kernel::{ffi, prelude::*, types::Opaque};

use crate::{
    net::{device::NetDevice, dst::DstRef, pernet::Net, sys},
    sync::{clock, rcu},
};

/// Length of the fixed IPv6 header.
pub(crate) const IPV6_HDR_LEN: usize = 40;

/// A socket buffer, borrowed: what both the output and the receive path read of a packet.
///
/// # Invariants
///
/// The wrapped `sk_buff` is valid while the reference is, and its route and devices are alive
/// (the packet path runs under RCU).
#[repr(transparent)]
pub(crate) struct Skb(Opaque<sys::sk_buff>);

impl Skb {
    /// # Safety
    ///
    /// `ptr` is a valid `sk_buff` for `'a`, processed under RCU.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut sys::sk_buff) -> &'a Self {
        // CAST: `repr(transparent)` wrapper. SAFETY: per the function's requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn raw(&self) -> *mut sys::sk_buff {
        self.0.get()
    }

    /// Total length of the packet from the network header.
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { (*self.raw()).len }
    }

    /// Whether the packet was received (and is being forwarded), not generated here.
    pub(crate) fn was_received(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { headers(self.raw()).skb_iif != 0 }
    }

    /// The device the packet was received on, looked up by its index (`skb_iif`) in `net`;
    /// `None` for locally generated packets. (`skb->dev` will not do: it is the egress device
    /// at the xmit stage, and a tunnel device for what a local tunnel sends.)
    pub(crate) fn received_on<'g>(
        &self,
        net: &Net,
        _guard: &'g rcu::Guard,
    ) -> Option<&'g NetDevice> {
        // SAFETY: `skb` is valid (type invariant).
        let iif = unsafe { headers(self.raw()).skb_iif };
        if iif == 0 {
            return None;
        }
        // SAFETY: `net` is alive; the guard holds the RCU read lock, so the device, if found,
        // stays alive for `'g`.
        let dev = unsafe { sys::dev_get_by_index_rcu(net.as_ptr(), iif) };
        // SAFETY: As above.
        (!dev.is_null()).then(|| unsafe { NetDevice::from_raw(dev) })
    }

    /// Byte backlog of the qdisc of the transmit queue of `dev` this packet is about to leave
    /// by, chosen as `netdev_core_pick_tx()` will choose it: the only queue of a single-queue
    /// device, else `netdev_pick_tx()` (socket, XPS, hash). `None` when the driver chooses
    /// (`ndo_select_queue`), which cannot be asked without side effects. Called where the
    /// packet is about to be transmitted on `dev`, in the same softirq or process context.
    pub(crate) fn egress_backlog(&self, dev: &NetDevice) -> Option<u32> {
        let queues = dev.tx_queue_count();
        let queue = if queues == 1 {
            0
        } else if dev.selects_own_queue() {
            return None;
        } else {
            let q = self.with_sender_cpu(|| {
                // SAFETY: The device is alive and the packet valid, under RCU (type
                // invariants); `netdev_pick_tx()` reads them and may record the choice in the
                // packet's socket, as transmission will.
                unsafe { sys::netdev_pick_tx(dev.as_ptr(), self.raw(), core::ptr::null_mut()) }
            });
            if u32::from(q) >= queues {
                return None;
            }
            q
        };
        dev.tx_queue_backlog(queue)
    }

    /// Runs `pick` with `skb->sender_cpu` set to this CPU when it holds none (it shares its
    /// place with the receive NAPI id), as `netdev_core_pick_tx()` sets it before it picks
    /// (XPS chooses the queue by it), and puts the field back afterwards: the core sets its
    /// own on the CPU that transmits, which in process context need not be this one.
    #[cfg(CONFIG_XPS)]
    fn with_sender_cpu<R>(&self, pick: impl FnOnce() -> R) -> R {
        // SAFETY: `skb` is valid (type invariant) and lent to the caller, who is about to
        // transmit it: nobody else reads or writes the field while this reference lives, and
        // it ends before `pick` reads the field through the packet.
        let sender = unsafe { &mut headers_mut(self.raw()).__bindgen_anon_3.sender_cpu };
        let found = *sender;
        if found.wrapping_sub(1) >= kernel::cpu::nr_cpu_ids() {
            *sender = kernel::cpu::CpuId::current().as_u32().wrapping_add(1);
        }
        let picked = pick();
        // SAFETY: As above.
        unsafe { headers_mut(self.raw()).__bindgen_anon_3.sender_cpu = found };
        picked
    }

    #[cfg(not(CONFIG_XPS))]
    fn with_sender_cpu<R>(&self, pick: impl FnOnce() -> R) -> R {
        pick()
    }

    /// The packet's current route (`skb_dst()`), null if none.
    fn dst(&self) -> *mut sys::dst_entry {
        // The low bit of `_skb_refdst` says whether the skb holds a reference.
        const SKB_DST_NOREF: ffi::c_ulong = 1;
        // SAFETY: `skb` is valid (type invariant).
        let refdst = unsafe { (*self.raw()).__bindgen_anon_3.__bindgen_anon_1._skb_refdst };
        (refdst & !SKB_DST_NOREF) as *mut sys::dst_entry
    }

    /// Whether the packet has a route (`skb_valid_dst()`): a route, not tunnel metadata
    /// carried in the route's place.
    pub(crate) fn has_route(&self) -> bool {
        let dst = self.dst();
        // SAFETY: A non-null route is alive while the packet holds it (type invariant); its
        // flags are set when it is created.
        !dst.is_null() && unsafe { (*dst).flags } & sys::IOAM_RS_DST_METADATA == 0
    }

    /// The device of the packet's current route.
    pub(crate) fn route_dev<'g>(&self, _guard: &'g rcu::Guard) -> Option<&'g NetDevice> {
        let dst = self.dst();
        if dst.is_null() {
            return None;
        }
        // SAFETY: The route is alive (type invariant); `dst_dev()` reads its device once, which
        // is freed only after an RCU grace period: alive for `'g`, while the guard holds the RCU
        // read lock.
        unsafe {
            let dev = sys::read_once(&raw const (*dst).__bindgen_anon_1.dev);
            (!dev.is_null()).then(|| NetDevice::from_raw(dev))
        }
    }

    /// Whether `dst` has the same lightweight-tunnel state as the packet's current route.
    pub(crate) fn routed_like(&self, dst: &DstRef) -> bool {
        core::ptr::eq(dst.lwtstate(), self.route_lwtstate())
    }

    /// The lightweight-tunnel state of the packet's current route.
    pub(crate) fn route_lwtstate(&self) -> *mut sys::lwtunnel_state {
        let dst = self.dst();
        if dst.is_null() {
            return core::ptr::null_mut();
        }
        // SAFETY: The route is alive (type invariant).
        unsafe { (*dst).lwtstate }
    }

    /// Whether this is a GSO packet, segmented later (each segment gets its own lengths).
    pub(crate) fn is_gso(&self) -> bool {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { sys::ioam_rs_skb_is_gso(self.raw()) }
    }

    /// Whether the packet leaves its route's MTU room for `added` more bytes of headers (for a
    /// GSO packet: in each of its segments), as `ip6_forward()` will check. A packet without a
    /// route has no such limit yet.
    pub(crate) fn fits_route_mtu_after(&self, added: u32) -> bool {
        let dst = self.dst();
        if dst.is_null() {
            return true;
        }
        // SAFETY: The route is alive while the packet holds it (type invariant).
        let mtu = unsafe { sys::ioam_rs_dst_mtu(dst) };
        let Some(room) = mtu.checked_sub(added) else {
            return false;
        };
        if self.len() <= room {
            return true;
        }
        // SAFETY: `skb` is valid (type invariant); this only reads its lengths and GSO fields.
        self.is_gso() && unsafe { sys::skb_gso_validate_network_len(self.raw(), room) }
    }

    /// The packet mark.
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { sys::ioam_rs_skb_mark(self.raw()) }
    }

    /// Receive timestamp (or now, when the packet has none), in ns since the epoch:
    /// `skb_tstamp_cond(skb, true)`.
    pub(crate) fn timestamp_ns(&self) -> i64 {
        // SAFETY: `skb` is valid (type invariant); `tstamp` is plain data, read as the C does.
        let stamp = unsafe { (*self.raw()).__bindgen_anon_2.tstamp };
        if stamp != 0 {
            return stamp;
        }
        clock::real_ns()
    }
}

/// An IPv6 packet on the output path, owned by the code handling it.
///
/// It must be passed on (`continue_xmit`, `reroute`) or dropped: dropping the value frees
/// the packet.
///
/// # Invariants
///
/// `skb` is a valid `sk_buff` owned by this object, whose network header is an IPv6 header
/// with at least [`IPV6_HDR_LEN`] bytes in the linear area.
pub(crate) struct OutputPacket {
    skb: NonNull<sys::sk_buff>,
}

impl OutputPacket {
    /// # Safety
    ///
    /// `skb` is a valid packet the caller owns and hands over.
    pub(crate) unsafe fn from_raw(skb: *mut sys::sk_buff) -> Option<Self> {
        let skb = NonNull::new(skb)?;
        let pkt = Self { skb };
        // SAFETY: `skb` is valid.
        let proto = unsafe { headers(skb.as_ptr()).protocol };
        let headlen = pkt.headlen_from_network();
        if proto != sys::IOAM_RS_ETH_P_IPV6_BE || headlen < IPV6_HDR_LEN {
            return None; // dropped (freed) by `Drop`
        }
        Some(pkt)
    }

    fn raw(&self) -> *mut sys::sk_buff {
        self.skb.as_ptr()
    }

    /// Bytes from the network header to the end of the linear area.
    fn headlen_from_network(&self) -> usize {
        // SAFETY: `skb` is valid.
        unsafe { linear_network_header(self.raw()).1 }
    }

    /// The IPv6 header.
    pub(crate) fn ipv6_header(&self) -> &[u8; IPV6_HDR_LEN] {
        // SAFETY: The invariant guarantees 40 linear bytes at the network header.
        unsafe { &*network_header(self.raw()).cast::<[u8; IPV6_HDR_LEN]>() }
    }

    /// The IPv6 payload length field for the packet once `added` bytes are pushed: the
    /// length, or 0 for a GSO packet too long for 16 bits (segmentation rewrites it, as for
    /// BIG TCP); `None` for a non-GSO packet too long for 16 bits.
    pub(crate) fn payload_len_after(&self, added: usize) -> Option<u16> {
        let len = usize::try_from(self.len())
            .ok()?
            .checked_add(added)?
            .checked_sub(IPV6_HDR_LEN)?;
        match u16::try_from(len) {
            Ok(v) => Some(v),
            Err(_) if self.is_gso() => Some(0),
            Err(_) => None,
        }
    }

    /// Marks the packet as about to be wrapped in an outer IPv6 header: its current headers
    /// become the inner ones, and GSO packets are segmented as ip6ip6.
    pub(crate) fn prepare_ip6ip6(&mut self) -> Result {
        // SAFETY: We own the packet; this only adjusts its offload metadata (it may unclone
        // the header of a GSO packet).
        kernel::error::to_result(unsafe {
            sys::iptunnel_handle_offloads(self.raw(), sys::IOAM_RS_SKB_GSO_IPXIP6)
        })?;
        // `skb_set_inner_protocol()`: the protocol written at its offset from C, the type with
        // bindgen's bitfield setter.
        const _: () = assert!(sys::IOAM_RS_SIZE_SKB_INNER_PROTOCOL == core::mem::size_of::<u16>());
        // SAFETY: We own the packet, so its header fields are ours to write, and nothing else
        // holds a reference to them. A `__be16` lies at that offset (size asserted above),
        // aligned for it by C.
        unsafe {
            let skb = self.raw();
            skb.cast::<u8>()
                .add(sys::IOAM_RS_OFFSET_SKB_INNER_PROTOCOL)
                .cast::<u16>()
                .write(sys::IOAM_RS_ETH_P_IPV6_BE);
            headers_mut(skb).set_inner_protocol_type(sys::IOAM_RS_ENCAP_TYPE_ETHER);
        }
        Ok(())
    }

    /// Makes `len + extra` bytes of private headroom available, once, then pushes `len`
    /// bytes in front of the network header, moving the IPv6 header to the front when
    /// `keep_header` (insertion after it), or leaving it in place (an outer header goes in
    /// front). Returns the new network header area: the first `len + IPV6_HDR_LEN` bytes of
    /// the packet. The caller writes it and then calls [`Self::finish_push`].
    // Inlined into the hook or transmit handler that calls it, as the other steps of the packet
    // path: a call per packet cost more than most of them (README, Benchmarks).
    #[inline]
    pub(crate) fn push(&mut self, len: usize, extra: u32, keep_header: bool) -> Result<&mut [u8]> {
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        let room = len_u32.checked_add(extra).ok_or(EINVAL)?;
        self.cow_head(room)?;
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let old = unsafe { network_header(self.raw()) };
        // SAFETY: The head is private and has `len` bytes of headroom (above), so pushing `len`
        // bytes stays in it; 40 bytes are linear at `old` (invariant). On the output path the
        // network header is at `data`. The packet is ours: so are its header offsets.
        unsafe {
            let skb = self.raw();
            if keep_header {
                // The old header's bytes leave the checksummed area before being overwritten.
                postpull_rcsum(skb, old, IPV6_HDR_LEN as u32);
            }
            push_data(skb, len_u32);
            set_headers_at_data(skb, IPV6_HDR_LEN as u16)?;
            // The link-layer header is yet to be built (neighbour output; `dev_queue_xmit()`
            // resets it): none, as on a packet sent from here and as `bpf_redirect_neigh()`
            // leaves it, rather than the received one moved in front of the new headers.
            headers_mut(skb).mac_header = MAC_HEADER_UNSET;
            let new = network_header(skb);
            if keep_header {
                core::ptr::copy(old, new, IPV6_HDR_LEN);
            }
            Ok(slice::from_raw_parts_mut(new, len + IPV6_HDR_LEN))
        }
    }

    /// Makes the head private with `room` bytes of headroom (`skb_cow_head()`), without a
    /// call when it already is: no clone shares it and the room is there (that function's own
    /// first tests).
    fn cow_head(&mut self, room: u32) -> Result {
        let skb = self.raw();
        // SAFETY: `skb` is valid (type invariant); `data` and `head` point into its buffer,
        // `data` not in front of `head`.
        let headroom = unsafe { (*skb).data.offset_from((*skb).head) };
        // SAFETY: As above.
        if u32::try_from(headroom).is_ok_and(|h| h >= room) && !unsafe { maybe_cloned(skb) } {
            return Ok(());
        }
        // SAFETY: `skb` is owned by us; on success the head is private and has `room` bytes
        // of headroom.
        kernel::error::to_result(unsafe { sys::ioam_rs_skb_cow_head(skb, room) })
    }

    /// Accounts in the packet's checksum (for `CHECKSUM_COMPLETE`) for the `len` bytes
    /// written at the front after [`Self::push`]: the pushed bytes, plus the moved IPv6
    /// header when it was kept.
    #[inline]
    pub(crate) fn finish_push(&mut self, len: usize) {
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let nh = unsafe { network_header(self.raw()) };
        let len_u32 = u32::try_from(len).unwrap_or(0);
        // SAFETY: The `len` bytes at the network header were just pushed and written.
        unsafe { postpush_rcsum(self.raw(), nh, len_u32) };
    }

    /// Sends the packet along `dst` instead of its route, from the route's transmit stage, as
    /// the kernel's output path would (`dst_output()` with the sending socket, null for a
    /// forwarded packet). The result is what `lwtunnel_xmit()` expects of a handler that took
    /// the packet: `LWTUNNEL_XMIT_DONE`, or a negative errno (`net_xmit_errno()`).
    pub(crate) fn reroute(self, net: &Net, dst: DstRef) -> ffi::c_int {
        let skb = self.into_raw();
        // SAFETY: We own `skb` (valid, type invariant); `skb_dst_set` takes over the route
        // reference, and `dst_output` the packet, with the socket the packet holds (or null).
        let sent = unsafe {
            let sk = (*skb).sk;
            sys::ioam_rs_skb_dst_drop(skb);
            sys::ioam_rs_skb_dst_set(skb, dst.into_raw());
            sys::ioam_rs_dst_output(net.as_ptr(), sk, skb)
        };
        match sent {
            // Congestion notified is no error.
            0 | sys::IOAM_RS_NET_XMIT_CN => sys::IOAM_RS_LWTUNNEL_XMIT_DONE,
            _ => -(sys::ENOBUFS as ffi::c_int),
        }
    }

    /// Gives the packet back to the kernel, to continue where it was (`LWTUNNEL_XMIT_CONTINUE`).
    pub(crate) fn continue_xmit(self) -> ffi::c_int {
        let _ = self.into_raw();
        sys::IOAM_RS_LWTUNNEL_XMIT_CONTINUE
    }

    /// Hands the packet over: the caller owns it from now on.
    pub(crate) fn into_raw(self) -> *mut sys::sk_buff {
        let p = self.raw();
        core::mem::forget(self);
        p
    }
}

/// The header offsets and fields of a packet (`skb->headers`).
///
/// # Safety
///
/// `skb` is valid for the returned lifetime and nobody changes these fields meanwhile.
pub(crate) unsafe fn headers<'a>(skb: *const sys::sk_buff) -> &'a crate::net::layout::SkbHeaders {
    // SAFETY: Per the function's requirements; `headers` is the named view of the group.
    unsafe { (*skb).__bindgen_anon_4.headers.as_ref() }
}

/// `__skb_push()`: `len` more bytes at the front of the packet's data.
///
/// # Safety
///
/// `skb` is valid and owned by the caller, with at least `len` bytes of headroom.
pub(crate) unsafe fn push_data(skb: *mut sys::sk_buff, len: u32) {
    // SAFETY: Per the requirements, `data - len` is still in the head buffer; the packet's
    // length cannot reach 4 GiB.
    unsafe {
        (*skb).data = (*skb).data.sub(len as usize);
        (*skb).len = (*skb).len.wrapping_add(len);
    }
}

/// `skb->mac_header` of a packet without a link-layer header (`skb_unset_mac_header()`).
const MAC_HEADER_UNSET: u16 = u16::MAX;

/// `skb_reset_network_header()` then `skb_set_transport_header(skb, transport)`: the network
/// header at `data`, the transport header `transport` bytes after it.
///
/// # Safety
///
/// `skb` is valid and owned by the caller.
unsafe fn set_headers_at_data(skb: *mut sys::sk_buff, transport: u16) -> Result {
    // SAFETY: Per the requirements.
    let offset = unsafe { reset_network_header(skb)? };
    // SAFETY: Per the requirements.
    let headers = unsafe { (*skb).__bindgen_anon_4.headers.as_mut() };
    headers.transport_header = offset.checked_add(transport).ok_or(EINVAL)?;
    Ok(())
}

/// The header offsets and fields of a packet, to write (`skb->headers`).
///
/// # Safety
///
/// `skb` is valid and owned by the caller for the returned lifetime.
pub(crate) unsafe fn headers_mut<'a>(
    skb: *mut sys::sk_buff,
) -> &'a mut crate::net::layout::SkbHeaders {
    // SAFETY: Per the function's requirements; `headers` is the named view of the group.
    unsafe { (*skb).__bindgen_anon_4.headers.as_mut() }
}

/// `skb_reset_network_header()`: the network header at `data`. Returns its offset.
///
/// # Safety
///
/// `skb` is valid and owned by the caller.
pub(crate) unsafe fn reset_network_header(skb: *mut sys::sk_buff) -> Result<u16> {
    // SAFETY: Per the requirements; `data` lies in the head buffer, after `head`.
    unsafe {
        let offset = u16::try_from((*skb).data.offset_from((*skb).head)).map_err(|_| EINVAL)?;
        (*skb).__bindgen_anon_4.headers.as_mut().network_header = offset;
        Ok(offset)
    }
}

/// `skb_postpull_rcsum()`, called only when it has work: it changes nothing unless the
/// checksum is `CHECKSUM_COMPLETE` or `CHECKSUM_PARTIAL`.
///
/// # Safety
///
/// `skb` is valid and owned by the caller; the `len` bytes at `start` lie in its linear data.
pub(crate) unsafe fn postpull_rcsum(skb: *mut sys::sk_buff, start: *const u8, len: u32) {
    // SAFETY: Per the requirements.
    unsafe {
        let summed = headers(skb).ip_summed();
        if summed == sys::IOAM_RS_CHECKSUM_COMPLETE || summed == sys::IOAM_RS_CHECKSUM_PARTIAL {
            sys::ioam_rs_skb_postpull_rcsum(skb, start.cast(), len);
        }
    }
}

/// `skb_postpush_rcsum()`, called only when it has work (`CHECKSUM_COMPLETE`).
///
/// # Safety
///
/// As for [`postpull_rcsum`].
pub(crate) unsafe fn postpush_rcsum(skb: *mut sys::sk_buff, start: *const u8, len: u32) {
    // SAFETY: Per the requirements.
    unsafe {
        if headers(skb).ip_summed() == sys::IOAM_RS_CHECKSUM_COMPLETE {
            sys::ioam_rs_skb_postpush_rcsum(skb, start.cast(), len);
        }
    }
}

/// Whether a clone may share the packet's head (`skb->cloned`, read at the kernel's own
/// `CLONED_OFFSET` and `CLONED_MASK`): only then can writing into the head need a copy.
///
/// # Safety
///
/// `skb` is valid.
pub(crate) unsafe fn maybe_cloned(skb: *const sys::sk_buff) -> bool {
    // SAFETY: `CLONED_OFFSET` is the offset of the byte holding the flag within the valid
    // `sk_buff` (the function's requirement).
    let flags = unsafe { skb.cast::<u8>().add(sys::IOAM_RS_SKB_CLONED_OFFSET).read() };
    flags & sys::IOAM_RS_SKB_CLONED_MASK != 0
}

/// `skb_network_header()`.
///
/// # Safety
///
/// `skb` is valid and its network header set.
pub(crate) unsafe fn network_header(skb: *const sys::sk_buff) -> *mut u8 {
    // SAFETY: The network header offset lies within the head buffer (requirements).
    unsafe {
        (*skb)
            .head
            .wrapping_add(usize::from(headers(skb).network_header))
    }
}

/// The network header and the number of bytes from it to the end of the linear area (0 if it
/// lies beyond).
///
/// # Safety
///
/// `skb` is valid and its network header set.
pub(crate) unsafe fn linear_network_header(skb: *const sys::sk_buff) -> (*mut u8, usize) {
    // SAFETY: Per the requirements; the linear area is `headlen` bytes from `data`, and both
    // ends lie in the head buffer, as the network header does.
    unsafe {
        let nh = network_header(skb);
        let end = (*skb).data.wrapping_add(headlen(skb) as usize);
        (nh, usize::try_from(end.offset_from(nh)).unwrap_or(0))
    }
}

/// `skb_headlen()`: the bytes from `data` in the linear area (`len - data_len`).
///
/// # Safety
///
/// `skb` is valid.
pub(crate) unsafe fn headlen(skb: *const sys::sk_buff) -> u32 {
    // SAFETY: `skb` is valid (the function's requirement); `data_len <= len` in a valid skb.
    unsafe { (*skb).len.wrapping_sub((*skb).data_len) }
}

impl core::ops::Deref for OutputPacket {
    type Target = Skb;

    fn deref(&self) -> &Skb {
        // SAFETY: We own the valid packet (type invariant) for as long as the borrow.
        unsafe { Skb::from_raw(self.raw()) }
    }
}

impl Drop for OutputPacket {
    fn drop(&mut self) {
        // SAFETY: We own the packet (type invariant) and nobody else will use it.
        unsafe { sys::ioam_rs_kfree_skb(self.raw()) };
    }
}
