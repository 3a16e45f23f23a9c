//! Field specifiers (RFC 7011 §3.2) and the encoding of field values (§6: network byte
//! order; §7: variable-length fields).

use super::EncodeError;

/// The field length that marks a variable-length field in a template.
pub const VARIABLE_LENGTH: u16 = 65535;
/// The high bit of a field specifier's element id: an enterprise number follows.
const ENTERPRISE_BIT: u16 = 0x8000;
/// Variable-length values shorter than this take a 1-octet length; longer ones 255 and a
/// 2-octet length.
const LONG_LENGTH_MARK: u8 = 255;

/// One field of a template: an information element, its length in the records, and the
/// enterprise number (PEN) of an enterprise-specific element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldSpecifier {
    /// The element id, 15 bits.
    pub element_id: u16,
    /// Octets in each record, or [`VARIABLE_LENGTH`].
    pub length: u16,
    /// `None` for an IANA element.
    pub enterprise_number: Option<u32>,
}

impl FieldSpecifier {
    /// An IANA-registered element.
    pub const fn iana(element_id: u16, length: u16) -> Self {
        Self {
            element_id,
            length,
            enterprise_number: None,
        }
    }

    /// An enterprise-specific element of enterprise `pen`.
    pub const fn enterprise(element_id: u16, length: u16, pen: u32) -> Self {
        Self {
            element_id,
            length,
            enterprise_number: Some(pen),
        }
    }

    /// Octets the specifier takes in a template record: 4, or 8 with an enterprise number.
    pub const fn encoded_len(&self) -> usize {
        match self.enterprise_number {
            Some(_) => 8,
            None => 4,
        }
    }

    /// Appends the specifier: element id (with the enterprise bit), length, and PEN.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let id = self.id_with_enterprise_bit()?;
        out.extend(id.to_be_bytes());
        out.extend(self.length.to_be_bytes());
        if let Some(pen) = self.enterprise_number {
            out.extend(pen.to_be_bytes());
        }
        Ok(())
    }

    /// The element id as written: the enterprise bit on for an enterprise element.
    pub(crate) fn id_with_enterprise_bit(&self) -> Result<u16, EncodeError> {
        if self.element_id & ENTERPRISE_BIT != 0 {
            return Err(EncodeError::ElementIdTooLarge(self.element_id));
        }
        Ok(match self.enterprise_number {
            Some(_) => self.element_id | ENTERPRISE_BIT,
            None => self.element_id,
        })
    }
}

/// A field's value, as the abstract data types of RFC 7012 this crate uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    /// An octetArray (or an encoded basicList): fixed or variable length.
    Octets(Vec<u8>),
}

impl Value {
    /// Appends the value for a field of `length` octets (or [`VARIABLE_LENGTH`]). Integers
    /// take their full width, in network byte order: a length that differs is an error
    /// (this encoder does not use reduced-size encoding).
    #[inline(always)]
    pub fn write(&self, length: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // The common case, an integer at its width: a store of known size.
        match (self, length) {
            (Value::U8(v), 1) => out.push(*v),
            (Value::U16(v), 2) => out.extend_from_slice(&v.to_be_bytes()),
            (Value::U32(v), 4) => out.extend_from_slice(&v.to_be_bytes()),
            (Value::U64(v), 8) => out.extend_from_slice(&v.to_be_bytes()),
            _ => return self.write_other(length, out),
        }
        Ok(())
    }

    /// [`Value::write`] of octets, variable-length fields, and mismatched lengths.
    fn write_other(&self, length: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let bytes: &[u8] = match self {
            Value::U8(v) => &v.to_be_bytes(),
            Value::U16(v) => &v.to_be_bytes(),
            Value::U32(v) => &v.to_be_bytes(),
            Value::U64(v) => &v.to_be_bytes(),
            Value::Octets(v) => v,
        };
        write_octets(bytes, length, out)
    }
}

/// Appends `bytes` as the value of a field of `length` octets (or [`VARIABLE_LENGTH`]), as
/// [`Value::write`] writes [`Value::Octets`].
pub fn write_octets(bytes: &[u8], length: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if length == VARIABLE_LENGTH {
        return write_variable_length(bytes, out);
    }
    if bytes.len() != usize::from(length) {
        return Err(EncodeError::LengthMismatch {
            declared: length,
            actual: bytes.len(),
        });
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// Appends `data` as a variable-length field (RFC 7011 §7): a 1-octet length below 255,
/// else the octet 255 and a 2-octet length.
pub fn write_variable_length(data: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match u8::try_from(data.len()) {
        Ok(short) if short < LONG_LENGTH_MARK => out.push(short),
        _ => {
            let long =
                u16::try_from(data.len()).map_err(|_| EncodeError::ValueTooLong(data.len()))?;
            out.push(LONG_LENGTH_MARK);
            out.extend(long.to_be_bytes());
        }
    }
    out.extend_from_slice(data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varlen(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_variable_length(&vec![0xab; n], &mut out)
            .map(|()| out)
            .unwrap_or_default()
    }

    #[test]
    fn variable_length_prefix_switches_at_255() {
        assert_eq!(varlen(0), vec![0]);
        let v = varlen(254);
        assert_eq!((v[0], v.len()), (254, 255));
        let v = varlen(255);
        assert_eq!(&v[..3], &[255, 0, 255]);
        assert_eq!(v.len(), 3 + 255);
        let v = varlen(256);
        assert_eq!(&v[..3], &[255, 1, 0]);
        assert_eq!(v.len(), 3 + 256);
        let v = varlen(65535);
        assert_eq!(&v[..3], &[255, 255, 255]);
    }

    #[test]
    fn variable_length_over_65535_is_an_error() {
        let mut out = Vec::new();
        assert_eq!(
            write_variable_length(&vec![0; 65536], &mut out),
            Err(EncodeError::ValueTooLong(65536))
        );
    }

    #[test]
    fn specifiers_carry_the_enterprise_bit_and_number() {
        let mut out = Vec::new();
        FieldSpecifier::iana(8, 4).write(&mut out).ok();
        FieldSpecifier::enterprise(7, 4, 32473).write(&mut out).ok();
        assert_eq!(out, [0, 8, 0, 4, 0x80, 7, 0, 4, 0, 0, 0x7e, 0xd9]);
        let too_big = FieldSpecifier::iana(0x8000, 4).write(&mut out);
        assert_eq!(too_big, Err(EncodeError::ElementIdTooLarge(0x8000)));
    }

    #[test]
    fn integers_are_big_endian_and_must_fill_their_field() {
        let mut out = Vec::new();
        Value::U32(0x0102_0304).write(4, &mut out).ok();
        Value::U16(0x0506).write(2, &mut out).ok();
        Value::U64(0x0708).write(8, &mut out).ok();
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 7, 8]);
        assert_eq!(
            Value::U32(1).write(3, &mut out),
            Err(EncodeError::LengthMismatch {
                declared: 3,
                actual: 4
            })
        );
    }
}
