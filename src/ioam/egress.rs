// SPDX-License-Identifier: GPL-2.0
//! Transit delay and queue depth, written as the packet leaves the node (RFC 9197 §4.4.2.5,
//! §4.4.2.7). The receive hook writes this node's entry with both unavailable and parks where
//! they lie (`ioam::parked`); a hook at the end of IPv6 `POST_ROUTING` finds the same packet
//! there and writes the time since its receipt and the backlog of the transmit queue it is
//! about to leave by. A packet that never leaves (delivered here, dropped, queued elsewhere)
//! keeps both unavailable.

use crate::{
    ioam::{parked::Parked, state::NetState},
    net::{
        device::NetDevice,
        netfilter::{EgressHook, HookOps, NetHooks, Verdict},
        pernet::{self, Net, PerNetId},
        rx::RxPacket,
    },
    sync::{clock, rcu},
    uapi::stat,
    wire::{egress::transit_delay_field, option::TRACE_HDR_LEN},
};

/// The RFC 9197 "field unavailable" value.
const U32_UNAVAILABLE: u32 = u32::MAX;

/// The egress hook: completes the parked entries of each packet as it leaves. Registered in a
/// network namespace the first time an entry is parked there (`LazyNetHook`), taken down with
/// the receive hook.
pub(crate) struct Egress;

static EGRESS_HOOKS: [HookOps; 1] = [HookOps::post_routing::<Egress>()];
static EGRESS_HOOK_ID: PerNetId = PerNetId::new();

impl NetHooks for Egress {
    fn ops() -> &'static [HookOps] {
        &EGRESS_HOOKS
    }

    fn pernet_id() -> &'static PerNetId {
        &EGRESS_HOOK_ID
    }
}

impl EgressHook for Egress {
    #[inline]
    fn hook(net: &Net, egress: &NetDevice, pkt: &mut RxPacket<'_>, guard: &rcu::Guard) -> Verdict {
        let Some(st) = pernet::get::<NetState>(net, guard) else {
            return Verdict::Accept;
        };
        st.egress
            .take(pkt, |pkt, parked| complete(st, egress, pkt, parked));
        Verdict::Accept
    }
}

/// Writes the parked egress fields of `pkt`, leaving by `egress` now.
#[inline(never)]
fn complete(st: &NetState, egress: &NetDevice, pkt: &mut RxPacket<'_>, parked: &Parked) {
    if !parked.same_length(pkt) {
        return;
    }
    let delay = parked
        .received_ns()
        .map(|ns| transit_delay_field(clock::real_ns().wrapping_sub(ns)));
    let mut backlog = None;
    for e in parked.entries() {
        let depth = if e.queue_at != 0 {
            *backlog.get_or_insert_with(|| {
                let dev = (!egress.is_loopback()).then_some(egress);
                dev.and_then(|d| pkt.skb().egress_backlog(d))
                    .unwrap_or(U32_UNAVAILABLE)
            })
        } else {
            U32_UNAVAILABLE
        };
        let start = usize::from(e.header_at);
        let end = usize::from(e.delay_at.max(e.queue_at)).wrapping_add(4);
        // One writable range from the trace header to the last field: the header is checked
        // in it, then the fields written.
        let wrote = pkt.edit(start..end, |bytes| {
            if bytes.first_chunk::<TRACE_HDR_LEN>() != Some(&e.header) {
                return false;
            }
            let mut put = |at: u16, value: u32| {
                let at = usize::from(at).wrapping_sub(start);
                if let Some(field) = bytes.get_mut(at..at.wrapping_add(4)) {
                    field.copy_from_slice(&value.to_be_bytes());
                }
            };
            if let (Some(delay), true) = (delay, e.delay_at != 0) {
                put(e.delay_at, delay);
            }
            if e.queue_at != 0 {
                put(e.queue_at, depth);
            }
            true
        });
        if wrote == Ok(true) {
            st.stats.bump(stat::EGRESS_COMPLETED);
        }
    }
}
