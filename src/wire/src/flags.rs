//! RFC 9322's flags of a trace option header: Loopback (each node sends a copy of the packet
//! back to the encapsulating node) and Active (an active measurement packet, which the
//! decapsulating node terminates); and the loopback copy a node sends.
//!
//! A loopback copy keeps the Loopback flag of the trace it copies and carries nothing after
//! its Hop-by-Hop header (RFC 9322 §4: the payload is truncated): that is how every node
//! tells a copy from a packet to loop back, and never loops a copy back again.

use super::option::{set_flag_bits, WireError, TRACE_HDR_LEN};

/// Offset in the trace header of the byte holding NodeLen and the flags.
const FLAGS_BYTE: usize = 2;
/// The Loopback flag in the NodeLen byte (flag bit 1, after Overflow).
const LOOPBACK_FLAG: u8 = 0x02;
/// The Active flag in the NodeLen byte (flag bit 2).
const ACTIVE_FLAG: u8 = 0x01;

/// The only trace type a trace with the Loopback flag may have (RFC 9322 §4): Hop_Lim and
/// node_id alone, so that a copy carries little (amplification).
pub const LOOPBACK_TRACE_TYPE: u32 = 0x80_0000;

/// IPv6 "No Next Header": what a loopback copy's Hop-by-Hop header is followed by.
pub const NEXTHDR_NONE: u8 = 59;
const NEXTHDR_HOP: u8 = 0;
const IPV6_HDR_LEN: usize = 40;

/// The RFC 9322 flags of one trace option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// Loopback: send a copy back to the encapsulating node.
    pub loopback: bool,
    /// Active: an active measurement packet.
    pub active: bool,
}

impl Flags {
    /// The flags of the trace header starting at `trace_hdr`, or `None` when too short.
    pub fn of(trace_hdr: &[u8]) -> Option<Self> {
        trace_hdr.get(FLAGS_BYTE).map(|&b| Self {
            loopback: b & LOOPBACK_FLAG != 0,
            active: b & ACTIVE_FLAG != 0,
        })
    }

    /// Whether either flag is set.
    pub const fn any(self) -> bool {
        self.loopback || self.active
    }

    /// The flags as the low bits of the header's NodeLen byte.
    pub const fn bits(self) -> u8 {
        (if self.loopback { LOOPBACK_FLAG } else { 0 })
            | (if self.active { ACTIVE_FLAG } else { 0 })
    }

    /// Sets these flags (leaving the others) in the trace header starting at `trace_hdr`.
    pub fn set_in(self, trace_hdr: &mut [u8]) -> Result<(), WireError> {
        set_flag_bits(trace_hdr, self.bits())
    }
}

/// Why a node does not loop a packet back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLoopback {
    /// The packet is itself a loopback copy.
    Copy,
    /// A trace type other than [`LOOPBACK_TRACE_TYPE`]: RFC 9322 §4 forbids the copy.
    TraceType,
}

/// Whether a packet with a trace of `trace_type` whose Loopback flag is set, and whose
/// Hop-by-Hop header is followed by `next_header`, is to be looped back.
pub fn loopback_allowed(trace_type: u32, next_header: u8) -> Result<(), NoLoopback> {
    if next_header == NEXTHDR_NONE {
        return Err(NoLoopback::Copy);
    }
    if trace_type != LOOPBACK_TRACE_TYPE {
        return Err(NoLoopback::TraceType);
    }
    Ok(())
}

/// Writes into `out` the loopback copy of `packet`, which starts with its IPv6 header and
/// Hop-by-Hop header (`hbh_len` bytes, this node's data in): the same two headers, truncated
/// after the Hop-by-Hop header (its Next Header "none"), sent from `source` back to the
/// packet's source with hop limit `hop_limit`, its traffic class kept and no flow label.
/// Returns the copy's length.
pub fn write_loopback_copy(
    packet: &[u8],
    hbh_len: usize,
    source: &[u8; 16],
    hop_limit: u8,
    out: &mut [u8],
) -> Result<usize, WireError> {
    let len = IPV6_HDR_LEN
        .checked_add(hbh_len)
        .ok_or(WireError::FieldOutOfRange)?;
    let payload_len = u16::try_from(hbh_len).map_err(|_| WireError::FieldOutOfRange)?;
    // Too short for one trace header: not a header this module would loop back.
    if hbh_len < TRACE_HDR_LEN || hbh_len & 7 != 0 {
        return Err(WireError::FieldOutOfRange);
    }
    let from = packet.get(..len).ok_or(WireError::BufferTooShort)?;
    let copy = out.get_mut(..len).ok_or(WireError::BufferTooShort)?;
    copy.copy_from_slice(from);
    let (hdr, hbh) = copy.split_at_mut(IPV6_HDR_LEN);
    // Version and traffic class kept; the flow label belongs to the original flow.
    if let [_, b1, b2, b3, ..] = hdr {
        *b1 &= 0xf0;
        *b2 = 0;
        *b3 = 0;
    }
    let original_source: [u8; 16] = from
        .get(8..24)
        .and_then(|s| s.try_into().ok())
        .ok_or(WireError::BufferTooShort)?;
    hdr.get_mut(4..6)
        .ok_or(WireError::BufferTooShort)?
        .copy_from_slice(&payload_len.to_be_bytes());
    if let Some(nh) = hdr.get_mut(6) {
        *nh = NEXTHDR_HOP;
    }
    if let Some(hl) = hdr.get_mut(7) {
        *hl = hop_limit;
    }
    hdr.get_mut(8..24)
        .ok_or(WireError::BufferTooShort)?
        .copy_from_slice(source);
    hdr.get_mut(24..40)
        .ok_or(WireError::BufferTooShort)?
        .copy_from_slice(&original_source);
    *hbh.first_mut().ok_or(WireError::BufferTooShort)? = NEXTHDR_NONE;
    Ok(len)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const SRC: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const DST: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    const ME: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];

    /// An IPv6 packet with a 16-byte Hop-by-Hop header (next header UDP) and 8 payload bytes.
    fn packet() -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&[0x6a, 0xb1, 0x23, 0x45, 0, 24, 0, 63]);
        p.extend_from_slice(&SRC);
        p.extend_from_slice(&DST);
        p.extend_from_slice(&[17, 1, 0x31, 0x0a, 0, 7, 0x1a, 0x00]);
        p.extend_from_slice(&[0x80, 0, 0, 0, 0x3e, 0, 0, 1]);
        p.extend_from_slice(&[0xaa; 8]);
        p
    }

    #[test]
    fn flags_read_and_set_leave_the_rest() {
        let mut hdr = [0, 7, 0x1c, 0x03, 0x80, 0, 0, 0];
        assert_eq!(Flags::of(&hdr), Some(Flags::default()));
        Flags {
            loopback: true,
            active: false,
        }
        .set_in(&mut hdr)
        .unwrap();
        assert_eq!(hdr[2], 0x1e);
        assert_eq!(
            Flags::of(&hdr),
            Some(Flags {
                loopback: true,
                active: false
            })
        );
        Flags {
            loopback: false,
            active: true,
        }
        .set_in(&mut hdr)
        .unwrap();
        assert_eq!(hdr[2], 0x1f);
        assert_eq!(hdr[3], 0x03);
        // Overflow (0x04) is not one of them.
        assert_eq!(Flags::of(&[0, 0, 0x04]), Some(Flags::default()));
        assert_eq!(Flags::of(&[0, 0]), None);
        assert!(Flags::default().set_in(&mut [0, 0]).is_err());
    }

    #[test]
    fn only_node_id_traces_that_are_not_copies_loop_back() {
        assert_eq!(loopback_allowed(0x80_0000, 17), Ok(()));
        assert_eq!(loopback_allowed(0xc0_0000, 17), Err(NoLoopback::TraceType));
        assert_eq!(loopback_allowed(0x80_0000, 59), Err(NoLoopback::Copy));
    }

    #[test]
    fn copy_is_the_headers_sent_back() {
        let p = packet();
        let mut out = [0u8; 128];
        let n = write_loopback_copy(&p, 16, &ME, 64, &mut out).unwrap();
        assert_eq!(n, 56);
        let c = &out[..n];
        assert_eq!(c[..4], [0x6a, 0xb0, 0, 0]);
        assert_eq!(c[4..8], [0, 16, 0, 64]);
        assert_eq!(c[8..24], ME);
        assert_eq!(c[24..40], SRC);
        assert_eq!(c[40], NEXTHDR_NONE);
        assert_eq!(c[41..56], p[41..56]);
    }

    #[test]
    fn copy_refuses_what_does_not_fit() {
        let p = packet();
        let mut out = [0u8; 128];
        assert!(write_loopback_copy(&p[..50], 16, &ME, 64, &mut out).is_err());
        assert!(write_loopback_copy(&p, 16, &ME, 64, &mut out[..55]).is_err());
        assert!(write_loopback_copy(&p, 12, &ME, 64, &mut out).is_err());
        assert!(write_loopback_copy(&p, 0, &ME, 64, &mut out).is_err());
        assert!(write_loopback_copy(&p, usize::MAX, &ME, 64, &mut out).is_err());
    }
}
