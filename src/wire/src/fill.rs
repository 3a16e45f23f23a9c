// SPDX-License-Identifier: GPL-2.0
//! Writing one node's data into a Pre-allocated Trace option (RFC 9197 §4.4), as upstream
//! Linux's `ioam6_fill_trace_data()` does on encapsulating and transit nodes.

use super::option::{TraceHeader, TRACE_HDR_LEN};
use super::trace::{node_len, trace_bit, OssHeader, OSS_BIT, UNDEFINED_BITS};

/// The values one node records, already resolved by the caller (unavailable values are
/// all-ones, e.g. `0xFFFFFFFF` timestamps on a locally generated packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeData<'a> {
    /// Hop limit, as recorded (upstream records `hop_limit - 1` on input).
    pub hop_limit: u8,
    /// Node id (24 bits; higher bits are ignored).
    pub node_id: u32,
    /// Ingress interface id (short form).
    pub ingress_if: u16,
    /// Egress interface id (short form).
    pub egress_if: u16,
    /// Timestamp, seconds.
    pub ts_secs: u32,
    /// Timestamp, fraction (upstream: microseconds).
    pub ts_frac: u32,
    /// Transit delay.
    pub transit_delay: u32,
    /// Namespace-specific data (short form).
    pub namespace_data: u32,
    /// Queue depth.
    pub queue_depth: u32,
    /// Checksum complement.
    pub checksum_complement: u32,
    /// Node id, wide form (56 bits; higher bits are ignored).
    pub node_id_wide: u64,
    /// Ingress interface id, wide form.
    pub ingress_if_wide: u32,
    /// Egress interface id, wide form.
    pub egress_if_wide: u32,
    /// Namespace-specific data, wide form.
    pub namespace_data_wide: u64,
    /// Buffer occupancy.
    pub buffer_occupancy: u32,
    /// The schema bound to the namespace, for the Opaque State Snapshot: schema id (24 bits)
    /// and data (at most 255 words; a length that is not a multiple of 4 is zero-padded).
    /// `None` records the "no schema" header `0x00FFFFFF`.
    pub schema: Option<(u32, &'a [u8])>,
}

/// Why [`fill_node`] refused its input, writing nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// The option is shorter than a trace header.
    Truncated,
    /// The header's NodeLen differs from the one its trace type implies.
    NodeLenMismatch,
    /// RemainingLen covers more than the trace data present.
    RemainingLenTooBig,
    /// The schema id does not fit in 24 bits or its data in 255 words.
    InvalidSchema,
}

impl Malformed {
    /// A stable short name, e.g. for a drop counter.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::NodeLenMismatch => "nodelen_mismatch",
            Self::RemainingLenTooBig => "remlen_too_big",
            Self::InvalidSchema => "invalid_schema",
        }
    }

    /// A one-line explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::Truncated => "trace option is shorter than its header",
            Self::NodeLenMismatch => "trace NodeLen does not match its trace type",
            Self::RemainingLenTooBig => "trace RemainingLen exceeds the trace data",
            Self::InvalidSchema => "schema id or data too large for an Opaque State Snapshot",
        }
    }
}

/// What [`fill_node`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillOutcome {
    /// The node's data was written and RemainingLen decremented.
    Filled,
    /// There was no room: the Overflow flag was set, nothing else written.
    Overflow,
    /// The Overflow flag was already set: nothing written.
    AlreadyOverflowed,
    /// The input was refused: nothing written.
    Malformed(Malformed),
}

/// Writes `node`'s data into `option`: the 8-byte trace header followed by the trace data, up
/// to the end of the option (so `option.len() - 8` is the data length).
///
/// The layout comes from the trace type (NodeLen is computed, never taken from the packet);
/// the input is refused ([`FillOutcome::Malformed`], nothing written) when the header's NodeLen
/// differs from it or RemainingLen covers more than the data present, so nothing is ever
/// written outside the free part of the trace data and the header's O and RemainingLen.
///
/// Then, as upstream: with the Overflow flag set, nothing is done. The snapshot length `sclen`
/// is 0 without bit 22, else 1 plus the schema's words. If RemainingLen is 0 or less than
/// NodeLen + sclen, the Overflow flag is set. Otherwise the fields are written in bit order at
/// data offset `(RemainingLen - NodeLen - sclen) * 4`, in front of the earlier nodes' data, and
/// RemainingLen is decremented by NodeLen + sclen. Bit 23 is neither counted nor filled; bits
/// 12-21 are filled with `0xFFFFFFFF`.
pub fn fill_node(option: &mut [u8], node: &NodeData<'_>) -> FillOutcome {
    let Some(hdr_bytes) = option.first_chunk::<TRACE_HDR_LEN>() else {
        return FillOutcome::Malformed(Malformed::Truncated);
    };
    let hdr = TraceHeader::from_bytes(*hdr_bytes);
    if u32::from(hdr.node_len) != node_len(hdr.trace_type) {
        return FillOutcome::Malformed(Malformed::NodeLenMismatch);
    }
    // RemainingLen <= 127: cannot wrap.
    let room = usize::from(hdr.remaining_len).wrapping_mul(4);
    if room > option.len().wrapping_sub(TRACE_HDR_LEN) {
        return FillOutcome::Malformed(Malformed::RemainingLenTooBig);
    }
    fill_checked(option, &hdr, node)
}

/// [`fill_node`] for a trace from the wire whose header `hdr` the caller has just read from
/// `option` and checked as [`check_trace`](super::hbh::check_trace) does (NodeLen from the
/// trace type, RemainingLen within the data): not read and checked again. Writes stay within
/// the free part of the data all the same (a RemainingLen beyond the data writes nothing).
// Inlined into the module's packet path, which calls it once per packet: the call cost more
// than most of what it does (README, Benchmarks).
#[inline(always)]
pub fn fill_checked(option: &mut [u8], hdr: &TraceHeader, node: &NodeData<'_>) -> FillOutcome {
    let Some((hdr_bytes, data)) = option.split_first_chunk_mut::<TRACE_HDR_LEN>() else {
        return FillOutcome::Malformed(Malformed::Truncated);
    };
    if hdr.overflow {
        return FillOutcome::AlreadyOverflowed;
    }
    place_entry(hdr_bytes, data, hdr.trace_type, hdr.remaining_len, node)
}

/// [`fill_node`] for a trace the caller built itself and has not handed on (an encapsulating
/// node's own template), planned once for the trace's type and RemainingLen: its header as
/// [`write_hbh`](super::option::write_hbh) wrote it, with `remaining_len` (at most 127) free
/// words of data and no Overflow flag. The header is not read back and checked again, as
/// `fill_node` must for a trace from the wire, and where the entry goes is worked out once:
/// the same outcome and bytes for a fraction of the instructions. Writes stay within the free
/// part of the data all the same (a `remaining_len` beyond the data writes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnTrace {
    trace_type: u32,
    remaining_len: u8,
    /// Where the entry goes, when its length is the type's alone (no Opaque State Snapshot,
    /// whose length is the schema's) and it fits.
    fixed: Option<FixedEntry>,
}

/// An entry of a fixed length in a trace of known RemainingLen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FixedEntry {
    /// The entry's bytes in the trace data.
    start: usize,
    end: usize,
    /// RemainingLen once it is written.
    remaining_after: u8,
}

impl OwnTrace {
    /// The plan for a trace of type `trace_type` with `remaining_len` free words.
    pub const fn new(trace_type: u32, remaining_len: u8) -> Self {
        let need = node_len(trace_type);
        let free = remaining_len as u32;
        let fixed = if trace_type & OSS_BIT == 0 && free != 0 && need <= free {
            // need <= free <= 255: no wrap; the entry ends where the free words do.
            let left = free.wrapping_sub(need);
            Some(FixedEntry {
                start: (left as usize).wrapping_mul(4),
                end: (free as usize).wrapping_mul(4),
                remaining_after: left as u8,
            })
        } else {
            None
        };
        Self {
            trace_type,
            remaining_len,
            fixed,
        }
    }

    /// Writes `node`'s entry into `option`: the 8-byte trace header followed by the trace
    /// data, as [`fill_node`] would.
    #[inline(always)]
    pub fn fill(&self, option: &mut [u8], node: &NodeData<'_>) -> FillOutcome {
        let Some((hdr_bytes, data)) = option.split_first_chunk_mut::<TRACE_HDR_LEN>() else {
            return FillOutcome::Malformed(Malformed::Truncated);
        };
        let Some(fixed) = self.fixed else {
            return place_entry(hdr_bytes, data, self.trace_type, self.remaining_len, node);
        };
        let Some(region) = data.get_mut(fixed.start..fixed.end) else {
            return FillOutcome::Malformed(Malformed::RemainingLenTooBig);
        };
        let entry = Entry {
            t: self.trace_type,
            node,
            oss: None,
        };
        entry.write(region);
        // remaining_after <= remaining_len (at most 127, or masked): RemainingLen's 7 bits.
        hdr_bytes[3] = (hdr_bytes[3] & 0x80) | (fixed.remaining_after & 0x7f);
        FillOutcome::Filled
    }
}

/// Writes `node`'s entry for trace type `t` into the trace with header `hdr_bytes` and data
/// `data`, whose first `remaining_len` words are free: in front of the earlier nodes' data,
/// RemainingLen decremented; or sets the Overflow flag when there is no room.
#[inline(always)]
fn place_entry(
    hdr_bytes: &mut [u8; TRACE_HDR_LEN],
    data: &mut [u8],
    t: u32,
    remaining_len: u8,
    node: &NodeData<'_>,
) -> FillOutcome {
    let entry = match Entry::new(t, node) {
        Ok(e) => e,
        Err(m) => return FillOutcome::Malformed(m),
    };
    let remlen = u32::from(remaining_len);
    let need = entry.words();
    if remlen == 0 || remlen < need {
        // The header is 8 bytes: the constant index is in bounds.
        hdr_bytes[2] |= 0x04;
        return FillOutcome::Overflow;
    }
    let left = remlen.wrapping_sub(need);
    let start = (left as usize).wrapping_mul(4);
    let room = usize::from(remaining_len).wrapping_mul(4);
    let Some(region) = data.get_mut(start..room) else {
        return FillOutcome::Malformed(Malformed::RemainingLenTooBig);
    };

    entry.write(region);
    // left < remlen <= 255: the low 7 bits are RemainingLen's.
    hdr_bytes[3] = (hdr_bytes[3] & 0x80) | (left as u8 & 0x7f);
    FillOutcome::Filled
}

/// One node's entry in a trace: its data fields in trace-type order, then its Opaque State
/// Snapshot (bit 22). Shared by the Pre-allocated and the Incremental Trace.
#[derive(Debug)]
pub struct Entry<'n, 'a> {
    t: u32,
    node: &'n NodeData<'a>,
    oss: Option<(OssHeader, &'a [u8])>,
}

impl<'n, 'a> Entry<'n, 'a> {
    /// `node`'s entry for trace type `t`; refused when the schema does not fit a snapshot.
    pub fn new(t: u32, node: &'n NodeData<'a>) -> Result<Self, Malformed> {
        let oss = if t & OSS_BIT == 0 {
            None
        } else {
            match node.schema {
                None => Some((OssHeader::NONE, &[][..])),
                Some((id, sc_data)) => Some((
                    OssHeader::new(id, sc_data.len()).ok_or(Malformed::InvalidSchema)?,
                    sc_data,
                )),
            }
        };
        Ok(Self { t, node, oss })
    }

    /// The entry's length in 4-byte words: NodeLen plus the snapshot's (at most 25 + 256).
    pub fn words(&self) -> u32 {
        // nodelen <= 25 and words <= 255: cannot wrap.
        let sclen = self
            .oss
            .map_or(0, |(h, _)| u32::from(h.words).wrapping_add(1));
        node_len(self.t).wrapping_add(sclen)
    }

    /// Writes the entry into `region`, sized `words() * 4` (what does not fit is dropped).
    #[inline(always)]
    pub fn write(&self, region: &mut [u8]) {
        let (t, node) = (self.t, self.node);
        let mut w = Cursor(region);
        if t & trace_bit(0) != 0 {
            w.put_u32(u32::from(node.hop_limit) << 24 | (node.node_id & 0x00ff_ffff));
        }
        if t & trace_bit(1) != 0 {
            w.put_u32(u32::from(node.ingress_if) << 16 | u32::from(node.egress_if));
        }
        if t & trace_bit(2) != 0 {
            w.put_u32(node.ts_secs);
        }
        if t & trace_bit(3) != 0 {
            w.put_u32(node.ts_frac);
        }
        if t & trace_bit(4) != 0 {
            w.put_u32(node.transit_delay);
        }
        if t & trace_bit(5) != 0 {
            w.put_u32(node.namespace_data);
        }
        if t & trace_bit(6) != 0 {
            w.put_u32(node.queue_depth);
        }
        if t & trace_bit(7) != 0 {
            w.put_u32(node.checksum_complement);
        }
        if t & trace_bit(8) != 0 {
            w.put_u64(
                u64::from(node.hop_limit) << 56 | (node.node_id_wide & 0x00ff_ffff_ffff_ffff),
            );
        }
        if t & trace_bit(9) != 0 {
            w.put_u32(node.ingress_if_wide);
            w.put_u32(node.egress_if_wide);
        }
        if t & trace_bit(10) != 0 {
            w.put_u64(node.namespace_data_wide);
        }
        if t & trace_bit(11) != 0 {
            w.put_u32(node.buffer_occupancy);
        }
        // Rare: no bit count (a dozen instructions without `popcnt`) when none is set.
        if t & UNDEFINED_BITS != 0 {
            for _ in 0..(t & UNDEFINED_BITS).count_ones() {
                w.put_u32(u32::MAX);
            }
        }
        if let Some((h, sc_data)) = self.oss {
            w.put_array(h.to_bytes());
            w.put(sc_data);
            // Zero-pad the data to whole words: what is left of the region (mostly nothing:
            // no call then).
            if !w.0.is_empty() {
                w.0.fill(0);
            }
        }
    }
}

/// Writes forward into a region sized for exactly the node's data; a field past its end is
/// not written (it cannot happen, as the region is computed from the same trace type).
struct Cursor<'b>(&'b mut [u8]);

impl Cursor<'_> {
    /// A field: one store of a fixed size, nothing kept for a field that does not fit (a
    /// partial write would keep the value on the stack for a `memcpy` call, for every field).
    fn put_array<const N: usize>(&mut self, bytes: [u8; N]) {
        let rest = core::mem::take(&mut self.0);
        if let Some((head, tail)) = rest.split_first_chunk_mut::<N>() {
            *head = bytes;
            self.0 = tail;
        }
    }

    fn put_u32(&mut self, v: u32) {
        self.put_array(v.to_be_bytes());
    }

    fn put_u64(&mut self, v: u64) {
        self.put_array(v.to_be_bytes());
    }

    /// Schema data, as much as fits.
    fn put(&mut self, bytes: &[u8]) {
        let rest = core::mem::take(&mut self.0);
        let n = bytes.len().min(rest.len());
        let (head, tail) = rest.split_at_mut(n);
        if let Some(src) = bytes.get(..n) {
            head.copy_from_slice(src);
        }
        self.0 = tail;
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
pub(crate) mod tests {
    use super::super::option::{write_hbh, HBH_LEN_MAX};
    use super::*;

    /// A node with a distinct value in every field (also used by the parser's tests).
    pub(crate) const NODE: NodeData<'static> = NodeData {
        hop_limit: 0x40,
        node_id: 0x0a0b0c,
        ingress_if: 0x1111,
        egress_if: 0x2222,
        ts_secs: 0x3333_3333,
        ts_frac: 0x0004_4444,
        transit_delay: 0x5555_5555,
        namespace_data: 0x6666_6666,
        queue_depth: 0x7777_7777,
        checksum_complement: 0x8888_8888,
        node_id_wide: 0x0001_0203_0405_0607,
        ingress_if_wide: 0x9999_9999,
        egress_if_wide: 0xaaaa_aaaa,
        namespace_data_wide: 0xbbbb_bbbb_cccc_cccc,
        buffer_occupancy: 0xdddd_dddd,
        schema: None,
    };

    /// A trace option (header and data) of `trace_type` with `remlen` words of free data, in a
    /// buffer guarded by 0xee bytes; returns the buffer and the option's length (from index 4).
    fn trace(trace_type: u32, remlen: u8) -> ([u8; 4 + 8 + 256 + 4], usize) {
        let mut buf = [0xee; 4 + 8 + 256 + 4];
        let len = 8 + usize::from(remlen) * 4;
        let h = TraceHeader {
            namespace_id: 0x1234,
            node_len: node_len(trace_type) as u8,
            overflow: false,
            remaining_len: remlen,
            trace_type,
        };
        h.write(&mut buf[4..]).unwrap();
        buf[12..4 + len].fill(0);
        (buf, len)
    }

    fn option(buf: &mut [u8], len: usize) -> &mut [u8] {
        &mut buf[4..4 + len]
    }

    fn guards_intact(buf: &[u8], len: usize) {
        assert!(buf[..4].iter().all(|&b| b == 0xee));
        assert!(buf[4 + len..].iter().all(|&b| b == 0xee));
    }

    /// Fills one node into an exactly sized trace of one bit, returns the data.
    fn one_bit(bit: u32, words: u8, node: &NodeData<'_>) -> [u8; 256] {
        let (mut buf, len) = trace(trace_bit(bit), words);
        assert_eq!(fill_node(option(&mut buf, len), node), FillOutcome::Filled);
        guards_intact(&buf, len);
        let h = TraceHeader::parse(&buf[4..]).unwrap();
        assert_eq!(h.remaining_len, 0);
        assert!(!h.overflow);
        let mut out = [0; 256];
        out[..len - 8].copy_from_slice(&buf[12..4 + len]);
        out
    }

    #[test]
    fn bit0_hop_limit_node_id() {
        assert_eq!(one_bit(0, 1, &NODE)[..4], [0x40, 0x0a, 0x0b, 0x0c]);
        // The node id is cut to 24 bits.
        let n = NodeData {
            node_id: 0xff12_3456,
            ..NODE
        };
        assert_eq!(one_bit(0, 1, &n)[..4], [0x40, 0x12, 0x34, 0x56]);
    }

    #[test]
    fn bits_1_to_7_and_11() {
        assert_eq!(one_bit(1, 1, &NODE)[..4], [0x11, 0x11, 0x22, 0x22]);
        assert_eq!(one_bit(2, 1, &NODE)[..4], [0x33; 4]);
        assert_eq!(one_bit(3, 1, &NODE)[..4], [0x00, 0x04, 0x44, 0x44]);
        assert_eq!(one_bit(4, 1, &NODE)[..4], [0x55; 4]);
        assert_eq!(one_bit(5, 1, &NODE)[..4], [0x66; 4]);
        assert_eq!(one_bit(6, 1, &NODE)[..4], [0x77; 4]);
        assert_eq!(one_bit(7, 1, &NODE)[..4], [0x88; 4]);
        assert_eq!(one_bit(11, 1, &NODE)[..4], [0xdd; 4]);
    }

    #[test]
    fn wide_bits_8_to_10() {
        assert_eq!(one_bit(8, 2, &NODE)[..8], [0x40, 1, 2, 3, 4, 5, 6, 7]);
        let n = NodeData {
            node_id_wide: u64::MAX,
            ..NODE
        };
        assert_eq!(
            one_bit(8, 2, &n)[..8],
            [0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            one_bit(9, 2, &NODE)[..8],
            [0x99, 0x99, 0x99, 0x99, 0xaa, 0xaa, 0xaa, 0xaa]
        );
        assert_eq!(
            one_bit(10, 2, &NODE)[..8],
            [0xbb, 0xbb, 0xbb, 0xbb, 0xcc, 0xcc, 0xcc, 0xcc]
        );
    }

    #[test]
    fn undefined_bits_are_all_ones() {
        for bit in 12..=21 {
            assert_eq!(one_bit(bit, 1, &NODE)[..4], [0xff; 4], "bit {bit}");
        }
        // All ten at once, after bit 0.
        let t = trace_bit(0) | UNDEFINED_BITS;
        let (mut buf, len) = trace(t, 11);
        assert_eq!(fill_node(option(&mut buf, len), &NODE), FillOutcome::Filled);
        assert_eq!(buf[12..16], [0x40, 0x0a, 0x0b, 0x0c]);
        assert!(buf[16..12 + 44].iter().all(|&b| b == 0xff));
        guards_intact(&buf, len);
    }

    #[test]
    fn bit22_without_schema() {
        assert_eq!(one_bit(22, 1, &NODE)[..4], [0x00, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn bit22_with_schema() {
        let n = NodeData {
            schema: Some((777, b"abcdefgh")),
            ..NODE
        };
        assert_eq!(one_bit(22, 3, &n)[..12], *b"\x02\x00\x03\x09abcdefgh");
        // Data that is not a multiple of 4 is zero-padded.
        let (mut buf, len) = trace(OSS_BIT, 3);
        buf[12..4 + len].fill(0x5a);
        let n = NodeData {
            schema: Some((777, b"abcde")),
            ..NODE
        };
        assert_eq!(fill_node(option(&mut buf, len), &n), FillOutcome::Filled);
        assert_eq!(buf[12..24], *b"\x02\x00\x03\x09abcde\0\0\0");
        guards_intact(&buf, len);
    }

    #[test]
    fn bit22_invalid_schema() {
        let big = [0u8; 1024];
        for schema in [(0x0100_0000, &b"abcd"[..]), (1, &big[..])] {
            let (mut buf, len) = trace(OSS_BIT, 3);
            let before = buf;
            let n = NodeData {
                schema: Some(schema),
                ..NODE
            };
            assert_eq!(
                fill_node(option(&mut buf, len), &n),
                FillOutcome::Malformed(Malformed::InvalidSchema)
            );
            assert_eq!(buf, before);
        }
    }

    #[test]
    fn bit23_neither_counted_nor_filled() {
        let t = trace_bit(0) | trace_bit(23);
        let (mut buf, len) = trace(t, 2);
        assert_eq!(fill_node(option(&mut buf, len), &NODE), FillOutcome::Filled);
        assert_eq!(buf[12..20], [0, 0, 0, 0, 0x40, 0x0a, 0x0b, 0x0c]);
        assert_eq!(buf[4 + 3], 1);
    }

    #[test]
    fn full_trace_in_bit_order() {
        let n = NodeData {
            schema: Some((1, b"wxyz")),
            ..NODE
        };
        let (mut buf, len) = trace(0xfff002, 17);
        assert_eq!(fill_node(option(&mut buf, len), &n), FillOutcome::Filled);
        #[rustfmt::skip]
        let want: [u8; 68] = [
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
        assert_eq!(buf[12..12 + 68], want);
        assert_eq!(TraceHeader::parse(&buf[4..]).unwrap().remaining_len, 0);
        guards_intact(&buf, len);
    }

    #[test]
    fn two_nodes_second_in_front() {
        let t = trace_bit(0) | trace_bit(2);
        let (mut buf, len) = trace(t, 5);
        let first = NODE;
        let second = NodeData {
            hop_limit: 0x3f,
            node_id: 2,
            ts_secs: 0x0102_0304,
            ..NODE
        };
        assert_eq!(
            fill_node(option(&mut buf, len), &first),
            FillOutcome::Filled
        );
        assert_eq!(buf[4 + 3], 3);
        assert_eq!(
            fill_node(option(&mut buf, len), &second),
            FillOutcome::Filled
        );
        assert_eq!(buf[4 + 3], 1);
        #[rustfmt::skip]
        let want = [
            0, 0, 0, 0,
            0x3f, 0, 0, 2,  1, 2, 3, 4,
            0x40, 0x0a, 0x0b, 0x0c,  0x33, 0x33, 0x33, 0x33,
        ];
        assert_eq!(buf[12..32], want);
        // The third has no room: overflow, nothing else changes.
        let before = buf;
        assert_eq!(
            fill_node(option(&mut buf, len), &first),
            FillOutcome::Overflow
        );
        assert_eq!(buf[4 + 2], before[4 + 2] | 0x04);
        assert_eq!(buf[..6], before[..6]);
        assert_eq!(buf[7..], before[7..]);
        // And the fourth skips.
        let before = buf;
        assert_eq!(
            fill_node(option(&mut buf, len), &first),
            FillOutcome::AlreadyOverflowed
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn fill_from_write_hbh() {
        let mut hbh = [0u8; HBH_LEN_MAX];
        let n = write_hbh(&mut hbh, 17, 7, 0x800000, 12).unwrap();
        assert_eq!(n, 32);
        // The trace starts after the PadN and the IOAM option header; opt_len = 22.
        let opt = &mut hbh[8..8 + 20];
        assert_eq!(fill_node(opt, &NODE), FillOutcome::Filled);
        assert_eq!(hbh[11], 2);
        assert_eq!(hbh[16 + 8..16 + 12], [0x40, 0x0a, 0x0b, 0x0c]);
        assert_eq!(hbh[28..32], [1, 2, 0, 0]);
    }

    fn assert_overflow(t: u32, remlen: u8, node: &NodeData<'_>) {
        let (mut buf, len) = trace(t, remlen);
        let before = buf;
        assert_eq!(
            fill_node(option(&mut buf, len), node),
            FillOutcome::Overflow
        );
        let mut want = before;
        want[4 + 2] |= 0x04;
        assert_eq!(buf, want);
    }

    #[test]
    fn overflow_no_room() {
        assert_overflow(0xc00000, 1, &NODE);
        assert_overflow(0xfff002, 15, &NODE);
        assert_overflow(trace_bit(8), 1, &NODE);
    }

    #[test]
    fn overflow_no_room_for_schema() {
        let n = NodeData {
            schema: Some((5, &[1; 40])),
            ..NODE
        };
        // Bit 0 plus the snapshot: 1 + 1 + 10 words.
        assert_overflow(trace_bit(0) | OSS_BIT, 11, &n);
        // Without a schema, 1 + 1 fit.
        let (mut buf, len) = trace(trace_bit(0) | OSS_BIT, 2);
        assert_eq!(fill_node(option(&mut buf, len), &NODE), FillOutcome::Filled);
        // And with it, exactly 12.
        let (mut buf, len) = trace(trace_bit(0) | OSS_BIT, 12);
        assert_eq!(fill_node(option(&mut buf, len), &n), FillOutcome::Filled);
        assert_eq!(buf[4 + 3], 0);
        assert_eq!(buf[12..16], [0x40, 0x0a, 0x0b, 0x0c]);
        assert_eq!(buf[16..20], [10, 0, 0, 5]);
        assert_eq!(buf[20..60], [1; 40]);
        guards_intact(&buf, len);
    }

    #[test]
    fn overflow_remlen_zero() {
        assert_overflow(trace_bit(0), 0, &NODE);
        // Even with a trace type that needs nothing.
        assert_overflow(trace_bit(23), 0, &NODE);
    }

    #[test]
    fn already_overflowed() {
        let (mut buf, len) = trace(trace_bit(0), 4);
        buf[4 + 2] |= 0x04;
        let before = buf;
        assert_eq!(
            fill_node(option(&mut buf, len), &NODE),
            FillOutcome::AlreadyOverflowed
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn malformed_nodelen_zero_many_bits() {
        // Upstream's 2026 heap overflow: NodeLen 0 with bits 0-21 set and RemainingLen 1. Trusting
        // NodeLen, a node would write 100 bytes into 4.
        let mut buf = [0xee; 4 + 12 + 4];
        TraceHeader {
            namespace_id: 0,
            node_len: 0,
            overflow: false,
            remaining_len: 1,
            trace_type: 0xfffffc,
        }
        .write(&mut buf[4..])
        .unwrap();
        buf[12..16].fill(0);
        let before = buf;
        assert_eq!(
            fill_node(&mut buf[4..16], &NODE),
            FillOutcome::Malformed(Malformed::NodeLenMismatch)
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn malformed_remlen_too_big() {
        let (mut buf, len) = trace(trace_bit(0), 4);
        let before = buf;
        // The option ends one word early.
        assert_eq!(
            fill_node(&mut buf[4..len], &NODE),
            FillOutcome::Malformed(Malformed::RemainingLenTooBig)
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn malformed_truncated() {
        let mut b = [0u8; 7];
        assert_eq!(
            fill_node(&mut b, &NODE),
            FillOutcome::Malformed(Malformed::Truncated)
        );
        assert_eq!(b, [0; 7]);
    }

    #[test]
    fn malformed_names_and_messages() {
        for m in [
            Malformed::Truncated,
            Malformed::NodeLenMismatch,
            Malformed::RemainingLenTooBig,
            Malformed::InvalidSchema,
        ] {
            assert!(!m.name().is_empty() && !m.name().contains(' '));
            assert!(!m.message().is_empty());
        }
    }
}
