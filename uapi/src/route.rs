// SPDX-License-Identifier: GPL-2.0
//! Attributes of an `encap ioam6` route (`LWTUNNEL_ENCAP_IOAM6`, nested in `RTA_ENCAP`): the
//! contract between `ioam_rs.ko` and its route clients (`ioamctl route`, `ip -6 route`).
//!
//! 1..=6 carry the numbers and meaning of the kernel's `IOAM6_IPTUNNEL_*`
//! (`include/uapi/linux/ioam6_iptunnel.h`), so iproute2 configures and shows routes as it does
//! with the kernel's own implementation. The project's own attributes start at
//! [`attr::OWN_FIRST`], clear of the kernel's numbers with room for them to grow. A stock
//! kernel refuses them (strict validation): a route that needs one is never half-configured.
//! This list is append-only: never renumber.

/// Attribute numbers.
pub mod attr {
    /// `u8`: 1 inline, 2 encap (ip6ip6), 3 auto (inline for local packets, encap for forwarded).
    pub const MODE: u16 = 1;
    /// 16 bytes: the tunnel's destination (modes encap and auto).
    pub const DST: u16 = 2;
    /// 8 bytes: the header of the Pre-allocated Trace to insert (`struct ioam6_trace_hdr`):
    /// namespace id, trace type, and RemainingLen for the size in 4-byte words.
    pub const TRACE: u16 = 3;
    /// `u32`: K of `freq K/N` (trace the first K packets of every N).
    pub const FREQ_K: u16 = 4;
    /// `u32`: N of `freq K/N`.
    pub const FREQ_N: u16 = 5;
    /// 16 bytes: the tunnel's source (modes encap and auto).
    pub const SRC: u16 = 6;
    /// The first number of the project's own attributes.
    pub const OWN_FIRST: u16 = 16;
    /// 8 bytes: the header of an Incremental Trace to insert (RFC 9197 §4.4), laid out as
    /// [`TRACE`]'s: namespace id, trace type, and RemainingLen for the most all nodes together
    /// may add, in 4-byte words (the encapsulating node's own entry included). Exclusive with
    /// [`TRACE`]. `ip -6 route` shows such a route as `encap ioam6` alone.
    pub const INCREMENTAL_TRACE: u16 = OWN_FIRST;
    /// 8 bytes: the header of a Direct Export option to insert (RFC 9326): namespace id (16
    /// bits), flags (8, zero), Extension-Flags (8: 0x80 Flow ID, 0x40 Sequence Number), trace
    /// type (24), reserved (8, zero). Exclusive with [`TRACE`] and [`INCREMENTAL_TRACE`]. A
    /// flagged Sequence Number counts the route's DEX packets from 0.
    pub const DEX: u16 = OWN_FIRST + 1;
    /// `u32`: the Flow ID a [`DEX`] route sends; present exactly when its Flow ID flag is set.
    pub const DEX_FLOW_ID: u16 = OWN_FIRST + 2;
    /// Highest attribute number this version knows.
    pub const MAX: u16 = DEX_FLOW_ID;
}
