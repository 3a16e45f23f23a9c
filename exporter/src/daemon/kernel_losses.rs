//! Events the kernel never handed to the exporter, counted from the module's own counters
//! (as [`super::module_stats`] reads them) into `ioam_exporter_events_lost_total`:
//!
//! - `rate_limit`: the increase of `export_rate_limited`, events over the export rate limit
//!   (`ioamctl export limit`), never batched;
//! - `kernel_failed`: the increase of `export_failed`, events batched but not delivered (no
//!   memory for a batch, or a listener's receive buffer full).
//!
//! Both count events, since the first reading (the baseline: the exporter does not claim
//! losses from before it started). They are the module's counts for the network namespace,
//! whoever listens: an `ioamctl monitor --export` that falls behind adds to `export_failed`
//! too. `enobufs`, by contrast, counts the overruns this exporter's socket saw, each one or
//! more batches of events: the kernel's side of those same overruns is in `kernel_failed`,
//! so the two overlap and are not to be added up.

use ioam_uapi::stat;
use ioamctl::format::StatsInfo;

use super::metrics::{LossReason, Metrics};

/// The module's counters read, and the loss reason each feeds.
const COUNTED: [(u16, LossReason); 2] = [
    (stat::EXPORT_RATE_LIMITED, LossReason::RateLimit),
    (stat::EXPORT_FAILED, LossReason::KernelFailed),
];

/// The last value of each counter of [`COUNTED`], and the metrics its increases go to.
#[derive(Debug)]
pub struct KernelLosses {
    metrics: Metrics,
    last: [Option<u64>; COUNTED.len()],
}

impl KernelLosses {
    pub fn new(metrics: Metrics) -> KernelLosses {
        KernelLosses {
            metrics,
            last: [None; COUNTED.len()],
        }
    }

    /// Counts the increase of each counter since the last reading; the first reading of a
    /// counter is its baseline. A counter missing from a reading (an older module) is
    /// skipped.
    pub fn observe(&mut self, info: &StatsInfo) {
        for ((kind, reason), last) in COUNTED.iter().zip(self.last.iter_mut()) {
            let Some(value) = info.counter(*kind) else {
                continue;
            };
            if let Some(previous) = last.replace(value) {
                // Below the last value: the module was reloaded and counts from 0 again.
                let increase = value.checked_sub(previous).unwrap_or(value);
                self.metrics.events_lost(*reason, increase);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(rate_limited: u64, failed: Option<u64>) -> StatsInfo {
        let mut counters = vec![
            (stat::EXPORT_SENT, 1000),
            (stat::EXPORT_RATE_LIMITED, rate_limited),
        ];
        counters.extend(failed.map(|failed| (stat::EXPORT_FAILED, failed)));
        StatsInfo {
            counters,
            ..StatsInfo::default()
        }
    }

    fn lost(metrics: &Metrics) -> (u64, u64) {
        (
            metrics.events_lost_count(LossReason::RateLimit),
            metrics.events_lost_count(LossReason::KernelFailed),
        )
    }

    #[test]
    fn increases_since_the_first_reading() {
        let metrics = Metrics::default();
        let mut losses = KernelLosses::new(metrics.clone());
        losses.observe(&reading(500, Some(40)));
        assert_eq!(lost(&metrics), (0, 0), "the first reading is the baseline");
        losses.observe(&reading(507, Some(40)));
        assert_eq!(lost(&metrics), (7, 0));
        losses.observe(&reading(510, Some(45)));
        assert_eq!(lost(&metrics), (10, 5));
    }

    #[test]
    fn a_reloaded_module_counts_from_zero() {
        let metrics = Metrics::default();
        let mut losses = KernelLosses::new(metrics.clone());
        losses.observe(&reading(500, Some(40)));
        losses.observe(&reading(3, Some(2)));
        assert_eq!(lost(&metrics), (3, 2));
        losses.observe(&reading(4, Some(2)));
        assert_eq!(lost(&metrics), (4, 2));
    }

    #[test]
    fn a_missing_counter_keeps_its_baseline() {
        let metrics = Metrics::default();
        let mut losses = KernelLosses::new(metrics.clone());
        losses.observe(&reading(1, None));
        losses.observe(&reading(2, None));
        assert_eq!(lost(&metrics), (1, 0));
        losses.observe(&reading(2, Some(9)));
        assert_eq!(
            lost(&metrics),
            (1, 0),
            "first value of export_failed: baseline"
        );
        losses.observe(&reading(2, Some(12)));
        assert_eq!(lost(&metrics), (1, 3));
    }
}
