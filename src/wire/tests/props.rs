// SPDX-License-Identifier: GPL-2.0
//! Property tests of the wire formats: encoder and validator agree, headers round-trip,
//! filling never writes outside its trace, whatever the input, and parsing what the filler
//! wrote gives back the same fields.

use ioam_wire::fill::{fill_checked, fill_node, FillOutcome, NodeData, OwnTrace};
use ioam_wire::hbh::{check_trace, IoamOption, IoamOptions};
use ioam_wire::nla;
use ioam_wire::option::{
    hbh_len, validate_encap, write_hbh, TraceHeader, HBH_LEN_MAX, IOAM_TYPE_PREALLOC,
    IPV6_TLV_IOAM, TRACE_DATA_MAX,
};
use ioam_wire::parse::{check_filled, parse_node, Nodes, ParsedNode};
use ioam_wire::trace::{node_len, OssHeader, OSS_BIT, RESERVED_BIT, UNDEFINED_BITS};
use proptest::prelude::*;

/// A trace type an encapsulating node accepts: bits 0-11 and 22, at least one.
fn valid_type() -> impl Strategy<Value = u32> {
    (1u32..=0x00ff_ffff)
        .prop_map(|t| t & !(UNDEFINED_BITS | RESERVED_BIT))
        .prop_filter("non-zero", |&t| t != 0)
}

/// A trace data size an encapsulating node accepts.
fn valid_size() -> impl Strategy<Value = usize> {
    (1usize..=TRACE_DATA_MAX / 4).prop_map(|w| w * 4)
}

fn schema_data() -> impl Strategy<Value = Option<(u32, Vec<u8>)>> {
    prop::option::of((0u32..0x0200_0000, prop::collection::vec(any::<u8>(), 0..80)))
}

#[allow(clippy::type_complexity)]
fn node_values() -> impl Strategy<
    Value = (
        (u8, u32, u16, u16, u32, u32, u32, u32),
        (u32, u32, u64, u32, u32, u64, u32),
    ),
> {
    (
        (
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u32>(),
        ),
    )
}

#[allow(clippy::type_complexity)]
fn node<'a>(
    v: &(
        (u8, u32, u16, u16, u32, u32, u32, u32),
        (u32, u32, u64, u32, u32, u64, u32),
    ),
    schema: &'a Option<(u32, Vec<u8>)>,
) -> NodeData<'a> {
    let (
        (
            hop_limit,
            node_id,
            ingress_if,
            egress_if,
            ts_secs,
            ts_frac,
            transit_delay,
            namespace_data,
        ),
        b,
    ) = *v;
    let (
        queue_depth,
        checksum_complement,
        node_id_wide,
        ingress_if_wide,
        egress_if_wide,
        namespace_data_wide,
        buffer_occupancy,
    ) = b;
    NodeData {
        hop_limit,
        node_id,
        ingress_if,
        egress_if,
        ts_secs,
        ts_frac,
        transit_delay,
        namespace_data,
        queue_depth,
        checksum_complement,
        node_id_wide,
        ingress_if_wide,
        egress_if_wide,
        namespace_data_wide,
        buffer_occupancy,
        schema: schema.as_ref().map(|(id, d)| (*id, d.as_slice())),
    }
}

/// An encapsulating node's Hop-by-Hop template for trace type `t` with `size` bytes of data,
/// and its trace option.
fn template(t: u32, size: usize) -> ([u8; HBH_LEN_MAX], IoamOption) {
    let mut buf = [0u8; HBH_LEN_MAX];
    let n = write_hbh(&mut buf, 41, 1, t, size).unwrap();
    let opt = IoamOptions::new(&buf[..n])
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    (buf, opt)
}

/// Fills `option` (placed between guard bytes) and checks that nothing outside the free part of
/// the trace data and the O / RemainingLen bits changed, and that the outcome matches the change.
fn fill_and_check(option: &[u8], node: &NodeData<'_>) -> Result<FillOutcome, TestCaseError> {
    const GUARD: usize = 16;
    let mut buf = vec![0xa5; GUARD + option.len() + GUARD];
    buf[GUARD..GUARD + option.len()].copy_from_slice(option);
    let before = buf.clone();
    let outcome = fill_node(&mut buf[GUARD..GUARD + option.len()], node);

    prop_assert!(
        buf[..GUARD] == before[..GUARD],
        "guard before the option changed"
    );
    prop_assert!(
        buf[GUARD + option.len()..] == before[GUARD + option.len()..],
        "guard after changed"
    );
    let (old, new) = (
        &before[GUARD..GUARD + option.len()],
        &buf[GUARD..GUARD + option.len()],
    );
    match outcome {
        FillOutcome::Malformed(_) | FillOutcome::AlreadyOverflowed => prop_assert_eq!(old, new),
        FillOutcome::Overflow => {
            prop_assert_eq!(new[2], old[2] | 0x04);
            prop_assert_eq!(&old[..2], &new[..2]);
            prop_assert_eq!(&old[3..], &new[3..]);
        }
        FillOutcome::Filled => {
            let (oh, nh) = (
                TraceHeader::parse(old).unwrap(),
                TraceHeader::parse(new).unwrap(),
            );
            prop_assert_eq!(
                TraceHeader {
                    remaining_len: oh.remaining_len,
                    ..nh
                },
                oh
            );
            prop_assert!(nh.remaining_len <= oh.remaining_len);
            // Header bytes other than RemainingLen's bits are untouched.
            prop_assert_eq!(&old[..3], &new[..3]);
            prop_assert_eq!(old[3] & 0x80, new[3] & 0x80);
            prop_assert_eq!(&old[4..8], &new[4..8]);
            // Data changes only in [new remlen * 4, old remlen * 4).
            let lo = 8 + usize::from(nh.remaining_len) * 4;
            let hi = 8 + usize::from(oh.remaining_len) * 4;
            prop_assert_eq!(&old[8..lo], &new[8..lo]);
            prop_assert_eq!(&old[hi..], &new[hi..]);
            // Exactly NodeLen + sclen words were used.
            let t = oh.trace_type;
            let sclen = if t & OSS_BIT == 0 {
                0
            } else {
                node.schema.map_or(1, |(id, d)| {
                    1 + u32::from(OssHeader::new(id, d.len()).unwrap().words)
                })
            };
            prop_assert_eq!(
                u32::from(oh.remaining_len - nh.remaining_len),
                node_len(t) + sclen
            );
        }
    }
    Ok(outcome)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn write_hbh_then_check_trace(
        ns in any::<u16>(),
        nh in any::<u8>(),
        t in valid_type(),
        size in valid_size(),
        at in 0usize..4,
    ) {
        prop_assert_eq!(validate_encap(t, size), Ok(()));
        let mut buf = [0u8; HBH_LEN_MAX + 8];
        let n = write_hbh(&mut buf, nh, ns, t, size).unwrap();
        prop_assert_eq!(n, hbh_len(size));
        prop_assert_eq!(n % 8, 0);
        prop_assert!(n <= HBH_LEN_MAX);
        let hbh = &buf[..n];
        prop_assert_eq!(hbh[0], nh);

        let mut it = IoamOptions::new(hbh).unwrap();
        prop_assert_eq!(it.header_len(), n);
        let opt = it.next().unwrap().unwrap();
        prop_assert!(it.next().is_none());
        prop_assert_eq!(opt.offset, 4);
        prop_assert_eq!(opt.ioam_type, IOAM_TYPE_PREALLOC);
        prop_assert_eq!(opt.len, 2 + 10 + size);

        // The HBH follows a 40-byte IPv6 header (or an 8n-long chain in front of it).
        let h = check_trace(&hbh[opt.range()], 40 + 8 * at + opt.offset).unwrap();
        let want = TraceHeader {
            namespace_id: ns,
            node_len: node_len(t) as u8,
            overflow: false,
            remaining_len: (size / 4) as u8,
            trace_type: t,
        };
        prop_assert_eq!(h, want);
        prop_assert_eq!(TraceHeader::parse(&hbh[opt.trace_range()]), Some(want));
        // And the trace is empty.
        prop_assert!(hbh[16..16 + size].iter().all(|&b| b == 0));
    }

    #[test]
    fn fill_after_write_hbh(
        t in valid_type(),
        size in valid_size(),
        v in node_values(),
        schema in schema_data(),
    ) {
        let (buf, opt) = template(t, size);
        let node = node(&v, &schema);
        let outcome = fill_and_check(&buf[opt.trace_range()], &node)?;
        let fits = node_len(t) as usize * 4
            + if t & OSS_BIT == 0 {
                0
            } else {
                4 + schema.as_ref().map_or(0, |(_, d)| d.len().div_ceil(4) * 4)
            }
            <= size;
        let schema_ok = schema.as_ref().is_none_or(|(id, d)| OssHeader::new(*id, d.len()).is_some())
            || t & OSS_BIT == 0;
        if !schema_ok {
            prop_assert!(matches!(outcome, FillOutcome::Malformed(_)));
        } else if fits {
            prop_assert_eq!(outcome, FillOutcome::Filled);
        } else {
            prop_assert_eq!(outcome, FillOutcome::Overflow);
        }
        // A filled (or overflowed) trace still passes the transit checks.
        let mut filled = buf;
        fill_node(&mut filled[opt.trace_range()], &node);
        let h = check_trace(&filled[opt.range()], 44).unwrap();
        prop_assert_eq!(h.overflow, outcome == FillOutcome::Overflow);
    }

    #[test]
    fn own_trace_fills_as_fill_node(
        t in valid_type(),
        size in valid_size(),
        v in node_values(),
        schema in schema_data(),
    ) {
        // On an encapsulating node's fresh template, the planned fill writes exactly what the
        // checked one does.
        let (mut checked, opt) = template(t, size);
        let mut own = checked;
        let node = node(&v, &schema);
        let want = fill_node(&mut checked[opt.trace_range()], &node);
        let plan = OwnTrace::new(t, (size / 4) as u8);
        let got = plan.fill(&mut own[opt.trace_range()], &node);
        prop_assert_eq!(got, want);
        prop_assert_eq!(own, checked);
    }

    #[test]
    fn fill_arbitrary_bytes(
        option in prop::collection::vec(any::<u8>(), 0..300),
        v in node_values(),
        schema in schema_data(),
    ) {
        let node = node(&v, &schema);
        fill_and_check(&option, &node)?;
    }

    #[test]
    fn fill_plausible_headers(
        ns in any::<u16>(),
        t in 0u32..=0x00ff_ffff,
        overflow in prop::bool::weighted(0.1),
        remlen in 0u8..=127,
        data in prop::collection::vec(any::<u8>(), 0..=508),
        rsv in any::<u8>(),
        v in node_values(),
        schema in schema_data(),
    ) {
        // A consistent NodeLen, so that the fill itself is exercised, over arbitrary data and
        // reserved bits.
        let mut option = vec![0u8; 8];
        TraceHeader { namespace_id: ns, node_len: node_len(t) as u8, overflow, remaining_len: remlen, trace_type: t }
            .write(&mut option)
            .unwrap();
        option[3] |= rsv & 0x80;
        option[7] = rsv;
        option.extend_from_slice(&data);
        let node = node(&v, &schema);
        let outcome = fill_and_check(&option, &node)?;
        if usize::from(remlen) * 4 > data.len() {
            prop_assert!(matches!(outcome, FillOutcome::Malformed(_)));
        } else if overflow {
            prop_assert_eq!(outcome, FillOutcome::AlreadyOverflowed);
        }
    }

    #[test]
    fn fill_checked_as_fill_node(
        t in 0u32..=0x00ff_ffff,
        node_len_off in prop::sample::select(vec![0i32, 0, 0, 1, -1]),
        overflow in prop::bool::weighted(0.1),
        remlen in 0u8..=127,
        data_words in 0usize..=127,
        pad in 0usize..=3,
        v in node_values(),
        schema in schema_data(),
    ) {
        // Wherever the transit checks pass, the fill that trusts them writes exactly what the
        // one that checks again does.
        let node_len = (node_len(t) as i32 + node_len_off).clamp(0, 31) as u8;
        let mut option = vec![0x2a; 2 + 2 + 8 + data_words * 4 + pad];
        option[0] = IPV6_TLV_IOAM;
        option[1] = (option.len() - 2).min(255) as u8;
        option[3] = IOAM_TYPE_PREALLOC;
        TraceHeader { namespace_id: 1, node_len, overflow, remaining_len: remlen, trace_type: t }
            .write(&mut option[4..])
            .unwrap();
        let Ok(hdr) = check_trace(&option, 8) else {
            return Ok(());
        };
        let node = node(&v, &schema);
        let end = (option[1] as usize + 2).min(option.len());
        let mut checked = option.clone();
        let want = fill_node(&mut checked[4..end], &node);
        let got = fill_checked(&mut option[4..end], &hdr, &node);
        prop_assert_eq!(got, want);
        prop_assert_eq!(option, checked);
    }

    #[test]
    fn trace_header_round_trip(
        namespace_id in any::<u16>(),
        node_len in 0u8..=31,
        overflow in any::<bool>(),
        remaining_len in 0u8..=127,
        trace_type in 0u32..=0x00ff_ffff,
    ) {
        let h = TraceHeader { namespace_id, node_len, overflow, remaining_len, trace_type };
        let mut b = [0u8; 8];
        h.write(&mut b).unwrap();
        prop_assert_eq!(TraceHeader::parse(&b), Some(h));
        prop_assert_eq!(TraceHeader::from_bytes(h.to_bytes().unwrap()), h);
    }

    #[test]
    fn trace_header_parse_write_parse(bytes in any::<[u8; 8]>()) {
        // Parsing drops the reserved bits; writing back gives the same header.
        let h = TraceHeader::parse(&bytes).unwrap();
        let mut b = [0u8; 8];
        h.write(&mut b).unwrap();
        prop_assert_eq!(TraceHeader::parse(&b), Some(h));
    }

    #[test]
    fn walk_arbitrary_hbh(hbh in prop::collection::vec(any::<u8>(), 0..600), base in 0usize..64) {
        // Never panics; options are in the header, 2-byte TLVs, not overlapping, in order.
        if let Ok(it) = IoamOptions::new(&hbh) {
            let len = it.header_len();
            let mut end = 2;
            for item in it {
                let Ok(opt) = item else { break };
                prop_assert!(opt.offset >= end);
                prop_assert!(opt.len >= 4);
                prop_assert!(opt.offset + opt.len <= len);
                prop_assert_eq!(hbh[opt.offset], 49);
                prop_assert_eq!(hbh[opt.offset + 3], opt.ioam_type);
                end = opt.offset + opt.len;
                // check_trace never panics either, and accepts only what fill accepts.
                if let Ok(h) = check_trace(&hbh[opt.range()], base + opt.offset) {
                    let mut copy = hbh[opt.trace_range()].to_vec();
                    let outcome = fill_node(&mut copy, &node(&Default::default(), &None));
                    prop_assert!(!matches!(outcome, FillOutcome::Malformed(_)), "{h:?} {outcome:?}");
                }
            }
        }
    }
}

proptest! {
    /// `freq K/N`: from any position (the window's end included), the position stays below N
    /// and every run of N packets after a window start traces exactly K, however long the
    /// sequence: there is no counter to wrap.
    #[test]
    fn freq_traces_k_of_every_n(n in 1u32..=1_000_000, k_frac in 0.0f64..=1.0, start in any::<u32>(),
                                windows in 1usize..4) {
        use ioam_wire::freq::Freq;
        let k = ((f64::from(n) * k_frac) as u32).clamp(1, n);
        let f = Freq::new(k, n).unwrap();
        let mut pos = start;
        // Run to the next window start.
        while pos != 0 {
            pos = f.step(pos).1;
            prop_assert!(pos < n);
        }
        let n_small = n.min(5000); // bound the work for big N: check the first 5000 of each window
        for _ in 0..windows {
            let mut traced = 0u32;
            for i in 0..n {
                let (t, next) = f.step(pos);
                prop_assert!(next < n);
                if i < n_small { traced += u32::from(t); }
                pos = next;
            }
            prop_assert_eq!(traced, k.min(n_small));
            prop_assert_eq!(pos, 0);
        }
    }
}

/// A schema the filler accepts: a 24-bit id and up to 120 bytes of data.
fn valid_schema() -> impl Strategy<Value = Option<(u32, Vec<u8>)>> {
    prop::option::of((
        0u32..=0x00ff_ffff,
        prop::collection::vec(any::<u8>(), 0..=120),
    ))
}

/// Words a node of trace type `t` takes with `schema`: NodeLen plus the snapshot's.
fn words_needed(t: u32, schema: &Option<(u32, Vec<u8>)>) -> usize {
    node_len(t) as usize
        + if t & OSS_BIT == 0 {
            0
        } else {
            1 + schema.as_ref().map_or(0, |(_, d)| d.len().div_ceil(4))
        }
}

/// Checks that `p`, parsed from what [`fill_node`] wrote for `n` with trace type `t`, holds
/// `n`'s values (see [`check_filled`]).
fn check_parsed(t: u32, n: &NodeData<'_>, p: &ParsedNode<'_>) -> Result<(), TestCaseError> {
    prop_assert_eq!(check_filled(t, n, p), Ok(()), "parsed {:?}", p);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// One fill into a trace with room, then parsing at the new RemainingLen * 4: the same
    /// fields, NodeLen + snapshot words consumed, and the older data after it untouched.
    #[test]
    fn fill_then_parse_round_trip(
        t in valid_type(),
        v in node_values(),
        schema in valid_schema(),
        extra in 0usize..=8,
        older in prop::collection::vec(any::<u8>(), 0..=32),
        ns in any::<u16>(),
    ) {
        let need = words_needed(t, &schema);
        let remlen = (need + extra).clamp(1, 127);
        prop_assume!(need <= remlen);
        // Free words, then `older` (whole words of earlier nodes' data).
        let older = &older[..older.len() / 4 * 4];
        let mut opt = vec![0u8; 8];
        TraceHeader {
            namespace_id: ns,
            node_len: node_len(t) as u8,
            overflow: false,
            remaining_len: remlen as u8,
            trace_type: t,
        }
        .write(&mut opt)
        .unwrap();
        opt.resize(8 + remlen * 4, 0);
        opt.extend_from_slice(older);
        let node = node(&v, &schema);
        prop_assert_eq!(fill_and_check(&opt, &node)?, FillOutcome::Filled);
        prop_assert_eq!(fill_node(&mut opt, &node), FillOutcome::Filled);

        let h = TraceHeader::parse(&opt).unwrap();
        prop_assert_eq!(usize::from(h.remaining_len), remlen - need);
        prop_assert!(!h.overflow);
        let at = 8 + usize::from(h.remaining_len) * 4;
        let (p, used) = parse_node(t, &opt[at..]).unwrap();
        prop_assert_eq!(used, need * 4);
        check_parsed(t, &node, &p)?;
        prop_assert_eq!(&opt[at + used..], older);
        // The trace iterator finds the same node first.
        let (_, mut nodes) = Nodes::in_trace(&opt).unwrap();
        prop_assert_eq!(nodes.next(), Some(p));
    }

    /// Successive fills into a Hop-by-Hop header from `write_hbh` until it overflows: the nodes
    /// parse back most recent first, filling exactly the trace data, and the header passes the
    /// transit checks all along.
    #[test]
    fn successive_fills_parse_in_wire_order(
        t in valid_type(),
        size in valid_size(),
        hops in prop::collection::vec((node_values(), valid_schema()), 1..8),
    ) {
        let mut buf = [0u8; HBH_LEN_MAX];
        let n = write_hbh(&mut buf, 59, 3, t, size).unwrap();
        let opt = IoamOptions::new(&buf[..n]).unwrap().next().unwrap().unwrap();
        let mut remlen = size / 4;
        let mut filled = Vec::new();
        let mut overflowed = false;
        for (i, (v, schema)) in hops.iter().enumerate() {
            let node = node(v, schema);
            let trace = &mut buf[opt.trace_range()];
            let outcome = fill_node(trace, &node);
            let need = words_needed(t, schema);
            if overflowed {
                prop_assert_eq!(outcome, FillOutcome::AlreadyOverflowed);
            } else if need <= remlen {
                prop_assert_eq!(outcome, FillOutcome::Filled);
                remlen -= need;
                filled.push(i);
            } else {
                prop_assert_eq!(outcome, FillOutcome::Overflow);
                overflowed = true;
            }
            let h = check_trace(&buf[opt.range()], 40 + opt.offset).unwrap();
            prop_assert_eq!(usize::from(h.remaining_len), remlen);
            prop_assert_eq!(h.overflow, overflowed);
        }
        let (_, mut nodes) = Nodes::in_trace(&buf[opt.trace_range()]).unwrap();
        for &i in filled.iter().rev() {
            let (v, schema) = &hops[i];
            let p = nodes.next();
            prop_assert!(p.is_some(), "node {} missing", i);
            check_parsed(t, &node(v, schema), &p.unwrap())?;
        }
        // The nodes end where the trace data ends.
        prop_assert_eq!(nodes.next(), None);
        prop_assert!(nodes.remainder().is_empty());
        // The PadN after the option is untouched.
        if size % 8 != 0 {
            prop_assert_eq!(&buf[n - 4..n], &[1u8, 2, 0, 0][..]);
        }
    }

    /// Arbitrary bytes and trace types: parse_node never panics, consumes NodeLen words plus the
    /// snapshot, reads nothing past them, and fails on anything shorter.
    #[test]
    fn parse_node_arbitrary(
        t in any::<u32>(),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let Some((p, used)) = parse_node(t, &bytes) else {
            // Too short: for the fixed part, or for the snapshot its header announces.
            let fixed = node_len(t) as usize * 4;
            if t & OSS_BIT == 0 {
                prop_assert!(bytes.len() < fixed);
            } else if bytes.len() >= fixed + 4 {
                let words = usize::from(bytes[fixed]);
                prop_assert!(bytes.len() < fixed + 4 + words * 4);
            }
            return Ok(());
        };
        prop_assert!(used <= bytes.len());
        let snap = p.snapshot.map_or(0, |s| 4 + s.data.len());
        prop_assert_eq!(used, node_len(t) as usize * 4 + snap);
        prop_assert_eq!(p.snapshot.is_some(), t & OSS_BIT != 0);
        prop_assert_eq!(parse_node(t, &bytes[..used]), Some((p, used)));
        if used > 0 {
            prop_assert_eq!(parse_node(t, &bytes[..used - 1]), None);
        }
        // Bits above the 24 and the reserved bit 23 change nothing.
        prop_assert_eq!(parse_node((t & 0x00ff_fffe) | 0xff00_0001, &bytes), Some((p, used)));
    }
}

/// Every option of a Hop-by-Hop header, as (offset, type, length); `None` unless the TLV chain
/// ends exactly at the header's end.
fn tlv_chain(hbh: &[u8]) -> Option<Vec<(usize, u8, usize)>> {
    let mut v = vec![];
    let mut pos = 2;
    while pos < hbh.len() {
        let len = if hbh[pos] == 0 {
            1
        } else {
            usize::from(*hbh.get(pos + 1)?) + 2
        };
        v.push((pos, hbh[pos], len));
        pos += len;
    }
    (pos == hbh.len()).then_some(v)
}

/// A Hop-by-Hop header with `pad` bytes of padding (Pad1s and PadNs) in front of an empty
/// Incremental Trace option at a 4n offset, then an unknown "skip" option of `after` bytes,
/// padded to 8n.
fn incremental_header(pad: usize, t: u32, remlen: u8, after: usize) -> Vec<u8> {
    let mut h = vec![59, 0];
    // Reach a 4n offset with at least `pad` bytes of padding: Pad1s and PadNs mixed.
    let mut left = pad + (4 - (2 + pad) % 4) % 4;
    while left > 0 {
        if left % 2 == 1 {
            h.push(0);
            left -= 1;
        } else {
            let body = (left - 2).min(4);
            h.extend([1, body as u8]);
            h.extend(std::iter::repeat_n(0, body));
            left -= body + 2;
        }
    }
    h.extend([49, 10, 0, ioam_wire::incremental::IOAM_TYPE_INCREMENTAL]);
    let hdr = TraceHeader {
        namespace_id: 1,
        node_len: node_len(t) as u8,
        overflow: false,
        remaining_len: remlen,
        trace_type: t,
    };
    h.extend(hdr.to_bytes().unwrap());
    if after >= 2 {
        h.extend([0x3e, (after - 2) as u8]);
        h.extend((0..after - 2).map(|i| i as u8));
    }
    while h.len() % 8 != 0 {
        h.push(0);
    }
    h[1] = (h.len() / 8 - 1) as u8;
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Node after node, the header stays a valid 8n TLV chain with the option 4n-aligned, the
    /// entries parse newest first, RemainingLen counts down, the bytes behind the option never
    /// move, and growth stops exactly where a limit is reached.
    #[test]
    fn incremental_hops(
        t in valid_type(),
        schema in valid_schema(),
        pad in 0usize..12,
        after in 0usize..40,
        remlen in 0u8..=127,
        hops in 1usize..12,
        values in node_values(),
    ) {
        use ioam_wire::fill::Entry;
        use ioam_wire::incremental::{check_incremental, insert_entry, plan_insert, NoInsert};
        let mut h = incremental_header(pad, t, remlen, after);
        let n = node(&values, &schema);
        let words = Entry::new(t, &n).unwrap().words();
        for i in 0..hops {
            let opt = IoamOptions::new(&h).unwrap().next().unwrap().unwrap();
            let hdr = check_incremental(&h[opt.offset..], 40 + opt.offset).unwrap();
            let entry = Entry::new(t, &n).unwrap();
            let tail = h[opt.offset + opt.len..].to_vec();
            let data = h[opt.offset + 12..opt.offset + opt.len].to_vec();
            match plan_insert(&h, &opt, words) {
                Err(NoInsert::Overflow) => {
                    prop_assert!(
                        u32::from(hdr.remaining_len) < words
                            || hdr.remaining_len == 0
                            || opt.len + words as usize * 4 > 257
                            || h.len() + words as usize * 4 + 4 > 2048
                    );
                    break;
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                Ok(g) => {
                    prop_assert_eq!(g.added % 8, 0);
                    let mut buf = vec![0xee; g.added];
                    buf.extend([0x60; 40]);
                    buf.extend(&h);
                    insert_entry(&mut buf, 40, &opt, &g, &entry).unwrap();
                    prop_assert!(buf[..40].iter().all(|&b| b == 0x60));
                    let grown = buf[40..].to_vec();
                    prop_assert_eq!(grown.len(), h.len() + g.added);
                    prop_assert_eq!(usize::from(grown[1]) * 8 + 8, grown.len());
                    let chain = tlv_chain(&grown).unwrap();
                    prop_assert!(chain.iter().all(|&(_, ty, _)| ty <= 1 || ty == 49 || ty == 0x3e));
                    let new_opt = IoamOptions::new(&grown).unwrap().next().unwrap().unwrap();
                    prop_assert_eq!(new_opt.offset % 4, 0);
                    prop_assert_eq!(new_opt.len, opt.len + words as usize * 4);
                    let new_hdr = check_incremental(&grown[new_opt.offset..], 40 + new_opt.offset).unwrap();
                    prop_assert_eq!(u32::from(new_hdr.remaining_len), u32::from(hdr.remaining_len) - words);
                    prop_assert_eq!(&grown[grown.len() - tail.len()..], &tail[..]);
                    // The new entry first, then the earlier data unchanged.
                    let new_data = &grown[new_opt.offset + 12..new_opt.offset + new_opt.len];
                    let (first, used) = parse_node(t, new_data).unwrap();
                    prop_assert_eq!(used, words as usize * 4);
                    check_parsed(t, &n, &first)?;
                    prop_assert_eq!(&new_data[used..], &data[..]);
                    prop_assert!(i < hops);
                    h = grown;
                }
            }
        }
    }

    /// Whatever the bytes, checking, planning and inserting never panic nor write outside
    /// the buffer.
    #[test]
    fn incremental_arbitrary(hbh in prop::collection::vec(any::<u8>(), 0..600), words in 0u32..40) {
        use ioam_wire::incremental::{check_incremental, insert_entry, plan_insert};
        use ioam_wire::fill::Entry;
        let Ok(it) = IoamOptions::new(&hbh) else { return Ok(()) };
        let len = it.header_len();
        for opt in it.flatten() {
            let Ok(hdr) = check_incremental(&hbh[opt.offset..len], 40 + opt.offset) else { continue };
            let n = node(&Default::default(), &None);
            let entry = Entry::new(hdr.trace_type, &n).unwrap();
            let words = if words == 0 { entry.words() } else { words };
            if let Ok(g) = plan_insert(&hbh[..len], &opt, words) {
                let mut buf = vec![0; g.added + 40];
                buf.extend(&hbh[..len]);
                let _ = insert_entry(&mut buf, 40, &opt, &g, &entry);
            }
        }
    }
}

/// `(nla_type, payload)` of each attribute of `bytes`, walked as a netlink reader walks them.
fn walk_attributes(mut bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while let [l0, l1, k0, k1, ..] = *bytes {
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        out.push((
            u16::from_ne_bytes([k0, k1]),
            bytes[nla::HDRLEN..len].to_vec(),
        ));
        bytes = &bytes[nla::attr_size(len - nla::HDRLEN).unwrap()..];
    }
    out
}

proptest! {
    /// Whatever is put into whatever room: the attributes that fit are written whole and
    /// read back as they were put, nothing is written beyond them, and a nest holds them.
    #[test]
    fn attributes_read_back_as_put(
        attrs in prop::collection::vec((0u16..0x8000, prop::collection::vec(any::<u8>(), 0..300)), 0..12),
        room in 0usize..1500,
        nested in any::<bool>(),
    ) {
        let mut buf = vec![0xee; room];
        let mut writer = nla::Writer::new(&mut buf);
        let mut put = Vec::new();
        let fill = |w: &mut nla::Writer<'_>, put: &mut Vec<(u16, Vec<u8>)>| {
            for (kind, payload) in &attrs {
                if w.put(*kind, payload).is_err() {
                    break;
                }
                put.push((*kind, payload.clone()));
            }
            Ok::<(), nla::Full>(())
        };
        let written = if nested {
            writer.nest(1, |w| fill(w, &mut put)).ok().map(|()| writer.len())
        } else {
            fill(&mut writer, &mut put).ok().map(|()| writer.len())
        };
        let len = written.unwrap_or(0);
        prop_assert!(len <= room);
        prop_assert!(buf[len..].iter().all(|&b| b == 0xee), "nothing beyond");
        if nested && len > 0 {
            let outer = walk_attributes(&buf[..len]);
            prop_assert_eq!(outer.len(), 1);
            prop_assert_eq!(outer[0].0, 1 | nla::F_NESTED);
            prop_assert_eq!(walk_attributes(&outer[0].1), put);
        } else if !nested {
            prop_assert_eq!(walk_attributes(&buf[..len]), put);
        }
    }
}
