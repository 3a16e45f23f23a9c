//! IPFIX (RFC 7011) export of IOAM telemetry: the trace events of `ioam_rs.ko`, decoded
//! with `ioam-wire`, become IPFIX data records that collectors such as pmacct's nfacctd
//! store.
//!
//! - [`ipfix`]: the protocol encoding: field specifiers, templates, messages, and a
//!   session that numbers messages and (re)sends templates.
//! - [`elements`]: the information elements, IANA ones and the enterprise-specific IOAM
//!   node fields.
//! - [`records`]: a [`TraceEvent`](ioamctl::trace::TraceEvent) as per-hop and path records.
//! - [`pmacct`]: the element file that nfacctd reads (`aggregate_primitives`).
//! - [`daemon`]: the `ioam-exporter` daemon's parts (its `main` is `src/main.rs`).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod daemon;
pub mod elements;
pub mod ipfix;
pub mod pmacct;
pub mod records;
