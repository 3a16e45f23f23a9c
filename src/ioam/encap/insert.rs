// SPDX-License-Identifier: GPL-2.0
//! Putting the trace into a packet: the route's Hop-by-Hop header inserted after the IPv6
//! header (inline) or carried by an outer IPv6 header (encap), with this node's data: filled
//! into a Pre-allocated Trace, or inserted as the first entry of an Incremental Trace (whose
//! header's length then depends on the entry, so it is decided before the packet grows).

use kernel::{prelude::*, sync::atomic::Relaxed};

use super::{EncapRoute, NEXTHDR_HOP, NEXTHDR_IPV6, TRACE_OFFSET};
use crate::{
    ioam::{node, state::NetState},
    net::skb::{OutputPacket, IPV6_HDR_LEN},
    sync::rcu,
    uapi::stat,
    wire::{
        fill::{Entry, FillOutcome, NodeData},
        flags::Flags,
        incremental::{Start, EMPTY_HBH_LEN},
        option::TRACE_HDR_LEN,
        route::TraceOption,
    },
};

/// One packet's Hop-by-Hop header, decided before the packet grows.
enum Header<'e, 'n, 'a> {
    /// The route's template, then this node's data filled in (none: unknown namespace).
    Prealloc(Option<&'n NodeData<'a>>),
    /// The route's empty Incremental Trace with this node's entry inserted (or not).
    Incremental(Start<'e, 'n, 'a>),
    /// The route's Direct Export option, with this packet's Sequence Number if flagged.
    Dex,
}

impl EncapRoute {
    /// Inserts the Hop-by-Hop header after the IPv6 header (which has none yet), with this
    /// node's data.
    // Inlined into the hook or transmit handler that calls it, as the other steps of the packet
    // path: a call per packet cost more than most of them (README, Benchmarks).
    #[inline(always)]
    pub(super) fn insert_inline<'g>(
        &self,
        st: Option<&'g NetState>,
        mut pkt: OutputPacket,
        facts: &mut node::Facts<'g>,
        guard: &'g rcu::Guard,
    ) -> Result<OutputPacket> {
        let [.., next_header, hop_limit] = *pkt.ipv6_header().first_chunk::<8>().ok_or(EINVAL)?;
        let data = self.node_data(st, hop_limit, facts, guard);
        let entry = self.entry(data);
        let header = self.header(data, entry.as_ref());
        let len = self.header_len(&header);
        let extra = pkt.route_dev(guard).map_or(0, |d| d.ll_reserved_space());
        let payload_len = pkt.payload_len_after(len).ok_or(EMSGSIZE)?;
        // A copy goes back to the packet's source: only a packet from here may ask for one.
        let from_here = !pkt.was_received();
        let buf = pkt.push(len, extra, true)?;
        let (hdr, hbh) = buf.split_at_mut_checked(IPV6_HDR_LEN).ok_or(EINVAL)?;
        let hdr: &mut [u8; IPV6_HDR_LEN] = hdr.try_into().map_err(|_| EINVAL)?;
        let hbh = hbh.get_mut(..len).ok_or(EINVAL)?;
        self.write_header(hbh, next_header, &header)?;
        self.set_flags(st, hbh, from_here);
        hdr[6] = NEXTHDR_HOP;
        hdr[4..6].copy_from_slice(&payload_len.to_be_bytes());
        // A Hop-by-Hop header is at most 2 KiB: cannot wrap.
        pkt.finish_push(IPV6_HDR_LEN.wrapping_add(len));
        Ok(pkt)
    }

    /// Wraps the packet in an outer IPv6 header from `saddr` to `tundst` carrying the
    /// Hop-by-Hop header (RFC 2473), with this node's data.
    pub(super) fn encapsulate<'g>(
        &self,
        st: Option<&'g NetState>,
        pkt: &mut OutputPacket,
        saddr: &[u8; 16],
        facts: &mut node::Facts<'g>,
        guard: &'g rcu::Guard,
    ) -> Result {
        // The outer header copies the inner one's hop limit.
        let hop_limit = pkt.ipv6_header()[7];
        let data = self.node_data(st, hop_limit, facts, guard);
        let entry = self.entry(data);
        let header = self.header(data, entry.as_ref());
        let hbh_len = self.header_len(&header);
        let extra = pkt.route_dev(guard).map_or(0, |d| d.ll_reserved_space());
        // A Hop-by-Hop header is at most 2 KiB: cannot wrap.
        let len = IPV6_HDR_LEN.wrapping_add(hbh_len);
        let payload_len = pkt.payload_len_after(len).ok_or(EMSGSIZE)?;
        pkt.prepare_ip6ip6()?;
        let buf = pkt.push(len, extra, false)?;
        let (outer, rest) = buf.split_at_mut_checked(IPV6_HDR_LEN).ok_or(EINVAL)?;
        let outer: &mut [u8; IPV6_HDR_LEN] = outer.try_into().map_err(|_| EINVAL)?;
        let (hbh, inner) = rest.split_at_mut_checked(hbh_len).ok_or(EINVAL)?;
        // The outer header copies the inner one, with our addresses.
        outer.copy_from_slice(inner.get(..IPV6_HDR_LEN).ok_or(EINVAL)?);
        outer[4..6].copy_from_slice(&payload_len.to_be_bytes());
        outer[6] = NEXTHDR_HOP;
        outer[8..24].copy_from_slice(saddr);
        outer[24..40].copy_from_slice(&self.tundst);
        self.write_header(hbh, NEXTHDR_IPV6, &header)?;
        self.set_flags(st, hbh, true);
        pkt.finish_push(len);
        Ok(())
    }

    /// This node's data for a packet that leaves with `hop_limit`; `None` when the namespace
    /// is unknown here (the trace then goes out as configured, without this node's data), and
    /// for DEX, whose packets carry none.
    #[inline(always)]
    fn node_data<'f, 'g>(
        &self,
        st: Option<&'g NetState>,
        hop_limit: u8,
        facts: &'f mut node::Facts<'g>,
        guard: &'g rcu::Guard,
    ) -> Option<&'f NodeData<'g>> {
        if let TraceOption::Dex { .. } = self.option {
            return None;
        }
        let ns = st?.namespace(self.trace.namespace_id, guard)?;
        let schema = ns.schema.get(guard).map(|s| (s.id, &s.data[..]));
        Some(facts.for_namespace(hop_limit, (ns.data, ns.wide), schema, ns.tsformat))
    }

    /// This node's entry for an Incremental Trace route.
    fn entry<'n, 'a>(&self, data: Option<&'n NodeData<'a>>) -> Option<Entry<'n, 'a>> {
        match self.option {
            // Schemas are validated when added: a refusal cannot happen (then: no entry).
            TraceOption::Incremental => Entry::new(self.trace.trace_type, data?).ok(),
            TraceOption::Prealloc | TraceOption::Dex { .. } => None,
        }
    }

    fn header<'e, 'n, 'a>(
        &self,
        data: Option<&'n NodeData<'a>>,
        entry: Option<&'e Entry<'n, 'a>>,
    ) -> Header<'e, 'n, 'a> {
        match self.option {
            TraceOption::Prealloc => Header::Prealloc(data),
            TraceOption::Incremental => Header::Incremental(Start::plan(self.empty(), entry)),
            TraceOption::Dex { .. } => Header::Dex,
        }
    }

    /// The route's empty Incremental Trace header (the start of its template).
    fn empty(&self) -> &[u8; EMPTY_HBH_LEN] {
        self.hbh.first_chunk().unwrap_or(&[0; EMPTY_HBH_LEN])
    }

    fn header_len(&self, header: &Header<'_, '_, '_>) -> usize {
        match header {
            Header::Prealloc(_) | Header::Dex => self.hbh_len,
            Header::Incremental(start) => start.hbh_len(),
        }
    }

    /// Writes `header` into `hbh`, [`Self::header_len`] bytes long.
    #[inline(always)]
    fn write_header(&self, hbh: &mut [u8], next_header: u8, header: &Header<'_, '_, '_>) -> Result {
        match header {
            Header::Prealloc(data) => {
                self.copy_template(hbh, next_header)?;
                if let Some(data) = data {
                    self.fill_trace(hbh, data);
                }
                Ok(())
            }
            Header::Dex => {
                self.copy_template(hbh, next_header)?;
                if let Some(at) = self.sequence_at {
                    let number = self.sequence.fetch_add(1, Relaxed);
                    // Inside the template (checked when the route was built): cannot wrap.
                    hbh.get_mut(at..at.wrapping_add(4))
                        .ok_or(EINVAL)?
                        .copy_from_slice(&number.to_be_bytes());
                }
                Ok(())
            }
            Header::Incremental(start) => start
                .write(hbh, self.empty(), next_header)
                .map_err(|_| EINVAL),
        }
    }

    /// Sets the route's RFC 9322 flags in the trace of `hbh`: Loopback only on a packet whose
    /// source address is this node's (`from_here`), within the namespace's loopback limit.
    #[inline]
    fn set_flags(&self, st: Option<&NetState>, hbh: &mut [u8], from_here: bool) {
        if !self.flags.any() {
            return;
        }
        let loopback = self.flags.loopback && from_here && st.is_some_and(loopback_allowed);
        let flags = Flags {
            loopback,
            active: self.flags.active,
        };
        if let Some(trace) = hbh.get_mut(TRACE_OFFSET..) {
            // The template holds a trace header there: cannot fail.
            let _ = flags.set_in(trace);
        }
    }

    /// Copies the route's template into `hbh`, exactly as long, with `next_header`.
    fn copy_template(&self, hbh: &mut [u8], next_header: u8) -> Result {
        let template = self.hbh.get(..self.hbh_len).ok_or(EINVAL)?;
        if hbh.len() != template.len() {
            return Err(EINVAL);
        }
        hbh.copy_from_slice(template);
        *hbh.first_mut().ok_or(EINVAL)? = next_header;
        Ok(())
    }

    #[inline(always)]
    fn fill_trace(&self, hbh: &mut [u8], data: &NodeData<'_>) {
        // RemainingLen is at most 127 words: cannot wrap.
        let data_len = usize::from(self.trace.remaining_len).wrapping_mul(4);
        let end = (TRACE_OFFSET + TRACE_HDR_LEN).wrapping_add(data_len);
        let Some(option) = hbh.get_mut(TRACE_OFFSET..end) else {
            return;
        };
        if let FillOutcome::Malformed(_) = self.own_trace.fill(option, data) {
            // Cannot happen with our own template; nothing was written.
        }
    }
}

/// Whether the namespace's loopback limit lets one more packet ask for copies (counted).
fn loopback_allowed(st: &NetState) -> bool {
    let allowed = st.loopback_limit.allow();
    st.stats.bump(if allowed {
        stat::LOOPBACK_MARKED
    } else {
        stat::LOOPBACK_RATE_LIMITED
    });
    allowed
}
