// SPDX-License-Identifier: GPL-2.0
//! Network devices: a device borrowed on the packet path, and the notifications that one goes
//! away.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use core::marker::PhantomData;
use kernel::{ffi, prelude::*, types::Opaque};

use crate::net::{pernet::Net, sys};

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

    /// The device's IPv6 configuration (`__in6_dev_get`), if it has one: valid while the
    /// device is borrowed (under RCU, on the packet path). A pointer, not a reference: sysctl
    /// writers change it at any time, so its fields are only read with `read_once`.
    fn ipv6_conf(&self) -> Option<*const sys::ipv6_devconf> {
        // SAFETY: The device is alive; `ip6_ptr` is RCU-managed and read once, as
        // `rcu_dereference` does. A non-null `inet6_dev` stays alive until the RCU read side
        // ends, which outlives this borrow of the device (type invariant).
        unsafe {
            let idev = sys::read_once(&raw const (*self.raw()).ip6_ptr);
            (!idev.is_null()).then(|| &raw const (*idev).cnf)
        }
    }

    /// The IOAM interface ids `(net.ipv6.conf.DEV.ioam6_id, ioam6_id_wide)`, if the device
    /// has IPv6 configuration.
    pub(crate) fn ioam_ids(&self) -> Option<(u32, u32)> {
        let cnf = self.ipv6_conf()?;
        // SAFETY: `cnf` is alive (see `ipv6_conf`); sysctls, which may change at any time: each
        // is read once.
        unsafe {
            Some((
                sys::read_once(&raw const (*cnf).ioam6_id),
                sys::read_once(&raw const (*cnf).ioam6_id_wide),
            ))
        }
    }

    /// Whether the kernel's `net.ipv6.conf.DEV.ioam6_enabled` is set.
    pub(crate) fn kernel_ioam_enabled(&self) -> bool {
        self.ipv6_conf().is_some_and(|cnf| {
            // SAFETY: As in `ioam_ids`: a sysctl, read once.
            let enabled = unsafe { sys::read_once(&raw const (*cnf).ioam6_enabled) };
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

    /// How many transmit queues the device uses (`real_num_tx_queues`).
    pub(crate) fn tx_queue_count(&self) -> u32 {
        // SAFETY: The device is alive; the count changes under RTNL, so it is read once.
        unsafe { sys::read_once(&raw const (*self.raw()).real_num_tx_queues) }
    }

    /// Whether the driver chooses the transmit queue of each packet (`ndo_select_queue`).
    pub(crate) fn selects_own_queue(&self) -> bool {
        // SAFETY: The device is alive; `netdev_ops` is set at registration, and the table is
        // static while the device is registered.
        unsafe {
            let ops = (*self.raw()).netdev_ops;
            ops.is_null() || (*ops).ndo_select_queue.is_some()
        }
    }

    /// The `net_device` pointer, for calls into the kernel.
    pub(crate) fn as_ptr(&self) -> *mut sys::net_device {
        self.raw()
    }

    /// The device's network namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: A live device holds its namespace alive; `dev_net()` reads `nd_net` once
        // (it changes only while the device moves between namespaces, under RTNL).
        unsafe { Net::from_raw(sys::read_once(&raw const (*self.raw()).nd_net.net)) }
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

    /// Link-layer headroom the device wants (`LL_RESERVED_SPACE`): its header and extra
    /// headroom, rounded down to 16 bytes, plus 16.
    pub(crate) fn ll_reserved_space(&self) -> u32 {
        const HH_DATA_MOD: u32 = 16;
        // SAFETY: The device is alive. `needed_headroom` may grow at any time (a stacked
        // device's), so it is read once, as the macro does.
        let (header, extra) = unsafe {
            (
                (*self.raw()).hard_header_len,
                sys::read_once(&raw const (*self.raw()).needed_headroom),
            )
        };
        // Two u16 values: their sum and the rounding fit in u32.
        ((u32::from(header) + u32::from(extra)) & !(HH_DATA_MOD - 1)) + HH_DATA_MOD
    }
}

/// What a [`Registration`] reports.
pub(crate) trait NetdevEvents: 'static {
    /// `dev` is being unregistered (process context, RTNL held; may sleep).
    fn unregistering(dev: &NetDevice);
}

/// A registered netdevice notifier for `T`, in every network namespace; unregistered on drop.
///
/// # Invariants
///
/// `nb` is registered with the kernel for the whole life of the registration.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: NetdevEvents> {
    #[pin]
    nb: Opaque<sys::notifier_block>,
    _t: PhantomData<T>,
}

// SAFETY: The kernel owns `nb` while registered; we never touch it otherwise.
unsafe impl<T: NetdevEvents> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl<T: NetdevEvents> Sync for Registration<T> {}

impl<T: NetdevEvents> Registration<T> {
    pub(crate) fn register() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            nb <- Opaque::try_ffi_init(|nb: *mut sys::notifier_block| -> Result {
                // SAFETY: `nb` is valid for writes; all-zeroes is a valid `notifier_block`.
                unsafe { nb.write(pin_init::zeroed()) };
                // SAFETY: `nb` was just initialised and is not registered yet.
                unsafe { (*nb).notifier_call = Some(notifier_callback::<T>) };
                // SAFETY: `nb` is pinned and outlives the registration (unregistered on drop).
                kernel::error::to_result(unsafe { sys::register_netdevice_notifier(nb) })
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: NetdevEvents> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered by `register` (type invariant).
        unsafe { sys::unregister_netdevice_notifier(self.nb.get()) };
    }
}

/// # Safety
///
/// Called by the kernel for a netdevice event, with `ptr` its `netdev_notifier_info`.
unsafe extern "C" fn notifier_callback<T: NetdevEvents>(
    _nb: *mut sys::notifier_block,
    action: ffi::c_ulong,
    ptr: *mut ffi::c_void,
) -> ffi::c_int {
    if action == ffi::c_ulong::from(sys::IOAM_RS_NETDEV_UNREGISTER) {
        // SAFETY: For netdevice events `ptr` is a `netdev_notifier_info` naming a live device.
        let dev = unsafe { sys::ioam_rs_netdev_notifier_info_to_dev(ptr) };
        if !dev.is_null() {
            // SAFETY: The device is alive for the duration of the notification.
            T::unregistering(unsafe { NetDevice::from_raw(dev) });
        }
    }
    sys::IOAM_RS_NOTIFY_DONE
}
