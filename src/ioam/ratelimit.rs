// SPDX-License-Identifier: GPL-2.0
//! A lock-free token bucket for trace events (the generic cell rate algorithm: one atomic
//! "theoretical arrival time"), usable from any context.

use kernel::{
    sync::atomic::{Atomic, Relaxed},
    time::{Instant, Monotonic},
};

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Allows `rate` events per second on average and bursts of up to `burst` events.
pub(crate) struct RateLimit {
    rate: Atomic<u32>,
    burst: Atomic<u32>,
    /// Nanoseconds per event.
    interval_ns: Atomic<u64>,
    /// How far ahead of now the arrival time may run: `(burst - 1) * interval_ns`.
    tolerance_ns: Atomic<u64>,
    /// When the bucket would be full again, in ns since `epoch`.
    arrival_ns: Atomic<u64>,
    epoch: Instant<Monotonic>,
}

impl RateLimit {
    /// A limit of `rate` per second and `burst` (both at least 1).
    pub(crate) fn new(rate: u32, burst: u32) -> Self {
        let this = Self {
            rate: Atomic::new(0),
            burst: Atomic::new(0),
            interval_ns: Atomic::new(0),
            tolerance_ns: Atomic::new(0),
            arrival_ns: Atomic::new(0),
            epoch: Instant::now(),
        };
        this.set(rate, burst);
        this
    }

    /// Changes the limit (process context); the bucket starts full again.
    pub(crate) fn set(&self, rate: u32, burst: u32) {
        let interval = NSEC_PER_SEC / u64::from(rate.max(1));
        let tolerance = interval.saturating_mul(u64::from(burst.max(1)) - 1);
        self.rate.store(rate, Relaxed);
        self.burst.store(burst, Relaxed);
        self.interval_ns.store(interval, Relaxed);
        self.tolerance_ns.store(tolerance, Relaxed);
        self.arrival_ns.store(0, Relaxed);
    }

    /// The configured `(rate, burst)`.
    pub(crate) fn get(&self) -> (u32, u32) {
        (self.rate.load(Relaxed), self.burst.load(Relaxed))
    }

    /// Takes a token if there is one.
    pub(crate) fn allow(&self) -> bool {
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(0);
        let interval = self.interval_ns.load(Relaxed);
        let tolerance = self.tolerance_ns.load(Relaxed);
        let mut arrival = self.arrival_ns.load(Relaxed);
        loop {
            let start = arrival.max(now);
            if start - now > tolerance {
                return false;
            }
            match self
                .arrival_ns
                .cmpxchg(arrival, start.saturating_add(interval), Relaxed)
            {
                Ok(_) => return true,
                Err(current) => arrival = current,
            }
        }
    }
}
