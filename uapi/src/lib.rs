//! The ioam-rs generic-netlink contract.
//!
//! This crate root only wraps [`genl.rs`](genl.rs) for Cargo; `ioam_rs.ko` includes
//! that file directly, so both sides take every number from one source.
#![no_std]

mod genl;
pub use genl::*;
