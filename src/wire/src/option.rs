// SPDX-License-Identifier: GPL-2.0
//! The IOAM option (RFC 9486 §3), the Pre-allocated Trace option header (RFC 9197 §4.4),
//! the validation of an encapsulating node's trace configuration, and the Hop-by-Hop header
//! that node inserts.

use super::trace::{node_len, RESERVED_BIT, UNDEFINED_BITS};

/// IPv6 option type of IOAM in a Hop-by-Hop header (RFC 9486: 0x31, "may change" bit set).
pub const IPV6_TLV_IOAM: u8 = 49;
/// IPv6 option type Pad1: one zero byte, without a length byte.
pub const IPV6_TLV_PAD1: u8 = 0;
/// IPv6 option type PadN: type, length, then `length` zero bytes.
pub const IPV6_TLV_PADN: u8 = 1;
/// IOAM Option-Type of the Pre-allocated Trace option.
pub const IOAM_TYPE_PREALLOC: u8 = 0;
/// Largest trace data of a Pre-allocated Trace option, in bytes: `opt_len` = 10 + 244 = 254.
pub const TRACE_DATA_MAX: usize = 244;

/// Length of the IOAM option header: option type, option length, reserved, IOAM Option-Type.
pub const IOAM_HDR_LEN: usize = 4;
/// Length of the Pre-allocated Trace header.
pub const TRACE_HDR_LEN: usize = 8;
/// Smallest `opt_len` of a Pre-allocated Trace option: reserved byte, IOAM Option-Type and
/// trace header, without data.
pub const TRACE_OPT_LEN_MIN: usize = 10;

/// Largest NodeLen (5 bits).
pub const NODE_LEN_MAX: u8 = 0x1f;
/// Largest RemainingLen (7 bits).
pub const REMAINING_LEN_MAX: u8 = 0x7f;
/// Largest trace type (24 bits).
pub const TRACE_TYPE_MAX: u32 = 0x00ff_ffff;

/// Offset in the trace header of the byte holding NodeLen and the Overflow flag.
const NODE_LEN_BYTE: usize = 2;
/// Offset in the trace header of the byte holding RemainingLen.
const REMAINING_LEN_BYTE: usize = 3;
/// The Overflow flag in the NodeLen byte.
const OVERFLOW_FLAG: u8 = 0x04;

/// An error while writing a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The output buffer is too short.
    BufferTooShort,
    /// A field does not fit its width on the wire (NodeLen 5 bits, RemainingLen 7, type 24).
    FieldOutOfRange,
    /// The trace configuration is invalid.
    Encap(EncapError),
    /// The Direct Export configuration is invalid.
    Dex(super::dex::DexError),
}

/// The Pre-allocated Trace option header (RFC 9197 §4.4.1), 8 bytes in network order:
///
/// ```text
/// 0       2                 3                  4                  8
/// | ns id | NodeLen(5) O 0 0 | 0 RemainingLen(7) | type(24) rsv(8) |
/// ```
///
/// The Loopback and Active flags (RFC 9322) and the reserved bits are neither kept by
/// [`TraceHeader::parse`] nor written by [`TraceHeader::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceHeader {
    /// IOAM namespace.
    pub namespace_id: u16,
    /// Length of one node's data in 4-byte units, without the Opaque State Snapshot (5 bits).
    pub node_len: u8,
    /// Overflow flag: a node had no room for its data.
    pub overflow: bool,
    /// Free space left in the trace data, in 4-byte units (7 bits).
    pub remaining_len: u8,
    /// Trace type (24 bits, bit 0 the most significant).
    pub trace_type: u32,
}

impl TraceHeader {
    /// Parses the first 8 bytes of `bytes`, or `None` when it is shorter.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        bytes.first_chunk().map(|b| Self::from_bytes(*b))
    }

    /// Parses a trace header.
    pub const fn from_bytes(b: [u8; TRACE_HDR_LEN]) -> Self {
        Self {
            namespace_id: u16::from_be_bytes([b[0], b[1]]),
            node_len: b[NODE_LEN_BYTE] >> 3,
            overflow: b[NODE_LEN_BYTE] & OVERFLOW_FLAG != 0,
            remaining_len: b[REMAINING_LEN_BYTE] & REMAINING_LEN_MAX,
            trace_type: u32::from_be_bytes([b[4], b[5], b[6], b[7]]) >> 8,
        }
    }

    /// The header's wire form, with the flags and reserved bits other than Overflow zero, or
    /// [`WireError::FieldOutOfRange`] when a field does not fit its width.
    pub const fn to_bytes(&self) -> Result<[u8; TRACE_HDR_LEN], WireError> {
        if self.node_len > NODE_LEN_MAX
            || self.remaining_len > REMAINING_LEN_MAX
            || self.trace_type > TRACE_TYPE_MAX
        {
            return Err(WireError::FieldOutOfRange);
        }
        let ns = self.namespace_id.to_be_bytes();
        let flags = if self.overflow { OVERFLOW_FLAG } else { 0 };
        let t = (self.trace_type << 8).to_be_bytes();
        Ok([
            ns[0],
            ns[1],
            self.node_len << 3 | flags,
            self.remaining_len,
            t[0],
            t[1],
            t[2],
            t[3],
        ])
    }

    /// Writes the header into the first 8 bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let out: &mut [u8; TRACE_HDR_LEN] =
            buf.first_chunk_mut().ok_or(WireError::BufferTooShort)?;
        *out = self.to_bytes()?;
        Ok(())
    }
}

/// The Overflow flag of the trace header starting at `trace_hdr`, or `None` when too short.
pub fn overflow_flag(trace_hdr: &[u8]) -> Option<bool> {
    trace_hdr.get(NODE_LEN_BYTE).map(|b| b & OVERFLOW_FLAG != 0)
}

/// Sets the Overflow flag of the trace header starting at `trace_hdr`, in place.
pub fn set_overflow_flag(trace_hdr: &mut [u8]) -> Result<(), WireError> {
    set_flag_bits(trace_hdr, OVERFLOW_FLAG)
}

/// Sets `bits` (flags: Overflow 0x04, Loopback 0x02, Active 0x01) in the NodeLen byte of the
/// trace header starting at `trace_hdr`, in place, leaving the others.
pub(crate) fn set_flag_bits(trace_hdr: &mut [u8], bits: u8) -> Result<(), WireError> {
    let b = trace_hdr
        .get_mut(NODE_LEN_BYTE)
        .ok_or(WireError::BufferTooShort)?;
    *b |= bits;
    Ok(())
}

/// The trace type word of the trace header starting at `trace_hdr` as on the wire: the 24-bit
/// type and the reserved octet below it (what the kernel's trace event carries), or `None`
/// when too short.
pub fn trace_type_word(trace_hdr: &[u8]) -> Option<u32> {
    trace_hdr
        .get(4..TRACE_HDR_LEN)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
}

/// The RemainingLen of the trace header starting at `trace_hdr`, or `None` when too short.
pub fn remaining_len(trace_hdr: &[u8]) -> Option<u8> {
    trace_hdr
        .get(REMAINING_LEN_BYTE)
        .map(|b| b & REMAINING_LEN_MAX)
}

/// Sets the RemainingLen of the trace header starting at `trace_hdr`, in place; the reserved
/// flag bit sharing its byte is kept.
pub fn set_remaining_len(trace_hdr: &mut [u8], remaining_len: u8) -> Result<(), WireError> {
    if remaining_len > REMAINING_LEN_MAX {
        return Err(WireError::FieldOutOfRange);
    }
    let b = trace_hdr
        .get_mut(REMAINING_LEN_BYTE)
        .ok_or(WireError::BufferTooShort)?;
    *b = (*b & !REMAINING_LEN_MAX) | remaining_len;
    Ok(())
}

/// Why an encapsulating node's trace configuration (trace type and data size) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapError {
    /// The trace type has no bit set.
    TypeZero,
    /// The trace type has bits above the 24 of the field.
    TypeTooWide,
    /// The trace type has one of the undefined bits 12-21.
    UndefinedBits,
    /// The trace type has the reserved bit 23.
    ReservedBit,
    /// The data size is not a multiple of 4 bytes.
    SizeNotMultipleOf4,
    /// The data size is not in 4..=244 bytes.
    SizeOutOfRange,
}

impl EncapError {
    /// A one-line explanation, for a netlink extended ack.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::TypeZero => "trace type must not be 0",
            Self::TypeTooWide => "trace type must fit in 24 bits",
            Self::UndefinedBits => "trace type uses undefined bits 12-21",
            Self::ReservedBit => "trace type uses reserved bit 23",
            Self::SizeNotMultipleOf4 => "trace size must be a multiple of 4",
            Self::SizeOutOfRange => "trace size must be between 4 and 244",
        }
    }
}

/// Checks an encapsulating node's trace configuration: `trace_type` (24 bits, bit 0 the most
/// significant) and `data_len`, the bytes of trace data to pre-allocate.
///
/// A size smaller than one node's data is allowed: the first node then sets the Overflow flag.
pub const fn validate_encap(trace_type: u32, data_len: usize) -> Result<(), EncapError> {
    if trace_type == 0 {
        Err(EncapError::TypeZero)
    } else if trace_type > TRACE_TYPE_MAX {
        Err(EncapError::TypeTooWide)
    } else if trace_type & UNDEFINED_BITS != 0 {
        Err(EncapError::UndefinedBits)
    } else if trace_type & RESERVED_BIT != 0 {
        Err(EncapError::ReservedBit)
    } else if data_len & 3 != 0 {
        Err(EncapError::SizeNotMultipleOf4)
    } else if data_len < 4 || data_len > TRACE_DATA_MAX {
        Err(EncapError::SizeOutOfRange)
    } else {
        Ok(())
    }
}

/// Length of the Hop-by-Hop header up to the trace data: next header, header length, PadN,
/// IOAM option header and trace header.
const HBH_FIXED_LEN: usize = 8 + TRACE_HDR_LEN;
/// The PadN that makes the IOAM option 4n-aligned.
const LEADING_PADN: [u8; 2] = [IPV6_TLV_PADN, 0];
/// The PadN after trace data that is not a multiple of 8 bytes.
const TRAILING_PADN: [u8; 4] = [IPV6_TLV_PADN, 2, 0, 0];

/// Length of the Hop-by-Hop header [`write_hbh`] builds for `data_len` bytes of trace data: 16
/// bytes of headers plus the data rounded up to 8 bytes.
pub const fn hbh_len(data_len: usize) -> usize {
    HBH_FIXED_LEN.saturating_add(data_len.saturating_add(7) & !7)
}

/// Largest Hop-by-Hop header [`write_hbh`] builds (264 bytes).
pub const HBH_LEN_MAX: usize = hbh_len(TRACE_DATA_MAX);

/// Writes the Hop-by-Hop header an encapsulating node inserts, holding one empty Pre-allocated
/// Trace option, into the start of `buf`, and returns its length ([`hbh_len`]`(data_len)`).
///
/// The configuration is checked with [`validate_encap`]. NodeLen is computed from the trace
/// type, the Overflow flag is clear and RemainingLen is `data_len / 4`. The layout (offsets in
/// bytes, as upstream Linux's `ioam6_lwt_encap`):
///
/// ```text
/// 0   next header
/// 1   header length: total / 8 - 1
/// 2   PadN {1, 0}: the IOAM option starts 4n-aligned
/// 4   IOAM option: type 49, opt_len = 2 + 8 + data_len, reserved 0, IOAM type 0 (Pre-allocated)
/// 8   trace header: namespace, NodeLen, O = 0, RemainingLen = data_len / 4, trace type
/// 16  data_len zero bytes
/// ... PadN {1, 2, 0, 0}, only when data_len % 8 != 0, so the total is a multiple of 8
/// ```
pub fn write_hbh(
    buf: &mut [u8],
    next_header: u8,
    namespace_id: u16,
    trace_type: u32,
    data_len: usize,
) -> Result<usize, WireError> {
    validate_encap(trace_type, data_len).map_err(WireError::Encap)?;
    let total = hbh_len(data_len);
    // Checked above: data_len <= 244, so total <= 264 and opt_len <= 254.
    let hdr_ext_len =
        u8::try_from((total >> 3).wrapping_sub(1)).map_err(|_| WireError::FieldOutOfRange)?;
    let opt_len = u8::try_from(data_len.wrapping_add(TRACE_OPT_LEN_MIN))
        .map_err(|_| WireError::FieldOutOfRange)?;
    let header = TraceHeader {
        namespace_id,
        node_len: u8::try_from(node_len(trace_type)).map_err(|_| WireError::FieldOutOfRange)?,
        overflow: false,
        remaining_len: u8::try_from(data_len >> 2).map_err(|_| WireError::FieldOutOfRange)?,
        trace_type,
    };
    let trace = header.to_bytes()?;

    let out = buf.get_mut(..total).ok_or(WireError::BufferTooShort)?;
    let (fixed, rest) = out
        .split_first_chunk_mut::<8>()
        .ok_or(WireError::BufferTooShort)?;
    *fixed = [
        next_header,
        hdr_ext_len,
        LEADING_PADN[0],
        LEADING_PADN[1],
        IPV6_TLV_IOAM,
        opt_len,
        0,
        IOAM_TYPE_PREALLOC,
    ];
    let (trace_out, rest) = rest
        .split_first_chunk_mut::<TRACE_HDR_LEN>()
        .ok_or(WireError::BufferTooShort)?;
    *trace_out = trace;
    let (data, pad) = rest
        .split_at_mut_checked(data_len)
        .ok_or(WireError::BufferTooShort)?;
    data.fill(0);
    if !pad.is_empty() {
        let pad: &mut [u8; 4] = pad.try_into().map_err(|_| WireError::BufferTooShort)?;
        *pad = TRAILING_PADN;
    }
    Ok(total)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::super::trace::{trace_bit, OSS_BIT};
    use super::*;

    const FULL: u32 = 0xfff002;

    #[test]
    fn constants() {
        assert_eq!(HBH_LEN_MAX, 264);
        assert_eq!(TRACE_OPT_LEN_MIN, 2 + TRACE_HDR_LEN);
        assert_eq!(hbh_len(4), 24);
        assert_eq!(hbh_len(8), 24);
        assert_eq!(hbh_len(12), 32);
        assert_eq!(hbh_len(usize::MAX), usize::MAX);
    }

    #[test]
    fn trace_header_parse_and_write() {
        let bytes = [0x12, 0x34, 0x7c, 0x83, 0xff, 0xf0, 0x02, 0xaa];
        let h = TraceHeader::parse(&bytes).unwrap();
        assert_eq!(
            h,
            TraceHeader {
                namespace_id: 0x1234,
                node_len: 15,
                overflow: true,
                remaining_len: 3,
                trace_type: FULL,
            }
        );
        // The reserved bits (here 0x80 of byte 3 and the low byte of the type) are not kept.
        let mut out = [0xee; 9];
        h.write(&mut out).unwrap();
        assert_eq!(out, [0x12, 0x34, 0x7c, 0x03, 0xff, 0xf0, 0x02, 0x00, 0xee]);
        assert_eq!(TraceHeader::parse(&out), Some(h));
        // Unused flag bits (L, A) are ignored on parse.
        assert!(!TraceHeader::from_bytes([0, 0, 0x03, 0, 0, 0, 0, 0]).overflow);
    }

    #[test]
    fn trace_type_word_keeps_the_reserved_octet() {
        let bytes = [0x12, 0x34, 0x7c, 0x83, 0xff, 0xf0, 0x02, 0xaa, 0xee];
        assert_eq!(trace_type_word(&bytes), Some(0xfff0_02aa));
        assert_eq!(trace_type_word(&bytes[..7]), None);
    }

    #[test]
    fn trace_header_short_or_out_of_range() {
        assert_eq!(TraceHeader::parse(&[0; 7]), None);
        let h = TraceHeader::from_bytes([0; 8]);
        assert_eq!(h.write(&mut [0; 7]), Err(WireError::BufferTooShort));
        for bad in [
            TraceHeader { node_len: 32, ..h },
            TraceHeader {
                remaining_len: 128,
                ..h
            },
            TraceHeader {
                trace_type: 0x0100_0000,
                ..h
            },
        ] {
            assert_eq!(bad.write(&mut [0; 8]), Err(WireError::FieldOutOfRange));
        }
        let max = TraceHeader {
            namespace_id: u16::MAX,
            node_len: NODE_LEN_MAX,
            overflow: true,
            remaining_len: REMAINING_LEN_MAX,
            trace_type: TRACE_TYPE_MAX,
        };
        assert_eq!(
            max.to_bytes(),
            Ok([0xff, 0xff, 0xfc, 0x7f, 0xff, 0xff, 0xff, 0])
        );
    }

    #[test]
    fn in_place_accessors() {
        let mut b = [0, 1, 0x78, 0x80 | 5, 0, 0, 0, 0];
        assert_eq!(overflow_flag(&b), Some(false));
        assert_eq!(remaining_len(&b), Some(5));
        set_overflow_flag(&mut b).unwrap();
        assert_eq!(b[2], 0x7c);
        assert_eq!(overflow_flag(&b), Some(true));
        set_remaining_len(&mut b, 2).unwrap();
        // The reserved bit is kept.
        assert_eq!(b[3], 0x82);
        assert_eq!(remaining_len(&b), Some(2));
        assert_eq!(
            set_remaining_len(&mut b, 128),
            Err(WireError::FieldOutOfRange)
        );
        assert_eq!(b[3], 0x82);

        let mut short = [0u8; 3];
        assert_eq!(remaining_len(&short), None);
        assert_eq!(
            set_remaining_len(&mut short, 1),
            Err(WireError::BufferTooShort)
        );
        assert_eq!(overflow_flag(&short[..2]), None);
        assert_eq!(
            set_overflow_flag(&mut short[..2]),
            Err(WireError::BufferTooShort)
        );
        assert_eq!(set_overflow_flag(&mut short), Ok(()));
    }

    #[test]
    fn validate_encap_rules() {
        assert_eq!(validate_encap(0, 4), Err(EncapError::TypeZero));
        assert_eq!(validate_encap(0x0100_0000, 4), Err(EncapError::TypeTooWide));
        for bit in 12..=21 {
            assert_eq!(
                validate_encap(trace_bit(bit), 4),
                Err(EncapError::UndefinedBits)
            );
        }
        assert_eq!(
            validate_encap(RESERVED_BIT, 4),
            Err(EncapError::ReservedBit)
        );
        assert_eq!(
            validate_encap(trace_bit(0) | RESERVED_BIT, 4),
            Err(EncapError::ReservedBit)
        );
        for size in [1, 2, 3, 5, 6, 7, 243, 245, 246, 247] {
            assert_eq!(
                validate_encap(FULL, size),
                Err(EncapError::SizeNotMultipleOf4)
            );
        }
        for size in [0, 248, 252, 256, 1024] {
            assert_eq!(validate_encap(FULL, size), Err(EncapError::SizeOutOfRange));
        }
        for bit in (0..=11).chain([22]) {
            assert_eq!(validate_encap(trace_bit(bit), 4), Ok(()));
        }
        // Smaller than one node (60 bytes plus the snapshot header): allowed.
        assert_eq!(validate_encap(FULL, 4), Ok(()));
        assert_eq!(validate_encap(OSS_BIT, 244), Ok(()));
        // Every variant has a message.
        for e in [
            EncapError::TypeZero,
            EncapError::TypeTooWide,
            EncapError::UndefinedBits,
            EncapError::ReservedBit,
            EncapError::SizeNotMultipleOf4,
            EncapError::SizeOutOfRange,
        ] {
            assert!(!e.message().is_empty());
        }
    }

    fn golden(data_len: usize) -> ([u8; HBH_LEN_MAX + 8], usize) {
        let mut buf = [0xee; HBH_LEN_MAX + 8];
        let n = write_hbh(&mut buf, 58, 0x1234, FULL, data_len).unwrap();
        assert_eq!(n, hbh_len(data_len));
        // Nothing written past the header.
        assert!(buf[n..].iter().all(|&b| b == 0xee));
        (buf, n)
    }

    #[test]
    fn write_hbh_golden_4() {
        let (buf, n) = golden(4);
        #[rustfmt::skip]
        let want = [
            58, 2, 1, 0, 49, 14, 0, 0,
            0x12, 0x34, 15 << 3, 1, 0xff, 0xf0, 0x02, 0x00,
            0, 0, 0, 0, 1, 2, 0, 0,
        ];
        assert_eq!(&buf[..n], &want);
    }

    #[test]
    fn write_hbh_golden_8() {
        let (buf, n) = golden(8);
        #[rustfmt::skip]
        let want = [
            58, 2, 1, 0, 49, 18, 0, 0,
            0x12, 0x34, 15 << 3, 2, 0xff, 0xf0, 0x02, 0x00,
            0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(&buf[..n], &want);
    }

    #[test]
    fn write_hbh_golden_12() {
        let (buf, n) = golden(12);
        #[rustfmt::skip]
        let want = [
            58, 3, 1, 0, 49, 22, 0, 0,
            0x12, 0x34, 15 << 3, 3, 0xff, 0xf0, 0x02, 0x00,
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 1, 2, 0, 0,
        ];
        assert_eq!(&buf[..n], &want);
    }

    #[test]
    fn write_hbh_golden_244() {
        let (buf, n) = golden(244);
        assert_eq!(n, 264);
        #[rustfmt::skip]
        let head = [
            58, 32, 1, 0, 49, 254, 0, 0,
            0x12, 0x34, 15 << 3, 61, 0xff, 0xf0, 0x02, 0x00,
        ];
        assert_eq!(&buf[..16], &head);
        assert!(buf[16..16 + 244].iter().all(|&b| b == 0));
        assert_eq!(&buf[260..264], &[1, 2, 0, 0]);
    }

    #[test]
    fn write_hbh_errors() {
        let mut buf = [0u8; HBH_LEN_MAX];
        assert_eq!(
            write_hbh(&mut buf, 6, 0, 0, 4),
            Err(WireError::Encap(EncapError::TypeZero))
        );
        assert_eq!(
            write_hbh(&mut buf, 6, 0, FULL, 248),
            Err(WireError::Encap(EncapError::SizeOutOfRange))
        );
        assert_eq!(
            write_hbh(&mut buf, 6, 0, FULL, 6),
            Err(WireError::Encap(EncapError::SizeNotMultipleOf4))
        );
        assert_eq!(
            write_hbh(&mut buf[..23], 6, 0, FULL, 4),
            Err(WireError::BufferTooShort)
        );
        assert_eq!(write_hbh(&mut buf[..24], 6, 0, FULL, 4), Ok(24));
    }
}
