//! Messages (RFC 7011 §3.1) and sets (§3.3): a message being filled with records, each
//! record going into the open set when it has the same set id, else into a new set.

use super::template::{Record, MIN_TEMPLATE_ID};
use super::EncodeError;

/// IPFIX's version number in the message header.
pub const VERSION: u16 = 10;
/// Octets of the message header.
pub const MESSAGE_HEADER_LEN: usize = 16;
/// Octets of a set header.
pub const SET_HEADER_LEN: usize = 4;

/// The fields of a message header other than its version and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageHeader {
    /// Seconds since 1970-01-01 UTC when the message leaves the exporter.
    pub export_time: u32,
    /// Data records sent in this session and domain before this message, modulo 2^32.
    pub sequence_number: u32,
    pub observation_domain_id: u32,
}

/// A message being filled; [`MessageBuilder::finish`] writes the lengths.
#[derive(Debug)]
pub struct MessageBuilder {
    bytes: Vec<u8>,
    /// Set id and offset of the set that records go into.
    open_set: Option<(u16, usize)>,
    data_records: u32,
}

impl MessageBuilder {
    pub fn new(header: MessageHeader) -> Self {
        Self::with_capacity(header, 1500)
    }

    /// A message whose buffer holds `capacity` octets before it grows: the session's
    /// maximum message size, so that filling it never reallocates.
    pub fn with_capacity(header: MessageHeader, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity.max(MESSAGE_HEADER_LEN));
        bytes.extend(VERSION.to_be_bytes());
        bytes.extend(0u16.to_be_bytes()); // length, written by finish
        bytes.extend(header.export_time.to_be_bytes());
        bytes.extend(header.sequence_number.to_be_bytes());
        bytes.extend(header.observation_domain_id.to_be_bytes());
        Self {
            bytes,
            open_set: None,
            data_records: 0,
        }
    }

    /// Octets the message would take with a record of `record_len` octets in set `set_id`.
    pub fn len_with(&self, set_id: u16, record_len: usize) -> usize {
        let new_set = match self.open_set {
            Some((open, _)) if open == set_id => 0,
            _ => SET_HEADER_LEN,
        };
        self.bytes.len() + new_set + record_len
    }

    /// Whether a record has been added.
    pub fn is_empty(&self) -> bool {
        self.open_set.is_none()
    }

    /// Data records added (records of sets with id 256 or more).
    pub fn data_records(&self) -> u32 {
        self.data_records
    }

    /// Adds an encoded record to set `set_id`.
    pub fn push(&mut self, set_id: u16, record: &[u8]) -> Result<(), EncodeError> {
        self.open(set_id)?;
        self.bytes.extend_from_slice(record);
        self.count(set_id);
        Ok(())
    }

    /// Encodes a data record straight into the message, in set `record.template_id`: no
    /// buffer of its own. On error the message holds part of the record: drop it.
    pub fn push_record(&mut self, record: &Record) -> Result<(), EncodeError> {
        self.open(record.template_id)?;
        record.write(&mut self.bytes)?;
        self.count(record.template_id);
        Ok(())
    }

    /// Makes `set_id` the open set, closing the previous one if it differs.
    fn open(&mut self, set_id: u16) -> Result<(), EncodeError> {
        match self.open_set {
            Some((open, _)) if open == set_id => {}
            _ => {
                self.close_set()?;
                self.open_set = Some((set_id, self.bytes.len()));
                self.bytes.extend(set_id.to_be_bytes());
                self.bytes.extend(0u16.to_be_bytes()); // length, written when closed
            }
        }
        Ok(())
    }

    fn count(&mut self, set_id: u16) {
        if set_id >= MIN_TEMPLATE_ID {
            self.data_records = self.data_records.wrapping_add(1);
        }
    }

    /// The message's octets, with its and its last set's lengths written.
    pub fn finish(mut self) -> Result<Vec<u8>, EncodeError> {
        self.close_set()?;
        let length = self.total_len()?;
        if let Some(field) = self.bytes.get_mut(2..4) {
            field.copy_from_slice(&length.to_be_bytes());
        }
        Ok(self.bytes)
    }

    fn total_len(&self) -> Result<u16, EncodeError> {
        u16::try_from(self.bytes.len()).map_err(|_| EncodeError::RecordTooLarge {
            template_id: self.open_set.map_or(0, |(id, _)| id),
            size: self.bytes.len(),
            max: u16::MAX,
        })
    }

    /// Writes the open set's length.
    fn close_set(&mut self) -> Result<(), EncodeError> {
        if let Some((set_id, start)) = self.open_set {
            let length = self.bytes.len().saturating_sub(start);
            let length = u16::try_from(length).map_err(|_| EncodeError::RecordTooLarge {
                template_id: set_id,
                size: length,
                max: u16::MAX,
            })?;
            if let Some(field) = self.bytes.get_mut(start + 2..start + 4) {
                field.copy_from_slice(&length.to_be_bytes());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipfix::field::{FieldSpecifier, Value};
    use crate::ipfix::template::{Record, Template, TEMPLATE_SET_ID};
    use std::net::Ipv4Addr;

    const HEADER: MessageHeader = MessageHeader {
        export_time: 0x5f5e_1000,
        sequence_number: 7,
        observation_domain_id: 0x0102_0304,
    };

    #[test]
    fn header_layout() {
        let message = MessageBuilder::new(HEADER).finish();
        assert_eq!(
            message,
            Ok(vec![
                0, 10, 0, 16, 0x5f, 0x5e, 0x10, 0, 0, 0, 0, 7, 1, 2, 3, 4
            ])
        );
    }

    /// RFC 7011 Appendix A's template set: template 256 (source, destination and
    /// next-hop IPv4 addresses, packetDeltaCount, octetDeltaCount, 4 octets each).
    fn rfc7011_template() -> Result<Template, EncodeError> {
        Template::new(
            256,
            [8, 12, 15, 2, 1]
                .map(|id| FieldSpecifier::iana(id, 4))
                .to_vec(),
        )
    }

    #[test]
    fn rfc7011_template_set_example() -> Result<(), EncodeError> {
        let mut message = MessageBuilder::new(HEADER);
        message.push(TEMPLATE_SET_ID, &rfc7011_template()?.encode()?)?;
        let bytes = message.finish()?;
        #[rustfmt::skip]
        let expected: [u8; 28] = [
            0, 2, 0, 28,   // Set ID = 2, Length = 28
            1, 0, 0, 5,    // Template ID 256, Field Count = 5
            0, 8, 0, 4,    // sourceIPv4Address
            0, 12, 0, 4,   // destinationIPv4Address
            0, 15, 0, 4,   // ipNextHopIPv4Address
            0, 2, 0, 4,    // packetDeltaCount
            0, 1, 0, 4,    // octetDeltaCount
        ];
        assert_eq!(&bytes[16..], &expected);
        assert_eq!(&bytes[2..4], &[0, 44]);
        Ok(())
    }

    #[test]
    fn rfc7011_data_set_example() -> Result<(), EncodeError> {
        // RFC 7011 Appendix A's data set: three records of template 256.
        let flows = [
            (
                [192, 0, 2, 12],
                [192, 0, 2, 254],
                [192, 0, 2, 1],
                5009,
                5_344_385,
            ),
            (
                [192, 0, 2, 27],
                [192, 0, 2, 23],
                [192, 0, 2, 2],
                748,
                388_934,
            ),
            ([192, 0, 2, 56], [192, 0, 2, 65], [192, 0, 2, 3], 5, 6534),
        ];
        let template = rfc7011_template()?;
        let mut message = MessageBuilder::new(HEADER);
        for (source, destination, next_hop, packets, octets) in flows {
            let values = [
                u32::from(Ipv4Addr::from(source)),
                u32::from(Ipv4Addr::from(destination)),
                u32::from(Ipv4Addr::from(next_hop)),
                packets,
                octets,
            ];
            let record = Record {
                template_id: 256,
                fields: template
                    .fields()
                    .iter()
                    .zip(values)
                    .map(|(spec, value)| (*spec, Value::U32(value)))
                    .collect(),
            };
            message.push(256, &record.encode()?)?;
        }
        assert_eq!(message.data_records(), 3);
        let bytes = message.finish()?;
        #[rustfmt::skip]
        let expected: [u8; 64] = [
            1, 0, 0, 64,   // Set ID = 256, Length = 64
            192, 0, 2, 12,  192, 0, 2, 254,  192, 0, 2, 1,
            0, 0, 0x13, 0x91,  0, 0x51, 0x8c, 0x81,
            192, 0, 2, 27,  192, 0, 2, 23,  192, 0, 2, 2,
            0, 0, 0x02, 0xec,  0, 0x05, 0xef, 0x46,
            192, 0, 2, 56,  192, 0, 2, 65,  192, 0, 2, 3,
            0, 0, 0, 5,  0, 0, 0x19, 0x86,
        ];
        assert_eq!(&bytes[16..], &expected);
        assert_eq!(&bytes[2..4], &[0, 80]);
        Ok(())
    }

    #[test]
    fn a_new_set_opens_when_the_set_id_changes() -> Result<(), EncodeError> {
        let mut message = MessageBuilder::new(HEADER);
        assert_eq!(message.len_with(256, 4), 24);
        message.push(256, &[1, 1, 1, 1])?;
        assert_eq!(message.len_with(256, 4), 28);
        assert_eq!(message.len_with(257, 4), 32);
        message.push(257, &[2, 2])?;
        let bytes = message.finish()?;
        assert_eq!(&bytes[16..], &[1, 0, 0, 8, 1, 1, 1, 1, 1, 1, 0, 6, 2, 2]);
        Ok(())
    }
}
