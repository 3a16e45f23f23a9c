// SPDX-License-Identifier: GPL-2.0
//! Per-CPU counters: each CPU adds to its own copy, with no atomic operation and no cache
//! line shared between CPUs (on x86-64 one instruction, `this_cpu_add()`'s); a read sums the
//! copies. For counters bumped on the packet path of every CPU. And per-CPU scratch state of
//! the packet path, used with bottom halves off.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use core::{marker::PhantomData, ptr::NonNull};
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
        for cpu in possible_cpus() {
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

/// The possible CPUs (each has a copy of every per-CPU allocation).
fn possible_cpus() -> impl Iterator<Item = u32> {
    (0..kernel::cpu::nr_cpu_ids()).filter(|&cpu| {
        // SAFETY: `cpu` is below `nr_cpu_ids`.
        unsafe { sys::ioam_rs_cpu_possible(cpu) }
    })
}

// The per-CPU variables behind `preempt_count()` and `this_cpu_ptr()` on x86-64, read
// `gs`-relative as the kernel's inline functions read them (both exported to modules).
#[cfg(all(CONFIG_X86_64, CONFIG_SMP, not(CONFIG_PREEMPT_RT)))]
extern "C" {
    static __preempt_count: i32;
    static this_cpu_off: usize;
}

/// `in_softirq() && !in_hardirq() && !in_nmi()`: one `gs`-relative load of the preemption
/// count, as `preempt_count()` is, instead of a call (softirq and hard interrupt nesting are
/// counted there unless the kernel is PREEMPT_RT).
#[cfg(all(CONFIG_X86_64, CONFIG_SMP, not(CONFIG_PREEMPT_RT)))]
#[inline(always)]
fn in_bh() -> bool {
    let count: u32;
    // SAFETY: `__preempt_count` is a per-CPU variable: relative to `gs`, which the kernel
    // points at the current CPU's area, it is this CPU's count. A plain read, as the kernel's.
    unsafe {
        core::arch::asm!(
            "mov {count:e}, dword ptr gs:[{var}]",
            count = out(reg) count,
            var = sym __preempt_count,
            options(nostack, readonly, preserves_flags),
        )
    };
    count & sys::IOAM_RS_SOFTIRQ_MASK != 0 && count & sys::IOAM_RS_HARDIRQ_NMI_MASK == 0
}

/// `in_softirq() && !in_hardirq() && !in_nmi()`, the kernel's generic version.
#[cfg(not(all(CONFIG_X86_64, CONFIG_SMP, not(CONFIG_PREEMPT_RT))))]
#[inline(always)]
fn in_bh() -> bool {
    // SAFETY: Reads the current context's preemption count.
    unsafe { sys::ioam_rs_in_bh() }
}

/// `this_cpu_ptr(ptr)`: `ptr` plus this CPU's offset, one `gs`-relative load (the kernel's
/// `arch_raw_cpu_ptr()`).
///
/// # Safety
///
/// `ptr` is a per-CPU address; the caller stays on this CPU while it uses the result.
#[cfg(all(CONFIG_X86_64, CONFIG_SMP, not(CONFIG_PREEMPT_RT)))]
#[inline(always)]
unsafe fn this_cpu_ptr<T>(ptr: *mut T) -> *mut T {
    let offset: usize;
    // SAFETY: `this_cpu_off` is a per-CPU variable, read `gs`-relative as above: this CPU's
    // offset of its per-CPU area.
    unsafe {
        core::arch::asm!(
            "mov {offset}, qword ptr gs:[{var}]",
            offset = out(reg) offset,
            var = sym this_cpu_off,
            options(nostack, readonly, preserves_flags),
        )
    };
    ptr.cast::<u8>().wrapping_add(offset).cast::<T>()
}

/// `this_cpu_ptr(ptr)`, the kernel's generic version.
///
/// # Safety
///
/// As above.
#[cfg(not(all(CONFIG_X86_64, CONFIG_SMP, not(CONFIG_PREEMPT_RT))))]
#[inline(always)]
unsafe fn this_cpu_ptr<T>(ptr: *mut T) -> *mut T {
    // SAFETY: `ptr` is a per-CPU address (the caller's contract).
    unsafe { sys::ioam_rs_this_cpu_ptr(ptr.cast()) }.cast::<T>()
}

/// Proof that bottom halves are off on the current CPU (in a softirq, or in process context
/// between `local_bh_disable()` and `local_bh_enable()`): no softirq runs on this CPU and the
/// task stays on it until the proof's scope ends.
///
/// # Invariants
///
/// Only lent, by [`BhOff::with`], to a closure that runs while bottom halves are off.
pub(crate) struct BhOff(PhantomData<*mut ()>);

impl BhOff {
    /// Runs `f` with the proof if bottom halves are off here (and this is not a hard interrupt
    /// or an NMI); `None` otherwise.
    #[inline]
    pub(crate) fn with<R>(f: impl FnOnce(&mut BhOff) -> R) -> Option<R> {
        if !in_bh() {
            return None;
        }
        // INVARIANT: Bottom halves are off (checked above) and stay off while `f` runs: it
        // cannot turn them on (only the code that turned them off does, after we return).
        Some(f(&mut BhOff(PhantomData)))
    }
}

/// One `T` per possible CPU, each used only by its CPU with bottom halves off: per-CPU scratch
/// state of the packet path, shared with no other context.
///
/// # Invariants
///
/// `base` is a per-CPU allocation of a zeroed `T` from `__alloc_percpu()`, owned by this value;
/// each CPU's copy is only accessed through [`PerCpu::with_local`], on that CPU.
pub(crate) struct PerCpu<T: Zeroable> {
    base: NonNull<T>,
}

// SAFETY: The allocation is owned (freed by `Drop` alone); the copies are `T`s, each used by
// one CPU at a time.
unsafe impl<T: Zeroable + Send> Send for PerCpu<T> {}
// SAFETY: `&self` gives access to the current CPU's copy only, with bottom halves off.
unsafe impl<T: Zeroable + Send> Sync for PerCpu<T> {}

impl<T: Zeroable> PerCpu<T> {
    /// A zeroed `T` per CPU. Allocates (may sleep).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Any size and a power-of-two alignment are valid; the memory is zeroed, a
        // valid `T` (`Zeroable`).
        let base = unsafe { sys::ioam_rs_alloc_percpu(size_of::<T>(), align_of::<T>()) };
        // INVARIANT: A fresh zeroed allocation of one `T` per CPU.
        Ok(Self {
            base: NonNull::new(base.cast::<T>()).ok_or(ENOMEM)?,
        })
    }

    /// Runs `f` on the current CPU's copy.
    #[inline]
    pub(crate) fn with_local<R>(&self, _bh: &mut BhOff, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: `base` is a live per-CPU allocation (type invariant).
        let local = unsafe { this_cpu_ptr(self.base.as_ptr()) };
        // SAFETY: `local` is this CPU's copy, a valid `T`. Bottom halves are off (`_bh`), so
        // this CPU runs no other softirq and this task no other code meanwhile, hard
        // interrupts never touch it, and `_bh` is borrowed for the call, so `f` cannot nest
        // another `with_local`: the reference is unique while `f` runs.
        f(unsafe { &mut *local })
    }
}

impl<T: Zeroable> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: `base` came from `__alloc_percpu()` and is freed once, here.
        unsafe { sys::free_percpu(self.base.as_ptr().cast()) };
    }
}

/// One `T` per possible CPU, shared: any context may use any CPU's copy, through `&T` (so `T`
/// synchronises itself, with atomics). Each CPU works on its own copy, so that CPUs share no
/// cache line; a sweep visits them all.
///
/// # Invariants
///
/// `base` is a per-CPU allocation of a zeroed `T` from `__alloc_percpu()`, owned by this value,
/// only accessed through shared references.
pub(crate) struct PerCpuShared<T: Zeroable + Sync> {
    base: NonNull<T>,
}

// SAFETY: The allocation is owned (freed by `Drop` alone); the copies are `Sync`.
unsafe impl<T: Zeroable + Sync + Send> Send for PerCpuShared<T> {}
// SAFETY: Only `&T` is handed out, and `T` is `Sync`.
unsafe impl<T: Zeroable + Sync> Sync for PerCpuShared<T> {}

impl<T: Zeroable + Sync> PerCpuShared<T> {
    /// A zeroed `T` per CPU. Allocates (may sleep).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: As in `PerCpu::new`.
        let base = unsafe { sys::ioam_rs_alloc_percpu(size_of::<T>(), align_of::<T>()) };
        // INVARIANT: A fresh zeroed allocation of one `T` per CPU.
        Ok(Self {
            base: NonNull::new(base.cast::<T>()).ok_or(ENOMEM)?,
        })
    }

    /// The current CPU's copy (bottom halves off: the CPU stays the same while it is used).
    #[inline]
    pub(crate) fn local(&self, _bh: &BhOff) -> &T {
        // SAFETY: `base` is a live per-CPU allocation (type invariant); `_bh` keeps this task on
        // this CPU while the proof lives.
        let local = unsafe { this_cpu_ptr(self.base.as_ptr()) };
        // SAFETY: `local` is this CPU's copy, a valid `T`, only ever shared.
        unsafe { &*local }
    }

    /// Calls `f` on every possible CPU's copy.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&T)) {
        for cpu in possible_cpus() {
            // SAFETY: `base` is a live per-CPU allocation and `cpu` a possible CPU: its copy
            // exists (the helper only adds that CPU's offset, whatever the pointee type).
            let copy = unsafe { sys::ioam_rs_per_cpu_ptr(self.base.as_ptr().cast(), cpu) };
            // SAFETY: A valid `T`, only ever shared (type invariant).
            f(unsafe { &*copy.cast::<T>() });
        }
    }
}

impl<T: Zeroable + Sync> Drop for PerCpuShared<T> {
    fn drop(&mut self) {
        // SAFETY: `base` came from `__alloc_percpu()` and is freed once, here.
        unsafe { sys::free_percpu(self.base.as_ptr().cast()) };
    }
}
