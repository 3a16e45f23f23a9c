//! IOAM packet formats over byte slices, with no allocation and no panics.
//!
//! This crate root is for Cargo (host tests); `ioam_rs.ko` compiles the same module files.
#![no_std]
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod dex;
pub mod egress;
pub mod fill;
pub mod flags;
pub mod freq;
pub mod hbh;
pub mod incremental;
pub mod nla;
pub mod option;
pub mod parse;
pub mod route;
pub mod timestamp;
pub mod trace;
