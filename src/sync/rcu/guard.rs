// SPDX-License-Identifier: GPL-2.0
//! RCU read-side critical sections: one opened here, or the caller's own.
//!
//! The kernel calls the packet-path callbacks (`lwtunnel_xmit()`, `lwtunnel_output()`,
//! netfilter hooks) inside a read-side section already; a guard for it costs nothing, where
//! opening a nested one costs two calls into C per packet.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use kernel::sync::rcu;

/// Evidence of an RCU read-side critical section that lasts as long as the guard: values
/// published under RCU may be read for that long.
///
/// Not `Send`: a section belongs to the context that entered it.
pub(crate) struct Guard {
    /// The section this guard opened (closed when it drops); `None` for the caller's own.
    _opened: Option<rcu::Guard>,
}

impl Guard {
    /// A guard for the section the caller is in.
    ///
    /// # Safety
    ///
    /// The caller is inside an RCU read-side critical section and stays in it until the
    /// returned guard is dropped.
    pub(crate) unsafe fn held() -> Self {
        Self { _opened: None }
    }
}

/// Opens a read-side critical section, closed when the guard drops.
pub(crate) fn read_lock() -> Guard {
    Guard {
        _opened: Some(rcu::read_lock()),
    }
}
