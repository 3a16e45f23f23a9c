// SPDX-License-Identifier: GPL-2.0
//! Synchronisation for the packet path: values published under RCU, a sequence cell and inline
//! relaxed loads, on the `kernel` crate's RCU, atomics and barriers.

pub(crate) mod rcu;
pub(crate) mod relaxed;
pub(crate) mod seqcell;
