// SPDX-License-Identifier: GPL-2.0
//! Putting the trace into a packet: the route's Hop-by-Hop header inserted after the IPv6
//! header (inline) or carried by an outer IPv6 header (encap), with this node's data filled.

use kernel::{prelude::*, sync::rcu};

use super::{EncapRoute, NEXTHDR_HOP, NEXTHDR_IPV6, TRACE_OFFSET};
use crate::{
    ioam::{node, state::NetState},
    net::skb::{OutputPacket, IPV6_HDR_LEN},
    wire::{
        fill::{fill_node, FillOutcome},
        option::TRACE_HDR_LEN,
    },
};

impl EncapRoute {
    /// Inserts the Hop-by-Hop header after the IPv6 header (which has none yet) and fills
    /// this node's data.
    pub(super) fn insert_inline(
        &self,
        st: Option<&NetState>,
        mut pkt: OutputPacket,
        facts: &node::Facts,
        guard: &rcu::Guard,
    ) -> Result<OutputPacket> {
        let next_header = pkt.ipv6_header()[6];
        let extra = pkt.route_dev(guard).map_or(0, |d| d.ll_reserved_space());
        let len = self.hbh_len;
        let payload_len = pkt.payload_len_after(len).ok_or(EMSGSIZE)?;
        let buf = pkt.push(len, extra, true)?;
        let (hdr, hbh) = buf.split_at_mut_checked(IPV6_HDR_LEN).ok_or(EINVAL)?;
        let hdr: &mut [u8; IPV6_HDR_LEN] = hdr.try_into().map_err(|_| EINVAL)?;
        self.write_hbh(hbh, next_header);
        hdr[6] = NEXTHDR_HOP;
        hdr[4..6].copy_from_slice(&payload_len.to_be_bytes());
        let hop_limit = hdr[7];
        self.fill_trace(st, hbh, hop_limit, facts, guard);
        pkt.finish_push(IPV6_HDR_LEN + len);
        Ok(pkt)
    }

    /// Wraps the packet in an outer IPv6 header from `saddr` to `tundst` carrying the
    /// Hop-by-Hop header (RFC 2473), and fills this node's data.
    pub(super) fn encapsulate(
        &self,
        st: Option<&NetState>,
        pkt: &mut OutputPacket,
        saddr: &[u8; 16],
        facts: &node::Facts,
        guard: &rcu::Guard,
    ) -> Result {
        let extra = pkt.route_dev(guard).map_or(0, |d| d.ll_reserved_space());
        let len = IPV6_HDR_LEN + self.hbh_len;
        let payload_len = pkt.payload_len_after(len).ok_or(EMSGSIZE)?;
        pkt.prepare_ip6ip6()?;
        let buf = pkt.push(len, extra, false)?;
        let (outer, rest) = buf.split_at_mut_checked(IPV6_HDR_LEN).ok_or(EINVAL)?;
        let outer: &mut [u8; IPV6_HDR_LEN] = outer.try_into().map_err(|_| EINVAL)?;
        let (hbh, inner) = rest.split_at_mut_checked(self.hbh_len).ok_or(EINVAL)?;
        // The outer header copies the inner one, with our addresses.
        outer.copy_from_slice(inner.get(..IPV6_HDR_LEN).ok_or(EINVAL)?);
        outer[4..6].copy_from_slice(&payload_len.to_be_bytes());
        outer[6] = NEXTHDR_HOP;
        outer[8..24].copy_from_slice(saddr);
        outer[24..40].copy_from_slice(&self.tundst);
        self.write_hbh(hbh, NEXTHDR_IPV6);
        let hop_limit = outer[7];
        self.fill_trace(st, hbh, hop_limit, facts, guard);
        pkt.finish_push(len);
        Ok(())
    }

    fn write_hbh(&self, hbh: &mut [u8], next_header: u8) {
        if let (Some(dst), Some(src)) = (hbh.get_mut(..self.hbh_len), self.hbh.get(..self.hbh_len))
        {
            dst.copy_from_slice(src);
            dst[0] = next_header;
        }
    }

    fn fill_trace(
        &self,
        st: Option<&NetState>,
        hbh: &mut [u8],
        hop_limit: u8,
        facts: &node::Facts,
        guard: &rcu::Guard,
    ) {
        let Some(option) = hbh.get_mut(
            TRACE_OFFSET..TRACE_OFFSET + TRACE_HDR_LEN + usize::from(self.trace.remaining_len) * 4,
        ) else {
            return;
        };
        let Some(ns) = st.and_then(|st| st.namespace(self.trace.namespace_id, guard)) else {
            return; // unknown namespace: the trace goes out empty
        };
        let schema = ns.schema.get(guard);
        let data = facts.node_data(
            hop_limit,
            (ns.data, ns.wide),
            schema.map(|s| (s.id, &s.data[..])),
        );
        if let FillOutcome::Malformed(_) = fill_node(option, &data) {
            // Cannot happen with our own template; nothing was written.
        }
    }
}
