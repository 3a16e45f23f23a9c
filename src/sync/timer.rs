// SPDX-License-Identifier: GPL-2.0
//! A kernel timer (`timer_list`) inside the value it works for: armed through that value, it
//! runs the value's [`TimerCallback`] in softirq context, on some CPU.
//!
//! C header: [`include/linux/timer.h`](srctree/include/linux/timer.h)

use core::{ffi::CStr, marker::PhantomData};
use kernel::{prelude::*, sync::LockClassKey, time::Jiffies, types::Opaque};

use crate::net::sys;

/// What a timer's owner does when its timer fires: in softirq context, so it must not sleep.
pub(crate) trait TimerCallback: Sync {
    /// Runs once per expiry.
    fn run(&self);
}

/// A value with a [`Timer`] in it.
///
/// # Safety
///
/// `OFFSET` is the offset in `Self` of a `Timer<Self>` field, and that field is the first one
/// `Self` declares: it is dropped first, so the timer is shut down (no callback running, none
/// to come) before anything the callback reads is dropped.
pub(crate) unsafe trait HasTimer: TimerCallback + Sized {
    /// Where the `Timer<Self>` is in `Self`.
    const OFFSET: usize;
}

/// A timer that calls `T::run` on the `T` it is in.
///
/// # Invariants
///
/// `raw` is initialised with [`callback::<T>`] as its function; it is only armed by
/// [`Timer::arm`], through the `T` it sits in.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct Timer<T: HasTimer> {
    #[pin]
    raw: Opaque<sys::timer_list>,
    _owner: PhantomData<T>,
}

// SAFETY: The kernel serialises its own accesses to the `timer_list`; `T` is `Sync`.
unsafe impl<T: HasTimer> Send for Timer<T> {}
// SAFETY: See `Send`: `mod_timer()` and `timer_shutdown_sync()` may be called from any CPU.
unsafe impl<T: HasTimer> Sync for Timer<T> {}

impl<T: HasTimer> Timer<T> {
    /// An idle timer, named `name` and of lock class `key` for lockdep.
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: Initialised with `callback::<T>`; arming is `arm`'s alone.
            raw <- Opaque::ffi_init(move |raw: *mut sys::timer_list| {
                // SAFETY: `raw` is valid for writes and pinned; `name` and `key` are `'static`.
                unsafe {
                    sys::timer_init_key(
                        raw,
                        Some(callback::<T>),
                        0,
                        name.as_char_ptr(),
                        key.as_ptr().cast(),
                    )
                }
            }),
            _owner: PhantomData,
        })
    }

    /// Makes `owner`'s timer fire in `delay` jiffies (from any context). Called while it is
    /// pending, moves its expiry.
    pub(crate) fn arm(owner: &T, delay: Jiffies) {
        // SAFETY: `OFFSET` is where `owner`'s `Timer<T>` is (`HasTimer`).
        let timer = unsafe {
            &*core::ptr::from_ref(owner)
                .cast::<u8>()
                .add(T::OFFSET)
                .cast::<Self>()
        };
        let now = super::clock::jiffies();
        // SAFETY: `raw` is initialised (type invariant) and pinned in `owner`; the callback
        // finds `owner` from it at `T::OFFSET`. Jiffies wrap by design.
        unsafe { sys::mod_timer(timer.raw.get(), now.wrapping_add(delay)) };
    }

    /// Stops the timer for good: waits for a running callback, and arming it does nothing any
    /// more. For the owner's teardown, in process context.
    pub(crate) fn shut_down(&self) {
        // SAFETY: `raw` is initialised (type invariant); process context may wait.
        unsafe { sys::timer_shutdown_sync(self.raw.get()) };
    }
}

#[pinned_drop]
impl<T: HasTimer> PinnedDrop for Timer<T> {
    fn drop(self: Pin<&mut Self>) {
        self.shut_down();
    }
}

/// # Safety
///
/// Called by the kernel when a timer armed by [`Timer::arm`] expires.
unsafe extern "C" fn callback<T: HasTimer>(raw: *mut sys::timer_list) {
    // SAFETY: Only `Timer::arm` arms the timer, through the `T` it sits in at `T::OFFSET`
    // (`Timer` is `repr(C)`: `raw` is its start). That `T` is alive: its timer is dropped,
    // shutting it down and waiting for this call, before the rest of it (`HasTimer`).
    let owner = unsafe { &*raw.cast::<u8>().sub(T::OFFSET).cast::<T>() };
    owner.run();
}
