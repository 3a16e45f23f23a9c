//! The ioam-rs netlink contract.
//!
//! This crate root only wraps [`genl.rs`](genl.rs) (the generic-netlink family) and
//! [`route.rs`](route.rs) (the route attributes) for Cargo; `ioam_rs.ko` includes those files
//! directly, so both sides take every number from one source.
#![no_std]

mod genl;
pub use genl::*;
pub mod route;
