// SPDX-License-Identifier: GPL-2.0
//! The kernel's default work queue, which the `kernel` crate does not name yet.

use crate::net::sys;
use kernel::workqueue::Queue;

/// `system_dfl_wq`: the unbound queue for work that need not run on any particular CPU.
///
/// The `kernel` crate's `workqueue::system()` is `system_wq`, which the kernel deprecates
/// (7.2 and later warn once per boot when work is queued on it).
pub(crate) fn system_dfl() -> &'static Queue {
    // SAFETY: `system_dfl_wq` is allocated at boot, before any module loads, and never freed;
    // it is only read here.
    unsafe { Queue::from_raw(sys::system_dfl_wq.cast()) }
}
