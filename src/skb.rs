// SPDX-License-Identifier: GPL-2.0
//! Socket buffers on the IPv6 output path, and the routes (`dst_entry`) they follow.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h),
//! [`include/net/dst_cache.h`](srctree/include/net/dst_cache.h)

use core::{ptr::NonNull, slice};
use kernel::{ffi, prelude::*, types::Opaque};

use crate::{pernet::Net, sys};

/// Length of the fixed IPv6 header.
pub(crate) const IPV6_HDR_LEN: usize = 40;

/// A network device, borrowed for the duration of a packet's processing (under RCU).
///
/// # Invariants
///
/// The wrapped `net_device` is alive while the reference is.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<sys::net_device>);

impl NetDevice {
    /// # Safety
    ///
    /// `ptr` is a live device for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut sys::net_device) -> &'a Self {
        // CAST: `repr(transparent)` wrapper. SAFETY: per the function's requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn raw(&self) -> *mut sys::net_device {
        self.0.get()
    }

    /// Whether this is a loopback device.
    pub(crate) fn is_loopback(&self) -> bool {
        // SAFETY: The device is alive; its flags change under RTNL, so they are read once.
        let flags = unsafe { sys::read_once(&raw const (*self.raw()).flags) };
        flags & sys::IOAM_RS_IFF_LOOPBACK != 0
    }

    /// The device's IPv6 configuration (`__in6_dev_get`), if it has one; valid while the
    /// device is borrowed (under RCU, on the packet path).
    fn ipv6_conf(&self) -> Option<&sys::ipv6_devconf> {
        // SAFETY: The device is alive; `ip6_ptr` is RCU-managed and read once, as
        // `rcu_dereference` does. A non-null `inet6_dev` stays alive until the RCU read side
        // ends, which outlives this borrow of the device (type invariant).
        unsafe {
            let idev = sys::read_once(&raw const (*self.raw()).ip6_ptr);
            (!idev.is_null()).then(|| &(*idev).cnf)
        }
    }

    /// The IOAM interface ids `(net.ipv6.conf.DEV.ioam6_id, ioam6_id_wide)`, if the device
    /// has IPv6 configuration.
    pub(crate) fn ioam_ids(&self) -> Option<(u32, u32)> {
        let cnf = self.ipv6_conf()?;
        // SAFETY: Sysctls, which may change at any time: each is read once.
        unsafe {
            Some((
                sys::read_once(&cnf.ioam6_id),
                sys::read_once(&cnf.ioam6_id_wide),
            ))
        }
    }

    /// Whether the kernel's `net.ipv6.conf.DEV.ioam6_enabled` is set.
    pub(crate) fn kernel_ioam_enabled(&self) -> bool {
        self.ipv6_conf().is_some_and(|cnf| {
            // SAFETY: A sysctl, read once.
            let enabled = unsafe { sys::read_once(&cnf.ioam6_enabled) };
            enabled != 0
        })
    }

    /// The interface index.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: The device is alive; the index may change (netns move), so it is read once.
        unsafe { sys::read_once(&raw const (*self.raw()).ifindex) }
    }

    /// Byte backlog of the qdisc of transmit queue `queue`, or `None` when the device has no
    /// such queue.
    pub(crate) fn tx_queue_backlog(&self, queue: u16) -> Option<u32> {
        // SAFETY: The device is alive; `num_tx_queues` is fixed at allocation.
        let queues = unsafe { (*self.raw()).num_tx_queues };
        if u32::from(queue) >= queues {
            return None;
        }
        // SAFETY: `queue` is in range (checked above) and we are under RCU.
        Some(unsafe { sys::ioam_rs_tx_queue_backlog(self.raw(), queue.into()) })
    }

    /// The device's network namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: A live device holds its namespace alive.
        unsafe { Net::from_raw(sys::ioam_rs_dev_net(self.raw())) }
    }

    /// The source address the kernel picks to reach `daddr` through this device.
    pub(crate) fn source_address(&self, net: &Net, daddr: &[u8; 16]) -> Option<[u8; 16]> {
        let mut dst: sys::in6_addr = pin_init::zeroed();
        dst.in6_u.u6_addr8 = *daddr;
        let mut src: sys::in6_addr = pin_init::zeroed();
        // SAFETY: `net` and the device are alive; the addresses are valid for the call.
        let err = unsafe {
            sys::ipv6_dev_get_saddr(
                net.as_ptr(),
                self.raw(),
                &dst,
                sys::IPV6_PREFER_SRC_PUBLIC,
                &mut src,
            )
        };
        // SAFETY: Reading the union's byte view of an initialised address.
        let src = unsafe { src.in6_u.u6_addr8 };
        (err == 0).then_some(src)
    }

    /// Link-layer headroom the device wants (`LL_RESERVED_SPACE`).
    pub(crate) fn ll_reserved_space(&self) -> u32 {
        // SAFETY: The device is alive.
        unsafe { sys::ioam_rs_ll_reserved_space(self.raw()) }
    }
}

/// A reference on a route; released on drop.
///
/// # Invariants
///
/// `ptr` is a `dst_entry` on which this object holds one reference.
pub(crate) struct DstRef {
    ptr: NonNull<sys::dst_entry>,
}

// SAFETY: A route reference may be released from any context.
unsafe impl Send for DstRef {}

impl DstRef {
    fn into_raw(self) -> *mut sys::dst_entry {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The route's lightweight-tunnel state, to tell whether a route leads back to us.
    pub(crate) fn lwtstate(&self) -> *const sys::lwtunnel_state {
        // SAFETY: The reference keeps the route alive.
        unsafe { (*self.ptr.as_ptr()).lwtstate }
    }
}

impl Drop for DstRef {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant).
        unsafe { sys::dst_release(self.ptr.as_ptr()) };
    }
}

/// Looks up the route for an IPv6 packet with the given header fields.
pub(crate) fn route_output(
    net: &Net,
    saddr: &[u8; 16],
    daddr: &[u8; 16],
    mark: u32,
) -> Result<DstRef> {
    // SAFETY: All-zeroes is a valid `flowi6`.
    let mut fl6: sys::flowi6 = unsafe { core::mem::zeroed() };
    fl6.daddr.in6_u.u6_addr8 = *daddr;
    fl6.saddr.in6_u.u6_addr8 = *saddr;
    fl6.__fl_common.flowic_mark = mark;
    // SAFETY: `net` is alive; `fl6` is initialised. The lookup never returns NULL: failures
    // are a route with `error` set, which we still hold a reference on.
    let dst = unsafe { sys::ioam_rs_ip6_route_output(net.as_ptr(), &mut fl6) };
    let dst = DstRef {
        ptr: NonNull::new(dst).ok_or(EINVAL)?,
    };
    // SAFETY: The reference keeps the route alive.
    let error = unsafe { (*dst.ptr.as_ptr()).error };
    if error != 0 {
        return Err(Error::from_errno(error.into()));
    }
    Ok(dst)
}

/// A per-CPU cache of one route (`struct dst_cache`).
///
/// # Invariants
///
/// `cache` was set up by `dst_cache_init` and is destroyed on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct DstCache {
    #[pin]
    cache: Opaque<sys::dst_cache>,
}

// SAFETY: `dst_cache` is per-CPU and used with bottom halves disabled.
unsafe impl Send for DstCache {}
// SAFETY: As above.
unsafe impl Sync for DstCache {}

impl DstCache {
    /// An empty cache (allocates its per-CPU slots).
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            cache <- Opaque::try_ffi_init(|c: *mut sys::dst_cache| -> Result {
                // SAFETY: `c` is valid for writes; GFP_ATOMIC as route creation may run
                // under RCU.
                kernel::error::to_result(unsafe {
                    sys::dst_cache_init(c, sys::IOAM_RS_GFP_ATOMIC)
                })
            }),
        })
    }

    /// The cached route, if still valid, and the source address cached with it.
    pub(crate) fn get(&self) -> Option<(DstRef, [u8; 16])> {
        let mut saddr: sys::in6_addr = pin_init::zeroed();
        // SAFETY: Bottom halves must be off around per-CPU dst_cache use; every call
        // is paired with the enable below.
        let dst = unsafe {
            sys::ioam_rs_local_bh_disable();
            let d = sys::dst_cache_get_ip6(self.cache.get(), &mut saddr);
            sys::ioam_rs_local_bh_enable();
            d
        };
        // INVARIANT: `dst_cache_get_ip6` returns a new reference.
        let dst = DstRef {
            ptr: NonNull::new(dst)?,
        };
        // SAFETY: The byte view of an initialised address.
        Some((dst, unsafe { saddr.in6_u.u6_addr8 }))
    }

    /// Caches `dst` (taking its own reference) for source address `saddr`.
    pub(crate) fn set(&self, dst: &DstRef, saddr: &[u8; 16]) {
        let mut addr: sys::in6_addr = pin_init::zeroed();
        addr.in6_u.u6_addr8 = *saddr;
        // SAFETY: As in `get`; the cache takes its own reference on `dst`.
        unsafe {
            sys::ioam_rs_local_bh_disable();
            sys::dst_cache_set_ip6(self.cache.get(), dst.ptr.as_ptr(), &addr);
            sys::ioam_rs_local_bh_enable();
        }
    }
}

#[pinned_drop]
impl PinnedDrop for DstCache {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Initialised by `dst_cache_init` (type invariant).
        unsafe { sys::dst_cache_destroy(self.cache.get()) };
    }
}

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

    /// On the xmit stage (after `ip6_output`, where `skb->dev` is the egress device): the
    /// device the packet was received on, looked up by index in `net`; `None` for locally
    /// generated packets.
    pub(crate) fn received_on<'a>(&self, net: &'a Net) -> Option<&'a NetDevice> {
        // SAFETY: `skb` is valid (type invariant).
        let iif = unsafe { headers(self.raw()).skb_iif };
        if iif == 0 {
            return None;
        }
        // SAFETY: We are under RCU on the packet path; the device, if found, stays alive
        // until the RCU read side ends, which outlives the packet's processing here.
        let dev = unsafe { sys::dev_get_by_index_rcu(net.as_ptr(), iif) };
        // SAFETY: As above.
        (!dev.is_null()).then(|| unsafe { NetDevice::from_raw(dev) })
    }

    /// On the output stage (before `ip6_output`): the device the packet was received on;
    /// `None` for locally generated packets.
    pub(crate) fn ingress_dev(&self) -> Option<&NetDevice> {
        // SAFETY: `skb` is valid; its device, if any, is alive while we own the packet.
        let dev = unsafe { sys::ioam_rs_skb_dev(self.raw()) };
        // SAFETY: As above.
        (!dev.is_null()).then(|| unsafe { NetDevice::from_raw(dev) })
    }

    /// The packet's current route (`skb_dst()`), null if none.
    fn dst(&self) -> *mut sys::dst_entry {
        // The low bit of `_skb_refdst` says whether the skb holds a reference.
        const SKB_DST_NOREF: ffi::c_ulong = 1;
        // SAFETY: `skb` is valid (type invariant).
        let refdst = unsafe { (*self.raw()).__bindgen_anon_3.__bindgen_anon_1._skb_refdst };
        (refdst & !SKB_DST_NOREF) as *mut sys::dst_entry
    }

    /// The device of the packet's current route.
    pub(crate) fn route_dev(&self) -> Option<&NetDevice> {
        let dst = self.dst();
        if dst.is_null() {
            return None;
        }
        // SAFETY: The route is alive under RCU (type invariant); `dst_dev()` reads its
        // device once, which is then alive under RCU too.
        unsafe {
            let dev = sys::read_once(&raw const (*dst).__bindgen_anon_1.dev);
            (!dev.is_null()).then(|| NetDevice::from_raw(dev))
        }
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

    /// The transmit queue index.
    pub(crate) fn queue_mapping(&self) -> u16 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { (*self.raw()).queue_mapping }
    }

    /// The packet mark.
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { sys::ioam_rs_skb_mark(self.raw()) }
    }

    /// Receive timestamp (or now, when the packet has none), in ns since the epoch.
    pub(crate) fn timestamp_ns(&self) -> i64 {
        // SAFETY: `skb` is valid (type invariant).
        unsafe { sys::ioam_rs_skb_tstamp_cond(self.raw()) }
    }
}

/// An IPv6 packet on the output path, owned by the code handling it.
///
/// It must be passed on (`output`, `orig_output`) or dropped (`drop_packet`): dropping the
/// value without that frees the packet.
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
        // SAFETY: As above.
        unsafe { sys::ioam_rs_skb_set_inner_protocol(self.raw(), sys::IOAM_RS_ETH_P_IPV6_BE) };
        Ok(())
    }

    /// Makes `len + extra` bytes of private headroom available, once, then pushes `len`
    /// bytes in front of the network header, moving the IPv6 header to the front when
    /// `keep_header` (insertion after it), or leaving it in place (an outer header goes in
    /// front). Returns the new network header area: the first `len + IPV6_HDR_LEN` bytes of
    /// the packet. The caller writes it and then calls [`Self::finish_push`].
    pub(crate) fn push(&mut self, len: usize, extra: u32, keep_header: bool) -> Result<&mut [u8]> {
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        let room = len_u32.checked_add(extra).ok_or(EINVAL)?;
        // SAFETY: `skb` is owned by us; on success the head is private and has `room` bytes
        // of headroom, so the push below cannot underflow.
        kernel::error::to_result(unsafe { sys::ioam_rs_skb_cow_head(self.raw(), room) })?;
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let old = unsafe { network_header(self.raw()) };
        // SAFETY: The head is private and has `len` bytes of headroom (above), so `skb_push`
        // cannot underflow; 40 bytes are linear at `old` (invariant). On the output path the
        // network header is at `data`.
        unsafe {
            let skb = self.raw();
            if keep_header {
                // The old header's bytes leave the checksummed area before being overwritten.
                postpull_rcsum(skb, old, IPV6_HDR_LEN as u32);
            }
            sys::skb_push(skb, len_u32);
            set_headers_at_data(skb, IPV6_HDR_LEN as u16)?;
            sys::ioam_rs_skb_mac_header_rebuild(skb);
            let new = network_header(skb);
            if keep_header {
                core::ptr::copy(old, new, IPV6_HDR_LEN);
            }
            Ok(slice::from_raw_parts_mut(new, len + IPV6_HDR_LEN))
        }
    }

    /// Accounts in the packet's checksum (for `CHECKSUM_COMPLETE`) for the `len` bytes
    /// written at the front after [`Self::push`]: the pushed bytes, plus the moved IPv6
    /// header when it was kept.
    pub(crate) fn finish_push(&mut self, len: usize) {
        // SAFETY: `skb` is valid with its network header set (type invariant).
        let nh = unsafe { network_header(self.raw()) };
        let len_u32 = u32::try_from(len).unwrap_or(0);
        // SAFETY: The `len` bytes at the network header were just pushed and written.
        unsafe { postpush_rcsum(self.raw(), nh, len_u32) };
    }

    /// Sends the packet along `dst` (which replaces its current route).
    pub(crate) fn output(self, net: &Net, sk: *mut sys::sock, dst: DstRef) -> ffi::c_int {
        let skb = self.into_raw();
        // SAFETY: We own `skb`; `skb_dst_set` takes over the route reference, and
        // `dst_output` takes over the packet.
        unsafe {
            sys::ioam_rs_skb_dst_drop(skb);
            sys::ioam_rs_skb_dst_set(skb, dst.into_raw());
            sys::ioam_rs_dst_output(net.as_ptr(), sk, skb)
        }
    }

    /// Gives the packet back to the kernel, to continue where it was (`LWTUNNEL_XMIT_CONTINUE`).
    pub(crate) fn continue_xmit(self) -> ffi::c_int {
        let _ = self.into_raw();
        sys::IOAM_RS_LWTUNNEL_XMIT_CONTINUE
    }

    /// Sends the packet on with the route's original output function.
    pub(crate) fn orig_output(
        self,
        net: &Net,
        sk: *mut sys::sock,
        lwt: *mut sys::lwtunnel_state,
    ) -> ffi::c_int {
        let skb = self.into_raw();
        // SAFETY: `lwt` is the state of the packet's route, alive while the packet holds
        // the route; `orig_output` takes over the packet.
        unsafe {
            match (*lwt).orig_output {
                Some(f) => f(net.as_ptr(), sk, skb),
                None => {
                    sys::ioam_rs_kfree_skb(skb);
                    EINVAL.to_errno()
                }
            }
        }
    }

    fn into_raw(self) -> *mut sys::sk_buff {
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
pub(crate) unsafe fn headers<'a>(skb: *const sys::sk_buff) -> &'a crate::layout::SkbHeaders {
    // SAFETY: Per the function's requirements; `headers` is the named view of the group.
    unsafe { (*skb).__bindgen_anon_4.headers.as_ref() }
}

/// `skb_reset_network_header()` then `skb_set_transport_header(skb, transport)`: the network
/// header at `data`, the transport header `transport` bytes after it.
///
/// # Safety
///
/// `skb` is valid and owned by the caller.
unsafe fn set_headers_at_data(skb: *mut sys::sk_buff, transport: u16) -> Result {
    // SAFETY: Per the requirements; `data` lies in the head buffer, after `head`.
    unsafe {
        let offset = u16::try_from((*skb).data.offset_from((*skb).head)).map_err(|_| EINVAL)?;
        let headers = (*skb).__bindgen_anon_4.headers.as_mut();
        headers.network_header = offset;
        headers.transport_header = offset.checked_add(transport).ok_or(EINVAL)?;
    }
    Ok(())
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
    // SAFETY: Per the requirements; the linear area is `len - data_len` bytes from `data`,
    // and both ends lie in the head buffer, as the network header does.
    unsafe {
        let nh = network_header(skb);
        let headlen = (*skb).len.wrapping_sub((*skb).data_len) as usize;
        let end = (*skb).data.wrapping_add(headlen);
        (nh, usize::try_from(end.offset_from(nh)).unwrap_or(0))
    }
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
