// SPDX-License-Identifier: GPL-2.0
//! Trace events: for each IOAM option a node processes, the trace as it leaves the node, or for
//! a Direct Export option this node's own data. Sent as one multicast message each on the
//! events group (as the kernel's own family sends them), and batched for exporters on the
//! export group ([`super::export`]). Built only when someone listens (the packet path's only
//! allocation, `GFP_ATOMIC`), and rate-limited per network namespace and group: events over a
//! limit are counted and dropped, never queued.

use kernel::prelude::*;

use crate::{
    ioam::{export::EXPORT, state::NetState},
    net::{
        genl::{self, EventGroup, EventSender},
        pernet::Net,
        skb::IPV6_HDR_LEN,
    },
    sync::rcu,
    uapi::{event, stat},
    wire::{
        dex::Dex,
        fill::Entry,
        flags::Flags,
        nla::{self, Full},
        option::{trace_type_word, TraceHeader, TRACE_HDR_LEN},
        timestamp::TsFormat,
        trace::node_len,
    },
};

/// The trace-event group of the family (`control::FAMILY` registers it, first).
pub(crate) static EVENTS: EventGroup = EventGroup::new(0);

/// Netlink attribute header plus alignment, per attribute.
const NLA_OVERHEAD: usize = 8;

/// Sends the event for `trace` (a trace header and its data) if anyone listens in `net`. The
/// event carries the nodes' data, newest first, as the kernel's own event does: in a
/// Pre-allocated Trace what follows the free space, in an incremental one all of it; the
/// trace's RFC 9322 flags when it has any, the namespace's timestamp format unless POSIX, and
/// the addresses and flow label of the `packet` that carries it. The caller gathers them only
/// when [`may_have_listeners`].
pub(crate) fn trace(
    net: &Net,
    st: &NetState,
    guard: &rcu::Guard,
    packet: Packet<'_>,
    trace: &[u8],
    traced: Traced,
) {
    send_trace(net, st, guard, Kind::Trace, packet, trace, traced);
}

/// Whether an event could have listeners ([`genl::may_listen`]): checked inline before an
/// event is prepared, so that a node nobody listens to pays no call.
#[inline]
pub(crate) fn may_have_listeners() -> bool {
    genl::may_listen()
}

/// The IPv6 header that carries an option (its first 40 bytes, at least): what an event tells
/// of the packet, its addresses and flow label, for a collector to know the flow.
#[derive(Clone, Copy)]
pub(crate) struct Packet<'p>(&'p [u8]);

impl<'p> Packet<'p> {
    /// The packet whose network header starts `bytes`; `None` when shorter than the header.
    pub(crate) fn of(bytes: &'p [u8]) -> Option<Self> {
        bytes.get(..IPV6_HDR_LEN).map(Self)
    }

    /// Adds the packet's attributes to an event.
    fn put(self, w: &mut nla::Writer<'_>) -> Result<(), Full> {
        // `of` checked the length: the errors cannot happen.
        let &[_, class_label, label_hi, label_lo] = self.0.first_chunk().ok_or(Full)?;
        let flow_label = u32::from_be_bytes([0, class_label & 0x0f, label_hi, label_lo]);
        w.put(event::attr::PACKET_SRC, self.0.get(8..24).ok_or(Full)?)?;
        w.put(event::attr::PACKET_DST, self.0.get(24..40).ok_or(Full)?)?;
        w.put_u32(event::attr::PACKET_FLOW_LABEL, flow_label)
    }

    /// Room its attributes take in a message.
    const PAYLOAD: usize = 3 * NLA_OVERHEAD + 16 + 16 + 4;
}

/// How a trace is laid out and its timestamps written, for its event.
#[derive(Clone, Copy)]
pub(crate) struct Traced {
    /// An Incremental Trace (all of its data is filled).
    pub(crate) incremental: bool,
    /// The namespace's timestamp format at this node.
    pub(crate) tsformat: TsFormat,
}

/// Sends the LOOPBACK event for a loopback copy `source` sent back to this node, its `trace`
/// as in [`trace`].
pub(crate) fn loopback(
    net: &Net,
    st: &NetState,
    guard: &rcu::Guard,
    packet: Packet<'_>,
    trace: &[u8],
    traced: Traced,
    source: &[u8; 16],
) {
    send_trace(
        net,
        st,
        guard,
        Kind::Loopback(source),
        packet,
        trace,
        traced,
    );
}

/// A trace's event: of a trace, or of a loopback copy sent back by the node at this address.
enum Kind<'a> {
    Trace,
    Loopback(&'a [u8; 16]),
}

fn send_trace(
    net: &Net,
    st: &NetState,
    guard: &rcu::Guard,
    kind: Kind<'_>,
    packet: Packet<'_>,
    trace: &[u8],
    traced: Traced,
) {
    let (kind, source) = match kind {
        Kind::Trace => (event::TRACE, None),
        Kind::Loopback(source) => (event::LOOPBACK, Some(source)),
    };
    let Some(sinks) = Sinks::open(net, st, guard) else {
        return;
    };
    let (Some(hdr), Some(type_word), Some(flags)) = (
        TraceHeader::parse(trace),
        trace_type_word(trace),
        Flags::of(trace),
    ) else {
        return;
    };
    // The filled part: from the end of the free space (if any) to the end of the option.
    let free = if traced.incremental {
        0
    } else {
        usize::from(hdr.remaining_len) * 4
    };
    let filled_from = TRACE_HDR_LEN.saturating_add(free);
    let data = trace.get(filled_from..).unwrap_or(&[]);
    let payload = 7 * NLA_OVERHEAD + 16 + Packet::PAYLOAD + data.len();
    sinks.send(st, kind, payload, |w| {
        w.put_u16(event::attr::TRACE_NAMESPACE, hdr.namespace_id)?;
        w.put_u8(event::attr::TRACE_NODELEN, hdr.node_len)?;
        // As received, reserved octet included, as the kernel's own family sends it.
        w.put_u32(event::attr::TRACE_TYPE, type_word)?;
        packet.put(w)?;
        if flags.any() {
            w.put_u8(event::attr::TRACE_FLAGS, flags.bits())?;
        }
        if let Some(source) = source {
            w.put(event::attr::LOOPBACK_SOURCE, source)?;
        }
        put_tsformat(w, traced.tsformat)?;
        w.put(event::attr::TRACE_DATA, data)
    });
}

/// Where one event goes: one message of its own on the events group, a batch for exporters,
/// or both; each within its group's rate limit.
pub(crate) struct Sinks<'g> {
    event: Option<EventSender<'g>>,
    export: Option<ExportSink<'g>>,
}

impl<'g> Sinks<'g> {
    /// The sinks of an event in `net`: `None` when nobody listens on either group, or the event
    /// is over the limit of each that has listeners (counted), so that the caller gathers
    /// nothing for an event that does not go out.
    pub(crate) fn open(net: &'g Net, st: &'g NetState, guard: &'g rcu::Guard) -> Option<Self> {
        let (event, export) = genl::listeners(&EVENTS, &EXPORT, guard, net);
        let event = event.filter(|_| {
            let allowed = st.event_limit.allow();
            if !allowed {
                st.stats.bump(stat::EVENTS_RATE_LIMITED);
            }
            allowed
        });
        let export = export.and_then(|sender| ExportSink::within_limit(sender, st));
        (event.is_some() || export.is_some()).then_some(Self { event, export })
    }

    /// Sends an event of type `kind` with at most `payload` bytes of attributes, which `fill`
    /// writes, to each sink.
    fn send(
        &self,
        st: &NetState,
        kind: u8,
        payload: usize,
        fill: impl Fn(&mut nla::Writer<'_>) -> Result<(), Full>,
    ) {
        if let Some(sender) = &self.event {
            count(st, sender.send(kind, payload, |m| m.append(payload, &fill)));
        }
        if let Some(export) = &self.export {
            export.append(kind, payload, &fill);
        }
    }
}

/// Counts an event by what became of it: sent, or failed; none when nobody in this network
/// namespace listened (the listener check is across namespaces).
fn count(st: &NetState, sent: Result) {
    match sent {
        Ok(()) => st.stats.bump(stat::EVENTS_SENT),
        Err(e) if e == ESRCH => {}
        Err(_) => st.stats.bump(stat::EVENTS_FAILED),
    }
}

/// The namespace's timestamp format, unless POSIX (the kernel's events have none).
fn put_tsformat(w: &mut nla::Writer<'_>, tsformat: TsFormat) -> Result<(), Full> {
    if tsformat == TsFormat::Posix {
        return Ok(());
    }
    w.put_u8(event::attr::TRACE_TSFORMAT, tsformat as u8)
}

/// Sends the DEX event for option `dex`: this node's `entry` (a trace entry of the option's
/// type, its timestamps in `tsformat`), written straight into the message.
pub(crate) fn dex(
    sinks: &Sinks<'_>,
    st: &NetState,
    packet: Packet<'_>,
    dex: &Dex,
    entry: &Entry<'_, '_>,
    tsformat: TsFormat,
) {
    // At most 25 + 256 words: cannot wrap.
    let len = (entry.words() as usize).wrapping_mul(4);
    let payload = 7 * NLA_OVERHEAD + Packet::PAYLOAD + len;
    sinks.send(st, event::DEX, payload, |w| {
        w.put_u16(event::attr::TRACE_NAMESPACE, dex.namespace_id)?;
        // At most 25: fits.
        w.put_u8(event::attr::TRACE_NODELEN, node_len(dex.trace_type) as u8)?;
        // As a trace event's: the 24-bit type above the reserved octet.
        w.put_u32(event::attr::TRACE_TYPE, dex.trace_type << 8)?;
        packet.put(w)?;
        if let Some(id) = dex.flow_id {
            w.put_u32(event::attr::DEX_FLOW_ID, id)?;
        }
        if let Some(number) = dex.sequence {
            w.put_u32(event::attr::DEX_SEQUENCE, number)?;
        }
        put_tsformat(w, tsformat)?;
        w.put_with(event::attr::TRACE_DATA, len, |buf| entry.write(buf))
    });
}

/// The batches one event goes to.
struct ExportSink<'g> {
    sender: EventSender<'g>,
    st: &'g NetState,
}

impl<'g> ExportSink<'g> {
    /// Where an event goes for the exporters `sender` reaches: `None` over the export limit
    /// (counted).
    fn within_limit(sender: EventSender<'g>, st: &'g NetState) -> Option<Self> {
        if !st.export_limit.allow() {
            st.stats.bump(stat::EXPORT_RATE_LIMITED);
            return None;
        }
        Some(Self { sender, st })
    }

    /// Appends an event of type `kind` with at most `payload` bytes of attributes, which `fill`
    /// writes, to this CPU's batch.
    fn append(
        &self,
        kind: u8,
        payload: usize,
        fill: impl FnOnce(&mut nla::Writer<'_>) -> Result<(), Full>,
    ) {
        self.st
            .export
            .append(&self.sender, kind.into(), payload, fill);
    }
}
