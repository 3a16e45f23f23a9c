//! Records waiting to be sent, with the size of the message they would make, so that a
//! busy exporter sends full messages and a quiet one sends after a deadline.

use std::time::{Duration, Instant};

use crate::ipfix::message::{MESSAGE_HEADER_LEN, SET_HEADER_LEN};
use crate::ipfix::template::Record;

/// The octets `record` takes in a data set (RFC 7011 §7 for variable-length fields),
/// computed from its fields without encoding it.
pub fn record_len(record: &Record) -> usize {
    record.encoded_len()
}

/// The pending records of one message.
#[derive(Debug)]
pub struct Batch {
    max_message_size: usize,
    records: Vec<Record>,
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
            records: Vec::new(),
            message_len: MESSAGE_HEADER_LEN,
            open_set: None,
            oldest: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether `record` would make the message larger than the maximum: send first.
    pub fn is_full_for(&self, record: &Record) -> bool {
        !self.is_empty() && self.len_with(record) > self.max_message_size
    }

    fn len_with(&self, record: &Record) -> usize {
        let set_header = match self.open_set {
            Some(id) if id == record.template_id => 0,
            _ => SET_HEADER_LEN,
        };
        self.message_len + set_header + record_len(record)
    }

    pub fn push(&mut self, record: Record, now: Instant) {
        self.message_len = self.len_with(&record);
        self.open_set = Some(record.template_id);
        self.oldest.get_or_insert(now);
        self.records.push(record);
    }

    /// When the pending records must go at the latest.
    pub fn deadline(&self, flush_interval: Duration) -> Option<Instant> {
        self.oldest.map(|oldest| oldest + flush_interval)
    }

    /// The pending records; the batch is empty after.
    pub fn take(&mut self) -> Vec<Record> {
        self.message_len = MESSAGE_HEADER_LEN;
        self.open_set = None;
        self.oldest = None;
        // The next batch is about as long: room for it now, not by growing.
        let capacity = self.records.len();
        std::mem::replace(&mut self.records, Vec::with_capacity(capacity))
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
        let one = || record(256, vec![(FieldSpecifier::iana(8, 4), Value::U32(1))]);
        // Header 16 + set header 4 + 3 records of 4.
        let mut batch = Batch::new(32);
        assert!(
            !batch.is_full_for(&one()),
            "an empty batch takes any record"
        );
        for _ in 0..3 {
            assert!(!batch.is_full_for(&one()));
            batch.push(one(), now);
        }
        assert!(batch.is_full_for(&one()));
        let other = record(257, vec![(FieldSpecifier::iana(8, 4), Value::U32(1))]);
        assert!(batch.is_full_for(&other), "a new set needs its header too");
        assert_eq!(
            batch.deadline(Duration::from_millis(5)),
            Some(now + Duration::from_millis(5))
        );
        assert_eq!(batch.take().len(), 3);
        assert!(batch.is_empty());
        assert_eq!(batch.deadline(Duration::from_millis(5)), None);
    }
}
