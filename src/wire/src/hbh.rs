// SPDX-License-Identifier: GPL-2.0
//! Walking an IPv6 Hop-by-Hop options header for its IOAM options, and the checks a transit
//! node makes on a Pre-allocated Trace option before filling it (upstream `ipv6_hop_ioam()`).

use core::iter::FusedIterator;
use core::ops::Range;

use super::option::{
    TraceHeader, IOAM_HDR_LEN, IOAM_TYPE_PREALLOC, IPV6_TLV_IOAM, IPV6_TLV_PAD1, TRACE_OPT_LEN_MIN,
};
use super::trace::node_len;

/// One IOAM option found in a Hop-by-Hop header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoamOption {
    /// Offset of the option type byte from the start of the Hop-by-Hop header.
    pub offset: usize,
    /// Length of the whole option, including its 2-byte type and length.
    pub len: usize,
    /// IOAM Option-Type (0: Pre-allocated Trace).
    pub ioam_type: u8,
}

impl IoamOption {
    /// The option's bytes, as offsets in the Hop-by-Hop header.
    pub const fn range(&self) -> Range<usize> {
        self.offset..self.offset.saturating_add(self.len)
    }

    /// The trace header and data of a Pre-allocated Trace option (what
    /// [`fill_node`](super::fill::fill_node) takes), as offsets in the Hop-by-Hop header: the
    /// option without its 4-byte IOAM option header.
    pub const fn trace_range(&self) -> Range<usize> {
        self.offset.saturating_add(IOAM_HDR_LEN)..self.offset.saturating_add(self.len)
    }
}

/// A malformed Hop-by-Hop header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionError {
    /// The slice is shorter than the header length says (or than 2 bytes).
    HeaderTruncated,
    /// An option runs past the end of the header.
    Truncated,
    /// An IOAM option is too short to hold its IOAM Option-Type.
    IoamTooShort,
}

impl OptionError {
    /// A stable short name, e.g. for a drop counter.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::HeaderTruncated => "hbh_truncated",
            Self::Truncated => "option_truncated",
            Self::IoamTooShort => "ioam_too_short",
        }
    }

    /// A one-line explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::HeaderTruncated => "Hop-by-Hop header is longer than the packet",
            Self::Truncated => "option runs past the end of the Hop-by-Hop header",
            Self::IoamTooShort => "IOAM option is too short for its header",
        }
    }
}

/// Iterates over the IOAM options of a Hop-by-Hop header, skipping Pad1, PadN and other
/// options. It stops after the first error.
#[derive(Debug, Clone)]
pub struct IoamOptions<'a> {
    /// The header, cut to its length.
    hdr: &'a [u8],
    /// Offset of the next option; past the end once done.
    pos: usize,
}

impl<'a> IoamOptions<'a> {
    /// Starts on a Hop-by-Hop header: `hbh` begins at its next-header byte and may extend past
    /// the header (the rest of the packet), but not be shorter than `(hdr_ext_len + 1) * 8`.
    pub fn new(hbh: &'a [u8]) -> Result<Self, OptionError> {
        let &[_, ext] = hbh.first_chunk().ok_or(OptionError::HeaderTruncated)?;
        // At most 256 * 8: cannot wrap.
        let len = usize::from(ext).wrapping_add(1).wrapping_mul(8);
        let hdr = hbh.get(..len).ok_or(OptionError::HeaderTruncated)?;
        Ok(Self { hdr, pos: 2 })
    }

    /// Continues an iteration over the same header at `position` (from [`Self::position`]),
    /// after the caller changed the packet in between.
    pub fn resume(hbh: &'a [u8], position: usize) -> Result<Self, OptionError> {
        let mut it = Self::new(hbh)?;
        it.pos = position;
        Ok(it)
    }

    /// Where the iteration stands, for [`Self::resume`].
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Length of the Hop-by-Hop header in bytes.
    pub fn header_len(&self) -> usize {
        self.hdr.len()
    }

    /// Ends the iteration, returning `e`.
    fn fail(&mut self, e: OptionError) -> Option<Result<IoamOption, OptionError>> {
        self.pos = usize::MAX;
        Some(Err(e))
    }
}

impl Iterator for IoamOptions<'_> {
    type Item = Result<IoamOption, OptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each turn moves past at least one byte of the header.
        loop {
            let offset = self.pos;
            let (&opt_type, rest) = self.hdr.get(offset..)?.split_first()?;
            if opt_type == IPV6_TLV_PAD1 {
                self.pos = offset.wrapping_add(1);
                continue;
            }
            let Some((&opt_len, body)) = rest.split_first() else {
                return self.fail(OptionError::Truncated);
            };
            let Some(body) = body.get(..usize::from(opt_len)) else {
                return self.fail(OptionError::Truncated);
            };
            // opt_len <= 255 and offset < 2048: cannot wrap.
            let len = usize::from(opt_len).wrapping_add(2);
            self.pos = offset.wrapping_add(len);
            if opt_type == IPV6_TLV_IOAM {
                let Some(&ioam_type) = body.get(1) else {
                    return self.fail(OptionError::IoamTooShort);
                };
                return Some(Ok(IoamOption {
                    offset,
                    len,
                    ioam_type,
                }));
            }
        }
    }
}

impl FusedIterator for IoamOptions<'_> {}

/// Why a transit node does not fill an IOAM option. [`TraceError::NotPrealloc`] means the option
/// is to be ignored; the others that the packet is to be dropped, as upstream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceError {
    /// The option is not an IOAM option (type 49).
    NotIoam,
    /// The option type is not at a multiple of 4 bytes from the start of the IPv6 header.
    Misaligned,
    /// The option is shorter than its headers, or the slice shorter than the option.
    Truncated,
    /// The IOAM Option-Type is not Pre-allocated Trace.
    NotPrealloc,
    /// RemainingLen covers more than the option's trace data.
    RemainingLenTooBig,
    /// NodeLen differs from the one the trace type implies.
    NodeLenMismatch,
}

impl TraceError {
    /// A stable short name, e.g. for a drop counter.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::NotIoam => "not_ioam",
            Self::Misaligned => "misaligned",
            Self::Truncated => "truncated",
            Self::NotPrealloc => "not_prealloc",
            Self::RemainingLenTooBig => "remlen_too_big",
            Self::NodeLenMismatch => "nodelen_mismatch",
        }
    }

    /// A one-line explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::NotIoam => "option is not an IOAM option",
            Self::Misaligned => "IOAM option is not 4n-aligned",
            Self::Truncated => "IOAM option is truncated",
            Self::NotPrealloc => "IOAM option is not a Pre-allocated Trace",
            Self::RemainingLenTooBig => "trace RemainingLen exceeds the option's data",
            Self::NodeLenMismatch => "trace NodeLen does not match its trace type",
        }
    }
}

/// Checks an IOAM option on a transit node, as upstream `ipv6_hop_ioam()` does, and returns its
/// trace header.
///
/// `option_bytes` starts at the option type byte and holds at least the whole option;
/// `offset_in_packet` is that byte's offset from the start of the IPv6 header. In order: the
/// option must be 4n-aligned, have `opt_len >= 2`, be a Pre-allocated Trace, have `opt_len >= 10`
/// and `opt_len >= 10 + RemainingLen * 4` (a larger `opt_len` is accepted), and a NodeLen equal to
/// the one computed from its trace type.
pub fn check_trace(
    option_bytes: &[u8],
    offset_in_packet: usize,
) -> Result<TraceHeader, TraceError> {
    let &[opt_type, opt_len] = option_bytes.first_chunk().ok_or(TraceError::Truncated)?;
    if opt_type != IPV6_TLV_IOAM {
        return Err(TraceError::NotIoam);
    }
    if offset_in_packet & 3 != 0 {
        return Err(TraceError::Misaligned);
    }
    let opt_len = usize::from(opt_len);
    if opt_len < 2 {
        return Err(TraceError::Truncated);
    }
    // opt_len <= 255: cannot wrap.
    let option = option_bytes
        .get(..opt_len.wrapping_add(2))
        .ok_or(TraceError::Truncated)?;
    let (ioam_hdr, trace) = option
        .split_first_chunk::<IOAM_HDR_LEN>()
        .ok_or(TraceError::Truncated)?;
    if ioam_hdr[3] != IOAM_TYPE_PREALLOC {
        return Err(TraceError::NotPrealloc);
    }
    if opt_len < TRACE_OPT_LEN_MIN {
        return Err(TraceError::Truncated);
    }
    let hdr = TraceHeader::parse(trace).ok_or(TraceError::Truncated)?;
    // remaining_len <= 127: cannot wrap.
    let room = usize::from(hdr.remaining_len).wrapping_mul(4);
    if opt_len < TRACE_OPT_LEN_MIN.wrapping_add(room) {
        return Err(TraceError::RemainingLenTooBig);
    }
    if u32::from(hdr.node_len) != node_len(hdr.trace_type) {
        return Err(TraceError::NodeLenMismatch);
    }
    Ok(hdr)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::super::option::{write_hbh, HBH_LEN_MAX, IPV6_TLV_PADN};
    use super::*;

    /// Collects up to 8 items.
    fn walk(hbh: &[u8]) -> ([Option<Result<IoamOption, OptionError>>; 8], usize) {
        let mut out = [None; 8];
        let mut n = 0;
        for (slot, item) in out.iter_mut().zip(IoamOptions::new(hbh).unwrap()) {
            *slot = Some(item);
            n += 1;
        }
        (out, n)
    }

    #[test]
    fn walk_encap_header() {
        let mut hbh = [0u8; HBH_LEN_MAX + 16];
        let n = write_hbh(&mut hbh, 6, 1, 0x800000, 12).unwrap();
        let it = IoamOptions::new(&hbh).unwrap();
        assert_eq!(it.header_len(), n);
        let (items, count) = walk(&hbh);
        assert_eq!(count, 1);
        let opt = items[0].unwrap().unwrap();
        assert_eq!(
            opt,
            IoamOption {
                offset: 4,
                len: 24,
                ioam_type: 0
            }
        );
        assert_eq!(opt.range(), 4..28);
        assert_eq!(opt.trace_range(), 8..28);
        let h = check_trace(&hbh[opt.range()], 40 + opt.offset).unwrap();
        assert_eq!(h.remaining_len, 3);
        assert_eq!(h.node_len, 1);
    }

    #[test]
    fn walk_skips_padding_and_unknown() {
        #[rustfmt::skip]
        let hbh = [
            17, 3,
            0,                      // Pad1
            IPV6_TLV_PADN, 1, 0,    // PadN
            0x3e, 2, 0xaa, 0xbb,    // unknown option
            49, 2, 0, 7,            // IOAM of type 7 at 10
            0, 0,                   // Pad1 x2
            49, 10, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, // IOAM of type 0 at 16
            0, 0, 0, 0,             // Pad1 up to 32
        ];
        let (items, count) = walk(&hbh);
        assert_eq!(count, 2);
        assert_eq!(
            items[0],
            Some(Ok(IoamOption {
                offset: 10,
                len: 4,
                ioam_type: 7
            }))
        );
        assert_eq!(
            items[1],
            Some(Ok(IoamOption {
                offset: 16,
                len: 12,
                ioam_type: 0
            }))
        );
    }

    #[test]
    fn resume_continues_where_it_stopped() {
        #[rustfmt::skip]
        let hbh = [
            17, 2,
            0, 0,                   // Pad1 x2
            49, 2, 0, 7,            // IOAM of type 7 at 4
            49, 10, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, // IOAM of type 0 at 8
            0, 0, 0, 0,             // Pad1 up to 24
        ];
        let mut all = IoamOptions::new(&hbh).unwrap();
        let first = all.next();
        let pos = all.position();
        assert_eq!(first.unwrap().unwrap().offset, 4);
        // A new iterator on the same (possibly moved) bytes picks up at the next option.
        let copy = hbh;
        let mut resumed = IoamOptions::resume(&copy, pos).unwrap();
        assert_eq!(resumed.next(), all.next());
        assert_eq!(resumed.position(), all.position());
        assert_eq!(resumed.next(), None);
        assert_eq!(all.next(), None);
    }

    #[test]
    fn walk_header_length() {
        assert_eq!(
            IoamOptions::new(&[]).unwrap_err(),
            OptionError::HeaderTruncated
        );
        assert_eq!(
            IoamOptions::new(&[6]).unwrap_err(),
            OptionError::HeaderTruncated
        );
        assert_eq!(
            IoamOptions::new(&[6, 1, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            OptionError::HeaderTruncated
        );
        // An empty (all Pad1) header.
        assert_eq!(walk(&[6, 0, 0, 0, 0, 0, 0, 0]).1, 0);
        // Bytes after the header are not read: an IOAM option there is not seen.
        let (_, count) = walk(&[6, 0, 1, 4, 0, 0, 0, 0, 49, 2, 0, 0]);
        assert_eq!(count, 0);
    }

    #[test]
    fn walk_truncated_stops() {
        // PadN running past the end.
        let (items, count) = walk(&[6, 0, 1, 5, 0, 0, 0, 0, 49, 2, 0, 0]);
        assert_eq!((count, items[0]), (1, Some(Err(OptionError::Truncated))));
        // A type byte without its length byte, at the very end.
        let (items, count) = walk(&[6, 0, 0, 0, 0, 0, 0, 0x3e]);
        assert_eq!((count, items[0]), (1, Some(Err(OptionError::Truncated))));
        // An IOAM option running past the end, after a good one.
        let (items, count) = walk(&[6, 1, 49, 2, 0, 0, 49, 2, 0, 1, 49, 7, 0, 0, 0, 0]);
        assert_eq!(count, 3);
        assert_eq!(items[0].unwrap().unwrap().offset, 2);
        assert_eq!(items[1].unwrap().unwrap().offset, 6);
        assert_eq!(items[2], Some(Err(OptionError::Truncated)));
    }

    #[test]
    fn walk_ioam_too_short() {
        let (items, count) = walk(&[6, 0, 49, 1, 0, 49, 2, 0, 0, 0]);
        assert_eq!((count, items[0]), (1, Some(Err(OptionError::IoamTooShort))));
        let (items, count) = walk(&[6, 0, 49, 0, 0, 0, 0, 0]);
        assert_eq!((count, items[0]), (1, Some(Err(OptionError::IoamTooShort))));
    }

    #[test]
    fn option_error_names() {
        for e in [
            OptionError::HeaderTruncated,
            OptionError::Truncated,
            OptionError::IoamTooShort,
        ] {
            assert!(!e.name().is_empty() && !e.name().contains(' '));
            assert!(!e.message().is_empty());
        }
    }

    /// An IOAM Pre-allocated Trace option: bit 0 and bit 8 (NodeLen 3), RemainingLen `remlen`,
    /// `data` bytes of data.
    fn opt(remlen: u8, data: u8) -> [u8; 4 + 8 + 32] {
        let mut b = [0u8; 44];
        b[..4].copy_from_slice(&[49, 10 + data, 0, 0]);
        b[4..12].copy_from_slice(&[0, 9, 3 << 3, remlen, 0x80, 0x80, 0, 0]);
        b
    }

    #[test]
    fn check_trace_accepts() {
        let o = opt(2, 8);
        let h = check_trace(&o, 44).unwrap();
        assert_eq!(
            h,
            TraceHeader {
                namespace_id: 9,
                node_len: 3,
                overflow: false,
                remaining_len: 2,
                trace_type: 0x808000,
            }
        );
        // A larger opt_len than needed is accepted, and so is RemainingLen 0.
        assert!(check_trace(&opt(1, 8), 0).is_ok());
        assert!(check_trace(&opt(0, 0), 0).is_ok());
        // The slice may extend past the option.
        assert!(check_trace(&opt(0, 4), 0).is_ok());
    }

    #[test]
    fn check_trace_not_ioam() {
        let mut o = opt(2, 8);
        o[0] = IPV6_TLV_PADN;
        assert_eq!(check_trace(&o, 44), Err(TraceError::NotIoam));
    }

    #[test]
    fn check_trace_misaligned() {
        for off in [1, 2, 3, 42, 46] {
            assert_eq!(check_trace(&opt(2, 8), off), Err(TraceError::Misaligned));
        }
    }

    #[test]
    fn check_trace_truncated() {
        assert_eq!(check_trace(&[], 0), Err(TraceError::Truncated));
        assert_eq!(check_trace(&[49], 0), Err(TraceError::Truncated));
        // opt_len < 2.
        assert_eq!(check_trace(&[49, 1, 0, 0], 0), Err(TraceError::Truncated));
        // opt_len < 10.
        let mut o = opt(0, 0);
        o[1] = 9;
        assert_eq!(check_trace(&o, 0), Err(TraceError::Truncated));
        // The slice is shorter than the option.
        let o = opt(2, 8);
        assert_eq!(check_trace(&o[..19], 0), Err(TraceError::Truncated));
        assert_eq!(check_trace(&o[..20], 0).map(|h| h.remaining_len), Ok(2));
    }

    #[test]
    fn check_trace_not_prealloc() {
        let mut o = opt(2, 8);
        o[3] = 1;
        assert_eq!(check_trace(&o, 0), Err(TraceError::NotPrealloc));
        // Checked before the trace lengths: a short option of another type is ignored.
        assert_eq!(check_trace(&[49, 2, 0, 2], 0), Err(TraceError::NotPrealloc));
    }

    #[test]
    fn check_trace_remlen_too_big() {
        assert_eq!(
            check_trace(&opt(3, 8), 0),
            Err(TraceError::RemainingLenTooBig)
        );
        assert_eq!(
            check_trace(&opt(127, 32), 0),
            Err(TraceError::RemainingLenTooBig)
        );
    }

    #[test]
    fn check_trace_nodelen_mismatch() {
        let mut o = opt(2, 8);
        o[6] = 0;
        assert_eq!(check_trace(&o, 0), Err(TraceError::NodeLenMismatch));
        // NodeLen 0 with bits 0-21 set.
        o[8..12].copy_from_slice(&[0xff, 0xff, 0xfc, 0]);
        assert_eq!(check_trace(&o, 0), Err(TraceError::NodeLenMismatch));
    }

    #[test]
    fn trace_error_names() {
        let all = [
            TraceError::NotIoam,
            TraceError::Misaligned,
            TraceError::Truncated,
            TraceError::NotPrealloc,
            TraceError::RemainingLenTooBig,
            TraceError::NodeLenMismatch,
        ];
        for (i, e) in all.iter().enumerate() {
            assert!(!e.name().is_empty() && !e.name().contains(' '));
            assert!(!e.message().is_empty());
            for f in &all[i + 1..] {
                assert_ne!(e.name(), f.name());
            }
        }
    }
}
