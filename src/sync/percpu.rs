// SPDX-License-Identifier: GPL-2.0
//! Per-CPU counters: each CPU adds to its own copy, with no atomic operation and no cache
//! line shared between CPUs (on x86-64 one instruction, `this_cpu_add()`'s); a read sums the
//! copies. For counters bumped on the packet path of every CPU.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use core::ptr::NonNull;
use kernel::prelude::*;

use crate::net::sys;

/// `N` counters, one copy of each per possible CPU.
///
/// # Invariants
///
/// `base` is a per-CPU allocation of `N` zero-initialised `u64` from `__alloc_percpu()`, owned
/// by this value: each CPU's copy is written only by that CPU, through `this_cpu_add()`.
pub(crate) struct PerCpuCounters<const N: usize> {
    base: NonNull<u64>,
}

// SAFETY: The allocation is owned (freed by `Drop` alone); `&self` only adds on the current
// CPU (a single preemption-safe operation) and reads with `READ_ONCE()`.
unsafe impl<const N: usize> Send for PerCpuCounters<N> {}
// SAFETY: See `Send`.
unsafe impl<const N: usize> Sync for PerCpuCounters<N> {}

impl<const N: usize> PerCpuCounters<N> {
    /// `N` counters at 0. Allocates (may sleep).
    pub(crate) fn new() -> Result<Self> {
        let size = N.checked_mul(size_of::<u64>()).ok_or(ENOMEM)?;
        // SAFETY: Any size and a power-of-two alignment are valid; the memory is zeroed.
        let base = unsafe { sys::ioam_rs_alloc_percpu(size, align_of::<u64>()) };
        // INVARIANT: A fresh zeroed allocation of `N` `u64` per CPU.
        Ok(Self {
            base: NonNull::new(base.cast::<u64>()).ok_or(ENOMEM)?,
        })
    }

    /// Adds `n` to counter `i` (ignored when `i >= N`) on the current CPU.
    #[inline]
    pub(crate) fn add(&self, i: usize, n: u64) {
        if i >= N {
            return;
        }
        // In bounds: `i < N`.
        let counter = self.base.as_ptr().wrapping_add(i);
        this_cpu_add(counter, n);
    }

    /// Counter `i`'s total over all CPUs (0 when `i >= N`); wraps as the copies do.
    pub(crate) fn sum(&self, i: usize) -> u64 {
        if i >= N {
            return 0;
        }
        let counter = self.base.as_ptr().wrapping_add(i);
        let mut total = 0u64;
        for cpu in 0..kernel::cpu::nr_cpu_ids() {
            // SAFETY: `cpu` is below `nr_cpu_ids`.
            if !unsafe { sys::ioam_rs_cpu_possible(cpu) } {
                continue;
            }
            // SAFETY: `counter` is in a live per-CPU allocation (type invariant) and `cpu` is a
            // possible CPU, so its copy exists; that CPU may be adding to it: read once.
            let copy = unsafe { sys::read_once(sys::ioam_rs_per_cpu_ptr(counter.cast(), cpu)) };
            total = total.wrapping_add(copy);
        }
        total
    }
}

impl<const N: usize> Drop for PerCpuCounters<N> {
    fn drop(&mut self) {
        // SAFETY: `base` came from `__alloc_percpu()` and is freed once, here.
        unsafe { sys::free_percpu(self.base.as_ptr().cast()) };
    }
}

/// `this_cpu_add(*counter, n)`: one `gs`-relative instruction, which neither an interrupt nor
/// preemption can split.
#[cfg(all(CONFIG_X86_64, CONFIG_SMP))]
#[inline(always)]
fn this_cpu_add(counter: *mut u64, n: u64) {
    // SAFETY: `counter` is a per-CPU address (the callers' invariant): relative to `gs`, which
    // the kernel points at the current CPU's area, it is this CPU's copy.
    unsafe {
        core::arch::asm!(
            "add qword ptr gs:[{counter}], {n}",
            counter = in(reg) counter,
            n = in(reg) n,
            options(nostack),
        )
    };
}

/// `this_cpu_add(*counter, n)`, the kernel's generic version.
#[cfg(not(all(CONFIG_X86_64, CONFIG_SMP)))]
#[inline(always)]
fn this_cpu_add(counter: *mut u64, n: u64) {
    // SAFETY: `counter` is a per-CPU address (the callers' invariant).
    unsafe { sys::ioam_rs_this_cpu_add_u64(counter.cast(), n) };
}
