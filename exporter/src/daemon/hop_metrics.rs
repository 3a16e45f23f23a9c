//! Path metrics from the events' node data: per IOAM namespace and (previous node, this
//! node) pair, a histogram of the one-way delay ([`super::delay`]); per namespace, the hop
//! count of each trace and the timestamps that were unavailable.
//!
//! Which events count:
//! - TRACE events: all of the above.
//! - LOOPBACK events (a copy that came back to its encapsulating node): their delays, as each
//!   consecutive pair of entries is a real hop of the packet or of its copy; not their hop
//!   count, which adds the way back to the way there.
//! - DEX events: nothing. They carry one node's own entry: no pair, and no path length.
//!
//! Label cardinality is bounded: at most `max_hop_pairs` distinct (namespace, from, to)
//! pairs get series (for the delay histogram and the negative counter); a delay of any
//! other pair is counted in `hop_pairs_overflow` and dropped. A pair with no delay for
//! `--hop-pair-idle` (a path that changed, a node replaced) loses its series and its place,
//! so that the bound holds the pairs of the current paths. Namespace labels are bounded by
//! the module: it sends events only for the IOAM namespaces configured on this node.

use std::collections::hash_map::{Entry, HashMap};
use std::time::{Duration, Instant};

use ioam_wire::parse::ParsedNode;
use ioamctl::trace::TraceEvent;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::delay::{fill_timing, path_timing, trace_timing, TraceTiming};
use crate::records::RawTrace;

/// Default of `--max-hop-pairs`.
pub const DEFAULT_MAX_HOP_PAIRS: usize = 1024;
/// Default of `--hop-pair-idle`: an hour, so that the pairs of sparsely sampled traffic
/// keep their series.
pub const DEFAULT_HOP_PAIR_IDLE: Duration = Duration::from_secs(3600);
/// Sweeps for idle pairs in an idle time: a pair goes between one and 1.25 idle times after
/// its last delay.
const SWEEPS_PER_IDLE: u32 = 4;

/// Upper bounds of the delay buckets in seconds: 10 µs to 10 s in a 1-2-5 sequence (about
/// a factor 2.15 a bucket), from a LAN hop to a congested intercontinental path, with
/// bounds that read as round numbers.
pub const DELAY_BUCKETS: [f64; 19] = [
    0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_2, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
    0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// Upper bounds of the hop count buckets: one per count up to 10, then coarser up to 61,
/// the most 4-octet entries a trace's 244 octets of data hold.
pub const HOP_COUNT_BUCKETS: [f64; 15] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 16.0, 24.0, 32.0, 64.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HopPairLabels {
    pub namespace: u16,
    pub from_node: u64,
    pub to_node: u64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NamespaceLabels {
    pub namespace: u16,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn delay_histogram() -> Histogram {
    Histogram::new(DELAY_BUCKETS)
}

fn hop_count_histogram() -> Histogram {
    Histogram::new(HOP_COUNT_BUCKETS)
}

/// The families; clones share the values.
#[derive(Clone, Debug)]
pub struct HopMetrics {
    delay: HistogramFamily<HopPairLabels>,
    negative: Family<HopPairLabels, Counter>,
    unavailable: Family<NamespaceLabels, Counter>,
    hop_count: HistogramFamily<NamespaceLabels>,
    overflow: Counter,
    pairs: Gauge,
}

impl Default for HopMetrics {
    fn default() -> Self {
        HopMetrics {
            delay: Family::new_with_constructor(delay_histogram),
            negative: Family::default(),
            unavailable: Family::default(),
            hop_count: Family::new_with_constructor(hop_count_histogram),
            overflow: Counter::default(),
            pairs: Gauge::default(),
        }
    }
}

impl HopMetrics {
    /// Registers the families in `registry` (whose prefix they take).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "hop_delay_seconds",
            "One-way delay between consecutive nodes of a trace, from their receive timestamps, by IOAM namespace and node pair",
            self.delay.clone(),
        );
        registry.register(
            "hop_delay_negative",
            "Delays between consecutive nodes that came out negative (their clocks disagree) and were left out of hop_delay_seconds",
            self.negative.clone(),
        );
        registry.register(
            "hop_delay_unavailable",
            "Node entries whose timestamp was unavailable (all ones) or unreadable: no delay to or from them",
            self.unavailable.clone(),
        );
        registry.register(
            "trace_hops",
            "Node entries in each trace event, by IOAM namespace",
            self.hop_count.clone(),
        );
        registry.register(
            "hop_pairs_overflow",
            "Delays not recorded because their node pair would exceed --max-hop-pairs",
            self.overflow.clone(),
        );
        registry.register(
            "hop_pairs",
            "Distinct (namespace, from_node, to_node) pairs with delay series",
            self.pairs.clone(),
        );
    }
}

/// Turns events into [`HopMetrics`] observations, within the pair bound.
#[derive(Debug)]
pub struct HopRecorder {
    metrics: HopMetrics,
    /// The tracked pairs, with their series once created: a handle shares the family's
    /// value, so that an observation needs no label lookup in the family.
    tracked: HashMap<HopPairLabels, PairSeries, PairHasher>,
    /// `trace_hops` of each namespace seen, by the same token.
    hop_counts: HashMap<u16, Histogram, PairHasher>,
    max_pairs: usize,
    /// The timing of the event being recorded (kept for its allocation).
    scratch: TraceTiming,
    /// The last namespace's `trace_hops` and the last pair's delay series, looked up
    /// without hashing when the next event is of them too (keys compared in full).
    last_hop_count: Option<(u16, Histogram)>,
    last_delay: Option<(HopPairLabels, Histogram)>,
    /// How long a pair may go without a delay before its series go (`None`: forever).
    idle: Option<Duration>,
    /// Sweeps for idle pairs so far, and when the next is due.
    sweeps: u32,
    next_sweep: Option<Instant>,
}

/// The series of one tracked pair, each created at its first observation (a series
/// appears in the exposition only once it has one).
#[derive(Debug, Default)]
struct PairSeries {
    delay: Option<Histogram>,
    negative: Option<Counter>,
    /// [`HopRecorder::sweeps`] at its last delay looked up in the map (after each sweep, the
    /// first delay of every pair is: the sweep clears the last pair's shortcut).
    seen: u32,
}

impl HopRecorder {
    pub fn new(metrics: HopMetrics, max_pairs: usize) -> HopRecorder {
        HopRecorder {
            metrics,
            tracked: HashMap::with_hasher(PairHasher::new()),
            hop_counts: HashMap::with_hasher(PairHasher::new()),
            max_pairs,
            scratch: TraceTiming::default(),
            last_hop_count: None,
            last_delay: None,
            idle: None,
            sweeps: 0,
            next_sweep: None,
        }
    }

    /// Pairs without a delay for `idle` lose their series ([`HopRecorder::expire`]); `None`:
    /// pairs stay until the daemon restarts.
    pub fn set_idle(&mut self, idle: Option<Duration>) {
        self.idle = idle.filter(|idle| !idle.is_zero());
        self.next_sweep = None;
    }

    /// Removes the series of the pairs idle for long enough, when a sweep is due at `now`
    /// (called on the exporter's timer).
    pub fn expire(&mut self, now: Instant) {
        let Some(idle) = self.idle else {
            return;
        };
        let period = idle / SWEEPS_PER_IDLE;
        // Far beyond the clock's range: never.
        let next = now.checked_add(period);
        match self.next_sweep {
            Some(due) if now < due => return,
            None => {
                self.next_sweep = next;
                if next.is_none() {
                    self.idle = None;
                }
                return;
            }
            Some(_) => self.next_sweep = next,
        }
        // Pairs seen in none of the last SWEEPS_PER_IDLE periods go.
        let this = self.sweeps;
        let metrics = &self.metrics;
        let before = self.tracked.len();
        self.tracked.retain(|labels, series| {
            let keep = this.wrapping_sub(series.seen) < SWEEPS_PER_IDLE;
            if !keep {
                metrics.delay.remove(labels);
                metrics.negative.remove(labels);
            }
            keep
        });
        self.sweeps = this.wrapping_add(1);
        self.last_delay = None;
        let removed = before - self.tracked.len();
        if removed > 0 {
            log::debug!(
                "{removed} hop pairs idle for {} s: series removed",
                idle.as_secs()
            );
            metrics
                .pairs
                .set(i64::try_from(self.tracked.len()).unwrap_or(i64::MAX));
        }
    }

    /// Records what `event` says about its path (see the module documentation).
    pub fn record(&mut self, event: &TraceEvent) {
        if event.dex {
            return;
        }
        if let Some(timing) = trace_timing(event) {
            self.record_timing(event, &timing);
        }
    }

    /// [`HopRecorder::record`] of an event already decoded: of namespace `namespace` and
    /// trace type `trace_type` (24 bits), with node entries `path` in path order.
    pub fn record_path(
        &mut self,
        event: &TraceEvent,
        namespace: u16,
        trace_type: u32,
        path: &[ParsedNode<'_>],
    ) {
        if event.dex {
            return;
        }
        self.record_timing(event, &path_timing(event, namespace, trace_type, path));
    }

    /// [`HopRecorder::record`] of an event whose node bytes are read as they are.
    pub fn record_raw(&mut self, event: &TraceEvent, raw: &RawTrace<'_>) {
        if event.dex {
            return;
        }
        let mut timing = std::mem::take(&mut self.scratch);
        let nodes = raw.nodes().map(|node| {
            let (secs, frac) = raw.timestamp(node);
            (raw.node_id(node), secs, frac)
        });
        fill_timing(&mut timing, event, raw.namespace(), raw.trace_type(), nodes);
        self.record_timing(event, &timing);
        self.scratch = timing;
    }

    fn record_timing(&mut self, event: &TraceEvent, timing: &TraceTiming) {
        if !event.loopback {
            match &self.last_hop_count {
                Some((namespace, series)) if *namespace == timing.namespace => {
                    series.observe(timing.hop_count as f64);
                }
                _ => {
                    let family = &self.metrics.hop_count;
                    let series = self.hop_counts.entry(timing.namespace).or_insert_with(|| {
                        family.get_or_create_owned(&NamespaceLabels {
                            namespace: timing.namespace,
                        })
                    });
                    series.observe(timing.hop_count as f64);
                    self.last_hop_count = Some((timing.namespace, series.clone()));
                }
            }
        }
        self.record_delays(timing);
    }

    fn record_delays(&mut self, timing: &TraceTiming) {
        if timing.unavailable > 0 {
            self.metrics
                .unavailable
                .get_or_create(&NamespaceLabels {
                    namespace: timing.namespace,
                })
                .inc_by(timing.unavailable);
        }
        for delay in &timing.delays {
            let labels = HopPairLabels {
                namespace: timing.namespace,
                from_node: delay.from_node,
                to_node: delay.to_node,
            };
            if delay.delay_ns >= 0 {
                if let Some((last, series)) = &self.last_delay {
                    if *last == labels {
                        series.observe(delay.seconds());
                        continue;
                    }
                }
            }
            let pairs = &self.metrics.pairs;
            let Some(series) = track(
                &mut self.tracked,
                pairs,
                self.max_pairs,
                &labels,
                self.sweeps,
            ) else {
                // Once: idle pairs may make room again, but a full bound is worth one line.
                if self.metrics.overflow.inc() == 0 {
                    log::warn!(
                        "{} hop pairs have delay series (--max-hop-pairs): delays of new pairs are only counted in ioam_exporter_hop_pairs_overflow_total",
                        self.max_pairs
                    );
                }
                continue;
            };
            // A negative delay is no delay: the two clocks are not synchronised. In the
            // histogram it would land in the lowest bucket, as a fast hop, and lower the sum.
            if delay.delay_ns < 0 {
                series
                    .negative
                    .get_or_insert_with(|| self.metrics.negative.get_or_create_owned(&labels))
                    .inc();
            } else {
                let histogram = series
                    .delay
                    .get_or_insert_with(|| self.metrics.delay.get_or_create_owned(&labels));
                histogram.observe(delay.seconds());
                self.last_delay = Some((labels, histogram.clone()));
            }
        }
    }
}

/// The hasher of the pair maps, looked up once or twice an event: a multiply-and-fold of
/// the key's integers under a random seed, a few instructions where SipHash (std's
/// default) takes hundreds. The maps compare keys in full, so a collision costs a probe,
/// never a wrong series; the seed keeps the collisions unpredictable to whoever sends
/// node ids, and `max_pairs` bounds how many keys there are at all.
#[derive(Clone, Copy, Debug)]
pub struct PairHasher {
    seed: u64,
}

impl PairHasher {
    fn new() -> PairHasher {
        use std::hash::BuildHasher;
        PairHasher {
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1,
        }
    }
}

impl std::hash::BuildHasher for PairHasher {
    type Hasher = PairHashState;

    fn build_hasher(&self) -> PairHashState {
        PairHashState(self.seed)
    }
}

/// The state of one [`PairHasher`] hash.
#[derive(Clone, Copy, Debug)]
pub struct PairHashState(u64);

impl PairHashState {
    #[inline]
    fn mix(&mut self, value: u64) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let product = u128::from(self.0 ^ value) * u128::from(K);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl std::hash::Hasher for PairHashState {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u16(&mut self, value: u16) {
        self.mix(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.mix(value);
    }
}

/// The series of `labels` in `tracked`, unless it is a new pair beyond `max_pairs`;
/// `pairs` counts the tracked pairs. The pair is marked seen at sweep count `sweeps`.
fn track<'a>(
    tracked: &'a mut HashMap<HopPairLabels, PairSeries, PairHasher>,
    pairs: &Gauge,
    max_pairs: usize,
    labels: &HopPairLabels,
    sweeps: u32,
) -> Option<&'a mut PairSeries> {
    let count = tracked.len();
    let series = match tracked.entry(labels.clone()) {
        Entry::Occupied(entry) => entry.into_mut(),
        Entry::Vacant(_) if count >= max_pairs => return None,
        Entry::Vacant(entry) => {
            pairs.set(i64::try_from(count + 1).unwrap_or(i64::MAX));
            entry.insert(PairSeries::default())
        }
    };
    series.seen = sweeps;
    Some(series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    /// A POSIX-timestamped trace of nodes `(id, µs after a fixed second)` in path order
    /// (`None`: the timestamp is unavailable).
    fn event(namespace: u16, nodes: &[(u32, Option<u32>)]) -> TraceEvent {
        let data = nodes
            .iter()
            .rev()
            .flat_map(|&(id, micros)| {
                let mut entry = ((63 << 24) | id).to_be_bytes().to_vec();
                let (secs, frac) = micros.map_or((u32::MAX, u32::MAX), |m| (1_796_392_800, m));
                entry.extend(secs.to_be_bytes());
                entry.extend(frac.to_be_bytes());
                entry
            })
            .collect();
        TraceEvent {
            namespace: Some(namespace),
            nodelen: Some(3),
            trace_type: Some(0xb0_0000 << 8),
            data: Some(data),
            ..TraceEvent::default()
        }
    }

    fn exposition(metrics: &HopMetrics) -> String {
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        text
    }

    /// Lines of the exposition that start with `start`: one a series.
    fn series(metrics: &HopMetrics, start: &str) -> usize {
        exposition(metrics)
            .lines()
            .filter(|l| l.starts_with(start))
            .count()
    }

    #[test]
    fn pairs_beyond_the_bound_are_counted_not_kept() {
        let metrics = HopMetrics::default();
        let mut recorder = HopRecorder::new(metrics.clone(), 2);
        // Pairs (1,2), (2,3) are tracked; (3,4) is one too many, in either event.
        recorder.record(&event(1, &[(1, Some(0)), (2, Some(10)), (3, Some(30))]));
        recorder.record(&event(1, &[(3, Some(0)), (4, Some(10))]));
        recorder.record(&event(
            1,
            &[(1, Some(0)), (2, Some(10)), (3, Some(30)), (4, Some(40))],
        ));
        // The same nodes in another namespace are other pairs.
        recorder.record(&event(2, &[(1, Some(0)), (2, Some(10))]));
        assert_eq!(metrics.overflow.get(), 3);
        assert_eq!(metrics.pairs.get(), 2);
        assert_eq!(series(&metrics, "hop_delay_seconds_count{"), 2);
        let text = exposition(&metrics);
        assert!(
            text.contains(
                "hop_delay_seconds_count{namespace=\"1\",from_node=\"1\",to_node=\"2\"} 2"
            ),
            "{text}"
        );
        assert!(!text.contains("to_node=\"4\""), "{text}");
    }

    #[test]
    fn idle_pairs_lose_their_series_and_make_room() {
        let metrics = HopMetrics::default();
        let mut recorder = HopRecorder::new(metrics.clone(), 2);
        let idle = Duration::from_secs(400);
        recorder.set_idle(Some(idle));
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        recorder.expire(at(0));
        // (1,2) and (2,3) fill the bound; (5,6) is turned away.
        recorder.record(&event(1, &[(1, Some(0)), (2, Some(10)), (3, Some(30))]));
        recorder.record(&event(1, &[(5, Some(0)), (6, Some(10))]));
        assert_eq!(metrics.overflow.get(), 1);
        // (1,2) keeps getting delays, the last pair seen (its shortcut); (2,3) no more.
        for seconds in (50..=500).step_by(50) {
            recorder.record(&event(1, &[(1, Some(0)), (2, Some(10))]));
            recorder.expire(at(seconds));
        }
        let text = exposition(&metrics);
        assert!(text.contains("from_node=\"1\",to_node=\"2\"} 11"), "{text}");
        assert!(
            !text.contains("from_node=\"2\""),
            "(2,3) idle 500 s: {text}"
        );
        assert_eq!(metrics.pairs.get(), 1);
        // Its place is free again.
        recorder.record(&event(1, &[(5, Some(0)), (6, Some(10))]));
        assert_eq!(metrics.overflow.get(), 1);
        assert_eq!(series(&metrics, "hop_delay_seconds_count{"), 2);
        // Without an idle time, nothing goes.
        recorder.set_idle(None);
        recorder.expire(at(10_000));
        recorder.expire(at(20_000));
        assert_eq!(metrics.pairs.get(), 2);
    }

    #[test]
    fn negative_pairs_are_bounded_too() {
        let metrics = HopMetrics::default();
        let mut recorder = HopRecorder::new(metrics.clone(), 1);
        recorder.record(&event(1, &[(1, Some(50)), (2, Some(10)), (3, Some(5))]));
        assert_eq!(series(&metrics, "hop_delay_negative_total{"), 1);
        assert_eq!(metrics.overflow.get(), 1);
        assert_eq!(
            series(&metrics, "hop_delay_seconds_count{"),
            0,
            "nothing negative in the histogram"
        );
    }

    #[test]
    fn dex_events_count_nothing_and_loopback_events_no_hop_count() {
        let metrics = HopMetrics::default();
        let mut recorder = HopRecorder::new(metrics.clone(), 10);
        let mut dex = event(1, &[(1, Some(0))]);
        dex.dex = true;
        recorder.record(&dex);
        assert!(exposition(&metrics)
            .lines()
            .all(|l| l.starts_with('#') || l.starts_with("hop_pairs")));
        let mut copy = event(1, &[(1, Some(0)), (2, Some(10)), (1, Some(20))]);
        copy.loopback = true;
        recorder.record(&copy);
        assert_eq!(
            series(&metrics, "hop_delay_seconds_count{"),
            2,
            "(1,2) and (2,1)"
        );
        assert_eq!(series(&metrics, "trace_hops_count{"), 0);
    }
}
