// SPDX-License-Identifier: GPL-2.0
//! The node parser on arbitrary bytes: the first 4 are the trace type, the rest the node data
//! (and, read as a whole trace, its header and data). Asserts that nothing panics, that a node
//! takes NodeLen words plus its snapshot and nothing past them, and that a node the filler
//! can write fills back to the same bytes.
#![no_main]

use ioam_wire::fill::{fill_node, FillOutcome};
use ioam_wire::option::TraceHeader;
use ioam_wire::parse::{parse_node, Nodes};
use ioam_wire::trace::{node_len, OSS_BIT};
use ioam_wire_fuzz::node_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((t, bytes)) = data.split_first_chunk::<4>() else {
        return;
    };
    let t = u32::from_be_bytes(*t);
    if let Some((p, used)) = parse_node(t, bytes) {
        assert!(used <= bytes.len());
        assert_eq!(p.snapshot.is_some(), t & OSS_BIT != 0);
        let snapshot = p.snapshot.map_or(0, |s| 4 + s.data.len());
        assert_eq!(used, node_len(t) as usize * 4 + snapshot);
        assert_eq!(parse_node(t, &bytes[..used]), Some((p, used)));
        if used > 0 {
            assert_eq!(parse_node(t, &bytes[..used - 1]), None);
        }
        // Filling the values parsed writes the same bytes.
        let t24 = t & 0x00ff_ffff;
        if let (Some(node), Ok(remaining_len)) = (node_of(&p), u8::try_from(used / 4)) {
            if remaining_len > 0 && remaining_len <= 127 {
                let mut trace = vec![0u8; 8 + used];
                TraceHeader {
                    namespace_id: 0,
                    node_len: node_len(t24) as u8,
                    overflow: false,
                    remaining_len,
                    trace_type: t24,
                }
                .write(&mut trace)
                .unwrap();
                assert_eq!(fill_node(&mut trace, &node), FillOutcome::Filled);
                assert_eq!(&trace[8..], &bytes[..used]);
            }
        }
    }
    // The bytes as a whole trace: the iteration ends, each node within the data.
    if let Some((h, nodes)) = Nodes::in_trace(bytes) {
        let data_len = bytes.len() - 8 - usize::from(h.remaining_len) * 4;
        let mut total = 0;
        let mut rest = nodes.clone();
        for _ in nodes {
            let before = rest.remainder().len();
            assert!(rest.next().is_some());
            let after = rest.remainder().len();
            assert!(after < before);
            total += before - after;
        }
        assert_eq!(total + rest.remainder().len(), data_len);
    }
});
