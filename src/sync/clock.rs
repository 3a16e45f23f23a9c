// SPDX-License-Identifier: GPL-2.0
//! The clocks the packet path reads: the real-time clock, for timestamps and transit delays,
//! read with one call (`ktime_get_real()` is a static inline of `ktime_get_with_offset()`,
//! which `kernel::time::RealTime` reaches through a helper call of its own); and the tick
//! count, `jiffies`.
//!
//! C headers: [`include/linux/timekeeping.h`](srctree/include/linux/timekeeping.h),
//! [`include/linux/jiffies.h`](srctree/include/linux/jiffies.h)

use kernel::time::Jiffies;

use crate::net::sys;

/// `ktime_get_real()`: nanoseconds since the epoch (UTC).
#[inline]
pub(crate) fn real_ns() -> i64 {
    // SAFETY: Reading the clock is safe in any context but NMI, where the module never runs.
    unsafe { sys::ktime_get_with_offset(sys::IOAM_RS_TK_OFFS_REAL) }
}

/// `jiffies`: ticks since boot, wrapping (compare with `wrapping_sub`).
#[inline]
pub(crate) fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a kernel variable, always readable; read once, as `READ_ONCE()`.
    unsafe { core::ptr::read_volatile(&raw const sys::jiffies) }
}
