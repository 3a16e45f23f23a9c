// SPDX-License-Identifier: GPL-2.0
//! The two fields of a node's trace entry that belong to the moment the packet leaves the
//! node, not to the moment it arrives (RFC 9197 §4.4.2.5, §4.4.2.7): transit delay (bit 4)
//! and queue depth (bit 6). A node writes its entry on receive with both unavailable and
//! completes them at its egress, at the offsets found here.

use super::{
    option::{TraceHeader, TRACE_HDR_LEN},
    trace::{node_len, trace_bit},
};

/// Transit delay: nanoseconds the packet spent in the node.
pub const TRANSIT_DELAY_BIT: u32 = trace_bit(4);
/// Queue depth: the egress queue's backlog as the packet leaves.
pub const QUEUE_DEPTH_BIT: u32 = trace_bit(6);
/// The trace type bits completed at the egress.
pub const EGRESS_BITS: u32 = TRANSIT_DELAY_BIT | QUEUE_DEPTH_BIT;

/// RFC 9197 §4.4.2.5: the largest transit delay the field holds; beyond it, the top bit says
/// "overflow" and the value is `0x80000000`.
const TRANSIT_DELAY_MAX: u32 = 0x7fff_ffff;
const TRANSIT_DELAY_OVERFLOW: u32 = 0x8000_0000;

/// Where the egress fields of one node entry lie, as offsets from the trace header (the first
/// byte of its Namespace-ID); `None` for a field the trace type does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EgressFields {
    /// The transit delay field.
    pub transit_delay: Option<usize>,
    /// The queue depth field.
    pub queue_depth: Option<usize>,
}

impl EgressFields {
    /// The egress fields of the entry at `entry` bytes from the trace header, for trace type
    /// `trace_type`.
    pub fn of(trace_type: u32, entry: usize) -> Self {
        let at = |bit: u32| short_field_offset(trace_type, bit).and_then(|o| entry.checked_add(o));
        Self {
            transit_delay: at(4),
            queue_depth: at(6),
        }
    }

    /// Whether the entry has neither field.
    pub fn is_empty(&self) -> bool {
        self.transit_delay.is_none() && self.queue_depth.is_none()
    }
}

/// The offset in a node entry of trace type `trace_type` of the 4-octet field of bit `bit`
/// (0 to 7: the fields in front of it are all 4 octets), or `None` when the type lacks it.
pub const fn short_field_offset(trace_type: u32, bit: u32) -> Option<usize> {
    if bit > 7 || trace_type & trace_bit(bit) == 0 {
        return None;
    }
    // The bits numbered below `bit` are the more significant ones of the 24.
    let before = trace_type & 0x00ff_ffff & !(trace_bit(bit) << 1).wrapping_sub(1);
    // At most 7 fields of 4 octets, all among bits 0-7: NodeLen counts them (by table).
    Some((node_len(before) as usize).wrapping_mul(4))
}

/// Where the entry a node has just written into a Pre-allocated Trace lies, from the trace
/// header `trace_hdr` after the write: in front of the earlier nodes' data, at RemainingLen.
pub fn prealloc_entry_offset(trace_hdr: &[u8; TRACE_HDR_LEN]) -> usize {
    let words = TraceHeader::from_bytes(*trace_hdr).remaining_len;
    // RemainingLen is at most 127.
    TRACE_HDR_LEN.wrapping_add(usize::from(words).wrapping_mul(4))
}

/// Where the entry a node has just inserted into an Incremental Trace lies: right behind the
/// trace header.
pub const INCREMENTAL_ENTRY_OFFSET: usize = TRACE_HDR_LEN;

/// The transit delay field for a stay of `ns` nanoseconds (a clock that went back: 0).
pub fn transit_delay_field(ns: i64) -> u32 {
    match u32::try_from(ns.max(0)) {
        Ok(d) if d <= TRANSIT_DELAY_MAX => d,
        _ => TRANSIT_DELAY_OVERFLOW,
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::super::fill::{fill_node, tests::NODE, FillOutcome};
    use super::*;

    #[test]
    fn offsets_count_the_fields_in_front() {
        assert_eq!(short_field_offset(0x08_0000, 4), Some(0));
        assert_eq!(short_field_offset(0xf8_0000, 4), Some(16));
        assert_eq!(short_field_offset(0xfe_0000, 6), Some(24));
        assert_eq!(short_field_offset(0xa2_0000, 6), Some(8));
        // Wide fields and later bits lie behind, never in front.
        assert_eq!(short_field_offset(0x0a_e000, 4), Some(0));
        assert_eq!(short_field_offset(0x02_ffff, 6), Some(0));
        assert_eq!(short_field_offset(0xf7_0000, 4), None);
        assert_eq!(short_field_offset(0xff_ffff, 8), None);
    }

    #[test]
    fn egress_fields_of_a_filled_prealloc_trace() {
        // Type bits 0, 4 and 6 (3 words), room for two nodes.
        let t = 0x8a_0000u32;
        let mut opt = [0u8; TRACE_HDR_LEN + 24];
        opt[2] = 3 << 3;
        opt[3] = 6;
        opt[4..8].copy_from_slice(&(t << 8).to_be_bytes());
        assert_eq!(fill_node(&mut opt, &NODE), FillOutcome::Filled);
        let entry = prealloc_entry_offset(opt.first_chunk().unwrap());
        assert_eq!(entry, TRACE_HDR_LEN + 12);
        let fields = EgressFields::of(t, entry);
        let delay = fields.transit_delay.unwrap();
        let queue = fields.queue_depth.unwrap();
        assert_eq!(opt[delay..delay + 4], NODE.transit_delay.to_be_bytes());
        assert_eq!(opt[queue..queue + 4], NODE.queue_depth.to_be_bytes());
        assert!(EgressFields::of(0x80_0000, entry).is_empty());
    }

    #[test]
    fn transit_delay_saturates_with_the_overflow_bit() {
        assert_eq!(transit_delay_field(0), 0);
        assert_eq!(transit_delay_field(12_345), 12_345);
        assert_eq!(transit_delay_field(0x7fff_ffff), 0x7fff_ffff);
        assert_eq!(transit_delay_field(0x8000_0000), 0x8000_0000);
        assert_eq!(transit_delay_field(i64::MAX), 0x8000_0000);
        assert_eq!(transit_delay_field(-5), 0);
    }
}
