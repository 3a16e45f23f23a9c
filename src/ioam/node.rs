// SPDX-License-Identifier: GPL-2.0
//! What a node records about itself and a packet: ids from the IOAM sysctls, timestamps
//! and queue depth, gathered from the kernel into plain values.

use kernel::time::{ClockSource, RealTime, Tai};

use crate::{
    net::{device::NetDevice, pernet::Net, skb::Skb},
    sync::rcu,
    wire::{egress::TRANSIT_DELAY_BIT, fill::NodeData, timestamp::TsFormat, trace::trace_bit},
};

/// Trace type bits whose fields need a lookup: only those asked for are gathered.
const IF_IDS: u32 = trace_bit(1) | trace_bit(9);
const TIMESTAMPS: u32 = trace_bit(2) | trace_bit(3);
const QUEUE_DEPTH: u32 = trace_bit(6);
/// The receive time is part of the transit delay, which the egress completes.
const RECEIVE_TIME: u32 = TIMESTAMPS | TRANSIT_DELAY_BIT;

/// Where the node writes its entry, which decides what it can know of the egress.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// On receive (transit and decapsulating nodes): the transit delay and queue depth are
    /// left unavailable, for the egress hook to complete (`ioam::egress`) if the packet leaves.
    Receive,
    /// At the output or transmit stage (encapsulating node): the queue depth is read now, the
    /// transit delay stays unavailable (the receive time of a forwarded packet is cleared by
    /// then).
    Transmit,
}

/// How a packet came to the node, as far as its facts go.
#[derive(Clone, Copy)]
pub(crate) enum Arrival<'d> {
    /// Generated here: no receive time, no ingress interface.
    Local,
    /// Received, on this device (`None`: not looked up, as [`wants_ingress_ids`] allows, or
    /// gone since).
    Received(Option<&'d NetDevice>),
}

/// Whether trace type `trace_type` records the ingress interface's ids: only then is the
/// device worth looking up where the packet does not bring it along.
pub(crate) const fn wants_ingress_ids(trace_type: u32) -> bool {
    trace_type & IF_IDS != 0
}

/// RFC 9197's "field unavailable" values.
const U16_UNAVAILABLE: u16 = u16::MAX;
const U32_UNAVAILABLE: u32 = u32::MAX;

/// This node's facts about one packet: its node data, the namespace's fields left to
/// [`Facts::for_namespace`], which sets them in place for each option (no copy of the data).
pub(crate) struct Facts<'a> {
    /// The trace type bits these facts were gathered for.
    gathered: u32,
    /// When the packet was received (ns since the Unix epoch), if it was and the type asks:
    /// written in each namespace's timestamp format.
    received_ns: Option<i64>,
    /// The format the timestamps in `node` are in: POSIX from the start, the usual case.
    ts_format: TsFormat,
    /// Whether the packet's route sends it out of a device (not delivered here), if the type
    /// asks for a field written at the egress.
    leaves: bool,
    node: NodeData<'a>,
}

impl Facts<'static> {
    /// Facts gathered for no trace type bit (every field unavailable).
    const NONE: Self = Self {
        gathered: 0,
        received_ns: None,
        ts_format: TsFormat::Posix,
        leaves: false,
        node: NodeData {
            hop_limit: 0,
            node_id: U32_UNAVAILABLE,
            ingress_if: U16_UNAVAILABLE,
            egress_if: U16_UNAVAILABLE,
            ts_secs: U32_UNAVAILABLE,
            ts_frac: U32_UNAVAILABLE,
            transit_delay: U32_UNAVAILABLE,
            namespace_data: U32_UNAVAILABLE,
            queue_depth: U32_UNAVAILABLE,
            checksum_complement: U32_UNAVAILABLE,
            node_id_wide: u64::MAX,
            ingress_if_wide: U32_UNAVAILABLE,
            egress_if_wide: U32_UNAVAILABLE,
            namespace_data_wide: u64::MAX,
            buffer_occupancy: U32_UNAVAILABLE,
            schema: None,
        },
    };
}

impl<'a> Facts<'a> {
    /// Gathers the facts that trace type `trace_type` records for `pkt`, which came by
    /// `arrival`, in `net` (under RCU, on the packet path), once it has its route, at `stage`.
    // Inlined into the hook or transmit handler that calls it, as the other steps of the packet
    // path: a call per packet cost more than most of them (README, Benchmarks).
    #[inline(always)]
    pub(crate) fn of(
        pkt: &Skb,
        net: &Net,
        arrival: Arrival<'_>,
        trace_type: u32,
        stage: Stage,
        guard: &rcu::Guard,
    ) -> Self {
        let wants = |bits: u32| trace_type & bits != 0;
        let (node_id, node_id_wide) = net.ioam_node_ids();
        // Locally delivered packets have loopback as their route's device.
        let egress_dev = if wants(IF_IDS | QUEUE_DEPTH | TRANSIT_DELAY_BIT) {
            pkt.route_dev(guard).filter(|d| !d.is_loopback())
        } else {
            None
        };
        let (received, ingress_dev) = match arrival {
            Arrival::Local => (false, None),
            Arrival::Received(dev) => (true, dev),
        };
        // A locally generated packet was never received: it has no timestamp (as upstream).
        let received_ns = (received && wants(RECEIVE_TIME)).then(|| pkt.timestamp_ns());
        let (ts_secs, ts_frac) = split(received_ns, TsFormat::Posix);
        let queue_depth = egress_dev
            .filter(|_| wants(QUEUE_DEPTH) && stage == Stage::Transmit)
            .and_then(|d| pkt.egress_backlog(d))
            .unwrap_or(U32_UNAVAILABLE);
        let if_ids = |dev: Option<&NetDevice>| {
            dev.filter(|_| wants(IF_IDS))
                .and_then(NetDevice::ioam_ids)
                // Interface ids are 16 bits in the short field: the sysctl's low bits, as
                // upstream.
                .map_or((U16_UNAVAILABLE, U32_UNAVAILABLE), |(id, wide)| {
                    (id as u16, wide)
                })
        };
        let (ingress_if, ingress_if_wide) = if_ids(ingress_dev);
        let (egress_if, egress_if_wide) = if_ids(egress_dev);
        Self {
            gathered: trace_type,
            received_ns,
            ts_format: TsFormat::Posix,
            leaves: egress_dev.is_some(),
            node: NodeData {
                node_id,
                ingress_if,
                egress_if,
                ts_secs,
                ts_frac,
                queue_depth,
                node_id_wide,
                ingress_if_wide,
                egress_if_wide,
                ..Facts::NONE.node
            },
        }
    }

    /// Whether these facts hold everything trace type `trace_type` records.
    pub(crate) fn cover(&self, trace_type: u32) -> bool {
        trace_type & !self.gathered == 0
    }

    /// The trace type bits these facts were gathered for.
    pub(crate) fn gathered(&self) -> u32 {
        self.gathered
    }

    /// When the packet was received (ns since the Unix epoch), if it was and the trace type
    /// asked for a timestamp or the transit delay.
    pub(crate) fn received_ns(&self) -> Option<i64> {
        self.received_ns
    }

    /// Whether the packet leaves this node by a device (its route is not local delivery), as
    /// far as the trace types gathered for ask (the transit delay or queue depth do).
    pub(crate) fn leaves(&self) -> bool {
        self.leaves
    }

    /// The node data to write with hop limit `hop_limit`, for a namespace whose data and wide
    /// data are `namespace_data`, whose schema is `schema` and whose timestamps are written
    /// in `tsformat`.
    #[inline(always)]
    pub(crate) fn for_namespace(
        &mut self,
        hop_limit: u8,
        (namespace_data, namespace_data_wide): (u32, u64),
        schema: Option<(u32, &'a [u8])>,
        tsformat: TsFormat,
    ) -> &NodeData<'a> {
        let node = &mut self.node;
        if tsformat != self.ts_format {
            (node.ts_secs, node.ts_frac) = split(self.received_ns, tsformat);
            self.ts_format = tsformat;
        }
        node.hop_limit = hop_limit;
        node.namespace_data = namespace_data;
        node.namespace_data_wide = namespace_data_wide;
        node.schema = schema;
        node
    }
}

/// The timestamp fields of the time `received_ns` in `tsformat` (unavailable without one).
fn split(received_ns: Option<i64>, tsformat: TsFormat) -> (u32, u32) {
    received_ns.map_or((U32_UNAVAILABLE, U32_UNAVAILABLE), |ns| {
        // Read only for PTP: two clock reads.
        let tai_offset = if tsformat == TsFormat::Ptp {
            tai_offset_s()
        } else {
            0
        };
        tsformat.split(ns, tai_offset)
    })
}

/// TAI - UTC in seconds, as the kernel keeps it (`adjtimex`), for PTP timestamps.
fn tai_offset_s() -> i64 {
    let ns = Tai::ktime_get().wrapping_sub(RealTime::ktime_get());
    // Whole seconds: rounded over the time between the two reads.
    ns.wrapping_add(500_000_000).div_euclid(1_000_000_000)
}

/// The source address the kernel would pick to reach `daddr` from `dev`.
pub(crate) fn source_address(net: &Net, dev: &NetDevice, daddr: &[u8; 16]) -> Option<[u8; 16]> {
    dev.source_address(net, daddr)
}
