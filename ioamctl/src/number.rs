//! Unsigned integers read the way iproute2's `get_u16`/`get_u32`/`get_u64` read them.
//!
//! Those helpers call `strtoul`/`strtoull`, so `ip ioam` accepts leading white space, an
//! optional `+`, and, in base 0, a `0x` prefix for hex or a leading `0` for octal; in
//! base 16 the `0x` prefix is optional. Anything left after the digits is an error.
//! One deliberate difference: a leading `-` is refused here, where `strtoul` would
//! negate the value (`ip ioam namespace add 1 wide -1` stores all-ones).

/// How the digits are read, as the `base` argument of `strtoul`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// `strtoul(.., 0)`: `0x1f` is hex, `017` is octal, anything else decimal.
    Auto,
    /// `strtoul(.., 16)`: hex digits, with or without a `0x` prefix.
    Hex,
}

/// Reads `text` as `strtoull(text, .., base)` does, requiring that every character is
/// used. Returns `None` for no digits, stray characters, a sign, or overflow of `u64`.
pub fn parse_c_unsigned(text: &[u8], base: Base) -> Option<u64> {
    // C's isspace(), which unlike Rust's ASCII white space includes vertical tab.
    let is_c_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let first_non_space = text.iter().position(|byte| !is_c_space(byte));
    let mut rest = &text[first_non_space.unwrap_or(text.len())..];
    if let Some(unsigned) = rest.strip_prefix(b"+") {
        rest = unsigned;
    }

    let hex_prefixed = rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] == b'x' || rest[1] == b'X')
        && rest[2].is_ascii_hexdigit();
    let (digits, radix) = match base {
        Base::Hex if hex_prefixed => (&rest[2..], 16),
        Base::Hex => (rest, 16),
        Base::Auto if hex_prefixed => (&rest[2..], 16),
        // A lone "0" is octal zero, which reads the same.
        Base::Auto if rest.first() == Some(&b'0') => (rest, 8),
        Base::Auto => (rest, 10),
    };

    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &byte| {
        let digit = char::from(byte).to_digit(radix)?;
        value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(text: &str) -> Option<u64> {
        parse_c_unsigned(text.as_bytes(), Base::Auto)
    }

    fn hex(text: &str) -> Option<u64> {
        parse_c_unsigned(text.as_bytes(), Base::Hex)
    }

    #[test]
    fn auto_base_reads_decimal_hex_and_octal() {
        assert_eq!(auto("123"), Some(123));
        assert_eq!(auto("0"), Some(0));
        assert_eq!(auto("0x1F"), Some(31));
        assert_eq!(auto("0XdeadBEEF"), Some(0xdead_beef));
        assert_eq!(auto("010"), Some(8));
        assert_eq!(auto("0777"), Some(0o777));
        assert_eq!(auto("00"), Some(0));
    }

    #[test]
    fn auto_base_refuses_what_strtoul_leaves_unparsed() {
        assert_eq!(auto(""), None);
        assert_eq!(auto("08"), None, "8 is not an octal digit");
        assert_eq!(auto("0x"), None);
        assert_eq!(auto("0xg"), None);
        assert_eq!(auto("12a"), None);
        assert_eq!(auto("1 "), None);
        assert_eq!(auto("ff"), None);
        assert_eq!(auto("+"), None);
        assert_eq!(auto(" "), None);
    }

    #[test]
    fn leading_space_and_plus_are_accepted_like_strtoul() {
        assert_eq!(auto(" 42"), Some(42));
        assert_eq!(auto("\t+42"), Some(42));
        assert_eq!(auto("+0x10"), Some(16));
        assert_eq!(auto("\x0b7"), Some(7), "vertical tab is C white space");
    }

    #[test]
    fn signs_other_than_plus_are_refused() {
        assert_eq!(auto("-1"), None);
        assert_eq!(auto("-0"), None);
        assert_eq!(hex("-1"), None);
        assert_eq!(auto("+-1"), None);
    }

    #[test]
    fn hex_base_takes_digits_with_or_without_prefix() {
        assert_eq!(hex("10"), Some(0x10));
        assert_eq!(hex("0x10"), Some(0x10));
        assert_eq!(hex("0X10"), Some(0x10));
        assert_eq!(hex("cafec0caf00dc0de"), Some(0xcafe_c0ca_f00d_c0de));
        assert_eq!(hex("0xcafec0caf00dc0de"), Some(0xcafe_c0ca_f00d_c0de));
        assert_eq!(
            hex("010"),
            Some(0x10),
            "a leading zero is not octal in base 16"
        );
        assert_eq!(hex("0"), Some(0));
        assert_eq!(hex("0x"), None);
        assert_eq!(hex("0xx1"), None);
        assert_eq!(hex("g"), None);
    }

    #[test]
    fn values_past_u64_overflow() {
        assert_eq!(auto("18446744073709551615"), Some(u64::MAX));
        assert_eq!(auto("18446744073709551616"), None);
        assert_eq!(hex("ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(hex("0x10000000000000000"), None);
        assert_eq!(
            hex("00000000000000000001"),
            Some(1),
            "leading zeros do not overflow"
        );
    }
}
