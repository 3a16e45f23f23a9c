// SPDX-License-Identifier: GPL-2.0
//! Generic netlink family `IOAM6_RS`: the contract between `ioam_rs.ko` and its clients.
//!
//! Commands and attributes 0..=7 carry the numbers and meaning of the kernel's own `IOAM6`
//! family (`include/uapi/linux/ioam6_genl.h`), so one client can speak to either. Numbers
//! of the project's own come after them. This list is append-only: never renumber.

use core::ffi::CStr;

/// Family name (the kernel's built-in family owns `IOAM6`).
pub const FAMILY_NAME: &CStr = c"IOAM6_RS";
/// Family version.
pub const FAMILY_VERSION: u8 = 1;
/// Multicast group for trace events; joining it needs `CAP_NET_ADMIN`.
pub const EVENTS_GROUP_NAME: &CStr = c"ioam6_events";

/// Commands (`genlmsghdr.cmd`).
pub mod cmd {
    /// Add a namespace: `NS_ID`, optional `NS_DATA`, `NS_DATA_WIDE`.
    pub const ADD_NAMESPACE: u8 = 1;
    /// Delete a namespace: `NS_ID`.
    pub const DEL_NAMESPACE: u8 = 2;
    /// Dump namespaces: `NS_ID`, `NS_DATA` and `NS_DATA_WIDE` unless unavailable, `SC_ID` if bound.
    pub const DUMP_NAMESPACES: u8 = 3;
    /// Add a schema: `SC_ID`, `SC_DATA`.
    pub const ADD_SCHEMA: u8 = 4;
    /// Delete a schema: `SC_ID`.
    pub const DEL_SCHEMA: u8 = 5;
    /// Dump schemas: `SC_ID`, `SC_DATA` (padded), `NS_ID` if bound.
    pub const DUMP_SCHEMAS: u8 = 6;
    /// Bind a schema to a namespace: `NS_ID` and `SC_ID`, or `NS_ID` and `SC_NONE` to unbind.
    pub const NS_SET_SCHEMA: u8 = 7;
    /// Highest command number this version knows.
    pub const MAX: u8 = NS_SET_SCHEMA;
}

/// Attributes of the commands above.
pub mod attr {
    /// Namespace id, `u16`.
    pub const NS_ID: u16 = 1;
    /// Namespace data, `u32`.
    pub const NS_DATA: u16 = 2;
    /// Namespace wide data, `u64`.
    pub const NS_DATA_WIDE: u16 = 3;
    /// Schema id, `u32` holding a 24-bit value.
    pub const SC_ID: u16 = 4;
    /// Schema data, binary, at most [`super::SCHEMA_DATA_MAX`] bytes.
    pub const SC_DATA: u16 = 5;
    /// Flag: unbind the namespace's schema.
    pub const SC_NONE: u16 = 6;
    /// Padding for 64-bit attributes.
    pub const PAD: u16 = 7;
    /// Highest attribute number this version knows.
    pub const MAX: u16 = PAD;
}

/// Trace events, sent on [`EVENTS_GROUP_NAME`] with `genlmsghdr.cmd` set to the event type.
pub mod event {
    /// A node processed a Pre-allocated Trace option.
    pub const TRACE: u8 = 1;
    /// Attributes of an event.
    pub mod attr {
        /// Namespace id, `u16`.
        pub const TRACE_NAMESPACE: u16 = 1;
        /// NodeLen of the trace, in 4-byte units, `u8`.
        pub const TRACE_NODELEN: u16 = 2;
        /// Trace type (24 bits, shifted left by 8 as on the wire), `u32`.
        pub const TRACE_TYPE: u16 = 3;
        /// The filled part of the trace data, binary.
        pub const TRACE_DATA: u16 = 4;
    }
}

/// Largest schema id: Opaque State Snapshot schema ids have 24 bits.
pub const SCHEMA_ID_MAX: u32 = 0x00ff_ffff;
/// Largest schema data: the snapshot length counts 4-byte words in one byte.
pub const SCHEMA_DATA_MAX: usize = 255 * 4;
/// Stored and reported for namespace data the user did not give.
pub const NS_DATA_UNAVAILABLE: u32 = u32::MAX;
/// Stored and reported for namespace wide data the user did not give.
pub const NS_DATA_WIDE_UNAVAILABLE: u64 = u64::MAX;
