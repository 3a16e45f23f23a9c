//! serde_json output laid out exactly as iproute2's `lib/json_writer.c` writes it.
//!
//! `ip -j ioam` output is not what serde_json's own formatters produce: the pretty form
//! indents by four spaces and writes `[ {` and `},{`, and `ip` escapes DEL in strings.
//! Scripts and tests compare `ioamctl -j` with `ip -j` byte for byte, so [`IpFormatter`]
//! follows the C writer's state machine: a comma is due before the next member once a
//! member has been written at this depth, whatever serde's `first` flags say.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

/// `value` as `ip -j` (or `ip -j -p` when `pretty`) would print it, ending with a newline.
pub fn to_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, IpFormatter::new(pretty));
    // Writing into a Vec cannot fail, and the values serialized here are plain data.
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    out.push(b'\n');
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// The state of iproute2's `json_writer_t`.
struct IpFormatter {
    pretty: bool,
    depth: usize,
    /// `sep`: a comma is due before the next value or name.
    comma_due: bool,
    /// The string being written is an object key (`jsonw_name` has done the separating).
    in_key: bool,
}

impl IpFormatter {
    fn new(pretty: bool) -> Self {
        Self {
            pretty,
            depth: 0,
            comma_due: false,
            in_key: false,
        }
    }

    /// `jsonw_eor`.
    fn end_of_record<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.comma_due {
            writer.write_all(b",")?;
        }
        self.comma_due = true;
        Ok(())
    }

    /// `jsonw_eol`.
    fn end_of_line<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.pretty {
            writer.write_all(b"\n")?;
            for _ in 0..self.depth {
                writer.write_all(b"    ")?;
            }
        }
        Ok(())
    }

    fn begin<W: ?Sized + Write>(&mut self, writer: &mut W, opening: &[u8]) -> io::Result<()> {
        self.end_of_record(writer)?;
        writer.write_all(opening)?;
        self.depth = self.depth.saturating_add(1);
        self.comma_due = false;
        Ok(())
    }

    fn end<W: ?Sized + Write>(&mut self, writer: &mut W, closing: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.comma_due {
            self.end_of_line(writer)?;
        }
        writer.write_all(closing)?;
        self.comma_due = true;
        Ok(())
    }

    /// `jsonw_printf`: a scalar value as text.
    fn scalar<W: ?Sized + Write>(&mut self, writer: &mut W, text: &[u8]) -> io::Result<()> {
        self.end_of_record(writer)?;
        writer.write_all(text)
    }
}

/// Integer writers: each is a scalar value.
macro_rules! write_integers {
    ($($method:ident: $type:ty),*) => {$(
        fn $method<W: ?Sized + Write>(&mut self, writer: &mut W, value: $type) -> io::Result<()> {
            self.scalar(writer, value.to_string().as_bytes())
        }
    )*};
}

impl Formatter for IpFormatter {
    write_integers!(write_u8: u8, write_u16: u16, write_u32: u32, write_u64: u64,
        write_u128: u128, write_i8: i8, write_i16: i16, write_i32: i32, write_i64: i64,
        write_i128: i128, write_f32: f32, write_f64: f64);

    fn write_null<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.scalar(writer, b"null")
    }

    fn write_bool<W: ?Sized + Write>(&mut self, writer: &mut W, value: bool) -> io::Result<()> {
        self.scalar(writer, if value { b"true" } else { b"false" })
    }

    fn write_number_str<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        self.scalar(writer, value.as_bytes())
    }

    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if !self.in_key {
            self.end_of_record(writer)?;
        }
        writer.write_all(b"\"")
    }

    /// `jsonw_puts` also escapes DEL, which serde_json leaves as it is.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for (index, part) in fragment.split('\u{7f}').enumerate() {
            if index > 0 {
                writer.write_all(b"\\u007f")?;
            }
            writer.write_all(part.as_bytes())?;
        }
        Ok(())
    }

    /// `jsonw_puts`' escapes: serde_json's, but lower-case hex for other control characters.
    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let text: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => return write!(writer, "\\u{byte:04x}"),
        };
        writer.write_all(text)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"[")?;
        if self.pretty {
            writer.write_all(b" ")?;
        }
        Ok(())
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.pretty && self.comma_due {
            writer.write_all(b" ")?;
        }
        self.comma_due = false;
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        _writer: &mut W,
        _first: bool,
    ) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"}")
    }

    /// `jsonw_name`, up to the key's text.
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        _first: bool,
    ) -> io::Result<()> {
        self.end_of_record(writer)?;
        self.end_of_line(writer)?;
        self.comma_due = false;
        self.in_key = true;
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.in_key = false;
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(if self.pretty { b": " } else { b":" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn two_objects(pretty: bool) -> String {
        to_string(&json!([{"a": 1, "b": "x"}, {"c": null}]), pretty)
    }

    #[test]
    fn compact_layout_has_no_spaces() {
        assert_eq!(two_objects(false), "[{\"a\":1,\"b\":\"x\"},{\"c\":null}]\n");
    }

    #[test]
    fn pretty_layout_matches_json_writer_c() {
        let expected =
            "[ {\n        \"a\": 1,\n        \"b\": \"x\"\n    },{\n        \"c\": null\n    } ]\n";
        assert_eq!(two_objects(true), expected);
    }

    #[test]
    fn empty_arrays() {
        let empty: [u8; 0] = [];
        assert_eq!(to_string(&empty, false), "[]\n");
        assert_eq!(to_string(&empty, true), "[ ]\n");
    }

    #[test]
    fn nested_arrays_and_scalars() {
        let value =
            json!({"a": 1, "b": [2, 3], "c": [{"d": 4}], "e": [], "f": true, "g": false, "h": -5});
        assert_eq!(
            to_string(&value, false),
            "{\"a\":1,\"b\":[2,3],\"c\":[{\"d\":4}],\"e\":[],\"f\":true,\"g\":false,\"h\":-5}\n"
        );
        assert_eq!(
            to_string(&json!({"b": [2, 3]}), true),
            "{\n    \"b\": [ 2,3 ]\n}\n"
        );
    }

    #[test]
    fn strings_are_escaped_like_jsonw_puts() {
        assert_eq!(
            to_string(&json!({"k": "q\"b\\t\tn\nc\u{1}d\u{7f}e\u{1f}"}), false),
            "{\"k\":\"q\\\"b\\\\t\\tn\\nc\\u0001d\\u007fe\\u001f\"}\n"
        );
    }

    #[test]
    fn output_parses_back() {
        let value = json!([{"a": [1, {"b": "\u{7f}"}], "c": null}, [], {}]);
        for pretty in [false, true] {
            let text = to_string(&value, pretty);
            let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(parsed, value);
        }
    }
}
