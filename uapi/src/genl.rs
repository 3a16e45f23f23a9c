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
/// Multicast group for trace events, one message per event (as the kernel's `IOAM6` family
/// sends them, for `ip ioam monitor`); joining it needs `CAP_NET_ADMIN`.
pub const EVENTS_GROUP_NAME: &CStr = c"ioam6_events";
/// Multicast group for exporters: the same events, many per message ([`event::BATCH`]), within
/// their own rate limit; joining it needs `CAP_NET_ADMIN`. The family's second group.
pub const EXPORT_GROUP_NAME: &CStr = c"ioam6_export";
/// How long an event waits at most in a batch that is not full, in milliseconds.
pub const EXPORT_FLUSH_MS: u32 = 10;
/// The longest a message of the export group is, headers included: a reader whose buffer
/// takes this many bytes reads every message whole.
pub const EXPORT_MESSAGE_MAX: usize = 32 * 1024;

/// Commands (`genlmsghdr.cmd`).
pub mod cmd {
    /// Add a namespace: `NS_ID`, optional `NS_DATA`, `NS_DATA_WIDE`, `NS_TSFORMAT`.
    pub const ADD_NAMESPACE: u8 = 1;
    /// Delete a namespace: `NS_ID`.
    pub const DEL_NAMESPACE: u8 = 2;
    /// Dump namespaces: `NS_ID`, `NS_DATA` and `NS_DATA_WIDE` unless unavailable, `SC_ID` if bound,
    /// `NS_TSFORMAT` unless POSIX.
    pub const DUMP_NAMESPACES: u8 = 3;
    /// Add a schema: `SC_ID`, `SC_DATA`.
    pub const ADD_SCHEMA: u8 = 4;
    /// Delete a schema: `SC_ID`.
    pub const DEL_SCHEMA: u8 = 5;
    /// Dump schemas: `SC_ID`, `SC_DATA` (padded), `NS_ID` if bound.
    pub const DUMP_SCHEMAS: u8 = 6;
    /// Bind a schema to a namespace: `NS_ID` and `SC_ID`, or `NS_ID` and `SC_NONE` to unbind.
    pub const NS_SET_SCHEMA: u8 = 7;
    /// Dump the namespace's counters and event limits: one message with `STATS` (nested,
    /// attributes of [`super::stat`]), `EVENT_RATE`, `EVENT_BURST`, `LOOPBACK_RATE`,
    /// `LOOPBACK_BURST`, `EXPORT_RATE` and `EXPORT_BURST`.
    pub const DUMP_STATS: u8 = 8;
    /// Turn the module's own IOAM switch of an interface on or off: `IFINDEX`, `IF_ENABLED`.
    pub const SET_INTERFACE: u8 = 9;
    /// Dump the interfaces whose module switch is on: `IFINDEX` per message.
    pub const DUMP_INTERFACES: u8 = 10;
    /// Set the trace-event rate limit of the network namespace: `EVENT_RATE` (events per
    /// second) and `EVENT_BURST` (bucket size), both in `1..=EVENT_LIMIT_MAX`.
    pub const SET_EVENT_LIMIT: u8 = 11;
    /// Set the loopback rate limit of the network namespace (RFC 9322 Loopback: packets marked
    /// as encapsulating node and copies sent back, together): `LOOPBACK_RATE` (per second) and
    /// `LOOPBACK_BURST`, both in `1..=EVENT_LIMIT_MAX`.
    pub const SET_LOOPBACK_LIMIT: u8 = 12;
    /// Set the export rate limit of the network namespace (events batched for
    /// [`super::EXPORT_GROUP_NAME`]): `EXPORT_RATE` (events per second) and `EXPORT_BURST`, both
    /// in `1..=EVENT_LIMIT_MAX`.
    pub const SET_EXPORT_LIMIT: u8 = 13;
    /// Highest command number this version knows.
    pub const MAX: u8 = SET_EXPORT_LIMIT;
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
    /// Interface index, `u32`.
    pub const IFINDEX: u16 = 8;
    /// Whether the module's IOAM switch of the interface is on, `u8` (0 or 1).
    pub const IF_ENABLED: u16 = 9;
    /// Counters, nested: each a `u64` attribute numbered as in [`super::stat`].
    pub const STATS: u16 = 10;
    /// Trace events allowed per second, `u32`.
    pub const EVENT_RATE: u16 = 11;
    /// Trace events allowed in a burst, `u32`.
    pub const EVENT_BURST: u16 = 12;
    /// Loopback packets (marked or copied) allowed per second, `u32`.
    pub const LOOPBACK_RATE: u16 = 13;
    /// Loopback packets allowed in a burst, `u32`.
    pub const LOOPBACK_BURST: u16 = 14;
    /// The namespace's timestamp format (RFC 9197 §5), `u8`: one of [`super::tsformat`].
    pub const NS_TSFORMAT: u16 = 15;
    /// Events batched for exporters allowed per second, `u32`.
    pub const EXPORT_RATE: u16 = 16;
    /// Events batched for exporters allowed in a burst, `u32`.
    pub const EXPORT_BURST: u16 = 17;
    /// Highest attribute number this version knows.
    pub const MAX: u16 = EXPORT_BURST;
}

/// Trace events, sent on [`EVENTS_GROUP_NAME`] with `genlmsghdr.cmd` set to the event type.
pub mod event {
    /// A node processed a Pre-allocated or Incremental Trace option.
    pub const TRACE: u8 = 1;
    /// A node processed a Direct Export option (RFC 9326): its own data for it, as one node's
    /// entry of a trace of the option's type, with the option's namespace, type, and Flow ID
    /// and Sequence Number when the option has them.
    pub const DEX: u8 = 2;
    /// The encapsulating node received a loopback copy (RFC 9322): the copy's trace, as a
    /// trace event's, and the address of the node that sent it back.
    pub const LOOPBACK: u8 = 3;
    /// Events batched for exporters, on [`super::EXPORT_GROUP_NAME`] only: one nested
    /// attribute per event, in the order the CPU that batched them saw them, numbered by its
    /// event type ([`TRACE`], [`DEX`] or [`LOOPBACK`]) and holding that event's attributes.
    /// Each CPU fills its own batch: events of different CPUs are not ordered.
    pub const BATCH: u8 = 4;
    /// Attributes of an event.
    pub mod attr {
        /// Namespace id, `u16`.
        pub const TRACE_NAMESPACE: u16 = 1;
        /// NodeLen of the trace, in 4-byte units, `u8`.
        pub const TRACE_NODELEN: u16 = 2;
        /// The trace type word as received: the 24-bit type above the reserved octet, `u32`.
        pub const TRACE_TYPE: u16 = 3;
        /// The filled part of the trace data, binary; of a DEX event, this node's entry.
        pub const TRACE_DATA: u16 = 4;
        /// DEX: the option's Flow ID, `u32`.
        pub const DEX_FLOW_ID: u16 = 5;
        /// DEX: the option's Sequence Number, `u32`.
        pub const DEX_SEQUENCE: u16 = 6;
        /// The trace's RFC 9322 flags, when it has any: the low bits of the NodeLen byte
        /// (Loopback 0x02, Active 0x01), `u8`.
        pub const TRACE_FLAGS: u16 = 7;
        /// LOOPBACK: the source address of the copy (the node that looped it back), 16 bytes.
        pub const LOOPBACK_SOURCE: u16 = 8;
        /// The namespace's timestamp format at the sending node, unless POSIX, `u8`: one of
        /// [`super::super::tsformat`].
        pub const TRACE_TSFORMAT: u16 = 9;
        /// The source address of the IPv6 header that carries the option (of an ip6ip6
        /// packet, the outer header: the tunnel's), 16 bytes; of a LOOPBACK event, the
        /// copy's.
        pub const PACKET_SRC: u16 = 10;
        /// The destination address of that header, 16 bytes.
        pub const PACKET_DST: u16 = 11;
        /// The flow label of that header (20 bits), `u32`.
        pub const PACKET_FLOW_LABEL: u16 = 12;
    }
}

/// Timestamp formats (RFC 9197 §5), as `NS_TSFORMAT` and `TRACE_TSFORMAT` carry them.
pub mod tsformat {
    /// Seconds since 1970 (UTC) and microseconds; the default, as upstream.
    pub const POSIX: u8 = 0;
    /// PTP truncated: seconds since 1970 in TAI and nanoseconds.
    pub const PTP: u8 = 1;
    /// NTP 64-bit: seconds since 1900 (UTC) and a fraction of 2^-32 s.
    pub const NTP: u8 = 2;
}

/// Counters of a network namespace, the attributes nested in `attr::STATS`. Each is a `u64`
/// counted since the module was loaded (or the network namespace created).
pub mod stat {
    /// Padding for the 64-bit counters.
    pub const PAD: u16 = 1;
    /// Transit: node data written into a trace.
    pub const TRACE_FILLED: u16 = 2;
    /// Transit: no room for this node's data; the Overflow flag was set.
    pub const TRACE_OVERFLOW: u16 = 3;
    /// Transit: the Overflow flag was already set; nothing written.
    pub const TRACE_ALREADY_OVERFLOWED: u16 = 4;
    /// Transit: a trace for a namespace this node does not know; left untouched.
    pub const TRACE_UNKNOWN_NAMESPACE: u16 = 5;
    /// Transit: an IOAM option of another type than Pre-allocated or Incremental Trace; left
    /// untouched.
    pub const OPTION_NOT_PREALLOC: u16 = 6;
    /// Dropped: an IOAM option not at a multiple of 4 bytes from the IPv6 header.
    pub const DROP_MISALIGNED: u16 = 7;
    /// Dropped: a Hop-by-Hop header or IOAM option cut short.
    pub const DROP_TRUNCATED: u16 = 8;
    /// Dropped: RemainingLen covers more than the trace data present.
    pub const DROP_REMAINING_LEN: u16 = 9;
    /// Dropped: NodeLen differs from the one its trace type implies.
    pub const DROP_NODE_LEN: u16 = 10;
    /// Dropped: the packet could not be made writable.
    pub const DROP_NOT_WRITABLE: u16 = 11;
    /// Trace events sent.
    pub const EVENTS_SENT: u16 = 12;
    /// Trace events not sent: over the rate limit.
    pub const EVENTS_RATE_LIMITED: u16 = 13;
    /// Trace events not sent: no memory, or the message did not fit.
    pub const EVENTS_FAILED: u16 = 14;
    /// Encapsulating node: traces inserted (inline or encap).
    pub const ENCAP_TRACED: u16 = 15;
    /// Encapsulating node: inline insertion skipped, the packet already had a Hop-by-Hop header.
    pub const ENCAP_SKIPPED_HBH: u16 = 16;
    /// Encapsulating node: packets not traced because of `freq K/N`.
    pub const ENCAP_NOT_SAMPLED: u16 = 17;
    /// Encapsulating node: packets dropped (no route to `tundst`, no memory, too big).
    pub const ENCAP_DROPPED: u16 = 18;
    /// Transit: node data inserted into an Incremental Trace (the packet grew).
    pub const TRACE_INSERTED: u16 = 19;
    /// Transit: an insertion needed the packet's head reallocated (too little headroom, or
    /// shared with a clone).
    pub const INSERT_REALLOCATED: u16 = 20;
    /// Transit: Direct Export options processed (this node's data exported as a DEX event if
    /// someone listens, within the event rate limit).
    pub const DEX_RECEIVED: u16 = 21;
    /// Encapsulating node: packets sent with the Loopback flag (RFC 9322).
    pub const LOOPBACK_MARKED: u16 = 22;
    /// Transit: loopback copies sent back to the encapsulating node.
    pub const LOOPBACK_SENT: u16 = 23;
    /// Encapsulating node: loopback copies received (reported as LOOPBACK events, then
    /// dropped: their journey ends here).
    pub const LOOPBACK_RECEIVED: u16 = 24;
    /// Loopback over the namespace's loopback limit: a packet sent without the flag, or a copy
    /// not sent.
    pub const LOOPBACK_RATE_LIMITED: u16 = 25;
    /// Transit: the Loopback flag on a trace type other than 0x800000, which RFC 9322 forbids
    /// to loop back: no copy.
    pub const LOOPBACK_REFUSED: u16 = 26;
    /// Transit: a loopback copy not sent (no memory, no route back).
    pub const LOOPBACK_FAILED: u16 = 27;
    /// Decapsulating node: packets with the Active flag terminated (RFC 9322 §5).
    pub const ACTIVE_TERMINATED: u16 = 28;
    /// Transit: entries whose transit delay or queue depth was written as the packet left this
    /// node (at IPv6 `POST_ROUTING`).
    pub const EGRESS_COMPLETED: u16 = 29;
    /// Events batched for exporters and delivered (in a [`super::event::BATCH`] message).
    pub const EXPORT_SENT: u16 = 30;
    /// Batch messages delivered to exporters.
    pub const EXPORT_BATCHES: u16 = 31;
    /// Events not batched for exporters: over the export rate limit.
    pub const EXPORT_RATE_LIMITED: u16 = 32;
    /// Events batched for exporters but lost: no memory for a batch, or its delivery failed
    /// (a listener's receive buffer was full).
    pub const EXPORT_FAILED: u16 = 33;
    /// Highest counter number this version knows.
    pub const MAX: u16 = EXPORT_FAILED;

    /// Every counter with its name, as `ioamctl stats` prints it.
    pub const NAMES: [(u16, &str); 32] = [
        (TRACE_FILLED, "trace_filled"),
        (TRACE_INSERTED, "trace_inserted"),
        (INSERT_REALLOCATED, "insert_reallocated"),
        (DEX_RECEIVED, "dex_received"),
        (TRACE_OVERFLOW, "trace_overflow"),
        (TRACE_ALREADY_OVERFLOWED, "trace_already_overflowed"),
        (TRACE_UNKNOWN_NAMESPACE, "trace_unknown_namespace"),
        (OPTION_NOT_PREALLOC, "option_not_prealloc"),
        (DROP_MISALIGNED, "drop_misaligned"),
        (DROP_TRUNCATED, "drop_truncated"),
        (DROP_REMAINING_LEN, "drop_remaining_len"),
        (DROP_NODE_LEN, "drop_node_len"),
        (DROP_NOT_WRITABLE, "drop_not_writable"),
        (EVENTS_SENT, "events_sent"),
        (EVENTS_RATE_LIMITED, "events_rate_limited"),
        (EVENTS_FAILED, "events_failed"),
        (ENCAP_TRACED, "encap_traced"),
        (ENCAP_SKIPPED_HBH, "encap_skipped_hbh"),
        (ENCAP_NOT_SAMPLED, "encap_not_sampled"),
        (ENCAP_DROPPED, "encap_dropped"),
        (LOOPBACK_MARKED, "loopback_marked"),
        (LOOPBACK_SENT, "loopback_sent"),
        (LOOPBACK_RECEIVED, "loopback_received"),
        (LOOPBACK_RATE_LIMITED, "loopback_rate_limited"),
        (LOOPBACK_REFUSED, "loopback_refused"),
        (LOOPBACK_FAILED, "loopback_failed"),
        (ACTIVE_TERMINATED, "active_terminated"),
        (EGRESS_COMPLETED, "egress_completed"),
        (EXPORT_SENT, "export_sent"),
        (EXPORT_BATCHES, "export_batches"),
        (EXPORT_RATE_LIMITED, "export_rate_limited"),
        (EXPORT_FAILED, "export_failed"),
    ];
}

/// Largest trace-event rate and burst.
pub const EVENT_LIMIT_MAX: u32 = 1_000_000;
/// Trace-event rate of a new network namespace, per second.
pub const EVENT_RATE_DEFAULT: u32 = 1000;
/// Trace-event burst of a new network namespace.
pub const EVENT_BURST_DEFAULT: u32 = 1000;
/// Export rate of a new network namespace, events per second.
pub const EXPORT_RATE_DEFAULT: u32 = 100_000;
/// Export burst of a new network namespace.
pub const EXPORT_BURST_DEFAULT: u32 = 100_000;
/// Loopback rate of a new network namespace, per second.
pub const LOOPBACK_RATE_DEFAULT: u32 = 100;
/// Loopback burst of a new network namespace.
pub const LOOPBACK_BURST_DEFAULT: u32 = 100;

/// Largest schema id: Opaque State Snapshot schema ids have 24 bits, and 0xFFFFFF is the
/// snapshot header's "no schema" marker.
pub const SCHEMA_ID_MAX: u32 = 0x00ff_fffe;
/// Largest schema data: the snapshot length counts 4-byte words in one byte.
pub const SCHEMA_DATA_MAX: usize = 255 * 4;
/// Most IOAM namespaces one network namespace holds (`ADD_NAMESPACE` past it: `ENOSPC`).
pub const NAMESPACES_PER_NET_MAX: usize = 4096;
/// Most schemas one network namespace holds (`ADD_SCHEMA` past it: `ENOSPC`): with the
/// largest data, about 1 MiB, charged to the memory cgroup of whoever added them.
pub const SCHEMAS_PER_NET_MAX: usize = 1024;
/// Stored and reported for namespace data the user did not give.
pub const NS_DATA_UNAVAILABLE: u32 = u32::MAX;
/// Stored and reported for namespace wide data the user did not give.
pub const NS_DATA_WIDE_UNAVAILABLE: u64 = u64::MAX;
