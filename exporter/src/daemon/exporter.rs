//! The exporter's decisions, driven by the daemon loop with the time as a parameter:
//! events become records (the library's `records`), records wait in a [`Batch`] until a
//! message is full or `flush_interval` has passed, the IPFIX [`Session`] numbers the
//! messages and adds templates, and the [`Transport`] carries them. Every record that is
//! not sent is counted, by reason.

use std::time::{Duration, Instant};

use crate::ipfix::session::Session;
use crate::ipfix::template::Record;
use crate::records::{event_records, PATH_TEMPLATE_ID};

use super::batch::Batch;
use super::clock::Now;
use super::collector::{Link, Transport};
use super::metrics::{EventKind, LossReason, Metrics, RecordKind};
use super::source::SourceItem;

/// The exporter: one IPFIX session to one collector.
pub struct Exporter<T: Transport> {
    session: Session,
    transport: T,
    batch: Batch,
    metrics: Metrics,
    /// Enterprise number of the IOAM elements.
    pen: u32,
    flush_interval: Duration,
    /// When idle work (template refresh, reconnect) is next looked at.
    next_tick: Option<Instant>,
    link: Link,
    /// Overruns seen: the first is logged as a warning, later ones at debug level.
    overruns: u64,
}

impl<T: Transport> Exporter<T> {
    pub fn new(
        session: Session,
        transport: T,
        metrics: Metrics,
        pen: u32,
        flush_interval: Duration,
    ) -> Exporter<T> {
        let batch = Batch::new(session.config().max_message_size);
        Exporter {
            session,
            transport,
            batch,
            metrics,
            pen,
            flush_interval,
            next_tick: None,
            link: Link::Down,
            overruns: 0,
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The transport (tests look at what was sent).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Takes one item of the source.
    pub fn on_item(&mut self, item: SourceItem, now: Now) {
        let event = match item {
            SourceItem::Overrun => {
                self.overruns += 1;
                if self.overruns == 1 {
                    log::warn!("events lost: the netlink receive buffer overran (ENOBUFS); counted in ioam_exporter_events_lost_total{{reason=\"enobufs\"}}");
                } else {
                    log::debug!("events lost: receive buffer overrun {}", self.overruns);
                }
                self.metrics.events_lost(LossReason::Enobufs, 1);
                return;
            }
            SourceItem::Event(event) => event,
        };
        self.metrics
            .event_received(match (event.dex, event.loopback) {
                (true, _) => EventKind::Dex,
                (_, true) => EventKind::Loopback,
                _ => EventKind::Trace,
            });
        let records = match event_records(&event, self.pen) {
            Ok(records) => records.into_records(),
            Err(error) => {
                log::debug!("an event gives no records: {error}");
                self.metrics.events_lost(LossReason::DecodeError, 1);
                return;
            }
        };
        for record in records {
            if self.batch.is_full_for(&record) {
                self.flush(now);
            }
            self.batch.push(record, now.monotonic);
        }
    }

    /// When [`Exporter::tick`] is next due.
    pub fn next_deadline(&self, now: Now) -> Instant {
        let tick = self.next_tick.unwrap_or(now.monotonic);
        match self.batch.deadline(self.flush_interval) {
            Some(flush) => flush.min(tick),
            None => tick,
        }
    }

    /// The timed work: sends the batch when its deadline has passed, reconnects a lost
    /// TCP collector when due, and sends templates that are due (UDP refresh, a new TCP
    /// session) even with no records.
    pub fn tick(&mut self, now: Now) {
        if self
            .batch
            .deadline(self.flush_interval)
            .is_some_and(|deadline| now.monotonic >= deadline)
        {
            self.flush(now);
        }
        if self.next_tick.is_none_or(|at| now.monotonic >= at) {
            self.next_tick = Some(now.monotonic + self.flush_interval);
            if self.poll_link(now) {
                self.send(now, &[]);
            }
        }
    }

    /// Sends what is pending (the end of the program).
    pub fn shutdown(&mut self, now: Now) {
        self.flush(now);
    }

    /// Whether messages can be sent; a new session restarts numbering and templates.
    fn poll_link(&mut self, now: Now) -> bool {
        let link = self.transport.poll_link(now.monotonic);
        if link == Link::NewSession {
            self.session.restart();
            self.metrics.collector_connects.inc();
        }
        self.metrics.collector_up.set(i64::from(link != Link::Down));
        self.link = link;
        link != Link::Down
    }

    /// Sends the pending records.
    fn flush(&mut self, now: Now) {
        let records = self.batch.take();
        if records.is_empty() {
            return;
        }
        if !self.poll_link(now) {
            self.lost(&records, LossReason::CollectorUnreachable);
            return;
        }
        self.send(now, &records);
    }

    /// Encodes `records` (with the templates due) and sends each message, counting the
    /// data records of each as exported or lost.
    fn send(&mut self, now: Now, records: &[Record]) {
        let first = self.session.sequence_number();
        let messages = match self.session.encode(now.wall, records) {
            Ok(messages) => messages,
            Err(error) => {
                log::error!("cannot encode {} records: {error}", records.len());
                self.lost(records, LossReason::EncodeError);
                return;
            }
        };
        let end = self.session.sequence_number();
        let mut offset = 0usize;
        for (index, message) in messages.iter().enumerate() {
            // Records go into messages in order; a message's count is the difference of
            // its sequence number and the next one's.
            let this = sequence_number(message).unwrap_or(first);
            let next = messages
                .get(index + 1)
                .and_then(|m| sequence_number(m))
                .unwrap_or(end);
            let count = usize::try_from(next.wrapping_sub(this)).unwrap_or(usize::MAX);
            let carried = records.get(offset..).unwrap_or_default();
            let carried = carried.get(..count).unwrap_or(carried);
            offset = offset.saturating_add(count);
            match self.transport.send(message, now.monotonic) {
                Ok(()) => {
                    self.metrics.messages_sent.inc();
                    self.counted(carried, |metrics, kind, n| {
                        metrics.records_exported(kind, n)
                    });
                }
                Err(error) => {
                    if error.kind() != std::io::ErrorKind::NotConnected {
                        self.metrics.send_errors.inc();
                    }
                    self.lost(carried, LossReason::CollectorUnreachable);
                }
            }
        }
    }

    /// Counts lost records, and as lost events those whose path record is among them
    /// (an event has exactly one).
    fn lost(&self, records: &[Record], reason: LossReason) {
        let metrics = &self.metrics;
        metrics.records_lost(reason, records.len() as u64);
        let paths = records
            .iter()
            .filter(|r| r.template_id == PATH_TEMPLATE_ID)
            .count();
        metrics.events_lost(reason, paths as u64);
    }

    fn counted(&self, records: &[Record], count: impl Fn(&Metrics, RecordKind, u64)) {
        let paths = records
            .iter()
            .filter(|r| r.template_id == PATH_TEMPLATE_ID)
            .count() as u64;
        count(&self.metrics, RecordKind::Path, paths);
        count(&self.metrics, RecordKind::Hop, records.len() as u64 - paths);
    }
}

/// The sequence number in a message's header.
fn sequence_number(message: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = message.get(8..12)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}
