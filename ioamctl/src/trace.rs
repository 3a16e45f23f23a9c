//! Trace events of the `ioam6_events` group: `ip ioam monitor`'s text line, and a JSON
//! object with the node data decoded field by field (RFC 9197, section 4.4).
//!
//! Everything here is a pure function of the event's attributes, so it is tested with
//! constructed messages; nothing can panic whatever the bytes (see the random tests).
//!
//! `TRACE_DATA` is the filled part of the option's trace data: the data of the nodes
//! that wrote so far, most recent node first. Each node is `NodeLen * 4` bytes, then,
//! if bit 22 is set, an Opaque State Snapshot: a 4-byte header (length in 4-byte words
//! in the top byte, 24-bit schema id) and that many words of data. Within a node the
//! fields follow in trace-type bit order, bit 0 being the most significant bit of the
//! 24-bit type; every field is big-endian.

use ioam_uapi::event::attr as event_attr;

use crate::format::c_alternate_hex;
use crate::json::JsonWriter;
use crate::netlink::Attributes;

/// One `TRACE` event. Each attribute is optional, as `ip ioam monitor` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceEvent {
    pub namespace: Option<u16>,
    pub nodelen: Option<u8>,
    /// `TRACE_TYPE` as sent: the trace type word, the 24-bit type above the reserved octet.
    pub trace_type: Option<u32>,
    pub data: Option<Vec<u8>>,
}

/// The first `N` bytes of the first attribute of type `kind`, as `rta_getattr_u*` reads
/// them; an attribute too short to hold them counts as absent.
fn leading<const N: usize>(attrs: &Attributes, kind: u16) -> Option<[u8; N]> {
    attrs
        .iter()
        .find(|(attr_kind, _)| *attr_kind == kind)
        .and_then(|(_, payload)| payload.get(..N))
        .and_then(|bytes| bytes.try_into().ok())
}

impl TraceEvent {
    /// The event carried by the attributes of one `event::TRACE` message (native byte
    /// order, as `nla_put_u16` and friends write them).
    pub fn from_attributes(attrs: &Attributes) -> TraceEvent {
        TraceEvent {
            namespace: leading(attrs, event_attr::TRACE_NAMESPACE).map(u16::from_ne_bytes),
            nodelen: leading::<1>(attrs, event_attr::TRACE_NODELEN).map(|[byte]| byte),
            trace_type: leading(attrs, event_attr::TRACE_TYPE).map(u32::from_ne_bytes),
            data: attrs
                .iter()
                .find(|(kind, _)| *kind == event_attr::TRACE_DATA)
                .map(|(_, payload)| payload.clone()),
        }
    }
}

/// The line `ip ioam monitor` prints (`print_trace` in iproute2's `ip/ipioam6.c`):
/// `[TRACE] Namespace=%u NodeLen=%u Type=%#08x Data=%02x...` and a newline, each of
/// the first three only if its attribute is there.
pub fn event_text(event: &TraceEvent) -> String {
    let mut line = String::from("[TRACE] ");
    if let Some(namespace) = event.namespace {
        line.push_str(&format!("Namespace={namespace} "));
    }
    if let Some(nodelen) = event.nodelen {
        line.push_str(&format!("NodeLen={nodelen} "));
    }
    if let Some(trace_type) = event.trace_type {
        line.push_str(&format!("Type={} ", c_alternate_hex(trace_type.into(), 8)));
    }
    line.push_str("Data=");
    line.push_str(&hex(event.data.as_deref().unwrap_or_default()));
    line.push('\n');
    line
}

/// One compact JSON object and a newline:
/// `{"namespace":N,"nodelen":N,"type":"0xfff002","data":"...","nodes":[{...},...],"trailing":"..."}`.
/// `type` is the 24-bit trace type in hex with 6 digits; `data` the raw trace data in hex (as
/// on the wire); `nodes` are in wire order, most recent node first; `trailing` (only when not
/// empty) holds the bytes that do not make up a whole node. Keys of absent attributes are left
/// out.
pub fn event_json(event: &TraceEvent) -> String {
    let mut writer = JsonWriter::new(false);
    writer.start_object();
    if let Some(namespace) = event.namespace {
        writer.uint_field("namespace", namespace.into());
    }
    if let Some(nodelen) = event.nodelen {
        writer.uint_field("nodelen", nodelen.into());
    }
    let data = event.data.as_deref().unwrap_or_default();
    let decoded = match event.trace_type {
        Some(trace_type) => {
            let trace_type = trace_type >> 8;
            writer.string_field("type", &format!("{trace_type:#08x}"));
            let nodelen = event.nodelen.unwrap_or_else(|| nodelen_of(trace_type));
            decode_nodes(trace_type, nodelen, data)
        }
        // Without the type, the data cannot be split into fields.
        None => Nodes {
            nodes: Vec::new(),
            trailing: data.to_vec(),
        },
    };
    if let Some(raw) = &event.data {
        writer.string_field("data", &hex(raw));
    }
    writer.start_array_field("nodes");
    for node in &decoded.nodes {
        writer.start_object();
        for (key, value) in &node.fields {
            match value {
                Value::Uint(number) => writer.uint_field(key, *number),
                Value::Text(text) => writer.string_field(key, text),
                Value::Null => writer.null_field(key),
                Value::Uints(numbers) => {
                    writer.start_array_field(key);
                    for number in numbers {
                        writer.uint_value(*number);
                    }
                    writer.end_array();
                }
            }
        }
        writer.end_object();
    }
    writer.end_array();
    if !decoded.trailing.is_empty() {
        writer.string_field("trailing", &hex(&decoded.trailing));
    }
    writer.end_object();
    writer.finish()
}

/// Lower-case hex digits, two per byte, nothing between.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The value of one decoded field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Uint(u64),
    Text(String),
    Null,
    Uints(Vec<u64>),
}

/// One node's data: `(key, value)` in trace-type bit order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub fields: Vec<(&'static str, Value)>,
}

impl Node {
    /// The value of `key`, if the node has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(field, _)| *field == key)
            .map(|(_, value)| value)
    }
}

/// The nodes of a trace, and what is left that does not make up a whole node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nodes {
    pub nodes: Vec<Node>,
    pub trailing: Vec<u8>,
}

/// Bit `bit` of a 24-bit trace type, numbered as in RFC 9197 (bit 0 is `0x800000`).
pub const fn type_bit(bit: u32) -> u32 {
    0x0080_0000 >> bit
}

/// The Opaque State Snapshot bit.
pub const BIT_SNAPSHOT: u32 = 22;
/// The bits whose field is 8 bytes; every other bit below 22 has a 4-byte field.
const WIDE_BITS: [u32; 3] = [8, 9, 10];
/// The snapshot header that says "no schema": length 0, schema id 0xffffff.
pub const SNAPSHOT_NO_SCHEMA: u32 = 0x00ff_ffff;

/// Bytes of the field of `bit` (0 for bit 22, whose part is variable, and bit 23).
fn field_size(bit: u32) -> usize {
    match bit {
        _ if WIDE_BITS.contains(&bit) => 8,
        0..=21 => 4,
        _ => 0,
    }
}

/// The NodeLen a 24-bit `trace_type` implies: the fixed part of a node in 4-byte words.
pub fn nodelen_of(trace_type: u32) -> u8 {
    let bytes: usize = (0..24)
        .filter(|bit| trace_type & type_bit(*bit) != 0)
        .map(field_size)
        .sum();
    // At most 10 * 4 + 3 * 8 + 9 * 4 = 100 bytes: 25 words.
    u8::try_from(bytes / 4).unwrap_or(u8::MAX)
}

/// Splits `data` into nodes of a 24-bit `trace_type` whose fixed part is `nodelen`
/// words, and decodes each. A node too short for its fields keeps those that fit.
pub fn decode_nodes(trace_type: u32, nodelen: u8, data: &[u8]) -> Nodes {
    let fixed = usize::from(nodelen) * 4;
    let has_snapshot = trace_type & type_bit(BIT_SNAPSHOT) != 0;
    let mut nodes = Vec::new();
    let mut rest = data;
    while let Some(size) = node_size(rest, fixed, has_snapshot) {
        let (node, after) = rest.split_at(size);
        nodes.push(decode_node(
            trace_type,
            &node[..fixed],
            has_snapshot.then(|| &node[fixed..]),
        ));
        rest = after;
    }
    Nodes {
        nodes,
        trailing: rest.to_vec(),
    }
}

/// The size of the node at the start of `rest`, if a whole non-empty one is there.
fn node_size(rest: &[u8], fixed: usize, has_snapshot: bool) -> Option<usize> {
    let size = if has_snapshot {
        let header = rest.get(fixed..fixed.checked_add(4)?)?;
        let words = usize::from(header[0]);
        fixed + 4 + words * 4
    } else {
        fixed
    };
    (size > 0 && size <= rest.len()).then_some(size)
}

/// Reads big-endian fields off the front of a node's fixed part.
struct Fields<'a> {
    rest: &'a [u8],
}

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (field, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*field)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_be_bytes)
    }
}

/// One node: `fixed` is its `NodeLen * 4` bytes, `snapshot` the Opaque State Snapshot
/// (header and data) when bit 22 is set.
fn decode_node(trace_type: u32, fixed: &[u8], snapshot: Option<&[u8]>) -> Node {
    let mut node = Node::default();
    let fields = &mut node.fields;
    let mut reader = Fields { rest: fixed };
    let mut undefined = Vec::new();
    let mut seconds = None;
    for bit in (0..BIT_SNAPSHOT).filter(|bit| trace_type & type_bit(*bit) != 0) {
        let complete = if field_size(bit) == 8 {
            reader.u64().map(|word| decode_wide(bit, word, fields))
        } else {
            reader.u32().map(|word| {
                decode_narrow(bit, word, &mut seconds, &mut undefined, fields);
            })
        };
        if complete.is_none() {
            // NodeLen is shorter than the type says: keep what fit.
            break;
        }
    }
    if !undefined.is_empty() {
        fields.push(("undefined_bits", Value::Uints(undefined)));
    }
    if let Some(snapshot) = snapshot {
        decode_snapshot(snapshot, fields);
    }
    node
}

/// A 4-byte field.
fn decode_narrow(
    bit: u32,
    word: u32,
    seconds: &mut Option<u32>,
    undefined: &mut Vec<u64>,
    fields: &mut Vec<(&'static str, Value)>,
) {
    let number = |value: u32| Value::Uint(value.into());
    match bit {
        0 => {
            fields.push(("hop_limit", number(word >> 24)));
            fields.push(("node_id", number(word & 0x00ff_ffff)));
        }
        1 => {
            fields.push(("ingress_if", number(word >> 16)));
            fields.push(("egress_if", number(word & 0xffff)));
        }
        2 => {
            *seconds = Some(word);
            fields.push(("timestamp_secs", number(word)));
        }
        3 => {
            fields.push(("timestamp_frac", number(word)));
            if let Some(text) = seconds.and_then(|seconds| rfc3339(seconds, word)) {
                fields.push(("timestamp", Value::Text(text)));
            }
        }
        4 => fields.push(("transit_delay", number(word))),
        5 => fields.push(("namespace_data", number(word))),
        6 => fields.push(("queue_depth", number(word))),
        7 => fields.push(("checksum_complement", number(word))),
        11 => fields.push(("buffer_occupancy", number(word))),
        _ => undefined.push(word.into()),
    }
}

/// An 8-byte field (bits 8, 9 and 10).
fn decode_wide(bit: u32, word: u64, fields: &mut Vec<(&'static str, Value)>) {
    match bit {
        8 => {
            fields.push(("hop_limit_wide", Value::Uint(word >> 56)));
            fields.push(("node_id_wide", Value::Uint(word & 0x00ff_ffff_ffff_ffff)));
        }
        9 => {
            fields.push(("ingress_if_wide", Value::Uint(word >> 32)));
            fields.push(("egress_if_wide", Value::Uint(word & 0xffff_ffff)));
        }
        _ => fields.push(("namespace_data_wide", Value::Uint(word))),
    }
}

/// The Opaque State Snapshot: `schema_id` (null for the "no schema" header) and
/// `schema_data` in hex.
fn decode_snapshot(snapshot: &[u8], fields: &mut Vec<(&'static str, Value)>) {
    let Some((header, data)) = snapshot.split_first_chunk::<4>() else {
        return;
    };
    let header = u32::from_be_bytes(*header);
    if header == SNAPSHOT_NO_SCHEMA {
        fields.push(("schema_id", Value::Null));
        return;
    }
    fields.push(("schema_id", Value::Uint((header & 0x00ff_ffff).into())));
    fields.push(("schema_data", Value::Text(hex(data))));
}

/// `2026-11-27T14:00:00.123456Z` for `seconds` since the epoch and `micros`, or `None`
/// when the seconds are the "unavailable" all-ones or `micros` is not below a million.
pub fn rfc3339(seconds: u32, micros: u32) -> Option<String> {
    if seconds == u32::MAX || micros >= 1_000_000 {
        return None;
    }
    let (year, month, day) = civil_from_days(i64::from(seconds / 86_400));
    let time = seconds % 86_400;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    ))
}

/// Year, month and day of `days` since 1970-01-01 in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(namespace: u16, nodelen: u8, trace_type: u32, data: Vec<u8>) -> TraceEvent {
        TraceEvent {
            namespace: Some(namespace),
            nodelen: Some(nodelen),
            trace_type: Some(trace_type << 8),
            data: Some(data),
        }
    }

    fn json(event: &TraceEvent) -> serde_json::Value {
        let text = event_json(event);
        assert!(text.ends_with('\n'));
        assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
        serde_json::from_str(&text).expect("valid JSON")
    }

    /// The single node of `data` for a type with one bit set.
    fn single(bit: u32, data: &[u8]) -> serde_json::Value {
        let trace_type = type_bit(bit);
        let nodelen = nodelen_of(trace_type);
        let value = json(&event(1, nodelen, trace_type, data.to_vec()));
        assert!(value.get("trailing").is_none(), "bit {bit}: {value}");
        assert_eq!(
            value["nodes"].as_array().map(Vec::len),
            Some(1),
            "bit {bit}"
        );
        value["nodes"][0].clone()
    }

    #[test]
    fn text_line_is_ip_ioam_monitor() {
        let event = event(123, 2, 0xc0_0000, vec![0x40, 0, 0, 1, 0, 2, 0, 3]);
        assert_eq!(
            event_text(&event),
            "[TRACE] Namespace=123 NodeLen=2 Type=0xc0000000 Data=4000000100020003\n"
        );
        assert_eq!(
            event_text(&TraceEvent::default()),
            "[TRACE] Data=\n",
            "every attribute is optional"
        );
        let small_type = TraceEvent {
            trace_type: Some(0x100),
            data: Some(vec![]),
            ..TraceEvent::default()
        };
        assert_eq!(event_text(&small_type), "[TRACE] Type=0x000100 Data=\n");
        let zero_type = TraceEvent {
            trace_type: Some(0),
            ..TraceEvent::default()
        };
        assert_eq!(
            event_text(&zero_type),
            "[TRACE] Type=00000000 Data=\n",
            "C's %#08x has no 0x for zero"
        );
    }

    #[test]
    fn attributes_are_read_like_rta_getattr() {
        let attrs: Attributes = vec![
            (event_attr::TRACE_NAMESPACE, 123u16.to_ne_bytes().to_vec()),
            (event_attr::TRACE_NODELEN, vec![2]),
            (
                event_attr::TRACE_TYPE,
                0xc000_0000u32.to_ne_bytes().to_vec(),
            ),
            (event_attr::TRACE_DATA, vec![1, 2, 3]),
            (event_attr::TRACE_DATA, vec![4]),
            (99, vec![9]),
        ];
        assert_eq!(
            TraceEvent::from_attributes(&attrs),
            TraceEvent {
                namespace: Some(123),
                nodelen: Some(2),
                trace_type: Some(0xc000_0000),
                data: Some(vec![1, 2, 3]),
            }
        );
        let short: Attributes = vec![
            (event_attr::TRACE_NAMESPACE, vec![1]),
            (event_attr::TRACE_TYPE, vec![1, 2]),
            (event_attr::TRACE_NODELEN, vec![]),
        ];
        assert_eq!(TraceEvent::from_attributes(&short), TraceEvent::default());
    }

    #[test]
    fn json_envelope() {
        let value = json(&event(123, 1, 0x80_0000, vec![0x40, 0, 0, 7]));
        assert_eq!(value["namespace"], 123);
        assert_eq!(value["nodelen"], 1);
        assert_eq!(value["type"], "0x800000");
        assert_eq!(
            event_json(&event(123, 1, 0x80_0000, vec![0x40, 0, 0, 7])),
            "{\"namespace\":123,\"nodelen\":1,\"type\":\"0x800000\",\"data\":\"40000007\",\
             \"nodes\":[{\"hop_limit\":64,\"node_id\":7}]}\n"
        );
        assert_eq!(
            event_json(&TraceEvent::default()),
            "{\"nodes\":[]}\n",
            "absent attributes are left out"
        );
        let untyped = TraceEvent {
            data: Some(vec![0xab, 0xcd]),
            ..TraceEvent::default()
        };
        assert_eq!(
            event_json(&untyped),
            "{\"data\":\"abcd\",\"nodes\":[],\"trailing\":\"abcd\"}\n"
        );
    }

    #[test]
    fn each_narrow_bit_alone() {
        let data = [0x12, 0x34, 0x56, 0x78];
        let node = single(0, &data);
        assert_eq!(node["hop_limit"], 0x12);
        assert_eq!(node["node_id"], 0x34_5678);
        let node = single(1, &data);
        assert_eq!(node["ingress_if"], 0x1234);
        assert_eq!(node["egress_if"], 0x5678);
        let node = single(2, &data);
        assert_eq!(node["timestamp_secs"], 0x1234_5678);
        assert!(node.get("timestamp").is_none(), "seconds alone");
        let node = single(3, &data);
        assert_eq!(node["timestamp_frac"], 0x1234_5678);
        assert!(node.get("timestamp").is_none(), "fraction alone");
        for (bit, key) in [
            (4, "transit_delay"),
            (5, "namespace_data"),
            (6, "queue_depth"),
            (7, "checksum_complement"),
            (11, "buffer_occupancy"),
        ] {
            let node = single(bit, &data);
            assert_eq!(node[key], 0x1234_5678, "bit {bit}");
            assert_eq!(node.as_object().map(|object| object.len()), Some(1));
        }
        for bit in 12..22 {
            let node = single(bit, &data);
            assert_eq!(node["undefined_bits"], serde_json::json!([0x1234_5678]));
        }
    }

    #[test]
    fn each_wide_bit_alone() {
        let data = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
        let node = single(8, &data);
        assert_eq!(node["hop_limit_wide"], 0x12);
        assert_eq!(node["node_id_wide"], 0x34_5678_9abc_def0u64);
        let node = single(9, &data);
        assert_eq!(node["ingress_if_wide"], 0x1234_5678);
        assert_eq!(node["egress_if_wide"], 0x9abc_def0u32);
        let node = single(10, &data);
        assert_eq!(node["namespace_data_wide"], 0x1234_5678_9abc_def0u64);
    }

    #[test]
    fn snapshot_alone() {
        let node = single(
            22,
            &[0x02, 0x00, 0x03, 0x09, b'a', b'b', b'c', b'd', 0, 0, 0, 1],
        );
        assert_eq!(node["schema_id"], 0x309);
        assert_eq!(node["schema_data"], "6162636400000001");
        let node = single(22, &[0x00, 0xff, 0xff, 0xff]);
        assert!(node["schema_id"].is_null());
        assert!(node.get("schema_data").is_none());
        let node = single(22, &[0x00, 0x00, 0x00, 0x05]);
        assert_eq!(node["schema_id"], 5);
        assert_eq!(node["schema_data"], "");
    }

    #[test]
    fn timestamp_from_seconds_and_microseconds() {
        let seconds: u32 = 1_795_788_000; // 2026-11-27T14:00:00Z
        let mut data = seconds.to_be_bytes().to_vec();
        data.extend(123_456u32.to_be_bytes());
        let value = json(&event(1, 2, 0x30_0000, data));
        let node = &value["nodes"][0];
        assert_eq!(node["timestamp_secs"], seconds);
        assert_eq!(node["timestamp_frac"], 123_456);
        assert_eq!(node["timestamp"], "2026-11-27T14:00:00.123456Z");
        let unavailable = [0xff; 8].to_vec();
        let value = json(&event(1, 2, 0x30_0000, unavailable));
        assert_eq!(value["nodes"][0]["timestamp_secs"], u32::MAX);
        assert!(value["nodes"][0].get("timestamp").is_none());
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(
            rfc3339(0, 0).as_deref(),
            Some("1970-01-01T00:00:00.000000Z")
        );
        assert_eq!(
            rfc3339(951_782_400, 1).as_deref(),
            Some("2000-02-29T00:00:00.000001Z")
        );
        assert_eq!(
            rfc3339(u32::MAX - 1, 999_999).as_deref(),
            Some("2106-02-07T06:28:14.999999Z")
        );
        assert_eq!(rfc3339(u32::MAX, 0), None);
        assert_eq!(rfc3339(0, 1_000_000), None);
    }

    /// The full type 0xfff002 (bits 0..11 and 22) with a schema, two nodes.
    #[test]
    fn full_type_with_schema_two_nodes() {
        let trace_type = 0xfff002;
        assert_eq!(nodelen_of(trace_type), 15);
        let node = |hop: u8, id: u8| {
            let mut bytes = vec![hop, 0, 0, id]; // bit 0
            bytes.extend([0, 1, 0, 2]); // bit 1
            bytes.extend(1_795_788_000u32.to_be_bytes()); // bit 2
            bytes.extend(5u32.to_be_bytes()); // bit 3
            bytes.extend(6u32.to_be_bytes()); // bit 4
            bytes.extend(7u32.to_be_bytes()); // bit 5
            bytes.extend(8u32.to_be_bytes()); // bit 6
            bytes.extend(9u32.to_be_bytes()); // bit 7
            bytes.extend([hop, 0, 0, 0, 0, 0, 0, id]); // bit 8
            bytes.extend([0, 0, 0, 1, 0, 0, 0, 2]); // bit 9
            bytes.extend(0xcafe_c0ca_f00d_c0deu64.to_be_bytes()); // bit 10
            bytes.extend(10u32.to_be_bytes()); // bit 11
            bytes.extend([1, 0, 0x03, 0x09, b's', b'o', b'm', b'e']); // bit 22
            bytes
        };
        let mut data = node(62, 2);
        data.extend(node(63, 1));
        let value = json(&event(123, 15, trace_type, data));
        assert_eq!(value["type"], "0xfff002");
        let nodes = value["nodes"].as_array().expect("array");
        assert_eq!(nodes.len(), 2);
        assert!(value.get("trailing").is_none());
        assert_eq!(nodes[0]["hop_limit"], 62, "most recent node first");
        assert_eq!(nodes[1]["hop_limit"], 63);
        assert_eq!(nodes[1]["node_id"], 1);
        assert_eq!(nodes[0]["timestamp"], "2026-11-27T14:00:00.000005Z");
        assert_eq!(nodes[0]["namespace_data_wide"], 0xcafe_c0ca_f00d_c0deu64);
        assert_eq!(nodes[0]["buffer_occupancy"], 10);
        assert_eq!(nodes[0]["schema_id"], 777);
        assert_eq!(nodes[0]["schema_data"], "736f6d65");
        // serde_json sorts keys: take the order from the decoder.
        let decoded = decode_nodes(trace_type, 15, &node(62, 2));
        let keys: Vec<&str> = decoded.nodes[0]
            .fields
            .iter()
            .map(|(key, _)| *key)
            .collect();
        assert_eq!(
            keys,
            [
                "hop_limit",
                "node_id",
                "ingress_if",
                "egress_if",
                "timestamp_secs",
                "timestamp_frac",
                "timestamp",
                "transit_delay",
                "namespace_data",
                "queue_depth",
                "checksum_complement",
                "hop_limit_wide",
                "node_id_wide",
                "ingress_if_wide",
                "egress_if_wide",
                "namespace_data_wide",
                "buffer_occupancy",
                "schema_id",
                "schema_data"
            ],
            "bit order"
        );
        assert_eq!(
            decoded.nodes[0].get("egress_if_wide"),
            Some(&Value::Uint(2))
        );
        let text = event_json(&event(123, 15, trace_type, node(62, 2)));
        assert!(text.contains(
            "{\"hop_limit\":62,\"node_id\":2,\"ingress_if\":1,\"egress_if\":2,\
             \"timestamp_secs\":1795788000,\"timestamp_frac\":5,\
             \"timestamp\":\"2026-11-27T14:00:00.000005Z\",\"transit_delay\":6,"
        ));
    }

    #[test]
    fn leftover_bytes_are_trailing() {
        let value = json(&event(
            1,
            1,
            0x80_0000,
            vec![1, 0, 0, 1, 2, 0, 0, 2, 0xaa, 0xbb],
        ));
        assert_eq!(value["nodes"].as_array().map(Vec::len), Some(2));
        assert_eq!(value["trailing"], "aabb");
        // A snapshot whose length runs past the data.
        let value = json(&event(1, 0, 0x00_0002, vec![0x05, 0, 0, 1, 0xaa]));
        assert_eq!(value["nodes"], serde_json::json!([]));
        assert_eq!(value["trailing"], "05000001aa");
    }

    #[test]
    fn nodelen_is_the_stride() {
        // NodeLen 2 for a type of one 4-byte field: fields from the start, the rest skipped.
        let value = json(&event(1, 2, 0x80_0000, vec![1, 0, 0, 1, 9, 9, 9, 9]));
        assert_eq!(value["nodes"][0]["node_id"], 1);
        assert_eq!(
            value["nodes"][0].as_object().map(|object| object.len()),
            Some(2)
        );
        // NodeLen 1 for a type of two fields: the second does not fit and is left out.
        let value = json(&event(1, 1, 0xc0_0000, vec![1, 0, 0, 1, 2, 0, 0, 2]));
        assert_eq!(value["nodes"].as_array().map(Vec::len), Some(2));
        assert!(value["nodes"][0].get("ingress_if").is_none());
    }

    #[test]
    fn nothing_to_split_is_all_trailing() {
        // NodeLen 0 without a snapshot: nodes of no size are not counted forever.
        let value = json(&event(1, 0, 0x80_0000, vec![1, 2, 3, 4]));
        assert_eq!(value["nodes"], serde_json::json!([]));
        assert_eq!(value["trailing"], "01020304");
        let value = json(&event(1, 0, 0, vec![]));
        assert_eq!(value["nodes"], serde_json::json!([]));
        assert!(value.get("trailing").is_none());
    }

    #[test]
    fn missing_nodelen_is_taken_from_the_type() {
        let event = TraceEvent {
            nodelen: None,
            ..event(1, 0, 0xc0_0000, vec![1, 0, 0, 1, 0, 2, 0, 3])
        };
        let value = json(&event);
        assert!(value.get("nodelen").is_none());
        assert_eq!(value["nodes"][0]["egress_if"], 3);
    }

    /// xorshift64: random bytes without a dependency.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }
    }

    #[test]
    fn random_events_never_panic_and_give_valid_json() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let length = random.below(300) as usize;
            let data: Vec<u8> = (0..length).map(|_| random.next() as u8).collect();
            let trace_type = random.next() as u32;
            let nodelen = match random.below(3) {
                0 => random.next() as u8,
                1 => nodelen_of(trace_type >> 8),
                _ => random.below(4) as u8,
            };
            let event = TraceEvent {
                namespace: (round % 5 != 0).then_some(random.next() as u16),
                nodelen: (round % 7 != 0).then_some(nodelen),
                trace_type: (round % 11 != 0).then_some(trace_type),
                data: (round % 13 != 0).then_some(data.clone()),
            };
            let line = event_text(&event);
            assert!(line.ends_with('\n') && line.starts_with("[TRACE] "));
            let value = json(&event);
            // Whatever was not decoded is in "trailing", at the end of the data.
            let trailing = value["trailing"].as_str().unwrap_or_default();
            assert!(trailing.len() <= 2 * length, "{value}");
            if event.data.is_some() {
                assert!(hex(&data).ends_with(trailing), "{value}");
            }
        }
    }

    #[test]
    fn random_well_formed_traces_decode_completely() {
        let mut random = Random(42);
        for _ in 0..5_000 {
            let trace_type = (random.next() as u32) & 0x00ff_fffe;
            let nodelen = nodelen_of(trace_type);
            let count = random.below(5) as usize;
            let mut data = Vec::new();
            for _ in 0..count {
                data.extend((0..usize::from(nodelen) * 4).map(|_| random.next() as u8));
                if trace_type & type_bit(BIT_SNAPSHOT) != 0 {
                    let words = random.below(4) as u8;
                    data.extend([words, 0, 0, 1]);
                    data.extend((0..usize::from(words) * 4).map(|_| random.next() as u8));
                }
            }
            let decoded = decode_nodes(trace_type, nodelen, &data);
            if nodelen > 0 || trace_type & type_bit(BIT_SNAPSHOT) != 0 {
                assert_eq!(decoded.nodes.len(), count, "type {trace_type:#x}");
                assert!(decoded.trailing.is_empty());
            }
        }
    }
}
