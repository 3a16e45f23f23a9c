//! The exporter's decisions, driven by the daemon loop with the time as a parameter:
//! events become encoded records (the library's `records`: no record is built, but for a
//! template the session does not know yet), records wait in a [`Batch`] until a
//! message is full or `flush_interval` has passed, the IPFIX [`Session`] numbers the
//! messages and adds templates, and the [`Transport`] carries them (UDP: the messages of a
//! read in one system call). Every record that is not sent is counted, by reason. Each
//! event's node data also feeds the path metrics ([`HopRecorder`]).
//!
//! The common case takes fast paths, each held by tests to the octets of the general one:
//! a trace of fixed-size fields is written from its node bytes ([`RawTrace`]) straight
//! into the batch, and a batch with no template due is the message as laid out.

use std::time::{Duration, Instant};

use ioamctl::trace::TraceEvent;

use crate::ipfix::session::Session;
use crate::ipfix::template::{EncodedRecords, Template};
use crate::records::{
    decode_event, event_records, is_path_template, Layouts, RawTrace, RecordError,
};

use super::batch::Batch;
use super::clock::Now;
use super::collector::{Link, Transport};
use super::hop_metrics::HopRecorder;
use super::metrics::{EventKind, LossReason, Metrics, RecordKind};
use super::source::SourceItem;

/// The exporter: one IPFIX session to one collector.
pub struct Exporter<T: Transport> {
    session: Session,
    transport: T,
    batch: Batch,
    metrics: Metrics,
    hops: HopRecorder,
    /// Enterprise number of the IOAM elements.
    pen: u32,
    flush_interval: Duration,
    /// When idle work (template refresh, reconnect) is next looked at.
    next_tick: Option<Instant>,
    link: Link,
    /// Overruns seen: the first is logged as a warning, later ones at debug level.
    overruns: u64,
    /// The records of the event being taken, encoded (kept for its capacity).
    encoded: EncodedRecords,
    /// The node layout of the last trace type.
    layouts: Layouts,
    /// Messages encoded and not yet sent ([`Exporter::transmit`]), with the data records
    /// and path records of each.
    queued: Vec<Vec<u8>>,
    queued_counts: Vec<(u64, u64)>,
    /// The outcome of each message sent (kept for its allocation).
    results: Vec<std::io::Result<()>>,
    /// Buffers of messages sent, for the batches to come, at most `max_spare`.
    spare: Vec<Vec<u8>>,
    max_spare: usize,
    /// Whether the fast paths are taken: records written from the node bytes, straight
    /// into the batch, and a batch with no template to send going as it is laid out.
    /// Tests turn them off to compare with the general path.
    fast: bool,
}

/// The most messages that wait for [`Exporter::transmit`].
const MAX_QUEUED: usize = 64;
/// The octets of sent messages' buffers kept for the next batches: enough for the messages
/// of one read of the source at the usual message sizes (a 32 KiB read makes about 40
/// messages of 1,400 octets), so that no batch grows a new buffer by doubling.
const SPARE_OCTETS: usize = 1 << 20;

impl<T: Transport> Exporter<T> {
    pub fn new(
        session: Session,
        transport: T,
        metrics: Metrics,
        pen: u32,
        flush_interval: Duration,
        max_hop_pairs: usize,
    ) -> Exporter<T> {
        let max_message_size = usize::from(session.config().max_message_size);
        let batch = Batch::new(session.config().max_message_size);
        Exporter {
            session,
            transport,
            batch,
            hops: HopRecorder::new(metrics.hops.clone(), max_hop_pairs),
            metrics,
            pen,
            flush_interval,
            next_tick: None,
            link: Link::Down,
            overruns: 0,
            encoded: EncodedRecords::default(),
            layouts: Layouts::default(),
            queued: Vec::new(),
            queued_counts: Vec::new(),
            results: Vec::new(),
            spare: Vec::new(),
            max_spare: (SPARE_OCTETS / max_message_size.max(1)).clamp(1, MAX_QUEUED),
            fast: true,
        }
    }

    /// See [`HopRecorder::set_idle`].
    pub fn set_hop_pair_idle(&mut self, idle: Option<Duration>) {
        self.hops.set_idle(idle);
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
        match item {
            SourceItem::Overrun => {
                self.overruns += 1;
                if self.overruns == 1 {
                    log::warn!("events lost: the netlink receive buffer overran (ENOBUFS); counted in ioam_exporter_events_lost_total{{reason=\"enobufs\"}}");
                } else {
                    log::debug!("events lost: receive buffer overrun {}", self.overruns);
                }
                self.metrics.events_lost(LossReason::Enobufs, 1);
            }
            SourceItem::Malformed(events) => self.on_malformed(events),
            SourceItem::Event(event) => self.on_event(&event, now),
        }
        self.transmit(now);
    }

    /// Counts `events` of a batch that could not be read.
    pub fn on_malformed(&mut self, events: u64) {
        log::debug!("{events} malformed events of a batch skipped");
        self.metrics.events_lost(LossReason::DecodeError, events);
    }

    /// Takes one event. Messages it fills may wait for [`Exporter::transmit`].
    pub fn on_event(&mut self, event: &TraceEvent, now: Now) {
        self.metrics
            .event_received(match (event.dex, event.loopback) {
                (true, _) => EventKind::Dex,
                (_, true) => EventKind::Loopback,
                _ => EventKind::Trace,
            });
        // Encoded straight into a buffer kept across events.
        let mut encoded = std::mem::take(&mut self.encoded);
        encoded.truncate(0);
        // The node entries are read once, for the records and the path metrics: as they
        // are when their fields are of fixed size (the common case), else parsed.
        let raw = if self.fast {
            RawTrace::new(event, self.pen, &mut self.layouts)
        } else {
            None
        };
        let written = if let Some(raw) = raw {
            self.hops.record_raw(event, &raw);
            // Templates known and room for all the event's records: written straight into
            // the batch, as the records one by one would go (no flush between them).
            let hop_template_id = raw.hop_template_id();
            let hops = raw.nodes().len();
            let path_template_id = raw.path_template_id();
            let lens = std::iter::once((path_template_id, raw.path_record_len())).chain(
                std::iter::repeat_n((hop_template_id, raw.hop_record_len()), hops),
            );
            if self.session.knows_template(path_template_id)
                && (hops == 0 || self.session.knows_template(hop_template_id))
                && self.batch.fits_all(lens)
            {
                let at = now.monotonic;
                self.batch
                    .push_with(path_template_id, at, |out| raw.write_path(out));
                for (node, index) in raw.nodes().zip(0u8..) {
                    self.batch.push_with(hop_template_id, at, |out| {
                        raw.write_hop(index, node, out);
                    });
                }
                self.encoded = encoded;
                return;
            }
            raw.write_records(&mut encoded)
        } else {
            let decoded = decode_event(event, self.pen);
            match &decoded {
                Ok(decoded) => self.hops.record_path(
                    event,
                    decoded.namespace(),
                    decoded.trace_type(),
                    decoded.nodes(),
                ),
                Err(_) => self.hops.record(event),
            }
            decoded.and_then(|decoded| decoded.write_records(&mut encoded))
        };
        if let Err(error) = written {
            log::debug!("an event gives no records: {error}");
            self.metrics.events_lost(LossReason::DecodeError, 1);
            self.encoded = encoded;
            return;
        }
        match self.new_templates(event, &encoded) {
            Ok(templates) => {
                for (template_id, record) in encoded.iter() {
                    if self.batch.is_full_for(template_id, record.len()) {
                        self.flush(now);
                    }
                    // A new template goes with each batch of its records until the session
                    // has sent it: a batch that was lost took its templates along.
                    if !self.session.knows_template(template_id)
                        && !self.batch.has_template(template_id)
                    {
                        if let Some(template) = templates.iter().find(|t| t.id() == template_id) {
                            self.batch.add_template(template.clone());
                        }
                    }
                    self.batch.push(template_id, record, now.monotonic);
                }
            }
            Err(error) => {
                log::error!("cannot encode the records of an event: {error}");
                self.lost(&encoded, LossReason::EncodeError);
            }
        }
        self.encoded = encoded;
    }

    /// The templates of `records` (those of `event`) that the session does not know:
    /// built from the event's records, only when there are any. The session learns
    /// templates and never forgets them, so these cover every record of the event.
    fn new_templates(
        &self,
        event: &TraceEvent,
        records: &EncodedRecords,
    ) -> Result<Vec<Template>, RecordError> {
        let is_new = |template_id| !self.session.knows_template(template_id);
        if !records.template_ids().any(is_new) {
            return Ok(Vec::new());
        }
        let built = event_records(event, self.pen)?;
        let mut templates: Vec<Template> = Vec::new();
        for record in std::iter::once(&built.path).chain(&built.hops) {
            let id = record.template_id;
            if is_new(id) && !templates.iter().any(|template| template.id() == id) {
                templates.push(record.template()?);
            }
        }
        Ok(templates)
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
            self.hops.expire(now.monotonic);
            if self.poll_link(now) {
                self.send(now, &[], &EncodedRecords::default());
            }
        }
        self.transmit(now);
    }

    /// Sends what is pending (the end of the program).
    pub fn shutdown(&mut self, now: Now) {
        self.flush(now);
        self.transmit(now);
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
        if self.batch.is_empty() {
            self.batch.clear();
            return;
        }
        if !self.poll_link(now) {
            let (all, paths) = count_paths(self.batch.template_ids());
            self.batch.clear();
            self.metrics
                .records_lost(LossReason::CollectorUnreachable, all);
            self.metrics
                .events_lost(LossReason::CollectorUnreachable, paths);
            return;
        }
        // The common case: no template to send, and the batch is the message.
        if self.fast && !self.batch.has_templates() && self.batch.fits() {
            let data_records = u32::try_from(self.batch.len()).unwrap_or(u32::MAX);
            if let Some(header) = self.session.data_message_header(now.wall, data_records) {
                self.queued_counts
                    .push(count_paths(self.batch.template_ids()));
                let buffer = self.spare.pop().unwrap_or_else(|| {
                    Vec::with_capacity(usize::from(self.session.config().max_message_size))
                });
                let message = self.batch.take_message(header, buffer);
                self.queued.push(message);
                if !self.transport.defers_sends() || self.queued.len() >= MAX_QUEUED {
                    self.transmit(now);
                }
                return;
            }
        }
        let (templates, records) = self.batch.take();
        self.send(now, &templates, &records);
    }

    /// Lays `records` (whose templates the session does not know are `templates`) into
    /// messages with the templates due, and sends each, counting the data records of each
    /// as exported or lost.
    fn send(&mut self, now: Now, templates: &[Template], records: &EncodedRecords) {
        let first = self.session.sequence_number();
        let messages = match self.session.encode_encoded(now.wall, templates, records) {
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
            let start = offset;
            offset = offset.saturating_add(count);
            self.queued_counts
                .push(count_paths(records.template_ids().skip(start).take(count)));
        }
        self.queued.extend(messages);
        if !self.transport.defers_sends() || self.queued.len() >= MAX_QUEUED {
            self.transmit(now);
        }
    }

    /// Sends the messages queued (a transport that [`Transport::defers_sends`] gets them
    /// all at once: one system call for the messages of a read), counting the data
    /// records of each as exported or lost. Called at the end of each read of the source
    /// and of each call that sends ([`Exporter::on_item`], [`Exporter::tick`],
    /// [`Exporter::shutdown`]).
    pub fn transmit(&mut self, now: Now) {
        if self.queued.is_empty() {
            self.metrics
                .collector_up
                .set(i64::from(self.transport.is_up()));
            return;
        }
        let mut results = std::mem::take(&mut self.results);
        self.transport
            .send_all(&self.queued, now.monotonic, &mut results);
        for (result, &(all, paths)) in results.iter().zip(&self.queued_counts) {
            match result {
                Ok(()) => {
                    self.metrics.messages_sent.inc();
                    self.metrics.records_exported(RecordKind::Path, paths);
                    self.metrics.records_exported(RecordKind::Hop, all - paths);
                }
                Err(error) => {
                    if error.kind() != std::io::ErrorKind::NotConnected {
                        self.metrics.send_errors.inc();
                    }
                    self.metrics
                        .records_lost(LossReason::CollectorUnreachable, all);
                    self.metrics
                        .events_lost(LossReason::CollectorUnreachable, paths);
                }
            }
        }
        results.clear();
        self.results = results;
        // Sent messages' buffers take the next batches (enough for a read's messages).
        for mut message in self.queued.drain(..) {
            if self.spare.len() < self.max_spare {
                message.clear();
                self.spare.push(message);
            }
        }
        self.queued_counts.clear();
        self.metrics
            .collector_up
            .set(i64::from(self.transport.is_up()));
    }

    /// Counts lost records, and as lost events those whose path record is among them
    /// (an event has exactly one).
    fn lost(&self, records: &EncodedRecords, reason: LossReason) {
        self.lost_of(records.template_ids(), reason);
    }

    /// [`Exporter::lost`] of the records of these template ids.
    fn lost_of(&self, template_ids: impl Iterator<Item = u16>, reason: LossReason) {
        let (all, paths) = count_paths(template_ids);
        self.metrics.records_lost(reason, all);
        self.metrics.events_lost(reason, paths);
    }
}

/// Records of these template ids, and path records among them.
fn count_paths(template_ids: impl Iterator<Item = u16>) -> (u64, u64) {
    template_ids.fold((0, 0), |(all, paths), template_id| {
        (all + 1, paths + u64::from(is_path_template(template_id)))
    })
}

/// The sequence number in a message's header.
fn sequence_number(message: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = message.get(8..12)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipfix::session::SessionConfig;
    use std::io;
    use std::time::SystemTime;

    /// A transport that keeps what it is given; the link is what the test says.
    #[derive(Default)]
    struct Recorder {
        sent: Vec<Vec<u8>>,
        down: bool,
        /// The next poll starts a new session.
        new_session: bool,
        fail_sends: bool,
    }

    impl Transport for Recorder {
        fn poll_link(&mut self, _now: Instant) -> Link {
            if self.down {
                Link::Down
            } else if std::mem::take(&mut self.new_session) {
                Link::NewSession
            } else {
                Link::Up
            }
        }

        fn send(&mut self, message: &[u8], _now: Instant) -> io::Result<()> {
            if self.down {
                return Err(io::ErrorKind::NotConnected.into());
            }
            if self.fail_sends {
                return Err(io::ErrorKind::ConnectionRefused.into());
            }
            self.sent.push(message.to_vec());
            Ok(())
        }

        fn is_up(&self) -> bool {
            !self.down
        }
    }

    /// A trace of `hops` nodes with only hop limit and node id (4 octets a node).
    fn event(hops: u8) -> SourceItem {
        SourceItem::Event(TraceEvent {
            namespace: Some(1),
            nodelen: Some(1),
            trace_type: Some(0x8000_0000),
            data: Some((0..hops).flat_map(|n| [64 - n, 0, 0, n]).collect()),
            ..TraceEvent::default()
        })
    }

    struct Clock {
        start: Instant,
    }

    impl Clock {
        fn at(&self, ms: u64) -> Now {
            Now {
                monotonic: self.start + Duration::from_millis(ms),
                wall: SystemTime::UNIX_EPOCH
                    + Duration::from_secs(1_800_000_000)
                    + Duration::from_millis(ms),
            }
        }
    }

    fn exporter(config: SessionConfig, transport: Recorder) -> (Exporter<Recorder>, Clock) {
        let session = Session::new(config).unwrap();
        let (metrics, _) = Metrics::new();
        (
            Exporter::new(
                session,
                transport,
                metrics,
                32473,
                Duration::from_millis(100),
                crate::daemon::hop_metrics::DEFAULT_MAX_HOP_PAIRS,
            ),
            Clock {
                start: Instant::now(),
            },
        )
    }

    fn u16_at(message: &[u8], offset: usize) -> u16 {
        u16::from_be_bytes([message[offset], message[offset + 1]])
    }

    /// Set ids of a message, in order.
    fn set_ids(message: &[u8]) -> Vec<u16> {
        let mut ids = Vec::new();
        let mut offset = 16;
        while offset < message.len() {
            ids.push(u16_at(message, offset));
            offset += usize::from(u16_at(message, offset + 2));
        }
        ids
    }

    #[test]
    fn records_wait_for_the_flush_deadline() {
        let (mut exporter, clock) = exporter(SessionConfig::udp(1), Recorder::default());
        exporter.tick(clock.at(0));
        exporter.on_item(event(2), clock.at(10));
        assert_eq!(
            exporter.next_deadline(clock.at(10)),
            clock.at(100).monotonic
        );
        exporter.tick(clock.at(100));
        assert!(exporter.transport().sent.is_empty(), "not before 100 ms");
        exporter.tick(clock.at(110));
        let sent = &exporter.transport().sent;
        assert_eq!(sent.len(), 1);
        assert_eq!(set_ids(&sent[0]), [2, 256, 258]);
        let metrics = exporter.metrics();
        assert_eq!(metrics.records_exported_count(RecordKind::Path), 1);
        assert_eq!(metrics.records_exported_count(RecordKind::Hop), 2);
        assert_eq!(metrics.messages_sent.get(), 1);
    }

    #[test]
    fn a_busy_exporter_sends_full_messages_before_the_deadline() {
        let (mut exporter, clock) = exporter(SessionConfig::udp(1), Recorder::default());
        for _ in 0..200 {
            exporter.on_item(event(4), clock.at(0));
        }
        let sent = exporter.transport().sent.clone();
        assert!(sent.len() >= 5, "{} messages", sent.len());
        assert!(sent.iter().all(|message| message.len() <= 1400));
        // Messages are full (to within a record: a path record of 4 hops takes 71 octets,
        // a set header 4) but for one: the batch that went out with the templates spills
        // over into a short message.
        let short = sent
            .iter()
            .filter(|message| message.len() < 1400 - 75)
            .count();
        assert_eq!(
            short,
            1,
            "{:?}",
            sent.iter().map(Vec::len).collect::<Vec<_>>()
        );
        exporter.shutdown(clock.at(1));
        let metrics = exporter.metrics();
        assert_eq!(metrics.records_exported_count(RecordKind::Path), 200);
        assert_eq!(metrics.records_exported_count(RecordKind::Hop), 800);
        // Sequence numbers count the data records before each message.
        let last = exporter.transport().sent.last().cloned().unwrap();
        assert!(sequence_number(&last).unwrap() < 1000);
        assert_eq!(exporter.session.sequence_number(), 1000);
    }

    #[test]
    fn records_after_a_lost_batch_still_carry_their_templates() {
        // However many events the lost batches held, one of them split in the middle of
        // an event's records: the rest of that event goes out with its templates.
        for events in 1..40 {
            let recorder = Recorder {
                down: true,
                ..Recorder::default()
            };
            let (mut exporter, clock) = exporter(SessionConfig::udp(1), recorder);
            for _ in 0..events {
                exporter.on_item(event(4), clock.at(0));
            }
            exporter.transport.down = false;
            exporter.tick(clock.at(200));
            let sent = &exporter.transport().sent;
            // The batch may spill over into a second message, after the templates.
            let sets: Vec<u16> = sent.iter().flat_map(|message| set_ids(message)).collect();
            assert_eq!(sets[0], 2, "templates first");
            for data_set in sets.iter().filter(|id| **id >= 256) {
                assert!(
                    exporter.session.knows_template(*data_set),
                    "{events} events, {sets:?}: no template {data_set} was sent"
                );
            }
        }
    }

    #[test]
    fn udp_templates_are_refreshed_when_idle() {
        let (mut exporter, clock) = exporter(SessionConfig::udp(1), Recorder::default());
        exporter.on_item(event(1), clock.at(0));
        exporter.tick(clock.at(100));
        assert_eq!(exporter.transport().sent.len(), 1);
        exporter.tick(clock.at(30_000));
        assert_eq!(exporter.transport().sent.len(), 1, "not due yet");
        exporter.tick(clock.at(60_100));
        let sent = &exporter.transport().sent;
        assert_eq!(sent.len(), 2);
        assert_eq!(set_ids(&sent[1]), [2], "templates alone");
    }

    #[test]
    fn records_of_an_unreachable_collector_are_counted_lost() {
        let recorder = Recorder {
            new_session: true,
            ..Recorder::default()
        };
        let (mut exporter, clock) = exporter(SessionConfig::tcp(1), recorder);
        exporter.on_item(event(1), clock.at(0));
        exporter.tick(clock.at(100));
        assert_eq!(set_ids(&exporter.transport().sent[0]), [2, 256, 258]);

        exporter.transport.down = true;
        exporter.on_item(event(3), clock.at(200));
        exporter.on_item(event(3), clock.at(201));
        exporter.tick(clock.at(300));
        let metrics = exporter.metrics().clone();
        assert_eq!(
            metrics.records_lost_count(LossReason::CollectorUnreachable),
            8
        );
        assert_eq!(
            metrics.events_lost_count(LossReason::CollectorUnreachable),
            2
        );
        assert_eq!(metrics.collector_up.get(), 0);

        // The collector is back: a new session, templates at once, numbering from 0.
        exporter.transport.down = false;
        exporter.transport.new_session = true;
        exporter.tick(clock.at(400));
        exporter.on_item(event(1), clock.at(400));
        exporter.tick(clock.at(500));
        let sent = &exporter.transport().sent;
        assert_eq!(sent.len(), 3);
        assert_eq!(
            set_ids(&sent[1]),
            [2],
            "templates go out on the new session"
        );
        assert_eq!(sequence_number(&sent[1]), Some(0));
        assert_eq!(set_ids(&sent[2]), [256, 258]);
        assert_eq!(sequence_number(&sent[2]), Some(0));
        assert_eq!(metrics.collector_connects.get(), 2);
        assert_eq!(metrics.collector_up.get(), 1);
        assert_eq!(metrics.records_exported_count(RecordKind::Path), 2);
    }

    #[test]
    fn send_errors_lose_the_records_of_their_message() {
        let recorder = Recorder {
            fail_sends: true,
            ..Recorder::default()
        };
        let (mut exporter, clock) = exporter(SessionConfig::udp(1), recorder);
        exporter.on_item(event(2), clock.at(0));
        exporter.shutdown(clock.at(1));
        let metrics = exporter.metrics();
        assert_eq!(metrics.send_errors.get(), 1);
        assert_eq!(
            metrics.records_lost_count(LossReason::CollectorUnreachable),
            3
        );
        assert_eq!(
            metrics.events_lost_count(LossReason::CollectorUnreachable),
            1
        );
        assert_eq!(metrics.records_exported_count(RecordKind::Hop), 0);
    }

    #[test]
    fn overruns_and_undecodable_events_are_counted() {
        let (mut exporter, clock) = exporter(SessionConfig::udp(1), Recorder::default());
        exporter.on_item(SourceItem::Overrun, clock.at(0));
        exporter.on_item(SourceItem::Overrun, clock.at(0));
        exporter.on_item(
            SourceItem::Event(TraceEvent {
                dex: true,
                ..TraceEvent::default()
            }),
            clock.at(0),
        );
        exporter.on_item(SourceItem::Malformed(3), clock.at(0));
        let metrics = exporter.metrics();
        assert_eq!(metrics.events_lost_count(LossReason::Enobufs), 2);
        assert_eq!(metrics.events_lost_count(LossReason::DecodeError), 4);
        assert_eq!(metrics.events_received_count(EventKind::Dex), 1);
        assert_eq!(metrics.events_received_count(EventKind::Trace), 0);
    }

    /// A trace of `hops` nodes of trace type `trace_type` (24 bits), values from `seed`.
    fn typed_event(trace_type: u32, hops: usize, seed: u32) -> TraceEvent {
        let size = ioam_wire::trace::node_len(trace_type) as usize * 4;
        TraceEvent {
            namespace: Some(1 + (seed % 3) as u16),
            nodelen: u8::try_from(size / 4).ok(),
            trace_type: Some(trace_type << 8),
            flags: (seed % 5 == 0).then_some(2),
            data: Some(
                (0..hops * size)
                    .map(|n| (seed as usize * 7 + n * 13) as u8)
                    .collect(),
            ),
            ..TraceEvent::default()
        }
    }

    /// The fast paths (records from the node bytes, straight into the batch, sent as
    /// laid out) give the octets of the general path (records parsed, encoded, copied
    /// into the batch, and laid into messages by the session): the same messages,
    /// numbered alike, with templates new, refreshed and after a reconnect, over UDP and
    /// TCP.
    #[test]
    fn batches_as_laid_out_are_the_sessions_messages() {
        for config in [SessionConfig::udp(5), SessionConfig::tcp(5)] {
            let run = |fast: bool| {
                let recorder = Recorder {
                    new_session: true,
                    ..Recorder::default()
                };
                let (mut exporter, clock) = exporter(config, recorder);
                exporter.fast = fast;
                let types = [0x80_0000, 0xb0_0000, 0xffc000, 0x8c_0000];
                let mut ms = 0;
                for n in 0..3000u32 {
                    let trace_type = types[(n / 400) as usize % types.len()];
                    let event = typed_event(trace_type, (n % 7) as usize, n);
                    exporter.on_item(SourceItem::Event(event), clock.at(ms));
                    if n % 250 == 0 {
                        ms += 7_000;
                        exporter.tick(clock.at(ms));
                    }
                    if n == 1500 {
                        exporter.transport.new_session = true;
                        exporter.tick(clock.at(ms));
                    }
                }
                exporter.shutdown(clock.at(ms + 1));
                let metrics = exporter.metrics().clone();
                let counts = (
                    metrics.messages_sent.get(),
                    metrics.records_exported_count(RecordKind::Path),
                    metrics.records_exported_count(RecordKind::Hop),
                );
                (exporter.transport.sent, counts)
            };
            let (laid_out, counts) = run(true);
            let (encoded, expected) = run(false);
            assert!(laid_out.len() > 10, "{}", laid_out.len());
            assert_eq!(counts, expected);
            assert_eq!(laid_out, encoded);
        }
    }
}
