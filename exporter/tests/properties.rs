//! Whatever a trace event holds, mapping it to records and encoding them neither panics
//! nor produces a message that breaks RFC 7011's framing.

use std::time::{Duration, SystemTime};

use ioam_exporter::elements::DOCUMENTATION_PEN;
use ioam_exporter::ipfix::session::{Session, SessionConfig};
use ioam_exporter::records::event_records;
use ioam_wire::trace::{node_len, OSS_BIT};
use ioamctl::trace::TraceEvent;
use proptest::prelude::*;

/// An event whose data is whole node entries of its type (no snapshot).
fn well_formed_event() -> impl Strategy<Value = TraceEvent> {
    ((0u32..0x0100_0000).prop_map(|t| t & !OSS_BIT), 0usize..6)
        .prop_flat_map(|(trace_type, nodes)| {
            let len = node_len(trace_type) as usize * 4 * nodes;
            (
                Just(trace_type),
                proptest::collection::vec(any::<u8>(), len),
            )
        })
        .prop_map(|(trace_type, data)| TraceEvent {
            namespace: Some(1),
            nodelen: u8::try_from(node_len(trace_type)).ok(),
            trace_type: Some(trace_type << 8),
            data: Some(data),
            ..TraceEvent::default()
        })
}

/// Anything, mostly malformed.
fn any_event() -> impl Strategy<Value = TraceEvent> {
    (
        any::<bool>(),
        any::<Option<u16>>(),
        prop_oneof![any::<u32>(), (0u32..0x0100_0000).prop_map(|t| t << 8)],
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
    )
        .prop_map(
            |(dex, namespace, word, data, matching_nodelen)| TraceEvent {
                dex,
                namespace,
                nodelen: matching_nodelen
                    .then(|| u8::try_from(node_len(word >> 8)).ok())
                    .flatten(),
                trace_type: Some(word),
                data: Some(data),
                ..TraceEvent::default()
            },
        )
}

fn u16_at(bytes: &[u8], offset: usize) -> usize {
    usize::from(u16::from_be_bytes([bytes[offset], bytes[offset + 1]]))
}

proptest! {
    #[test]
    fn any_event_encodes_into_well_framed_messages(
        events in proptest::collection::vec(prop_oneof![any_event(), well_formed_event()], 1..20),
    ) {
        let mut records = Vec::new();
        for event in &events {
            let well_formed = event.namespace.is_some()
                && event.data.as_ref().is_some_and(|d| {
                    let trace_type = event.trace_type.unwrap_or(0) >> 8;
                    let entry = node_len(trace_type) as usize * 4;
                    trace_type & OSS_BIT == 0
                        && event.nodelen.is_some()
                        && (d.is_empty() || (entry > 0 && d.len() % entry == 0))
                });
            match event_records(event, DOCUMENTATION_PEN) {
                Ok(mapped) => records.extend(mapped.into_records()),
                Err(error) => prop_assert!(!well_formed, "{error}: {event:?}"),
            }
        }
        let mut session = Session::new(SessionConfig::udp(1)).expect("session");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        // A node entry is at most 1,020 snapshot octets and 100 more: every record fits.
        let messages = session.encode(now, &records).expect("encode");
        let mut data_sets_octets = 0;
        for message in &messages {
            prop_assert!(message.len() <= 1400);
            prop_assert_eq!(u16_at(message, 0), 10);
            prop_assert_eq!(u16_at(message, 2), message.len());
            let mut offset = 16;
            while offset < message.len() {
                let (set_id, length) = (u16_at(message, offset), u16_at(message, offset + 2));
                prop_assert!(length >= 4 && offset + length <= message.len());
                if set_id >= 256 {
                    data_sets_octets += length - 4;
                }
                offset += length;
            }
        }
        let record_octets: usize = records
            .iter()
            .map(|r| r.encode().expect("record").len())
            .sum();
        prop_assert_eq!(data_sets_octets, record_octets);
        prop_assert_eq!(session.sequence_number() as usize, records.len());
    }
}
