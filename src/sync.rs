// SPDX-License-Identifier: GPL-2.0
//! Synchronisation for the packet path: values published under RCU, a sequence cell, per-CPU
//! counters, inline relaxed loads and barriers, on the `kernel` crate's RCU, atomics and barriers;
//! the default work queue; the real-time clock.

pub(crate) mod barrier;
pub(crate) mod clock;
pub(crate) mod percpu;
pub(crate) mod rcu;
pub(crate) mod relaxed;
pub(crate) mod seqcell;
pub(crate) mod timer;
pub(crate) mod workqueue;
