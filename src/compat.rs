// SPDX-License-Identifier: GPL-2.0
//! What differs between the kernel series the module supports (7.2 and 7.3), in one place.
//!
//! `Kbuild` passes `--cfg kernel_7_3` for 7.3 and later, from the kernel's own version.

use pin_init::PinInit;

/// `smp_rmb()`: loads before it are ordered before loads after it.
#[cfg(not(CONFIG_X86_64))]
#[inline(always)]
pub(crate) fn smp_rmb() {
    #[cfg(not(kernel_7_3))]
    kernel::sync::barrier::smp_rmb();
    #[cfg(kernel_7_3)]
    kernel::sync::barrier::smp_mb(kernel::sync::barrier::Read);
}

/// `smp_wmb()`: stores before it are ordered before stores after it.
#[cfg(not(CONFIG_X86_64))]
#[inline(always)]
pub(crate) fn smp_wmb() {
    #[cfg(not(kernel_7_3))]
    kernel::sync::barrier::smp_wmb();
    #[cfg(kernel_7_3)]
    kernel::sync::barrier::smp_mb(kernel::sync::barrier::Write);
}

/// Runs `init` on `slot`.
///
/// # Safety
///
/// As `PinInit::__pinned_init` (7.2) and `pin_init::raw_try_init` (7.3): `slot` is valid for
/// writes and uninitialised, is not touched on `Err` but to free it, and never moves.
#[inline(always)]
pub(crate) unsafe fn pin_init_raw<T, E>(slot: *mut T, init: impl PinInit<T, E>) -> Result<(), E> {
    #[cfg(not(kernel_7_3))]
    // SAFETY: Per the function's requirements, which are those of `__pinned_init`.
    let result = unsafe { init.__pinned_init(slot) };
    #[cfg(kernel_7_3)]
    // SAFETY: Per the function's requirements, which are those of `raw_try_init`.
    let result = unsafe { pin_init::raw_try_init(slot, init) };
    result
}
