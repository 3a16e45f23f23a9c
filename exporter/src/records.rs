//! A trace event as IPFIX records: one path record for the event (template
//! [`PATH_TEMPLATE_ID`]) and one per-hop record for each node entry of its trace data.
//!
//! Per-hop records carry exactly the fields the trace type holds, so their template
//! depends on the trace type: [`hop_template_id`] numbers each set of node fields, the
//! same number on every exporter and after every restart. Node entries are decoded by
//! `ioam-wire` ([`Nodes`]), as `ioamctl monitor` decodes them.
//!
//! The path record's node ids are an RFC 6313 basicList (semantic "ordered", first node
//! first) of `ioamNodeId` or `ioamNodeIdWide`: a standard, self-describing list that
//! generic decoders (Wireshark, libfixbuf, ipfixcol2) read element by element, where an
//! octetArray of ids would need this project's documentation to be split.

use ioam_wire::parse::{Nodes, ParsedNode};
use ioam_wire::trace::{node_len, trace_bit, OSS_BIT};
use ioamctl::trace::TraceEvent;

use crate::elements::{self, Element, BASIC_LIST};
use crate::ipfix::basic_list::{basic_list, Semantic};
use crate::ipfix::field::{write_octets, FieldSpecifier, Value};
use crate::ipfix::template::{EncodedRecords, Record};
use crate::ipfix::EncodeError;

/// Template of the path records.
pub const PATH_TEMPLATE_ID: u16 = 256;
/// Template of the per-hop records of a trace type with no node field; other types add
/// their field set (see [`hop_template_id`]).
pub const FIRST_HOP_TEMPLATE_ID: u16 = 257;

/// `ioamTimestampFormat` of an event without the attribute: POSIX.
const POSIX: u8 = ioam_uapi::tsformat::POSIX;

/// Why an event gives no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the event has no namespace id")]
    MissingNamespace,
    #[error("the event has no trace type")]
    MissingTraceType,
    #[error("NodeLen {nodelen} disagrees with trace type {trace_type:#08x}, whose nodes take {expected} words")]
    NodeLenMismatch {
        nodelen: u8,
        trace_type: u32,
        expected: u32,
    },
    #[error("{0} octets of trace data do not make up a whole node entry")]
    TrailingData(usize),
    #[error("{0} node entries in one trace: more than an 8-bit count holds")]
    TooManyNodes(usize),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// The records of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecords {
    pub path: Record,
    /// One per node entry, first node first.
    pub hops: Vec<Record>,
}

impl EventRecords {
    /// All records: the path record, then the hops.
    pub fn into_records(self) -> Vec<Record> {
        let mut records = vec![self.path];
        records.extend(self.hops);
        records
    }
}

/// The template id of per-hop records of `trace_type` (24 bits): one per set of node
/// fields, bits 0-11 and 22 (bits 12-21 are undefined and not exported).
pub fn hop_template_id(trace_type: u32) -> u16 {
    let mut key = 0u16;
    for bit in 0..12 {
        if trace_type & trace_bit(bit) != 0 {
            key |= 1 << bit;
        }
    }
    if trace_type & OSS_BIT != 0 {
        key |= 1 << 12;
    }
    // At most 2^13 - 1 above 257: no overflow.
    FIRST_HOP_TEMPLATE_ID.saturating_add(key)
}

/// The records of `event`, with enterprise elements under `pen`.
pub fn event_records(event: &TraceEvent, pen: u32) -> Result<EventRecords, RecordError> {
    let decoded = Decoded::new(event, pen)?;
    let mut path = Vec::with_capacity(6);
    decoded.path_fields(&mut path)?;
    let hops = decoded
        .entries
        .iter()
        .zip(0u8..)
        .map(|(node, index)| {
            let mut fields = Vec::with_capacity(MAX_HOP_FIELDS);
            decoded
                .hop_fields(index, node, &mut fields)
                .map(|()| Record {
                    template_id: decoded.hop_template_id,
                    fields,
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(EventRecords {
        path: Record {
            template_id: PATH_TEMPLATE_ID,
            fields: path,
        },
        hops,
    })
}

/// Appends the records of `event` to `out`, encoded: the octets [`event_records`]'s
/// records encode to, without building them. On error nothing is appended.
pub fn write_event_records(
    event: &TraceEvent,
    pen: u32,
    out: &mut EncodedRecords,
) -> Result<(), RecordError> {
    Decoded::new(event, pen)?.write_records(out)
}

/// An event checked and its node entries read, ready to give its records: what
/// [`event_records`] and [`write_event_records`] do first, for a caller that also wants
/// the node entries.
pub fn decode_event(event: &TraceEvent, pen: u32) -> Result<Decoded<'_>, RecordError> {
    Decoded::new(event, pen)
}

impl Decoded<'_> {
    /// The node entries, in path order (first node first).
    pub fn nodes(&self) -> &[ParsedNode<'_>] {
        &self.entries
    }

    pub fn namespace(&self) -> u16 {
        self.common.namespace
    }

    /// The trace type, 24 bits.
    pub fn trace_type(&self) -> u32 {
        self.common.trace_type
    }

    /// [`write_event_records`] of the decoded event.
    pub fn write_records(&self, out: &mut EncodedRecords) -> Result<(), RecordError> {
        let decoded = self;
        let start = out.len();
        let written = out
            .push_with(PATH_TEMPLATE_ID, |bytes| {
                decoded.path_fields(&mut ValueWriter(bytes))
            })
            .and_then(|()| {
                decoded
                    .entries
                    .iter()
                    .zip(0u8..)
                    .try_for_each(|(node, index)| {
                        out.push_with(decoded.hop_template_id, |bytes| {
                            decoded.hop_fields(index, node, &mut ValueWriter(bytes))
                        })
                    })
            });
        if written.is_err() {
            out.truncate(start);
        }
        written.map_err(RecordError::from)
    }
}

/// Where a record's fields go: a [`Record`]'s list, or straight into encoded octets.
trait FieldSink {
    fn add(&mut self, spec: FieldSpecifier, value: Value) -> Result<(), EncodeError>;
    fn add_octets(&mut self, spec: FieldSpecifier, octets: &[u8]) -> Result<(), EncodeError>;
}

impl FieldSink for Vec<(FieldSpecifier, Value)> {
    fn add(&mut self, spec: FieldSpecifier, value: Value) -> Result<(), EncodeError> {
        self.push((spec, value));
        Ok(())
    }

    fn add_octets(&mut self, spec: FieldSpecifier, octets: &[u8]) -> Result<(), EncodeError> {
        self.push((spec, Value::Octets(octets.to_vec())));
        Ok(())
    }
}

/// Encodes each field as [`Record::encode`] does.
struct ValueWriter<'a>(&'a mut Vec<u8>);

impl FieldSink for ValueWriter<'_> {
    #[inline(always)]
    fn add(&mut self, spec: FieldSpecifier, value: Value) -> Result<(), EncodeError> {
        value.write(spec.length, self.0)
    }

    fn add_octets(&mut self, spec: FieldSpecifier, octets: &[u8]) -> Result<(), EncodeError> {
        write_octets(octets, spec.length, self.0)
    }
}

/// An event checked and its node entries read (see [`decode_event`]).
pub struct Decoded<'a> {
    common: Common,
    /// Node entries in path order (first node first).
    entries: Vec<ParsedNode<'a>>,
    hop_count: u8,
    tsformat: u8,
    hop_template_id: u16,
}

impl<'a> Decoded<'a> {
    fn new(event: &'a TraceEvent, pen: u32) -> Result<Self, RecordError> {
        let namespace = event.namespace.ok_or(RecordError::MissingNamespace)?;
        let trace_type = event.trace_type.ok_or(RecordError::MissingTraceType)? >> 8;
        let expected = node_len(trace_type);
        if let Some(nodelen) = event.nodelen.filter(|&n| u32::from(n) != expected) {
            return Err(RecordError::NodeLenMismatch {
                nodelen,
                trace_type,
                expected,
            });
        }
        let data = event.data.as_deref().unwrap_or_default();
        let mut nodes = Nodes::new(trace_type, data);
        // Wire order is most recent first: reversed, the path's order.
        let mut entries: Vec<ParsedNode<'_>> = nodes.by_ref().collect();
        if !nodes.remainder().is_empty() {
            return Err(RecordError::TrailingData(nodes.remainder().len()));
        }
        entries.reverse();
        let hop_count =
            u8::try_from(entries.len()).map_err(|_| RecordError::TooManyNodes(entries.len()))?;
        Ok(Decoded {
            common: Common {
                pen,
                kind: match (event.dex, event.loopback) {
                    (true, _) => 2,
                    (_, true) => 3,
                    _ => 1,
                },
                namespace,
                trace_type,
                flags: event.flags.unwrap_or(0),
            },
            entries,
            hop_count,
            tsformat: event.tsformat.unwrap_or(POSIX),
            hop_template_id: hop_template_id(trace_type),
        })
    }

    fn path_fields(&self, sink: &mut impl FieldSink) -> Result<(), EncodeError> {
        let common = &self.common;
        let trace_type = common.trace_type;
        let entries = &self.entries;
        // Wide ids only when the type has no short ones.
        let list = if trace_type & trace_bit(0) != 0 {
            basic_list(
                Semantic::Ordered,
                elements::NODE_ID.spec(common.pen),
                entries
                    .iter()
                    .filter_map(|n| n.hop_limit_node_id.map(|(_, id)| Value::U32(id))),
            )
        } else if trace_type & trace_bit(8) != 0 {
            basic_list(
                Semantic::Ordered,
                elements::NODE_ID_WIDE.spec(common.pen),
                entries
                    .iter()
                    .filter_map(|n| n.hop_limit_node_id_wide.map(|(_, id)| Value::U64(id))),
            )
        } else {
            basic_list(
                Semantic::Ordered,
                elements::NODE_ID.spec(common.pen),
                std::iter::empty::<Value>(),
            )
        }?;
        common.add_to(sink)?;
        sink.add(
            elements::HOP_COUNT.spec(common.pen),
            Value::U8(self.hop_count),
        )?;
        sink.add(BASIC_LIST, list)
    }

    fn hop_fields(
        &self,
        index: u8,
        node: &ParsedNode<'_>,
        sink: &mut impl FieldSink,
    ) -> Result<(), EncodeError> {
        let pen = self.common.pen;
        self.common.add_to(sink)?;
        let mut add = |element: Element, value: Value| sink.add(element.spec(pen), value);
        add(elements::HOP_INDEX, Value::U8(index))?;
        if let Some((hop_limit, node_id)) = node.hop_limit_node_id {
            add(elements::HOP_LIMIT, Value::U8(hop_limit))?;
            add(elements::NODE_ID, Value::U32(node_id))?;
        }
        if let Some((ingress, egress)) = node.if_ids {
            add(elements::INGRESS_IF_ID, Value::U16(ingress))?;
            add(elements::EGRESS_IF_ID, Value::U16(egress))?;
        }
        if node.ts_secs.is_some() || node.ts_frac.is_some() {
            add(elements::TIMESTAMP_FORMAT, Value::U8(self.tsformat))?;
        }
        let words = [
            (elements::TIMESTAMP_SECONDS, node.ts_secs),
            (elements::TIMESTAMP_FRACTION, node.ts_frac),
            (elements::TRANSIT_DELAY, node.transit_delay),
            (elements::NAMESPACE_DATA, node.namespace_data),
            (elements::QUEUE_DEPTH, node.queue_depth),
            (elements::CHECKSUM_COMPLEMENT, node.checksum_complement),
        ];
        for (element, value) in words {
            if let Some(value) = value {
                add(element, Value::U32(value))?;
            }
        }
        if let Some((hop_limit, node_id)) = node.hop_limit_node_id_wide {
            add(elements::HOP_LIMIT_WIDE, Value::U8(hop_limit))?;
            add(elements::NODE_ID_WIDE, Value::U64(node_id))?;
        }
        if let Some((ingress, egress)) = node.if_ids_wide {
            add(elements::INGRESS_IF_ID_WIDE, Value::U32(ingress))?;
            add(elements::EGRESS_IF_ID_WIDE, Value::U32(egress))?;
        }
        if let Some(data) = node.namespace_data_wide {
            add(elements::NAMESPACE_DATA_WIDE, Value::U64(data))?;
        }
        if let Some(occupancy) = node.buffer_occupancy {
            add(elements::BUFFER_OCCUPANCY, Value::U32(occupancy))?;
        }
        if let Some(snapshot) = node.snapshot {
            add(elements::SNAPSHOT_SCHEMA_ID, Value::U32(snapshot.schema_id))?;
            sink.add_octets(elements::SNAPSHOT_DATA.spec(pen), snapshot.data)?;
        }
        Ok(())
    }
}

/// The fields every record of an event starts with.
struct Common {
    pen: u32,
    kind: u8,
    namespace: u16,
    trace_type: u32,
    flags: u8,
}

/// Fields of a per-hop record with every node field: its vector is allocated once.
const MAX_HOP_FIELDS: usize = 24;

impl Common {
    fn add_to(&self, sink: &mut impl FieldSink) -> Result<(), EncodeError> {
        let pen = self.pen;
        sink.add(elements::EVENT_KIND.spec(pen), Value::U8(self.kind))?;
        sink.add(elements::NAMESPACE_ID.spec(pen), Value::U16(self.namespace))?;
        sink.add(elements::TRACE_TYPE.spec(pen), Value::U32(self.trace_type))?;
        sink.add(elements::TRACE_FLAGS.spec(pen), Value::U8(self.flags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::DOCUMENTATION_PEN as PEN;
    use crate::ipfix::field::FieldSpecifier;

    /// Every node field (bits 0-11) and a snapshot (bit 22).
    const FULL_TYPE: u32 = 0xfff002;

    /// A node entry of `FULL_TYPE` whose values derive from `n`.
    fn full_node(n: u8) -> Vec<u8> {
        let mut bytes = vec![64 - n, 0, 0, n]; // bit 0: hop limit, node id
        bytes.extend([0, 10 + n, 0, 20 + n]); // bit 1: interface ids
        bytes.extend(1_795_788_000u32.to_be_bytes()); // bit 2
        bytes.extend(u32::from(n).to_be_bytes()); // bit 3
        bytes.extend((1000 * u32::from(n)).to_be_bytes()); // bit 4
        bytes.extend(0xdead_0000u32.to_be_bytes()); // bit 5
        bytes.extend(7u32.to_be_bytes()); // bit 6
        bytes.extend(9u32.to_be_bytes()); // bit 7
        bytes.extend([64 - n, 0, 0, 0, 0, 0, 1, n]); // bit 8
        bytes.extend([0, 0, 1, n, 0, 0, 2, n]); // bit 9
        bytes.extend(0xcafe_c0ca_f00d_c0deu64.to_be_bytes()); // bit 10
        bytes.extend(11u32.to_be_bytes()); // bit 11
        bytes.extend([1, 0, 0x03, 0x09, b's', b'o', b'm', b'e']); // bit 22
        bytes
    }

    fn event(trace_type: u32, data: Vec<u8>) -> TraceEvent {
        TraceEvent {
            namespace: Some(123),
            nodelen: u8::try_from(node_len(trace_type)).ok(),
            trace_type: Some(trace_type << 8),
            data: Some(data),
            ..TraceEvent::default()
        }
    }

    fn get(record: &Record, element: Element) -> Option<Value> {
        record.value(&element.spec(PEN)).cloned()
    }

    #[test]
    fn every_node_field_goes_into_its_element() -> Result<(), RecordError> {
        // Wire order: the most recent node (2) first.
        let mut data = full_node(2);
        data.extend(full_node(1));
        let records = event_records(&event(FULL_TYPE, data), PEN)?;
        assert_eq!(records.hops.len(), 2);
        let first = &records.hops[0];
        assert_eq!(first.template_id, 257 + 0x1fff);
        assert_eq!(records.hops[1].template_id, first.template_id);
        let expected = [
            (elements::EVENT_KIND, Value::U8(1)),
            (elements::NAMESPACE_ID, Value::U16(123)),
            (elements::TRACE_TYPE, Value::U32(FULL_TYPE)),
            (elements::TRACE_FLAGS, Value::U8(0)),
            (elements::HOP_INDEX, Value::U8(0)),
            (elements::HOP_LIMIT, Value::U8(63)),
            (elements::NODE_ID, Value::U32(1)),
            (elements::INGRESS_IF_ID, Value::U16(11)),
            (elements::EGRESS_IF_ID, Value::U16(21)),
            (elements::TIMESTAMP_FORMAT, Value::U8(0)),
            (elements::TIMESTAMP_SECONDS, Value::U32(1_795_788_000)),
            (elements::TIMESTAMP_FRACTION, Value::U32(1)),
            (elements::TRANSIT_DELAY, Value::U32(1000)),
            (elements::NAMESPACE_DATA, Value::U32(0xdead_0000)),
            (elements::QUEUE_DEPTH, Value::U32(7)),
            (elements::CHECKSUM_COMPLEMENT, Value::U32(9)),
            (elements::HOP_LIMIT_WIDE, Value::U8(63)),
            (elements::NODE_ID_WIDE, Value::U64(0x101)),
            (elements::INGRESS_IF_ID_WIDE, Value::U32(0x101)),
            (elements::EGRESS_IF_ID_WIDE, Value::U32(0x201)),
            (
                elements::NAMESPACE_DATA_WIDE,
                Value::U64(0xcafe_c0ca_f00d_c0de),
            ),
            (elements::BUFFER_OCCUPANCY, Value::U32(11)),
            (elements::SNAPSHOT_SCHEMA_ID, Value::U32(777)),
            (elements::SNAPSHOT_DATA, Value::Octets(b"some".to_vec())),
        ];
        let fields: Vec<(FieldSpecifier, Value)> = expected
            .iter()
            .map(|(element, value)| (element.spec(PEN), value.clone()))
            .collect();
        assert_eq!(first.fields, fields, "all fields, in this order");
        assert_eq!(
            get(&records.hops[1], elements::NODE_ID),
            Some(Value::U32(2))
        );
        assert_eq!(
            get(&records.hops[1], elements::HOP_INDEX),
            Some(Value::U8(1))
        );
        // Multi-byte values in network byte order.
        let bytes = first.encode()?;
        let node_id_at = 1 + 2 + 4 + 1 + 1 + 1;
        assert_eq!(&bytes[node_id_at..node_id_at + 4], &[0, 0, 0, 1]);
        Ok(())
    }

    #[test]
    fn encoded_records_are_the_records_encoded() -> Result<(), RecordError> {
        let mut data = full_node(2);
        data.extend(full_node(1));
        let events = [
            event(FULL_TYPE, data),
            event(trace_bit(0), vec![62, 0, 0, 3, 63, 0, 0, 2]),
            event(trace_bit(8), vec![64, 0, 0, 0, 0, 0, 0, 0x2a]),
            event(trace_bit(1), vec![]),
        ];
        let mut encoded = EncodedRecords::default();
        for event in &events {
            let expected = event_records(event, PEN)?
                .into_records()
                .iter()
                .map(|record| Ok((record.template_id, record.encode()?)))
                .collect::<Result<Vec<_>, EncodeError>>()?;
            encoded.truncate(0);
            write_event_records(event, PEN, &mut encoded)?;
            let written: Vec<(u16, Vec<u8>)> = encoded
                .iter()
                .map(|(template_id, bytes)| (template_id, bytes.to_vec()))
                .collect();
            assert_eq!(written, expected);
        }
        // An event that gives no records adds nothing.
        let before = encoded.clone();
        let undecodable = event(trace_bit(0), vec![1, 2, 3]);
        assert!(write_event_records(&undecodable, PEN, &mut encoded).is_err());
        assert_eq!(encoded, before);
        Ok(())
    }

    #[test]
    fn path_record_lists_node_ids_first_node_first() -> Result<(), RecordError> {
        let trace_type = trace_bit(0);
        let data = vec![62, 0, 0, 3, 63, 0, 0, 2, 64, 0, 0, 1];
        let records = event_records(&event(trace_type, data), PEN)?;
        let path = &records.path;
        assert_eq!(path.template_id, PATH_TEMPLATE_ID);
        assert_eq!(get(path, elements::HOP_COUNT), Some(Value::U8(3)));
        #[rustfmt::skip]
        let list = vec![
            4,                      // ordered
            0x80, 8, 0, 4,          // ioamNodeId, enterprise, 4 octets
            0, 0, 0x7e, 0xd9,       // PEN 32473
            0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
        ];
        assert_eq!(path.value(&BASIC_LIST), Some(&Value::Octets(list)));
        Ok(())
    }

    #[test]
    fn wide_ids_make_a_wide_list() -> Result<(), RecordError> {
        let data = vec![64, 0, 0, 0, 0, 0, 0, 0x2a];
        let records = event_records(&event(trace_bit(8), data), PEN)?;
        let Some(Value::Octets(list)) = records.path.value(&BASIC_LIST).cloned() else {
            return Err(RecordError::MissingTraceType);
        };
        assert_eq!(&list[..5], &[4, 0x80, 18, 0, 8]);
        assert_eq!(&list[9..], &[0, 0, 0, 0, 0, 0, 0, 0x2a]);
        Ok(())
    }

    #[test]
    fn unavailable_fields_are_exported_as_all_ones() -> Result<(), RecordError> {
        // Bits 0, 1, 5, 8, 10: a node that fills all of them with ones.
        let trace_type = trace_bit(0) | trace_bit(1) | trace_bit(5) | trace_bit(8) | trace_bit(10);
        let words = usize::try_from(node_len(trace_type)).unwrap_or(0);
        let records = event_records(&event(trace_type, vec![0xff; words * 4]), PEN)?;
        let hop = &records.hops[0];
        assert_eq!(get(hop, elements::NODE_ID), Some(Value::U32(0x00ff_ffff)));
        assert_eq!(get(hop, elements::INGRESS_IF_ID), Some(Value::U16(0xffff)));
        assert_eq!(get(hop, elements::EGRESS_IF_ID), Some(Value::U16(0xffff)));
        assert_eq!(
            get(hop, elements::NAMESPACE_DATA),
            Some(Value::U32(u32::MAX))
        );
        assert_eq!(
            get(hop, elements::NODE_ID_WIDE),
            Some(Value::U64(0x00ff_ffff_ffff_ffff))
        );
        assert_eq!(
            get(hop, elements::NAMESPACE_DATA_WIDE),
            Some(Value::U64(u64::MAX))
        );
        assert_eq!(get(hop, elements::TIMESTAMP_SECONDS), None, "bit 2 not set");
        Ok(())
    }

    #[test]
    fn dex_and_loopback_events_say_so_with_their_flags() -> Result<(), RecordError> {
        let data = vec![64, 0, 0, 1];
        let dex = TraceEvent {
            dex: true,
            ..event(trace_bit(0), data.clone())
        };
        let path = event_records(&dex, PEN)?.path;
        assert_eq!(get(&path, elements::EVENT_KIND), Some(Value::U8(2)));
        let loopback = TraceEvent {
            loopback: true,
            flags: Some(0x02),
            ..event(trace_bit(0), data)
        };
        let path = event_records(&loopback, PEN)?.path;
        assert_eq!(get(&path, elements::EVENT_KIND), Some(Value::U8(3)));
        assert_eq!(get(&path, elements::TRACE_FLAGS), Some(Value::U8(2)));
        Ok(())
    }

    #[test]
    fn hop_templates_differ_by_field_set_only() {
        assert_eq!(hop_template_id(0), FIRST_HOP_TEMPLATE_ID);
        assert_eq!(hop_template_id(trace_bit(0)), 258);
        assert_eq!(hop_template_id(trace_bit(11)), 257 + 0x800);
        assert_eq!(hop_template_id(OSS_BIT), 257 + 0x1000);
        // Undefined bits (12-21) and the reserved bit 23 do not change the fields exported.
        assert_eq!(hop_template_id(trace_bit(0) | trace_bit(12) | 1), 258);
    }

    #[test]
    fn malformed_events_are_errors() {
        let missing = TraceEvent {
            namespace: None,
            ..event(trace_bit(0), vec![1, 0, 0, 1])
        };
        assert_eq!(
            event_records(&missing, PEN),
            Err(RecordError::MissingNamespace)
        );
        let mismatch = TraceEvent {
            nodelen: Some(2),
            ..event(trace_bit(0), vec![1, 0, 0, 1])
        };
        assert_eq!(
            event_records(&mismatch, PEN),
            Err(RecordError::NodeLenMismatch {
                nodelen: 2,
                trace_type: trace_bit(0),
                expected: 1
            })
        );
        assert_eq!(
            event_records(&event(trace_bit(0), vec![1, 0, 0, 1, 9, 9]), PEN),
            Err(RecordError::TrailingData(2))
        );
        let no_type = TraceEvent {
            trace_type: None,
            ..event(0, vec![])
        };
        assert_eq!(
            event_records(&no_type, PEN),
            Err(RecordError::MissingTraceType)
        );
    }
}
