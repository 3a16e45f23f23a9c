// SPDX-License-Identifier: GPL-2.0
//! Trace events: one multicast message per IOAM option a node processes, with the trace as
//! it leaves the node. Built only when someone listens (the packet path's only allocation,
//! `GFP_ATOMIC`), and rate-limited per network namespace: events over the limit are counted
//! and dropped, never queued.

use crate::{
    ioam::state::NetState,
    net::{genl::EventGroup, pernet::Net},
    sync::rcu,
    uapi::{event, stat},
    wire::option::{trace_type_word, TraceHeader, TRACE_HDR_LEN},
};

/// The trace-event group of the family (`control::FAMILY` registers it).
pub(crate) static EVENTS: EventGroup = EventGroup::new();

/// Netlink attribute header plus alignment, per attribute.
const NLA_OVERHEAD: usize = 8;

/// Sends the event for `trace` (a trace header and its data) if anyone listens in `net`. The
/// event carries the nodes' data, newest first, as the kernel's own event does: in a
/// Pre-allocated Trace what follows the free space, in an `incremental` one all of it.
pub(crate) fn trace(net: &Net, st: &NetState, guard: &rcu::Guard, trace: &[u8], incremental: bool) {
    let Some(sender) = EVENTS.listeners(guard, net) else {
        return;
    };
    if !st.event_limit.allow() {
        st.stats.bump(stat::EVENTS_RATE_LIMITED);
        return;
    }
    let (Some(hdr), Some(type_word)) = (TraceHeader::parse(trace), trace_type_word(trace)) else {
        return;
    };
    // The filled part: from the end of the free space (if any) to the end of the option.
    let free = if incremental {
        0
    } else {
        usize::from(hdr.remaining_len) * 4
    };
    let filled_from = TRACE_HDR_LEN.saturating_add(free);
    let data = trace.get(filled_from..).unwrap_or(&[]);
    let payload = 4 * NLA_OVERHEAD + data.len();
    let sent = sender.send(event::TRACE, payload, |m| {
        m.put_u16(event::attr::TRACE_NAMESPACE, hdr.namespace_id)?;
        m.put_u8(event::attr::TRACE_NODELEN, hdr.node_len)?;
        // As received, reserved octet included, as the kernel's own family sends it.
        m.put_u32(event::attr::TRACE_TYPE, type_word)?;
        m.put(event::attr::TRACE_DATA, data)
    });
    st.stats.bump(if sent.is_ok() {
        stat::EVENTS_SENT
    } else {
        stat::EVENTS_FAILED
    });
}
