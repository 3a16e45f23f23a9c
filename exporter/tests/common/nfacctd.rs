//! pmacct's nfacctd as a test collector: started on a port with the shipped element file,
//! its print plugin writing each record as a JSON line; stopped when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PRIMITIVES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/elements/pmacct-primitives.map"
);

/// The primitives the print plugin aggregates by (and so prints).
pub const AGGREGATE: &[&str] = &[
    "src_host",
    "dst_host",
    "ipv6_flow_label",
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
    "path_delay_mean_delta_microseconds",
    "path_delay_min_delta_microseconds",
    "path_delay_max_delta_microseconds",
];

/// nfacctd, stopped (with its plugin) when dropped.
pub struct Collector(Child);

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
pub fn within(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

pub fn start(nfacctd: &Path, dir: &Path, port: u16) -> Collector {
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
pub fn printed(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("records.json"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect()
}

/// The one printed record with these values.
pub fn find<'a>(records: &'a [Value], wanted: &[(&str, &str)]) -> &'a Value {
    let mut matching = records
        .iter()
        .filter(|r| wanted.iter().all(|(key, value)| r[*key] == *value));
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no record with {wanted:?}: {records:#?}"));
    assert!(matching.next().is_none(), "one record with {wanted:?}");
    found
}
