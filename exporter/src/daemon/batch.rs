//! Records waiting to be sent, with the size of the message they would make, so that a
//! busy exporter sends full messages and a quiet one sends after a deadline.

use std::time::{Duration, Instant};

use crate::ipfix::message::{MessageHeader, MESSAGE_HEADER_LEN, SET_HEADER_LEN, VERSION};
use crate::ipfix::template::{EncodedRecords, Record, Template};

/// The octets `record` takes in a data set (RFC 7011 §7 for variable-length fields),
/// computed from its fields without encoding it.
pub fn record_len(record: &Record) -> usize {
    record.encoded_len()
}

/// The pending records of one message, encoded, with the templates of theirs that the
/// session does not know yet. The records are laid out as the message's data sets, as
/// `MessageBuilder` lays them out after the header, so that a message with no templates
/// to send is the batch itself ([`Batch::take_message`]).
#[derive(Clone, Debug)]
pub struct Batch {
    max_message_size: usize,
    /// The message: room for its header, then the data sets of the pending records.
    message: Vec<u8>,
    /// Each record's template id and end in `message`.
    records: Vec<(u16, usize)>,
    templates: Vec<Template>,
    /// The set records go into: its id and where it starts in `message`.
    open_set: Option<(u16, usize)>,
    /// When the oldest pending record came.
    oldest: Option<Instant>,
}

impl Batch {
    pub fn new(max_message_size: u16) -> Batch {
        let max_message_size = usize::from(max_message_size);
        let mut message = Vec::with_capacity(max_message_size.max(MESSAGE_HEADER_LEN));
        message.resize(MESSAGE_HEADER_LEN, 0);
        Batch {
            max_message_size,
            message,
            records: Vec::new(),
            templates: Vec::new(),
            open_set: None,
            oldest: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records pending.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether a record of template `template_id` and `len` octets would make the message
    /// larger than the maximum: send first.
    pub fn is_full_for(&self, template_id: u16, len: usize) -> bool {
        !self.is_empty() && self.len_with(template_id, len) > self.max_message_size
    }

    fn len_with(&self, template_id: u16, len: usize) -> usize {
        let set_header = match self.open_set {
            Some((id, _)) if id == template_id => 0,
            _ => SET_HEADER_LEN,
        };
        self.message.len() + set_header + len
    }

    /// Adds a record of template `template_id`, encoded as `record`.
    pub fn push(&mut self, template_id: u16, record: &[u8], now: Instant) {
        self.push_with(template_id, now, |message| {
            message.extend_from_slice(record)
        });
    }

    /// Whether records of these template ids and lengths, in this order, fit in the
    /// message as it is (none would make [`Batch::is_full_for`] true).
    pub fn fits_all(&self, records: impl IntoIterator<Item = (u16, usize)>) -> bool {
        let mut len = self.message.len();
        let mut open = self.open_set.map(|(id, _)| id);
        for (template_id, record_len) in records {
            if open != Some(template_id) {
                len += SET_HEADER_LEN;
                open = Some(template_id);
            }
            len += record_len;
        }
        len <= self.max_message_size
    }

    /// Adds a record of template `template_id` that `write` appends to the message.
    #[inline]
    pub fn push_with(&mut self, template_id: u16, now: Instant, write: impl FnOnce(&mut Vec<u8>)) {
        match self.open_set {
            Some((id, _)) if id == template_id => {}
            _ => {
                self.close_set();
                self.open_set = Some((template_id, self.message.len()));
                self.message.extend_from_slice(&template_id.to_be_bytes());
                self.message.extend_from_slice(&[0, 0]); // length, written when closed
            }
        }
        write(&mut self.message);
        self.records.push((template_id, self.message.len()));
        self.oldest.get_or_insert(now);
    }

    /// Writes the open set's length (it fits: the message does, or it is one record that
    /// the session refuses whole).
    fn close_set(&mut self) {
        if let Some((_, start)) = self.open_set {
            let length = u16::try_from(self.message.len() - start).unwrap_or(u16::MAX);
            if let Some(field) = self.message.get_mut(start + 2..start + 4) {
                field.copy_from_slice(&length.to_be_bytes());
            }
        }
    }

    /// Whether the batch carries the template of id `template_id`.
    pub fn has_template(&self, template_id: u16) -> bool {
        self.templates
            .iter()
            .any(|template| template.id() == template_id)
    }

    /// Whether the batch carries templates the session does not know.
    pub fn has_templates(&self) -> bool {
        !self.templates.is_empty()
    }

    /// Adds a template that pending records use and the session does not know.
    pub fn add_template(&mut self, template: Template) {
        self.templates.push(template);
    }

    /// When the pending records must go at the latest.
    pub fn deadline(&self, flush_interval: Duration) -> Option<Instant> {
        self.oldest.map(|oldest| oldest + flush_interval)
    }

    /// Each pending record's template id, in order.
    pub fn template_ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.records.iter().map(|(template_id, _)| *template_id)
    }

    /// Whether the pending records make a message within the maximum.
    pub fn fits(&self) -> bool {
        self.message.len() <= self.max_message_size
    }

    /// The new templates and the pending records; the batch is empty after.
    pub fn take(&mut self) -> (Vec<Template>, EncodedRecords) {
        let mut records = EncodedRecords::with_capacity(
            self.records.len(),
            self.message.len().saturating_sub(MESSAGE_HEADER_LEN),
        );
        let mut start = MESSAGE_HEADER_LEN;
        let mut previous = None;
        for &(template_id, end) in &self.records {
            if previous != Some(template_id) {
                start += SET_HEADER_LEN;
                previous = Some(template_id);
            }
            records.push(
                template_id,
                self.message.get(start..end).unwrap_or_default(),
            );
            start = end;
        }
        let templates = std::mem::take(&mut self.templates);
        self.clear();
        (templates, records)
    }

    /// The pending records as a message of header `header` (written here, its length
    /// with it), with no templates: the octets `MessageBuilder` makes of them. The batch
    /// is empty after, laid out in `buffer` (a message sent, for its allocation).
    pub fn take_message(&mut self, header: MessageHeader, buffer: Vec<u8>) -> Vec<u8> {
        self.close_set();
        let length = u16::try_from(self.message.len()).unwrap_or(u16::MAX);
        let mut head = [0u8; MESSAGE_HEADER_LEN];
        head[..2].copy_from_slice(&VERSION.to_be_bytes());
        head[2..4].copy_from_slice(&length.to_be_bytes());
        head[4..8].copy_from_slice(&header.export_time.to_be_bytes());
        head[8..12].copy_from_slice(&header.sequence_number.to_be_bytes());
        head[12..].copy_from_slice(&header.observation_domain_id.to_be_bytes());
        if let Some(room) = self.message.get_mut(..MESSAGE_HEADER_LEN) {
            room.copy_from_slice(&head);
        }
        let message = std::mem::replace(&mut self.message, buffer);
        self.templates.clear();
        self.clear();
        message
    }

    /// Drops the pending records and templates.
    pub fn clear(&mut self) {
        self.message.clear();
        self.message.resize(MESSAGE_HEADER_LEN, 0);
        self.records.clear();
        self.templates.clear();
        self.open_set = None;
        self.oldest = None;
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
