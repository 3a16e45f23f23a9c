// SPDX-License-Identifier: GPL-2.0
//! A transit node on arbitrary packets: walk the Hop-by-Hop header's IOAM options, check each
//! with `check_trace`, and fill the accepted ones with the header it read, as the module does
//! (`fill_checked`, up to three times each, checked before each) on a copy. Asserts that a fill
//! writes only inside its option's trace, only sets the Overflow flag, only lowers
//! RemainingLen, by NodeLen + snapshot words and writing exactly those words, that what it
//! wrote parses back to the node given, and that the header still walks to the same options.
//! Incremental Trace options accepted by `check_incremental` are grown (up to three times) on
//! another copy: the header stays a whole TLV chain of 8n bytes, the bytes behind the option
//! stay, and the entry inserted parses back to the node. The filled header's RFC 9322 loopback
//! copy is the IPv6 and Hop-by-Hop headers sent back to the source, and is never looped back
//! again.
#![no_main]

use std::ops::Range;

use ioam_wire::fill::Entry;
use ioam_wire::fill::{fill_checked, FillOutcome, Malformed, NodeData};
use ioam_wire::flags::{loopback_allowed, write_loopback_copy, NoLoopback, NEXTHDR_NONE};
use ioam_wire::hbh::{check_trace, IoamOption, IoamOptions};
use ioam_wire::incremental::{
    check_incremental, insert_entry, plan_insert, NoInsert, IOAM_TYPE_INCREMENTAL,
};
use ioam_wire::option::TraceHeader;
use ioam_wire::parse::{parse_node, Nodes};
use ioam_wire_fuzz::{check_parsed, words_needed, Input};
use libfuzzer_sys::fuzz_target;

/// Byte 2 of the trace header: NodeLen and the Overflow flag.
const OVERFLOW: u8 = 0x04;

fn fill_verified(buf: &mut [u8], opt: &IoamOption, hbh_offset: usize, node: &NodeData<'_>) {
    let r = opt.trace_range();
    let t = TraceHeader::parse(&buf[r.clone()]).unwrap().trace_type;
    let need = words_needed(t, node.schema);
    let mut filled = 0;
    for _ in 0..3 {
        let before = buf.to_vec();
        let hdr =
            check_trace(&buf[opt.range()], hbh_offset + opt.offset).expect("refused before a fill");
        let outcome = fill_checked(&mut buf[r.clone()], &hdr, node);
        assert_eq!(
            &before[..r.start],
            &buf[..r.start],
            "write before the trace"
        );
        assert_eq!(&before[r.end..], &buf[r.end..], "write after the trace");
        let (old, new) = (&before[r.clone()], &buf[r.clone()]);
        let (oh, nh) = (
            TraceHeader::parse(old).unwrap(),
            TraceHeader::parse(new).unwrap(),
        );
        // The header: namespace, NodeLen, flags but O, the reserved bit and the type kept.
        assert_eq!(old[..2], new[..2]);
        assert_eq!(old[2] & !OVERFLOW, new[2] & !OVERFLOW);
        assert!(!oh.overflow || nh.overflow, "Overflow flag cleared");
        assert_eq!(old[3] & 0x80, new[3] & 0x80);
        assert_eq!(old[4..8], new[4..8]);
        assert!(nh.remaining_len <= oh.remaining_len, "RemainingLen grew");
        match outcome {
            FillOutcome::Filled => {
                let need = need.expect("filled with a schema the filler refuses");
                assert!(!oh.overflow && !nh.overflow);
                let used = usize::from(oh.remaining_len - nh.remaining_len);
                assert_eq!(used, need);
                let lo = 8 + usize::from(nh.remaining_len) * 4;
                let hi = 8 + usize::from(oh.remaining_len) * 4;
                assert_eq!(old[8..lo], new[8..lo], "write in the free space left");
                assert_eq!(old[hi..], new[hi..], "write over earlier nodes");
                let (p, len) = parse_node(t, &new[lo..]).expect("a filled node parses");
                assert_eq!(lo + len, hi);
                check_parsed(t, node, &p);
                filled += 1;
            }
            FillOutcome::Overflow => {
                assert!(!oh.overflow && nh.overflow);
                let fits = need.is_some_and(|w| w <= usize::from(oh.remaining_len));
                assert!(oh.remaining_len == 0 || !fits, "overflow with room");
                assert_eq!(old[3..], new[3..]);
            }
            FillOutcome::AlreadyOverflowed => {
                assert!(oh.overflow);
                assert_eq!(old, new);
            }
            FillOutcome::Malformed(m) => {
                // check_trace accepted the option: only the schema can be refused.
                assert_eq!(m, Malformed::InvalidSchema);
                assert!(need.is_none());
                assert_eq!(old, new);
            }
        }
        if outcome != FillOutcome::Filled {
            break;
        }
    }
    // The nodes filled here come first in the trace, most recent first.
    if need.is_some_and(|w| w > 0) {
        let (_, nodes) = Nodes::in_trace(&buf[r]).unwrap();
        let mut n = 0;
        for p in nodes.take(filled) {
            check_parsed(t, node, &p);
            n += 1;
        }
        assert_eq!(n, filled);
    }
}

/// Grows the Incremental Trace option that ends `from_end` bytes before the end of `hbh` (a
/// header cut to its length) up to three times, checking each step. (Bytes behind the option
/// keep their distance to the end.)
fn grow_checked(mut hbh: Vec<u8>, from_end: usize, hbh_offset: usize, node: &NodeData<'_>) {
    for _ in 0..3 {
        let opt = IoamOptions::new(&hbh)
            .unwrap()
            .map_while(Result::ok)
            .find(|o| o.offset + o.len + from_end == hbh.len())
            .expect("the option is still there");
        let Ok(hdr) = check_incremental(&hbh[opt.range()], hbh_offset + opt.offset) else {
            panic!("an option grown is refused");
        };
        let Ok(entry) = Entry::new(hdr.trace_type, node) else {
            return; // a schema no snapshot can hold
        };
        let words = entry.words();
        let growth = match plan_insert(&hbh, &opt, words) {
            Ok(g) => g,
            Err(NoInsert::Overflow) => {
                let room = hdr.remaining_len == 0 || u32::from(hdr.remaining_len) < words;
                let opt_full = opt.len + words as usize * 4 > 257;
                let hbh_full = hbh.len() + words as usize * 4 + 4 > 2048;
                assert!(room || opt_full || hbh_full, "overflow with room");
                return;
            }
            Err(NoInsert::AlreadyOverflowed) => {
                assert!(hdr.overflow);
                return;
            }
            Err(NoInsert::Malformed(e)) => panic!("accepted, then malformed: {e:?}"),
        };
        assert_eq!(growth.added % 8, 0);
        let mut buf = vec![0xa5; growth.added];
        buf.extend_from_slice(&hbh);
        insert_entry(&mut buf, 0, &opt, &growth, &entry).expect("insert as planned");
        assert_eq!(buf.len(), hbh.len() + growth.added);
        assert_eq!(usize::from(buf[1]) * 8 + 8, buf.len(), "header length");
        let behind = opt.offset + opt.len;
        assert_eq!(
            &buf[behind + growth.added..],
            &hbh[behind..],
            "bytes behind moved"
        );
        let walk = IoamOptions::new(&buf).unwrap();
        let grown = walk
            .map_while(Result::ok)
            .find(|o| {
                o.ioam_type == IOAM_TYPE_INCREMENTAL && o.offset + o.len == behind + growth.added
            })
            .expect("the grown option");
        assert_eq!(grown.offset % 4, opt.offset % 4, "alignment");
        assert_eq!(grown.len, opt.len + words as usize * 4);
        let (p, used) =
            parse_node(hdr.trace_type, &buf[grown.offset + 12..]).expect("entry parses");
        assert_eq!(used, words as usize * 4);
        check_parsed(hdr.trace_type, node, &p);
        hbh = buf;
    }
}

/// The loopback copy of an IPv6 packet with Hop-by-Hop header `hbh` (8n bytes) and a payload.
fn loopback_checked(hbh: &[u8]) {
    const SOURCE: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const ME: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mut packet = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
    packet.extend_from_slice(&SOURCE);
    packet.extend_from_slice(&[0xfe; 16]);
    packet.extend_from_slice(hbh);
    packet.extend_from_slice(&[0xaa; 24]);
    let mut out = vec![0u8; packet.len()];
    let n = write_loopback_copy(&packet, hbh.len(), &ME, 7, &mut out).expect("copy refused");
    assert_eq!(n, 40 + hbh.len());
    assert_eq!(usize::from(u16::from_be_bytes([out[4], out[5]])), hbh.len());
    assert_eq!((out[6], out[7]), (0, 7));
    assert_eq!((&out[8..24], &out[24..40]), (&ME[..], &SOURCE[..]));
    assert_eq!(out[40], NEXTHDR_NONE);
    assert_eq!(out[41..n], hbh[1..]);
    // A copy is never looped back again, whatever its trace.
    assert_eq!(loopback_allowed(0x80_0000, out[40]), Err(NoLoopback::Copy));
}

fuzz_target!(|data: &[u8]| {
    let input = Input::decode(data);
    let hbh = input.hbh;
    let Ok(walk) = IoamOptions::new(hbh) else {
        return;
    };
    let hdr_len = walk.header_len();
    let mut buf = hbh.to_vec();
    let mut options: Vec<IoamOption> = Vec::new();
    let mut traces: Vec<Range<usize>> = Vec::new();
    for item in walk {
        let Ok(opt) = item else { break };
        assert!(opt.range().end <= hdr_len);
        assert!(options.last().is_none_or(|o| o.range().end <= opt.offset));
        options.push(opt);
        if opt.ioam_type == IOAM_TYPE_INCREMENTAL
            && check_incremental(&hbh[opt.range()], input.hbh_offset + opt.offset).is_ok()
        {
            let from_end = hdr_len - opt.range().end;
            grow_checked(
                hbh[..hdr_len].to_vec(),
                from_end,
                input.hbh_offset,
                &input.node,
            );
        }
        if check_trace(&hbh[opt.range()], input.hbh_offset + opt.offset).is_err() {
            continue;
        }
        traces.push(opt.trace_range());
        fill_verified(&mut buf, &opt, input.hbh_offset, &input.node);
        // Still accepted by a transit node after the fill.
        check_trace(&buf[opt.range()], input.hbh_offset + opt.offset).expect("refused after fill");
    }
    for (i, (a, b)) in hbh.iter().zip(&buf).enumerate() {
        if *a != *b {
            assert!(
                traces.iter().any(|r| r.contains(&i)),
                "byte {i} outside the traces changed"
            );
        }
    }
    let again: Vec<IoamOption> = IoamOptions::new(&buf)
        .unwrap()
        .map_while(Result::ok)
        .collect();
    assert_eq!(again, options, "the fills changed the options");
    loopback_checked(&buf[..hdr_len]);
});
