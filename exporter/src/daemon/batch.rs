//! Records waiting to be sent, with the size of the message they would make, so that a
//! busy exporter sends full messages and a quiet one sends after a deadline.

use std::time::{Duration, Instant};

use crate::ipfix::message::{MESSAGE_HEADER_LEN, SET_HEADER_LEN};
use crate::ipfix::template::{EncodedRecords, Record, Template};

/// The octets `record` takes in a data set (RFC 7011 §7 for variable-length fields),
/// computed from its fields without encoding it.
pub fn record_len(record: &Record) -> usize {
    record.encoded_len()
}

/// The pending records of one message, encoded, with the templates of theirs that the
/// session does not know yet.
#[derive(Debug)]
pub struct Batch {
    max_message_size: usize,
    records: EncodedRecords,
    templates: Vec<Template>,
    /// The message's length with the pending records, as `MessageBuilder` lays it out.
    message_len: usize,
    open_set: Option<u16>,
    /// When the oldest pending record came.
    oldest: Option<Instant>,
}

impl Batch {
    pub fn new(max_message_size: u16) -> Batch {
        Batch {
            max_message_size: usize::from(max_message_size),
            records: EncodedRecords::default(),
            templates: Vec::new(),
            message_len: MESSAGE_HEADER_LEN,
            open_set: None,
            oldest: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether a record of template `template_id` and `len` octets would make the message
    /// larger than the maximum: send first.
    pub fn is_full_for(&self, template_id: u16, len: usize) -> bool {
        !self.is_empty() && self.len_with(template_id, len) > self.max_message_size
    }

    fn len_with(&self, template_id: u16, len: usize) -> usize {
        let set_header = match self.open_set {
            Some(id) if id == template_id => 0,
            _ => SET_HEADER_LEN,
        };
        self.message_len + set_header + len
    }

    /// Adds a record of template `template_id`, encoded as `record`.
    pub fn push(&mut self, template_id: u16, record: &[u8], now: Instant) {
        self.message_len = self.len_with(template_id, record.len());
        self.open_set = Some(template_id);
        self.oldest.get_or_insert(now);
        self.records.push(template_id, record);
    }

    /// Whether the batch carries the template of id `template_id`.
    pub fn has_template(&self, template_id: u16) -> bool {
        self.templates
            .iter()
            .any(|template| template.id() == template_id)
    }

    /// Adds a template that pending records use and the session does not know.
    pub fn add_template(&mut self, template: Template) {
        self.templates.push(template);
    }

    /// When the pending records must go at the latest.
    pub fn deadline(&self, flush_interval: Duration) -> Option<Instant> {
        self.oldest.map(|oldest| oldest + flush_interval)
    }

    /// The new templates and the pending records; the batch is empty after.
    pub fn take(&mut self) -> (Vec<Template>, EncodedRecords) {
        self.message_len = MESSAGE_HEADER_LEN;
        self.open_set = None;
        self.oldest = None;
        // The next batch is about as long: room for it now, not by growing.
        let room = EncodedRecords::with_capacity(self.records.len(), self.records.bytes_len());
        (
            std::mem::take(&mut self.templates),
            std::mem::replace(&mut self.records, room),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipfix::field::{FieldSpecifier, Value, VARIABLE_LENGTH};

    fn record(template_id: u16, fields: Vec<(FieldSpecifier, Value)>) -> Record {
        Record {
            template_id,
            fields,
        }
    }

    #[test]
    fn record_len_is_the_encoded_len() -> Result<(), crate::ipfix::EncodeError> {
        let records = [
            record(256, vec![(FieldSpecifier::iana(8, 4), Value::U32(1))]),
            record(
                300,
                vec![
                    (FieldSpecifier::iana(4, 1), Value::U8(1)),
                    (
                        FieldSpecifier::enterprise(23, VARIABLE_LENGTH, 1),
                        Value::Octets(vec![0; 254]),
                    ),
                    (
                        FieldSpecifier::enterprise(24, VARIABLE_LENGTH, 1),
                        Value::Octets(vec![0; 255]),
                    ),
                ],
            ),
        ];
        for record in &records {
            assert_eq!(record_len(record), record.encode()?.len());
        }
        Ok(())
    }

    #[test]
    fn full_when_the_next_record_does_not_fit() {
        let now = Instant::now();
        // Header 16 + set header 4 + 3 records of 4.
        let mut batch = Batch::new(32);
        assert!(
            !batch.is_full_for(256, 4),
            "an empty batch takes any record"
        );
        for _ in 0..3 {
            assert!(!batch.is_full_for(256, 4));
            batch.push(256, &[0, 0, 0, 1], now);
        }
        assert!(batch.is_full_for(256, 4));
        assert!(batch.is_full_for(257, 4), "a new set needs its header too");
        assert_eq!(
            batch.deadline(Duration::from_millis(5)),
            Some(now + Duration::from_millis(5))
        );
        let template = Template::new(256, vec![FieldSpecifier::iana(8, 4)]);
        batch.add_template(template.clone().unwrap());
        assert!(batch.has_template(256) && !batch.has_template(257));
        let (templates, records) = batch.take();
        assert_eq!((templates.len(), records.len()), (1, 3));
        assert!(batch.is_empty() && !batch.has_template(256));
        assert_eq!(batch.deadline(Duration::from_millis(5)), None);
    }
}
