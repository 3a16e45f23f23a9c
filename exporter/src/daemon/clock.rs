//! The time the exporter decides by: monotonic for batching and reconnect timing, wall
//! clock for IPFIX export times and template refresh. Tests pass their own.

use std::time::{Instant, SystemTime};

/// One reading of both clocks.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub monotonic: Instant,
    pub wall: SystemTime,
}

/// Where the daemon loop reads the time.
pub trait Clock {
    fn now(&self) -> Now;
}

/// The system's clocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Now {
        Now {
            monotonic: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}
