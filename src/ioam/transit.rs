// SPDX-License-Identifier: GPL-2.0
//! Transit and decapsulating nodes: each IOAM Pre-allocated Trace option of a received
//! packet gets this node's data (RFC 9197 §4.4), from a netfilter hook at the start of IPv6
//! `PRE_ROUTING`, as the kernel's own `ipv6_hop_ioam()` does from the Hop-by-Hop parser; each
//! Incremental Trace option gets this node's entry inserted, growing the packet (the kernel
//! has no Incremental Trace); for each Direct Export option (RFC 9326) this node's data is
//! exported as a DEX event, the packet left as it is. RFC 9322: a trace with the Loopback
//! flag gets a copy sent back to its source (`loop_back`), a loopback copy addressed here is
//! reported and ends here, and so does an Active packet addressed here.
//!
//! Every option is validated here, even where the kernel's handler already did (it may be
//! configured differently); a malformed one drops the packet, counted by reason.

use kernel::prelude::*;

use crate::{
    ioam::{
        egress::Egress,
        events::{self, Packet, Traced},
        node::{Arrival, Facts, Stage},
        parked::Parked,
        state::{Namespace, NetState},
    },
    net::{
        device::NetDevice,
        netfilter::{HookOps, LazyNetHook, NetHooks, RxHook, Verdict},
        pernet::{self, Net, PerNetId},
        rx::RxPacket,
        skb::IPV6_HDR_LEN,
        tx,
    },
    sync::rcu,
    uapi::stat,
    wire::{
        dex::{parse_dex, Dex, IOAM_TYPE_DEX},
        egress::{prealloc_entry_offset, EgressFields, EGRESS_BITS, INCREMENTAL_ENTRY_OFFSET},
        fill::{fill_checked, Entry, FillOutcome, Malformed, NodeData},
        flags::{loopback_allowed, write_loopback_copy, Flags, NoLoopback, NEXTHDR_NONE},
        hbh::{check_trace, IoamOption, IoamOptions, TraceError},
        incremental::{
            check_incremental, insert_entry, plan_insert, IncrementalError, NoInsert,
            IOAM_TYPE_INCREMENTAL,
        },
        option::{set_overflow_flag, TraceHeader, IOAM_HDR_LEN, TRACE_HDR_LEN},
        timestamp::TsFormat,
        trace::trace_bit,
    },
};

/// Next-header value of a Hop-by-Hop options header.
const NEXTHDR_HOP: u8 = 0;

/// The transit node: a hook on IPv6 receive, in each network namespace where it has work
/// (registered and taken down by `control`).
pub(crate) struct Transit;

static TRANSIT_HOOKS: [HookOps; 1] = [HookOps::pre_routing::<Transit>()];
static TRANSIT_HOOK_ID: PerNetId = PerNetId::new();

impl NetHooks for Transit {
    fn ops() -> &'static [HookOps] {
        &TRANSIT_HOOKS
    }

    fn pernet_id() -> &'static PerNetId {
        &TRANSIT_HOOK_ID
    }
}

impl RxHook for Transit {
    #[inline]
    fn hook(net: &Net, ingress: &NetDevice, pkt: &mut RxPacket<'_>, guard: &rcu::Guard) -> Verdict {
        // Every IPv6 packet comes here; most have no Hop-by-Hop header and leave at once,
        // without paying for the frame of the rest. The IPv6 header is linear by now
        // (`ip6_rcv_core()` pulled it).
        match pkt.linear_network_bytes().get(6..8) {
            Some(&[NEXTHDR_HOP, hop_limit]) => {
                Self::hop_by_hop(net, ingress, pkt, hop_limit, guard)
            }
            // Not ours to judge when shorter: the stack checked the header.
            _ => Verdict::Accept,
        }
    }
}

impl Transit {
    #[inline(never)]
    fn hop_by_hop(
        net: &Net,
        ingress: &NetDevice,
        pkt: &mut RxPacket<'_>,
        hop_limit: u8,
        guard: &rcu::Guard,
    ) -> Verdict {
        let Some(st) = pernet::get::<NetState>(net, guard) else {
            return Verdict::Accept;
        };
        if !st.ioam_enabled(ingress, guard) {
            return Verdict::Accept;
        }
        let node = Node {
            net,
            st,
            ingress,
            guard,
            hop_limit,
        };
        match node.process(pkt) {
            Ok(()) => Verdict::Accept,
            Err(reason) => {
                st.stats.bump(reason);
                Verdict::Drop
            }
        }
    }
}

/// This node, processing one packet.
struct Node<'a> {
    net: &'a Net,
    st: &'a NetState,
    ingress: &'a NetDevice,
    guard: &'a rcu::Guard,
    /// The packet's hop limit as received.
    hop_limit: u8,
}

/// An Incremental Trace option after this node's insertion.
struct Grown {
    /// Bytes the packet grew by (0 when nothing was inserted).
    added: usize,
    /// The trace header and data, as offsets from the new network header.
    trace: core::ops::Range<usize>,
}

/// One trace option found valid.
struct Found {
    namespace_id: u16,
    trace_type: u32,
    /// The trace header and data, as offsets from the IPv6 header.
    trace: core::ops::Range<usize>,
    /// Which option it is.
    kind: Kind,
    /// The trace's RFC 9322 flags.
    flags: Flags,
}

/// What a found option is, with what acting on it takes.
enum Kind {
    /// A Pre-allocated Trace, its header as checked: filled without checking it again.
    Prealloc(TraceHeader),
    /// An Incremental Trace option, for an insertion.
    Incremental(IoamOption),
    /// A Direct Export option: nothing to write, this node's data to export.
    Dex(Dex),
}

impl Found {
    fn is_incremental(&self) -> bool {
        matches!(self.kind, Kind::Incremental(_))
    }
}

/// Where a packet with a flagged trace stands (RFC 9322).
struct Standing {
    /// What follows the Hop-by-Hop header: "none" in a loopback copy.
    next_header: u8,
    /// Whether the packet is addressed to this node: it ends here.
    for_us: bool,
}

impl Standing {
    fn is_copy(&self) -> bool {
        self.next_header == NEXTHDR_NONE
    }
}

impl<'a> Node<'a> {
    /// Fills every IOAM trace option of the Hop-by-Hop header; `Err` holds the counter of
    /// the reason to drop the packet.
    fn process(&self, pkt: &mut RxPacket<'_>) -> Result<(), u16> {
        let mut hbh_end = {
            let b = pkt
                .network_bytes(IPV6_HDR_LEN + 2)
                .ok_or(stat::DROP_TRUNCATED)?;
            let ext_len = *b.get(IPV6_HDR_LEN + 1).ok_or(stat::DROP_TRUNCATED)?;
            IPV6_HDR_LEN + (usize::from(ext_len) + 1) * 8
        };
        let mut position = None;
        // None until the first option that needs them: no default facts to copy over.
        let mut facts: Option<Facts<'_>> = None;
        // This node's entries whose transit delay and queue depth wait for the egress (`None`
        // until the first: most trace types have neither field).
        let mut parked: Option<Parked> = None;
        // An active packet addressed here ends here, once all its options are processed.
        let mut terminate = false;
        loop {
            let found = {
                let bytes = pkt.network_bytes(hbh_end).ok_or(stat::DROP_TRUNCATED)?;
                let hbh = bytes.get(IPV6_HDR_LEN..).ok_or(stat::DROP_TRUNCATED)?;
                let mut options = match position {
                    None => IoamOptions::new(hbh),
                    Some(p) => IoamOptions::resume(hbh, p),
                }
                .map_err(|_| stat::DROP_TRUNCATED)?;
                let next = options.next();
                position = Some(options.position());
                match next {
                    None if terminate => return Err(stat::ACTIVE_TERMINATED),
                    None => {
                        // A packet delivered here has no egress to wait for; parked or not,
                        // any stale entry at its address goes.
                        let leaving = facts.as_ref().filter(|f| f.leaves());
                        let received = leaving.and_then(Facts::received_ns);
                        let parked = parked.filter(|_| leaving.is_some());
                        if self.st.egress.park(parked, pkt, received) {
                            // The egress hook, registered the first time it has work here.
                            if let Some(hook) =
                                pernet::get::<LazyNetHook<Egress>>(self.net, self.guard)
                            {
                                hook.request();
                            }
                        }
                        return Ok(());
                    }
                    Some(Err(_)) => return Err(stat::DROP_TRUNCATED),
                    Some(Ok(opt)) => self.check(hbh, opt)?,
                }
            };
            let Some(found) = found else {
                continue;
            };
            let Some(ns) = self.st.namespace(found.namespace_id, self.guard) else {
                self.st.stats.bump(stat::TRACE_UNKNOWN_NAMESPACE);
                continue;
            };
            if let Kind::Dex(dex) = &found.kind {
                self.export(pkt, dex, ns, &mut facts);
                continue;
            }
            let standing = if found.flags.any() {
                Some(self.standing(pkt, hbh_end)?)
            } else {
                None
            };
            if let Some(standing) = &standing {
                if found.flags.loopback && standing.is_copy() && standing.for_us {
                    // A copy looped back to us: its journey ends here.
                    self.report_copy(pkt, hbh_end, &found, ns.tsformat);
                    return Err(stat::LOOPBACK_RECEIVED);
                }
            }
            let data = self.node_data(pkt, found.trace_type, ns, &mut facts);
            let trace = match &found.kind {
                Kind::Incremental(opt) => {
                    let Some(grown) = self.insert(pkt, hbh_end, &found, opt, data)? else {
                        continue;
                    };
                    if grown.added != 0 && found.trace_type & EGRESS_BITS != 0 {
                        let header = pkt
                            .network_bytes(hbh_end)
                            .and_then(|b| b.get(grown.trace.start..))
                            .and_then(|t| t.first_chunk::<TRACE_HDR_LEN>());
                        if let Some(header) = header {
                            park_later(
                                grown.trace.start,
                                *header,
                                found.trace_type,
                                INCREMENTAL_ENTRY_OFFSET,
                                &mut parked,
                            );
                        }
                    }
                    // What lies behind the option stayed in place while the header's start moved.
                    hbh_end = hbh_end
                        .checked_add(grown.added)
                        .ok_or(stat::DROP_TRUNCATED)?;
                    position = position.and_then(|p| p.checked_add(grown.added));
                    grown.trace
                }
                Kind::Prealloc(hdr) => {
                    // The header as written, for the egress to recognise the trace by.
                    let (outcome, header) = pkt
                        .edit(found.trace.clone(), |trace| {
                            let outcome = fill_checked(trace, hdr, data);
                            (outcome, trace.first_chunk::<TRACE_HDR_LEN>().copied())
                        })
                        .map_err(|_| stat::DROP_NOT_WRITABLE)?;
                    if let (FillOutcome::Filled, Some(header)) = (outcome, header) {
                        if found.trace_type & EGRESS_BITS != 0 {
                            park_later(
                                found.trace.start,
                                header,
                                found.trace_type,
                                prealloc_entry_offset(&header),
                                &mut parked,
                            );
                        }
                    }
                    self.st.stats.bump(match outcome {
                        FillOutcome::Filled => stat::TRACE_FILLED,
                        FillOutcome::Overflow => stat::TRACE_OVERFLOW,
                        FillOutcome::AlreadyOverflowed => stat::TRACE_ALREADY_OVERFLOWED,
                        FillOutcome::Malformed(Malformed::InvalidSchema) => {
                            // Schemas are validated when added: cannot happen. Nothing was written.
                            continue;
                        }
                        FillOutcome::Malformed(m) => return Err(malformed_counter(m)),
                    });
                    found.trace.clone()
                }
                // Exported above.
                Kind::Dex(_) => continue,
            };
            let traced = Traced {
                incremental: found.is_incremental(),
                tsformat: ns.tsformat,
            };
            if events::may_have_listeners() {
                if let Some(bytes) = pkt.network_bytes(hbh_end) {
                    if let (Some(packet), Some(trace)) = (Packet::of(bytes), bytes.get(trace)) {
                        events::trace(self.net, self.st, self.guard, packet, trace, traced);
                    }
                }
            }
            if let Some(standing) = standing {
                if found.flags.loopback {
                    self.loop_back(pkt, hbh_end, found.trace_type, standing.next_header);
                }
                terminate |= found.flags.active && standing.for_us && !standing.is_copy();
            }
        }
    }

    /// Where the packet stands, for a trace with RFC 9322 flags (`hbh_end`: the end of its
    /// Hop-by-Hop header from the IPv6 header).
    // Out of line, as what follows it: only flagged traces need it.
    #[inline(never)]
    fn standing(&self, pkt: &mut RxPacket<'_>, hbh_end: usize) -> Result<Standing, u16> {
        let bytes = pkt.network_bytes(hbh_end).ok_or(stat::DROP_TRUNCATED)?;
        let next_header = *bytes.get(IPV6_HDR_LEN).ok_or(stat::DROP_TRUNCATED)?;
        let daddr: &[u8; 16] = bytes
            .get(24..40)
            .and_then(|a| a.try_into().ok())
            .ok_or(stat::DROP_TRUNCATED)?;
        Ok(Standing {
            next_header,
            for_us: self.net.has_address(daddr),
        })
    }

    /// Reports the loopback copy addressed to this node (the trace `found`, as received) as
    /// a LOOPBACK event.
    #[inline(never)]
    fn report_copy(&self, pkt: &mut RxPacket<'_>, hbh_end: usize, found: &Found, ts: TsFormat) {
        let Some(bytes) = pkt.network_bytes(hbh_end) else {
            return;
        };
        let (Some(packet), Some(trace), Some(source)) = (
            Packet::of(bytes),
            bytes.get(found.trace.clone()),
            bytes.get(8..24).and_then(|a| <&[u8; 16]>::try_from(a).ok()),
        ) else {
            return;
        };
        let traced = Traced {
            incremental: found.is_incremental(),
            tsformat: ts,
        };
        events::loopback(self.net, self.st, self.guard, packet, trace, traced, source);
    }

    /// Sends the loopback copy of the packet (RFC 9322 §4: its headers, this node's data in,
    /// truncated after the Hop-by-Hop header, which ends at `hbh_end`) back to its source,
    /// unless it is a copy itself, its trace type forbids it, or the namespace's loopback
    /// limit is reached; each counted.
    #[inline(never)]
    fn loop_back(&self, pkt: &mut RxPacket<'_>, hbh_end: usize, trace_type: u32, next_header: u8) {
        match loopback_allowed(trace_type, next_header) {
            Ok(()) => {}
            // Filled on its way back, never looped again.
            Err(NoLoopback::Copy) => return,
            Err(NoLoopback::TraceType) => return self.st.stats.bump(stat::LOOPBACK_REFUSED),
        }
        if !self.st.loopback_limit.allow() {
            return self.st.stats.bump(stat::LOOPBACK_RATE_LIMITED);
        }
        let sent = pkt.network_bytes(hbh_end).ok_or(EINVAL).and_then(|bytes| {
            let back_to: &[u8; 16] = bytes
                .get(8..24)
                .and_then(|a| a.try_into().ok())
                .ok_or(EINVAL)?;
            let hbh_len = hbh_end.wrapping_sub(IPV6_HDR_LEN);
            tx::send_new(self.net, back_to, hbh_end, |buf, how| {
                write_loopback_copy(bytes, hbh_len, &how.source, how.hop_limit, buf)
                    .map(|_| ())
                    .map_err(|_| EINVAL)
            })
        });
        self.st.stats.bump(match sent {
            Ok(()) => stat::LOOPBACK_SENT,
            Err(_) => stat::LOOPBACK_FAILED,
        });
    }

    /// This node's data for an option of `trace_type` in namespace `ns`, with the facts about
    /// the packet gathered once for all its options (again only for a type that asks for more).
    // Inlined into the hook or transmit handler that calls it, as the other steps of the packet
    // path: a call per packet cost more than most of them (README, Benchmarks).
    #[inline(always)]
    fn node_data<'f>(
        &self,
        pkt: &mut RxPacket<'_>,
        trace_type: u32,
        ns: &'a Namespace,
        slot: &'f mut Option<Facts<'a>>,
    ) -> &'f NodeData<'a> {
        // The egress interface is part of the node data: route first.
        pkt.route();
        // The first option, or one whose type asks for more: gather, for all so far.
        let gathered = slot.as_ref().map_or(0, Facts::gathered);
        if slot.as_ref().is_some_and(|f| !f.cover(trace_type)) {
            *slot = None;
        }
        let facts = slot.get_or_insert_with(|| {
            Facts::of(
                pkt.skb(),
                self.net,
                Arrival::Received(Some(self.ingress)),
                trace_type | gathered,
                Stage::Receive,
                self.guard,
            )
        });
        let schema = ns.schema.get(self.guard).map(|s| (s.id, &s.data[..]));
        // Recorded as the hop limit the packet leaves with, as upstream (but never wrapping).
        facts.for_namespace(
            self.hop_limit.saturating_sub(1),
            (ns.data, ns.wide),
            schema,
            ns.tsformat,
        )
    }

    /// Exports this node's data for the Direct Export option `dex` (RFC 9326) as a DEX event,
    /// gathered only when the event goes out; the packet is left as it is.
    // Out of line, as `insert`: traces never need it.
    #[inline(never)]
    fn export(
        &self,
        pkt: &mut RxPacket<'_>,
        dex: &Dex,
        ns: &'a Namespace,
        facts: &mut Option<Facts<'a>>,
    ) {
        self.st.stats.bump(stat::DEX_RECEIVED);
        if !events::may_have_listeners() {
            return;
        }
        let Some(sinks) = events::Sinks::open(self.net, self.st, self.guard) else {
            return;
        };
        // RFC 9326: transit and decapsulating nodes ignore the checksum complement (bit 7).
        let dex = Dex {
            trace_type: dex.trace_type & !trace_bit(7),
            ..*dex
        };
        let Some(header) = pkt
            .network_bytes(IPV6_HDR_LEN)
            .and_then(|b| b.first_chunk::<IPV6_HDR_LEN>())
            .copied()
        else {
            return;
        };
        let data = self.node_data(pkt, dex.trace_type, ns, facts);
        // Schemas are validated when added: a refusal cannot happen (then: no event).
        if let (Ok(entry), Some(packet)) = (Entry::new(dex.trace_type, data), Packet::of(&header)) {
            events::dex(&sinks, self.st, packet, &dex, &entry, ns.tsformat);
        }
    }

    /// Inserts this node's entry into the Incremental Trace option `opt` (RFC 9197 §4.4), or
    /// sets its Overflow flag when there is no room: not within RemainingLen or the option's
    /// or the header's length limit, or not within the egress MTU. Returns how the packet grew
    /// and where the option is now (`None`: nothing to report); `Err` holds the counter of the
    /// reason to drop the packet.
    // Kept out of `hop_by_hop`, which it would nearly double in size: the Pre-allocated Trace
    // never needs it.
    #[inline(never)]
    fn insert(
        &self,
        pkt: &mut RxPacket<'_>,
        hbh_end: usize,
        found: &Found,
        opt: &IoamOption,
        data: &NodeData<'_>,
    ) -> Result<Option<Grown>, u16> {
        let Ok(entry) = Entry::new(found.trace_type, data) else {
            // Schemas are validated when added: cannot happen. Nothing was written.
            return Ok(None);
        };
        let unchanged = Some(Grown {
            added: 0,
            trace: found.trace.clone(),
        });
        let (plan, payload_len) = {
            let bytes = pkt.network_bytes(hbh_end).ok_or(stat::DROP_TRUNCATED)?;
            let hbh = bytes.get(IPV6_HDR_LEN..).ok_or(stat::DROP_TRUNCATED)?;
            let payload_len = bytes
                .get(4..6)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u16::from_be_bytes);
            (plan_insert(hbh, opt, entry.words()), payload_len)
        };
        let growth = match plan {
            Ok(growth) => growth,
            Err(NoInsert::AlreadyOverflowed) => {
                self.st.stats.bump(stat::TRACE_ALREADY_OVERFLOWED);
                return Ok(unchanged);
            }
            Err(NoInsert::Overflow) => return self.overflow(pkt, opt).map(|()| unchanged),
            Err(NoInsert::Malformed(e)) => return Err(incremental_counter(e)),
        };
        let added = growth.added;
        let new_payload_len = usize::from(payload_len)
            .checked_add(added)
            .and_then(|l| u16::try_from(l).ok());
        let fits = u32::try_from(added).is_ok_and(|a| pkt.skb().fits_route_mtu_after(a));
        // A jumbogram (payload length 0) or a packet past 64 KiB cannot say its new length.
        let (Some(new_payload_len), true, true) = (new_payload_len, payload_len != 0, fits) else {
            return self.overflow(pkt, opt).map(|()| unchanged);
        };
        // Everything up to the end of the trace header moves; the entries behind it stay.
        let at = from_ipv6(opt.offset.wrapping_add(IOAM_HDR_LEN + TRACE_HDR_LEN));
        let (inserted, reallocated) = pkt
            .grow_front(added, at, |buf| {
                insert_entry(buf, IPV6_HDR_LEN, opt, &growth, &entry)?;
                let len = buf.get_mut(4..6).ok_or(IncrementalError::Truncated)?;
                len.copy_from_slice(&new_payload_len.to_be_bytes());
                Ok(())
            })
            .map_err(|_| stat::DROP_NOT_WRITABLE)?;
        if reallocated {
            self.st.stats.bump(stat::INSERT_REALLOCATED);
        }
        // Only a plan for another header fails, after the packet has grown: drop it.
        inserted.map_err(incremental_counter)?;
        self.st.stats.bump(stat::TRACE_INSERTED);
        // Offsets from the new network header: the option ends `added` bytes further, and its
        // trace header sits right in front of the new entry.
        let entry_len = (entry.words() as usize).wrapping_mul(4);
        let start = found
            .trace
            .start
            .wrapping_add(added)
            .wrapping_sub(entry_len);
        Ok(Some(Grown {
            added,
            trace: start..found.trace.end.wrapping_add(added),
        }))
    }

    /// Sets the Overflow flag of the trace option `opt`: this node adds nothing.
    fn overflow(&self, pkt: &mut RxPacket<'_>, opt: &IoamOption) -> Result<(), u16> {
        let hdr = from_ipv6(opt.offset.wrapping_add(IOAM_HDR_LEN));
        pkt.edit(hdr..hdr.wrapping_add(TRACE_HDR_LEN), set_overflow_flag)
            .map_err(|_| stat::DROP_NOT_WRITABLE)?
            .map_err(|_| stat::DROP_TRUNCATED)?;
        self.st.stats.bump(stat::TRACE_OVERFLOW);
        Ok(())
    }

    /// Checks one IOAM option of `hbh`: `Ok(None)` to leave it alone.
    fn check(&self, hbh: &[u8], opt: crate::wire::hbh::IoamOption) -> Result<Option<Found>, u16> {
        let bytes = hbh.get(opt.range()).ok_or(stat::DROP_TRUNCATED)?;
        let r = opt.trace_range();
        let trace = from_ipv6(r.start)..from_ipv6(r.end);
        match check_trace(bytes, from_ipv6(opt.offset)) {
            Ok(hdr) => Ok(Some(Found {
                namespace_id: hdr.namespace_id,
                trace_type: hdr.trace_type,
                flags: trace_flags(bytes),
                trace,
                kind: Kind::Prealloc(hdr),
            })),
            Err(TraceError::NotPrealloc) if opt.ioam_type == IOAM_TYPE_INCREMENTAL => {
                check_incremental_option(bytes, opt, trace).map(Some)
            }
            Err(TraceError::NotPrealloc) if opt.ioam_type == IOAM_TYPE_DEX => {
                check_dex_option(bytes).map(Some)
            }
            Err(TraceError::NotPrealloc) => {
                self.st.stats.bump(stat::OPTION_NOT_PREALLOC);
                Ok(None)
            }
            Err(TraceError::NotIoam) => Ok(None),
            Err(TraceError::Misaligned) => Err(stat::DROP_MISALIGNED),
            Err(TraceError::Truncated) => Err(stat::DROP_TRUNCATED),
            Err(TraceError::RemainingLenTooBig) => Err(stat::DROP_REMAINING_LEN),
            Err(TraceError::NodeLenMismatch) => Err(stat::DROP_NODE_LEN),
        }
    }
}

/// Notes where the transit delay and queue depth of the entry this node has just written lie,
/// for the egress to complete: the trace whose header is at `trace_start` from the IPv6
/// header and reads `header` after the write, of type `trace_type` (which has one of the two
/// fields), with the entry at `entry` bytes from its header.
fn park_later(
    trace_start: usize,
    header: [u8; TRACE_HDR_LEN],
    trace_type: u32,
    entry: usize,
    parked: &mut Option<Parked>,
) {
    parked.get_or_insert_with(Parked::new).add(
        trace_start,
        header,
        EgressFields::of(trace_type, entry),
    );
}

/// Checks the Incremental Trace option `opt` (its `bytes`; `trace`: its trace header and data
/// from the IPv6 header); `Err` holds the counter of the reason to drop the packet.
// Out of line, as `Node::insert`: the Pre-allocated Trace never needs it.
#[inline(never)]
fn check_incremental_option(
    bytes: &[u8],
    opt: IoamOption,
    trace: core::ops::Range<usize>,
) -> Result<Found, u16> {
    let hdr = check_incremental(bytes, from_ipv6(opt.offset)).map_err(incremental_counter)?;
    Ok(Found {
        namespace_id: hdr.namespace_id,
        trace_type: hdr.trace_type,
        flags: trace_flags(bytes),
        trace,
        kind: Kind::Incremental(opt),
    })
}

/// Checks a Direct Export option (its `bytes`, found 4n-aligned by `check_trace`): as long
/// as its Extension-Flags announce; `Err` holds the counter of the reason to drop the
/// packet.
// Out of line, as `Node::export`.
#[inline(never)]
fn check_dex_option(bytes: &[u8]) -> Result<Found, u16> {
    let data = bytes.get(IOAM_HDR_LEN..).ok_or(stat::DROP_TRUNCATED)?;
    let dex = parse_dex(data).map_err(|_| stat::DROP_TRUNCATED)?;
    Ok(Found {
        namespace_id: dex.namespace_id,
        trace_type: dex.trace_type,
        flags: Flags::default(),
        trace: 0..0,
        kind: Kind::Dex(dex),
    })
}

/// An offset in the Hop-by-Hop header (of an option found there) as an offset from the
/// IPv6 header: options lie within the header's 2 KiB, so this cannot wrap (and no overflow
/// check, with its panic, is compiled into the packet path).
const fn from_ipv6(hbh_offset: usize) -> usize {
    IPV6_HDR_LEN.wrapping_add(hbh_offset)
}

/// The RFC 9322 flags of the trace option `bytes` (checked: at least its header long).
fn trace_flags(bytes: &[u8]) -> Flags {
    bytes
        .get(IOAM_HDR_LEN..)
        .and_then(Flags::of)
        .unwrap_or_default()
}

/// The drop counter for a malformed Incremental Trace option.
fn incremental_counter(e: IncrementalError) -> u16 {
    match e {
        IncrementalError::Truncated | IncrementalError::NotWords => stat::DROP_TRUNCATED,
        IncrementalError::Misaligned => stat::DROP_MISALIGNED,
        IncrementalError::NodeLenMismatch => stat::DROP_NODE_LEN,
    }
}

/// The drop counter for a trace the filler refused.
fn malformed_counter(m: Malformed) -> u16 {
    match m {
        Malformed::Truncated => stat::DROP_TRUNCATED,
        Malformed::NodeLenMismatch => stat::DROP_NODE_LEN,
        Malformed::RemainingLenTooBig | Malformed::InvalidSchema => stat::DROP_REMAINING_LEN,
    }
}
