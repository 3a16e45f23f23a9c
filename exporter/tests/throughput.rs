//! A host throughput harness of the daemon's per-event path (ignored: run it on purpose):
//! datagrams laid out as the module's export batches (about 32 KiB each, TRACE events of a
//! 2-node trace of type 0xffc000, 48 octets a node, as the transit benchmark makes them)
//! go through the daemon's loop (reading them itself, as it reads its netlink socket by
//! default; `IOAM_BENCH_THREAD=1`: through the reading thread it uses with a small receive
//! buffer) and exporter, and the IPFIX messages over UDP to a socket on ::1 that a thread
//! reads and drops.
//!
//! ```text
//! cargo test --release -p ioam-exporter --test throughput -- --ignored --nocapture
//! IOAM_BENCH_THREAD=1 cargo test --release -p ioam-exporter --test throughput -- --ignored --nocapture
//! IOAM_BENCH_EVENTS=100000 valgrind --tool=callgrind target/release/deps/throughput-* --ignored
//! ```

use std::cell::RefCell;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ioam_exporter::daemon::clock::SystemClock;
use ioam_exporter::daemon::collector::{CollectorAddress, Scheme, UdpTransport};
use ioam_exporter::daemon::exporter::Exporter;
use ioam_exporter::daemon::hop_metrics::DEFAULT_MAX_HOP_PAIRS;
use ioam_exporter::daemon::metrics::{Metrics, RecordKind};
use ioam_exporter::daemon::source::{
    spawn_reader, Datagram, EventSource, Input, Received, SourceError, DATAGRAM_BUFFER,
};
use ioam_exporter::daemon::{run, Inputs, INPUT_QUEUE};
use ioam_exporter::elements::DOCUMENTATION_PEN;
use ioam_exporter::ipfix::session::{Session, SessionConfig};
use ioam_uapi::event;
use ioam_wire::nla;

const FAMILY_ID: u16 = 0x1f;
/// Attribute room of a batch message (the module's: a 32 KiB head less its overhead).
const BATCH_ROOM: usize = 32_400;
/// Bits 0-9: 48 octets a node.
const TRACE_TYPE: u32 = 0xffc000;
const NLA_F_NESTED: u16 = 1 << 15;

fn put(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    // Laid out by the module's own writer, as its events are.
    let start = out.len();
    let size = nla::attr_size(payload.len()).expect("small attribute");
    out.resize(start + size, 0);
    nla::Writer::new(&mut out[start..])
        .put(kind, payload)
        .expect("room for the attribute");
}

/// A node entry of `TRACE_TYPE`: node `id`, received `micros` into a fixed second.
fn node(id: u32, hop_limit: u8, micros: u32, n: u32) -> Vec<u8> {
    let mut entry = Vec::with_capacity(48);
    entry.extend(((u32::from(hop_limit) << 24) | id).to_be_bytes()); // bit 0
    entry.extend([0, 2, 0, 3]); // bit 1
    entry.extend(1_796_392_800u32.to_be_bytes()); // bit 2
    entry.extend(micros.to_be_bytes()); // bit 3
    entry.extend((n % 5000).to_be_bytes()); // bit 4
    entry.extend(0x0000_0042u32.to_be_bytes()); // bit 5
    entry.extend((n % 17).to_be_bytes()); // bit 6
    entry.extend(0u32.to_be_bytes()); // bit 7
    entry.extend(((u64::from(hop_limit) << 56) | u64::from(id)).to_be_bytes()); // bit 8
    entry.extend([0, 0, 0, 2, 0, 0, 0, 3]); // bit 9
    entry
}

/// The attributes of one TRACE event, nested as the module batches it.
fn event_nest(out: &mut Vec<u8>, n: u32) {
    let mut attrs = Vec::with_capacity(128);
    put(
        &mut attrs,
        event::attr::TRACE_NAMESPACE,
        &1u16.to_ne_bytes(),
    );
    put(&mut attrs, event::attr::TRACE_NODELEN, &[12]);
    put(
        &mut attrs,
        event::attr::TRACE_TYPE,
        &(TRACE_TYPE << 8).to_ne_bytes(),
    );
    // The packet's addresses and flow label, as the module adds them to every event.
    put(
        &mut attrs,
        event::attr::PACKET_SRC,
        &[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    put(
        &mut attrs,
        event::attr::PACKET_DST,
        &[0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
    );
    put(
        &mut attrs,
        event::attr::PACKET_FLOW_LABEL,
        &(n & 0xf_ffff).to_ne_bytes(),
    );
    // Newest first: this node (2), then the encapsulating node (1).
    let sent = n % 900_000;
    let mut data = node(2, 63, sent + 40 + n % 13, n);
    data.extend(node(1, 64, sent, n));
    put(&mut attrs, event::attr::TRACE_DATA, &data);
    put(out, u16::from(event::TRACE) | NLA_F_NESTED, &attrs);
}

/// One datagram: a `BATCH` message of as many events as fit; returns it and its events.
fn datagram(first: u32) -> (Vec<u8>, u32) {
    let mut attrs = Vec::with_capacity(BATCH_ROOM);
    let mut n = first;
    loop {
        let mut nest = Vec::new();
        event_nest(&mut nest, n);
        if attrs.len() + nest.len() > BATCH_ROOM {
            break;
        }
        attrs.extend(nest);
        n += 1;
    }
    let mut message = Vec::with_capacity(20 + attrs.len());
    let len = u32::try_from(20 + attrs.len()).expect("small message");
    message.extend(len.to_ne_bytes());
    message.extend(FAMILY_ID.to_ne_bytes());
    message.extend(0u16.to_ne_bytes()); // flags
    message.extend(0u32.to_ne_bytes()); // sequence
    message.extend(0u32.to_ne_bytes()); // port id
    message.extend([event::BATCH, 1, 0, 0]); // genl header
    message.extend(attrs);
    (message, n - first)
}

/// Yields `count` datagrams (of a few distinct ones), each copied into a receive buffer
/// as the daemon's source reads one.
struct Datagrams {
    datagrams: Vec<Vec<u8>>,
    left: usize,
}

impl EventSource for Datagrams {
    fn receive(&mut self) -> Option<Result<Received, SourceError>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let datagram = &self.datagrams[self.left % self.datagrams.len()];
        let mut bytes = Vec::with_capacity(DATAGRAM_BUFFER);
        bytes.extend_from_slice(datagram);
        Some(Ok(Received::Datagram(Datagram {
            bytes,
            family_id: FAMILY_ID,
        })))
    }
}

/// The source read by the loop itself, as the daemon reads its netlink socket.
struct Direct(RefCell<Datagrams>);

impl Inputs for Direct {
    fn wait(&self, _timeout: Duration) -> Option<Input> {
        Some(match self.0.borrow_mut().receive() {
            Some(Ok(Received::Datagram(datagram))) => Input::Datagram(datagram),
            Some(Ok(Received::Items(items))) => Input::Items(items),
            Some(Err(error)) => Input::Failed(error),
            None => Input::Ended,
        })
    }

    fn pending(&self) -> Option<Input> {
        None
    }
}

fn cpu_ns() -> (u64, u64) {
    // SAFETY: getrusage writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ns = |t: libc::timeval| {
        u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000
            + u64::try_from(t.tv_usec).unwrap_or(0) * 1000
    };
    (ns(usage.ru_utime), ns(usage.ru_stime))
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn throughput() {
    let wanted: u64 = std::env::var("IOAM_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600_000);
    let mut datagrams = Vec::new();
    let mut per_datagram = 0;
    for d in 0..16 {
        let (bytes, events) = datagram(d * 1000);
        per_datagram = events;
        datagrams.push(bytes);
    }
    let count = usize::try_from(wanted / u64::from(per_datagram)).expect("count");
    let events = count as u64 * u64::from(per_datagram);

    let collector = UdpSocket::bind("[::1]:0").expect("collector socket");
    collector
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let port = collector.local_addr().expect("address").port();
    let done = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let drain = {
        let (done, received) = (Arc::clone(&done), Arc::clone(&received));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 65536];
            while !done.load(Ordering::Relaxed) {
                if collector.recv(&mut buffer).is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    let transport = UdpTransport::connect(&CollectorAddress {
        scheme: Scheme::Udp,
        host: "::1".into(),
        port,
    })
    .expect("udp transport");
    let (metrics, _registry) = Metrics::new();
    let mut exporter = Exporter::new(
        Session::new(SessionConfig::udp(1)).expect("session"),
        transport,
        metrics.clone(),
        DOCUMENTATION_PEN,
        Duration::from_millis(100),
        DEFAULT_MAX_HOP_PAIRS,
    );
    let stop = AtomicBool::new(false);
    let (user0, sys0) = cpu_ns();
    let start = Instant::now();
    let source = Datagrams {
        datagrams,
        left: count,
    };
    let threaded = std::env::var_os("IOAM_BENCH_THREAD").is_some();
    if threaded {
        // The daemon with a small receive buffer: a reading thread and its channel.
        let (sender, inputs) = mpsc::sync_channel(INPUT_QUEUE);
        let reader = spawn_reader(source, sender).expect("reader");
        run(&mut exporter, &inputs, &SystemClock, &stop).expect("source ok");
        reader.join().expect("reader");
    } else {
        // The daemon's default: the loop reads the source itself.
        run(
            &mut exporter,
            &Direct(RefCell::new(source)),
            &SystemClock,
            &stop,
        )
        .expect("source ok");
    }
    let wall = start.elapsed();
    let (user1, sys1) = cpu_ns();
    done.store(true, Ordering::Relaxed);
    drain.join().expect("drain");

    assert_eq!(metrics.records_exported_count(RecordKind::Path), events);
    assert_eq!(metrics.records_exported_count(RecordKind::Hop), 2 * events);
    let per = |ns: u64| ns as f64 / events as f64;
    println!(
        "throughput: {events} events ({per_datagram} a datagram): {:.0} ns/event wall, \
         cpu {:.0} ns/event (user {:.0}, sys {:.0}); {} messages sent, {} received",
        per(u64::try_from(wall.as_nanos()).unwrap_or(u64::MAX)),
        per(user1 - user0 + sys1 - sys0),
        per(user1 - user0),
        per(sys1 - sys0),
        metrics.messages_sent.get(),
        received.load(Ordering::Relaxed),
    );
}
