//! A trace event as IPFIX records: one path record for the event (template
//! [`PATH_TEMPLATE_ID`], or [`PATH_DELAY_TEMPLATE_ID`] with the path's delay) and one
//! per-hop record for each node entry of its trace data.
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

use std::net::Ipv6Addr;

use ioam_wire::parse::{Nodes, ParsedNode};
use ioam_wire::timestamp::TsFormat;
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
/// Template of the path records of a trace event whose path gives its delay (RFC 9951's
/// elements, see [`path_delay_us`]): just above the per-hop templates' range.
pub const PATH_DELAY_TEMPLATE_ID: u16 = FIRST_HOP_TEMPLATE_ID + (1 << 13);

/// Whether records of `template_id` are path records (one per event).
pub fn is_path_template(template_id: u16) -> bool {
    template_id == PATH_TEMPLATE_ID || template_id == PATH_DELAY_TEMPLATE_ID
}

/// The path delay of a trace event (RFC 9951: from the encapsulating node to the node that
/// reports it) whose first and last nodes in path order wrote the timestamp fields `first`
/// and `last` (seconds, fraction), in microseconds: from the first node's receive time to
/// the last recorded node's. `None` for a Direct Export or loopback event, a path of fewer
/// than two nodes, a time either node marked unavailable, a later time before the earlier
/// (the nodes' clocks disagree), or a delay beyond the element's 32 bits.
pub fn path_delay_us(
    event: &TraceEvent,
    hop_count: u8,
    first: (Option<u32>, Option<u32>),
    last: (Option<u32>, Option<u32>),
) -> Option<u32> {
    if event.dex || event.loopback || hop_count < 2 {
        return None;
    }
    let format = TsFormat::from_u8(event.tsformat.unwrap_or(POSIX))?;
    let (from_s, from_ns) = node_time(format, first.0, first.1, event.tai_offset_s)?;
    let (to_s, to_ns) = node_time(format, last.0, last.1, event.tai_offset_s)?;
    // In 64 bits (a 128-bit division is a library call): seconds from 32-bit fields.
    let delay_ns = to_s
        .checked_sub(from_s)?
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(to_ns) - i64::from(from_ns))
        .filter(|&d| d >= 0)?;
    u32::try_from(delay_ns / 1000).ok()
}

/// A node's receive time from its timestamp fields (seconds, fraction) in `format`: seconds
/// since the Unix epoch and nanoseconds; `None` when either field is missing or unavailable.
fn node_time(
    format: TsFormat,
    secs: Option<u32>,
    frac: Option<u32>,
    tai_offset_s: i64,
) -> Option<(i64, u32)> {
    let (secs, frac) = secs.zip(frac)?;
    // Each field is all ones when the node had no time for it (RFC 9197 §4.4.2.3).
    if secs == u32::MAX || frac == u32::MAX {
        return None;
    }
    format.join(secs, frac, tai_offset_s)
}

/// [`node_time`] in ns since the Unix epoch.
pub fn time_ns(
    format: TsFormat,
    secs: Option<u32>,
    frac: Option<u32>,
    tai_offset_s: i64,
) -> Option<i128> {
    let (unix_secs, nanos) = node_time(format, secs, frac, tai_offset_s)?;
    Some(i128::from(unix_secs) * 1_000_000_000 + i128::from(nanos))
}

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
    let mut path = Vec::with_capacity(9);
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
            template_id: decoded.path_template_id(),
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
            .push_with(decoded.path_template_id(), |bytes| {
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

/// An event whose records are written straight from its node bytes, with no node parsed
/// into fields: a trace type of fixed-size fields only (no Opaque State Snapshot, bit 22),
/// and data that is whole node entries. In those records every field is the node's
/// big-endian octets at their width, but for the 24- and 56-bit node ids, which take a
/// leading zero octet, the undefined bits 12-21, which are not exported, and the
/// timestamp format, which comes before the timestamp fields. The octets are those of
/// [`write_event_records`] (a property test holds the two to it); any event that is not
/// such a trace, or that [`decode_event`] refuses, takes that general path instead.
#[derive(Clone, Copy, Debug)]
pub struct RawTrace<'a> {
    common: Common,
    /// The common fields as encoded.
    common_bytes: [u8; COMMON_LEN],
    tsformat: u8,
    /// The node entries, most recent first (wire order).
    data: &'a [u8],
    layout: Layout,
    hop_count: u8,
    /// The path's delay in microseconds, if it gives one ([`path_delay_us`]).
    path_delay_us: Option<u32>,
}

/// Where a trace type's fields are in its node entries, and the template of its per-hop
/// records: computed once for a run of events of one type ([`Layouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The 24-bit trace type.
    trace_type: u32,
    node_size: usize,
    hop_template_id: u16,
    /// Octets of each per-hop record.
    hop_record_len: usize,
    /// Offsets of the fields of bits 0, 2, 3 and 8, when the type has them.
    node_id: Option<usize>,
    ts_secs: Option<usize>,
    ts_frac: Option<usize>,
    node_id_wide: Option<usize>,
}

/// The most octets a per-hop record of a [`RawTrace`] takes: the common fields, the hop
/// index (1), and the exported node fields of bits 0-11 (5, 4, 1 for the timestamp format,
/// 6 x 4, 9, 8, 8, 4).
const MAX_RAW_HOP_RECORD: usize = COMMON_LEN + 1 + 5 + 4 + 1 + 24 + 9 + 8 + 8 + 4;

/// Octets of the field of trace-type bit `bit` (0-21) in a node entry.
const fn field_size(bit: u32) -> usize {
    match bit {
        8..=10 => 8,
        _ => 4,
    }
}

/// Where the field of trace-type bit `bit` starts in a node entry of `trace_type`.
fn field_offset(trace_type: u32, bit: u32) -> Option<usize> {
    (trace_type & trace_bit(bit) != 0).then(|| {
        (0..bit)
            .filter(|&b| trace_type & trace_bit(b) != 0)
            .map(field_size)
            .sum()
    })
}

impl Layout {
    /// The timestamp fields (bits 2 and 3) of the node entry at the start of `node`.
    fn timestamp(&self, node: &[u8]) -> (Option<u32>, Option<u32>) {
        let word = |offset: Option<usize>| offset.map(|o| u32::from_be_bytes(at::<4>(node, o)));
        (word(self.ts_secs), word(self.ts_frac))
    }

    /// The layout of the 24-bit `trace_type`, if its nodes are written as they are: no
    /// snapshot, and some bytes a node.
    pub fn of(trace_type: u32) -> Option<Layout> {
        if trace_type & OSS_BIT != 0 {
            return None;
        }
        let node_size = usize::try_from(node_len(trace_type)).ok()?.checked_mul(4)?;
        let has = |bit: u32| trace_type & trace_bit(bit) != 0;
        // The common fields and the hop index, the node fields of bits 0-11 (the ids one
        // octet wider), and the timestamp format.
        let hop_record_len = COMMON_LEN
            + 1
            + (0..12)
                .filter(|&bit| has(bit))
                .map(|bit| field_size(bit) + usize::from(bit == 0 || bit == 8))
                .sum::<usize>()
            + usize::from(has(2) || has(3));
        (node_size > 0).then(|| Layout {
            trace_type,
            node_size,
            hop_template_id: hop_template_id(trace_type),
            hop_record_len,
            node_id: field_offset(trace_type, 0),
            ts_secs: field_offset(trace_type, 2),
            ts_frac: field_offset(trace_type, 3),
            node_id_wide: field_offset(trace_type, 8),
        })
    }
}

/// The layout of the last trace type seen (a node's traffic is mostly of one type).
#[derive(Clone, Copy, Debug, Default)]
pub struct Layouts {
    last: Option<(u32, Option<Layout>)>,
}

impl Layouts {
    pub fn get(&mut self, trace_type: u32) -> Option<Layout> {
        match self.last {
            Some((cached, layout)) if cached == trace_type => layout,
            _ => {
                let layout = Layout::of(trace_type);
                self.last = Some((trace_type, layout));
                layout
            }
        }
    }
}

/// `N` octets of `bytes` at `at`, or zeros (never: offsets are within a node entry).
#[inline(always)]
fn at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; N])
}

impl<'a> RawTrace<'a> {
    /// `None` for an event that takes the general path (see the type).
    pub fn new(event: &'a TraceEvent, pen: u32, layouts: &mut Layouts) -> Option<Self> {
        let namespace = event.namespace?;
        let trace_type = event.trace_type? >> 8;
        let layout = layouts.get(trace_type)?;
        let words = layout.node_size / 4;
        if event.nodelen.is_some_and(|n| usize::from(n) != words) {
            return None;
        }
        let data = event.data.as_deref().unwrap_or_default();
        if data.len() % layout.node_size != 0 {
            return None;
        }
        let hop_count = u8::try_from(data.len() / layout.node_size).ok()?;
        let common = Common::of(event, pen, namespace, trace_type);
        // Only a type with both timestamp fields gives a delay: the first node in path order
        // is the last entry of the data, the last node the first.
        let path_delay_us = match (layout.ts_secs, layout.ts_frac) {
            (Some(_), Some(_)) => {
                let first = data.len().saturating_sub(layout.node_size);
                let time = |at: usize| layout.timestamp(data.get(at..).unwrap_or_default());
                path_delay_us(event, hop_count, time(first), time(0))
            }
            _ => None,
        };
        Some(RawTrace {
            common_bytes: common.encoded(),
            common,
            tsformat: event.tsformat.unwrap_or(POSIX),
            data,
            layout,
            hop_count,
            path_delay_us,
        })
    }

    /// The template of the path record.
    pub fn path_template_id(&self) -> u16 {
        path_template_id(self.path_delay_us)
    }

    pub fn namespace(&self) -> u16 {
        self.common.namespace
    }

    /// The trace type, 24 bits.
    pub fn trace_type(&self) -> u32 {
        self.common.trace_type
    }

    /// The node entries, in path order (first node first).
    pub fn nodes(&self) -> impl DoubleEndedIterator<Item = &'a [u8]> + ExactSizeIterator {
        self.data.chunks_exact(self.layout.node_size).rev()
    }

    /// The node id of `node`, as the path record names it: the short one (24 bits), else
    /// the wide one (56 bits).
    pub fn node_id(&self, node: &[u8]) -> Option<u64> {
        if let Some(offset) = self.layout.node_id {
            let [_, a, b, c] = at::<4>(node, offset);
            return Some(u64::from(u32::from_be_bytes([0, a, b, c])));
        }
        self.layout
            .node_id_wide
            .map(|offset| u64::from_be_bytes(at::<8>(node, offset)) & 0x00ff_ffff_ffff_ffff)
    }

    /// The timestamp fields (bits 2 and 3) of `node`.
    pub fn timestamp(&self, node: &[u8]) -> (Option<u32>, Option<u32>) {
        self.layout.timestamp(node)
    }

    /// [`write_event_records`] of the event.
    pub fn write_records(&self, out: &mut EncodedRecords) -> Result<(), RecordError> {
        out.push_with(self.path_template_id(), |bytes| {
            self.write_path(bytes);
            Ok::<(), RecordError>(())
        })?;
        for (node, index) in self.nodes().zip(0u8..) {
            out.push_with(self.layout.hop_template_id, |bytes| {
                self.write_hop(index, node, bytes);
                Ok::<(), RecordError>(())
            })?;
        }
        Ok(())
    }

    /// The template of the per-hop records.
    pub fn hop_template_id(&self) -> u16 {
        self.layout.hop_template_id
    }

    /// Octets of each per-hop record.
    pub fn hop_record_len(&self) -> usize {
        self.layout.hop_record_len
    }

    /// The element and octets of each node id in the path record's list: wide ids only
    /// when the type has no short ones.
    fn list_element(&self) -> (Element, usize) {
        match (self.layout.node_id, self.layout.node_id_wide) {
            (Some(_), _) => (elements::NODE_ID, 4),
            (None, Some(_)) => (elements::NODE_ID_WIDE, 8),
            (None, None) => (elements::NODE_ID, 0),
        }
    }

    /// Octets of the list's content: semantic, element id, length, enterprise number
    /// (9), then the ids; at most 9 + 255 x 8.
    fn list_len(&self) -> usize {
        9 + usize::from(self.hop_count) * self.list_element().1
    }

    /// Octets of the path record.
    pub fn path_record_len(&self) -> usize {
        let list_len = self.list_len();
        let prefix = if list_len < 255 { 1 } else { 3 };
        let delay = if self.path_delay_us.is_some() {
            PATH_DELAY_LEN
        } else {
            0
        };
        COMMON_LEN + 1 + delay + prefix + list_len
    }

    /// Appends the path record.
    pub fn write_path(&self, out: &mut Vec<u8>) {
        let (element, size) = self.list_element();
        let spec = element.spec(self.common.pen);
        let list_len = self.list_len();
        out.reserve(self.path_record_len());
        out.extend_from_slice(&self.common_bytes);
        out.push(self.hop_count);
        if let Some(delay) = self.path_delay_us {
            // Mean, minimum and maximum of a one-packet flow.
            let [a, b, c, d] = delay.to_be_bytes();
            out.extend_from_slice(&[a, b, c, d, a, b, c, d, a, b, c, d]);
        }
        // A variable-length field (RFC 7011 §7): 255 and a 2-octet length from 255 on.
        match u8::try_from(list_len) {
            Ok(short) if short < 255 => out.push(short),
            _ => {
                out.push(255);
                out.extend_from_slice(&u16::try_from(list_len).unwrap_or(u16::MAX).to_be_bytes());
            }
        }
        // Enterprise elements (the bit set) of the IOAM elements' lengths.
        let id = (spec.element_id | 0x8000).to_be_bytes();
        let length = spec.length.to_be_bytes();
        let pen = self.common.pen.to_be_bytes();
        out.extend_from_slice(&[
            Semantic::Ordered as u8,
            id[0],
            id[1],
            length[0],
            length[1],
            pen[0],
            pen[1],
            pen[2],
            pen[3],
        ]);
        for node in self.nodes() {
            match (self.layout.node_id, self.layout.node_id_wide, size) {
                (Some(offset), _, _) => {
                    let [_, a, b, c] = at::<4>(node, offset);
                    out.extend_from_slice(&[0, a, b, c]);
                }
                (None, Some(offset), _) => {
                    let mut id = at::<8>(node, offset);
                    id[0] = 0;
                    out.extend_from_slice(&id);
                }
                (None, None, _) => {}
            }
        }
    }

    /// The per-hop record of `node`, the `index`th of the path, as [`Decoded`]'s
    /// `hop_fields` lays it out; built on the stack, appended at once.
    pub fn write_hop(&self, index: u8, node: &[u8], out: &mut Vec<u8>) {
        let t = self.common.trace_type;
        let mut record = [0u8; MAX_RAW_HOP_RECORD];
        let mut w = COMMON_LEN + 1;
        let mut r = 0;
        record[..COMMON_LEN].copy_from_slice(&self.common_bytes);
        record[COMMON_LEN] = index;
        let has = |bit: u32| t & trace_bit(bit) != 0;
        // Copies the node's next `N` octets as they are.
        fn copy<const N: usize>(
            record: &mut [u8; MAX_RAW_HOP_RECORD],
            w: &mut usize,
            node: &[u8],
            r: &mut usize,
        ) {
            if let Some(to) = record.get_mut(*w..*w + N) {
                to.copy_from_slice(&at::<N>(node, *r));
            }
            *w += N;
            *r += N;
        }
        if has(0) {
            let [hop_limit, a, b, c] = at::<4>(node, r);
            record[w..w + 5].copy_from_slice(&[hop_limit, 0, a, b, c]);
            w += 5;
            r += 4;
        }
        if has(1) {
            copy::<4>(&mut record, &mut w, node, &mut r);
        }
        if has(2) || has(3) {
            record[w] = self.tsformat;
            w += 1;
        }
        for bit in 2..8 {
            if has(bit) {
                copy::<4>(&mut record, &mut w, node, &mut r);
            }
        }
        if has(8) {
            let mut wide = at::<8>(node, r);
            record[w] = wide[0];
            wide[0] = 0;
            record[w + 1..w + 9].copy_from_slice(&wide);
            w += 9;
            r += 8;
        }
        if has(9) {
            copy::<8>(&mut record, &mut w, node, &mut r);
        }
        if has(10) {
            copy::<8>(&mut record, &mut w, node, &mut r);
        }
        if has(11) {
            copy::<4>(&mut record, &mut w, node, &mut r);
        }
        // Bits 12-21 are not exported; nothing follows them.
        out.extend_from_slice(record.get(..w).unwrap_or_default());
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
    /// The path's delay in microseconds, if it gives one ([`path_delay_us`]).
    path_delay_us: Option<u32>,
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
        let time =
            |node: Option<&ParsedNode<'_>>| node.map_or((None, None), |n| (n.ts_secs, n.ts_frac));
        let path_delay_us = path_delay_us(
            event,
            hop_count,
            time(entries.first()),
            time(entries.last()),
        );
        Ok(Decoded {
            common: Common::of(event, pen, namespace, trace_type),
            entries,
            hop_count,
            tsformat: event.tsformat.unwrap_or(POSIX),
            hop_template_id: hop_template_id(trace_type),
            path_delay_us,
        })
    }

    /// The template of the path record.
    pub fn path_template_id(&self) -> u16 {
        path_template_id(self.path_delay_us)
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
        if let Some(delay) = self.path_delay_us {
            // Mean, minimum and maximum of a one-packet flow.
            for spec in [
                elements::PATH_DELAY_MEAN,
                elements::PATH_DELAY_MIN,
                elements::PATH_DELAY_MAX,
            ] {
                sink.add(spec, Value::U32(delay))?;
            }
        }
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

/// The fields every record of an event starts with: the event's, then its packet's flow.
#[derive(Clone, Copy, Debug)]
struct Common {
    pen: u32,
    kind: u8,
    namespace: u16,
    trace_type: u32,
    flags: u8,
    /// The packet's addresses (unspecified when the event has none) and flow label.
    src: [u8; 16],
    dst: [u8; 16],
    flow_label: u32,
}

/// Octets of the common fields: kind (1), namespace (2), trace type (4), flags (1), the
/// addresses (2 x 16) and the flow label (4).
const COMMON_LEN: usize = 8 + 16 + 16 + 4;

/// Octets of a path record's delay: the three RFC 9951 elements of 4 octets.
const PATH_DELAY_LEN: usize = 3 * 4;

/// The template of a path record whose path gives the delay `path_delay_us`, or none.
fn path_template_id(path_delay_us: Option<u32>) -> u16 {
    match path_delay_us {
        Some(_) => PATH_DELAY_TEMPLATE_ID,
        None => PATH_TEMPLATE_ID,
    }
}

/// Fields of a per-hop record with every node field: its vector is allocated once.
const MAX_HOP_FIELDS: usize = 27;

impl Common {
    /// The fields `event` (of namespace `namespace`, trace type `trace_type`) gives every
    /// record; `kind` numbered as the module's event types.
    fn of(event: &TraceEvent, pen: u32, namespace: u16, trace_type: u32) -> Self {
        Common {
            pen,
            kind: match (event.dex, event.loopback) {
                (true, _) => 2,
                (_, true) => 3,
                _ => 1,
            },
            namespace,
            trace_type,
            flags: event.flags.unwrap_or(0),
            src: event.src.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            dst: event.dst.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            flow_label: event.flow_label.unwrap_or(0),
        }
    }

    /// The fields as [`Common::add_to`] encodes them.
    fn encoded(&self) -> [u8; COMMON_LEN] {
        let mut bytes = [0; COMMON_LEN];
        let [n0, n1] = self.namespace.to_be_bytes();
        let [t0, t1, t2, t3] = self.trace_type.to_be_bytes();
        bytes[..8].copy_from_slice(&[self.kind, n0, n1, t0, t1, t2, t3, self.flags]);
        bytes[8..24].copy_from_slice(&self.src);
        bytes[24..40].copy_from_slice(&self.dst);
        bytes[40..].copy_from_slice(&self.flow_label.to_be_bytes());
        bytes
    }

    fn add_to(&self, sink: &mut impl FieldSink) -> Result<(), EncodeError> {
        let pen = self.pen;
        sink.add(elements::EVENT_KIND.spec(pen), Value::U8(self.kind))?;
        sink.add(elements::NAMESPACE_ID.spec(pen), Value::U16(self.namespace))?;
        sink.add(elements::TRACE_TYPE.spec(pen), Value::U32(self.trace_type))?;
        sink.add(elements::TRACE_FLAGS.spec(pen), Value::U8(self.flags))?;
        sink.add_octets(elements::SOURCE_IPV6_ADDRESS, &self.src)?;
        sink.add_octets(elements::DESTINATION_IPV6_ADDRESS, &self.dst)?;
        sink.add(elements::FLOW_LABEL_IPV6, Value::U32(self.flow_label))
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
            src: Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            dst: Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
            flow_label: Some(0xabcde),
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
        let address = |last: u8| {
            let mut octets = [0; 16];
            octets[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            octets[15] = last;
            Value::Octets(octets.to_vec())
        };
        let flow = [
            (elements::SOURCE_IPV6_ADDRESS, address(1)),
            (elements::DESTINATION_IPV6_ADDRESS, address(2)),
            (elements::FLOW_LABEL_IPV6, Value::U32(0xabcde)),
        ];
        let specs = expected
            .iter()
            .map(|(element, value)| (element.spec(PEN), value.clone()));
        // The flow's IANA fields follow the event's four.
        let fields: Vec<(FieldSpecifier, Value)> = specs
            .clone()
            .take(4)
            .chain(flow.clone())
            .chain(specs.skip(4))
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
        let node_id_at = COMMON_LEN + 1 + 1;
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
        assert_eq!(
            path.value(&elements::FLOW_LABEL_IPV6),
            Some(&Value::U32(0xabcde))
        );
        // An event without the packet's addresses: the unspecified address.
        let bare = TraceEvent {
            src: None,
            ..event(trace_type, vec![64, 0, 0, 1])
        };
        let path = event_records(&bare, PEN)?.path;
        assert_eq!(
            path.value(&elements::SOURCE_IPV6_ADDRESS),
            Some(&Value::Octets(vec![0; 16]))
        );
        Ok(())
    }

    /// An event of trace type node id + timestamps (bits 0, 2, 3) whose nodes, in path
    /// order, received the packet at `(secs, frac)`.
    fn timed(nodes: &[(u32, u32)]) -> TraceEvent {
        let data = nodes
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(i, &(secs, frac))| {
                let id = u8::try_from(i + 1).unwrap_or(u8::MAX);
                let mut entry = vec![64 - id, 0, 0, id];
                entry.extend(secs.to_be_bytes());
                entry.extend(frac.to_be_bytes());
                entry
            })
            .collect();
        event(trace_bit(0) | trace_bit(2) | trace_bit(3), data)
    }

    #[test]
    fn path_delay_from_the_first_node_to_the_last() -> Result<(), RecordError> {
        const S: u32 = 1_796_392_800;
        // POSIX: microseconds; across a second; the middle node's time plays no part.
        let trace = timed(&[(S, 999_990), (S + 5, 0), (S + 1, 40)]);
        let path = event_records(&trace, PEN)?.path;
        assert_eq!(path.template_id, PATH_DELAY_TEMPLATE_ID);
        for spec in [
            elements::PATH_DELAY_MEAN,
            elements::PATH_DELAY_MIN,
            elements::PATH_DELAY_MAX,
        ] {
            assert_eq!(path.value(&spec), Some(&Value::U32(50)));
        }
        // The delay comes before the list, which stays last.
        assert_eq!(path.fields.last().map(|(spec, _)| *spec), Some(BASIC_LIST));
        // PTP (nanoseconds): truncated to whole microseconds.
        let ptp = TraceEvent {
            tsformat: Some(1),
            tai_offset_s: 37,
            ..timed(&[(S, 999_999_000), (S + 1, 1_500)])
        };
        assert_eq!(path_delay_of(&ptp), Some(2));
        // No delay: the path template, without the elements.
        let none = [
            // One node.
            timed(&[(S, 10)]),
            // A time marked unavailable.
            timed(&[(S, 10), (u32::MAX, u32::MAX)]),
            timed(&[(S, u32::MAX), (S, 20)]),
            // The last node's clock behind the first's (by less than a microsecond too).
            timed(&[(S, 20), (S, 19)]),
            TraceEvent {
                tsformat: Some(1),
                ..timed(&[(S, 1_000), (S, 500)])
            },
            // More than 32 bits of microseconds (71 minutes).
            timed(&[(S, 0), (S + 4295, 0)]),
            // A fraction out of range for POSIX.
            timed(&[(S, 0), (S, 1_000_000)]),
            // Not a trace's path to this node.
            TraceEvent {
                dex: true,
                ..timed(&[(S, 0), (S, 1)])
            },
            TraceEvent {
                loopback: true,
                ..timed(&[(S, 0), (S, 1)])
            },
            // A timestamp format this version does not know.
            TraceEvent {
                tsformat: Some(3),
                ..timed(&[(S, 0), (S, 1)])
            },
        ];
        for trace in &none {
            let path = event_records(trace, PEN)?.path;
            assert_eq!(path.template_id, PATH_TEMPLATE_ID, "{trace:?}");
            assert_eq!(path.value(&elements::PATH_DELAY_MEAN), None);
        }
        // Seconds alone (no fraction): none either.
        let coarse = event(
            trace_bit(0) | trace_bit(2),
            vec![63, 0, 0, 2, 0, 0, 0, 9, 64, 0, 0, 1, 0, 0, 0, 1],
        );
        assert_eq!(path_delay_of(&coarse), None);
        Ok(())
    }

    /// The path record's mean delay of `event`.
    fn path_delay_of(event: &TraceEvent) -> Option<u32> {
        match event_records(event, PEN)
            .ok()?
            .path
            .value(&elements::PATH_DELAY_MEAN)
        {
            Some(Value::U32(delay)) => Some(*delay),
            _ => None,
        }
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

    /// An event of any trace type (the snapshot bit off or on), attributes, packet flow,
    /// and data of whole node entries or not.
    fn any_event() -> impl proptest::strategy::Strategy<Value = TraceEvent> {
        use proptest::prelude::*;
        (
            0u32..0x0100_0000,
            0usize..5,
            0usize..3,
            any::<(bool, bool, Option<u8>, Option<u8>, bool, u8)>(),
            any::<(Option<u128>, Option<u128>, Option<u32>)>(),
        )
            .prop_flat_map(|(trace_type, nodes, extra, attrs, flow)| {
                let len = node_len(trace_type) as usize * 4 * nodes + extra;
                (
                    Just((trace_type, attrs, flow)),
                    proptest::collection::vec(any::<u8>(), len),
                )
            })
            .prop_map(
                |(
                    (
                        trace_type,
                        (dex, loopback, flags, tsformat, own_nodelen, reserved),
                        (src, dst, flow_label),
                    ),
                    data,
                )| {
                    TraceEvent {
                        src: src.map(Ipv6Addr::from),
                        dst: dst.map(Ipv6Addr::from),
                        flow_label,
                        dex,
                        loopback,
                        flags,
                        tsformat,
                        namespace: Some(0x1234),
                        nodelen: if own_nodelen {
                            u8::try_from(node_len(trace_type)).ok()
                        } else {
                            Some(reserved % 3)
                        },
                        trace_type: Some((trace_type << 8) | u32::from(reserved)),
                        data: Some(data),
                        ..TraceEvent::default()
                    }
                },
            )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The records written from the node bytes are those of the general path, and
        /// every trace of fixed-size fields that the general path takes is written so.
        #[test]
        fn raw_records_are_the_general_ones(event in any_event()) {
            let mut general = EncodedRecords::default();
            let general_ok = write_event_records(&event, PEN, &mut general).is_ok();
            match RawTrace::new(&event, PEN, &mut Layouts::default()) {
                Some(raw) => {
                    let mut written = EncodedRecords::default();
                    proptest::prop_assert!(raw.write_records(&mut written).is_ok());
                    proptest::prop_assert!(general_ok);
                    proptest::prop_assert_eq!(&written, &general);
                    let mut records = written.iter();
                    let path = records.next().map(|(_, r)| r.len());
                    proptest::prop_assert_eq!(path, Some(raw.path_record_len()));
                    for (template_id, record) in records {
                        proptest::prop_assert_eq!(template_id, raw.hop_template_id());
                        proptest::prop_assert_eq!(record.len(), raw.hop_record_len());
                    }
                    let decoded = decode_event(&event, PEN).map_err(|e| {
                        proptest::test_runner::TestCaseError::fail(e.to_string())
                    })?;
                    proptest::prop_assert_eq!(raw.nodes().len(), decoded.nodes().len());
                    for (bytes, node) in raw.nodes().zip(decoded.nodes()) {
                        let id = node
                            .hop_limit_node_id
                            .map(|(_, id)| u64::from(id))
                            .or(node.hop_limit_node_id_wide.map(|(_, id)| id));
                        proptest::prop_assert_eq!(raw.node_id(bytes), id);
                        proptest::prop_assert_eq!(
                            raw.timestamp(bytes),
                            (node.ts_secs, node.ts_frac)
                        );
                    }
                }
                None => {
                    let trace_type = event.trace_type.unwrap_or(0) >> 8;
                    proptest::prop_assert!(
                        !general_ok || trace_type & OSS_BIT != 0 || node_len(trace_type) == 0
                    );
                }
            }
        }
    }
}
