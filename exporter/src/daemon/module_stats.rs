//! The module's own counters for the network namespace the daemon runs in, as `ioamctl
//! stats` reads them (`ioamctl`'s `Client::execute` of the stats command, `decode_stats`),
//! exposed with the names `ioamctl stats -j` prints:
//!
//! - `ioam_module_counter_total{name="trace_filled"}`: each counter;
//! - `ioam_module_setting{name="event_rate"}`: the event, loopback and export limits;
//! - `ioam_exporter_module_stats_errors_total`, `ioam_exporter_module_stats_up`: reads that
//!   failed (the module unloaded), and whether the last one worked.
//!
//! Each reading also feeds the kernel's export losses ([`KernelLosses`]) into
//! `ioam_exporter_events_lost_total`. This collector is registered on the root registry,
//! which encodes its collectors before its sub-registries (`ioam_exporter_*`), so a scrape
//! shows the losses of the reading it made.
//!
//! They are read when scraped, at most once every `interval` (later scrapes within it get
//! the same values): no thread and no netlink traffic when nobody scrapes, values as fresh as
//! the interval allows when somebody does, and at most one dump an interval however many
//! scrapers there are. The kernel's counters are exported as they are, so a module reload
//! shows as a counter reset, which Prometheus handles. While they cannot be read their
//! series are left out (stale), not frozen at old values.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ioamctl::args::Command;
use ioamctl::format::StatsInfo;
use ioamctl::netlink::{Client, NetlinkError, Reply};

use super::kernel_losses::KernelLosses;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// Default of `--module-stats-interval`.
pub const DEFAULT_MODULE_STATS_INTERVAL: Duration = Duration::from_secs(5);

/// Where the statistics come from: the module over netlink, a fixture in tests.
pub trait StatsReader: Send {
    fn read(&mut self) -> Result<StatsInfo, NetlinkError>;
}

/// The module's statistics over generic netlink, with `ioamctl`'s client.
pub struct NetlinkStatsReader {
    family: &'static std::ffi::CStr,
    /// Dropped on error: a reloaded module has a new family id, resolved on reconnecting.
    client: Option<Client>,
}

impl NetlinkStatsReader {
    pub fn new(family: &'static std::ffi::CStr) -> NetlinkStatsReader {
        NetlinkStatsReader {
            family,
            client: None,
        }
    }
}

impl StatsReader for NetlinkStatsReader {
    fn read(&mut self) -> Result<StatsInfo, NetlinkError> {
        let mut client = match self.client.take() {
            Some(client) => client,
            None => Client::connect(self.family)?,
        };
        let info = match client.execute(&Command::ShowStats)? {
            Reply::Stats(info) => info,
            other => {
                return Err(NetlinkError::Transport(format!(
                    "a statistics request answered {other:?}"
                )))
            }
        };
        self.client = Some(client);
        Ok(info)
    }
}

/// The monotonic time, as the collector reads it (a test's own clock in tests).
pub type MonotonicClock = Box<dyn Fn() -> Instant + Send + Sync>;

/// The collector registered in the metrics registry; its clones share its state.
#[derive(Clone)]
pub struct ModuleStats {
    interval: Duration,
    now: Arc<dyn Fn() -> Instant + Send + Sync>,
    /// Shared by clones: the registered collector and the daemon's handle.
    state: Arc<Mutex<State>>,
}

struct State {
    reader: Box<dyn StatsReader>,
    losses: KernelLosses,
    /// When the last read was made, and what it gave (`None`: it failed).
    last: Option<(Instant, Option<StatsInfo>)>,
    errors: u64,
    /// Whether the current run of failures was logged.
    logged: bool,
}

impl std::fmt::Debug for ModuleStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleStats")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl ModuleStats {
    pub fn new(
        reader: impl StatsReader + 'static,
        interval: Duration,
        now: MonotonicClock,
        losses: KernelLosses,
    ) -> Self {
        ModuleStats {
            interval,
            now: Arc::from(now),
            state: Arc::new(Mutex::new(State {
                reader: Box::new(reader),
                losses,
                last: None,
                errors: 0,
                logged: false,
            })),
        }
    }

    /// Reads the counters now, as a scrape would: called when the daemon has joined the
    /// export group, so that the baseline of the kernel's losses is the exporter's start,
    /// not its first scrape.
    pub fn read_at_start(&self) {
        let now = (self.now)();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.current(now, self.interval);
    }
}

impl State {
    /// The statistics, read again when the last read is `interval` old.
    fn current(&mut self, now: Instant, interval: Duration) -> Option<StatsInfo> {
        if let Some((at, info)) = &self.last {
            if now.saturating_duration_since(*at) < interval {
                return info.clone();
            }
        }
        let info = match self.reader.read() {
            Ok(info) => {
                if std::mem::take(&mut self.logged) {
                    log::info!("the module's counters can be read again");
                }
                self.losses.observe(&info);
                Some(info)
            }
            Err(error) => {
                self.errors += 1;
                // Once a run of failures: a scrape every few seconds would flood the log.
                if !std::mem::replace(&mut self.logged, true) {
                    log::warn!("cannot read the module's counters: {error} (counted in ioam_exporter_module_stats_errors_total; retried every {} s)", interval.as_secs());
                } else {
                    log::debug!("cannot read the module's counters: {error}");
                }
                None
            }
        };
        self.last = Some((now, info.clone()));
        info
    }
}

impl Collector for ModuleStats {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = (self.now)();
        let (info, errors) = {
            // A panic elsewhere cannot leave the state half-updated: use it as it is.
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            (state.current(now, self.interval), state.errors)
        };
        if let Some(info) = &info {
            let mut family = encoder.encode_descriptor(
                "ioam_module_counter",
                "The ioam_rs module's counters in this network namespace, named as ioamctl stats -j names them",
                None,
                MetricType::Counter,
            )?;
            for (name, value) in info.named_counters() {
                ConstCounter::new(value)
                    .encode(family.encode_family(&[("name", name.as_str())])?)?;
            }
            let mut family = encoder.encode_descriptor(
                "ioam_module_setting",
                "The ioam_rs module's event, loopback and export limits in this network namespace",
                None,
                MetricType::Gauge,
            )?;
            for (name, value) in info.named_limits() {
                ConstGauge::new(i64::from(value))
                    .encode(family.encode_family(&[("name", name)])?)?;
            }
        }
        let errors_counter = ConstCounter::new(errors);
        errors_counter.encode(encoder.encode_descriptor(
            "ioam_exporter_module_stats_errors",
            "Reads of the module's counters that failed (the module not loaded, netlink errors)",
            None,
            errors_counter.metric_type(),
        )?)?;
        let up = ConstGauge::new(i64::from(info.is_some()));
        up.encode(encoder.encode_descriptor(
            "ioam_exporter_module_stats_up",
            "1 when the last read of the module's counters worked, else 0",
            None,
            up.metric_type(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::metrics::Metrics;
    use ioam_uapi::stat;
    use prometheus_client::encoding::prometheus_text::encode;
    use prometheus_client::registry::Registry;
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// Answers its queue in order, then fails; counts the reads.
    struct Fixture {
        answers: VecDeque<Result<StatsInfo, NetlinkError>>,
        reads: Arc<AtomicU64>,
    }

    impl StatsReader for Fixture {
        fn read(&mut self) -> Result<StatsInfo, NetlinkError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.answers
                .pop_front()
                .unwrap_or(Err(NetlinkError::FamilyNotFound))
        }
    }

    fn stats(trace_filled: u64) -> StatsInfo {
        StatsInfo {
            counters: vec![
                (stat::EVENTS_SENT, 5),
                (stat::TRACE_FILLED, trace_filled),
                (99, 7),
            ],
            event_rate: Some(1000),
            event_burst: Some(50),
            export_rate: Some(20_000),
            ..StatsInfo::default()
        }
    }

    /// A collector on `answers` with an interval of 5 s, its clock (ms since start) and
    /// its read count.
    fn collector(
        answers: Vec<Result<StatsInfo, NetlinkError>>,
    ) -> (Registry, Arc<AtomicU64>, Arc<AtomicU64>) {
        let reads = Arc::new(AtomicU64::new(0));
        let clock_ms = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let clock = Arc::clone(&clock_ms);
        let module = ModuleStats::new(
            Fixture {
                answers: answers.into(),
                reads: Arc::clone(&reads),
            },
            Duration::from_secs(5),
            Box::new(move || start + Duration::from_millis(clock.load(Ordering::SeqCst))),
            KernelLosses::new(Metrics::default()),
        );
        let mut registry = Registry::default();
        registry.register_collector(Box::new(module));
        (registry, clock_ms, reads)
    }

    fn scrape(registry: &Registry) -> prometheus_parse::Scrape {
        let mut text = String::new();
        encode(&mut text, registry).unwrap();
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
    }

    fn value(scrape: &prometheus_parse::Scrape, metric: &str, name: Option<&str>) -> Option<f64> {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && s.labels.get("name") == name)
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                ref other => panic!("{metric}: {other:?}"),
            })
    }

    #[test]
    fn counters_under_the_names_ioamctl_prints() {
        let (registry, _, _) = collector(vec![Ok(stats(12))]);
        let scrape = scrape(&registry);
        let counter = |name| value(&scrape, "ioam_module_counter_total", Some(name));
        assert_eq!(counter("trace_filled"), Some(12.0));
        assert_eq!(counter("events_sent"), Some(5.0));
        assert_eq!(counter("stat_99"), Some(7.0));
        assert_eq!(
            value(&scrape, "ioam_module_setting", Some("event_rate")),
            Some(1000.0)
        );
        assert_eq!(
            value(&scrape, "ioam_module_setting", Some("export_rate")),
            Some(20_000.0)
        );
        assert_eq!(
            value(&scrape, "ioam_module_setting", Some("loopback_rate")),
            None
        );
        assert_eq!(
            value(&scrape, "ioam_exporter_module_stats_up", None),
            Some(1.0)
        );
        assert_eq!(
            value(&scrape, "ioam_exporter_module_stats_errors_total", None),
            Some(0.0)
        );
    }

    /// Readings of the export counters: `export_rate_limited` and `export_failed`.
    fn export_losses(rate_limited: u64, failed: u64) -> Result<StatsInfo, NetlinkError> {
        Ok(StatsInfo {
            counters: vec![
                (stat::EXPORT_RATE_LIMITED, rate_limited),
                (stat::EXPORT_FAILED, failed),
            ],
            ..StatsInfo::default()
        })
    }

    #[test]
    fn kernel_losses_since_the_start_in_the_exporters_metrics() {
        let (metrics, mut registry) = Metrics::new();
        let clock_ms = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let clock = Arc::clone(&clock_ms);
        let module = ModuleStats::new(
            Fixture {
                answers: vec![
                    export_losses(100, 20),
                    export_losses(130, 20),
                    export_losses(131, 27),
                ]
                .into(),
                reads: Arc::new(AtomicU64::new(0)),
            },
            Duration::from_secs(5),
            Box::new(move || start + Duration::from_millis(clock.load(Ordering::SeqCst))),
            KernelLosses::new(metrics.clone()),
        );
        module.read_at_start();
        registry.register_collector(Box::new(module));
        let lost = |s: &prometheus_parse::Scrape, reason: &str| {
            s.samples
                .iter()
                .find(|s| {
                    s.metric == "ioam_exporter_events_lost_total"
                        && s.labels.get("reason") == Some(reason)
                })
                .map(|s| match s.value {
                    prometheus_parse::Value::Counter(v) => v,
                    ref other => panic!("{other:?}"),
                })
        };
        let first = scrape(&registry);
        assert_eq!(
            lost(&first, "rate_limit"),
            Some(0.0),
            "the start is the baseline"
        );
        assert_eq!(lost(&first, "kernel_failed"), Some(0.0));
        clock_ms.store(5_000, Ordering::SeqCst);
        let second = scrape(&registry);
        assert_eq!(
            lost(&second, "rate_limit"),
            Some(30.0),
            "in the scrape that read it"
        );
        assert_eq!(lost(&second, "kernel_failed"), Some(0.0));
        clock_ms.store(10_000, Ordering::SeqCst);
        let third = scrape(&registry);
        assert_eq!(lost(&third, "rate_limit"), Some(31.0));
        assert_eq!(lost(&third, "kernel_failed"), Some(7.0));
        assert!(
            !scrape(&registry).samples.iter().any(|s| {
                s.metric == "ioam_exporter_records_lost_total"
                    && s.labels.get("reason") == Some("rate_limit")
            }),
            "the kernel's losses are of events, not records"
        );
    }

    #[test]
    fn read_at_most_once_an_interval() {
        let (registry, clock_ms, reads) = collector(vec![Ok(stats(1)), Ok(stats(2))]);
        let filled = |s: &prometheus_parse::Scrape| {
            value(s, "ioam_module_counter_total", Some("trace_filled"))
        };
        assert_eq!(filled(&scrape(&registry)), Some(1.0));
        clock_ms.store(4_999, Ordering::SeqCst);
        assert_eq!(filled(&scrape(&registry)), Some(1.0), "cached");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        clock_ms.store(5_000, Ordering::SeqCst);
        assert_eq!(filled(&scrape(&registry)), Some(2.0));
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn failures_are_counted_and_not_fatal() {
        let (registry, clock_ms, reads) = collector(vec![
            Ok(stats(1)),
            Err(NetlinkError::FamilyNotFound),
            Err(NetlinkError::Transport("gone".into())),
            Ok(stats(3)),
        ]);
        scrape(&registry);
        for (at, errors, up) in [
            (5_000, 1.0, 0.0),
            (6_000, 1.0, 0.0),
            (10_000, 2.0, 0.0),
            (15_000, 2.0, 1.0),
        ] {
            clock_ms.store(at, Ordering::SeqCst);
            let s = scrape(&registry);
            assert_eq!(
                value(&s, "ioam_exporter_module_stats_errors_total", None),
                Some(errors),
                "{at}"
            );
            assert_eq!(
                value(&s, "ioam_exporter_module_stats_up", None),
                Some(up),
                "{at}"
            );
            let filled = value(&s, "ioam_module_counter_total", Some("trace_filled"));
            assert_eq!(filled, (up == 1.0).then_some(3.0), "no stale values: {at}");
        }
        assert_eq!(
            reads.load(Ordering::SeqCst),
            4,
            "a failure is not retried within the interval"
        );
    }
}
