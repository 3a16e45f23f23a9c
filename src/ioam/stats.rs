// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace counters, bumped lock-free on the packet path.

use kernel::sync::atomic::{Atomic, Relaxed};

use crate::uapi::stat;

/// One counter per `uapi::stat` number (index 0 and `PAD` unused).
const SLOTS: usize = stat::MAX as usize + 1;

/// What the packet path counts; read by `ioamctl stats`.
pub(crate) struct Stats {
    counters: [Atomic<u64>; SLOTS],
}

impl Stats {
    pub(crate) const fn new() -> Self {
        Self {
            counters: [const { Atomic::new(0) }; SLOTS],
        }
    }

    /// Adds one to counter `id` (a `uapi::stat` number).
    pub(crate) fn bump(&self, id: u16) {
        if let Some(c) = self.counters.get(usize::from(id)) {
            c.add(1, Relaxed);
        }
    }

    /// Counter `id`'s value (a `uapi::stat` number).
    pub(crate) fn get(&self, id: u16) -> u64 {
        self.counters
            .get(usize::from(id))
            .map_or(0, |c| c.load(Relaxed))
    }
}
