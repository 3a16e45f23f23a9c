// SPDX-License-Identifier: GPL-2.0
//! Trace events: one multicast message per IOAM option a node processes, with the trace as
//! it leaves the node, or for a Direct Export option this node's own data. Built only when
//! someone listens (the packet path's only allocation, `GFP_ATOMIC`), and rate-limited per
//! network namespace: events over the limit are counted and dropped, never queued.

use kernel::prelude::*;

use crate::{
    ioam::state::NetState,
    net::{
        genl::{EventGroup, EventSender},
        netlink::Msg,
        pernet::Net,
    },
    sync::rcu,
    uapi::{event, stat},
    wire::{
        dex::Dex,
        fill::Entry,
        flags::Flags,
        option::{trace_type_word, TraceHeader, TRACE_HDR_LEN},
        timestamp::TsFormat,
        trace::node_len,
    },
};

/// The trace-event group of the family (`control::FAMILY` registers it).
pub(crate) static EVENTS: EventGroup = EventGroup::new();

/// Netlink attribute header plus alignment, per attribute.
const NLA_OVERHEAD: usize = 8;

/// Sends the event for `trace` (a trace header and its data) if anyone listens in `net`. The
/// event carries the nodes' data, newest first, as the kernel's own event does: in a
/// Pre-allocated Trace what follows the free space, in an incremental one all of it; the
/// trace's RFC 9322 flags when it has any, and the namespace's timestamp format unless POSIX.
pub(crate) fn trace(net: &Net, st: &NetState, guard: &rcu::Guard, trace: &[u8], traced: Traced) {
    send_trace(net, st, guard, event::TRACE, trace, traced, None);
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
    trace: &[u8],
    traced: Traced,
    source: &[u8; 16],
) {
    let kind = event::LOOPBACK;
    send_trace(net, st, guard, kind, trace, traced, Some(source));
}

fn send_trace(
    net: &Net,
    st: &NetState,
    guard: &rcu::Guard,
    kind: u8,
    trace: &[u8],
    traced: Traced,
    source: Option<&[u8; 16]>,
) {
    let Some(sender) = EVENTS.listeners(guard, net) else {
        return;
    };
    if !st.event_limit.allow() {
        st.stats.bump(stat::EVENTS_RATE_LIMITED);
        return;
    }
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
    let payload = 7 * NLA_OVERHEAD + 16 + data.len();
    let sent = sender.send(kind, payload, |m| {
        m.put_u16(event::attr::TRACE_NAMESPACE, hdr.namespace_id)?;
        m.put_u8(event::attr::TRACE_NODELEN, hdr.node_len)?;
        // As received, reserved octet included, as the kernel's own family sends it.
        m.put_u32(event::attr::TRACE_TYPE, type_word)?;
        if flags.any() {
            m.put_u8(event::attr::TRACE_FLAGS, flags.bits())?;
        }
        if let Some(source) = source {
            m.put(event::attr::LOOPBACK_SOURCE, source)?;
        }
        put_tsformat(m, traced.tsformat)?;
        m.put(event::attr::TRACE_DATA, data)
    });
    count(st, sent);
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

/// A sender for one DEX event in `net`: `None` when nobody listens, or over the rate limit
/// (counted), so that the caller gathers this node's data only for an event that goes out.
pub(crate) fn dex_sender<'g>(
    net: &'g Net,
    st: &NetState,
    guard: &'g rcu::Guard,
) -> Option<EventSender<'g>> {
    let sender = EVENTS.listeners(guard, net)?;
    if !st.event_limit.allow() {
        st.stats.bump(stat::EVENTS_RATE_LIMITED);
        return None;
    }
    Some(sender)
}

/// The namespace's timestamp format, unless POSIX (the kernel's events have none).
fn put_tsformat(m: &mut Msg<'_>, tsformat: TsFormat) -> Result {
    if tsformat == TsFormat::Posix {
        return Ok(());
    }
    m.put_u8(event::attr::TRACE_TSFORMAT, tsformat as u8)
}

/// Sends the DEX event for option `dex`: this node's `entry` (a trace entry of the option's
/// type, its timestamps in `tsformat`), written straight into the message.
pub(crate) fn dex(
    sender: &EventSender<'_>,
    st: &NetState,
    dex: &Dex,
    entry: &Entry<'_, '_>,
    tsformat: TsFormat,
) {
    // At most 25 + 256 words: cannot wrap.
    let len = (entry.words() as usize).wrapping_mul(4);
    let payload = 7 * NLA_OVERHEAD + len;
    let sent = sender.send(event::DEX, payload, |m| {
        m.put_u16(event::attr::TRACE_NAMESPACE, dex.namespace_id)?;
        // At most 25: fits.
        m.put_u8(event::attr::TRACE_NODELEN, node_len(dex.trace_type) as u8)?;
        // As a trace event's: the 24-bit type above the reserved octet.
        m.put_u32(event::attr::TRACE_TYPE, dex.trace_type << 8)?;
        if let Some(id) = dex.flow_id {
            m.put_u32(event::attr::DEX_FLOW_ID, id)?;
        }
        if let Some(number) = dex.sequence {
            m.put_u32(event::attr::DEX_SEQUENCE, number)?;
        }
        put_tsformat(m, tsformat)?;
        m.put_with(event::attr::TRACE_DATA, len, |buf| entry.write(buf))
    });
    count(st, sent);
}
