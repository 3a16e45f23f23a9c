// SPDX-License-Identifier: GPL-2.0
//! Read and write barriers, inline where they are only a compiler barrier.
//!
//! The `kernel` crate's barriers call C helpers. On x86-64, `smp_rmb()` and `smp_wmb()` emit no
//! instruction (both are `barrier()`), so the call is all they cost: here they are the compiler
//! barrier itself. Other architectures use the `kernel` crate's.
//!
//! C header: [`arch/x86/include/asm/barrier.h`](srctree/arch/x86/include/asm/barrier.h)

/// `barrier()`: the compiler keeps memory accesses on their side of it.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
fn barrier() {
    // SAFETY: An empty `asm!` does nothing; without `nomem` the compiler assumes it reads and
    // writes any memory, which makes it the kernel's `barrier()` (`asm volatile("" ::: "memory")`).
    unsafe { core::arch::asm!("") };
}

/// `smp_rmb()`: loads before it are ordered before loads after it.
#[inline(always)]
pub(crate) fn smp_rmb() {
    #[cfg(CONFIG_X86_64)]
    barrier();
    #[cfg(not(CONFIG_X86_64))]
    crate::compat::smp_rmb();
}

/// `smp_wmb()`: stores before it are ordered before stores after it.
#[inline(always)]
pub(crate) fn smp_wmb() {
    #[cfg(CONFIG_X86_64)]
    barrier();
    #[cfg(not(CONFIG_X86_64))]
    crate::compat::smp_wmb();
}
