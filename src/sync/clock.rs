// SPDX-License-Identifier: GPL-2.0
//! The real-time clock, read with one call: `ktime_get_real()` is a static inline of
//! `ktime_get_with_offset()`, which `kernel::time::RealTime` reaches through a helper call of
//! its own. The packet path reads the clock for timestamps and transit delays.
//!
//! C header: [`include/linux/timekeeping.h`](srctree/include/linux/timekeeping.h)

use crate::net::sys;

/// `ktime_get_real()`: nanoseconds since the epoch (UTC).
#[inline]
pub(crate) fn real_ns() -> i64 {
    // SAFETY: Reading the clock is safe in any context but NMI, where the module never runs.
    unsafe { sys::ktime_get_with_offset(sys::IOAM_RS_TK_OFFS_REAL) }
}
