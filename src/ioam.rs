// SPDX-License-Identifier: GPL-2.0
//! The IOAM logic: per-namespace state and its control commands, the encapsulating and transit
//! nodes, the node data they record, trace events and counters. Safe Rust on the wrappers of
//! [`crate::net`] and [`crate::sync`].

#![forbid(unsafe_code)]

pub(crate) mod control;
pub(crate) mod egress;
pub(crate) mod encap;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod node;
pub(crate) mod parked;
pub(crate) mod ratelimit;
pub(crate) mod state;
pub(crate) mod stats;
pub(crate) mod transit;
