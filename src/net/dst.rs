// SPDX-License-Identifier: GPL-2.0
//! Routes (`dst_entry`): a reference on one, IPv6 route lookups and a per-CPU route cache.
//!
//! C headers: [`include/net/dst.h`](srctree/include/net/dst.h),
//! [`include/net/dst_cache.h`](srctree/include/net/dst_cache.h)

use core::ptr::NonNull;
use kernel::{prelude::*, types::Opaque};

use crate::net::{device::NetDevice, pernet::Net, sys};

/// `EHOSTUNREACH`, which the `kernel` crate does not name: no route to a tunnel's destination.
pub(crate) fn host_unreachable() -> Error {
    Error::from_errno(-(sys::EHOSTUNREACH as i32))
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
    pub(crate) fn into_raw(self) -> *mut sys::dst_entry {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// The route's lightweight-tunnel state, to tell whether a route leads back to us.
    pub(crate) fn lwtstate(&self) -> *const sys::lwtunnel_state {
        // SAFETY: The reference keeps the route alive.
        unsafe { (*self.ptr.as_ptr()).lwtstate }
    }

    /// The route's device, if it has one.
    pub(crate) fn dev(&self) -> Option<&NetDevice> {
        // SAFETY: The reference keeps the route alive, and the route holds its device
        // (`netdev_hold` in `dst_init`) until the route is destroyed: alive for the borrow.
        // `dst_dev()` reads the pointer once (unregistering swaps in the blackhole device).
        unsafe {
            let dev = sys::read_once(&raw const (*self.ptr.as_ptr()).__bindgen_anon_1.dev);
            (!dev.is_null()).then(|| NetDevice::from_raw(dev))
        }
    }

    /// The hop limit of packets sent along the route (`ip6_dst_hoplimit()`: the route's
    /// metric, else the device's or the namespace's default).
    pub(crate) fn hop_limit(&self) -> u8 {
        // SAFETY: The reference keeps the route alive.
        let limit = unsafe { sys::ip6_dst_hoplimit(self.ptr.as_ptr()) };
        u8::try_from(limit).unwrap_or(u8::MAX)
    }

    /// Whether the route goes through a lightweight tunnel.
    pub(crate) fn has_lwtstate(&self) -> bool {
        !self.lwtstate().is_null()
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
