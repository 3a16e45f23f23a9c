// SPDX-License-Identifier: GPL-2.0
//! The Pre-allocated Trace option's type field and the Opaque State Snapshot (RFC 9197).

/// Trace-type bits, numbered as in RFC 9197 §4.4.1 (bit 0 is the most significant of 24).
pub const fn trace_bit(n: u32) -> u32 {
    0x0080_0000 >> n
}

/// Bits 0-7 and 11: one 4-byte field each.
const SHORT_FIELDS: u32 = 0x00ff_1000;
/// Bits 8-10: one 8-byte field each.
const WIDE_FIELDS: u32 = 0x0000_e000;
/// Bits 12-21: undefined, one 4-byte field each when a transit node meets them.
pub const UNDEFINED_BITS: u32 = 0x0000_0ffc;
/// Bit 22: Opaque State Snapshot, variable length (not part of NodeLen).
pub const OSS_BIT: u32 = trace_bit(22);
/// Bit 23: reserved.
pub const RESERVED_BIT: u32 = trace_bit(23);

/// NodeLen (in 4-byte units) of a 24-bit trace type: every fixed-size field, including
/// the undefined bits 12-21, but not the variable-length Opaque State Snapshot.
// Three table lookups: the kernel is built for x86-64 without `popcnt`, where each
// `count_ones` is a dozen instructions, and every filled packet needs NodeLen more than once.
#[allow(clippy::indexing_slicing)] // A byte indexes a table of 256.
pub const fn node_len(trace_type: u32) -> u32 {
    let [_, high, middle, low] = trace_type.to_be_bytes();
    // Each entry is at most 8 * 2: the sum cannot wrap.
    (NODE_LEN_BY_BYTE[0][high as usize] as u32)
        .wrapping_add(NODE_LEN_BY_BYTE[1][middle as usize] as u32)
        .wrapping_add(NODE_LEN_BY_BYTE[2][low as usize] as u32)
}

/// The words each byte of a trace type adds to NodeLen, most significant byte first.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)] // Evaluated at compile time.
const NODE_LEN_BY_BYTE: [[u8; 256]; 3] = {
    let mut table = [[0u8; 256]; 3];
    let mut byte = 0;
    while byte < 3 {
        let shift = 16 - 8 * byte;
        let mut value = 0;
        while value < 256 {
            table[byte][value] = node_len_counted((value as u32) << shift) as u8;
            value += 1;
        }
        byte += 1;
    }
    table
};

/// NodeLen by counting the field bits (what the table holds).
const fn node_len_counted(trace_type: u32) -> u32 {
    let t = trace_type & 0x00ff_ffff;
    // At most 24 bits are set, so neither operation can wrap.
    let short = (t & (SHORT_FIELDS | UNDEFINED_BITS)).count_ones();
    let wide = (t & WIDE_FIELDS).count_ones();
    short.wrapping_add(wide.wrapping_mul(2))
}

/// Header word of an Opaque State Snapshot: length in 4-byte words (8 bits), schema id (24 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OssHeader {
    /// Length of the snapshot data in 4-byte words.
    pub words: u8,
    /// Schema id.
    pub schema_id: u32,
}

/// The schema id of the "no schema" header (all 24 bits set).
pub const SCHEMA_ID_NONE: u32 = 0x00ff_ffff;
/// Largest schema id a schema can have: with [`SCHEMA_ID_NONE`] and no data, its header would
/// read "no schema".
pub const SCHEMA_ID_MAX: u32 = SCHEMA_ID_NONE - 1;
/// Largest snapshot data: 255 words.
pub const SCHEMA_DATA_MAX: usize = 255 * 4;

impl OssHeader {
    /// The header for `len` bytes of schema data (padded to whole words), or `None` when the id
    /// is above [`SCHEMA_ID_MAX`] or the data does not fit in 255 words.
    pub const fn new(schema_id: u32, len: usize) -> Option<Self> {
        if schema_id > SCHEMA_ID_MAX || len > SCHEMA_DATA_MAX {
            return None;
        }
        // Cannot overflow or truncate: len <= 1020, so the word count is <= 255.
        let words = len.div_ceil(4) as u8;
        Some(Self { words, schema_id })
    }

    /// The header when no schema is bound: length 0, schema id 0xFFFFFF.
    pub const NONE: Self = Self {
        words: 0,
        schema_id: SCHEMA_ID_NONE,
    };

    /// The header's wire form, in network byte order.
    pub const fn to_bytes(self) -> [u8; 4] {
        ((self.words as u32) << 24 | (self.schema_id & SCHEMA_ID_NONE)).to_be_bytes()
    }

    /// Parses a header word.
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        let v = u32::from_be_bytes(bytes);
        Self {
            words: (v >> 24) as u8,
            schema_id: v & SCHEMA_ID_NONE,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn node_len_counts_fixed_fields() {
        assert_eq!(node_len(trace_bit(0)), 1);
        assert_eq!(node_len(trace_bit(8)), 2);
        assert_eq!(node_len(trace_bit(11)), 1);
        assert_eq!(node_len(trace_bit(12)), 1);
        assert_eq!(node_len(trace_bit(21)), 1);
        assert_eq!(node_len(OSS_BIT), 0);
        assert_eq!(node_len(RESERVED_BIT), 0);
        // The full supported trace: bits 0-11 and 22.
        assert_eq!(node_len(0xfff002), 8 + 3 * 2 + 1);
        // Bits above the 24-bit field are ignored.
        assert_eq!(node_len(0xff80_0000), 1);
    }

    #[test]
    fn node_len_table_counts_as_the_bits() {
        for t in 0..=0x00ff_ffffu32 {
            assert_eq!(node_len(t), node_len_counted(t), "type {t:#08x}");
        }
    }

    #[test]
    fn oss_header_round_trip() {
        let h = OssHeader::new(777, 5).unwrap();
        assert_eq!(h.words, 2);
        assert_eq!(h.to_bytes(), [2, 0, 0x03, 0x09]);
        assert_eq!(OssHeader::from_bytes(h.to_bytes()), h);
        assert_eq!(OssHeader::NONE.to_bytes(), [0, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn oss_header_limits() {
        assert!(OssHeader::new(SCHEMA_ID_MAX, SCHEMA_DATA_MAX).is_some());
        assert_eq!(
            OssHeader::new(SCHEMA_ID_MAX, SCHEMA_DATA_MAX)
                .unwrap()
                .words,
            255
        );
        assert!(OssHeader::new(SCHEMA_ID_MAX + 1, 4).is_none());
        // An empty schema with that id would be indistinguishable from "no schema".
        assert!(OssHeader::new(SCHEMA_ID_NONE, 0).is_none());
        assert_eq!(
            OssHeader::from_bytes(OssHeader::NONE.to_bytes()).schema_id,
            SCHEMA_ID_NONE
        );
        assert!(OssHeader::new(1, SCHEMA_DATA_MAX + 1).is_none());
        assert_eq!(OssHeader::new(1, 0).unwrap().words, 0);
    }
}
