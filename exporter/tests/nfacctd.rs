//! pmacct's nfacctd, fed by the exporter over UDP with the shipped element file, stores
//! the exact node data of a known trace (print plugin, JSON). Skipped without `nfacctd`
//! (Debian package `pmacct`).

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::nfacctd::{find, printed, start, within};
use common::*;
use ioam_exporter::ipfix::session::SessionConfig;

/// A hop record has no hop count (0); a path record has no hop index (0).
const TRACE: (&str, &str) = ("ioam_event_kind", "1");
const DEX: (&str, &str) = ("ioam_event_kind", "2");
const HOP_RECORD: (&str, &str) = ("ioam_hop_count", "0");

#[test]
fn nfacctd_stores_the_node_data_of_a_known_trace() {
    let Some(nfacctd) = tool("nfacctd") else {
        return;
    };
    let dir = Scratch::dir("nfacctd");
    // A free port: taken by the system, then released for nfacctd.
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
        .port();
    let _collector = start(&nfacctd, &dir.0, port);

    let messages = messages_of(
        SessionConfig::udp(DOMAIN),
        &[trace_event(3), unavailable_event()],
    );
    let exporter = UdpSocket::bind("127.0.0.1:0").expect("exporter socket");
    for message in &messages {
        exporter
            .send_to(message, ("127.0.0.1", port))
            .expect("send");
    }
    // 2 path records, 3 + 1 hop records.
    let all_printed = within(Duration::from_secs(5), || printed(&dir.0).len() >= 6);
    let log = std::fs::read_to_string(dir.0.join("nfacctd.log")).unwrap_or_default();
    let records = printed(&dir.0);
    assert!(
        all_printed,
        "6 records expected, printed: {records:#?}\nnfacctd's log:\n{log}"
    );
    assert_eq!(records.len(), 6, "{records:#?}");

    for n in 1..=3u8 {
        let node = node(n);
        let index = (n - 1).to_string();
        let hop = find(&records, &[TRACE, HOP_RECORD, ("ioam_hop_index", &index)]);
        let expected = [
            ("ip_src", SRC.to_string()),
            ("ip_dst", DST.to_string()),
            ("ipv6_flow_label", FLOW_LABEL.to_string()),
            ("ioam_namespace_id", NAMESPACE.to_string()),
            ("ioam_trace_type", format!("{TRACE_TYPE:x}")),
            ("ioam_hop_limit", node.hop_limit.to_string()),
            ("ioam_node_id", node.node_id.to_string()),
            ("ioam_ingress_if_id", node.ingress_if.to_string()),
            ("ioam_egress_if_id", node.egress_if.to_string()),
            ("ioam_transit_delay", node.transit_delay.to_string()),
            ("ioam_namespace_data", node.namespace_data.to_string()),
            ("ioam_node_id_wide", node.node_id_wide.to_string()),
            (
                "ioam_namespace_data_wide",
                node.namespace_data_wide.to_string(),
            ),
            ("ioam_snapshot_schema_id", "777".to_string()),
            // pmacct prints raw octets as dash-separated hex.
            ("ioam_snapshot_data", "73-6F-6D-65".to_string()),
        ];
        for (key, value) in expected {
            assert_eq!(hop[key], value.as_str(), "node {n}, {key}: {hop}");
        }
    }
    let path = find(&records, &[TRACE, ("ioam_hop_count", "3")]);
    assert_eq!(
        path["ioam_node_id"], "0",
        "a path record has no per-node field"
    );
    assert_eq!(path["ip_src"], SRC.to_string().as_str(), "{path}");
    assert_eq!(path["ip_dst"], DST.to_string().as_str(), "{path}");
    // RFC 9951's path delay: the third node received the packet 2 µs after the first.
    for key in [
        "path_delay_mean_delta_microseconds",
        "path_delay_min_delta_microseconds",
        "path_delay_max_delta_microseconds",
    ] {
        assert_eq!(path[key], "2", "{key}: {path}");
    }

    // Unavailable fields arrive as all ones at their IOAM widths.
    let dex = find(&records, &[DEX, HOP_RECORD]);
    let all_ones = [
        ("ioam_trace_type", format!("{UNAVAILABLE_TYPE:x}")),
        ("ioam_node_id", 0xff_ffffu32.to_string()),
        ("ioam_ingress_if_id", u16::MAX.to_string()),
        ("ioam_namespace_data", u32::MAX.to_string()),
        ("ioam_node_id_wide", 0x00ff_ffff_ffff_ffffu64.to_string()),
        ("ioam_namespace_data_wide", u64::MAX.to_string()),
    ];
    for (key, value) in all_ones {
        assert_eq!(dex[key], value.as_str(), "{key}: {dex}");
    }
}
