//! One exporting session for one observation domain: message numbering, splitting records
//! across messages of a maximum size, and when templates go out (RFC 7011 §8).
//!
//! Sequence numbers count the data records sent before a message, modulo 2^32, per
//! transport session and observation domain (§3.1): a session exporting several domains
//! keeps one [`Session`] each. Time is a parameter, so that a caller decides what "now"
//! is and tests are deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use super::message::{MessageBuilder, MessageHeader, MESSAGE_HEADER_LEN, SET_HEADER_LEN};
use super::template::{EncodedRecords, Record, Template, TEMPLATE_SET_ID};
use super::EncodeError;

/// Default largest UDP message: fits a 1,500-octet MTU with IPv6 and UDP headers.
pub const UDP_MAX_MESSAGE_SIZE: u16 = 1400;
/// Largest message over TCP: the header's length field.
pub const TCP_MAX_MESSAGE_SIZE: u16 = u16::MAX;
/// Default template refresh over UDP (RFC 7011 §8.4 leaves it configurable; 60 s is the
/// common choice and what collectors expect).
pub const UDP_TEMPLATE_REFRESH: Duration = Duration::from_secs(60);

/// How the messages travel, which decides when templates are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Templates at the start and again every `template_refresh`, since a collector may
    /// have missed them or restarted.
    Udp { template_refresh: Duration },
    /// Templates once per connection.
    Tcp,
}

/// The settings of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    pub observation_domain_id: u32,
    pub transport: Transport,
    /// Largest message, header included.
    pub max_message_size: u16,
}

impl SessionConfig {
    /// UDP with the default message size and template refresh.
    pub const fn udp(observation_domain_id: u32) -> Self {
        Self {
            observation_domain_id,
            transport: Transport::Udp {
                template_refresh: UDP_TEMPLATE_REFRESH,
            },
            max_message_size: UDP_MAX_MESSAGE_SIZE,
        }
    }

    /// TCP, messages up to 65,535 octets.
    pub const fn tcp(observation_domain_id: u32) -> Self {
        Self {
            observation_domain_id,
            transport: Transport::Tcp,
            max_message_size: TCP_MAX_MESSAGE_SIZE,
        }
    }
}

/// The state of one session.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    sequence_number: u32,
    /// Every template used in this session.
    templates: BTreeMap<u16, Template>,
    /// The ids of `templates`, one bit each: [`Session::knows_template`] is asked for
    /// every record.
    known: Box<[u64; 1024]>,
    /// Templates sent since the last (re)start.
    announced: BTreeSet<u16>,
    /// When all templates were last sent (UDP refresh).
    last_refresh: Option<SystemTime>,
}

impl Session {
    pub fn new(config: SessionConfig) -> Result<Self, EncodeError> {
        // Room for the header, a set header and a minimal record.
        if usize::from(config.max_message_size) < MESSAGE_HEADER_LEN + SET_HEADER_LEN + 4 {
            return Err(EncodeError::MessageSizeTooSmall(config.max_message_size));
        }
        Ok(Self {
            config,
            sequence_number: 0,
            templates: BTreeMap::new(),
            known: Box::new([0; 1024]),
            announced: BTreeSet::new(),
            last_refresh: None,
        })
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The sequence number the next message will carry.
    pub fn sequence_number(&self) -> u32 {
        self.sequence_number
    }

    /// A new transport session (a TCP reconnect): numbering starts again at 0 and every
    /// template is sent again before its records.
    pub fn restart(&mut self) {
        self.sequence_number = 0;
        self.announced.clear();
        self.last_refresh = None;
    }

    /// The messages that carry `records` at time `now`, in order, preceded by the templates
    /// that are due: the records' templates not yet sent in this session, and over UDP all
    /// templates when the session starts or the refresh interval has passed (also when
    /// `records` is empty: call this periodically). On error nothing changes.
    pub fn encode(
        &mut self,
        now: SystemTime,
        records: &[Record],
    ) -> Result<Vec<Vec<u8>>, EncodeError> {
        let export_time = export_time(now)?;

        let learned = self.learn_templates(records)?;
        self.build_or_forget(now, export_time, records.iter(), learned)
    }

    /// Whether records of template `template_id` have been encoded in this session (its
    /// template is known).
    pub fn knows_template(&self, template_id: u16) -> bool {
        let (word, bit) = known_bit(template_id);
        self.known[word] & bit != 0
    }

    /// The header of a message of `data_records` data records of known templates and
    /// nothing else, when [`Session::encode_encoded`] would make just that of them (no
    /// template is due, the export time can be written) and they fit in one message (the
    /// caller's to know): the message is then counted as sent in this session. `None`
    /// when templates are due: encode the records.
    pub fn data_message_header(
        &mut self,
        now: SystemTime,
        data_records: u32,
    ) -> Option<MessageHeader> {
        if self.templates_due(now) || self.templates.keys().any(|id| !self.announced.contains(id)) {
            return None;
        }
        let header = MessageHeader {
            export_time: export_time(now).ok()?,
            sequence_number: self.sequence_number,
            observation_domain_id: self.config.observation_domain_id,
        };
        self.sequence_number = self.sequence_number.wrapping_add(data_records);
        Some(header)
    }

    /// Whether all templates are due again (UDP refresh).
    fn templates_due(&self, now: SystemTime) -> bool {
        match self.config.transport {
            Transport::Udp { template_refresh } => self.last_refresh.is_none_or(|last| {
                // A clock that went back counts as due.
                now.duration_since(last)
                    .map_or(true, |since| since >= template_refresh)
            }),
            Transport::Tcp => false,
        }
    }

    /// [`Session::encode`] of records already encoded: `templates` are those of their
    /// template ids that the session does not know yet (see
    /// [`Session::knows_template`]), the others' records must match the known templates.
    pub fn encode_encoded(
        &mut self,
        now: SystemTime,
        templates: &[Template],
        records: &EncodedRecords,
    ) -> Result<Vec<Vec<u8>>, EncodeError> {
        let export_time = export_time(now)?;
        // Octets cannot be checked against a template: their template must be known.
        let mut previous = None;
        for template_id in records.template_ids() {
            if previous != Some(template_id) {
                let given = templates.iter().any(|t| t.id() == template_id);
                if !given && !self.knows_template(template_id) {
                    return Err(EncodeError::UnknownTemplate(template_id));
                }
                previous = Some(template_id);
            }
        }
        let mut learned = Vec::with_capacity(templates.len());
        for template in templates {
            match self.templates.get(&template.id()) {
                Some(known) if known == template => {}
                Some(_) => {
                    self.forget_templates(learned);
                    return Err(EncodeError::TemplateConflict(template.id()));
                }
                None => {
                    self.insert_template(template.clone());
                    learned.push(template.id());
                }
            }
        }
        self.build_or_forget(now, export_time, records.iter(), learned)
    }

    /// [`Session::build_messages`]; on error the templates `learned` for these records are
    /// forgotten again, so that nothing changes.
    fn build_or_forget(
        &mut self,
        now: SystemTime,
        export_time: u32,
        records: impl Iterator<Item = impl DataRecord>,
        learned: Vec<u16>,
    ) -> Result<Vec<Vec<u8>>, EncodeError> {
        let built = self.build_messages(now, export_time, records);
        if built.is_err() {
            self.forget_templates(learned);
        }
        built
    }

    fn forget_templates(&mut self, ids: Vec<u16>) {
        for id in ids {
            self.remove_template(id);
        }
    }

    fn insert_template(&mut self, template: Template) {
        let (word, bit) = known_bit(template.id());
        self.known[word] |= bit;
        self.templates.insert(template.id(), template);
    }

    fn remove_template(&mut self, id: u16) {
        let (word, bit) = known_bit(id);
        self.known[word] &= !bit;
        self.templates.remove(&id);
    }

    /// Adds the templates of `records` not yet known, and returns their ids; a record
    /// whose id is known must match its template. Only new ids build a template: the
    /// others are compared field by field. On error nothing is added.
    fn learn_templates(&mut self, records: &[Record]) -> Result<Vec<u16>, EncodeError> {
        let mut learned = Vec::new();
        let mut checked = Ok(());
        for record in records {
            checked = match self.templates.get(&record.template_id) {
                Some(known) if known.describes(record) => Ok(()),
                // A record that makes no valid template fails as such, else as a conflict.
                Some(_) => record
                    .template()
                    .and(Err(EncodeError::TemplateConflict(record.template_id))),
                None => record.template().map(|template| {
                    self.insert_template(template);
                    learned.push(record.template_id);
                }),
            };
            if checked.is_err() {
                break;
            }
        }
        match checked {
            Ok(()) => Ok(learned),
            Err(error) => {
                for id in learned {
                    self.remove_template(id);
                }
                Err(error)
            }
        }
    }

    /// The messages of [`Session::encode`], with every template of `records` known. The
    /// session's numbering and announcements change only on success.
    fn build_messages(
        &mut self,
        now: SystemTime,
        export_time: u32,
        records: impl Iterator<Item = impl DataRecord>,
    ) -> Result<Vec<Vec<u8>>, EncodeError> {
        let refresh = self.templates_due(now);
        let mut template_records = Vec::new();
        for (id, template) in &self.templates {
            if refresh || !self.announced.contains(id) {
                template_records.push((*id, template.encode()?));
            }
        }

        let max = usize::from(self.config.max_message_size);
        let observation_domain_id = self.config.observation_domain_id;
        let new_message = |sequence_number| {
            MessageBuilder::with_capacity(
                MessageHeader {
                    export_time,
                    sequence_number,
                    observation_domain_id,
                },
                max,
            )
        };
        let too_large = |template_id, size| EncodeError::RecordTooLarge {
            template_id,
            size,
            max: self.config.max_message_size,
        };
        let mut sequence_number = self.sequence_number;
        let mut messages = Vec::new();
        let mut message = new_message(sequence_number);
        // Closes the message when `len` octets more in set `set_id` would not fit.
        let mut make_room =
            |message: &mut MessageBuilder, set_id: u16, len: usize| -> Result<(), EncodeError> {
                if message.len_with(set_id, len) > max {
                    sequence_number = sequence_number.wrapping_add(message.data_records());
                    let full = std::mem::replace(message, new_message(sequence_number));
                    messages.push(full.finish()?);
                }
                Ok(())
            };
        for (id, bytes) in &template_records {
            let alone = MESSAGE_HEADER_LEN + SET_HEADER_LEN + bytes.len();
            if alone > max {
                return Err(too_large(*id, alone));
            }
            make_room(&mut message, TEMPLATE_SET_ID, bytes.len())?;
            message.push(TEMPLATE_SET_ID, bytes)?;
        }
        for record in records {
            let len = record.encoded_len();
            let alone = MESSAGE_HEADER_LEN + SET_HEADER_LEN + len;
            if alone > max {
                return Err(too_large(record.template_id(), alone));
            }
            make_room(&mut message, record.template_id(), len)?;
            record.push_to(&mut message)?;
        }
        if !message.is_empty() {
            sequence_number = sequence_number.wrapping_add(message.data_records());
            messages.push(message.finish()?);
        }

        self.sequence_number = sequence_number;
        self.announced
            .extend(template_records.iter().map(|(id, _)| *id));
        if refresh {
            self.last_refresh = Some(now);
        }
        Ok(messages)
    }
}

/// The word and bit of template id `id` in [`Session`]'s `known`.
fn known_bit(id: u16) -> (usize, u64) {
    (usize::from(id >> 6), 1 << (id & 63))
}

/// A data record as a session lays it into messages: built, or already encoded.
trait DataRecord {
    fn template_id(&self) -> u16;
    fn encoded_len(&self) -> usize;
    fn push_to(&self, message: &mut MessageBuilder) -> Result<(), EncodeError>;
}

impl DataRecord for &Record {
    fn template_id(&self) -> u16 {
        self.template_id
    }

    fn encoded_len(&self) -> usize {
        Record::encoded_len(self)
    }

    fn push_to(&self, message: &mut MessageBuilder) -> Result<(), EncodeError> {
        message.push_record(self)
    }
}

impl DataRecord for (u16, &[u8]) {
    fn template_id(&self) -> u16 {
        self.0
    }

    fn encoded_len(&self) -> usize {
        self.1.len()
    }

    fn push_to(&self, message: &mut MessageBuilder) -> Result<(), EncodeError> {
        message.push(self.0, self.1)
    }
}

/// The export time of a message sent at `now`: seconds since 1970, in 32 bits.
fn export_time(now: SystemTime) -> Result<u32, EncodeError> {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|since| u32::try_from(since.as_secs()).ok())
        .ok_or(EncodeError::ExportTimeOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipfix::field::{FieldSpecifier, Value, VARIABLE_LENGTH};

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn record(template_id: u16, value: u32) -> Record {
        Record {
            template_id,
            fields: vec![(FieldSpecifier::enterprise(7, 4, 32473), Value::U32(value))],
        }
    }

    fn u16_at(message: &[u8], offset: usize) -> u16 {
        u16::from_be_bytes([message[offset], message[offset + 1]])
    }

    fn u32_at(message: &[u8], offset: usize) -> u32 {
        u32::from_be_bytes([
            message[offset],
            message[offset + 1],
            message[offset + 2],
            message[offset + 3],
        ])
    }

    /// The set ids of a message, in order.
    fn set_ids(message: &[u8]) -> Vec<u16> {
        let mut ids = Vec::new();
        let mut offset = MESSAGE_HEADER_LEN;
        while offset < message.len() {
            ids.push(u16_at(message, offset));
            offset += usize::from(u16_at(message, offset + 2));
        }
        assert_eq!(offset, message.len(), "sets fill the message exactly");
        ids
    }

    #[test]
    fn udp_sends_templates_first_then_on_refresh() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::udp(9))?;
        let first = session.encode(at(1000), &[record(256, 1)])?;
        assert_eq!(first.len(), 1);
        assert_eq!(set_ids(&first[0]), [2, 256]);
        assert_eq!(u16_at(&first[0], 0), 10);
        assert_eq!(usize::from(u16_at(&first[0], 2)), first[0].len());
        assert_eq!(u32_at(&first[0], 4), 1000);
        assert_eq!(u32_at(&first[0], 12), 9);

        let later = session.encode(at(1059), &[record(256, 2)])?;
        assert_eq!(set_ids(&later[0]), [256]);
        let refreshed = session.encode(at(1060), &[record(256, 3)])?;
        assert_eq!(set_ids(&refreshed[0]), [2, 256]);
        // With nothing to send, a due refresh still goes out.
        assert!(session.encode(at(1061), &[])?.is_empty());
        let idle = session.encode(at(1120), &[])?;
        assert_eq!(set_ids(&idle[0]), [2]);
        Ok(())
    }

    #[test]
    fn a_new_template_is_sent_before_its_first_record() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::udp(1))?;
        session.encode(at(10), &[record(256, 1)])?;
        let second = session.encode(at(11), &[record(256, 1), record(300, 2)])?;
        assert_eq!(set_ids(&second[0]), [2, 256, 300]);
        // Only template 300 went out.
        assert_eq!(u16_at(&second[0], 16 + 4), 300);
        Ok(())
    }

    #[test]
    fn encoded_records_make_the_same_messages() -> Result<(), EncodeError> {
        let records: Vec<Record> = (0..300)
            .map(|v| record(if v % 3 == 0 { 300 } else { 256 }, v))
            .collect();
        let mut encoded = EncodedRecords::default();
        for record in &records {
            encoded.push(record.template_id, &record.encode()?);
        }
        let templates = [record(256, 0).template()?, record(300, 0).template()?];
        let mut by_records = Session::new(SessionConfig::udp(1))?;
        let mut by_bytes = Session::new(SessionConfig::udp(1))?;
        assert!(!by_bytes.knows_template(256));
        assert_eq!(
            by_bytes.encode_encoded(at(5), &templates, &encoded)?,
            by_records.encode(at(5), &records)?
        );
        assert!(by_bytes.knows_template(256) && by_bytes.knows_template(300));
        assert_eq!(by_bytes.sequence_number(), 300);
        // Known templates are not given again.
        assert_eq!(
            by_bytes.encode_encoded(at(6), &[], &encoded)?,
            by_records.encode(at(6), &records)?
        );
        let other = Template::new(256, vec![FieldSpecifier::iana(8, 4)])?;
        assert_eq!(
            by_bytes.encode_encoded(at(7), &[other], &encoded),
            Err(EncodeError::TemplateConflict(256))
        );
        encoded.push(400, &[1, 2, 3, 4]);
        assert_eq!(
            by_bytes.encode_encoded(at(7), &[], &encoded),
            Err(EncodeError::UnknownTemplate(400))
        );
        Ok(())
    }

    #[test]
    fn tcp_sends_templates_once_per_connection() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::tcp(1))?;
        let first = session.encode(at(10), &[record(256, 1)])?;
        assert_eq!(set_ids(&first[0]), [2, 256]);
        let much_later = session.encode(at(10_000), &[record(256, 1)])?;
        assert_eq!(set_ids(&much_later[0]), [256]);
        assert_eq!(u32_at(&much_later[0], 8), 1);
        session.restart();
        let reconnected = session.encode(at(10_001), &[record(256, 1)])?;
        assert_eq!(set_ids(&reconnected[0]), [2, 256]);
        assert_eq!(u32_at(&reconnected[0], 8), 0, "numbering restarts");
        Ok(())
    }

    #[test]
    fn sequence_numbers_count_data_records_across_split_messages() -> Result<(), EncodeError> {
        let config = SessionConfig {
            max_message_size: 16 + 4 + 3 * 4,
            ..SessionConfig::tcp(1)
        };
        let mut session = Session::new(config)?;
        let records: Vec<Record> = (0..7).map(|v| record(256, v)).collect();
        let messages = session.encode(at(5), &records)?;
        // The template (4 + 8 octets) fills the first message; then 3 records a message.
        let sequence: Vec<u32> = messages.iter().map(|m| u32_at(m, 8)).collect();
        assert_eq!(sequence, [0, 0, 3, 6]);
        assert!(messages.iter().all(|m| m.len() <= 32));
        assert_eq!(set_ids(&messages[0]), [2]);
        assert_eq!(messages[3].len(), 16 + 4 + 4);
        assert_eq!(session.sequence_number(), 7);
        Ok(())
    }

    #[test]
    fn sequence_number_wraps_at_2_32() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::tcp(1))?;
        session.sequence_number = u32::MAX - 1;
        let messages = session.encode(at(5), &[record(256, 1), record(256, 2), record(256, 3)])?;
        assert_eq!(u32_at(&messages[0], 8), u32::MAX - 1);
        assert_eq!(session.sequence_number(), 1);
        let next = session.encode(at(6), &[record(256, 4)])?;
        assert_eq!(u32_at(&next[0], 8), 1);
        Ok(())
    }

    #[test]
    fn a_record_too_big_for_a_message_is_an_error_and_changes_nothing() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::udp(1))?;
        let big = Record {
            template_id: 400,
            fields: vec![(
                FieldSpecifier::enterprise(23, VARIABLE_LENGTH, 32473),
                Value::Octets(vec![0; 1400]),
            )],
        };
        let result = session.encode(at(5), &[record(256, 1), big]);
        assert_eq!(
            result,
            Err(EncodeError::RecordTooLarge {
                template_id: 400,
                size: 16 + 4 + 3 + 1400,
                max: 1400
            })
        );
        assert_eq!(session.sequence_number(), 0);
        // Templates were not marked as sent.
        let messages = session.encode(at(5), &[record(256, 1)])?;
        assert_eq!(set_ids(&messages[0]), [2, 256]);
        Ok(())
    }

    #[test]
    fn one_template_id_with_two_layouts_is_refused() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::udp(1))?;
        session.encode(at(5), &[record(256, 1)])?;
        let other = Record {
            template_id: 256,
            fields: vec![(FieldSpecifier::iana(8, 4), Value::U32(1))],
        };
        assert_eq!(
            session.encode(at(6), &[other]),
            Err(EncodeError::TemplateConflict(256))
        );
        Ok(())
    }

    #[test]
    fn export_time_must_fit_32_bits() -> Result<(), EncodeError> {
        let mut session = Session::new(SessionConfig::udp(1))?;
        assert_eq!(
            session.encode(at(1 << 32), &[record(256, 1)]),
            Err(EncodeError::ExportTimeOutOfRange)
        );
        assert!(Session::new(SessionConfig {
            max_message_size: 20,
            ..SessionConfig::udp(1)
        })
        .is_err());
        Ok(())
    }
}
