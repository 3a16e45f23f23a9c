// SPDX-License-Identifier: GPL-2.0
//! Writes the seed corpus: `cargo run --example seeds -- fuzz/corpus` (from the repository
//! root: `cd fuzz && cargo run --example seeds -- corpus`). Valid packets built with the wire
//! crate itself (write_hbh, then fill_node for traces already holding nodes), so the fuzzers
//! start past the header checks.

use std::fs;
use std::path::Path;

use ioam_wire::fill::{fill_node, Entry, FillOutcome, NodeData};
use ioam_wire::hbh::IoamOptions;
use ioam_wire::incremental::{insert_entry, plan_insert, IOAM_TYPE_INCREMENTAL};
use ioam_wire::option::{write_hbh, TraceHeader, HBH_LEN_MAX, IPV6_TLV_IOAM, IPV6_TLV_PADN};
use ioam_wire::trace::{node_len, trace_bit, OSS_BIT};
use ioam_wire_fuzz::Input;

const NODE: NodeData<'static> = NodeData {
    hop_limit: 63,
    node_id: 0x00_0102,
    ingress_if: 2,
    egress_if: 3,
    ts_secs: 0x6600_0000,
    ts_frac: 123_456,
    transit_delay: 0xffff_ffff,
    namespace_data: 0xdead_beef,
    queue_depth: 0xffff_ffff,
    checksum_complement: 0xffff_ffff,
    node_id_wide: 0x00aa_bbcc_ddee_ff00,
    ingress_if_wide: 2,
    egress_if_wide: 3,
    namespace_data_wide: 0x0102_0304_0506_0708,
    buffer_occupancy: 0xffff_ffff,
    schema: None,
};

/// Bits 0-11 and 22: everything a node fills.
const FULL: u32 = 0xfff002;

/// A Hop-by-Hop header from `write_hbh`, with `prefill` nodes already in its trace.
fn hbh(trace_type: u32, size: usize, prefill: &[NodeData<'_>]) -> Vec<u8> {
    let mut buf = [0u8; HBH_LEN_MAX];
    let n = write_hbh(&mut buf, 58, 0x1234, trace_type, size).expect("valid configuration");
    // The trace: after the 2-byte PadN and the 4-byte IOAM option header.
    let opt_end = 4 + 2 + 10 + size;
    for node in prefill {
        let outcome = fill_node(&mut buf[8..opt_end], node);
        assert!(matches!(
            outcome,
            FillOutcome::Filled | FillOutcome::Overflow
        ));
    }
    buf[..n].to_vec()
}

/// A header with Pad1, PadN, an unknown option, an IOAM option of another type and two
/// Pre-allocated Traces (bits 0 and 2, one word free each; bit 22, two words free).
fn mixed() -> Vec<u8> {
    let mut h = vec![17, 0, 0, 0];
    // Trace 1 at offset 4: bits 0 and 2, RemainingLen 2, 8 bytes.
    h.extend([IPV6_TLV_IOAM, 18, 0, 0]);
    let t1 = trace_bit(0) | trace_bit(2);
    let mut hdr = [0u8; 8];
    TraceHeader {
        namespace_id: 1,
        node_len: node_len(t1) as u8,
        overflow: false,
        remaining_len: 2,
        trace_type: t1,
    }
    .write(&mut hdr)
    .unwrap();
    h.extend(hdr);
    h.extend([0; 8]);
    // PadN, an unknown option, an IOAM option of type 2.
    h.extend([
        IPV6_TLV_PADN,
        0,
        0x3e,
        2,
        0xaa,
        0xbb,
        IPV6_TLV_IOAM,
        2,
        0,
        2,
    ]);
    h.extend([0, 0]);
    // Trace 2 at 4n: bit 22 only, RemainingLen 3.
    assert_eq!(h.len() % 4, 0);
    h.extend([IPV6_TLV_IOAM, 22, 0, 0]);
    TraceHeader {
        namespace_id: 2,
        node_len: 0,
        overflow: false,
        remaining_len: 3,
        trace_type: OSS_BIT,
    }
    .write(&mut hdr)
    .unwrap();
    h.extend(hdr);
    h.extend([0; 12]);
    while h.len() % 8 != 0 {
        h.push(0);
    }
    h[1] = (h.len() / 8 - 1) as u8;
    h
}

/// A header with an Incremental Trace (bits 0, 1 and 22; room for 40 words) that one node has
/// grown, then an unknown option.
fn incremental() -> Vec<u8> {
    let t = trace_bit(0) | trace_bit(1) | OSS_BIT;
    let mut h = vec![
        17,
        0,
        IPV6_TLV_PADN,
        0,
        IPV6_TLV_IOAM,
        10,
        0,
        IOAM_TYPE_INCREMENTAL,
    ];
    let hdr = TraceHeader {
        namespace_id: 3,
        node_len: node_len(t) as u8,
        overflow: false,
        remaining_len: 40,
        trace_type: t,
    };
    h.extend(hdr.to_bytes().unwrap());
    h.extend([0x3e, 2, 0xaa, 0xbb, IPV6_TLV_PADN, 2, 0, 0]);
    h[1] = (h.len() / 8 - 1) as u8;
    assert_eq!(h.len() % 8, 0);
    let opt = IoamOptions::new(&h).unwrap().next().unwrap().unwrap();
    let entry = Entry::new(t, &NODE).unwrap();
    let growth = plan_insert(&h, &opt, entry.words()).unwrap();
    let mut buf = vec![0; growth.added];
    buf.extend(&h);
    insert_entry(&mut buf, 0, &opt, &growth, &entry).unwrap();
    buf
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("write seed");
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let root = Path::new(&root);

    let schema8 = NodeData {
        schema: Some((7, b"abcdefgh")),
        ..NODE
    };
    let schema_odd = NodeData {
        schema: Some((0x00ab_cdef, b"odd length")),
        ..NODE
    };
    let second = NodeData {
        hop_limit: 62,
        node_id: 0x00_0103,
        ..NODE
    };
    let walk: Vec<(&str, Input<'_>, Vec<u8>)> = vec![
        (
            "full-244",
            Input {
                node: schema8,
                hbh_offset: 40,
                hbh: &[],
            },
            hbh(FULL, 244, &[]),
        ),
        (
            "bit0-12",
            Input {
                node: NODE,
                hbh_offset: 40,
                hbh: &[],
            },
            hbh(trace_bit(0), 12, &[]),
        ),
        (
            "four-bits-40-two-nodes",
            Input {
                node: NODE,
                hbh_offset: 40,
                hbh: &[],
            },
            hbh(0xf00000, 40, &[NODE, second]),
        ),
        (
            "full-4-overflowed",
            Input {
                node: NODE,
                hbh_offset: 40,
                hbh: &[],
            },
            hbh(FULL, 4, &[NODE]),
        ),
        (
            "oss-64-odd-schema",
            Input {
                node: schema_odd,
                hbh_offset: 40,
                hbh: &[],
            },
            hbh(OSS_BIT | trace_bit(0), 64, &[schema8]),
        ),
        (
            "wide-60-misaligned",
            Input {
                node: NODE,
                hbh_offset: 42,
                hbh: &[],
            },
            hbh(0x00e000, 60, &[]),
        ),
        (
            "incremental-one-node",
            Input {
                node: schema8,
                hbh_offset: 40,
                hbh: &[],
            },
            incremental(),
        ),
        (
            "mixed",
            Input {
                node: schema8,
                hbh_offset: 40,
                hbh: &[],
            },
            mixed(),
        ),
    ];
    let dir = root.join("hbh_walk_fill");
    fs::create_dir_all(&dir).expect("create corpus dir");
    for (name, input, hbh) in &walk {
        let input = Input { hbh, ..*input };
        let bytes = input.encode();
        let back = Input::decode(&bytes);
        assert_eq!(
            (back.node, back.hbh_offset, back.hbh),
            (input.node, input.hbh_offset, input.hbh)
        );
        write(&dir, name, &bytes);
    }

    // parse_node: the trace type, then one node as the filler writes it; and whole traces.
    let dir = root.join("parse_node");
    fs::create_dir_all(&dir).expect("create corpus dir");
    for (name, t, node) in [
        ("full", FULL, schema8),
        ("bit0", trace_bit(0), NODE),
        ("undefined", trace_bit(1) | 0x000ffc, NODE),
        ("oss-odd", OSS_BIT, schema_odd),
        ("wide", 0x00e010, NODE),
    ] {
        let words = ioam_wire_fuzz::words_needed(t, node.schema).unwrap();
        let mut trace = vec![0u8; 8 + words * 4];
        TraceHeader {
            namespace_id: 0,
            node_len: node_len(t) as u8,
            overflow: false,
            remaining_len: words as u8,
            trace_type: t,
        }
        .write(&mut trace)
        .unwrap();
        assert_eq!(fill_node(&mut trace, &node), FillOutcome::Filled);
        let mut seed = t.to_be_bytes().to_vec();
        seed.extend(&trace[8..]);
        write(&dir, name, &seed);
    }
    for (name, t, prefill) in [
        ("trace-two-nodes", 0xf00000, &[NODE, second][..]),
        ("trace-full-244", FULL, &[schema8, schema_odd][..]),
    ] {
        let h = hbh(t, if t == FULL { 244 } else { 40 }, prefill);
        let opt_len = usize::from(h[5]);
        let mut seed = t.to_be_bytes().to_vec();
        seed.extend(&h[8..6 + opt_len]);
        write(&dir, name, &seed);
    }
    println!("seeds written under {}", root.display());
}
