// SPDX-License-Identifier: GPL-2.0
//! Synchronisation for the packet path: values published under RCU and a sequence cell, on the
//! `kernel` crate's RCU and barriers.

pub(crate) mod rcu;
pub(crate) mod seqcell;
