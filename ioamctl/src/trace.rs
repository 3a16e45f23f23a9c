//! Trace events of the `ioam6_events` group: `ip ioam monitor`'s text line, and a JSON
//! object with the node data decoded field by field (RFC 9197, section 4.4). DEX events
//! (RFC 9326) carry one node's data the same way, with the option's Flow ID and Sequence
//! Number. RFC 9322: a trace's Loopback and Active flags come with its event, and a
//! LOOPBACK event (a loopback copy back at the encapsulating node) says which node sent it.
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

use std::net::Ipv6Addr;

use ioam_uapi::event;
use ioam_uapi::event::attr as event_attr;
use ioam_wire::flags::Flags;
use ioam_wire::parse::{Nodes, ParsedNode, Snapshot};
use ioam_wire::timestamp::TsFormat;
use ioam_wire::trace::{node_len, SCHEMA_ID_NONE};
use serde::{Serialize, Serializer};

use crate::format::c_alternate_hex;
use crate::netlink::{find, find_slice, AttributeIter, AttributeSlice, Attributes, NetlinkError};

/// One `TRACE`, `DEX` or `LOOPBACK` event. Each attribute is optional, as `ip ioam monitor`
/// takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceEvent {
    /// A `DEX` event: this node's data for a Direct Export option.
    pub dex: bool,
    /// A `LOOPBACK` event: a loopback copy came back; `from` sent it.
    pub loopback: bool,
    pub from: Option<Ipv6Addr>,
    /// The addresses and flow label of the IPv6 header that carried the option (`PACKET_*`).
    pub src: Option<Ipv6Addr>,
    pub dst: Option<Ipv6Addr>,
    pub flow_label: Option<u32>,
    /// The trace's RFC 9322 flags (`TRACE_FLAGS`).
    pub flags: Option<u8>,
    /// The namespace's timestamp format at the sending node (`TRACE_TSFORMAT`; absent: POSIX).
    pub tsformat: Option<u8>,
    /// TAI - UTC in seconds on this machine, to read PTP timestamps (not an attribute).
    pub tai_offset_s: i64,
    pub flow_id: Option<u32>,
    pub sequence: Option<u32>,
    pub namespace: Option<u16>,
    pub nodelen: Option<u8>,
    /// `TRACE_TYPE` as sent: the trace type word, the 24-bit type above the reserved octet.
    pub trace_type: Option<u32>,
    pub data: Option<Vec<u8>>,
}

/// The first `N` bytes of `payload`, as `rta_getattr_u*` reads them; an attribute too
/// short to hold them counts as absent.
fn leading<const N: usize>(payload: Option<&[u8]>) -> Option<[u8; N]> {
    payload
        .and_then(|payload| payload.get(..N))
        .and_then(|bytes| bytes.try_into().ok())
}

impl TraceEvent {
    /// The event carried by the attributes of one message of event type `cmd` (native byte
    /// order, as `nla_put_u16` and friends write them).
    pub fn from_attributes(cmd: u8, attrs: &Attributes) -> TraceEvent {
        Self::from_payloads(cmd, |kind| find(attrs, kind))
    }

    /// [`TraceEvent::from_attributes`] of attributes read by
    /// [`crate::netlink::parse_attribute_slices`].
    pub fn from_attribute_slices(cmd: u8, attrs: &[AttributeSlice<'_>]) -> TraceEvent {
        Self::from_payloads(cmd, |kind| find_slice(attrs, kind))
    }

    /// Makes this the event of a nest of event type `cmd` whose content is `bytes`, as
    /// [`crate::netlink::parse_attribute_slices`] then
    /// [`TraceEvent::from_attribute_slices`] read it (the first attribute of a type
    /// counts), in one pass and reusing the data's allocation: for a reader of many
    /// events. On error (malformed attributes) the event's content is unspecified.
    pub fn assign_from_attribute_bytes(
        &mut self,
        cmd: u8,
        bytes: &[u8],
    ) -> Result<(), NetlinkError> {
        let mut spare = self.data.take();
        *self = TraceEvent {
            dex: cmd == event::DEX,
            loopback: cmd == event::LOOPBACK,
            ..TraceEvent::default()
        };
        // Attribute types 0-15 already taken: later duplicates are ignored.
        let mut seen = 0u16;
        let mut rest = bytes;
        // The module's events start with these three, as `nla_put_u16`, `nla_put_u8` and
        // `nla_put_u32` lay them out: read at once, as the loop below would read them.
        const HEADERS: [(u16, u16); 3] = [
            (6, event_attr::TRACE_NAMESPACE),
            (5, event_attr::TRACE_NODELEN),
            (8, event_attr::TRACE_TYPE),
        ];
        if let Some(head) = bytes.get(..24) {
            let header = |at: usize| {
                let word = |i: usize| u16::from_ne_bytes([head[at + i], head[at + i + 1]]);
                (word(0), word(2))
            };
            if [header(0), header(8), header(16)] == HEADERS {
                self.namespace = Some(u16::from_ne_bytes([head[4], head[5]]));
                self.nodelen = Some(head[12]);
                self.trace_type =
                    Some(u32::from_ne_bytes([head[20], head[21], head[22], head[23]]));
                seen = HEADERS.iter().fold(0, |seen, (_, kind)| seen | 1 << kind);
                rest = &bytes[24..];
            }
        }
        for attribute in AttributeIter::new(rest) {
            let (kind, payload) = attribute?;
            let bit = 1u16.checked_shl(u32::from(kind)).unwrap_or(0);
            if bit == 0 || seen & bit != 0 {
                continue;
            }
            seen |= bit;
            let bytes = payload;
            let payload = Some(payload);
            match kind {
                event_attr::LOOPBACK_SOURCE => {
                    self.from = leading::<16>(payload).map(Ipv6Addr::from);
                }
                event_attr::PACKET_SRC => self.src = leading::<16>(payload).map(Ipv6Addr::from),
                event_attr::PACKET_DST => self.dst = leading::<16>(payload).map(Ipv6Addr::from),
                event_attr::PACKET_FLOW_LABEL => {
                    self.flow_label = leading(payload).map(u32::from_ne_bytes);
                }
                event_attr::TRACE_FLAGS => self.flags = leading::<1>(payload).map(|[b]| b),
                event_attr::TRACE_TSFORMAT => self.tsformat = leading::<1>(payload).map(|[b]| b),
                event_attr::DEX_FLOW_ID => self.flow_id = leading(payload).map(u32::from_ne_bytes),
                event_attr::DEX_SEQUENCE => {
                    self.sequence = leading(payload).map(u32::from_ne_bytes);
                }
                event_attr::TRACE_NAMESPACE => {
                    self.namespace = leading(payload).map(u16::from_ne_bytes);
                }
                event_attr::TRACE_NODELEN => self.nodelen = leading::<1>(payload).map(|[b]| b),
                event_attr::TRACE_TYPE => {
                    self.trace_type = leading(payload).map(u32::from_ne_bytes)
                }
                event_attr::TRACE_DATA => {
                    let mut data = spare.take().unwrap_or_default();
                    data.clear();
                    data.extend_from_slice(bytes);
                    self.data = Some(data);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The event whose attribute of each type has the payload `payload(type)`.
    fn from_payloads<'a>(cmd: u8, payload: impl Fn(u16) -> Option<&'a [u8]>) -> TraceEvent {
        TraceEvent {
            dex: cmd == event::DEX,
            loopback: cmd == event::LOOPBACK,
            from: leading::<16>(payload(event_attr::LOOPBACK_SOURCE)).map(Ipv6Addr::from),
            src: leading::<16>(payload(event_attr::PACKET_SRC)).map(Ipv6Addr::from),
            dst: leading::<16>(payload(event_attr::PACKET_DST)).map(Ipv6Addr::from),
            flow_label: leading(payload(event_attr::PACKET_FLOW_LABEL)).map(u32::from_ne_bytes),
            flags: leading::<1>(payload(event_attr::TRACE_FLAGS)).map(|[byte]| byte),
            tsformat: leading::<1>(payload(event_attr::TRACE_TSFORMAT)).map(|[byte]| byte),
            tai_offset_s: 0,
            flow_id: leading(payload(event_attr::DEX_FLOW_ID)).map(u32::from_ne_bytes),
            sequence: leading(payload(event_attr::DEX_SEQUENCE)).map(u32::from_ne_bytes),
            namespace: leading(payload(event_attr::TRACE_NAMESPACE)).map(u16::from_ne_bytes),
            nodelen: leading::<1>(payload(event_attr::TRACE_NODELEN)).map(|[byte]| byte),
            trace_type: leading(payload(event_attr::TRACE_TYPE)).map(u32::from_ne_bytes),
            data: payload(event_attr::TRACE_DATA).map(<[u8]>::to_vec),
        }
    }
}

/// The line `ip ioam monitor` prints (`print_trace` in iproute2's `ip/ipioam6.c`):
/// `[TRACE] Namespace=%u NodeLen=%u Type=%#08x Data=%02x...` and a newline, each of
/// the first three only if its attribute is there.
pub fn event_text(event: &TraceEvent) -> String {
    let mut line = String::from(match (event.dex, event.loopback) {
        (true, _) => "[DEX] ",
        (_, true) => "[LOOPBACK] ",
        _ => "[TRACE] ",
    });
    if let Some(from) = event.from {
        line.push_str(&format!("From={from} "));
    }
    if let Some(namespace) = event.namespace {
        line.push_str(&format!("Namespace={namespace} "));
    }
    let flags = event.rfc9322_flags();
    if flags.any() {
        let names = [(flags.loopback, "L"), (flags.active, "A")];
        let set: String = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        line.push_str(&format!("Flags={set} "));
    }
    if let Some(id) = event.flow_id {
        line.push_str(&format!("FlowID={id} "));
    }
    if let Some(number) = event.sequence {
        line.push_str(&format!("SeqNum={number} "));
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
/// `{"src":"ADDR","dst":"ADDR","flowlabel":N,"namespace":N,"nodelen":N,"type":"0xfff002",
/// "data":"...","nodes":[{...},...],"trailing":"..."}`.
/// `type` is the 24-bit trace type in hex with 6 digits; `data` the raw trace data in hex (as
/// on the wire); `nodes` are in wire order, most recent node first, decoded by `ioam-wire`;
/// `trailing` (only when not empty) holds the bytes that do not make up a whole node. Keys of
/// absent attributes are left out.
pub fn event_json(event: &TraceEvent) -> String {
    let data = event.data.as_deref().unwrap_or_default();
    let trace_type = event.trace_type.map(|word| word >> 8);
    let (nodes, trailing) = match trace_type {
        // Nodes are cut by the type's NodeLen; a NodeLen that disagrees (no transit node
        // sends one) leaves the data undecoded.
        Some(trace_type)
            if event
                .nodelen
                .is_none_or(|nodelen| u32::from(nodelen) == node_len(trace_type)) =>
        {
            let mut nodes = Nodes::new(trace_type, data);
            let clock = Clock {
                // No attribute: POSIX, as the kernel's own events are.
                format: event
                    .tsformat
                    .map_or(Some(TsFormat::Posix), TsFormat::from_u8),
                tai_offset_s: event.tai_offset_s,
            };
            let decoded = nodes.by_ref().map(|n| NodeJson::new(n, clock)).collect();
            (decoded, nodes.remainder())
        }
        _ => (Vec::new(), data),
    };
    let flags = event.rfc9322_flags();
    let json = EventJson {
        option: match (event.dex, event.loopback) {
            (true, _) => Some("dex"),
            (_, true) => Some("loopback"),
            _ => None,
        },
        from: event.from.map(|a| a.to_string()),
        src: event.src.map(|a| a.to_string()),
        dst: event.dst.map(|a| a.to_string()),
        flowlabel: event.flow_label,
        tsformat: event.tsformat.map(crate::format::tsformat_name),
        loopback: flags.loopback,
        active: flags.active,
        flowid: event.flow_id,
        seqnum: event.sequence,
        namespace: event.namespace,
        nodelen: event.nodelen,
        trace_type: trace_type.map(|trace_type| format!("{trace_type:#08x}")),
        data: event.data.as_deref().map(hex),
        nodes,
        trailing: hex(trailing),
    };
    // Serializing plain structs of numbers and strings cannot fail.
    let mut line = serde_json::to_string(&json).unwrap_or_default();
    line.push('\n');
    line
}

impl TraceEvent {
    /// The RFC 9322 flags `TRACE_FLAGS` carries (none when absent).
    fn rfc9322_flags(&self) -> Flags {
        let byte = self.flags.unwrap_or(0);
        // The attribute holds the flags as the trace header's NodeLen byte does.
        Flags::of(&[0, 0, byte]).unwrap_or_default()
    }
}

/// Lower-case hex digits, two per byte, nothing between.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The JSON object of one event.
#[derive(Serialize)]
struct EventJson {
    /// `"dex"` for a DEX event, `"loopback"` for a LOOPBACK one; absent for a trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    option: Option<&'static str>,
    /// LOOPBACK: the node that sent the copy back.
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    /// The packet that carried the option: addresses and flow label.
    #[serde(skip_serializing_if = "Option::is_none")]
    src: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flowlabel: Option<u32>,
    /// The timestamp format, unless POSIX.
    #[serde(skip_serializing_if = "Option::is_none")]
    tsformat: Option<String>,
    /// RFC 9322 flags of the trace, each only when set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    loopback: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    flowid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seqnum: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodelen: Option<u8>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    trace_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    nodes: Vec<NodeJson>,
    #[serde(skip_serializing_if = "String::is_empty")]
    trailing: String,
}

/// A 64-bit field that can exceed 2^53, written as a hex string (as `ip` writes `wide`
/// values) so that JSON readers that hold numbers as doubles keep every bit.
struct Hex64(u64);

impl Serialize for Hex64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:#x}", self.0))
    }
}

/// One node's fields, in trace-type bit order; a key is there exactly when its bit is set.
#[derive(Serialize, Default)]
struct NodeJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    hop_limit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress_if: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    egress_if: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_secs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_frac: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transit_delay: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace_data: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_depth: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_complement: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hop_limit_wide: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_id_wide: Option<Hex64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress_if_wide: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    egress_if_wide: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace_data_wide: Option<Hex64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buffer_occupancy: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    undefined_bits: Vec<u32>,
    /// `null` for the "no schema" header.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_id: Option<Option<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_data: Option<String>,
}

/// How an event's timestamps read: the format (`None`: one this version does not know) and
/// this machine's TAI offset.
#[derive(Clone, Copy)]
struct Clock {
    format: Option<TsFormat>,
    tai_offset_s: i64,
}

impl Clock {
    /// The RFC 3339 time of a node's timestamp fields; `None` when unavailable (all ones in
    /// both, or a fraction out of range) or of an unknown format.
    fn rfc3339(self, seconds: u32, frac: u32) -> Option<String> {
        match self.format {
            Some(TsFormat::Posix) => rfc3339(seconds, frac),
            _ if (seconds, frac) == (u32::MAX, u32::MAX) => None,
            Some(format) => {
                let (unix, nanos) = format.join(seconds, frac, self.tai_offset_s)?;
                rfc3339_ns(unix, nanos)
            }
            None => None,
        }
    }
}

impl NodeJson {
    fn new(node: ParsedNode<'_>, clock: Clock) -> Self {
        let no_schema = |snapshot: &Snapshot<'_>| {
            snapshot.schema_id == SCHEMA_ID_NONE && snapshot.data.is_empty()
        };
        Self {
            hop_limit: node.hop_limit_node_id.map(|(hop, _)| hop),
            node_id: node.hop_limit_node_id.map(|(_, id)| id),
            ingress_if: node.if_ids.map(|(ingress, _)| ingress),
            egress_if: node.if_ids.map(|(_, egress)| egress),
            timestamp_secs: node.ts_secs,
            timestamp_frac: node.ts_frac,
            timestamp: node
                .ts_secs
                .zip(node.ts_frac)
                .and_then(|(seconds, frac)| clock.rfc3339(seconds, frac)),
            transit_delay: node.transit_delay,
            namespace_data: node.namespace_data,
            queue_depth: node.queue_depth,
            checksum_complement: node.checksum_complement,
            hop_limit_wide: node.hop_limit_node_id_wide.map(|(hop, _)| hop),
            node_id_wide: node.hop_limit_node_id_wide.map(|(_, id)| Hex64(id)),
            ingress_if_wide: node.if_ids_wide.map(|(ingress, _)| ingress),
            egress_if_wide: node.if_ids_wide.map(|(_, egress)| egress),
            namespace_data_wide: node.namespace_data_wide.map(Hex64),
            buffer_occupancy: node.buffer_occupancy,
            undefined_bits: node
                .undefined
                .chunks_exact(4)
                .filter_map(|word| word.try_into().ok().map(u32::from_be_bytes))
                .collect(),
            schema_id: node
                .snapshot
                .map(|snapshot| (!no_schema(&snapshot)).then_some(snapshot.schema_id)),
            schema_data: node
                .snapshot
                .filter(|snapshot| !no_schema(snapshot))
                .map(|snapshot| hex(snapshot.data)),
        }
    }
}

/// `2026-11-27T14:00:00.123456Z` for `seconds` since the epoch and `micros`, or `None`
/// when the seconds are the "unavailable" all-ones or `micros` is not below a million.
pub fn rfc3339(seconds: u32, micros: u32) -> Option<String> {
    if seconds == u32::MAX || micros >= 1_000_000 {
        return None;
    }
    Some(rfc3339_fraction(
        i64::from(seconds),
        &format!("{micros:06}"),
    ))
}

/// `2026-11-27T14:00:00.123456789Z` for `seconds` since the epoch and `nanos`, or `None`
/// for nanoseconds out of range or a year past 9999.
pub fn rfc3339_ns(seconds: i64, nanos: u32) -> Option<String> {
    let year_ok = (0..=9999).contains(&civil_from_days(seconds.div_euclid(86_400)).0);
    (nanos < 1_000_000_000 && year_ok).then(|| rfc3339_fraction(seconds, &format!("{nanos:09}")))
}

/// The RFC 3339 UTC time of `seconds` since the epoch, with `fraction` as its digits after
/// the second.
fn rfc3339_fraction(seconds: i64, fraction: &str) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let time = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
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
    use crate::netlink::fixtures::attributes;
    use ioam_wire::trace::{trace_bit, OSS_BIT};
    use proptest::prelude::*;

    fn event(namespace: u16, nodelen: u8, trace_type: u32, data: Vec<u8>) -> TraceEvent {
        TraceEvent {
            namespace: Some(namespace),
            nodelen: Some(nodelen),
            trace_type: Some(trace_type << 8),
            data: Some(data),
            ..TraceEvent::default()
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
        let trace_type = trace_bit(bit);
        let nodelen = node_len(trace_type) as u8;
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
        let attrs = attributes(vec![
            (event_attr::TRACE_NAMESPACE, 123u16.to_ne_bytes().to_vec()),
            (event_attr::TRACE_NODELEN, vec![2]),
            (
                event_attr::TRACE_TYPE,
                0xc000_0000u32.to_ne_bytes().to_vec(),
            ),
            (event_attr::TRACE_DATA, vec![1, 2, 3]),
            (event_attr::TRACE_DATA, vec![4]),
            (99, vec![9]),
        ]);
        assert_eq!(
            TraceEvent::from_attributes(event::TRACE, &attrs),
            TraceEvent {
                namespace: Some(123),
                nodelen: Some(2),
                trace_type: Some(0xc000_0000),
                data: Some(vec![1, 2, 3]),
                ..TraceEvent::default()
            }
        );
        let short = attributes(vec![
            (event_attr::TRACE_NAMESPACE, vec![1]),
            (event_attr::TRACE_TYPE, vec![1, 2]),
            (event_attr::TRACE_NODELEN, vec![]),
        ]);
        assert_eq!(
            TraceEvent::from_attributes(event::TRACE, &short),
            TraceEvent::default()
        );
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
        assert_eq!(
            node["node_id_wide"], "0x3456789abcdef0",
            "56 bits: a hex string"
        );
        let node = single(9, &data);
        assert_eq!(node["ingress_if_wide"], 0x1234_5678);
        assert_eq!(node["egress_if_wide"], 0x9abc_def0u32);
        let node = single(10, &data);
        assert_eq!(node["namespace_data_wide"], "0x123456789abcdef0");
        let all_ones = single(10, &[0xff; 8]);
        assert_eq!(all_ones["namespace_data_wide"], "0xffffffffffffffff");
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
    fn timestamps_in_each_format() {
        let at = |tsformat: Option<u8>, tai: i64, seconds: u32, frac: u32| {
            let mut data = seconds.to_be_bytes().to_vec();
            data.extend(frac.to_be_bytes());
            let e = TraceEvent {
                tsformat,
                tai_offset_s: tai,
                ..event(1, 2, 0x30_0000, data)
            };
            json(&e)
        };
        // PTP: TAI seconds and nanoseconds, back to UTC with this machine's offset.
        let value = at(Some(1), 37, 1_795_788_037, 123_456_789);
        assert_eq!(value["tsformat"], "ptp");
        assert_eq!(
            value["nodes"][0]["timestamp"],
            "2026-11-27T14:00:00.123456789Z"
        );
        assert_eq!(value["nodes"][0]["timestamp_frac"], 123_456_789);
        // NTP: seconds since 1900, a binary fraction (0.5 s).
        let value = at(Some(2), 0, 4_004_776_800, 0x8000_0000);
        assert_eq!(value["tsformat"], "ntp");
        assert_eq!(
            value["nodes"][0]["timestamp"],
            "2026-11-27T14:00:00.500000000Z"
        );
        // Unavailable in every format; an unknown format is not decoded.
        for format in [Some(1), Some(2)] {
            assert!(at(format, 0, u32::MAX, u32::MAX)["nodes"][0]
                .get("timestamp")
                .is_none());
        }
        assert!(at(Some(1), 0, 5, 1_000_000_000)["nodes"][0]
            .get("timestamp")
            .is_none());
        let value = at(Some(7), 0, 5, 5);
        assert_eq!(value["tsformat"], "tsformat_7");
        assert!(value["nodes"][0].get("timestamp").is_none());
        // POSIX is the default: no key.
        assert!(at(None, 0, 5, 5).get("tsformat").is_none());
    }

    #[test]
    fn rfc3339_with_nanoseconds() {
        assert_eq!(
            rfc3339_ns(0, 1).as_deref(),
            Some("1970-01-01T00:00:00.000000001Z")
        );
        assert_eq!(
            rfc3339_ns(-1, 0).as_deref(),
            Some("1969-12-31T23:59:59.000000000Z")
        );
        assert_eq!(rfc3339_ns(0, 1_000_000_000), None);
        assert_eq!(rfc3339_ns(i64::MAX / 2, 0), None);
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
        assert_eq!(node_len(trace_type), 15);
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
        assert_eq!(nodes[0]["namespace_data_wide"], "0xcafec0caf00dc0de");
        assert_eq!(nodes[0]["buffer_occupancy"], 10);
        assert_eq!(nodes[0]["schema_id"], 777);
        assert_eq!(nodes[0]["schema_data"], "736f6d65");
        // serde_json::Value sorts keys: take the order from the text.
        let text = event_json(&event(123, 15, trace_type, node(62, 2)));
        let keys = [
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
            "schema_data",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).expect(key))
            .collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "bit order: {text}"
        );
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
    fn nodelen_that_disagrees_with_the_type_leaves_the_data_undecoded() {
        let value = json(&event(1, 2, 0x80_0000, vec![1, 0, 0, 1, 9, 9, 9, 9]));
        assert_eq!(value["nodes"], serde_json::json!([]));
        assert_eq!(value["trailing"], "0100000109090909");
        let value = json(&event(1, 1, 0xc0_0000, vec![1, 0, 0, 1, 2, 0, 0, 2]));
        assert_eq!(value["nodes"], serde_json::json!([]));
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

    fn any_event() -> impl Strategy<Value = TraceEvent> {
        let nodelen = prop_oneof![any::<u8>(), 0u8..4];
        (
            any::<Option<u16>>(),
            proptest::option::of(nodelen),
            any::<Option<u32>>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        )
            .prop_map(|(namespace, nodelen, trace_type, data)| TraceEvent {
                namespace,
                nodelen,
                trace_type,
                data,
                ..TraceEvent::default()
            })
    }

    proptest! {
        #[test]
        fn any_event_gives_one_line_of_valid_json(event in any_event()) {
            let line = event_text(&event);
            prop_assert!(line.ends_with('\n') && line.starts_with("[TRACE] "));
            let value = json(&event);
            // Whatever was not decoded is in "trailing", at the end of the data.
            let trailing = value["trailing"].as_str().unwrap_or_default();
            let data = hex(event.data.as_deref().unwrap_or_default());
            prop_assert!(data.ends_with(trailing), "{}", value);
        }

        #[test]
        fn well_formed_traces_decode_completely(
            trace_type in (0u32..0x0100_0000).prop_map(|trace_type| trace_type & !1),
            nodes in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 100), 0u8..4, any::<[u8; 12]>()),
                0..5,
            ),
        ) {
            let fixed = node_len(trace_type) as usize * 4;
            let mut data = Vec::new();
            for (bytes, words, snapshot) in &nodes {
                data.extend(&bytes[..fixed]);
                if trace_type & OSS_BIT != 0 {
                    data.extend([*words, 0, 0, 1]);
                    data.extend(&snapshot[..usize::from(*words) * 4]);
                }
            }
            let value = json(&event(1, fixed as u8 / 4, trace_type, data));
            let decoded = value["nodes"].as_array().map_or(0, Vec::len);
            if fixed > 0 || trace_type & OSS_BIT != 0 {
                prop_assert_eq!(decoded, nodes.len());
                prop_assert!(value.get("trailing").is_none());
            }
        }
    }
}
