//! One-way delays between consecutive nodes of a trace, from the receive timestamps each
//! node wrote (trace-type bits 2 and 3), read in the event's timestamp format as
//! `ioam-wire`'s [`TsFormat`] reads them.
//!
//! - Nodes are taken in path order (the data holds them newest first): the delay of the
//!   pair (previous node, this node) is this node's time minus the previous one's.
//! - A node whose timestamp is unavailable (either field all ones, or a fraction out of
//!   range) has no time: it is counted, and neither pair it belongs to gives a delay. The
//!   nodes on either side of it are not paired with each other: they are not neighbours.
//! - Delays are computed only when the trace type carries both timestamp fields (seconds
//!   alone are too coarse for hop delays) and a node id (short, else wide) to name the pair.
//! - Delays may come out negative when the nodes' clocks disagree; they are returned as they
//!   are, for the caller to count apart.

use ioam_wire::parse::{Nodes, ParsedNode};
use ioam_wire::timestamp::TsFormat;
use ioam_wire::trace::{node_len, trace_bit};
use ioamctl::trace::TraceEvent;

use crate::records::time_ns;

/// The delay of one pair of consecutive nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HopDelay {
    pub from_node: u64,
    pub to_node: u64,
    /// `to`'s time minus `from`'s, in nanoseconds; negative when the clocks disagree.
    pub delay_ns: i128,
}

impl HopDelay {
    pub fn seconds(&self) -> f64 {
        // Exact below 2^53 ns (104 days); beyond, a bogus delay only loses low digits.
        // Through i64 when it fits (it always does but for garbage): the same rounding of
        // the same integer, without the 128-bit conversion.
        match i64::try_from(self.delay_ns) {
            Ok(ns) => ns as f64 / 1e9,
            Err(_) => wide_seconds(self.delay_ns),
        }
    }
}

/// [`HopDelay::seconds`] of a delay beyond 2^63 ns (garbage timestamps).
#[cold]
#[inline(never)]
fn wide_seconds(delay_ns: i128) -> f64 {
    delay_ns as f64 / 1e9
}

/// What one trace event says about its path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTiming {
    pub namespace: u16,
    /// Node entries in the data.
    pub hop_count: usize,
    /// Delays of consecutive pairs whose nodes both have a time, in path order.
    pub delays: Vec<HopDelay>,
    /// Nodes whose timestamp is unavailable (or in a format this version does not know).
    pub unavailable: u64,
}

/// The timing of `event`; `None` when its node data cannot be decoded (no namespace or
/// trace type, a NodeLen that disagrees with the type, bytes left over): such an event is
/// already counted as a decode error by the export.
pub fn trace_timing(event: &TraceEvent) -> Option<TraceTiming> {
    let namespace = event.namespace?;
    let trace_type = event.trace_type? >> 8;
    if event
        .nodelen
        .is_some_and(|nodelen| u32::from(nodelen) != node_len(trace_type))
    {
        return None;
    }
    let mut nodes = Nodes::new(trace_type, event.data.as_deref().unwrap_or_default());
    let mut path: Vec<ParsedNode<'_>> = nodes.by_ref().collect();
    if !nodes.remainder().is_empty() {
        return None;
    }
    path.reverse();
    Some(path_timing(event, namespace, trace_type, &path))
}

/// The timing of `event`, of namespace `namespace` and trace type `trace_type` (24 bits),
/// whose node entries in path order are `path`: [`trace_timing`] of an event already
/// decoded.
pub fn path_timing(
    event: &TraceEvent,
    namespace: u16,
    trace_type: u32,
    path: &[ParsedNode<'_>],
) -> TraceTiming {
    let mut timing = TraceTiming::default();
    fill_timing(
        &mut timing,
        event,
        namespace,
        trace_type,
        path.iter()
            .map(|node| (node_id(node), node.ts_secs, node.ts_frac)),
    );
    timing
}

/// One node as the timing reads it: its id (the short one, else the wide one) and its
/// timestamp fields (seconds, fraction).
pub type NodeTime = (Option<u64>, Option<u32>, Option<u32>);

/// [`path_timing`] of nodes given as their [`NodeTime`]s, in path order, into `timing`
/// (its delays' allocation reused: a caller keeps one for every event).
pub fn fill_timing(
    timing: &mut TraceTiming,
    event: &TraceEvent,
    namespace: u16,
    trace_type: u32,
    path: impl ExactSizeIterator<Item = NodeTime>,
) {
    timing.namespace = namespace;
    timing.hop_count = path.len();
    timing.delays.clear();
    timing.unavailable = 0;
    let has_times = trace_type & trace_bit(2) != 0 && trace_type & trace_bit(3) != 0;
    let has_ids = trace_type & (trace_bit(0) | trace_bit(8)) != 0;
    if !has_times || !has_ids {
        return;
    }
    // No attribute: POSIX, as the kernel's own events are.
    let format = event
        .tsformat
        .map_or(Some(TsFormat::Posix), TsFormat::from_u8);
    let mut previous: Option<(u64, i128)> = None;
    for (id, secs, frac) in path {
        let time = format.and_then(|format| time_ns(format, secs, frac, event.tai_offset_s));
        match (id, time) {
            (Some(id), Some(time)) => {
                if let Some((from_node, from_time)) = previous {
                    timing.delays.push(HopDelay {
                        from_node,
                        to_node: id,
                        delay_ns: time - from_time,
                    });
                }
                previous = Some((id, time));
            }
            _ => {
                timing.unavailable += 1;
                previous = None;
            }
        }
    }
}

/// The short node id, else the wide one, as the path record names nodes.
fn node_id(node: &ParsedNode<'_>) -> Option<u64> {
    node.hop_limit_node_id
        .map(|(_, id)| u64::from(id))
        .or(node.hop_limit_node_id_wide.map(|(_, id)| id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trace type: node id (bit 0), timestamp seconds and fraction (bits 2, 3).
    const TIMED: u32 = 0xb0_0000;
    /// 2026-12-04T14:00:00Z in ns.
    const T0: i64 = 1_796_392_800 * 1_000_000_000;

    /// An event of nodes `(id, secs, frac)` in path order (first node first).
    fn event(format: Option<TsFormat>, nodes: &[(u32, u32, u32)]) -> TraceEvent {
        let data = nodes
            .iter()
            .rev()
            .flat_map(|&(id, secs, frac)| {
                let mut entry = ((63 << 24) | id).to_be_bytes().to_vec();
                entry.extend(secs.to_be_bytes());
                entry.extend(frac.to_be_bytes());
                entry
            })
            .collect();
        TraceEvent {
            namespace: Some(7),
            nodelen: Some(3),
            trace_type: Some(TIMED << 8),
            tsformat: format.map(|f| f as u8),
            data: Some(data),
            ..TraceEvent::default()
        }
    }

    /// Node `id` at `T0 + offset_ns` in `format` (TAI offset 37 s for PTP).
    fn at(format: TsFormat, id: u32, offset_ns: i64) -> (u32, u32, u32) {
        let (secs, frac) = format.split(T0 + offset_ns, 37);
        (id, secs, frac)
    }

    fn delays(timing: &TraceTiming) -> Vec<(u64, u64, i128)> {
        timing
            .delays
            .iter()
            .map(|d| (d.from_node, d.to_node, d.delay_ns))
            .collect()
    }

    #[test]
    fn posix_delays_in_path_order_to_the_microsecond() {
        let f = TsFormat::Posix;
        let nodes = [at(f, 1, 0), at(f, 2, 250_000), at(f, 3, 1_250_999)];
        // No attribute reads as POSIX too.
        for format in [Some(f), None] {
            let timing = trace_timing(&event(format, &nodes)).unwrap();
            assert_eq!(timing.hop_count, 3);
            assert_eq!(timing.namespace, 7);
            assert_eq!(
                delays(&timing),
                [(1, 2, 250_000), (2, 3, 1_000_000)],
                "microseconds: the 999 ns are cut"
            );
            assert_eq!(timing.unavailable, 0);
        }
    }

    #[test]
    fn ptp_delays_whatever_the_tai_offset() {
        let f = TsFormat::Ptp;
        // Across a second boundary: seconds and nanoseconds both change.
        let nodes = [at(f, 10, 999_999_900), at(f, 20, 1_000_000_023)];
        let mut e = event(Some(f), &nodes);
        for offset in [0, 37] {
            e.tai_offset_s = offset;
            let timing = trace_timing(&e).unwrap();
            assert_eq!(delays(&timing), [(10, 20, 123)]);
        }
    }

    #[test]
    fn ntp_delays_to_the_nanosecond_and_across_the_era() {
        let f = TsFormat::Ntp;
        let timing = trace_timing(&event(Some(f), &[at(f, 1, 0), at(f, 2, 1_500)])).unwrap();
        // The fraction is in 2^-32 s: within a nanosecond.
        let [(1, 2, delay)] = delays(&timing)[..] else {
            panic!("{timing:?}")
        };
        assert!((1_499..=1_501).contains(&delay), "{delay}");
        // The last second of era 0, then the first of era 1 (2036-02-07).
        let end = (1, u32::MAX - 1, 0x8000_0000);
        let start = (2, 0, 0);
        let timing = trace_timing(&event(Some(f), &[end, start])).unwrap();
        assert_eq!(delays(&timing), [(1, 2, 1_500_000_000)]);
    }

    #[test]
    fn an_unavailable_timestamp_breaks_both_its_pairs() {
        let f = TsFormat::Posix;
        let nodes = [
            at(f, 1, 0),
            (2, u32::MAX, u32::MAX),
            at(f, 3, 2_000),
            at(f, 4, 3_000),
            (5, 1_796_392_800, u32::MAX),
        ];
        let timing = trace_timing(&event(Some(f), &nodes)).unwrap();
        assert_eq!(delays(&timing), [(3, 4, 1_000)]);
        assert_eq!(timing.unavailable, 2);
        assert_eq!(timing.hop_count, 5);
        // A format this version does not know: no node has a time.
        let mut unknown = event(None, &nodes[..1]);
        unknown.tsformat = Some(9);
        assert_eq!(trace_timing(&unknown).unwrap().unavailable, 1);
    }

    #[test]
    fn negative_delays_are_returned_as_they_are() {
        let f = TsFormat::Posix;
        let timing = trace_timing(&event(Some(f), &[at(f, 1, 5_000), at(f, 2, 0)])).unwrap();
        assert_eq!(delays(&timing), [(1, 2, -5_000)]);
    }

    #[test]
    fn wide_ids_name_the_pair_when_there_are_no_short_ones() {
        // Bits 2, 3 and 8: seconds, fraction, wide hop limit and node id.
        let trace_type = 0x30_8000;
        let data = [
            (0x00aa_0000_0000_0002u64, 2_000u32),
            (0x00aa_0000_0000_0001, 1_000),
        ]
        .iter()
        .flat_map(|&(id, micros)| {
            let mut entry = 1_796_392_800u32.to_be_bytes().to_vec();
            entry.extend(micros.to_be_bytes());
            entry.extend(((63 << 56) | id).to_be_bytes());
            entry
        })
        .collect();
        let e = TraceEvent {
            namespace: Some(1),
            trace_type: Some(trace_type << 8),
            data: Some(data),
            ..TraceEvent::default()
        };
        let timing = trace_timing(&e).unwrap();
        assert_eq!(
            delays(&timing),
            [(0x00aa_0000_0000_0001, 0x00aa_0000_0000_0002, 1_000_000)]
        );
    }

    #[test]
    fn no_delays_without_both_timestamp_fields_or_a_node_id() {
        // Bits 0 and 2: node id and seconds only.
        let e = TraceEvent {
            namespace: Some(1),
            trace_type: Some(0xa0_0000 << 8),
            data: Some([[63, 0, 0, 2, 0, 0, 0, 9], [63, 0, 0, 1, 0, 0, 0, 8]].concat()),
            ..TraceEvent::default()
        };
        let timing = trace_timing(&e).unwrap();
        assert_eq!((timing.hop_count, timing.delays.len()), (2, 0));
        // Bits 2 and 3 only.
        let e = TraceEvent {
            namespace: Some(1),
            trace_type: Some(0x30_0000 << 8),
            data: Some([0u8; 16].to_vec()),
            ..TraceEvent::default()
        };
        let timing = trace_timing(&e).unwrap();
        assert_eq!(
            (timing.hop_count, timing.delays.len(), timing.unavailable),
            (2, 0, 0)
        );
    }

    #[test]
    fn undecodable_events_give_nothing() {
        let mut e = event(None, &[at(TsFormat::Posix, 1, 0)]);
        e.data.as_mut().unwrap().push(0);
        assert_eq!(trace_timing(&e), None, "a byte left over");
        let mut e = event(None, &[at(TsFormat::Posix, 1, 0)]);
        e.nodelen = Some(2);
        assert_eq!(trace_timing(&e), None, "NodeLen disagrees");
        e.namespace = None;
        assert_eq!(trace_timing(&e), None);
    }
}
