// SPDX-License-Identifier: GPL-2.0
//! Shared by the fuzz targets and the seed generator: the layout of a `hbh_walk_fill` input and
//! the oracle that a node parsed back holds what the filler was given.
//!
//! A `hbh_walk_fill` input is, in network byte order:
//!
//! ```text
//! 0   61  the node's values, in NodeData field order: hop_limit u8, node_id u32,
//!         ingress_if u16, egress_if u16, ts_secs, ts_frac, transit_delay, namespace_data,
//!         queue_depth, checksum_complement u32, node_id_wide u64, ingress_if_wide u32,
//!         egress_if_wide u32, namespace_data_wide u64, buffer_occupancy u32
//! 61  1   the Hop-by-Hop header's offset in the packet, minus 40 (not 0 mod 4: misaligned)
//! 62  2   the schema: 0xFFFF for none, else its data length (low 11 bits, up to 2047)
//! 64  4   the schema id (more than 24 bits is refused by the filler)
//! 68  n   the schema data, n bytes
//! ... the Hop-by-Hop header, from its next-header byte, and whatever follows it
//! ```
//!
//! Missing bytes read as zero.

use ioam_wire::fill::NodeData;
use ioam_wire::parse::{check_filled, ParsedNode};
use ioam_wire::trace::{node_len, OssHeader, OSS_BIT, SCHEMA_ID_NONE};

/// Length of the fixed part of a `hbh_walk_fill` input, before the schema data.
pub const FIXED_LEN: usize = 68;
/// The schema length that means no schema.
pub const NO_SCHEMA: u16 = 0xffff;

/// A decoded `hbh_walk_fill` input.
#[derive(Debug)]
pub struct Input<'a> {
    /// The node to fill.
    pub node: NodeData<'a>,
    /// Offset of the Hop-by-Hop header from the start of the IPv6 header.
    pub hbh_offset: usize,
    /// The Hop-by-Hop header and the rest of the packet.
    pub hbh: &'a [u8],
}

/// Reads big-endian values from the front of a slice, zeros once it runs out.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    fn be<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }

    fn u8(&mut self) -> u8 {
        self.be::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.be())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.be())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.be())
    }
}

impl<'a> Input<'a> {
    /// Decodes fuzzer bytes; never fails.
    pub fn decode(data: &'a [u8]) -> Self {
        let mut r = Reader(data);
        let mut node = NodeData {
            hop_limit: r.u8(),
            node_id: r.u32(),
            ingress_if: r.u16(),
            egress_if: r.u16(),
            ts_secs: r.u32(),
            ts_frac: r.u32(),
            transit_delay: r.u32(),
            namespace_data: r.u32(),
            queue_depth: r.u32(),
            checksum_complement: r.u32(),
            node_id_wide: r.u64(),
            ingress_if_wide: r.u32(),
            egress_if_wide: r.u32(),
            namespace_data_wide: r.u64(),
            buffer_occupancy: r.u32(),
            schema: None,
        };
        let hbh_offset = 40 + usize::from(r.u8());
        let schema_len = r.u16();
        let schema_id = r.u32();
        if schema_len != NO_SCHEMA {
            node.schema = Some((schema_id, r.take(usize::from(schema_len & 0x7ff))));
        }
        Self {
            node,
            hbh_offset,
            hbh: r.0,
        }
    }

    /// Encodes an input that [`Input::decode`] gives back (schema data up to 2047 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let n = &self.node;
        let mut out = vec![n.hop_limit];
        out.extend(n.node_id.to_be_bytes());
        out.extend(n.ingress_if.to_be_bytes());
        out.extend(n.egress_if.to_be_bytes());
        for v in [
            n.ts_secs,
            n.ts_frac,
            n.transit_delay,
            n.namespace_data,
            n.queue_depth,
            n.checksum_complement,
        ] {
            out.extend(v.to_be_bytes());
        }
        out.extend(n.node_id_wide.to_be_bytes());
        out.extend(n.ingress_if_wide.to_be_bytes());
        out.extend(n.egress_if_wide.to_be_bytes());
        out.extend(n.namespace_data_wide.to_be_bytes());
        out.extend(n.buffer_occupancy.to_be_bytes());
        out.push(u8::try_from(self.hbh_offset - 40).expect("offset 40..=295"));
        match n.schema {
            None => {
                out.extend(NO_SCHEMA.to_be_bytes());
                out.extend([0; 4]);
            }
            Some((id, data)) => {
                assert!(data.len() <= 0x7ff);
                out.extend((data.len() as u16).to_be_bytes());
                out.extend(id.to_be_bytes());
                out.extend(data);
            }
        }
        assert_eq!(out.len(), FIXED_LEN + n.schema.map_or(0, |(_, d)| d.len()));
        out.extend(self.hbh);
        out
    }
}

/// Words a node of trace type `t` takes: NodeLen plus, with bit 22, the snapshot header and
/// data (the filler refuses a schema [`OssHeader::new`] refuses: `None` then).
pub fn words_needed(t: u32, schema: Option<(u32, &[u8])>) -> Option<usize> {
    let snapshot = if t & OSS_BIT == 0 {
        0
    } else {
        match schema {
            None => 1,
            Some((id, data)) => 1 + usize::from(OssHeader::new(id, data.len())?.words),
        }
    };
    Some(node_len(t) as usize + snapshot)
}

/// Asserts that `p`, parsed from what the filler wrote for `n` with trace type `t`, holds
/// `n`'s values (see [`check_filled`]).
pub fn check_parsed(t: u32, n: &NodeData<'_>, p: &ParsedNode<'_>) {
    assert_eq!(check_filled(t, n, p), Ok(()), "parsed {p:?}");
}

/// The [`NodeData`] whose fill gives back the bytes `p` was parsed from, when there is one:
/// the hop limits of bits 0 and 8 agree, the undefined words are all-ones.
pub fn node_of<'a>(p: &ParsedNode<'a>) -> Option<NodeData<'a>> {
    let (hop, node_id) = p.hop_limit_node_id.unwrap_or_default();
    let (hop_wide, node_id_wide) = p.hop_limit_node_id_wide.unwrap_or_default();
    let hop_limit = match (p.hop_limit_node_id, p.hop_limit_node_id_wide) {
        (Some(_), Some(_)) if hop != hop_wide => return None,
        (Some(_), _) => hop,
        (_, Some(_)) => hop_wide,
        (None, None) => 0,
    };
    if !p.undefined.iter().all(|&b| b == 0xff) {
        return None;
    }
    let (ingress_if, egress_if) = p.if_ids.unwrap_or_default();
    let (ingress_if_wide, egress_if_wide) = p.if_ids_wide.unwrap_or_default();
    let schema = match p.snapshot {
        // The "no schema" header, which the filler writes when no schema is bound.
        Some(s) if s.schema_id == SCHEMA_ID_NONE && s.data.is_empty() => None,
        // No schema has that id (it would read as "no schema"): the filler never writes it.
        Some(s) if s.schema_id == SCHEMA_ID_NONE => return None,
        s => s.map(|s| (s.schema_id, s.data)),
    };
    Some(NodeData {
        hop_limit,
        node_id,
        ingress_if,
        egress_if,
        ts_secs: p.ts_secs.unwrap_or_default(),
        ts_frac: p.ts_frac.unwrap_or_default(),
        transit_delay: p.transit_delay.unwrap_or_default(),
        namespace_data: p.namespace_data.unwrap_or_default(),
        queue_depth: p.queue_depth.unwrap_or_default(),
        checksum_complement: p.checksum_complement.unwrap_or_default(),
        node_id_wide,
        ingress_if_wide,
        egress_if_wide,
        namespace_data_wide: p.namespace_data_wide.unwrap_or_default(),
        buffer_occupancy: p.buffer_occupancy.unwrap_or_default(),
        schema,
    })
}
