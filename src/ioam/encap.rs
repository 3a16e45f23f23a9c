// SPDX-License-Identifier: GPL-2.0
//! The IOAM encapsulating node: `ip -6 route ... encap ioam6 ...` (`LWTUNNEL_ENCAP_IOAM6`).
//!
//! Each route gets a Hop-by-Hop header template, built once; the packet path copies it in
//! front of (inline) or around (ip6ip6 encap) the packet, fills this node's data, and never
//! writes into the shared template nor allocates. The route's configuration is checked by
//! `wire::route`; `tunnel` finds where outer packets go, `insert` puts the trace in.

mod insert;
mod tunnel;

use kernel::{ffi, prelude::*, sync::atomic::Atomic};

use self::tunnel::TunnelFinding;
use crate::{
    ioam::{
        node::{self, Arrival},
        state::NetState,
    },
    net::{
        dst::DstCache,
        lwt::{Encap, EncapAttrs, EncapType},
        netlink::{fail, Extack, Msg, PolicyEntry},
        pernet::{self, Net},
        skb::{OutputPacket, IPV6_HDR_LEN},
    },
    sync::{rcu, relaxed},
    uapi::route::attr,
    uapi::stat,
    wire::{
        dex::{sequence_offset, write_dex_hbh, Dex, DEX_HBH_LEN_MAX, DEX_HDR_LEN, EXT_SEQUENCE},
        fill::OwnTrace,
        flags::Flags,
        freq::Freq,
        incremental::{write_empty_hbh, EMPTY_HBH_LEN},
        option::{self, write_hbh, TraceHeader, HBH_LEN_MAX, TRACE_HDR_LEN},
        route::{check_route, Mode, RouteAttr, RouteAttrs, TraceOption},
    },
};

const NEXTHDR_HOP: u8 = 0;
const NEXTHDR_IPV6: u8 = 41;
/// Offset of the trace header in the Hop-by-Hop header (after the PadN and option header).
const TRACE_OFFSET: usize = 8;

/// The route attributes' types; lengths are checked by `check_route`. The numbers between
/// the kernel's and the module's own are unused: `NLA_UNSPEC` under strict validation refuses
/// them.
static POLICY: [PolicyEntry; attr::MAX as usize + 1] = {
    let mut policy = [PolicyEntry::UNSPEC; attr::MAX as usize + 1];
    policy[attr::MODE as usize] = PolicyEntry::U8;
    policy[attr::DST as usize] = PolicyEntry::BINARY;
    policy[attr::TRACE as usize] = PolicyEntry::BINARY;
    policy[attr::FREQ_K as usize] = PolicyEntry::U32;
    policy[attr::FREQ_N as usize] = PolicyEntry::U32;
    policy[attr::SRC as usize] = PolicyEntry::BINARY;
    policy[attr::INCREMENTAL_TRACE as usize] = PolicyEntry::BINARY;
    policy[attr::DEX as usize] = PolicyEntry::BINARY;
    policy[attr::DEX_FLOW_ID as usize] = PolicyEntry::U32;
    policy
};

// A route's template holds any of its options' headers.
const _: () = assert!(DEX_HBH_LEN_MAX <= HBH_LEN_MAX);

/// The trace header of a trace route's template, as written (NodeLen computed).
fn written_trace(hbh: &[u8]) -> Result<TraceHeader> {
    TraceHeader::parse(hbh.get(TRACE_OFFSET..).ok_or(EINVAL)?).ok_or(EINVAL)
}

/// One route's configuration and state.
#[pin_data]
pub(crate) struct EncapRoute {
    mode: Mode,
    freq: Freq,
    /// Position in the current window of N packets, always `< N`.
    window: Atomic<u32>,
    tundst: [u8; 16],
    tunsrc: Option<[u8; 16]>,
    /// The option inserted.
    option: TraceOption,
    /// The trace header as configured (NodeLen recomputed), for `ip route show`.
    trace: TraceHeader,
    /// How this node fills its own Pre-allocated Trace, planned for the route's type.
    own_trace: OwnTrace,
    /// RFC 9322 flags: Active set on every packet traced, Loopback on those the namespace's
    /// loopback limit lets through. Not in the template: set per packet.
    flags: Flags,
    /// The Hop-by-Hop header to insert (for an Incremental Trace: without entries); read-only
    /// after build.
    hbh: [u8; HBH_LEN_MAX],
    hbh_len: usize,
    /// The longest Hop-by-Hop header inserted (an Incremental Trace's first entry adds up to
    /// RemainingLen words, rounded up to 8 bytes).
    hbh_len_max: usize,
    /// DEX: where the Sequence Number goes in `hbh`, if it is flagged.
    sequence_at: Option<usize>,
    /// DEX: the next Sequence Number (the route is the flow: one count per route, wrapping).
    sequence: Atomic<u32>,
    #[pin]
    routes: DstCache,
    tunnel: TunnelFinding,
}

/// The route attribute `which` is about.
fn attr_kind(which: RouteAttr) -> u16 {
    match which {
        RouteAttr::Mode => attr::MODE,
        RouteAttr::Freq => attr::FREQ_K,
        RouteAttr::TunSrc => attr::SRC,
        RouteAttr::TunDst => attr::DST,
        RouteAttr::Trace => attr::TRACE,
        RouteAttr::Incremental => attr::INCREMENTAL_TRACE,
        RouteAttr::Dex => attr::DEX,
        RouteAttr::DexFlowId => attr::DEX_FLOW_ID,
    }
}

impl Encap for EncapRoute {
    const TYPE: EncapType = EncapType::IOAM6;
    const NAME: &'static str = "ioam6";

    fn policy() -> &'static [PolicyEntry] {
        &POLICY
    }

    fn build<const N: usize>(
        _net: &Net,
        attrs: &EncapAttrs<'_, N>,
        ack: &Extack<'_>,
    ) -> Result<impl PinInit<Self, Error>> {
        let payload = |kind| attrs.get(kind).map(|a| a.payload());
        let config = check_route(&RouteAttrs {
            mode: payload(attr::MODE),
            freq_k: payload(attr::FREQ_K),
            freq_n: payload(attr::FREQ_N),
            tunsrc: payload(attr::SRC),
            tundst: payload(attr::DST),
            trace: payload(attr::TRACE),
            incremental: payload(attr::INCREMENTAL_TRACE),
            dex: payload(attr::DEX),
            dex_flow_id: payload(attr::DEX_FLOW_ID),
        })
        .map_err(|e| {
            if let Some(bad) = attrs.get(attr_kind(e.attr())) {
                ack.bad_attr(&bad);
            }
            fail!(ack, EINVAL, "{}", e)
        })?;
        let user = config.trace;
        let data_len = usize::from(user.remaining_len) * 4;
        let mut hbh = [0u8; HBH_LEN_MAX];
        // The header to insert, the longest it gets, the trace header shown, and where a DEX
        // Sequence Number goes.
        let (hbh_len, hbh_len_max, trace, sequence_at) = match config.option {
            TraceOption::Prealloc => {
                let len = write_hbh(&mut hbh, 0, user.namespace_id, user.trace_type, data_len)
                    .map_err(|_| EINVAL)?;
                (len, option::hbh_len(data_len), written_trace(&hbh)?, None)
            }
            TraceOption::Incremental => {
                let empty = write_empty_hbh(user.namespace_id, user.trace_type, data_len)
                    .map_err(|_| EINVAL)?;
                hbh.get_mut(..EMPTY_HBH_LEN)
                    .ok_or(EINVAL)?
                    .copy_from_slice(&empty);
                let max = option::hbh_len(data_len);
                (EMPTY_HBH_LEN, max, written_trace(&hbh)?, None)
            }
            TraceOption::Dex { ext_flags, flow_id } => {
                let dex = Dex {
                    namespace_id: user.namespace_id,
                    flags: 0,
                    ext_flags,
                    trace_type: user.trace_type,
                    flow_id,
                    sequence: (ext_flags & EXT_SEQUENCE != 0).then_some(0),
                };
                let len = write_dex_hbh(&mut hbh, 0, &dex).map_err(|_| EINVAL)?;
                // The namespace and trace type, checked by `check_route`.
                (len, len, user, sequence_offset(ext_flags))
            }
        };
        Ok(try_pin_init!(Self {
            mode: config.mode,
            freq: config.freq,
            window: Atomic::new(0),
            tundst: config.tundst.unwrap_or([0; 16]),
            tunsrc: config.tunsrc,
            option: config.option,
            trace,
            own_trace: OwnTrace::new(trace.trace_type, trace.remaining_len),
            flags: config.flags,
            hbh,
            hbh_len,
            hbh_len_max,
            sequence_at,
            sequence: Atomic::new(0),
            routes <- DstCache::new(),
            tunnel: TunnelFinding::new(),
        }))
    }

    fn headroom(&self) -> u16 {
        let outer = if self.mode == Mode::Inline {
            0
        } else {
            IPV6_HDR_LEN
        };
        u16::try_from(self.hbh_len_max + outer).unwrap_or(u16::MAX)
    }

    fn passes(&self, net: &Net, guard: &rcu::Guard) -> bool {
        // A packet not to trace leaves as it came, whatever (and wherever) the route to
        // `tundst`: beyond the window step, only counted (`ioamctl stats`).
        if self.sampled() {
            return false;
        }
        count(pernet::get::<NetState>(net, guard), stat::ENCAP_NOT_SAMPLED);
        true
    }

    // Inlined into the hook or transmit handler that calls it, as the other steps of the packet
    // path: a call per packet cost more than most of them (README, Benchmarks).
    #[inline(always)]
    fn xmit(&self, net: &Net, pkt: OutputPacket, guard: &rcu::Guard) -> ffi::c_int {
        let st = pernet::get::<NetState>(net, guard);
        let traced = if self.inline_for(pkt.was_received()) {
            if pkt.ipv6_header()[6] == NEXTHDR_HOP {
                // One Hop-by-Hop header per packet: leave packets that have one alone.
                count(st, stat::ENCAP_SKIPPED_HBH);
                return pkt.continue_xmit();
            }
            let mut facts = self.facts(net, &pkt, guard);
            self.insert_inline(st, pkt, &mut facts, guard)
                .map(|pkt| (pkt, None))
        } else {
            self.encapsulate_for_tundst(net, st, pkt, guard)
        };
        match traced {
            Ok((pkt, via)) => {
                count(st, stat::ENCAP_TRACED);
                match via {
                    None => pkt.continue_xmit(),
                    Some(dst) => pkt.reroute(net, dst),
                }
            }
            Err(e) => {
                count(st, stat::ENCAP_DROPPED);
                e.to_errno() // `pkt` is dropped
            }
        }
    }

    fn fill(&self, msg: &mut Msg<'_>) -> Result {
        msg.put(attr::MODE, &[self.mode as u8])?;
        msg.put_u32(attr::FREQ_K, self.freq.k())?;
        msg.put_u32(attr::FREQ_N, self.freq.n())?;
        if self.mode != Mode::Inline {
            msg.put(attr::DST, &self.tundst)?;
        }
        if let Some(src) = &self.tunsrc {
            msg.put(attr::SRC, src)?;
        }
        // A route of the module's own options shows in `ip -6 route` as `encap ioam6` alone:
        // iproute2 prints nothing of a route without `TRACE`.
        let kind = match self.option {
            TraceOption::Prealloc => attr::TRACE,
            TraceOption::Incremental => attr::INCREMENTAL_TRACE,
            TraceOption::Dex { flow_id, .. } => {
                if let Some(id) = flow_id {
                    msg.put_u32(attr::DEX_FLOW_ID, id)?;
                }
                attr::DEX
            }
        };
        // Both headers are 8 bytes at the same place of the template.
        const _: () = assert!(DEX_HDR_LEN == TRACE_HDR_LEN);
        let mut header = [0u8; TRACE_HDR_LEN];
        header.copy_from_slice(
            self.hbh
                .get(TRACE_OFFSET..TRACE_OFFSET + TRACE_HDR_LEN)
                .ok_or(EINVAL)?,
        );
        self.flags.set_in(&mut header).map_err(|_| EINVAL)?;
        msg.put(kind, &header)
    }

    fn fill_size(&self) -> usize {
        let attr_size = |payload: usize| 4 + ((payload + 3) & !3);
        let mut size = attr_size(1) + 2 * attr_size(4) + attr_size(TRACE_HDR_LEN);
        if self.mode != Mode::Inline {
            size += attr_size(16);
        }
        if self.tunsrc.is_some() {
            size += attr_size(16);
        }
        if let TraceOption::Dex {
            flow_id: Some(_), ..
        } = self.option
        {
            size += attr_size(4);
        }
        size
    }

    fn same(&self, other: &Self) -> bool {
        self.mode == other.mode
            && self.freq == other.freq
            && self.tundst == other.tundst
            && self.tunsrc == other.tunsrc
            && self.option == other.option
            && self.trace == other.trace
            && self.flags == other.flags
    }
}

/// Bumps counter `id` of the namespace's state, if it has one.
fn count(st: Option<&NetState>, id: u16) {
    if let Some(st) = st {
        st.stats.bump(id);
    }
}

impl EncapRoute {
    /// Whether this packet is one of the first K of its window of N.
    fn sampled(&self) -> bool {
        if self.freq.always() {
            return true;
        }
        let mut pos = relaxed::load(&self.window);
        loop {
            let (traced, next) = self.freq.step(pos);
            match relaxed::cmpxchg_u32(&self.window, pos, next) {
                Ok(_) => return traced,
                Err(current) => pos = current,
            }
        }
    }

    /// What this node records about `pkt`, gathered only for packets that get a trace: the
    /// ingress device costs a lookup by index, made only for a type with interface ids.
    #[inline(always)]
    fn facts<'g>(&self, net: &Net, pkt: &OutputPacket, guard: &'g rcu::Guard) -> node::Facts<'g> {
        // A DEX packet carries no node data: nothing to look up.
        let bits = match self.option {
            TraceOption::Dex { .. } => 0,
            TraceOption::Prealloc | TraceOption::Incremental => self.trace.trace_type,
        };
        let arrival = if !pkt.was_received() {
            Arrival::Local
        } else if node::wants_ingress_ids(bits) {
            Arrival::Received(pkt.received_on(net, guard))
        } else {
            Arrival::Received(None)
        };
        node::Facts::of(pkt, net, arrival, bits, node::Stage::Transmit, guard)
    }

    /// Whether a packet (forwarded or locally generated) gets the trace inline. The two are
    /// told apart by the interface the packet was received on (`skb_iif`): a packet a local
    /// tunnel device sends is locally generated, though it went out through the tunnel.
    fn inline_for(&self, forwarded: bool) -> bool {
        match self.mode {
            Mode::Inline => true,
            Mode::Encap => false,
            Mode::Auto => !forwarded,
        }
    }
}
