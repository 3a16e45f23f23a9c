// SPDX-License-Identifier: GPL-2.0
//! Relaxed loads and compare-and-exchange of atomics, inline.
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

/// Replaces the value of `atomic` with `new` if it is `old` (a relaxed compare-and-exchange,
/// as C's `atomic_try_cmpxchg_relaxed()`): `Ok(old)`, or `Err` with the value found. Inline on
/// x86-64, where `Atomic::cmpxchg` calls a C helper for one `lock cmpxchg`: a sampled route
/// steps its window with it for every packet.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
pub(crate) fn cmpxchg_u32(atomic: &Atomic<u32>, old: u32, new: u32) -> Result<u32, u32> {
    let found: u32;
    // SAFETY: `as_ptr()` is valid and aligned for a `u32` for as long as `atomic` is borrowed.
    // `lock cmpxchg` is the atomic read-modify-write `atomic_try_cmpxchg()` compiles to (it is
    // fully ordered, more than relaxed asks); it compares with and loads into `eax`.
    unsafe {
        core::arch::asm!(
            "lock cmpxchg dword ptr [{ptr}], {new:e}",
            ptr = in(reg) atomic.as_ptr(),
            new = in(reg) new,
            inout("eax") old => found,
            options(nostack),
        )
    };
    if found == old {
        Ok(old)
    } else {
        Err(found)
    }
}

#[cfg(not(CONFIG_X86_64))]
#[inline(always)]
pub(crate) fn cmpxchg_u32(atomic: &Atomic<u32>, old: u32, new: u32) -> Result<u32, u32> {
    atomic.cmpxchg(old, new, kernel::sync::atomic::Relaxed)
}
