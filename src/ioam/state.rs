// SPDX-License-Identifier: GPL-2.0
//! The IOAM state of each network namespace: namespaces and schemas, the interfaces IOAM is
//! switched on for, counters and the event rate limit.
//!
//! Readers on the packet path use it lock-free under RCU; writers serialise on the registry
//! mutex, which also guards the 1:1 namespace-schema binding.

use kernel::{
    alloc::{flags::GFP_KERNEL, KVec},
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

use crate::{
    ioam::{export, parked::EgressSlots, ratelimit::RateLimit, stats::Stats},
    net::{
        device::NetDevice,
        genl::{BatchCount, Batches},
        pernet::{Net, PerNetData, PerNetId},
    },
    sync::rcu::{self, RcuCell, RcuTable},
    uapi::{
        stat, EVENT_BURST_DEFAULT, EVENT_RATE_DEFAULT, EXPORT_BURST_DEFAULT, EXPORT_RATE_DEFAULT,
        LOOPBACK_BURST_DEFAULT, LOOPBACK_RATE_DEFAULT,
    },
    wire::timestamp::TsFormat,
};

/// An Opaque State Snapshot schema. Immutable once registered.
pub(crate) struct Schema {
    pub(crate) id: u32,
    /// The data, zero-padded to a multiple of 4 bytes.
    pub(crate) data: KVec<u8>,
}

/// An IOAM namespace.
pub(crate) struct Namespace {
    /// Namespace data (`NS_DATA_UNAVAILABLE` when not given).
    pub(crate) data: u32,
    /// Namespace wide data (`NS_DATA_WIDE_UNAVAILABLE` when not given).
    pub(crate) wide: u64,
    /// The bound schema, if any.
    pub(crate) schema: RcuCell<Arc<Schema>>,
    /// How its traces' timestamps are written.
    pub(crate) tsformat: TsFormat,
}

/// A registered schema and the namespace it is bound to.
pub(crate) struct SchemaEntry {
    pub(crate) schema: Arc<Schema>,
    pub(crate) namespace: Option<u16>,
}

/// Writer-side state, under [`NetState::registry`].
pub(crate) struct Registry {
    /// Sorted by schema id.
    pub(crate) schemas: KVec<SchemaEntry>,
    /// How many namespaces [`NetState::namespaces`] holds.
    pub(crate) namespace_count: usize,
}

impl Registry {
    pub(crate) fn schema_index(&self, id: u32) -> core::result::Result<usize, usize> {
        self.schemas.binary_search_by_key(&id, |e| e.schema.id)
    }

    pub(crate) fn schema_mut(&mut self, id: u32) -> Option<&mut SchemaEntry> {
        let i = self.schema_index(id).ok()?;
        self.schemas.get_mut(i)
    }

    /// Forgets that the schema bound to `ns` is bound.
    pub(crate) fn unbind_schema_of(&mut self, ns: u16) {
        for e in self.schemas.iter_mut().filter(|e| e.namespace == Some(ns)) {
            e.namespace = None;
        }
    }
}

/// IOAM state of one network namespace.
#[pin_data]
pub(crate) struct NetState {
    /// Events batched for exporters (first: its flush timer stops before the rest goes).
    #[pin]
    pub(crate) export: Batches,
    #[pin]
    pub(crate) registry: Mutex<Registry>,
    pub(crate) namespaces: RcuTable<Namespace>,
    /// Interfaces whose module switch is on: sorted indexes, replaced whole on change.
    pub(crate) interfaces: RcuCell<KVec<i32>>,
    pub(crate) stats: Stats,
    pub(crate) event_limit: RateLimit,
    /// Events batched for exporters.
    pub(crate) export_limit: RateLimit,
    /// RFC 9322 Loopback: what this node marks as encapsulating node and copies back as
    /// transit node, together (amplification).
    pub(crate) loopback_limit: RateLimit,
    /// Per CPU: the entries of the last packets received whose transit delay and queue depth
    /// wait for their egress.
    pub(crate) egress: EgressSlots,
}

static NET_STATE_ID: PerNetId = PerNetId::new();

impl PerNetData for NetState {
    fn id() -> &'static PerNetId {
        &NET_STATE_ID
    }

    fn init(net: &Net) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            export <- export::batches(net),
            registry <- new_mutex!(
                Registry {
                    schemas: KVec::new(),
                    namespace_count: 0,
                },
                "ioam_rs::registry"
            ),
            namespaces: RcuTable::new(),
            interfaces: RcuCell::new(),
            stats: Stats::new()?,
            event_limit: RateLimit::new(EVENT_RATE_DEFAULT, EVENT_BURST_DEFAULT),
            export_limit: RateLimit::new(EXPORT_RATE_DEFAULT, EXPORT_BURST_DEFAULT),
            loopback_limit: RateLimit::new(LOOPBACK_RATE_DEFAULT, LOOPBACK_BURST_DEFAULT),
            egress: EgressSlots::new()?,
        })
    }

    fn exit(&self) {
        let mut reg = self.registry.lock();
        self.namespaces.clear();
        reg.namespace_count = 0;
        self.interfaces.take();
        reg.schemas.clear();
    }
}

impl NetState {
    /// Counter `id` (a `uapi::stat` number): the export batches count what became of the
    /// events they took; the rest is counted here.
    pub(crate) fn counter(&self, id: u16) -> u64 {
        let batched = |what| self.export.count(what);
        match id {
            stat::EXPORT_SENT => batched(BatchCount::Sent),
            stat::EXPORT_BATCHES => batched(BatchCount::Messages),
            stat::EXPORT_FAILED => batched(BatchCount::Failed),
            _ => self.stats.get(id),
        }
    }

    /// Turns the module's switch of interface `ifindex` off, e.g. when it goes away; `_reg`
    /// shows that the registry lock is held.
    pub(crate) fn forget_interface(&self, _reg: &Registry, ifindex: i32) {
        // The set changes only under the registry lock, held: size the copy outside the RCU
        // read lock (allocating may sleep), then fill it without allocating.
        let len = match self.interfaces.get(&rcu::read_lock()) {
            Some(old) if old.binary_search(&ifindex).is_ok() => old.len(),
            _ => return,
        };
        let Ok(mut set) = KVec::with_capacity(len, GFP_KERNEL) else {
            return; // kept; pruned at the next change of the switches
        };
        {
            let guard = rcu::read_lock();
            let Some(old) = self.interfaces.get(&guard) else {
                return;
            };
            for &i in old.iter().filter(|&&i| i != ifindex) {
                if set.push_within_capacity(i).is_err() {
                    return;
                }
            }
        }
        let _ = self.interfaces.replace(set);
    }

    /// The namespace `id`, for readers under RCU.
    pub(crate) fn namespace<'a>(&'a self, id: u16, guard: &'a rcu::Guard) -> Option<&'a Namespace> {
        self.namespaces.get(id, guard)
    }

    /// Whether the receive hook has work in this network namespace: an IOAM namespace (without
    /// one, no trace can be filled: options of unknown namespaces are left alone) or an
    /// interface switched on by the module (whose options it validates and counts).
    pub(crate) fn has_receive_work(&self, reg: &Registry) -> bool {
        reg.namespace_count > 0
            || self
                .interfaces
                .get(&rcu::read_lock())
                .is_some_and(|set| !set.is_empty())
    }

    /// Whether IOAM is on for packets received on `dev`: the kernel's `ioam6_enabled` sysctl
    /// or the module's own switch.
    pub(crate) fn ioam_enabled(&self, dev: &NetDevice, guard: &rcu::Guard) -> bool {
        dev.kernel_ioam_enabled()
            || self
                .interfaces
                .get(guard)
                .is_some_and(|set| set.binary_search(&dev.ifindex()).is_ok())
    }
}
