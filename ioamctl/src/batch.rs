//! `BATCH` messages of the `ioam6_export` group: many events in one message, for exporters.
//!
//! Each event is one nested attribute whose type is the event type (`TRACE`, `DEX`,
//! `LOOPBACK`) and whose content is the attributes a per-event message of `ioam6_events`
//! carries, so each nest is decoded by [`TraceEvent::from_attributes`], as `ioamctl
//! monitor` decodes a message. Events keep the order of the batch (the order the CPU that
//! batched them saw them).

use ioam_uapi::event;

use crate::netlink::{parse_attribute_slices, AttributeIter, Attributes, NetlinkError};
use crate::trace::TraceEvent;

/// What one `BATCH` message held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The events, in the order of the message.
    pub events: Vec<TraceEvent>,
    /// Nests of a known event type whose content is not a well-formed list of attributes:
    /// skipped, each an event lost.
    pub malformed: usize,
}

/// The events of the attributes of one `BATCH` message. A malformed nest is skipped and
/// counted, so that one bad event does not lose the others; a nest of an unknown type (an
/// event type of a later module) is skipped, as unknown attributes are elsewhere.
pub fn decode_batch(attrs: &Attributes) -> Batch {
    let mut batch = Batch {
        events: Vec::with_capacity(attrs.as_ref().len()),
        malformed: 0,
    };
    // One list of a nest's attributes, reused: they borrow the message's bytes.
    let mut event_attrs = Vec::new();
    for nest in attrs.iter() {
        let kind = *nest.nla_type().nla_type();
        let Ok(kind) = u8::try_from(kind) else {
            continue;
        };
        if ![event::TRACE, event::DEX, event::LOOPBACK].contains(&kind) {
            continue;
        }
        match parse_attribute_slices(nest.nla_payload().as_ref(), &mut event_attrs) {
            Ok(()) => batch
                .events
                .push(TraceEvent::from_attribute_slices(kind, &event_attrs)),
            Err(_) => batch.malformed += 1,
        }
    }
    batch
}

/// [`decode_batch`] of the attribute bytes of one `BATCH` message, as laid out in the
/// datagram, without copying them: each event is decoded into `event` in turn
/// ([`TraceEvent::assign_from_attribute_bytes`], reusing its allocation) and handed to
/// `each`. Returns the malformed nests. neli's parse of a message copies every nest into a
/// buffer of its own (and [`decode_batch`] each event's data once more): for an exporter
/// that reads tens of thousands of events a second, these bytes are read in place.
///
/// Errs, handing over no event, when the message's attribute list itself is malformed:
/// neli then refuses the whole message.
pub fn for_each_batch_event(
    attrs: &[u8],
    event: &mut TraceEvent,
    mut each: impl FnMut(&TraceEvent),
) -> Result<usize, NetlinkError> {
    // The list is checked first, as neli parses it whole before any nest is looked at.
    if let Some(Err(error)) = AttributeIter::new(attrs).find(Result::is_err) {
        return Err(error);
    }
    let mut malformed = 0;
    for (kind, payload) in AttributeIter::new(attrs).map_while(Result::ok) {
        let Ok(kind) = u8::try_from(kind) else {
            continue;
        };
        if ![event::TRACE, event::DEX, event::LOOPBACK].contains(&kind) {
            continue;
        }
        match event.assign_from_attribute_bytes(kind, payload) {
            Ok(()) => each(event),
            Err(_) => malformed += 1,
        }
    }
    Ok(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::OutputFormat;
    use crate::monitor::event_line;
    use crate::netlink::fixtures::{attribute_bytes, attributes};
    use ioam_uapi::event::attr as event_attr;

    /// The attributes of a TRACE event of namespace `namespace` with one node.
    fn trace(namespace: u16) -> Vec<(u16, Vec<u8>)> {
        vec![
            (
                event_attr::TRACE_NAMESPACE,
                namespace.to_ne_bytes().to_vec(),
            ),
            (event_attr::TRACE_NODELEN, vec![1]),
            (
                event_attr::TRACE_TYPE,
                0x8000_0000u32.to_ne_bytes().to_vec(),
            ),
            // As the module sends them, after the type.
            (event_attr::PACKET_SRC, [0x20, 1, 0xd, 0xb8].repeat(4)),
            (event_attr::PACKET_DST, [0xfe, 0x80, 0, 1].repeat(4)),
            (
                event_attr::PACKET_FLOW_LABEL,
                0x12345u32.to_ne_bytes().to_vec(),
            ),
            (event_attr::TRACE_DATA, vec![0x40, 0, 0, 1]),
        ]
    }

    fn dex() -> Vec<(u16, Vec<u8>)> {
        vec![
            (event_attr::TRACE_NAMESPACE, 7u16.to_ne_bytes().to_vec()),
            (event_attr::TRACE_NODELEN, vec![2]),
            (
                event_attr::TRACE_TYPE,
                0xc000_0000u32.to_ne_bytes().to_vec(),
            ),
            (event_attr::DEX_FLOW_ID, 77u32.to_ne_bytes().to_vec()),
            (event_attr::DEX_SEQUENCE, 5u32.to_ne_bytes().to_vec()),
            (event_attr::TRACE_DATA, vec![0x3f, 0, 0, 2, 0, 1, 0, 3]),
        ]
    }

    fn loopback() -> Vec<(u16, Vec<u8>)> {
        let from: std::net::Ipv6Addr = "2001:db8:2::2".parse().unwrap();
        let mut attrs = trace(9);
        attrs.push((event_attr::TRACE_FLAGS, vec![0x02]));
        attrs.push((event_attr::LOOPBACK_SOURCE, from.octets().to_vec()));
        attrs
    }

    /// A nest as `nla_nest_start` writes it: the event type with `NLA_F_NESTED`.
    fn nest(kind: u8, attrs: &[(u16, Vec<u8>)]) -> (u16, Vec<u8>) {
        let inner: Vec<(u16, &[u8])> = attrs.iter().map(|(k, p)| (*k, p.as_slice())).collect();
        (u16::from(kind) | 0x8000, attribute_bytes(&inner))
    }

    #[test]
    fn every_event_type_in_order_as_single_events() {
        let batch = decode_batch(&attributes(vec![
            nest(event::TRACE, &trace(123)),
            nest(event::DEX, &dex()),
            nest(event::LOOPBACK, &loopback()),
            nest(event::TRACE, &trace(124)),
        ]));
        assert_eq!(batch.malformed, 0);
        let singles = [
            TraceEvent::from_attributes(event::TRACE, &attributes(trace(123))),
            TraceEvent::from_attributes(event::DEX, &attributes(dex())),
            TraceEvent::from_attributes(event::LOOPBACK, &attributes(loopback())),
            TraceEvent::from_attributes(event::TRACE, &attributes(trace(124))),
        ];
        assert_eq!(batch.events, singles);
        let lines: Vec<String> = batch
            .events
            .iter()
            .map(|event| event_line(event, OutputFormat::Text))
            .collect();
        assert_eq!(
            lines,
            [
                "[TRACE] Namespace=123 NodeLen=1 Type=0x80000000 Data=40000001\n",
                "[DEX] Namespace=7 FlowID=77 SeqNum=5 NodeLen=2 Type=0xc0000000 \
                 Data=3f00000200010003\n",
                "[LOOPBACK] From=2001:db8:2::2 Namespace=9 Flags=L NodeLen=1 Type=0x80000000 \
                 Data=40000001\n",
                "[TRACE] Namespace=124 NodeLen=1 Type=0x80000000 Data=40000001\n",
            ]
        );
    }

    #[test]
    fn empty_batch() {
        assert_eq!(decode_batch(&attributes(vec![])), Batch::default());
    }

    #[test]
    fn truncated_nest_is_skipped_and_counted() {
        // The nest's last attribute says 8 bytes, the nest ends after 6 of them.
        let mut cut = nest(event::TRACE, &trace(1));
        cut.1.extend(8u16.to_ne_bytes());
        cut.1.extend(event_attr::TRACE_FLAGS.to_ne_bytes());
        cut.1.extend([1, 2]);
        let batch = decode_batch(&attributes(vec![
            nest(event::TRACE, &trace(1)),
            cut,
            nest(event::DEX, &dex()),
        ]));
        assert_eq!(batch.malformed, 1);
        assert_eq!(
            batch
                .events
                .iter()
                .map(|e| (e.dex, e.namespace))
                .collect::<Vec<_>>(),
            [(false, Some(1)), (true, Some(7))]
        );
    }

    #[test]
    fn unknown_nest_types_are_skipped() {
        let batch = decode_batch(&attributes(vec![
            nest(event::BATCH, &trace(1)),
            nest(200, &trace(2)),
            (0x0100 | u16::from(event::TRACE), vec![1, 2, 3, 4]),
            nest(event::TRACE, &trace(3)),
        ]));
        assert_eq!(batch.malformed, 0);
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.events[0].namespace, Some(3));
    }

    /// [`for_each_batch_event`] of the bytes of `nests` gives what [`decode_batch`] gives.
    fn in_place_agrees(nests: Vec<(u16, Vec<u8>)>) {
        let borrowed: Vec<(u16, &[u8])> = nests.iter().map(|(k, p)| (*k, p.as_slice())).collect();
        let bytes = attribute_bytes(&borrowed);
        let mut event = TraceEvent::default();
        // A scratch event left over from another one is overwritten in full.
        event
            .assign_from_attribute_bytes(
                event::LOOPBACK,
                &attribute_bytes(&[
                    (event_attr::LOOPBACK_SOURCE, &[1; 16]),
                    (event_attr::DEX_FLOW_ID, &[1; 4]),
                    (event_attr::TRACE_TSFORMAT, &[2]),
                ]),
            )
            .unwrap();
        let mut events = Vec::new();
        let malformed = for_each_batch_event(&bytes, &mut event, |e| events.push(e.clone()));
        let expected = decode_batch(&attributes(nests));
        assert_eq!(malformed.ok(), Some(expected.malformed));
        assert_eq!(events, expected.events);
    }

    #[test]
    fn in_place_decoding_agrees_with_neli() {
        let mut cut = nest(event::TRACE, &trace(1));
        cut.1.extend(8u16.to_ne_bytes());
        cut.1.extend(event_attr::TRACE_FLAGS.to_ne_bytes());
        cut.1.extend([1, 2]);
        // Duplicates (the first counts, even when too short) and short attributes.
        let mut odd = vec![
            (event_attr::TRACE_NAMESPACE, vec![9]),
            (event_attr::TRACE_NAMESPACE, 5u16.to_ne_bytes().to_vec()),
            (event_attr::TRACE_TYPE, vec![1, 2]),
            (event_attr::TRACE_DATA, vec![1, 2, 3]),
            (event_attr::TRACE_DATA, vec![4]),
            (event_attr::TRACE_FLAGS, vec![]),
            (event_attr::TRACE_TSFORMAT, vec![2, 0, 0, 0]),
            (
                0x4000 | event_attr::DEX_SEQUENCE,
                3u32.to_ne_bytes().to_vec(),
            ),
            (40, vec![1, 2, 3, 4]),
        ];
        in_place_agrees(vec![
            nest(event::TRACE, &trace(123)),
            nest(event::DEX, &dex()),
            nest(event::LOOPBACK, &loopback()),
            cut,
            nest(event::TRACE, &odd),
            nest(event::BATCH, &trace(1)),
            nest(200, &trace(2)),
            (0x0100 | u16::from(event::TRACE), vec![1, 2, 3, 4]),
            nest(event::TRACE, &[]),
            nest(event::TRACE, &trace(124)),
        ]);
        odd.retain(|(kind, _)| *kind != event_attr::TRACE_DATA);
        in_place_agrees(vec![nest(event::TRACE, &odd), nest(event::DEX, &dex())]);
        // The module's leading attributes, then duplicates of them.
        let mut again = trace(5);
        again.extend(trace(6));
        again.push((event_attr::TRACE_TYPE | 0x8000, vec![1, 2, 3, 4]));
        in_place_agrees(vec![
            nest(event::TRACE, &again),
            nest(event::LOOPBACK, &loopback()),
        ]);
        in_place_agrees(vec![]);
    }

    #[test]
    fn a_malformed_message_gives_no_event() {
        let mut bytes = attribute_bytes(&[(u16::from(event::TRACE) | 0x8000, &[])]);
        bytes.extend([8, 0, 1, 0, 0]);
        let mut count = 0;
        let result = for_each_batch_event(&bytes, &mut TraceEvent::default(), |_| count += 1);
        assert!(result.is_err() && count == 0);
        assert!(crate::netlink::parse_attributes(&bytes).is_err(), "as neli");
    }
}
