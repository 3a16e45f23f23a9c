//! What the host tests against real tools share: a known trace, the messages the
//! exporter makes of it, and a way to find a tool.

#![allow(dead_code)] // each test file uses part of it

pub mod nfacctd;
pub mod tcp_collector;

use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ioam_exporter::elements::DOCUMENTATION_PEN;
use ioam_exporter::ipfix::session::{Session, SessionConfig};
use ioam_exporter::records::event_records;
use ioam_uapi::event;
use ioam_uapi::event::attr as event_attr;
use ioam_wire::trace::node_len;
use ioamctl::netlink::{parse_attributes, Attributes};
use ioamctl::trace::TraceEvent;

/// Trace type of the known trace: every node field (bits 0-11) and a snapshot (bit 22).
pub const TRACE_TYPE: u32 = 0xfff002;
pub const NAMESPACE: u16 = 123;
pub const DOMAIN: u32 = 42;
pub const EXPORT_TIME: u64 = 1_795_788_000;
/// The addresses and flow label of the known trace's packet.
pub const SRC: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa);
pub const DST: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xb);
pub const FLOW_LABEL: u32 = 0xbeef5;

/// The known values of node `n` (1 is the first node of the path).
pub struct Node {
    pub hop_limit: u8,
    pub node_id: u32,
    pub ingress_if: u16,
    pub egress_if: u16,
    pub namespace_data: u32,
    pub node_id_wide: u64,
    pub namespace_data_wide: u64,
    pub transit_delay: u32,
}

pub fn node(n: u8) -> Node {
    Node {
        hop_limit: 64 - n,
        node_id: 0x00ab_cd00 | u32::from(n),
        ingress_if: 100 + u16::from(n),
        egress_if: 200 + u16::from(n),
        namespace_data: 0xdead_0000 | u32::from(n),
        node_id_wide: 0x00aa_bbcc_dd00_0000 | u64::from(n),
        namespace_data_wide: 0xcafe_c0ca_f00d_0000 | u64::from(n),
        transit_delay: 1000 * u32::from(n),
    }
}

/// Node `n`'s entry as RFC 9197 lays it out for [`TRACE_TYPE`].
fn entry(n: u8) -> Vec<u8> {
    let v = node(n);
    let mut bytes = (u32::from(v.hop_limit) << 24 | v.node_id)
        .to_be_bytes()
        .to_vec();
    bytes.extend(v.ingress_if.to_be_bytes());
    bytes.extend(v.egress_if.to_be_bytes());
    bytes.extend(1_795_788_000u32.to_be_bytes());
    bytes.extend(u32::from(n).to_be_bytes());
    bytes.extend(v.transit_delay.to_be_bytes());
    bytes.extend(v.namespace_data.to_be_bytes());
    bytes.extend(7u32.to_be_bytes());
    bytes.extend(9u32.to_be_bytes());
    bytes.extend((u64::from(v.hop_limit) << 56 | v.node_id_wide).to_be_bytes());
    bytes.extend((1000 + u32::from(n)).to_be_bytes());
    bytes.extend((2000 + u32::from(n)).to_be_bytes());
    bytes.extend(v.namespace_data_wide.to_be_bytes());
    bytes.extend(11u32.to_be_bytes());
    bytes.extend([1, 0, 0x03, 0x09, b's', b'o', b'm', b'e']);
    bytes
}

/// A trace event whose data holds `hops` nodes, most recent first as on the wire.
pub fn trace_event(hops: u8) -> TraceEvent {
    let data = (1..=hops).rev().flat_map(entry).collect();
    TraceEvent {
        namespace: Some(NAMESPACE),
        nodelen: u8::try_from(node_len(TRACE_TYPE)).ok(),
        trace_type: Some(TRACE_TYPE << 8),
        data: Some(data),
        src: Some(SRC),
        dst: Some(DST),
        flow_label: Some(FLOW_LABEL),
        ..TraceEvent::default()
    }
}

/// Trace type of [`unavailable_event`]: node id, interface ids, namespace data, in short
/// (bits 0, 1, 5) and wide (bits 8, 10) form.
pub const UNAVAILABLE_TYPE: u32 = 0xc4a000;

/// A DEX event of a node that marks every field unavailable (all ones).
pub fn unavailable_event() -> TraceEvent {
    let words = node_len(UNAVAILABLE_TYPE) as usize;
    TraceEvent {
        dex: true,
        namespace: Some(NAMESPACE),
        nodelen: u8::try_from(words).ok(),
        trace_type: Some(UNAVAILABLE_TYPE << 8),
        data: Some(vec![0xff; words * 4]),
        ..TraceEvent::default()
    }
}

/// The messages of `events`, through one session.
pub fn messages_of(config: SessionConfig, events: &[TraceEvent]) -> Vec<Vec<u8>> {
    let mut session = Session::new(config).expect("session");
    let records: Vec<_> = events
        .iter()
        .flat_map(|event| {
            event_records(event, DOCUMENTATION_PEN)
                .expect("records")
                .into_records()
        })
        .collect();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(EXPORT_TIME);
    session.encode(now, &records).expect("encode")
}

/// The messages of `events` traces of `hops` nodes each, through one session.
pub fn messages(config: SessionConfig, events: usize, hops: u8) -> Vec<Vec<u8>> {
    messages_of(config, &vec![trace_event(hops); events])
}

/// One netlink attribute as `nla_put` writes it: length, type, payload, padding to 4.
pub fn attribute(kind: u16, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(4 + payload.len()).expect("a small attribute");
    let mut bytes = length.to_ne_bytes().to_vec();
    bytes.extend(kind.to_ne_bytes());
    bytes.extend(payload);
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    bytes
}

/// `NLA_F_NESTED`, which `nla_nest_start` sets.
const NESTED: u16 = 0x8000;

/// An event as the module nests it in a `BATCH` message: its attributes (native byte order)
/// under its event type.
pub fn nest(event: &TraceEvent) -> Vec<u8> {
    let kind = match (event.dex, event.loopback) {
        (true, _) => event::DEX,
        (_, true) => event::LOOPBACK,
        _ => event::TRACE,
    };
    let mut inner = Vec::new();
    if let Some(namespace) = event.namespace {
        inner.extend(attribute(
            event_attr::TRACE_NAMESPACE,
            &namespace.to_ne_bytes(),
        ));
    }
    if let Some(nodelen) = event.nodelen {
        inner.extend(attribute(event_attr::TRACE_NODELEN, &[nodelen]));
    }
    if let Some(trace_type) = event.trace_type {
        inner.extend(attribute(event_attr::TRACE_TYPE, &trace_type.to_ne_bytes()));
    }
    if let Some(flow_id) = event.flow_id {
        inner.extend(attribute(event_attr::DEX_FLOW_ID, &flow_id.to_ne_bytes()));
    }
    if let Some(data) = &event.data {
        inner.extend(attribute(event_attr::TRACE_DATA, data));
    }
    attribute(u16::from(kind) | NESTED, &inner)
}

/// A nest of a TRACE event whose only attribute runs past the nest's end.
pub fn truncated_nest() -> Vec<u8> {
    let mut inner = 8u16.to_ne_bytes().to_vec();
    inner.extend(event_attr::TRACE_NAMESPACE.to_ne_bytes());
    inner.extend([1, 0]);
    attribute(u16::from(event::TRACE) | NESTED, &inner)
}

/// The attributes of a `BATCH` message of `nests`, as the netlink client hands them over.
pub fn batch(nests: &[Vec<u8>]) -> Attributes {
    parse_attributes(&nests.concat()).expect("well-formed nests")
}

/// The path of `tool` on `PATH`, or `None` after saying why the test is skipped.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// A pcap file (link type raw IPv4) of one UDP datagram to port 4739 per message.
pub fn pcap(messages: &[Vec<u8>]) -> Vec<u8> {
    const LINKTYPE_RAW: u32 = 101;
    let mut file = Vec::new();
    file.extend(0xa1b2_c3d4u32.to_le_bytes());
    file.extend(2u16.to_le_bytes());
    file.extend(4u16.to_le_bytes());
    file.extend([0; 8]); // time zone, accuracy
    file.extend(65535u32.to_le_bytes());
    file.extend(LINKTYPE_RAW.to_le_bytes());
    for (index, message) in messages.iter().enumerate() {
        let udp_len = u16::try_from(8 + message.len()).expect("datagram size");
        let ip_len = 20 + udp_len;
        let mut ip = vec![0x45, 0];
        ip.extend(ip_len.to_be_bytes());
        ip.extend([0, 0, 0x40, 0, 64, 17, 0, 0]);
        ip.extend([127, 0, 0, 1, 127, 0, 0, 1]);
        let sum = ip
            .chunks(2)
            .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
            .sum::<u32>();
        let folded = (sum & 0xffff) + (sum >> 16);
        let checksum = !u16::try_from((folded & 0xffff) + (folded >> 16)).expect("16 bits");
        ip[10..12].copy_from_slice(&checksum.to_be_bytes());
        ip.extend(40000u16.to_be_bytes());
        ip.extend(4739u16.to_be_bytes());
        ip.extend(udp_len.to_be_bytes());
        ip.extend([0, 0]); // no UDP checksum (allowed over IPv4)
        ip.extend(message);
        let seconds = u32::try_from(EXPORT_TIME).expect("32 bits");
        file.extend(seconds.to_le_bytes());
        file.extend(u32::try_from(index).expect("index").to_le_bytes());
        let captured = u32::try_from(ip.len()).expect("length");
        file.extend(captured.to_le_bytes());
        file.extend(captured.to_le_bytes());
        file.extend(ip);
    }
    file
}

/// A file or directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory for test `name`.
    pub fn dir(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("ioam-exporter-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temporary directory");
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
