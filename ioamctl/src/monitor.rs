//! `ioamctl monitor`: joins the `ioam6_events` group and prints each trace event on one
//! line, flushed at once, until SIGINT or SIGTERM (exit status 0).
//!
//! Text lines are `ip ioam monitor`'s; with `-j` each event is one compact JSON object
//! on its own line (see [`crate::trace`]). As `ip` does, events the socket had no room
//! for are reported on standard error, and listening goes on.

use std::ffi::CStr;
use std::io::{self, Write};

use ioam_uapi::{event, EVENTS_GROUP_NAME};

use crate::format::OutputFormat;
use crate::netlink::{align4, parse_attributes, strerror, Client};
use crate::trace::{event_json, event_text, TraceEvent};
use crate::{EXIT_KERNEL, EXIT_OK};

/// The socket receive buffer asked for, as `ip` asks for 1 MiB.
const RECEIVE_BUFFER: usize = 1 << 20;
/// The largest datagram read at once; events are far smaller.
const DATAGRAM_MAX: usize = 64 * 1024;
/// `sizeof(struct nlmsghdr)`.
const NLMSG_HDRLEN: usize = 16;
/// `GENL_HDRLEN`.
const GENL_HDRLEN: usize = 4;

/// The trace events in one datagram: messages of `family_id` whose generic netlink
/// command is `event::TRACE`. Anything else, or anything cut short, is skipped.
pub fn trace_events(datagram: &[u8], family_id: u16) -> Vec<TraceEvent> {
    let mut events = Vec::new();
    let mut rest = datagram;
    while let Some((header, _)) = rest.split_first_chunk::<NLMSG_HDRLEN>() {
        let length = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]);
        let kind = u16::from_ne_bytes([header[4], header[5]]);
        let Some(length) = usize::try_from(length)
            .ok()
            .filter(|length| (NLMSG_HDRLEN..=rest.len()).contains(length))
        else {
            break;
        };
        let payload = &rest[NLMSG_HDRLEN..length];
        if kind == family_id {
            if let Some((genl, attrs)) = payload.split_first_chunk::<GENL_HDRLEN>() {
                if genl[0] == event::TRACE {
                    events.push(TraceEvent::from_attributes(&parse_attributes(attrs)));
                }
            }
        }
        rest = rest.get(align4(length)..).unwrap_or_default();
    }
    events
}

/// One event as printed: the `ip ioam monitor` line, or a JSON line.
pub fn event_line(event: &TraceEvent, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => event_text(event),
        OutputFormat::Json | OutputFormat::PrettyJson => event_json(event),
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

/// Runs `monitor` against the family `family_name`; returns the exit status of a
/// failure (a signal ends the program from its handler).
pub fn run(family_name: &CStr, format: OutputFormat) -> u8 {
    exit_on_signals();
    let client = Client::connect(family_name).and_then(|mut client| {
        client.join_group(EVENTS_GROUP_NAME, RECEIVE_BUFFER)?;
        Ok(client)
    });
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            eprintln!("ioamctl: {error}");
            return error.exit_code();
        }
    };
    let family_id = client.family_id();
    let fd = client.raw_fd();
    let mut buffer = vec![0u8; DATAGRAM_MAX];
    loop {
        // SAFETY: `buffer` is valid for `buffer.len()` bytes, and `fd` stays open as long
        // as `client` lives.
        let received = unsafe { libc::recv(fd, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        let Ok(received) = usize::try_from(received) else {
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINTR | libc::EAGAIN) => continue,
                Some(libc::ENOBUFS) => {
                    eprintln!("ioamctl: events were lost: {}", strerror(libc::ENOBUFS));
                    continue;
                }
                _ => {
                    eprintln!("ioamctl: netlink: cannot read events: {error}");
                    return EXIT_KERNEL;
                }
            }
        };
        for event in trace_events(&buffer[..received.min(buffer.len())], family_id) {
            if let Some(status) = write_line(&event_line(&event, format)) {
                return status;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ioam_uapi::event::attr as event_attr;

    const FAMILY: u16 = 0x22;

    /// One netlink message: header, generic netlink header, attributes.
    fn message(kind: u16, cmd: u8, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = vec![cmd, 1, 0, 0];
        for (attr_kind, payload) in attrs {
            let length = u16::try_from(4 + payload.len()).expect("small");
            body.extend(length.to_ne_bytes());
            body.extend(attr_kind.to_ne_bytes());
            body.extend(*payload);
            body.resize(align4(body.len()), 0);
        }
        let length = u32::try_from(NLMSG_HDRLEN + body.len()).expect("small");
        let mut bytes = length.to_ne_bytes().to_vec();
        bytes.extend(kind.to_ne_bytes());
        bytes.extend([0; 10]); // flags, seq, pid
        bytes.extend(body);
        bytes
    }

    fn trace_message(namespace: u16, data: &[u8]) -> Vec<u8> {
        message(
            FAMILY,
            event::TRACE,
            &[
                (event_attr::TRACE_NAMESPACE, &namespace.to_ne_bytes()),
                (event_attr::TRACE_NODELEN, &[1]),
                (event_attr::TRACE_TYPE, &0x8000_0000u32.to_ne_bytes()),
                (event_attr::TRACE_DATA, data),
            ],
        )
    }

    #[test]
    fn events_of_a_datagram() {
        let mut datagram = trace_message(123, &[0x40, 0, 0, 1]);
        datagram.extend(message(FAMILY, event::TRACE + 1, &[]));
        datagram.extend(message(FAMILY + 1, event::TRACE, &[]));
        datagram.extend(trace_message(7, &[0x3f, 0, 0, 2, 0x40, 0, 0, 1]));
        let events = trace_events(&datagram, FAMILY);
        assert_eq!(events.len(), 2);
        assert_eq!(
            event_line(&events[0], OutputFormat::Text),
            "[TRACE] Namespace=123 NodeLen=1 Type=0x80000000 Data=40000001\n"
        );
        assert_eq!(
            event_line(&events[1], OutputFormat::Json),
            "{\"namespace\":7,\"nodelen\":1,\"type\":\"0x800000\",\"data\":\"3f00000240000001\",\
             \"nodes\":[{\"hop_limit\":63,\"node_id\":2},{\"hop_limit\":64,\"node_id\":1}]}\n"
        );
        assert_eq!(
            event_line(&events[1], OutputFormat::PrettyJson),
            event_line(&events[1], OutputFormat::Json),
            "one line per event, -p or not"
        );
    }

    #[test]
    fn unpadded_trace_data() {
        // TRACE_DATA of 3 bytes, last in the message, with and without its padding.
        let padded = trace_message(1, &[1, 2, 3]);
        let events = trace_events(&padded, FAMILY);
        assert_eq!(events[0].data.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(
            event_text(&events[0]),
            "[TRACE] Namespace=1 NodeLen=1 Type=0x80000000 Data=010203\n"
        );
    }

    #[test]
    fn broken_datagrams() {
        let whole = trace_message(1, &[1, 2, 3, 4]);
        for cut in 0..whole.len() {
            let events = trace_events(&whole[..cut], FAMILY);
            assert!(events.is_empty(), "cut at {cut}");
        }
        let mut lying = whole.clone();
        lying[0] = 200; // longer than the datagram
        assert!(trace_events(&lying, FAMILY).is_empty());
        let mut tiny = whole;
        tiny[..4].copy_from_slice(&3u32.to_ne_bytes());
        assert!(trace_events(&tiny, FAMILY).is_empty());
        let no_genl = message(FAMILY, event::TRACE, &[]);
        assert_eq!(trace_events(&no_genl, FAMILY).len(), 1);
        assert!(trace_events(&no_genl[..NLMSG_HDRLEN], FAMILY).is_empty());
    }

    #[test]
    fn random_datagrams_never_panic() {
        let mut state = 0xdead_beef_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let mut datagram = trace_message(1, &[0x40, 0, 0, 1]);
            let flips = next() % 8;
            for _ in 0..flips {
                let at = (next() as usize) % datagram.len();
                datagram[at] = next() as u8;
            }
            let cut = (next() as usize) % (datagram.len() + 1);
            for event in trace_events(&datagram[..cut], FAMILY) {
                let _ = event_line(&event, OutputFormat::Text);
                let _ = event_line(&event, OutputFormat::Json);
            }
        }
    }
}
