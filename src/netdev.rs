// SPDX-License-Identifier: GPL-2.0
//! Network device notifications: learning that an interface goes away.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use core::marker::PhantomData;
use kernel::{ffi, prelude::*, types::Opaque};

use crate::{skb::NetDevice, sys};

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
