// SPDX-License-Identifier: GPL-2.0
//! Relaxed loads of atomics, inline.
//!
//! `Atomic::load` calls a C helper (`atomic_read()`) for what is one `READ_ONCE()`: on the
//! packet path, where a route's sampling window and its tunnel cache are read per packet, the
//! call costs more than the load.

use kernel::sync::atomic::Atomic;

/// The value of `atomic`, loaded as C's `atomic_read()` loads it.
#[inline(always)]
pub(crate) fn load(atomic: &Atomic<u32>) -> u32 {
    // SAFETY: `as_ptr()` is valid and aligned for as long as `atomic` is borrowed; a volatile
    // read is `READ_ONCE()`, a marked access that races with no atomic operation under the
    // LKMM (it is what `atomic_read()` itself does).
    unsafe { atomic.as_ptr().read_volatile() }
}
