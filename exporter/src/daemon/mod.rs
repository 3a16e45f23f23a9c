//! The `ioam-exporter` daemon: the module's trace events to one IPFIX collector, with
//! Prometheus metrics. Its parts are library modules so that host tests drive the real
//! loop with a synthetic event source and a test clock:
//!
//! - [`config`]: options and the TOML file;
//! - [`source`]: the event source (netlink `BATCH` messages, read by the loop itself;
//!   channels in tests, filled by a reading thread);
//! - [`exporter`]: batching, the IPFIX session, loss accounting;
//! - [`collector`]: the collector's address, UDP and TCP (reconnecting) transports;
//! - [`metrics`], [`http`]: the counters and their endpoint;
//! - [`delay`], [`hop_metrics`]: hop delays and hop counts from the node data;
//! - [`module_stats`]: the module's own counters, read on scrape;
//! - [`kernel_losses`]: the events the kernel did not deliver, from those counters;
//! - [`clock`]: the time the decisions are made by.

pub mod batch;
pub mod clock;
pub mod collector;
pub mod config;
pub mod delay;
pub mod exporter;
pub mod hop_metrics;
pub mod http;
pub mod kernel_losses;
pub mod metrics;
pub mod module_stats;
pub mod source;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use clock::Clock;
use collector::Transport;
use exporter::Exporter;
use ioamctl::trace::TraceEvent;
use source::{Input, ItemRef, SourceError};

/// Depth of the channel between the reading thread and the loop, in reads (each a netlink
/// datagram's events, up to 32 KiB of messages: 2 MiB in all).
pub const INPUT_QUEUE: usize = 64;
/// The longest the loop waits before it looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Where the loop's inputs come from: a channel that a reading thread fills
/// ([`source::spawn_reader`]: the test sources), or a source the loop reads itself
/// ([`source::NetlinkSource`]: no thread between the socket and the loop, so no wake-up of
/// a second thread and no hand-over per datagram).
pub trait Inputs {
    /// The next input, waiting at most `timeout`; `None` when none came.
    fn wait(&self, timeout: Duration) -> Option<Input>;
    /// An input already read and not yet taken, if any (at a stop).
    fn pending(&self) -> Option<Input>;
}

impl Inputs for Receiver<Input> {
    fn wait(&self, timeout: Duration) -> Option<Input> {
        match self.recv_timeout(timeout) {
            Ok(input) => Some(input),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Input::Ended),
        }
    }

    fn pending(&self) -> Option<Input> {
        self.try_recv().ok()
    }
}

/// Runs `exporter` on `inputs` until the source ends or fails, or `stop` is set (a
/// signal); then sends what is pending. Returns the source's error, if it failed.
pub fn run<T: Transport, I: Inputs + ?Sized>(
    exporter: &mut Exporter<T>,
    inputs: &I,
    clock: &dyn Clock,
    stop: &AtomicBool,
) -> Result<(), SourceError> {
    // The event each of a datagram's is decoded into, in turn.
    let mut scratch = TraceEvent::default();
    loop {
        if stop.load(Ordering::SeqCst) {
            // What was read before the signal is still exported.
            while let Some(input @ (Input::Items(_) | Input::Datagram(_))) = inputs.pending() {
                take(exporter, input, clock, &mut scratch);
            }
            exporter.shutdown(clock.now());
            return Ok(());
        }
        let now = clock.now();
        let wait = exporter
            .next_deadline(now)
            .saturating_duration_since(now.monotonic)
            .min(STOP_POLL);
        match inputs.wait(wait) {
            Some(input @ (Input::Items(_) | Input::Datagram(_))) => {
                take(exporter, input, clock, &mut scratch);
            }
            Some(Input::Failed(error)) => {
                exporter.shutdown(clock.now());
                return Err(error);
            }
            Some(Input::Ended) => {
                exporter.shutdown(clock.now());
                return Ok(());
            }
            None => {}
        }
        let now = clock.now();
        if now.monotonic >= exporter.next_deadline(now) {
            exporter.tick(now);
        }
    }
}

/// Hands the items of one read to `exporter`, all at the time they were read (one clock
/// read per read, not per event).
fn take<T: Transport>(
    exporter: &mut Exporter<T>,
    input: Input,
    clock: &dyn Clock,
    scratch: &mut TraceEvent,
) {
    let now = clock.now();
    match input {
        Input::Items(items) => {
            for item in items {
                exporter.on_item(item, now);
            }
        }
        Input::Datagram(datagram) => {
            datagram.for_each_item(scratch, |item| match item {
                ItemRef::Event(event) => exporter.on_event(event, now),
                ItemRef::Malformed(events) => exporter.on_malformed(events),
            });
            // The messages the read filled leave together.
            exporter.transmit(now);
        }
        Input::Failed(_) | Input::Ended => {}
    }
}
