//! The daemon's loop, driven by a synthetic event source (a channel of events, or of `BATCH`
//! messages decoded as the module's are, read by the daemon's own reading thread),
//! exporting to real collectors: nfacctd over UDP, and a TCP collector written here that
//! checks the message headers; a TCP collector that goes away and comes back; the metrics
//! endpoint scraped over HTTP.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::nfacctd::{find, printed, start, within};
use common::tcp_collector::TcpCollector;
use common::*;
use ioam_exporter::daemon::clock::SystemClock;
use ioam_exporter::daemon::collector::{
    CollectorAddress, Scheme, TcpTransport, Transport, UdpTransport,
};
use ioam_exporter::daemon::exporter::Exporter;
use ioam_exporter::daemon::hop_metrics::{DEFAULT_MAX_HOP_PAIRS as PAIRS, DELAY_BUCKETS};
use ioam_exporter::daemon::http::MetricsEndpoint;
use ioam_exporter::daemon::metrics::{EventKind, LossReason, Metrics, RecordKind};
use ioam_exporter::daemon::source::{spawn_reader, BatchChannel, EventSource, SourceItem};
use ioam_exporter::daemon::{run, INPUT_QUEUE};
use ioam_exporter::elements::DOCUMENTATION_PEN;
use ioam_exporter::ipfix::session::{Session, SessionConfig};
use ioamctl::netlink::Attributes;
use ioamctl::trace::TraceEvent;

/// The daemon running on a thread: the test feeds `events` (items, or `BATCH` messages);
/// closing it ends the source, and the daemon sends what is pending and returns.
struct Daemon<M = SourceItem> {
    events: Sender<M>,
    metrics: Metrics,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Daemon {
    fn start<T: Transport + Send + 'static>(
        config: SessionConfig,
        transport: T,
        metrics: Metrics,
        max_hop_pairs: usize,
    ) -> Daemon {
        let (events, source) = mpsc::channel();
        Daemon::with_source(source, events, config, transport, metrics, max_hop_pairs)
    }

    fn send(&self, event: TraceEvent) {
        self.events
            .send(SourceItem::Event(event))
            .expect("daemon running");
    }
}

impl Daemon<Attributes> {
    /// A daemon whose source is `BATCH` messages, decoded as the module's are.
    fn start_batches<T: Transport + Send + 'static>(
        config: SessionConfig,
        transport: T,
        metrics: Metrics,
    ) -> Daemon<Attributes> {
        let (events, source) = mpsc::channel();
        Daemon::with_source(
            BatchChannel(source),
            events,
            config,
            transport,
            metrics,
            PAIRS,
        )
    }
}

impl<M> Daemon<M> {
    fn with_source<T: Transport + Send + 'static>(
        source: impl EventSource + 'static,
        events: Sender<M>,
        config: SessionConfig,
        transport: T,
        metrics: Metrics,
        max_hop_pairs: usize,
    ) -> Daemon<M> {
        let (sender, inputs) = mpsc::sync_channel(INPUT_QUEUE);
        spawn_reader(source, sender).expect("reader thread");
        let stop = Arc::new(AtomicBool::new(false));
        let mut exporter = Exporter::new(
            Session::new(config).expect("session"),
            transport,
            metrics.clone(),
            DOCUMENTATION_PEN,
            Duration::from_millis(20),
            max_hop_pairs,
        );
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                run(&mut exporter, &inputs, &SystemClock, &stop).expect("the source does not fail")
            })
        };
        Daemon {
            events,
            metrics,
            stop,
            thread,
        }
    }

    /// Ends the source; waits for the daemon to flush and return.
    fn finish(self) -> Metrics {
        drop(self.events);
        self.thread.join().expect("the daemon does not panic");
        self.metrics
    }

    /// Stops it as a signal would.
    fn stop(self) -> Metrics {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("the daemon does not panic");
        self.metrics
    }
}

fn tcp_address(port: u16) -> CollectorAddress {
    CollectorAddress {
        scheme: Scheme::Tcp,
        host: "127.0.0.1".into(),
        port,
    }
}

#[test]
fn udp_to_nfacctd() {
    let Some(nfacctd) = tool("nfacctd") else {
        return;
    };
    let dir = Scratch::dir("daemon-nfacctd");
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
        .port();
    let _collector = start(&nfacctd, &dir.0, port);
    let address = CollectorAddress {
        scheme: Scheme::Udp,
        host: "127.0.0.1".into(),
        port,
    };
    let transport = UdpTransport::connect(&address).expect("udp");
    let daemon = Daemon::start(
        SessionConfig::udp(DOMAIN),
        transport,
        Metrics::new().0,
        PAIRS,
    );
    daemon.send(trace_event(3));
    daemon.send(unavailable_event());
    let metrics = daemon.finish();
    assert_eq!(metrics.records_exported_count(RecordKind::Path), 2);
    assert_eq!(metrics.records_exported_count(RecordKind::Hop), 4);

    let all_printed = within(Duration::from_secs(5), || printed(&dir.0).len() >= 6);
    let records = printed(&dir.0);
    assert!(all_printed, "6 records expected: {records:#?}");
    for n in 1..=3u8 {
        let index = (n - 1).to_string();
        let hop = find(
            &records,
            &[
                ("ioam_event_kind", "1"),
                ("ioam_hop_count", "0"),
                ("ioam_hop_index", &index),
            ],
        );
        assert_eq!(
            hop["ioam_node_id"],
            node(n).node_id.to_string().as_str(),
            "{hop}"
        );
        assert_eq!(
            hop["ioam_transit_delay"],
            node(n).transit_delay.to_string().as_str()
        );
    }
    find(
        &records,
        &[("ioam_event_kind", "2"), ("ioam_node_id", "16777215")],
    );
}

/// Data records of `events` traces of `hops` nodes: a path record and one a hop.
fn records_of(events: u32, hops: u32) -> u32 {
    events * (1 + hops)
}

#[test]
fn tcp_templates_once_and_sequence_numbers() {
    let collector = TcpCollector::start(0);
    let transport = TcpTransport::new(tcp_address(collector.port));
    let daemon = Daemon::start(
        SessionConfig::tcp(DOMAIN),
        transport,
        Metrics::new().0,
        PAIRS,
    );
    // Bursts apart in time, so that several messages go out.
    for _ in 0..4 {
        for _ in 0..50 {
            daemon.send(trace_event(3));
        }
        let sent = collector.data_records();
        assert!(within(Duration::from_secs(5), || collector.data_records() > sent));
    }
    let metrics = daemon.finish();
    assert!(within(Duration::from_secs(5), || collector.data_records()
        == records_of(200, 3)));

    let connections = collector.received();
    assert_eq!(connections.len(), 1, "one connection");
    let messages = &connections[0];
    assert!(messages.len() >= 4, "{messages:?}");
    assert!(!messages[0].templates.is_empty(), "templates first");
    assert!(
        messages[1..].iter().all(|m| m.templates.is_empty()),
        "templates once a connection"
    );
    let mut expected = 0;
    for message in messages {
        assert_eq!(message.sequence, expected, "{messages:?}");
        assert_eq!(message.domain, DOMAIN);
        expected += message.data_records;
    }
    assert_eq!(metrics.records_exported_count(RecordKind::Path), 200);
    assert_eq!(metrics.records_exported_count(RecordKind::Hop), 600);
    assert_eq!(metrics.messages_sent.get(), messages.len() as u64);
    assert_eq!(metrics.collector_connects.get(), 1);
}

#[test]
fn batches_become_the_records_of_their_events() {
    let collector = TcpCollector::start(0);
    let transport = TcpTransport::new(tcp_address(collector.port));
    let daemon = Daemon::start_batches(SessionConfig::tcp(DOMAIN), transport, Metrics::new().0);
    let traces = |count: usize, hops: u8| vec![nest(&trace_event(hops)); count];
    daemon.events.send(batch(&traces(5, 3))).expect("running");
    let mut mixed = traces(4, 2);
    mixed.insert(1, nest(&unavailable_event()));
    mixed.insert(2, truncated_nest());
    daemon.events.send(batch(&mixed)).expect("running");
    daemon.events.send(batch(&[])).expect("running");
    let metrics = daemon.finish();

    // Traces: 5 of 3 hops and 4 of 2; the DEX event: a path record and one hop.
    let expected = records_of(5, 3) + records_of(4, 2) + records_of(1, 1);
    assert!(within(Duration::from_secs(5), || collector.data_records()
        == expected));
    assert_eq!(metrics.events_received_count(EventKind::Trace), 9);
    assert_eq!(metrics.events_received_count(EventKind::Dex), 1);
    assert_eq!(metrics.records_exported_count(RecordKind::Path), 10);
    assert_eq!(
        metrics.records_exported_count(RecordKind::Hop),
        5 * 3 + 4 * 2 + 1
    );
    assert_eq!(
        metrics.events_lost_count(LossReason::DecodeError),
        1,
        "the truncated nest"
    );
}

#[test]
fn tcp_collector_restarted_mid_stream() {
    let first = TcpCollector::start(0);
    let port = first.port;
    let daemon = Daemon::start(
        SessionConfig::tcp(DOMAIN),
        TcpTransport::new(tcp_address(port)),
        Metrics::new().0,
        PAIRS,
    );
    let mut sent_events = 0;
    for _ in 0..10 {
        daemon.send(trace_event(2));
        sent_events += 1;
    }
    assert!(within(Duration::from_secs(5), || first.data_records()
        == records_of(10, 2)));
    let before = first.received();
    drop(first); // the collector goes away, closing its connection

    // Events while it is away are lost, and counted.
    let lost = || {
        daemon
            .metrics
            .records_lost_count(LossReason::CollectorUnreachable)
    };
    let give_up = Instant::now() + Duration::from_secs(5);
    while lost() == 0 {
        daemon.send(trace_event(2));
        sent_events += 1;
        assert!(
            Instant::now() < give_up,
            "no loss counted while the collector is away"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        within(Duration::from_secs(2), || daemon.metrics.collector_up.get()
            == 0),
        "the collector is shown up while it is away"
    );

    let second = TcpCollector::start(port);
    let give_up = Instant::now() + Duration::from_secs(5);
    while second.data_records() == 0 {
        daemon.send(trace_event(2));
        sent_events += 1;
        assert!(Instant::now() < give_up, "the daemon does not reconnect");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Stopped once the loop has taken every event (the stop drains only what was read).
    let taken = || u64::from(sent_events) == daemon.metrics.events_received_count(EventKind::Trace);
    assert!(within(Duration::from_secs(5), taken));
    let metrics = daemon.stop();
    let after = second.received();
    assert!(within(Duration::from_secs(5), || {
        let exported = metrics.records_exported_count(RecordKind::Path)
            + metrics.records_exported_count(RecordKind::Hop);
        u64::from(
            before.iter().flatten().map(|m| m.data_records).sum::<u32>() + second.data_records(),
        ) == exported
    }));
    assert_eq!(after.len(), 1, "one new connection");
    let messages = &second.received()[0];
    assert!(
        !messages[0].templates.is_empty(),
        "templates again on the new connection"
    );
    assert_eq!(messages[0].sequence, 0, "numbering restarts");
    let mut expected = 0;
    for message in messages {
        assert_eq!(message.sequence, expected);
        expected += message.data_records;
    }
    assert_eq!(metrics.collector_connects.get(), 2);
    // Every record is exported or counted lost.
    let exported = metrics.records_exported_count(RecordKind::Path)
        + metrics.records_exported_count(RecordKind::Hop);
    let lost = metrics.records_lost_count(LossReason::CollectorUnreachable);
    assert_eq!(exported + lost, u64::from(records_of(sent_events, 2)));
    assert!(metrics.events_lost_count(LossReason::CollectorUnreachable) >= 1);
}

/// `GET path` over HTTP/1.0: the status line, headers and body.
fn http_get(address: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("connect to the endpoint");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a header and a body");
    (head.to_owned(), body.to_owned())
}

#[test]
fn metrics_endpoint_serves_the_counters() {
    let (metrics, registry) = Metrics::new();
    let endpoint =
        MetricsEndpoint::start("127.0.0.1:0".parse().expect("address"), registry).expect("listen");
    let address = endpoint.address().expect("bound");
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("receiver");
    let port = receiver.local_addr().expect("address").port();
    let transport = UdpTransport::connect(&CollectorAddress {
        scheme: Scheme::Udp,
        host: "127.0.0.1".into(),
        port,
    })
    .expect("udp");
    metrics.receive_buffer_bytes.set(4096);
    let daemon = Daemon::start(SessionConfig::udp(DOMAIN), transport, metrics, PAIRS);
    daemon.send(trace_event(3));
    daemon.send(trace_event(3));
    daemon.send(unavailable_event());
    daemon.send(TraceEvent::default()); // no namespace: no records
    daemon.events.send(SourceItem::Overrun).expect("running");
    daemon.finish();

    let (head, body) = http_get(address, "/metrics");
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    // Every line is a comment (HELP, TYPE) or `name{labels} value`.
    for line in body.lines() {
        let valid = line.starts_with("# HELP ioam_exporter_")
            || line.starts_with("# TYPE ioam_exporter_")
            || (line.starts_with("ioam_exporter_")
                && line
                    .rsplit_once(' ')
                    .is_some_and(|(_, v)| v.parse::<f64>().is_ok()));
        assert!(valid, "not exposition format: {line:?}");
    }
    let scrape =
        prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("no {name} {label:?} in:\n{body}"));
        match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{name}: {other:?}"),
        }
    };
    assert_eq!(
        value(
            "ioam_exporter_events_received_total",
            Some(("kind", "trace"))
        ),
        3.0
    );
    assert_eq!(
        value("ioam_exporter_events_received_total", Some(("kind", "dex"))),
        1.0
    );
    assert_eq!(
        value(
            "ioam_exporter_events_received_total",
            Some(("kind", "loopback"))
        ),
        0.0
    );
    assert_eq!(
        value(
            "ioam_exporter_records_exported_total",
            Some(("template", "path"))
        ),
        3.0
    );
    assert_eq!(
        value(
            "ioam_exporter_records_exported_total",
            Some(("template", "hop"))
        ),
        7.0
    );
    assert_eq!(
        value(
            "ioam_exporter_events_lost_total",
            Some(("reason", "enobufs"))
        ),
        1.0
    );
    assert_eq!(
        value(
            "ioam_exporter_events_lost_total",
            Some(("reason", "decode_error"))
        ),
        1.0
    );
    assert_eq!(
        value(
            "ioam_exporter_events_lost_total",
            Some(("reason", "collector_unreachable"))
        ),
        0.0
    );
    for kernel_side in ["rate_limit", "kernel_failed"] {
        assert_eq!(
            value(
                "ioam_exporter_events_lost_total",
                Some(("reason", kernel_side))
            ),
            0.0,
            "no module read here: present, at 0"
        );
    }
    // The templates and 10 records (about 1.6 KB) take two messages of at most 1400 octets.
    assert_eq!(value("ioam_exporter_messages_sent_total", None), 2.0);
    assert_eq!(value("ioam_exporter_receive_buffer_bytes", None), 4096.0);
    assert_eq!(value("ioam_exporter_collector_up", None), 1.0);

    let (head, _) = http_get(address, "/other");
    assert!(head.contains(" 404 "), "{head}");
}

#[test]
fn udp_send_errors_are_counted_and_not_fatal() {
    // A port nobody listens on: the kernel answers with ICMP port unreachable, and the
    // connected socket's next send fails with ECONNREFUSED.
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
        .port();
    let transport = UdpTransport::connect(&CollectorAddress {
        scheme: Scheme::Udp,
        host: "127.0.0.1".into(),
        port,
    })
    .expect("udp");
    let daemon = Daemon::start(
        SessionConfig::udp(DOMAIN),
        transport,
        Metrics::new().0,
        PAIRS,
    );
    let mut sent_events = 0;
    let give_up = Instant::now() + Duration::from_secs(5);
    while daemon.metrics.send_errors.get() == 0 {
        daemon.send(trace_event(2));
        sent_events += 1;
        assert!(Instant::now() < give_up, "no send error counted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let metrics = daemon.finish();
    let exported = metrics.records_exported_count(RecordKind::Path)
        + metrics.records_exported_count(RecordKind::Hop);
    let lost = metrics.records_lost_count(LossReason::CollectorUnreachable);
    assert!(lost >= 1);
    assert_eq!(exported + lost, u64::from(records_of(sent_events, 2)));
    assert_eq!(metrics.collector_up.get(), 1, "UDP stays up");
}

/// A POSIX-timestamped trace (node id, seconds, fraction: type 0xb00000) of nodes
/// `(id, µs after a fixed second)` in path order; `None`: timestamp unavailable.
fn timed_event(namespace: u16, nodes: &[(u32, Option<u32>)]) -> TraceEvent {
    let data = nodes
        .iter()
        .rev()
        .flat_map(|&(id, micros)| {
            let mut entry = ((63 << 24) | id).to_be_bytes().to_vec();
            let (secs, frac) = match micros {
                // Past a second: the seconds field carries it.
                Some(m) => (1_796_392_800 + m / 1_000_000, m % 1_000_000),
                None => (u32::MAX, u32::MAX),
            };
            entry.extend(secs.to_be_bytes());
            entry.extend(frac.to_be_bytes());
            entry
        })
        .collect();
    TraceEvent {
        namespace: Some(namespace),
        nodelen: Some(3),
        trace_type: Some(0xb0_0000 << 8),
        data: Some(data),
        ..TraceEvent::default()
    }
}

/// Cumulative bucket counts: `steps` (bound, observations at or below it) held until the
/// next step; every bound from the first step on counts at least as many.
fn cumulative(bounds: &[f64], steps: &[(f64, f64)]) -> Vec<(f64, f64)> {
    bounds
        .iter()
        .copied()
        .chain([f64::INFINITY])
        .map(|bound| {
            let count = steps
                .iter()
                .filter(|(at, _)| *at <= bound)
                .map(|(_, count)| *count)
                .next_back()
                .unwrap_or(0.0);
            (bound, count)
        })
        .collect()
}

#[test]
fn hop_delays_and_counts_through_the_loop() {
    let (metrics, registry) = Metrics::new();
    let endpoint =
        MetricsEndpoint::start("127.0.0.1:0".parse().expect("address"), registry).expect("listen");
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("receiver");
    let transport = UdpTransport::connect(&CollectorAddress {
        scheme: Scheme::Udp,
        host: "127.0.0.1".into(),
        port: receiver.local_addr().expect("address").port(),
    })
    .expect("udp");
    // Two pairs at most: (1,2) and (2,3) come first; (3,4) overflows.
    let daemon = Daemon::start(SessionConfig::udp(DOMAIN), transport, metrics, 2);
    daemon.send(timed_event(
        5,
        &[(1, Some(0)), (2, Some(15)), (3, Some(3_015))],
    ));
    daemon.send(timed_event(
        5,
        &[(1, Some(0)), (2, Some(7)), (3, Some(2_500_007))],
    ));
    daemon.send(timed_event(5, &[(1, Some(0)), (2, None), (3, Some(40))]));
    daemon.send(timed_event(5, &[(1, Some(100)), (2, Some(40))])); // negative
    let mut dex = timed_event(5, &[(2, Some(0))]);
    dex.dex = true;
    daemon.send(dex);
    let mut copy = timed_event(5, &[(1, Some(0)), (2, Some(20))]);
    copy.loopback = true;
    daemon.send(copy);
    daemon.send(timed_event(5, &[(3, Some(0)), (4, Some(10))]));
    daemon.finish();

    let (_, body) = http_get(endpoint.address().expect("bound"), "/metrics");
    let scrape =
        prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    let find = |metric: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| s.value.clone())
            .unwrap_or_else(|| panic!("no {metric} {labels:?} in:\n{body}"))
    };
    let buckets = |metric: &str, labels: &[(&str, &str)]| match find(metric, labels) {
        prometheus_parse::Value::Histogram(buckets) => buckets
            .iter()
            .map(|b| (b.less_than, b.count))
            .collect::<Vec<_>>(),
        other => panic!("{metric}: {other:?}"),
    };
    // A histogram's `_sum` and `_count` parse as untyped samples.
    let scalar = |metric: &str, labels: &[(&str, &str)]| match find(metric, labels) {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        other => panic!("{metric}: {other:?}"),
    };
    let pair = |from, to| [("namespace", "5"), ("from_node", from), ("to_node", to)];

    // (1,2): 15 µs, 7 µs, and the loopback copy's 20 µs (on a bound: le is inclusive).
    assert_eq!(
        buckets("ioam_exporter_hop_delay_seconds", &pair("1", "2")),
        cumulative(&DELAY_BUCKETS, &[(0.000_01, 1.0), (0.000_02, 3.0)])
    );
    // (2,3): 3 ms and 2.5 s; the trace with node 2 unavailable gives no (1,3) pair.
    assert_eq!(
        buckets("ioam_exporter_hop_delay_seconds", &pair("2", "3")),
        cumulative(&DELAY_BUCKETS, &[(0.005, 1.0), (5.0, 2.0)])
    );
    let sum = scalar("ioam_exporter_hop_delay_seconds_sum", &pair("2", "3"));
    assert!((sum - 2.503).abs() < 1e-9, "{sum}");
    assert!(!body.contains("from_node=\"1\",to_node=\"3\""), "{body}");
    assert!(!body.contains("to_node=\"4\""), "{body}");
    assert_eq!(
        scalar("ioam_exporter_hop_delay_negative_total", &pair("1", "2")),
        1.0
    );
    assert_eq!(
        scalar(
            "ioam_exporter_hop_delay_unavailable_total",
            &[("namespace", "5")]
        ),
        1.0
    );
    assert_eq!(scalar("ioam_exporter_hop_pairs_overflow_total", &[]), 1.0);
    assert_eq!(scalar("ioam_exporter_hop_pairs", &[]), 2.0);
    // Hop counts of the five traces (not the DEX event, not the loopback copy): 3, 3, 3, 2, 2.
    assert_eq!(
        buckets("ioam_exporter_trace_hops", &[("namespace", "5")]),
        cumulative(
            &ioam_exporter::daemon::hop_metrics::HOP_COUNT_BUCKETS,
            &[(2.0, 2.0), (3.0, 5.0)]
        )
    );
}
