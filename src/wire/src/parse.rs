// SPDX-License-Identifier: GPL-2.0
//! Reading back the node data of a Pre-allocated Trace option (RFC 9197 §4.4), as
//! [`fill_node`](super::fill::fill_node) writes it: the inverse of the filler, for tests,
//! fuzzing and tools that decode captured packets.
//!
//! Nothing here trusts the packet: every read is bounds-checked and a short input gives `None`.

use super::option::{TraceHeader, TRACE_HDR_LEN};
use super::trace::{trace_bit, OssHeader, OSS_BIT, UNDEFINED_BITS};

/// An Opaque State Snapshot (trace-type bit 22): its schema id and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot<'a> {
    /// Schema id (24 bits); `0xFFFFFF` with no data when no schema is bound.
    pub schema_id: u32,
    /// The snapshot data: the header's length in words times 4 bytes, padding included.
    pub data: &'a [u8],
}

/// One node's data read back from a trace. A field is `Some` exactly when its trace-type bit
/// is set; the values are as on the wire (node ids already cut to 24 and 56 bits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParsedNode<'a> {
    /// Bit 0: hop limit and node id (24 bits).
    pub hop_limit_node_id: Option<(u8, u32)>,
    /// Bit 1: ingress and egress interface ids, short form.
    pub if_ids: Option<(u16, u16)>,
    /// Bit 2: timestamp, seconds.
    pub ts_secs: Option<u32>,
    /// Bit 3: timestamp, fraction.
    pub ts_frac: Option<u32>,
    /// Bit 4: transit delay.
    pub transit_delay: Option<u32>,
    /// Bit 5: namespace-specific data, short form.
    pub namespace_data: Option<u32>,
    /// Bit 6: queue depth.
    pub queue_depth: Option<u32>,
    /// Bit 7: checksum complement.
    pub checksum_complement: Option<u32>,
    /// Bit 8: hop limit and node id, wide form (56 bits).
    pub hop_limit_node_id_wide: Option<(u8, u64)>,
    /// Bit 9: ingress and egress interface ids, wide form.
    pub if_ids_wide: Option<(u32, u32)>,
    /// Bit 10: namespace-specific data, wide form.
    pub namespace_data_wide: Option<u64>,
    /// Bit 11: buffer occupancy.
    pub buffer_occupancy: Option<u32>,
    /// Bits 12-21: 4 bytes for each bit set, in bit order (the filler writes all-ones).
    pub undefined: &'a [u8],
    /// Bit 22: the Opaque State Snapshot.
    pub snapshot: Option<Snapshot<'a>>,
}

/// A forward reader over a byte slice that counts what it consumed.
struct Reader<'a> {
    rest: &'a [u8],
    used: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.used = self.used.checked_add(n)?;
        self.rest = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.rest.split_first_chunk::<N>()?;
        self.used = self.used.checked_add(N)?;
        self.rest = tail;
        Some(*head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }

    /// Reads with `f` when bit `n` of `t` is set.
    fn field<T>(
        &mut self,
        t: u32,
        n: u32,
        f: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        if t & trace_bit(n) == 0 {
            Some(None)
        } else {
            f(self).map(Some)
        }
    }
}

/// Parses one node's data at the start of `bytes` for trace type `trace_type` (24 bits; higher
/// bits and the reserved bit 23 are ignored), in the order and widths the filler writes it, and
/// returns it with the number of bytes it takes: NodeLen * 4, plus 4 + the snapshot's data with
/// bit 22. `None` when `bytes` is shorter than that. Bytes after the node are not read.
pub fn parse_node(trace_type: u32, bytes: &[u8]) -> Option<(ParsedNode<'_>, usize)> {
    let t = trace_type;
    let mut r = Reader {
        rest: bytes,
        used: 0,
    };
    let hop_limit_node_id = r.field(t, 0, |r| {
        let v = r.u32()?;
        let [hop, ..] = v.to_be_bytes();
        Some((hop, v & 0x00ff_ffff))
    })?;
    let if_ids = r.field(t, 1, |r| {
        let [a, b, c, d] = r.array()?;
        Some((u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])))
    })?;
    let ts_secs = r.field(t, 2, Reader::u32)?;
    let ts_frac = r.field(t, 3, Reader::u32)?;
    let transit_delay = r.field(t, 4, Reader::u32)?;
    let namespace_data = r.field(t, 5, Reader::u32)?;
    let queue_depth = r.field(t, 6, Reader::u32)?;
    let checksum_complement = r.field(t, 7, Reader::u32)?;
    let hop_limit_node_id_wide = r.field(t, 8, |r| {
        let v = r.u64()?;
        let [hop, ..] = v.to_be_bytes();
        Some((hop, v & 0x00ff_ffff_ffff_ffff))
    })?;
    let if_ids_wide = r.field(t, 9, |r| Some((r.u32()?, r.u32()?)))?;
    let namespace_data_wide = r.field(t, 10, Reader::u64)?;
    let buffer_occupancy = r.field(t, 11, Reader::u32)?;
    // At most 10 bits: cannot wrap.
    let undefined_len = ((t & UNDEFINED_BITS).count_ones() as usize).wrapping_mul(4);
    let undefined = r.take(undefined_len)?;
    let snapshot = if t & OSS_BIT == 0 {
        None
    } else {
        let h = OssHeader::from_bytes(r.array()?);
        // At most 255 words: cannot wrap.
        let data = r.take(usize::from(h.words).wrapping_mul(4))?;
        Some(Snapshot {
            schema_id: h.schema_id,
            data,
        })
    };
    let node = ParsedNode {
        hop_limit_node_id,
        if_ids,
        ts_secs,
        ts_frac,
        transit_delay,
        namespace_data,
        queue_depth,
        checksum_complement,
        hop_limit_node_id_wide,
        if_ids_wide,
        namespace_data_wide,
        buffer_occupancy,
        undefined,
        snapshot,
    };
    Some((node, r.used))
}

/// The nodes of a trace's data, most recent first (wire order), from [`parse_node`].
///
/// The iteration ends at the end of the data, at bytes too short for a node (left in
/// [`Nodes::remainder`]), or at once for a trace type whose nodes take no bytes.
#[derive(Debug, Clone)]
pub struct Nodes<'a> {
    trace_type: u32,
    rest: &'a [u8],
}

impl<'a> Nodes<'a> {
    /// Iterates over the nodes at the start of `data` (the recorded part of a trace's data).
    pub const fn new(trace_type: u32, data: &'a [u8]) -> Self {
        Self {
            trace_type,
            rest: data,
        }
    }

    /// Starts on a whole Pre-allocated Trace, its header and data as
    /// [`fill_node`](super::fill::fill_node) takes it: the recorded nodes start at data offset
    /// RemainingLen * 4. `None` when `trace` is shorter than its header or than that offset.
    pub fn in_trace(trace: &'a [u8]) -> Option<(TraceHeader, Self)> {
        let (hdr, data) = trace.split_first_chunk::<TRACE_HDR_LEN>()?;
        let hdr = TraceHeader::from_bytes(*hdr);
        // RemainingLen <= 127: cannot wrap.
        let recorded = data.get(usize::from(hdr.remaining_len).wrapping_mul(4)..)?;
        Some((hdr, Self::new(hdr.trace_type, recorded)))
    }

    /// The bytes not consumed by the nodes returned so far.
    pub const fn remainder(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Nodes<'a> {
    type Item = ParsedNode<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (node, used) = parse_node(self.trace_type, self.rest)?;
        // A node of no bytes would be returned forever.
        let rest = self.rest.get(used..).filter(|_| used != 0)?;
        self.rest = rest;
        Some(node)
    }
}

impl core::iter::FusedIterator for Nodes<'_> {}

/// Checks that `parsed` holds what [`fill_node`](super::fill::fill_node) writes for `node` with
/// trace type `trace_type`: each field present exactly when its bit is set, node ids cut to 24
/// and 56 bits, the hop limit in both forms, undefined words all-ones, and the snapshot (or the
/// "no schema" header) with its data zero-padded to whole words. Returns the first field that
/// differs.
pub fn check_filled(
    trace_type: u32,
    node: &super::fill::NodeData<'_>,
    parsed: &ParsedNode<'_>,
) -> Result<(), &'static str> {
    use super::trace::{trace_bit, UNDEFINED_BITS};
    let on = |bit: u32| trace_type & trace_bit(bit) != 0;
    let n = node;
    let fields = [
        (
            parsed.hop_limit_node_id == on(0).then_some((n.hop_limit, n.node_id & 0x00ff_ffff)),
            "hop limit and node id",
        ),
        (
            parsed.if_ids == on(1).then_some((n.ingress_if, n.egress_if)),
            "interface ids",
        ),
        (
            parsed.ts_secs == on(2).then_some(n.ts_secs),
            "timestamp seconds",
        ),
        (
            parsed.ts_frac == on(3).then_some(n.ts_frac),
            "timestamp fraction",
        ),
        (
            parsed.transit_delay == on(4).then_some(n.transit_delay),
            "transit delay",
        ),
        (
            parsed.namespace_data == on(5).then_some(n.namespace_data),
            "namespace data",
        ),
        (
            parsed.queue_depth == on(6).then_some(n.queue_depth),
            "queue depth",
        ),
        (
            parsed.checksum_complement == on(7).then_some(n.checksum_complement),
            "checksum complement",
        ),
        (
            parsed.hop_limit_node_id_wide
                == on(8).then_some((n.hop_limit, n.node_id_wide & 0x00ff_ffff_ffff_ffff)),
            "wide hop limit and node id",
        ),
        (
            parsed.if_ids_wide == on(9).then_some((n.ingress_if_wide, n.egress_if_wide)),
            "wide interface ids",
        ),
        (
            parsed.namespace_data_wide == on(10).then_some(n.namespace_data_wide),
            "wide namespace data",
        ),
        (
            parsed.buffer_occupancy == on(11).then_some(n.buffer_occupancy),
            "buffer occupancy",
        ),
        (
            Some(parsed.undefined.len())
                == usize::try_from((trace_type & UNDEFINED_BITS).count_ones())
                    .ok()
                    .and_then(|w| w.checked_mul(4))
                && parsed.undefined.iter().all(|&b| b == 0xff),
            "undefined bits",
        ),
    ];
    if let Some((_, name)) = fields.iter().find(|(ok, _)| !ok) {
        return Err(name);
    }
    let snapshot_ok = match (parsed.snapshot, on(22)) {
        (None, false) => true,
        (Some(s), true) => {
            let (id, data) = n.schema.unwrap_or((0x00ff_ffff, &[]));
            let padded = data.len().div_ceil(4).checked_mul(4);
            s.schema_id == id
                && Some(s.data.len()) == padded
                && s.data.get(..data.len()) == Some(data)
                && s.data
                    .get(data.len()..)
                    .is_some_and(|pad| pad.iter().all(|&b| b == 0))
        }
        _ => false,
    };
    if snapshot_ok {
        Ok(())
    } else {
        Err("opaque state snapshot")
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::super::fill::{fill_node, FillOutcome, NodeData};
    use super::super::trace::{node_len, RESERVED_BIT};
    use super::*;

    const FULL: u32 = 0xfff002;

    const NODE: NodeData<'static> = NodeData {
        schema: Some((1, b"wxyz")),
        ..super::super::fill::tests::NODE
    };

    /// The full trace of `fill::tests::full_trace_in_bit_order`.
    #[rustfmt::skip]
    const FULL_NODE: [u8; 68] = [
        0x40, 0x0a, 0x0b, 0x0c,  0x11, 0x11, 0x22, 0x22,
        0x33, 0x33, 0x33, 0x33,  0x00, 0x04, 0x44, 0x44,
        0x55, 0x55, 0x55, 0x55,  0x66, 0x66, 0x66, 0x66,
        0x77, 0x77, 0x77, 0x77,  0x88, 0x88, 0x88, 0x88,
        0x40, 1, 2, 3, 4, 5, 6, 7,
        0x99, 0x99, 0x99, 0x99,  0xaa, 0xaa, 0xaa, 0xaa,
        0xbb, 0xbb, 0xbb, 0xbb,  0xcc, 0xcc, 0xcc, 0xcc,
        0xdd, 0xdd, 0xdd, 0xdd,
        0x01, 0x00, 0x00, 0x01,  b'w', b'x', b'y', b'z',
    ];

    fn full_parsed() -> ParsedNode<'static> {
        ParsedNode {
            hop_limit_node_id: Some((0x40, 0x0a0b0c)),
            if_ids: Some((0x1111, 0x2222)),
            ts_secs: Some(0x3333_3333),
            ts_frac: Some(0x0004_4444),
            transit_delay: Some(0x5555_5555),
            namespace_data: Some(0x6666_6666),
            queue_depth: Some(0x7777_7777),
            checksum_complement: Some(0x8888_8888),
            hop_limit_node_id_wide: Some((0x40, 0x0001_0203_0405_0607)),
            if_ids_wide: Some((0x9999_9999, 0xaaaa_aaaa)),
            namespace_data_wide: Some(0xbbbb_bbbb_cccc_cccc),
            buffer_occupancy: Some(0xdddd_dddd),
            undefined: &[],
            snapshot: Some(Snapshot {
                schema_id: 1,
                data: b"wxyz",
            }),
        }
    }

    #[test]
    fn full_golden() {
        let (p, used) = parse_node(FULL, &FULL_NODE).unwrap();
        assert_eq!(used, 68);
        assert_eq!(p, full_parsed());
        // Bytes after the node are not read; bit 23 and bits above the 24 are ignored.
        let mut longer = [0x5a; 80];
        longer[..68].copy_from_slice(&FULL_NODE);
        assert_eq!(parse_node(FULL, &longer), Some((full_parsed(), 68)));
        assert_eq!(
            parse_node(FULL | RESERVED_BIT | 0xff00_0000, &longer),
            Some((full_parsed(), 68))
        );
    }

    #[test]
    fn every_truncation_is_none() {
        for n in 0..68 {
            assert_eq!(parse_node(FULL, &FULL_NODE[..n]), None, "{n}");
        }
        // The snapshot's data is cut: its header says 2 words, 1 is there.
        let b = [2, 0, 0, 9, 1, 2, 3, 4];
        assert_eq!(parse_node(OSS_BIT, &b), None);
        assert_eq!(parse_node(OSS_BIT, &b[..4]), None);
    }

    #[test]
    fn single_bits() {
        let b: [u8; 8] = [0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88];
        let one = |bit| parse_node(trace_bit(bit), &b).unwrap();
        assert_eq!(one(0).0.hop_limit_node_id, Some((0x81, 0x828384)));
        assert_eq!(one(1).0.if_ids, Some((0x8182, 0x8384)));
        assert_eq!(one(2).0.ts_secs, Some(0x8182_8384));
        assert_eq!(one(3).0.ts_frac, Some(0x8182_8384));
        assert_eq!(one(4).0.transit_delay, Some(0x8182_8384));
        assert_eq!(one(5).0.namespace_data, Some(0x8182_8384));
        assert_eq!(one(6).0.queue_depth, Some(0x8182_8384));
        assert_eq!(one(7).0.checksum_complement, Some(0x8182_8384));
        assert_eq!(
            one(8).0.hop_limit_node_id_wide,
            Some((0x81, 0x0082_8384_8586_8788))
        );
        assert_eq!(one(9).0.if_ids_wide, Some((0x8182_8384, 0x8586_8788)));
        assert_eq!(one(10).0.namespace_data_wide, Some(0x8182_8384_8586_8788));
        assert_eq!(one(11).0.buffer_occupancy, Some(0x8182_8384));
        for bit in 0..=21 {
            let (p, used) = one(bit);
            assert_eq!(used as u32, node_len(trace_bit(bit)) * 4, "bit {bit}");
            assert_ne!(p, ParsedNode::default(), "bit {bit}");
        }
        for bit in 12..=21 {
            assert_eq!(one(bit).0.undefined, &b[..4]);
        }
        // No bit, or only the reserved one: an empty node.
        assert_eq!(parse_node(0, &[]), Some((ParsedNode::default(), 0)));
        assert_eq!(
            parse_node(RESERVED_BIT, &b),
            Some((ParsedNode::default(), 0))
        );
    }

    #[test]
    fn undefined_bits_in_order() {
        let t = trace_bit(0) | UNDEFINED_BITS | trace_bit(11);
        let mut b = [0xff; 48];
        b[..4].copy_from_slice(&[1, 2, 3, 4]);
        b[4..8].copy_from_slice(&[5, 6, 7, 8]);
        let (p, used) = parse_node(t, &b).unwrap();
        assert_eq!(used, 48);
        assert_eq!(p.hop_limit_node_id, Some((1, 0x020304)));
        assert_eq!(p.buffer_occupancy, Some(0x0506_0708));
        assert_eq!(p.undefined, &[0xff; 40]);
    }

    #[test]
    fn snapshot_without_schema() {
        let (p, used) = parse_node(OSS_BIT, &[0, 0xff, 0xff, 0xff, 9]).unwrap();
        assert_eq!(used, 4);
        assert_eq!(
            p.snapshot,
            Some(Snapshot {
                schema_id: 0xff_ffff,
                data: &[]
            })
        );
    }

    #[test]
    fn fill_then_parse() {
        let mut opt = [0u8; 8 + 68];
        TraceHeader {
            namespace_id: 5,
            node_len: node_len(FULL) as u8,
            overflow: false,
            remaining_len: 17,
            trace_type: FULL,
        }
        .write(&mut opt)
        .unwrap();
        assert_eq!(fill_node(&mut opt, &NODE), FillOutcome::Filled);
        let (hdr, mut nodes) = Nodes::in_trace(&opt).unwrap();
        assert_eq!(hdr.remaining_len, 0);
        assert_eq!(nodes.next(), Some(full_parsed()));
        assert_eq!(nodes.next(), None);
        assert!(nodes.remainder().is_empty());
    }

    #[test]
    fn nodes_most_recent_first() {
        let t = trace_bit(0) | trace_bit(2);
        let mut opt = [0u8; 8 + 20];
        TraceHeader {
            namespace_id: 5,
            node_len: 2,
            overflow: false,
            remaining_len: 5,
            trace_type: t,
        }
        .write(&mut opt)
        .unwrap();
        let (_, mut nodes) = Nodes::in_trace(&opt).unwrap();
        assert_eq!(nodes.next(), None);
        for (i, hop) in [64u8, 63].into_iter().enumerate() {
            let n = NodeData {
                hop_limit: hop,
                node_id: i as u32 + 1,
                ..NODE
            };
            assert_eq!(fill_node(&mut opt, &n), FillOutcome::Filled);
        }
        let (hdr, mut nodes) = Nodes::in_trace(&opt).unwrap();
        assert_eq!(hdr.remaining_len, 1);
        let ids: [_; 2] = core::array::from_fn(|_| nodes.next().unwrap().hop_limit_node_id);
        assert_eq!(ids, [Some((63, 2)), Some((64, 1))]);
        assert_eq!(nodes.next(), None);
        assert_eq!(nodes.next(), None);
        // Trailing bytes too short for a node are left over.
        let mut nodes = Nodes::new(t, &opt[8 + 4..8 + 18]);
        assert!(nodes.next().is_some());
        assert_eq!(nodes.next(), None);
        assert_eq!(nodes.remainder().len(), 6);
    }

    #[test]
    fn nodes_of_no_bytes_end() {
        let mut nodes = Nodes::new(RESERVED_BIT, &[0; 8]);
        assert_eq!(nodes.next(), None);
        assert_eq!(nodes.remainder().len(), 8);
        // A header shorter than 8 bytes, or RemainingLen past the data.
        assert!(Nodes::in_trace(&[0; 7]).is_none());
        assert!(Nodes::in_trace(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(Nodes::in_trace(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_some());
    }
}
