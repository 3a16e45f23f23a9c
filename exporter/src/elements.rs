//! The information elements of the exported records.
//!
//! The IOAM node fields (RFC 9197 §4.4) have no IANA elements, so they are
//! enterprise-specific, under a configurable Private Enterprise Number: by default 32473,
//! the PEN RFC 5612 reserves for documentation (the project has none registered).
//! Element ids are stable: never renumber, only append.
//!
//! Every multi-byte value is an unsigned integer of its full width in network byte order
//! (no reduced-size encoding, so that collectors that read integers of 1, 2, 4 or 8 octets,
//! as pmacct does, read them all). Node ids of 24 and 56 bits go in 4 and 8 octets.
//!
//! A node that cannot provide a field fills it with all ones (RFC 9197 §4.4; Linux's
//! `IOAM6_U*_UNAVAILABLE`); the exporter passes the value on as received, so
//! "unavailable" reads as the field's
//! all-ones value at its IOAM width: `0xFFFFFF` for a short node id (in 4 octets),
//! `0x00FFFFFFFFFFFFFF` for a wide one, `0xFFFF` for a short interface id, `0xFFFFFFFF`
//! for the 4-octet fields, `0xFFFFFFFFFFFFFFFF` for wide namespace data.
//!
//! IANA elements where one fits: every record names its packet's flow with
//! `sourceIPv6Address` (27), `destinationIPv6Address` (28) and `flowLabelIPv6` (31) (of an
//! ip6ip6 packet, the outer header's), `basicList` (291, RFC 6313) carries the node ids
//! of a path, and a path whose first and last nodes recorded their receive times gives its
//! delay in RFC 9951's `pathDelayMeanDeltaMicroseconds`, `pathDelayMinDeltaMicroseconds`
//! and `pathDelayMaxDeltaMicroseconds` (530-532).

use crate::ipfix::field::{FieldSpecifier, VARIABLE_LENGTH};

/// RFC 5612's Private Enterprise Number for documentation: the default.
pub const DOCUMENTATION_PEN: u32 = 32473;

/// IANA `basicList` (RFC 6313), variable length.
pub const BASIC_LIST: FieldSpecifier = FieldSpecifier::iana(
    crate::ipfix::basic_list::BASIC_LIST_ELEMENT_ID,
    VARIABLE_LENGTH,
);

/// IANA `sourceIPv6Address`: the source address of the IPv6 header that carries the option.
pub const SOURCE_IPV6_ADDRESS: FieldSpecifier = FieldSpecifier::iana(27, 16);
/// IANA `destinationIPv6Address`: the destination address of that header.
pub const DESTINATION_IPV6_ADDRESS: FieldSpecifier = FieldSpecifier::iana(28, 16);
/// IANA `flowLabelIPv6`: the flow label of that header (20 bits, in 4 octets).
pub const FLOW_LABEL_IPV6: FieldSpecifier = FieldSpecifier::iana(31, 4);

/// IANA `pathDelayMeanDeltaMicroseconds` (RFC 9951): of a path record, the delay from the
/// first node's receive time to the last recorded node's, in microseconds. A record stands
/// for one packet, so the mean, the minimum and the maximum are that delay.
pub const PATH_DELAY_MEAN: FieldSpecifier = FieldSpecifier::iana(530, 4);
/// IANA `pathDelayMinDeltaMicroseconds` (RFC 9951).
pub const PATH_DELAY_MIN: FieldSpecifier = FieldSpecifier::iana(531, 4);
/// IANA `pathDelayMaxDeltaMicroseconds` (RFC 9951).
pub const PATH_DELAY_MAX: FieldSpecifier = FieldSpecifier::iana(532, 4);

/// The abstract data types (RFC 7012 §3.1) the IOAM elements use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    Unsigned8,
    Unsigned16,
    Unsigned32,
    Unsigned64,
    OctetArray,
}

impl DataType {
    /// The field length in a template: the type's width, or variable.
    pub const fn length(self) -> u16 {
        match self {
            DataType::Unsigned8 => 1,
            DataType::Unsigned16 => 2,
            DataType::Unsigned32 => 4,
            DataType::Unsigned64 => 8,
            DataType::OctetArray => VARIABLE_LENGTH,
        }
    }

    /// The name RFC 7012 gives the type.
    pub const fn name(self) -> &'static str {
        match self {
            DataType::Unsigned8 => "unsigned8",
            DataType::Unsigned16 => "unsigned16",
            DataType::Unsigned32 => "unsigned32",
            DataType::Unsigned64 => "unsigned64",
            DataType::OctetArray => "octetArray",
        }
    }
}

/// An enterprise-specific element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub id: u16,
    /// The IPFIX name (camelCase).
    pub name: &'static str,
    pub data_type: DataType,
    /// Best read in hexadecimal (bit fields).
    pub hex: bool,
    pub description: &'static str,
}

impl Element {
    /// The field specifier of the element under enterprise `pen`.
    pub const fn spec(&self, pen: u32) -> FieldSpecifier {
        FieldSpecifier::enterprise(self.id, self.data_type.length(), pen)
    }
}

const fn element(
    id: u16,
    name: &'static str,
    data_type: DataType,
    description: &'static str,
) -> Element {
    Element {
        id,
        name,
        data_type,
        hex: false,
        description,
    }
}

use DataType::{OctetArray, Unsigned16, Unsigned32, Unsigned64, Unsigned8};

pub const EVENT_KIND: Element = element(
    1,
    "ioamEventKind",
    Unsigned8,
    "1: a trace (Pre-allocated or Incremental), 2: a Direct Export (RFC 9326), 3: a loopback copy back at the encapsulating node (RFC 9322)",
);
pub const NAMESPACE_ID: Element = element(2, "ioamNamespaceId", Unsigned16, "IOAM namespace id");
pub const TRACE_TYPE: Element = Element {
    hex: true,
    ..element(
        3,
        "ioamTraceType",
        Unsigned32,
        "the 24-bit IOAM trace type, bit 0 the most significant",
    )
};
pub const TRACE_FLAGS: Element = Element {
    hex: true,
    ..element(
        4,
        "ioamTraceFlags",
        Unsigned8,
        "RFC 9322 flags of the trace: 0x02 Loopback, 0x01 Active",
    )
};
pub const HOP_INDEX: Element = element(
    5,
    "ioamHopIndex",
    Unsigned8,
    "position of the node's entry along the path: 0 for the first node that wrote data (the last entry in the trace data); 0 for a Direct Export entry",
);
pub const HOP_COUNT: Element = element(
    6,
    "ioamHopCount",
    Unsigned8,
    "number of node entries in the trace",
);
pub const HOP_LIMIT: Element = element(7, "ioamHopLimit", Unsigned8, "trace-type bit 0: hop limit");
pub const NODE_ID: Element = element(
    8,
    "ioamNodeId",
    Unsigned32,
    "trace-type bit 0: 24-bit node id; 0xFFFFFF unavailable",
);
pub const INGRESS_IF_ID: Element = element(
    9,
    "ioamIngressIfId",
    Unsigned16,
    "trace-type bit 1: ingress interface id; 0xFFFF unavailable",
);
pub const EGRESS_IF_ID: Element = element(
    10,
    "ioamEgressIfId",
    Unsigned16,
    "trace-type bit 1: egress interface id; 0xFFFF unavailable",
);
pub const TIMESTAMP_SECONDS: Element = element(
    11,
    "ioamTimestampSeconds",
    Unsigned32,
    "trace-type bit 2: timestamp seconds, in the namespace's format (ioamTimestampFormat); 0xFFFFFFFF unavailable",
);
pub const TIMESTAMP_FRACTION: Element = element(
    12,
    "ioamTimestampFraction",
    Unsigned32,
    "trace-type bit 3: timestamp fraction (microseconds, nanoseconds or 2^-32 s by format); 0xFFFFFFFF unavailable",
);
pub const TRANSIT_DELAY: Element = element(
    13,
    "ioamTransitDelay",
    Unsigned32,
    "trace-type bit 4: transit delay in nanoseconds, the top bit an overflow flag; 0xFFFFFFFF unavailable",
);
pub const NAMESPACE_DATA: Element = element(
    14,
    "ioamNamespaceData",
    Unsigned32,
    "trace-type bit 5: namespace-specific data; 0xFFFFFFFF unavailable",
);
pub const QUEUE_DEPTH: Element = element(
    15,
    "ioamQueueDepth",
    Unsigned32,
    "trace-type bit 6: queue depth; 0xFFFFFFFF unavailable",
);
pub const CHECKSUM_COMPLEMENT: Element = element(
    16,
    "ioamChecksumComplement",
    Unsigned32,
    "trace-type bit 7: checksum complement",
);
pub const HOP_LIMIT_WIDE: Element = element(
    17,
    "ioamHopLimitWide",
    Unsigned8,
    "trace-type bit 8: hop limit",
);
pub const NODE_ID_WIDE: Element = element(
    18,
    "ioamNodeIdWide",
    Unsigned64,
    "trace-type bit 8: 56-bit node id; 0x00FFFFFFFFFFFFFF unavailable",
);
pub const INGRESS_IF_ID_WIDE: Element = element(
    19,
    "ioamIngressIfIdWide",
    Unsigned32,
    "trace-type bit 9: ingress interface id; 0xFFFFFFFF unavailable",
);
pub const EGRESS_IF_ID_WIDE: Element = element(
    20,
    "ioamEgressIfIdWide",
    Unsigned32,
    "trace-type bit 9: egress interface id; 0xFFFFFFFF unavailable",
);
pub const NAMESPACE_DATA_WIDE: Element = element(
    21,
    "ioamNamespaceDataWide",
    Unsigned64,
    "trace-type bit 10: namespace-specific data, wide; 0xFFFFFFFFFFFFFFFF unavailable",
);
pub const BUFFER_OCCUPANCY: Element = element(
    22,
    "ioamBufferOccupancy",
    Unsigned32,
    "trace-type bit 11: buffer occupancy; 0xFFFFFFFF unavailable",
);
pub const SNAPSHOT_SCHEMA_ID: Element = element(
    23,
    "ioamSnapshotSchemaId",
    Unsigned32,
    "trace-type bit 22: 24-bit schema id of the opaque state snapshot; 0xFFFFFF no schema",
);
pub const SNAPSHOT_DATA: Element = element(
    24,
    "ioamSnapshotData",
    OctetArray,
    "trace-type bit 22: opaque state snapshot data, padding included",
);
pub const TIMESTAMP_FORMAT: Element = element(
    25,
    "ioamTimestampFormat",
    Unsigned8,
    "format of the node's timestamp (RFC 9197 §5): 0 POSIX, 1 PTP truncated, 2 NTP 64-bit",
);

/// Every enterprise-specific element, by id.
pub const ENTERPRISE_ELEMENTS: [Element; 25] = [
    EVENT_KIND,
    NAMESPACE_ID,
    TRACE_TYPE,
    TRACE_FLAGS,
    HOP_INDEX,
    HOP_COUNT,
    HOP_LIMIT,
    NODE_ID,
    INGRESS_IF_ID,
    EGRESS_IF_ID,
    TIMESTAMP_SECONDS,
    TIMESTAMP_FRACTION,
    TRANSIT_DELAY,
    NAMESPACE_DATA,
    QUEUE_DEPTH,
    CHECKSUM_COMPLEMENT,
    HOP_LIMIT_WIDE,
    NODE_ID_WIDE,
    INGRESS_IF_ID_WIDE,
    EGRESS_IF_ID_WIDE,
    NAMESPACE_DATA_WIDE,
    BUFFER_OCCUPANCY,
    SNAPSHOT_SCHEMA_ID,
    SNAPSHOT_DATA,
    TIMESTAMP_FORMAT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_1_to_n_in_order_and_names_unique() {
        for (index, element) in ENTERPRISE_ELEMENTS.iter().enumerate() {
            assert_eq!(usize::from(element.id), index + 1, "{}", element.name);
            assert!(element.name.starts_with("ioam"));
        }
        let mut names: Vec<&str> = ENTERPRISE_ELEMENTS.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ENTERPRISE_ELEMENTS.len());
    }

    #[test]
    fn specifiers_take_the_configured_pen() {
        assert_eq!(
            NODE_ID.spec(DOCUMENTATION_PEN),
            FieldSpecifier::enterprise(8, 4, 32473)
        );
        assert_eq!(SNAPSHOT_DATA.spec(7).length, VARIABLE_LENGTH);
        assert_eq!(NODE_ID_WIDE.spec(7).enterprise_number, Some(7));
    }
}
