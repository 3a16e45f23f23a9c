//! Template records and data records (RFC 7011 §3.4). A [`Record`] carries its field
//! specifiers with its values, so its template is derived from it and cannot disagree.

use super::field::{FieldSpecifier, Value, VARIABLE_LENGTH};
use super::EncodeError;

/// Set id of a template set.
pub const TEMPLATE_SET_ID: u16 = 2;
/// Lowest template id (and data set id); 0-255 are reserved for set ids.
pub const MIN_TEMPLATE_ID: u16 = 256;

/// A template: its id and field specifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    id: u16,
    fields: Vec<FieldSpecifier>,
}

impl Template {
    /// A template of id `id` (at least 256) with `fields` (at least one).
    pub fn new(id: u16, fields: Vec<FieldSpecifier>) -> Result<Self, EncodeError> {
        if id < MIN_TEMPLATE_ID {
            return Err(EncodeError::TemplateIdReserved(id));
        }
        if fields.is_empty() {
            return Err(EncodeError::EmptyTemplate(id));
        }
        if u16::try_from(fields.len()).is_err() {
            return Err(EncodeError::TooManyFields {
                id,
                count: fields.len(),
            });
        }
        Ok(Self { id, fields })
    }

    pub fn id(&self) -> u16 {
        self.id
    }

    pub fn fields(&self) -> &[FieldSpecifier] {
        &self.fields
    }

    /// Whether `record` has this template's id and field specifiers, in order: checked
    /// without building the record's template.
    pub fn describes(&self, record: &Record) -> bool {
        self.id == record.template_id
            && self.fields.len() == record.fields.len()
            && self
                .fields
                .iter()
                .zip(&record.fields)
                .all(|(spec, (field, _))| spec == field)
    }

    /// The template record: template id, field count, field specifiers.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let count = u16::try_from(self.fields.len()).map_err(|_| EncodeError::TooManyFields {
            id: self.id,
            count: self.fields.len(),
        })?;
        let mut out = Vec::with_capacity(4 + self.fields.len() * 8);
        out.extend(self.id.to_be_bytes());
        out.extend(count.to_be_bytes());
        for field in &self.fields {
            field.write(&mut out)?;
        }
        Ok(out)
    }
}

/// A data record of template `template_id`: each field's specifier and value, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub template_id: u16,
    pub fields: Vec<(FieldSpecifier, Value)>,
}

impl Record {
    /// The template this record is described by.
    pub fn template(&self) -> Result<Template, EncodeError> {
        Template::new(
            self.template_id,
            self.fields.iter().map(|(spec, _)| *spec).collect(),
        )
    }

    /// The record's octets: each value at its field's length.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.write(&mut out)?;
        Ok(out)
    }

    /// Appends the record's octets to `out` (a message being filled); on error `out` may
    /// hold part of the record.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for (spec, value) in &self.fields {
            value.write(spec.length, out)?;
        }
        Ok(())
    }

    /// The octets [`Record::encode`] gives a well-formed record (RFC 7011 §7 for
    /// variable-length fields), computed from its fields without encoding it.
    pub fn encoded_len(&self) -> usize {
        self.fields
            .iter()
            .map(|(spec, value)| {
                if spec.length != VARIABLE_LENGTH {
                    return usize::from(spec.length);
                }
                let len = match value {
                    Value::U8(_) => 1,
                    Value::U16(_) => 2,
                    Value::U32(_) => 4,
                    Value::U64(_) => 8,
                    Value::Octets(bytes) => bytes.len(),
                };
                len + if len < 255 { 1 } else { 3 }
            })
            .sum()
    }

    /// The value of the first field with this specifier.
    pub fn value(&self, spec: &FieldSpecifier) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(field, _)| field == spec)
            .map(|(_, value)| value)
    }
}

/// Data records already encoded, back to back in one buffer: what an exporter batches,
/// so that a record needs no allocation of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodedRecords {
    bytes: Vec<u8>,
    /// Each record's template id and end in `bytes` (it starts where the previous ends).
    records: Vec<(u16, usize)>,
}

impl EncodedRecords {
    /// Room for `records` records of `bytes` octets in all.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        EncodedRecords {
            bytes: Vec::with_capacity(bytes),
            records: Vec::with_capacity(records),
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Octets of all the records.
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends a record of template `template_id` whose octets `write` appends; on error
    /// nothing is added.
    pub fn push_with<E>(
        &mut self,
        template_id: u16,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.bytes.len();
        match write(&mut self.bytes) {
            Ok(()) => {
                self.records.push((template_id, self.bytes.len()));
                Ok(())
            }
            Err(error) => {
                self.bytes.truncate(start);
                Err(error)
            }
        }
    }

    /// Appends a record of template `template_id` encoded as `record`.
    pub fn push(&mut self, template_id: u16, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.records.push((template_id, self.bytes.len()));
    }

    /// Keeps the first `records` records.
    pub fn truncate(&mut self, records: usize) {
        self.records.truncate(records);
        let end = self.records.last().map_or(0, |(_, end)| *end);
        self.bytes.truncate(end);
    }

    /// Each record's template id and octets, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &[u8])> + '_ {
        let mut start = 0;
        self.records.iter().map(move |(template_id, end)| {
            let record = self.bytes.get(start..*end).unwrap_or_default();
            start = *end;
            (*template_id, record)
        })
    }

    /// Each record's template id, in order.
    pub fn template_ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.records.iter().map(|(template_id, _)| *template_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipfix::field::VARIABLE_LENGTH;

    #[test]
    fn template_ids_below_256_are_refused() {
        let fields = vec![FieldSpecifier::iana(8, 4)];
        assert_eq!(
            Template::new(255, fields.clone()),
            Err(EncodeError::TemplateIdReserved(255))
        );
        assert!(Template::new(256, fields).is_ok());
        assert_eq!(
            Template::new(300, vec![]),
            Err(EncodeError::EmptyTemplate(300))
        );
    }

    #[test]
    fn record_encodes_fixed_and_variable_fields() {
        let record = Record {
            template_id: 400,
            fields: vec![
                (FieldSpecifier::iana(4, 1), Value::U8(17)),
                (
                    FieldSpecifier::enterprise(23, VARIABLE_LENGTH, 32473),
                    Value::Octets(b"abc".to_vec()),
                ),
            ],
        };
        assert_eq!(record.encode(), Ok(vec![17, 3, b'a', b'b', b'c']));
        let template = record.template().and_then(|t| t.encode());
        assert_eq!(
            template,
            Ok(vec![
                1, 0x90, 0, 2, 0, 4, 0, 1, 0x80, 23, 0xff, 0xff, 0, 0, 0x7e, 0xd9
            ])
        );
    }
}
