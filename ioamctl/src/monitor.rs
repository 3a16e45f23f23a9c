//! `ioamctl monitor`: joins the `ioam6_events` group and prints each trace event on one
//! line, flushed at once, until SIGINT or SIGTERM (exit status 0).
//!
//! `ioamctl monitor --export` joins the `ioam6_export` group instead and prints each event
//! of its `BATCH` messages the same way, so that the two paths can be compared line for
//! line; nests it cannot read are reported on standard error.
//!
//! Text lines are `ip ioam monitor`'s; with `-j` each event is one compact JSON object
//! on its own line (see [`crate::trace`]). As `ip` does, events the socket had no room
//! for are reported on standard error, and listening goes on.

use std::ffi::CStr;
use std::io::{self, Write};

use ioam_uapi::{event, EVENTS_GROUP_NAME, EXPORT_GROUP_NAME};

use crate::batch::decode_batch;
use crate::format::OutputFormat;
use crate::netlink::{strerror, Attributes, Client};
use crate::trace::{event_json, event_text, TraceEvent};
use crate::{EXIT_KERNEL, EXIT_OK};

/// The socket receive buffer asked for, as `ip` asks for 1 MiB.
const RECEIVE_BUFFER: usize = 1 << 20;

/// One event as printed: the `ip ioam monitor` line, or a JSON line.
pub fn event_line(event: &TraceEvent, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => event_text(event),
        OutputFormat::Json | OutputFormat::PrettyJson => event_json(event),
    }
}

/// TAI - UTC in seconds as the kernel keeps it (`adjtimex`), which PTP timestamps count in;
/// 0 when it cannot be read.
fn tai_offset_s() -> i64 {
    // SAFETY: All zeroes is a valid `timex`.
    let mut timex: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: `modes` 0 only reads the clock's state into `timex`, which is valid.
    let state = unsafe { libc::adjtimex(&mut timex) };
    if state < 0 {
        0
    } else {
        i64::from(timex.tai)
    }
}

extern "C" fn exit_now(_signal: libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe. Every line is flushed when written, so
    // nothing is lost by skipping the rest of the program.
    unsafe { libc::_exit(0) }
}

/// SIGINT and SIGTERM end the program with status 0, even while it waits to read or to
/// write (a reader of the pipe that stopped reading).
fn exit_on_signals() {
    let handler: extern "C" fn(libc::c_int) = exit_now;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed `sigaction` is valid; the handler only calls `_exit`.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Writes `line` and flushes it. `Some(status)` when printing must stop.
fn write_line(line: &str) -> Option<u8> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => None,
        // The reader went away: nothing more to do.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Some(EXIT_OK),
        Err(error) => {
            eprintln!("ioamctl: cannot write the output: {error}");
            Some(EXIT_KERNEL)
        }
    }
}

/// The events of one received message: itself, or the events of a `BATCH`.
fn events_of(cmd: u8, attrs: &Attributes) -> Vec<TraceEvent> {
    if cmd != event::BATCH {
        return vec![TraceEvent::from_attributes(cmd, attrs)];
    }
    let batch = decode_batch(attrs);
    if batch.malformed > 0 {
        eprintln!(
            "ioamctl: {} malformed events of a batch skipped",
            batch.malformed
        );
    }
    batch.events
}

/// Runs `monitor` against the family `family_name`, on the export group if `export`;
/// returns the exit status of a failure (a signal ends the program from its handler).
pub fn run(family_name: &CStr, format: OutputFormat, export: bool) -> u8 {
    exit_on_signals();
    let (group, cmds): (&CStr, &[u8]) = if export {
        (EXPORT_GROUP_NAME, &[event::BATCH])
    } else {
        (
            EVENTS_GROUP_NAME,
            &[event::TRACE, event::DEX, event::LOOPBACK],
        )
    };
    let client = Client::connect(family_name).and_then(|mut client| {
        client.join_group(group, RECEIVE_BUFFER)?;
        Ok(client)
    });
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            eprintln!("ioamctl: {error}");
            return error.exit_code();
        }
    };
    loop {
        let messages = match client.receive(cmds) {
            Ok(events) => events,
            Err(error) => match error.raw_os_error() {
                Some(libc::EINTR | libc::EAGAIN) => continue,
                Some(libc::ENOBUFS) => {
                    eprintln!("ioamctl: events were lost: {}", strerror(libc::ENOBUFS));
                    continue;
                }
                _ => {
                    eprintln!("ioamctl: netlink: cannot read events: {error}");
                    return EXIT_KERNEL;
                }
            },
        };
        for (cmd, attrs) in &messages {
            for event in events_of(*cmd, attrs) {
                let event = TraceEvent {
                    tai_offset_s: tai_offset_s(),
                    ..event
                };
                if let Some(status) = write_line(&event_line(&event, format)) {
                    return status;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::fixtures::{attribute_bytes, attributes};
    use ioam_uapi::event::attr as event_attr;

    fn trace_event(namespace: u16, data: &[u8]) -> TraceEvent {
        TraceEvent::from_attributes(
            event::TRACE,
            &attributes(vec![
                (
                    event_attr::TRACE_NAMESPACE,
                    namespace.to_ne_bytes().to_vec(),
                ),
                (event_attr::TRACE_NODELEN, vec![1]),
                (
                    event_attr::TRACE_TYPE,
                    0x8000_0000u32.to_ne_bytes().to_vec(),
                ),
                (event_attr::TRACE_DATA, data.to_vec()),
            ]),
        )
    }

    #[test]
    fn event_lines() {
        assert_eq!(
            event_line(&trace_event(123, &[0x40, 0, 0, 1]), OutputFormat::Text),
            "[TRACE] Namespace=123 NodeLen=1 Type=0x80000000 Data=40000001\n"
        );
        let two_nodes = trace_event(7, &[0x3f, 0, 0, 2, 0x40, 0, 0, 1]);
        assert_eq!(
            event_line(&two_nodes, OutputFormat::Json),
            "{\"namespace\":7,\"nodelen\":1,\"type\":\"0x800000\",\"data\":\"3f00000240000001\",\
             \"nodes\":[{\"hop_limit\":63,\"node_id\":2},{\"hop_limit\":64,\"node_id\":1}]}\n"
        );
        assert_eq!(
            event_line(&two_nodes, OutputFormat::PrettyJson),
            event_line(&two_nodes, OutputFormat::Json),
            "one line per event, -p or not"
        );
    }

    #[test]
    fn loopback_event_lines() {
        let from: std::net::Ipv6Addr = "2001:db8:2::2".parse().unwrap();
        let attrs = |flags: u8| {
            attributes(vec![
                (event_attr::TRACE_NAMESPACE, 9u16.to_ne_bytes().to_vec()),
                (event_attr::TRACE_NODELEN, vec![1]),
                (
                    event_attr::TRACE_TYPE,
                    0x8000_0000u32.to_ne_bytes().to_vec(),
                ),
                (event_attr::TRACE_FLAGS, vec![flags]),
                (event_attr::LOOPBACK_SOURCE, from.octets().to_vec()),
                (event_attr::TRACE_DATA, vec![0x3f, 0, 0, 2, 0x40, 0, 0, 1]),
            ])
        };
        let event = TraceEvent::from_attributes(event::LOOPBACK, &attrs(0x02));
        assert_eq!(
            event_line(&event, OutputFormat::Text),
            "[LOOPBACK] From=2001:db8:2::2 Namespace=9 Flags=L NodeLen=1 Type=0x80000000 \
             Data=3f00000240000001\n"
        );
        assert_eq!(
            event_line(&event, OutputFormat::Json),
            "{\"option\":\"loopback\",\"from\":\"2001:db8:2::2\",\"loopback\":true,\
             \"namespace\":9,\"nodelen\":1,\"type\":\"0x800000\",\"data\":\"3f00000240000001\",\
             \"nodes\":[{\"hop_limit\":63,\"node_id\":2},{\"hop_limit\":64,\"node_id\":1}]}\n"
        );
        // A trace event with the Active flag: a TRACE line with its flags.
        let event = TraceEvent::from_attributes(event::TRACE, &attrs(0x03));
        let text = event_line(&event, OutputFormat::Text);
        assert!(
            text.starts_with("[TRACE] From=2001:db8:2::2 Namespace=9 Flags=LA "),
            "{text}"
        );
        let json = event_line(&event, OutputFormat::Json);
        assert!(
            json.starts_with("{\"from\":\"2001:db8:2::2\",\"loopback\":true,\"active\":true,"),
            "{json}"
        );
    }

    #[test]
    fn dex_event_lines() {
        let event = TraceEvent::from_attributes(
            event::DEX,
            &attributes(vec![
                (event_attr::TRACE_NAMESPACE, 123u16.to_ne_bytes().to_vec()),
                (event_attr::TRACE_NODELEN, vec![2]),
                (
                    event_attr::TRACE_TYPE,
                    0xc000_0000u32.to_ne_bytes().to_vec(),
                ),
                (event_attr::DEX_FLOW_ID, 77u32.to_ne_bytes().to_vec()),
                (event_attr::DEX_SEQUENCE, 5u32.to_ne_bytes().to_vec()),
                (event_attr::TRACE_DATA, vec![0x3f, 0, 0, 2, 0, 1, 0, 3]),
            ]),
        );
        assert_eq!(
            event_line(&event, OutputFormat::Text),
            "[DEX] Namespace=123 FlowID=77 SeqNum=5 NodeLen=2 Type=0xc0000000 Data=3f00000200010003\n"
        );
        assert_eq!(
            event_line(&event, OutputFormat::Json),
            "{\"option\":\"dex\",\"flowid\":77,\"seqnum\":5,\"namespace\":123,\"nodelen\":2,\
             \"type\":\"0xc00000\",\"data\":\"3f00000200010003\",\"nodes\":[{\"hop_limit\":63,\
             \"node_id\":2,\"ingress_if\":1,\"egress_if\":3}]}\n"
        );
    }

    #[test]
    fn packet_addresses_and_flow_label() {
        let src: std::net::Ipv6Addr = "2001:db8:1::1".parse().unwrap();
        let dst: std::net::Ipv6Addr = "2001:db8:3::2".parse().unwrap();
        let event = TraceEvent::from_attributes(
            event::TRACE,
            &attributes(vec![
                (event_attr::PACKET_SRC, src.octets().to_vec()),
                (event_attr::PACKET_DST, dst.octets().to_vec()),
                (
                    event_attr::PACKET_FLOW_LABEL,
                    0xbeefu32.to_ne_bytes().to_vec(),
                ),
                (event_attr::TRACE_NAMESPACE, 123u16.to_ne_bytes().to_vec()),
                (event_attr::TRACE_DATA, vec![0x40, 0, 0, 1]),
            ]),
        );
        // The line stays `ip ioam monitor`'s: the packet is in JSON only.
        assert_eq!(
            event_line(&event, OutputFormat::Text),
            "[TRACE] Namespace=123 Data=40000001\n"
        );
        assert_eq!(
            event_line(&event, OutputFormat::Json),
            "{\"src\":\"2001:db8:1::1\",\"dst\":\"2001:db8:3::2\",\"flowlabel\":48879,\
             \"namespace\":123,\"data\":\"40000001\",\"nodes\":[],\"trailing\":\"40000001\"}\n"
        );
    }

    #[test]
    fn a_batch_prints_as_its_events_one_by_one() {
        let attrs: Vec<(u16, Vec<u8>)> = vec![
            (event_attr::TRACE_NAMESPACE, 5u16.to_ne_bytes().to_vec()),
            (event_attr::TRACE_DATA, vec![0x40, 0, 0, 1]),
        ];
        let borrowed: Vec<(u16, &[u8])> = attrs.iter().map(|(k, p)| (*k, p.as_slice())).collect();
        let nest = attribute_bytes(&borrowed);
        let batch = attributes(vec![
            (u16::from(event::TRACE) | 0x8000, nest.clone()),
            (u16::from(event::DEX) | 0x8000, nest),
        ]);
        let single = |cmd| events_of(cmd, &attributes(attrs.clone()));
        assert_eq!(
            events_of(event::BATCH, &batch),
            [single(event::TRACE), single(event::DEX)].concat()
        );
        assert_eq!(single(event::TRACE).len(), 1);
    }

    #[test]
    fn unpadded_trace_data() {
        // TRACE_DATA of 3 bytes: its padding is not part of it.
        let event = trace_event(1, &[1, 2, 3]);
        assert_eq!(event.data.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(
            event_text(&event),
            "[TRACE] Namespace=1 NodeLen=1 Type=0x80000000 Data=010203\n"
        );
    }
}
