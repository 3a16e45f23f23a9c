// SPDX-License-Identifier: GPL-2.0
//! Relaxed loads of atomics, inline.
//!
//! `Atomic::load` calls a C helper (`atomic_read()`, `smp_load_acquire()`) for what is one
//! `READ_ONCE()`: on the packet path, where a route's sampling window, its tunnel cache and
//! RCU-published pointers are read per packet, the call costs more than the load.

use kernel::sync::atomic::{Atomic, AtomicType};

/// The value of `atomic`, loaded as C's `READ_ONCE()` loads it. Reads through a loaded pointer
/// (or at a loaded index) are ordered after it by their address dependency (LKMM), as after
/// `rcu_dereference()`: a writer's release store publishes what such reads see.
#[inline(always)]
pub(crate) fn load<T: AtomicType>(atomic: &Atomic<T>) -> T {
    // SAFETY: `as_ptr()` is valid and aligned for a `T` for as long as `atomic` is borrowed,
    // and holds a valid `T` (only `T`s are stored). A volatile read is `READ_ONCE()`, a marked
    // access that races with no atomic operation under the LKMM (it is what `atomic_read()`
    // itself does).
    unsafe { atomic.as_ptr().read_volatile() }
}
