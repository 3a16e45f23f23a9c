// SPDX-License-Identifier: GPL-2.0
//! This node's trace entries whose transit delay and queue depth wait for the packet's egress
//! (`ioam::egress`): parked by the receive hook in a per-CPU ring of the network namespace,
//! taken by the egress hook when the same packet leaves. A forwarded packet goes from one hook
//! to the other on one CPU, in one softirq; with list receive (GRO, `gro_normal_batch`
//! packets at a time) a batch passes the receive hook before the first of it is forwarded,
//! hence a ring. A packet that never leaves is overwritten in time; its entry is forgotten as
//! soon as the receive hook sees another packet at its address, or shadowed by that packet's
//! newer entry: the egress looks from the newest entry back.

use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

use crate::{
    net::rx::RxPacket,
    sync::{
        percpu::{BhOff, PerCpu},
        relaxed,
    },
    wire::{egress::EgressFields, option::TRACE_HDR_LEN},
};

/// Packets parked per CPU: twice the kernel's default receive batch (`gro_normal_batch`, 8).
const RING_LEN: usize = 16;

/// One CPU's parked packets, the oldest overwritten first.
#[derive(Clone, Copy, Zeroable)]
pub(crate) struct Ring {
    next: u8,
    /// How many of `skbs` are not 0: with none, a packet is known not to be here without
    /// looking (most packets, once the egress has taken each as it left).
    live: u8,
    /// The packets' addresses, compared and never dereferenced (0: none); apart from the
    /// entries, so that the egress looks through two cache lines, not twelve.
    skbs: [usize; RING_LEN],
    packets: [Parked; RING_LEN],
}

impl Ring {
    /// The slot of the newest entry at address `skb`. The newest first: a packet is most
    /// often taken right after it was parked, and an entry at its address left by an older
    /// packet that never left is shadowed by its own.
    #[inline]
    fn newest(&self, skb: usize) -> Option<usize> {
        if self.live == 0 {
            return None;
        }
        let newest = usize::from(self.next).wrapping_add(RING_LEN - 1);
        (0..RING_LEN)
            .map(|age| newest.wrapping_sub(age) % RING_LEN)
            .find(|&i| self.skbs.get(i) == Some(&skb))
    }

    /// Puts `skb` in slot `i`, over what was there.
    fn occupy(&mut self, i: usize, skb: usize) {
        if let Some(addr) = self.skbs.get_mut(i) {
            if *addr == 0 {
                // At most RING_LEN: cannot wrap.
                self.live = self.live.wrapping_add(1);
            }
            *addr = skb;
        }
    }

    /// Empties slot `i`.
    fn vacate(&mut self, i: usize) {
        if let Some(addr) = self.skbs.get_mut(i) {
            if *addr != 0 {
                // Counted when occupied: cannot wrap.
                self.live = self.live.wrapping_sub(1);
            }
            *addr = 0;
        }
    }

    /// Forgets the entries at address `skb`.
    #[inline]
    fn forget(&mut self, skb: usize) {
        if self.live == 0 {
            return;
        }
        for i in 0..RING_LEN {
            if self.skbs.get(i) == Some(&skb) {
                self.vacate(i);
            }
        }
    }
}

/// A network namespace's rings, one per CPU.
pub(crate) struct EgressSlots {
    /// Whether an entry was ever parked here.
    used: Atomic<bool>,
    rings: PerCpu<Ring>,
}

impl EgressSlots {
    /// Empty rings. Allocates (may sleep).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            used: Atomic::new(false),
            rings: PerCpu::new()?,
        })
    }

    /// Parks `parked`, the entries of `pkt` received at `received_ns` if known, in this CPU's
    /// ring, over its oldest packet; whether there was anything to park. Every packet the
    /// receive hook processes comes here, parked or not (`None`: no entry): an entry left at
    /// its address by a packet that never left (dropped, delivered elsewhere, or gone before
    /// the egress hook was registered) is forgotten, or shadowed by this one's, so that the
    /// egress cannot take it for this one. (A packet the receive hook never saw, generated
    /// here, can meet such an entry: `complete` checks its length and trace header first.)
    /// Nothing when bottom halves are on (the receive hook always runs with them off).
    pub(crate) fn park(
        &self,
        parked: Option<Parked>,
        pkt: &RxPacket<'_>,
        received_ns: Option<i64>,
    ) -> bool {
        let skb = pkt.skb().raw() as usize;
        let Some(mut parked) = parked.filter(|p| !p.is_empty()) else {
            // Until the first entry is parked the rings are empty: nothing to forget.
            if relaxed::load(&self.used) {
                BhOff::with(|bh| self.rings.with_local(bh, |ring| ring.forget(skb)));
            }
            return false;
        };
        if !relaxed::load(&self.used) {
            self.used.store(true, Relaxed);
        }
        parked.len = pkt.skb().len();
        parked.received_ns = received_ns.unwrap_or(0);
        parked.has_received = received_ns.is_some();
        BhOff::with(|bh| {
            self.rings.with_local(bh, |ring| {
                // No need to forget an older entry at this address: this one shadows it.
                let i = usize::from(ring.next) % RING_LEN;
                if let Some(slot) = ring.packets.get_mut(i) {
                    *slot = parked;
                    ring.occupy(i, skb);
                }
                // i < RING_LEN <= u8::MAX.
                ring.next = ((i + 1) % RING_LEN) as u8;
            })
        });
        true
    }

    /// Takes what this CPU's ring holds for `pkt` out of it and hands it to `complete`: the
    /// packet has come to its egress. Nothing when it holds nothing for it (or bottom halves
    /// are on).
    #[inline]
    pub(crate) fn take(
        &self,
        pkt: &mut RxPacket<'_>,
        complete: impl FnOnce(&mut RxPacket<'_>, &Parked),
    ) {
        let skb = pkt.skb().raw() as usize;
        BhOff::with(|bh| {
            self.rings.with_local(bh, |ring| {
                let Some(i) = ring.newest(skb) else {
                    return;
                };
                ring.vacate(i);
                // In place: the slot is only written again by the receive hook, which cannot
                // run on this CPU until this returns.
                if let Some(parked) = ring.packets.get(i) {
                    complete(pkt, parked);
                }
            })
        });
    }
}

/// How many trace options of one packet can have their egress fields completed (more than one
/// IOAM namespace on one path is rare; the others keep theirs unavailable).
const ENTRIES_MAX: usize = 2;

/// One entry's egress fields, as offsets from the IPv6 header.
#[derive(Clone, Copy, Zeroable)]
pub(crate) struct ParkedEntry {
    /// Where the trace header is, and its eight octets (Namespace-ID, NodeLen, Flags,
    /// RemainingLen, trace type) after this node's write: checked again at the egress.
    pub(crate) header_at: u16,
    pub(crate) header: [u8; TRACE_HDR_LEN],
    /// The transit delay field; 0: none (the IPv6 header is there).
    pub(crate) delay_at: u16,
    /// The queue depth field; 0: none.
    pub(crate) queue_at: u16,
}

/// The entries of one packet waiting for its egress.
#[derive(Clone, Copy, Zeroable)]
pub(crate) struct Parked {
    /// The packet's length when parked: a later packet at the same address is another one.
    len: u32,
    /// When it was received (ns since the Unix epoch); `has_received` says whether it is known.
    received_ns: i64,
    has_received: bool,
    count: u8,
    entries: [ParkedEntry; ENTRIES_MAX],
}

impl Parked {
    /// Nothing parked.
    pub(crate) const fn new() -> Self {
        Self {
            len: 0,
            received_ns: 0,
            has_received: false,
            count: 0,
            entries: [ParkedEntry {
                header_at: 0,
                header: [0; TRACE_HDR_LEN],
                delay_at: 0,
                queue_at: 0,
            }; ENTRIES_MAX],
        }
    }

    /// Adds the egress `fields` (offsets from the trace header) of the entry this node wrote
    /// into the trace whose header is at `header_at` from the IPv6 header and begins with
    /// `header`; ignored beyond [`ENTRIES_MAX`] or offsets past 64 KiB.
    pub(crate) fn add(
        &mut self,
        header_at: usize,
        header: [u8; TRACE_HDR_LEN],
        fields: EgressFields,
    ) {
        let at = |field: Option<usize>| {
            field.map_or(Some(0), |f| {
                header_at.checked_add(f).and_then(|o| u16::try_from(o).ok())
            })
        };
        let (Some(header_at), Some(delay_at), Some(queue_at)) = (
            u16::try_from(header_at).ok(),
            at(fields.transit_delay),
            at(fields.queue_depth),
        ) else {
            return;
        };
        if let Some(slot) = self.entries.get_mut(usize::from(self.count)) {
            *slot = ParkedEntry {
                header_at,
                header,
                delay_at,
                queue_at,
            };
            self.count = self.count.wrapping_add(1);
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether these entries were parked for a packet of `pkt`'s length: a later packet at
    /// the same address, of another length, is another packet.
    pub(crate) fn same_length(&self, pkt: &RxPacket<'_>) -> bool {
        self.len == pkt.skb().len()
    }

    /// When the packet was received (ns since the Unix epoch), if known.
    pub(crate) fn received_ns(&self) -> Option<i64> {
        self.has_received.then_some(self.received_ns)
    }

    /// The parked entries.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &ParkedEntry> {
        self.entries.iter().take(usize::from(self.count))
    }
}
