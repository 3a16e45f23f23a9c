// SPDX-License-Identifier: GPL-2.0
//! The Direct Export option (RFC 9326, IOAM Option-Type 4): no node data in the packet, only
//! what each node is to export out of band (namespace, trace type) and, chosen by the
//! Extension-Flags, a Flow ID and a Sequence Number that let a collector put the exports of one
//! packet together.
//!
//! ```text
//! 0   Namespace-ID (16) | Flags (8) | Extension-Flags (8)
//! 4   IOAM-Trace-Type (24) | Reserved (8)
//! 8   one 4-byte optional field per Extension-Flag set, in flag order:
//!     bit 0 Flow ID, bit 1 Sequence Number
//! ```

use super::option::{WireError, IOAM_HDR_LEN, IPV6_TLV_IOAM, IPV6_TLV_PADN};
use super::trace::{trace_bit, RESERVED_BIT, UNDEFINED_BITS};

/// IOAM Option-Type of the Direct Export option.
pub const IOAM_TYPE_DEX: u8 = 4;
/// The DEX header, without its optional fields.
pub const DEX_HDR_LEN: usize = 8;
/// Extension-Flag bit 0: a Flow ID follows the header.
pub const EXT_FLOW_ID: u8 = 0x80;
/// Extension-Flag bit 1: a Sequence Number follows (after the Flow ID, if any).
pub const EXT_SEQUENCE: u8 = 0x40;
/// The Extension-Flags this implementation knows.
pub const EXT_KNOWN: u8 = EXT_FLOW_ID | EXT_SEQUENCE;
/// Trace-type bit 7, the checksum complement: there is nothing in a DEX packet to complement.
const CHECKSUM_COMPLEMENT: u32 = trace_bit(7);

/// A DEX option's header and optional fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dex {
    /// IOAM Namespace-ID.
    pub namespace_id: u16,
    /// Flags (none defined by RFC 9326).
    pub flags: u8,
    /// Extension-Flags as received, unknown ones included.
    pub ext_flags: u8,
    /// IOAM-Trace-Type (24 bits): the data each node exports.
    pub trace_type: u32,
    /// The Flow ID, when Extension-Flag bit 0 is set.
    pub flow_id: Option<u32>,
    /// The Sequence Number, when Extension-Flag bit 1 is set.
    pub sequence: Option<u32>,
}

/// Why a DEX option is refused: by a transit node (the packet is dropped) or in a route's
/// configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DexError {
    /// The option is shorter than its header and the optional fields its flags announce.
    Truncated,
    /// The trace type is 0, wider than 24 bits, or uses the reserved bit 23, an undefined bit
    /// 12-21 or the checksum complement (bit 7): configuration only.
    TraceType,
    /// Flags, or Extension-Flags this implementation does not know: configuration only.
    Flags,
}

impl DexError {
    /// A one-line explanation, for a netlink extended ack.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::Truncated => "DEX option is shorter than its fields",
            // At most 80 characters: netlink's extended ack cuts longer messages.
            Self::TraceType => "DEX trace type must be 24 bits, nonzero, without bits 7, 12-21, 23",
            Self::Flags => "DEX flags must be 0 and extension flags only flowid and seqnum",
        }
    }
}

/// Number of optional fields `ext_flags` announces (one 4-byte field per flag set: RFC 9326
/// gives every optional field 4 octets, so even unknown ones can be skipped).
const fn optional_fields(ext_flags: u8) -> usize {
    ext_flags.count_ones() as usize
}

/// Length of a DEX option's data (after the 4-byte IOAM option header) with `ext_flags`.
pub const fn dex_len(ext_flags: u8) -> usize {
    // At most 8 fields: cannot wrap.
    DEX_HDR_LEN.wrapping_add(optional_fields(ext_flags).wrapping_mul(4))
}

/// Parses a DEX option's data: `data` starts after the IOAM option header and is the rest of
/// the option (longer is accepted, as for the traces). Optional fields of unknown
/// Extension-Flags are skipped.
pub fn parse_dex(data: &[u8]) -> Result<Dex, DexError> {
    let (hdr, mut rest) = data
        .split_first_chunk::<DEX_HDR_LEN>()
        .ok_or(DexError::Truncated)?;
    let ext_flags = hdr[3];
    if data.len() < dex_len(ext_flags) {
        return Err(DexError::Truncated);
    }
    let mut field = |flag: u8| -> Option<u32> {
        if ext_flags & flag == 0 {
            return None;
        }
        let (word, tail) = rest.split_first_chunk::<4>()?;
        rest = tail;
        Some(u32::from_be_bytes(*word))
    };
    // Bit 0 comes first, then bit 1: fields of unknown flags (bits 2-7) come after both.
    let flow_id = field(EXT_FLOW_ID);
    let sequence = field(EXT_SEQUENCE);
    Ok(Dex {
        namespace_id: u16::from_be_bytes([hdr[0], hdr[1]]),
        flags: hdr[2],
        ext_flags,
        trace_type: u32::from_be_bytes([0, hdr[4], hdr[5], hdr[6]]),
        flow_id,
        sequence,
    })
}

/// Checks an encapsulating node's DEX configuration: known Extension-Flags only (with the
/// values to send), no Flags, and a trace type a node can export.
pub const fn validate_dex(dex: &Dex) -> Result<(), DexError> {
    let t = dex.trace_type;
    if t == 0 || t > 0x00ff_ffff || t & (RESERVED_BIT | UNDEFINED_BITS | CHECKSUM_COMPLEMENT) != 0 {
        return Err(DexError::TraceType);
    }
    if dex.flags != 0 || dex.ext_flags & !EXT_KNOWN != 0 {
        return Err(DexError::Flags);
    }
    // The values must match the flags.
    if (dex.ext_flags & EXT_FLOW_ID != 0) != dex.flow_id.is_some()
        || (dex.ext_flags & EXT_SEQUENCE != 0) != dex.sequence.is_some()
    {
        return Err(DexError::Flags);
    }
    Ok(())
}

/// Where the Sequence Number sits in the Hop-by-Hop header [`write_dex_hbh`] builds, for the
/// encapsulating node to write per packet.
pub const fn sequence_offset(ext_flags: u8) -> Option<usize> {
    if ext_flags & EXT_SEQUENCE == 0 {
        None
    } else if ext_flags & EXT_FLOW_ID == 0 {
        Some(HBH_DEX_OFFSET + DEX_HDR_LEN)
    } else {
        Some(HBH_DEX_OFFSET + DEX_HDR_LEN + 4)
    }
}

/// Offset of the DEX header in the Hop-by-Hop header: next header, length, PadN {1, 0} (the
/// option 4n-aligned), IOAM option header.
const HBH_DEX_OFFSET: usize = 4 + IOAM_HDR_LEN;

/// Length of the Hop-by-Hop header [`write_dex_hbh`] builds: 16, 24 with one optional field
/// (4 bytes of trailing padding), 24 with two.
pub const fn dex_hbh_len(ext_flags: u8) -> usize {
    // At most 48: cannot wrap.
    HBH_DEX_OFFSET
        .wrapping_add(dex_len(ext_flags))
        .wrapping_add(7)
        & !7
}

/// Largest Hop-by-Hop header [`write_dex_hbh`] builds.
pub const DEX_HBH_LEN_MAX: usize = dex_hbh_len(EXT_KNOWN);

/// Writes the Hop-by-Hop header an encapsulating node inserts, holding one DEX option, into the
/// start of `buf`, and returns its length ([`dex_hbh_len`]). The configuration is checked with
/// [`validate_dex`]; a Sequence Number is written as given (the caller rewrites it per packet
/// at [`sequence_offset`]).
///
/// ```text
/// 0   next header, header length: total / 8 - 1
/// 2   PadN {1, 0}: the IOAM option starts 4n-aligned
/// 4   IOAM option: type 49, opt_len = 2 + 8 + 4 per optional field, reserved 0, IOAM type 4
/// 8   DEX header, then Flow ID, Sequence Number as flagged
/// ... PadN {1, 2, 0, 0} with exactly one optional field, so the total is a multiple of 8
/// ```
pub fn write_dex_hbh(buf: &mut [u8], next_header: u8, dex: &Dex) -> Result<usize, WireError> {
    validate_dex(dex).map_err(WireError::Dex)?;
    let total = dex_hbh_len(dex.ext_flags);
    let data_len = dex_len(dex.ext_flags);
    let out = buf.get_mut(..total).ok_or(WireError::BufferTooShort)?;
    out.fill(0);
    // total <= 24, data_len <= 16: both fit a byte.
    let hdr_ext_len = (total / 8).wrapping_sub(1) as u8;
    let opt_len = data_len.wrapping_add(2) as u8;
    let (fixed, rest) = out
        .split_first_chunk_mut::<HBH_DEX_OFFSET>()
        .ok_or(WireError::BufferTooShort)?;
    *fixed = [
        next_header,
        hdr_ext_len,
        IPV6_TLV_PADN,
        0,
        IPV6_TLV_IOAM,
        opt_len,
        0,
        IOAM_TYPE_DEX,
    ];
    let (hdr, mut rest) = rest
        .split_first_chunk_mut::<DEX_HDR_LEN>()
        .ok_or(WireError::BufferTooShort)?;
    let [ns_hi, ns_lo] = dex.namespace_id.to_be_bytes();
    let [_, t0, t1, t2] = dex.trace_type.to_be_bytes();
    *hdr = [ns_hi, ns_lo, dex.flags, dex.ext_flags, t0, t1, t2, 0];
    for value in [dex.flow_id, dex.sequence].into_iter().flatten() {
        let (word, tail) = rest
            .split_first_chunk_mut::<4>()
            .ok_or(WireError::BufferTooShort)?;
        *word = value.to_be_bytes();
        rest = tail;
    }
    if let Some(pad) = rest.first_chunk_mut::<4>() {
        *pad = [IPV6_TLV_PADN, 2, 0, 0];
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
    use super::super::hbh::IoamOptions;
    use super::*;

    const fn dex(ext_flags: u8, flow_id: Option<u32>, sequence: Option<u32>) -> Dex {
        Dex {
            namespace_id: 0x1234,
            flags: 0,
            ext_flags,
            trace_type: 0xf00000,
            flow_id,
            sequence,
        }
    }

    #[test]
    fn header_layout_for_every_flag_combination() {
        for (d, len) in [
            (dex(0, None, None), 16),
            (dex(EXT_FLOW_ID, Some(7), None), 24),
            (dex(EXT_SEQUENCE, None, Some(9)), 24),
            (dex(EXT_KNOWN, Some(7), Some(9)), 24),
        ] {
            let mut buf = [0xee; 32];
            let n = write_dex_hbh(&mut buf, 17, &d).unwrap();
            assert_eq!(n, len);
            assert_eq!(n, dex_hbh_len(d.ext_flags));
            assert!(
                buf[n..].iter().all(|&b| b == 0xee),
                "written past the header"
            );
            assert_eq!(&buf[..2], &[17, (n / 8 - 1) as u8]);
            assert_eq!(&buf[2..4], &[IPV6_TLV_PADN, 0]);
            // The option walk finds one IOAM option of type 4, 4n-aligned.
            let mut it = IoamOptions::new(&buf[..n]).unwrap();
            let opt = it.next().unwrap().unwrap();
            assert!(it.next().is_none());
            assert_eq!(opt.ioam_type, IOAM_TYPE_DEX);
            assert_eq!(opt.offset % 4, 0);
            let data = &buf[opt.offset + IOAM_HDR_LEN..opt.offset + opt.len];
            assert_eq!(data.len(), dex_len(d.ext_flags));
            assert_eq!(parse_dex(data).unwrap(), d);
            if let Some(at) = sequence_offset(d.ext_flags) {
                assert_eq!(&buf[at..at + 4], &9u32.to_be_bytes());
            }
        }
    }

    #[test]
    fn fields_of_unknown_flags_are_skipped() {
        // Bit 2 (unknown) and bit 1: the Sequence Number comes first, the unknown field after.
        let data = [
            0, 1, 0, 0x60, 0x80, 0, 0, 0, 0, 0, 0, 5, 0xaa, 0xbb, 0xcc, 0xdd,
        ];
        let d = parse_dex(&data).unwrap();
        assert_eq!(d.sequence, Some(5));
        assert_eq!(d.flow_id, None);
        assert_eq!(d.ext_flags, 0x60);
        assert_eq!(parse_dex(&data[..12]), Err(DexError::Truncated));
        assert_eq!(parse_dex(&data[..7]), Err(DexError::Truncated));
    }

    #[test]
    fn configuration_checks() {
        assert_eq!(validate_dex(&dex(EXT_KNOWN, Some(1), Some(0))), Ok(()));
        let bad_type = |t| Dex {
            trace_type: t,
            ..dex(0, None, None)
        };
        for t in [0, 0x0100_0000, 0x000001, 0x000800, 0x010000] {
            assert_eq!(
                validate_dex(&bad_type(t)),
                Err(DexError::TraceType),
                "{t:#x}"
            );
        }
        // The snapshot (bit 22) is exportable.
        assert_eq!(validate_dex(&bad_type(0x800002)), Ok(()));
        for d in [
            Dex {
                flags: 1,
                ..dex(0, None, None)
            },
            dex(0x20, None, None),
            dex(EXT_FLOW_ID, None, None),
            dex(0, Some(1), None),
            dex(EXT_SEQUENCE, None, None),
        ] {
            assert_eq!(validate_dex(&d), Err(DexError::Flags), "{d:?}");
            assert_eq!(
                write_dex_hbh(&mut [0; 32], 0, &d),
                Err(WireError::Dex(DexError::Flags))
            );
        }
        assert_eq!(
            write_dex_hbh(&mut [0; 23], 0, &dex(EXT_KNOWN, Some(1), Some(2))),
            Err(WireError::BufferTooShort)
        );
    }
}
