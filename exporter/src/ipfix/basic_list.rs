//! The basicList structured data type (RFC 6313 §4.5.1): a list of values of one
//! information element, carried as one variable-length field.

use super::field::{FieldSpecifier, Value, VARIABLE_LENGTH};
use super::EncodeError;

/// IANA element `basicList`.
pub const BASIC_LIST_ELEMENT_ID: u16 = 291;

/// How a list's elements relate (RFC 6313 §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Semantic {
    NoneOf = 0x00,
    ExactlyOneOf = 0x01,
    OneOrMoreOf = 0x02,
    AllOf = 0x03,
    /// Every element, in the order given.
    Ordered = 0x04,
    Undefined = 0xff,
}

/// The content of a basicList field: semantic, the element's field id (enterprise bit),
/// element length, the PEN if enterprise-specific, then each value at that length.
pub fn basic_list(
    semantic: Semantic,
    element: FieldSpecifier,
    values: impl IntoIterator<Item = impl std::borrow::Borrow<Value>>,
) -> Result<Value, EncodeError> {
    let values = values.into_iter();
    // Header (at most 9 octets) and the values, sized once.
    let fixed_len = match element.length {
        VARIABLE_LENGTH => 0,
        length => usize::from(length),
    };
    let (at_least, at_most) = values.size_hint();
    let mut out = Vec::with_capacity(9 + fixed_len * at_most.unwrap_or(at_least));
    out.push(semantic as u8);
    out.extend(element.id_with_enterprise_bit()?.to_be_bytes());
    out.extend(element.length.to_be_bytes());
    if let Some(pen) = element.enterprise_number {
        out.extend(pen.to_be_bytes());
    }
    for value in values {
        value.borrow().write(element.length, &mut out)?;
    }
    Ok(Value::Octets(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_of_enterprise_u32_values() {
        let element = FieldSpecifier::enterprise(7, 4, 32473);
        let list = basic_list(Semantic::Ordered, element, &[Value::U32(1), Value::U32(2)]);
        assert_eq!(
            list,
            Ok(Value::Octets(vec![
                4, 0x80, 7, 0, 4, 0, 0, 0x7e, 0xd9, 0, 0, 0, 1, 0, 0, 0, 2
            ]))
        );
    }

    #[test]
    fn empty_iana_list_is_just_the_header() {
        let list = basic_list(Semantic::AllOf, FieldSpecifier::iana(27, 16), &[]);
        assert_eq!(list, Ok(Value::Octets(vec![3, 0, 27, 0, 16])));
    }
}
