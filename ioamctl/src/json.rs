//! A JSON writer that lays text out exactly as iproute2's `lib/json_writer.c` does.
//!
//! `ip -j ioam` output is not what a general-purpose serializer produces: its pretty form
//! indents by four spaces and writes `[ {` and `},{`, and its schema objects repeat the
//! empty key `""` once per data byte. Scripts and tests compare `ioamctl -j` with `ip -j`
//! byte for byte, so this writer follows the C one call for call.

/// Streaming writer; call [`JsonWriter::finish`] to get the text.
pub struct JsonWriter {
    out: String,
    depth: usize,
    pretty: bool,
    /// `sep` of the C writer: a comma is due before the next value or name.
    comma_due: bool,
}

impl JsonWriter {
    /// `jsonw_new` followed by `jsonw_pretty(pretty)`.
    pub fn new(pretty: bool) -> Self {
        JsonWriter {
            out: String::new(),
            depth: 0,
            pretty,
            comma_due: false,
        }
    }

    /// `jsonw_destroy`: ends the document with a newline.
    pub fn finish(mut self) -> String {
        debug_assert_eq!(self.depth, 0, "unbalanced JSON nesting");
        self.out.push('\n');
        self.out
    }

    /// `jsonw_eor`: separates this element from the previous one.
    fn end_of_record(&mut self) {
        if self.comma_due {
            self.out.push(',');
        }
        self.comma_due = true;
    }

    /// `jsonw_eol`: a new, indented line when pretty printing.
    fn end_of_line(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
    }

    fn begin(&mut self, opening: char) {
        self.end_of_record();
        self.out.push(opening);
        self.depth += 1;
        self.comma_due = false;
    }

    fn end(&mut self, closing: char) {
        self.depth = self.depth.saturating_sub(1);
        if self.comma_due {
            self.end_of_line();
        }
        self.out.push(closing);
        self.comma_due = true;
    }

    pub fn start_array(&mut self) {
        self.begin('[');
        if self.pretty {
            self.out.push(' ');
        }
    }

    pub fn end_array(&mut self) {
        if self.pretty && self.comma_due {
            self.out.push(' ');
        }
        self.comma_due = false;
        self.end(']');
    }

    pub fn start_object(&mut self) {
        self.begin('{');
    }

    pub fn end_object(&mut self) {
        self.end('}');
    }

    /// `jsonw_name`: the key of the next value.
    fn name(&mut self, key: &str) {
        self.end_of_record();
        self.end_of_line();
        self.comma_due = false;
        self.push_quoted(key);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }

    /// `jsonw_printf`: a value written as it is.
    fn raw_value(&mut self, text: &str) {
        self.end_of_record();
        self.out.push_str(text);
    }

    /// `jsonw_uint_field` and friends.
    pub fn uint_field(&mut self, key: &str, value: u64) {
        self.name(key);
        self.raw_value(&value.to_string());
    }

    /// `jsonw_string_field`.
    pub fn string_field(&mut self, key: &str, value: &str) {
        self.name(key);
        self.end_of_record();
        self.push_quoted(value);
    }

    /// `jsonw_bool_field`.
    pub fn bool_field(&mut self, key: &str, value: bool) {
        self.name(key);
        self.raw_value(if value { "true" } else { "false" });
    }

    /// `jsonw_null_field`.
    pub fn null_field(&mut self, key: &str) {
        self.name(key);
        self.raw_value("null");
    }

    /// `jsonw_name` then `jsonw_start_array`: an array member; end it with
    /// [`JsonWriter::end_array`].
    pub fn start_array_field(&mut self, key: &str) {
        self.name(key);
        self.start_array();
    }

    /// `jsonw_uint`: a number as an array element.
    pub fn uint_value(&mut self, value: u64) {
        self.raw_value(&value.to_string());
    }

    /// `jsonw_puts`: escapes as RFC 8259 asks, with the C writer's choice of escapes.
    fn push_quoted(&mut self, text: &str) {
        self.out.push('"');
        for character in text.chars() {
            match character {
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\u{c}' => self.out.push_str("\\f"),
                '\u{8}' => self.out.push_str("\\b"),
                '\\' => self.out.push_str("\\\\"),
                '"' => self.out.push_str("\\\""),
                control if u32::from(control) < 0x20 || control == '\u{7f}' => {
                    self.out.push_str(&format!("\\u{:04x}", u32::from(control)));
                }
                other => self.out.push(other),
            }
        }
        self.out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_objects(pretty: bool) -> String {
        let mut writer = JsonWriter::new(pretty);
        writer.start_array();
        writer.start_object();
        writer.uint_field("a", 1);
        writer.string_field("b", "x");
        writer.end_object();
        writer.start_object();
        writer.null_field("c");
        writer.end_object();
        writer.end_array();
        writer.finish()
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
        for (pretty, expected) in [(false, "[]\n"), (true, "[ ]\n")] {
            let mut writer = JsonWriter::new(pretty);
            writer.start_array();
            writer.end_array();
            assert_eq!(writer.finish(), expected);
        }
    }

    #[test]
    fn array_fields_and_values() {
        let mut writer = JsonWriter::new(false);
        writer.start_object();
        writer.uint_field("a", 1);
        writer.start_array_field("b");
        writer.uint_value(2);
        writer.uint_value(3);
        writer.end_array();
        writer.start_array_field("c");
        writer.start_object();
        writer.uint_field("d", 4);
        writer.end_object();
        writer.end_array();
        writer.start_array_field("e");
        writer.end_array();
        writer.bool_field("f", true);
        writer.bool_field("g", false);
        writer.end_object();
        assert_eq!(
            writer.finish(),
            "{\"a\":1,\"b\":[2,3],\"c\":[{\"d\":4}],\"e\":[],\"f\":true,\"g\":false}\n"
        );
    }

    #[test]
    fn strings_are_escaped_like_jsonw_puts() {
        let mut writer = JsonWriter::new(false);
        writer.start_object();
        writer.string_field("k", "q\"b\\t\tn\nc\u{1}d\u{7f}");
        writer.end_object();
        assert_eq!(
            writer.finish(),
            "{\"k\":\"q\\\"b\\\\t\\tn\\nc\\u0001d\\u007f\"}\n"
        );
    }
}
