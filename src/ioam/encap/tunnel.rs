// SPDX-License-Identifier: GPL-2.0
//! Where an encap route's outer packets go: the route to `tundst` and its source address, and
//! whether that route is the encap route itself, kept per routing generation; and the packet
//! encapsulated and sent there.

use kernel::prelude::*;

use super::EncapRoute;
use crate::{
    ioam::{node, state::NetState},
    net::{
        dst::{self, DstRef},
        pernet::Net,
        skb::OutputPacket,
    },
    sync::{rcu, seqcell::SeqCell},
};

/// A route to `tundst` and the outer source address to send with.
pub(super) type TunnelRoute = (DstRef, [u8; 16]);

/// Where `tundst` is routed.
#[derive(Clone, Copy)]
pub(super) enum TunnelPath {
    /// Back through this very route (the usual set-up: the tunnel ends inside the route's
    /// own prefix): the outer packet leaves like the inner one, with this source address.
    Looped([u8; 16]),
    /// Through another route, kept in the route cache.
    Elsewhere,
}

/// The last lookup's [`TunnelPath`], kept with the routing generation it was found in: a
/// route added or replaced, a rule changed or an address changed makes it stale. The route
/// cache cannot hold a looped route (the route would hold itself); upstream caches that
/// finding for ever.
pub(super) struct TunnelFinding(SeqCell<7>);

impl TunnelFinding {
    const LOOPED: u32 = 1;
    const ELSEWHERE: u32 = 2;

    pub(super) fn new() -> Self {
        Self(SeqCell::new([0; 7]))
    }

    /// The finding, if it holds in `net`'s current routing generation.
    pub(super) fn get(&self, net: &Net) -> Option<TunnelPath> {
        let [routes, addresses, kind, a, b, c, d] = self.0.read()?;
        if (routes, addresses) != net.ipv6_routing_generation() {
            return None;
        }
        match kind {
            Self::LOOPED => {
                let bytes = [a, b, c, d].map(u32::to_ne_bytes);
                let saddr = bytes.as_flattened().try_into().ok()?;
                Some(TunnelPath::Looped(saddr))
            }
            Self::ELSEWHERE => Some(TunnelPath::Elsewhere),
            _ => None, // nothing found yet
        }
    }

    /// Records the finding of a lookup made in routing generation `generation`.
    pub(super) fn found(&self, generation: (u32, u32), path: TunnelPath) {
        let mut words = [generation.0, generation.1, Self::ELSEWHERE, 0, 0, 0, 0];
        if let TunnelPath::Looped(saddr) = path {
            words[2] = Self::LOOPED;
            for (word, chunk) in words[3..].iter_mut().zip(saddr.chunks_exact(4)) {
                *word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            }
        }
        self.0.try_write(words);
    }
}

impl EncapRoute {
    /// Encapsulates `pkt` for `tundst`, at the transmit stage. The outer packet either goes
    /// on along this very route (returned without a route) or along the route to `tundst`,
    /// returned for the caller to send it there.
    pub(super) fn encapsulate_for_tundst<'g>(
        &self,
        net: &Net,
        st: Option<&'g NetState>,
        mut pkt: OutputPacket,
        guard: &'g rcu::Guard,
    ) -> Result<(OutputPacket, Option<DstRef>)> {
        // The usual set-up, found before in this routing generation: nothing to look up.
        let (saddr, via) = match self.tunnel.get(net) {
            Some(TunnelPath::Looped(saddr)) => (saddr, None),
            found => self.outer_route(net, &pkt, found)?,
        };
        let mut facts = self.facts(net, &pkt, guard);
        self.encapsulate(st, &mut pkt, &saddr, &mut facts, guard)?;
        Ok((pkt, via))
    }

    /// The outer source address and, unless the outer packet goes on along this very route,
    /// the route to send it along: for a `tundst` routed elsewhere or not looked up in this
    /// routing generation yet (`found`: the last finding, if it holds).
    // Out of line: the usual looped tunnel never needs it.
    #[inline(never)]
    fn outer_route(
        &self,
        net: &Net,
        pkt: &OutputPacket,
        found: Option<TunnelPath>,
    ) -> Result<([u8; 16], Option<DstRef>)> {
        let (path, route) = match found {
            Some(path) => (path, None),
            None => self.look_up_path(net, pkt)?,
        };
        match path {
            TunnelPath::Looped(saddr) => Ok((saddr, None)),
            TunnelPath::Elsewhere => {
                let (dst, saddr) = route.map_or_else(|| self.tunnel_route(net, pkt), Ok)?;
                if pkt.routed_like(&dst) {
                    // A finding of another route outlives that route's deletion (which leaves
                    // the routing generation as it was): `tundst` is reached through this
                    // very route again.
                    drop(dst);
                    self.tunnel
                        .found(net.ipv6_routing_generation(), TunnelPath::Looped(saddr));
                    Ok((saddr, None))
                } else {
                    Ok((saddr, Some(dst)))
                }
            }
        }
    }

    /// Where `tundst` is routed, by a new lookup, which is recorded. A route found elsewhere
    /// is returned for the packet at hand. No route is an error, and is not recorded:
    /// deleting a route (an `unreachable` one, say) leaves the routing generation as it was.
    fn look_up_path(
        &self,
        net: &Net,
        pkt: &OutputPacket,
    ) -> Result<(TunnelPath, Option<TunnelRoute>)> {
        // Read before the lookup: a change during it makes the finding stale at once.
        let generation = net.ipv6_routing_generation();
        let (dst, saddr) = self.tunnel_route(net, pkt)?;
        let (path, route) = if pkt.routed_like(&dst) {
            (TunnelPath::Looped(saddr), None)
        } else {
            (TunnelPath::Elsewhere, Some((dst, saddr)))
        };
        self.tunnel.found(generation, path);
        Ok((path, route))
    }

    /// The route to `tundst` and the outer source address, from the cache or a lookup. A
    /// route back through this very state is returned but never cached: it would hold itself.
    fn tunnel_route(&self, net: &Net, pkt: &OutputPacket) -> Result<TunnelRoute> {
        if let Some((dst, cached_src)) = self.routes.get() {
            return Ok((dst, self.tunsrc.unwrap_or(cached_src)));
        }
        let saddr = match &self.tunsrc {
            Some(src) => *src,
            None => pkt
                .route_dev(&rcu::read_lock())
                .and_then(|d| node::source_address(net, d, &self.tundst))
                .ok_or_else(dst::host_unreachable)?,
        };
        let dst = dst::route_output(net, &saddr, &self.tundst, pkt.mark())?;
        // A route through a lightweight tunnel is never cached: through this very route it
        // would hold itself, and through another tunnel whose route leads back here the two
        // caches would hold each other.
        if !dst.has_lwtstate() {
            self.routes.set(&dst, &saddr);
        }
        Ok((dst, saddr))
    }
}
