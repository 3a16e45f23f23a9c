//! pmacct's nfacctd, fed by the exporter over UDP with the shipped element file, stores
//! the exact node data of a known trace (print plugin, JSON). Skipped without `nfacctd`
//! (Debian package `pmacct`).

mod common;

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ioam_exporter::ipfix::session::SessionConfig;
use serde_json::Value;

const PRIMITIVES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/elements/pmacct-primitives.lst"
);

/// The primitives the print plugin aggregates by (and so prints).
const AGGREGATE: &[&str] = &[
    "ioam_event_kind",
    "ioam_namespace_id",
    "ioam_trace_type",
    "ioam_hop_count",
    "ioam_hop_index",
    "ioam_hop_limit",
    "ioam_node_id",
    "ioam_ingress_if_id",
    "ioam_egress_if_id",
    "ioam_transit_delay",
    "ioam_namespace_data",
    "ioam_node_id_wide",
    "ioam_namespace_data_wide",
    "ioam_snapshot_schema_id",
    "ioam_snapshot_data",
];

/// nfacctd, stopped (with its plugin) when dropped.
struct Collector(Child);

impl Drop for Collector {
    fn drop(&mut self) {
        // SIGINT: the core stops its plugin and reaps it, then exits (about 3 s: it sleeps
        // 2 s to let the plugin drain). SIGTERM stays blocked in 1.7.7's main loop.
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `ready` holds within `limit`, polling.
fn within(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn start(nfacctd: &Path, dir: &Path, port: u16) -> Collector {
    let output = dir.join("records.json");
    let log = dir.join("nfacctd.log");
    let config = format!(
        "daemonize: false\n\
         nfacctd_ip: 127.0.0.1\n\
         nfacctd_port: {port}\n\
         nfacctd_time_new: true\n\
         logfile: {log}\n\
         aggregate_primitives: {PRIMITIVES}\n\
         plugins: print[ioam]\n\
         aggregate[ioam]: {aggregate}\n\
         print_output[ioam]: json\n\
         print_output_file[ioam]: {output}\n\
         print_output_file_append[ioam]: true\n\
         print_refresh_time[ioam]: 1\n",
        log = log.display(),
        output = output.display(),
        aggregate = AGGREGATE.join(", "),
    );
    let config_file = dir.join("nfacctd.conf");
    std::fs::write(&config_file, config).expect("write the configuration");
    let child = Command::new(nfacctd)
        .arg("-f")
        .arg(&config_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nfacctd");
    let collector = Collector(child);
    let listening = within(Duration::from_secs(5), || {
        std::fs::read_to_string(&log).is_ok_and(|text| {
            text.contains("waiting for NetFlow/IPFIX data")
                && text.contains("JSON: setting object handlers")
        })
    });
    assert!(
        listening,
        "nfacctd does not listen: {:?}",
        std::fs::read_to_string(&log)
    );
    collector
}

/// The records nfacctd printed so far.
fn printed(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("records.json"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect()
}

/// The one printed record with these values.
fn find<'a>(records: &'a [Value], wanted: &[(&str, &str)]) -> &'a Value {
    let mut matching = records
        .iter()
        .filter(|r| wanted.iter().all(|(key, value)| r[*key] == *value));
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no record with {wanted:?}: {records:#?}"));
    assert!(matching.next().is_none(), "one record with {wanted:?}");
    found
}

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
