// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace counters, bumped on the packet path of every CPU without a shared
//! cache line: per-CPU copies, summed when read.

use kernel::prelude::*;

use crate::{sync::percpu::PerCpuCounters, uapi::stat};

/// One counter per `uapi::stat` number (index 0 and `PAD` unused).
const SLOTS: usize = stat::MAX as usize + 1;

/// What the packet path counts; read by `ioamctl stats`.
pub(crate) struct Stats {
    counters: PerCpuCounters<SLOTS>,
}

impl Stats {
    /// Every counter at 0. Allocates (may sleep).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counters: PerCpuCounters::new()?,
        })
    }

    /// Adds one to counter `id` (a `uapi::stat` number).
    #[inline]
    pub(crate) fn bump(&self, id: u16) {
        self.counters.add(usize::from(id), 1);
    }

    /// Counter `id`'s value (a `uapi::stat` number).
    pub(crate) fn get(&self, id: u16) -> u64 {
        self.counters.sum(usize::from(id))
    }
}
