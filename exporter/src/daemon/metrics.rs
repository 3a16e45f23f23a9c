//! The exporter's counters, in a `prometheus-client` registry that the HTTP endpoint
//! encodes. The crate is used (rather than hand-written text) for its typed counters,
//! gauges and, for a later step, histograms with label families, and its exposition
//! encoders; its cost is a handful of small crates.
//!
//! Metric families (prefix `ioam_exporter_`): adding one is a field here and a `register`
//! call in [`Metrics::new`]. The path metrics are [`HopMetrics`]; the module's own counters
//! ([`super::module_stats`]) are a collector registered next to these, without the prefix.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::hop_metrics::HopMetrics;

/// A single-label label set: the crate's own `(key, value)` array encoding.
type Label = [(&'static str, &'static str); 1];

/// The kind of a received event (`kind` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    // In `ALL` order: the discriminant indexes `Metrics::events_received_by_kind`.
    Trace,
    Dex,
    Loopback,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Trace, EventKind::Dex, EventKind::Loopback];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Trace => "trace",
            EventKind::Dex => "dex",
            EventKind::Loopback => "loopback",
        }
    }
}

/// The kind of an exported record (`template` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    // In `ALL` order: the discriminant indexes `Metrics::records_exported_by_kind`.
    Path,
    Hop,
}

impl RecordKind {
    pub const ALL: [RecordKind; 2] = [RecordKind::Path, RecordKind::Hop];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Path => "path",
            RecordKind::Hop => "hop",
        }
    }
}

/// Why events or records were not exported (`reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossReason {
    /// The netlink socket's receive buffer overran; the kernel does not say how many
    /// events it dropped, so each overrun counts as one (a lower bound).
    Enobufs,
    /// No TCP connection, or sending failed.
    CollectorUnreachable,
    /// The event could not be turned into records.
    DecodeError,
    /// The records could not be encoded into messages.
    EncodeError,
    /// Over the module's export rate limit, never batched: the increase of its
    /// `export_rate_limited` counter ([`super::kernel_losses`]).
    RateLimit,
    /// Batched but not delivered by the kernel: the increase of the module's `export_failed`
    /// counter, in events (the overruns that `Enobufs` counts included).
    KernelFailed,
}

impl LossReason {
    pub const ALL: [LossReason; 6] = [
        LossReason::Enobufs,
        LossReason::CollectorUnreachable,
        LossReason::DecodeError,
        LossReason::EncodeError,
        LossReason::RateLimit,
        LossReason::KernelFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::Enobufs => "enobufs",
            LossReason::CollectorUnreachable => "collector_unreachable",
            LossReason::DecodeError => "decode_error",
            LossReason::EncodeError => "encode_error",
            LossReason::RateLimit => "rate_limit",
            LossReason::KernelFailed => "kernel_failed",
        }
    }

    /// Whether records can be lost for this reason: the kernel's losses are of events that
    /// never reached the exporter, so never became records.
    pub fn applies_to_records(self) -> bool {
        !matches!(self, LossReason::RateLimit | LossReason::KernelFailed)
    }
}

/// Handles to every metric; clones share the values.
#[derive(Clone, Debug)]
pub struct Metrics {
    events_received: Family<Label, Counter>,
    /// The series of `events_received`, by [`EventKind`] (in `EventKind::ALL` order):
    /// counted per event without a label lookup.
    events_received_by_kind: [Counter; 3],
    events_lost: Family<Label, Counter>,
    records_exported: Family<Label, Counter>,
    /// The series of `records_exported`, by [`RecordKind`] (in `RecordKind::ALL` order):
    /// counted per message sent without a label lookup.
    records_exported_by_kind: [Counter; 2],
    records_lost: Family<Label, Counter>,
    pub messages_sent: Counter,
    pub send_errors: Counter,
    pub collector_connects: Counter,
    pub collector_up: Gauge,
    pub receive_buffer_bytes: Gauge,
    pub receive_buffer_requested_bytes: Gauge,
    pub hops: HopMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        let events_received = Family::<Label, Counter>::default();
        let events_received_by_kind = EventKind::ALL
            .map(|kind| events_received.get_or_create_owned(&[("kind", kind.as_str())]));
        let records_exported = Family::<Label, Counter>::default();
        let records_exported_by_kind = RecordKind::ALL
            .map(|kind| records_exported.get_or_create_owned(&[("template", kind.as_str())]));
        Metrics {
            events_received,
            events_received_by_kind,
            events_lost: Family::default(),
            records_exported,
            records_exported_by_kind,
            records_lost: Family::default(),
            messages_sent: Counter::default(),
            send_errors: Counter::default(),
            collector_connects: Counter::default(),
            collector_up: Gauge::default(),
            receive_buffer_bytes: Gauge::default(),
            receive_buffer_requested_bytes: Gauge::default(),
            hops: HopMetrics::default(),
        }
    }
}

impl Metrics {
    /// The metrics, every labelled series present at 0, and the registry that holds them
    /// (under a sub-registry of prefix `ioam_exporter`: the root is for collectors of
    /// other prefixes).
    pub fn new() -> (Metrics, Registry) {
        let metrics = Metrics::default();
        // Adding 0 creates each series, so that a scrape shows every label from the start.
        for kind in EventKind::ALL {
            metrics
                .events_received
                .get_or_create(&[("kind", kind.as_str())])
                .inc_by(0);
        }
        for reason in LossReason::ALL {
            metrics.events_lost(reason, 0);
            if reason.applies_to_records() {
                metrics.records_lost(reason, 0);
            }
        }
        for kind in RecordKind::ALL {
            metrics.records_exported(kind, 0);
        }

        let mut root = Registry::default();
        let registry = root.sub_registry_with_prefix("ioam_exporter");
        registry.register(
            "events_received",
            "Trace events received from the kernel module, by kind",
            metrics.events_received.clone(),
        );
        registry.register(
            "events_lost",
            "Events not exported, by reason: enobufs counts overruns of the exporter's socket (each lost one or more events: a lower bound), kernel_failed the events the kernel could not deliver (the module's export_failed, those overruns included), rate_limit the events over the module's export limit (export_rate_limited); the last two since the exporter started",
            metrics.events_lost.clone(),
        );
        registry.register(
            "records_exported",
            "IPFIX data records sent, by template kind",
            metrics.records_exported.clone(),
        );
        registry.register(
            "records_lost",
            "IPFIX data records not sent, by reason",
            metrics.records_lost.clone(),
        );
        registry.register(
            "messages_sent",
            "IPFIX messages sent to the collector",
            metrics.messages_sent.clone(),
        );
        registry.register(
            "send_errors",
            "Messages the collector transport refused (UDP errors such as ECONNREFUSED, TCP write errors)",
            metrics.send_errors.clone(),
        );
        registry.register(
            "collector_connects",
            "TCP connections made to the collector (the first and every reconnect)",
            metrics.collector_connects.clone(),
        );
        registry.register(
            "collector_up",
            "1 when messages can be sent to the collector (UDP: always), else 0",
            metrics.collector_up.clone(),
        );
        registry.register(
            "receive_buffer_bytes",
            "The netlink socket's receive buffer as the kernel granted it (twice the request, when granted)",
            metrics.receive_buffer_bytes.clone(),
        );
        registry.register(
            "receive_buffer_requested_bytes",
            "The receive buffer asked for (--receive-buffer)",
            metrics.receive_buffer_requested_bytes.clone(),
        );
        metrics.hops.register(registry);
        (metrics, root)
    }

    pub fn event_received(&self, kind: EventKind) {
        self.events_received_by_kind[kind as usize].inc();
    }

    pub fn events_lost(&self, reason: LossReason, count: u64) {
        self.events_lost
            .get_or_create(&[("reason", reason.as_str())])
            .inc_by(count);
    }

    pub fn records_exported(&self, kind: RecordKind, count: u64) {
        self.records_exported_by_kind[kind as usize].inc_by(count);
    }

    pub fn records_lost(&self, reason: LossReason, count: u64) {
        self.records_lost
            .get_or_create(&[("reason", reason.as_str())])
            .inc_by(count);
    }

    /// The value of `events_lost{reason}` (for tests and logs).
    pub fn events_lost_count(&self, reason: LossReason) -> u64 {
        self.events_lost
            .get_or_create(&[("reason", reason.as_str())])
            .get()
    }

    /// The value of `records_lost{reason}`.
    pub fn records_lost_count(&self, reason: LossReason) -> u64 {
        self.records_lost
            .get_or_create(&[("reason", reason.as_str())])
            .get()
    }

    /// The value of `records_exported{template}`.
    pub fn records_exported_count(&self, kind: RecordKind) -> u64 {
        self.records_exported
            .get_or_create(&[("template", kind.as_str())])
            .get()
    }

    /// The value of `events_received{kind}`.
    pub fn events_received_count(&self, kind: EventKind) -> u64 {
        self.events_received
            .get_or_create(&[("kind", kind.as_str())])
            .get()
    }
}
