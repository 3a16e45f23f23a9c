// SPDX-License-Identifier: GPL-2.0
//! The Incremental Trace option (RFC 9197 §4.4, IOAM Option-Type 1): each node inserts its
//! entry right after the trace header, in front of the earlier nodes' entries, so the option,
//! the Hop-by-Hop header and the packet grow at every hop. RemainingLen is the growth still
//! allowed, in 4-byte words.
//!
//! The Hop-by-Hop header stays a multiple of 8 bytes by growing by a multiple of 8: when the
//! entry is 4 bytes short of that, the padding right in front of the option gains or loses 4
//! bytes. Everything in front of the insertion point moves towards the packet's start (where
//! a packet has its spare room), everything behind it stays: options after this one keep their
//! alignment, which is relative to the header's start and changes by a multiple of 8.

use super::fill::Entry;
use super::hbh::IoamOption;
use super::option::{
    set_overflow_flag, validate_encap, TraceHeader, WireError, IOAM_HDR_LEN, IPV6_TLV_IOAM,
    IPV6_TLV_PAD1, IPV6_TLV_PADN, TRACE_HDR_LEN, TRACE_OPT_LEN_MIN,
};
use super::trace::node_len;

/// IOAM Option-Type of the Incremental Trace option.
pub const IOAM_TYPE_INCREMENTAL: u8 = 1;
/// Largest Hop-by-Hop header: `hdr_ext_len` is 8 bits, in 8-byte units beyond the first 8.
pub const HBH_LEN_MAX: usize = 256 * 8;

/// Why an Incremental Trace option is dropped with its packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrementalError {
    /// The option is shorter than its headers, or the slice shorter than the option.
    Truncated,
    /// The option type is not at a multiple of 4 bytes from the start of the IPv6 header.
    Misaligned,
    /// NodeLen differs from the one the trace type implies.
    NodeLenMismatch,
    /// The node data is not a whole number of 4-byte words.
    NotWords,
}

impl IncrementalError {
    /// A stable short name, e.g. for a drop counter.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::Misaligned => "misaligned",
            Self::NodeLenMismatch => "nodelen_mismatch",
            Self::NotWords => "not_words",
        }
    }

    /// A one-line explanation.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::Truncated => "IOAM option is truncated",
            Self::Misaligned => "IOAM option is not 4n-aligned",
            Self::NodeLenMismatch => "trace NodeLen does not match its trace type",
            Self::NotWords => "incremental trace data is not a whole number of 4-byte words",
        }
    }
}

/// Checks an Incremental Trace option a node is about to process and returns its trace header.
///
/// `option_bytes` starts at an IOAM option of Option-Type Incremental Trace (the caller
/// dispatched on it) and holds at least the whole option; `offset_in_packet` is that byte's
/// offset from the start of the IPv6 header. The option must 4n-aligned, hold a trace header, carry node data of
/// whole words, and have the NodeLen its trace type implies. (RemainingLen is the growth
/// allowed, not a part of the data: any value is valid.)
pub fn check_incremental(
    option_bytes: &[u8],
    offset_in_packet: usize,
) -> Result<TraceHeader, IncrementalError> {
    let &[opt_type, opt_len] = option_bytes
        .first_chunk()
        .ok_or(IncrementalError::Truncated)?;
    let opt_len = usize::from(opt_len);
    if opt_type != IPV6_TLV_IOAM || opt_len < TRACE_OPT_LEN_MIN {
        return Err(IncrementalError::Truncated);
    }
    if offset_in_packet & 3 != 0 {
        return Err(IncrementalError::Misaligned);
    }
    // opt_len <= 255: cannot wrap.
    let option = option_bytes
        .get(..opt_len.wrapping_add(2))
        .ok_or(IncrementalError::Truncated)?;
    let trace = option
        .get(IOAM_HDR_LEN..)
        .ok_or(IncrementalError::Truncated)?;
    let hdr = TraceHeader::parse(trace).ok_or(IncrementalError::Truncated)?;
    if trace.len().wrapping_sub(TRACE_HDR_LEN) % 4 != 0 {
        return Err(IncrementalError::NotWords);
    }
    if u32::from(hdr.node_len) != node_len(hdr.trace_type) {
        return Err(IncrementalError::NodeLenMismatch);
    }
    Ok(hdr)
}

/// Why a node inserts nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoInsert {
    /// The Overflow flag is set: nothing to do.
    AlreadyOverflowed,
    /// No room (RemainingLen, the option's or the Hop-by-Hop header's length limit): the node
    /// sets the Overflow flag ([`super::option::set_overflow_flag`]) instead.
    Overflow,
    /// The option is malformed: the packet is dropped.
    Malformed(IncrementalError),
}

/// How one node's entry grows a Hop-by-Hop header, from [`plan_insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    /// Bytes the Hop-by-Hop header, and so the packet, grows by: a multiple of 8.
    pub added: usize,
    /// The entry's length in bytes.
    entry_len: usize,
    /// Offset in the old header where the padding in front of the option starts.
    pad_from: usize,
    /// Length of that padding before and after.
    pad_old: usize,
    pad_new: usize,
}

/// Plans the insertion of an entry of `entry_words` 4-byte words ([`Entry::words`]) into the
/// Incremental Trace option `opt` of the Hop-by-Hop header `hbh` (cut to its length), checked
/// with [`check_incremental`].
pub fn plan_insert(hbh: &[u8], opt: &IoamOption, entry_words: u32) -> Result<Growth, NoInsert> {
    let malformed = NoInsert::Malformed(IncrementalError::Truncated);
    let trace_at = opt.offset.checked_add(IOAM_HDR_LEN).ok_or(malformed)?;
    let hdr = hbh
        .get(trace_at..)
        .and_then(TraceHeader::parse)
        .ok_or(malformed)?;
    if u32::from(hdr.node_len) != node_len(hdr.trace_type) {
        return Err(NoInsert::Malformed(IncrementalError::NodeLenMismatch));
    }
    if hdr.overflow {
        return Err(NoInsert::AlreadyOverflowed);
    }
    if hdr.remaining_len == 0 || u32::from(hdr.remaining_len) < entry_words {
        return Err(NoInsert::Overflow);
    }
    // entry_words <= remaining_len <= 127: cannot wrap.
    let entry_len = (entry_words as usize).wrapping_mul(4);
    // The option's own length byte limits its growth.
    if opt.len.saturating_add(entry_len) > usize::from(u8::MAX).saturating_add(2) {
        return Err(NoInsert::Overflow);
    }
    let pad_from = padding_in_front(hbh, opt.offset).ok_or(malformed)?;
    let pad_old = opt.offset.wrapping_sub(pad_from);
    let pad_new = match (entry_len % 8, pad_old >= 4) {
        (0, _) => pad_old,
        (_, true) => pad_old.wrapping_sub(4),
        (_, false) => pad_old.wrapping_add(4),
    };
    // Both at most 2048 + 4: cannot wrap; `added` is a multiple of 8 and not negative, as
    // `pad_new >= pad_old - 4` and `entry_len >= 4`.
    let added = entry_len.wrapping_add(pad_new).wrapping_sub(pad_old);
    if hbh.len().saturating_add(added) > HBH_LEN_MAX {
        return Err(NoInsert::Overflow);
    }
    Ok(Growth {
        added,
        entry_len,
        pad_from,
        pad_old,
        pad_new,
    })
}

/// Where the run of Pad1/PadN options that ends at `option` starts (`option` itself when none
/// does), or `None` when no option starts at `option`.
fn padding_in_front(hbh: &[u8], option: usize) -> Option<usize> {
    let mut pos = 2;
    let mut pad_from = pos;
    while pos < option {
        let opt_type = *hbh.get(pos)?;
        let len = if opt_type == IPV6_TLV_PAD1 {
            1
        } else {
            // opt_len <= 255: cannot wrap.
            usize::from(*hbh.get(pos.wrapping_add(1))?).wrapping_add(2)
        };
        let next = pos.checked_add(len)?;
        if opt_type != IPV6_TLV_PAD1 && opt_type != IPV6_TLV_PADN {
            pad_from = next;
        }
        pos = next;
    }
    (pos == option).then_some(pad_from)
}

/// Inserts `entry` as planned by `growth` for the option at `opt`.
///
/// `buf` holds `growth.added` spare bytes, then `prefix` bytes that move with the header (the
/// IPv6 header), then the Hop-by-Hop header as planned. Afterwards it holds the prefix, the grown
/// header and its options from its start; the bytes behind the insertion point have not moved.
/// The header's length, the option's length and RemainingLen are updated; the prefix is not
/// (the IPv6 payload length is the caller's).
pub fn insert_entry(
    buf: &mut [u8],
    prefix: usize,
    opt: &IoamOption,
    growth: &Growth,
    entry: &Entry<'_, '_>,
) -> Result<(), IncrementalError> {
    let short = IncrementalError::Truncated;
    let g = growth;
    let old_hbh = g.added.checked_add(prefix).ok_or(short)?;
    let old_trace_end = old_hbh
        .checked_add(opt.offset)
        .and_then(|o| o.checked_add(IOAM_HDR_LEN + TRACE_HDR_LEN))
        .ok_or(short)?;
    if buf.len() < old_trace_end {
        return Err(short);
    }
    // Everything is in `buf` (checked above); the new positions lie in front of the old ones.
    let new_pad = prefix.checked_add(g.pad_from).ok_or(short)?;
    let new_opt = new_pad.checked_add(g.pad_new).ok_or(short)?;
    let old_opt = old_hbh.checked_add(opt.offset).ok_or(short)?;
    buf.copy_within(g.added..old_hbh.checked_add(g.pad_from).ok_or(short)?, 0);
    write_padding(buf.get_mut(new_pad..new_opt).ok_or(short)?);
    buf.copy_within(old_opt..old_trace_end, new_opt);
    let new_trace = new_opt.checked_add(IOAM_HDR_LEN).ok_or(short)?;
    let entry_at = new_trace.checked_add(TRACE_HDR_LEN).ok_or(short)?;
    let entry_end = entry_at.checked_add(g.entry_len).ok_or(short)?;
    if entry_end != old_trace_end {
        return Err(short); // a plan for another option or buffer
    }
    entry.write(buf.get_mut(entry_at..entry_end).ok_or(short)?);

    let hbh = buf.get_mut(prefix..).ok_or(short)?;
    let ext_len = hbh.get_mut(1).ok_or(short)?;
    // At most 255 after the plan's check of the header's length.
    *ext_len = ext_len.wrapping_add((g.added / 8) as u8);
    let opt_len = buf.get_mut(new_opt.wrapping_add(1)).ok_or(short)?;
    *opt_len = opt_len.wrapping_add(g.entry_len as u8);
    let remaining = buf.get_mut(new_trace.wrapping_add(3)).ok_or(short)?;
    // The plan checked RemainingLen >= the entry's words.
    let words = (g.entry_len / 4) as u8;
    *remaining = (*remaining & 0x80) | (*remaining & 0x7f).wrapping_sub(words);
    Ok(())
}

/// Fills `pad` with padding: PadN options of at most 257 bytes, a Pad1 for a single byte.
fn write_padding(pad: &mut [u8]) {
    let mut rest = pad;
    while !rest.is_empty() {
        let len = rest.len().min(usize::from(u8::MAX).wrapping_add(2));
        let (chunk, tail) = core::mem::take(&mut rest).split_at_mut(len);
        match chunk {
            [] => {}
            [only] => *only = IPV6_TLV_PAD1,
            [t, body_len, body @ ..] => {
                *t = IPV6_TLV_PADN;
                *body_len = body.len() as u8; // at most 255
                body.fill(0);
            }
        }
        rest = tail;
    }
}

/// Length of the Hop-by-Hop header an encapsulating node starts an Incremental Trace with,
/// before any entry: next header and length, a PadN of 2 (the option 4n-aligned), the IOAM
/// option header and the trace header.
pub const EMPTY_HBH_LEN: usize = 16;

/// The Incremental Trace option of a header from [`write_empty_hbh`].
pub const EMPTY_OPTION: IoamOption = IoamOption {
    offset: 4,
    len: 2 + TRACE_OPT_LEN_MIN,
    ioam_type: IOAM_TYPE_INCREMENTAL,
};

/// Writes the Hop-by-Hop header an encapsulating node starts an Incremental Trace with: one
/// option with no entries, RemainingLen `max_len / 4`, the growth all nodes together may add
/// (this node's own entry included). `max_len` is checked as a Pre-allocated Trace's size
/// ([`validate_encap`]: 4 to 244, a multiple of 4; the option's length byte allows no more).
/// The next header is left 0 ([`Start::write`] sets it).
pub fn write_empty_hbh(
    namespace_id: u16,
    trace_type: u32,
    max_len: usize,
) -> Result<[u8; EMPTY_HBH_LEN], WireError> {
    validate_encap(trace_type, max_len).map_err(WireError::Encap)?;
    let header = TraceHeader {
        namespace_id,
        node_len: u8::try_from(node_len(trace_type)).map_err(|_| WireError::FieldOutOfRange)?,
        overflow: false,
        remaining_len: u8::try_from(max_len / 4).map_err(|_| WireError::FieldOutOfRange)?,
        trace_type,
    };
    let mut hbh = [0u8; EMPTY_HBH_LEN];
    let (fixed, trace) = hbh
        .split_first_chunk_mut::<8>()
        .ok_or(WireError::BufferTooShort)?;
    // One 8-byte unit beyond the first: 16 bytes; the option: 2 + 10 bytes.
    *fixed = [
        0,
        1,
        IPV6_TLV_PADN,
        0,
        IPV6_TLV_IOAM,
        TRACE_OPT_LEN_MIN as u8,
        0,
        IOAM_TYPE_INCREMENTAL,
    ];
    trace.copy_from_slice(&header.to_bytes()?);
    Ok(hbh)
}

/// What an encapsulating node's Hop-by-Hop header gets, decided before the packet grows:
/// from [`Start::plan`].
#[derive(Debug, Clone, Copy)]
pub enum Start<'e, 'n, 'a> {
    /// Its own entry, as the first one.
    Insert(Growth, &'e Entry<'n, 'a>),
    /// No room for its entry within RemainingLen: the Overflow flag, no entry.
    Overflow,
    /// No entry (this node has no data for the namespace).
    Empty,
}

impl<'e, 'n, 'a> Start<'e, 'n, 'a> {
    /// Plans `entry` (`None`: no data to add) into `template`, from [`write_empty_hbh`].
    pub fn plan(template: &[u8; EMPTY_HBH_LEN], entry: Option<&'e Entry<'n, 'a>>) -> Self {
        let Some(entry) = entry else {
            return Self::Empty;
        };
        match plan_insert(template, &EMPTY_OPTION, entry.words()) {
            Ok(growth) => Self::Insert(growth, entry),
            Err(NoInsert::Overflow) => Self::Overflow,
            // Not with a template of ours: send it as it is.
            Err(NoInsert::AlreadyOverflowed | NoInsert::Malformed(_)) => Self::Empty,
        }
    }

    /// The length of the header [`Start::write`] writes.
    pub const fn hbh_len(&self) -> usize {
        match self {
            Self::Insert(growth, _) => EMPTY_HBH_LEN.saturating_add(growth.added),
            Self::Overflow | Self::Empty => EMPTY_HBH_LEN,
        }
    }

    /// Writes the header into `out`, [`Start::hbh_len`] bytes long, with `next_header`.
    pub fn write(
        &self,
        out: &mut [u8],
        template: &[u8; EMPTY_HBH_LEN],
        next_header: u8,
    ) -> Result<(), IncrementalError> {
        if out.len() != self.hbh_len() {
            return Err(IncrementalError::Truncated);
        }
        // The empty option ends the header; an insertion then moves its front to make room for
        // the entry. A fixed-size copy: no length-mismatch panic path is compiled in.
        *out.last_chunk_mut::<EMPTY_HBH_LEN>()
            .ok_or(IncrementalError::Truncated)? = *template;
        match self {
            Self::Insert(growth, entry) => insert_entry(out, 0, &EMPTY_OPTION, growth, entry)?,
            Self::Overflow => {
                let trace = EMPTY_OPTION.offset.wrapping_add(IOAM_HDR_LEN);
                let hdr = out
                    .get_mut(trace..trace.wrapping_add(TRACE_HDR_LEN))
                    .ok_or(IncrementalError::Truncated)?;
                set_overflow_flag(hdr).map_err(|_| IncrementalError::Truncated)?;
            }
            Self::Empty => {}
        }
        *out.first_mut().ok_or(IncrementalError::Truncated)? = next_header;
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    extern crate std;
    use std::{vec, vec::Vec};

    use super::super::fill::{tests::NODE, NodeData};
    use super::super::hbh::IoamOptions;
    use super::super::parse::parse_node;
    use super::super::trace::trace_bit;
    use super::*;

    const IPV6: usize = 40;

    /// A Hop-by-Hop header with `before` bytes of PadN in front of an empty Incremental Trace
    /// option of type `t` and RemainingLen `remlen`, padded to 8n, and `after` bytes of
    /// another option (type 0x3e, "skip") behind.
    fn header(before: usize, t: u32, remlen: u8, after: usize) -> Vec<u8> {
        let mut h = vec![59, 0];
        match before {
            0 => {}
            1 => h.push(IPV6_TLV_PAD1),
            n => h.extend([IPV6_TLV_PADN, (n - 2) as u8].iter().chain(&vec![0; n - 2])),
        }
        h.extend([IPV6_TLV_IOAM, 10, 0, IOAM_TYPE_INCREMENTAL]);
        let hdr = TraceHeader {
            namespace_id: 0x7b,
            node_len: node_len(t) as u8,
            overflow: false,
            remaining_len: remlen,
            trace_type: t,
        };
        h.extend(hdr.to_bytes().unwrap());
        if after > 0 {
            h.extend([0x3e, (after - 2) as u8]);
            h.extend((0..after - 2).map(|i| i as u8));
        }
        let pad = (8 - h.len() % 8) % 8;
        match pad {
            0 => {}
            1 => h.push(IPV6_TLV_PAD1),
            n => h.extend([IPV6_TLV_PADN, (n - 2) as u8].iter().chain(&vec![0; n - 2])),
        }
        h[1] = (h.len() / 8 - 1) as u8;
        h
    }

    fn first_ioam(hbh: &[u8]) -> IoamOption {
        IoamOptions::new(hbh).unwrap().next().unwrap().unwrap()
    }

    /// One hop: checks, plans and inserts `NODE` with hop limit `hop`; the new header, or
    /// why nothing was inserted.
    fn hop(hbh: &[u8], hop: u8) -> Result<Vec<u8>, NoInsert> {
        let opt = first_ioam(hbh);
        let hdr = check_incremental(&hbh[opt.offset..], IPV6 + opt.offset)
            .map_err(NoInsert::Malformed)?;
        let node = NodeData {
            hop_limit: hop,
            ..NODE
        };
        let entry = Entry::new(hdr.trace_type, &node).unwrap();
        let growth = plan_insert(hbh, &opt, entry.words())?;
        let mut buf = vec![0xee; growth.added];
        buf.extend([0x60; IPV6]);
        buf.extend(hbh);
        insert_entry(&mut buf, IPV6, &opt, &growth, &entry).unwrap();
        assert!(
            buf[..IPV6].iter().all(|&b| b == 0x60),
            "the prefix moved whole"
        );
        Ok(buf[IPV6..].to_vec())
    }

    /// Every option of `hbh` in order, as (type, length), checking the TLV chain ends exactly.
    fn options(hbh: &[u8]) -> Vec<(u8, usize)> {
        let mut v = vec![];
        let mut pos = 2;
        while pos < hbh.len() {
            if hbh[pos] == IPV6_TLV_PAD1 {
                v.push((0, 1));
                pos += 1;
            } else {
                let len = usize::from(hbh[pos + 1]) + 2;
                v.push((hbh[pos], len));
                pos += len;
            }
        }
        assert_eq!(pos, hbh.len());
        v
    }

    #[test]
    fn entries_are_inserted_newest_first_and_the_header_stays_8n() {
        // 4-byte entries (bit 0): the padding in front alternates between 2 and 6 bytes.
        let t = trace_bit(0);
        let mut h = header(2, t, 20, 0);
        for n in 1..=5u8 {
            h = hop(&h, n).unwrap();
            assert_eq!(h.len() % 8, 0);
            assert_eq!(usize::from(h[1]) * 8 + 8, h.len());
            let opt = first_ioam(&h);
            assert_eq!(opt.offset % 4, 0, "the option stays 4n-aligned");
            let hdr = check_incremental(&h[opt.offset..], IPV6 + opt.offset).unwrap();
            assert_eq!(hdr.remaining_len, 20 - n);
            // The entries, newest first: hop limits n, n-1, ..., 1.
            let mut data = &h[opt.offset + 12..opt.offset + opt.len];
            let mut hops = vec![];
            while let Some((node, used)) = parse_node(t, data) {
                hops.push(node.hop_limit_node_id.unwrap().0);
                data = &data[used..];
            }
            assert_eq!(hops, (1..=n).rev().collect::<Vec<_>>());
        }
    }

    #[test]
    fn options_behind_keep_their_bytes_and_alignment() {
        let t = trace_bit(0) | trace_bit(1);
        let h = header(2, t, 10, 6);
        let after_old = options(&h);
        let tail_old = h[h.len() - 8..].to_vec();
        let grown = hop(&h, 9).unwrap();
        assert_eq!(grown.len(), h.len() + 8);
        assert_eq!(
            grown[grown.len() - 8..],
            tail_old[..],
            "bytes behind the option stay"
        );
        let after_new = options(&grown);
        assert_eq!(after_new.last(), after_old.last());
        assert!(after_new.contains(&(0x3e, 6)));
    }

    #[test]
    fn no_padding_in_front_gets_four_bytes() {
        // The option at offset 4 needs 2 bytes in front: a Pad1 pair is not produced here, so
        // use PadN(2) then let a 4-byte entry add 4.
        let t = trace_bit(0);
        let h = header(2, t, 5, 0);
        let g = hop(&h, 1).unwrap();
        assert_eq!(options(&g)[0], (IPV6_TLV_PADN, 6));
        let g2 = hop(&g, 2).unwrap();
        assert_eq!(options(&g2)[0], (IPV6_TLV_PADN, 2));
        assert_eq!(g2.len(), h.len() + 8);
    }

    #[test]
    fn overflow_and_refusals() {
        let t = trace_bit(0) | trace_bit(8); // 3 words
        assert_eq!(hop(&header(2, t, 2, 0), 1), Err(NoInsert::Overflow));
        assert_eq!(hop(&header(2, t, 0, 0), 1), Err(NoInsert::Overflow));
        let mut h = header(2, t, 10, 0);
        h[4 + 4 + 2] |= 0x04;
        assert_eq!(hop(&h, 1), Err(NoInsert::AlreadyOverflowed));
        let mut h = header(2, t, 10, 0);
        h[4 + 4 + 2] = (1 << 3) | (h[4 + 4 + 2] & 7);
        assert_eq!(
            hop(&h, 1),
            Err(NoInsert::Malformed(IncrementalError::NodeLenMismatch))
        );
        // Misaligned: an option at offset 2 from the Hop-by-Hop start (42 in the packet).
        let h = header(0, t, 10, 0);
        assert_eq!(
            hop(&h, 1),
            Err(NoInsert::Malformed(IncrementalError::Misaligned))
        );
    }

    #[test]
    fn the_option_length_byte_limits_growth() {
        // Room for 8 entries by RemainingLen, but opt_len (8 bits) stops the fifth.
        let t = 0x00ff_f000; // bits 0-11: 15 words
        let words = node_len(t) as usize;
        let mut h = header(2, t, 127, 0);
        let mut inserted = 0;
        loop {
            match hop(&h, 1) {
                Ok(g) => {
                    h = g;
                    inserted += 1;
                }
                Err(e) => {
                    assert_eq!(e, NoInsert::Overflow);
                    break;
                }
            }
        }
        let opt = first_ioam(&h);
        assert!(opt.len + words * 4 > 257);
        assert_eq!(opt.len, 12 + inserted * words * 4);
    }

    #[test]
    fn check_refuses_partial_words() {
        let mut h = header(2, trace_bit(0), 3, 0);
        h[5] = 11; // opt_len 11: one byte of data
        h.push(0);
        assert_eq!(
            check_incremental(&h[4..], IPV6 + 4),
            Err(IncrementalError::NotWords)
        );
    }

    /// An encapsulating node's header for trace type `t` and `max_len`, with `NODE`'s entry.
    fn start(t: u32, max_len: usize, next_header: u8) -> Vec<u8> {
        let template = write_empty_hbh(0x7b, t, max_len).unwrap();
        let entry = Entry::new(t, &NODE).unwrap();
        let plan = Start::plan(&template, Some(&entry));
        let mut out = vec![0xee; plan.hbh_len()];
        plan.write(&mut out, &template, next_header).unwrap();
        out
    }

    #[test]
    fn the_empty_header_is_a_valid_incremental_trace() {
        let t = trace_bit(0) | trace_bit(1);
        let h = write_empty_hbh(0x7b, t, 40).unwrap();
        assert_eq!(options(&h), vec![(IPV6_TLV_PADN, 2), (IPV6_TLV_IOAM, 12)]);
        assert_eq!(first_ioam(&h), EMPTY_OPTION);
        let hdr = check_incremental(&h[4..], IPV6 + 4).unwrap();
        assert_eq!((hdr.namespace_id, hdr.trace_type), (0x7b, t));
        assert_eq!((hdr.remaining_len, hdr.overflow), (10, false));
        assert_eq!(
            write_empty_hbh(0x7b, t, 248),
            Err(WireError::Encap(
                super::super::option::EncapError::SizeOutOfRange
            ))
        );
    }

    #[test]
    fn the_encapsulating_node_starts_with_its_own_entry() {
        // Every entry size of the short fields, every room from none to plenty.
        for t in [
            trace_bit(0),
            trace_bit(0) | trace_bit(1),
            0x00ff_f000,
            trace_bit(2) | trace_bit(7) | trace_bit(9),
        ] {
            let words = node_len(t) as usize;
            for max_len in (4..=244).step_by(4) {
                let h = start(t, max_len, 17);
                assert_eq!(h[0], 17, "next header");
                assert_eq!(h.len() % 8, 0);
                assert_eq!(usize::from(h[1]) * 8 + 8, h.len());
                let opt = first_ioam(&h);
                assert_eq!(opt.offset % 4, 0);
                let hdr = check_incremental(&h[opt.offset..], IPV6 + opt.offset).unwrap();
                if words * 4 <= max_len {
                    assert!(!hdr.overflow);
                    assert_eq!(usize::from(hdr.remaining_len), max_len / 4 - words);
                    let data = &h[opt.offset + 12..opt.offset + opt.len];
                    let (node, used) = parse_node(t, data).unwrap();
                    assert_eq!(used, data.len(), "one entry");
                    if t & trace_bit(0) != 0 {
                        assert_eq!(node.hop_limit_node_id.unwrap().0, NODE.hop_limit);
                    }
                    // A transit node can insert behind it.
                    if max_len / 4 >= 2 * words {
                        let next = hop(&h, 7).unwrap();
                        let added = next.len() - h.len();
                        assert_eq!(added % 8, 0);
                        assert!(added + 4 >= words * 4 && added <= words * 4 + 4);
                    }
                } else {
                    assert!(hdr.overflow);
                    assert_eq!(h.len(), EMPTY_HBH_LEN);
                    assert_eq!(usize::from(hdr.remaining_len), max_len / 4);
                }
            }
        }
    }

    #[test]
    fn no_data_leaves_the_header_empty() {
        let template = write_empty_hbh(0x7b, trace_bit(0), 8).unwrap();
        let plan = Start::plan(&template, None);
        let mut out = vec![0; plan.hbh_len()];
        plan.write(&mut out, &template, 6).unwrap();
        assert_eq!(out[0], 6);
        assert_eq!(out[1..], template[1..]);
        let mut short = vec![0; EMPTY_HBH_LEN - 1];
        assert_eq!(
            plan.write(&mut short, &template, 6),
            Err(IncrementalError::Truncated)
        );
    }
}
