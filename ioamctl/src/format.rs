//! Text and JSON output of `show`, byte for byte as `ip ioam` prints it
//! (`print_namespace` and `print_schema` in iproute2's `ip/ipioam6.c`).

use crate::json::JsonWriter;

/// One namespace as a dump reports it. `data` and `wide` are absent when the kernel
/// left them out, which it does for values the user never set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub id: u16,
    pub data: Option<u32>,
    pub wide: Option<u64>,
    /// The schema bound to this namespace, if any.
    pub schema: Option<u32>,
}

/// One schema as a dump reports it. `data` holds every byte of the attribute, including
/// the zero padding the kernel adds to reach a multiple of 4, which `ip ioam` prints too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaInfo {
    pub id: u32,
    pub data: Vec<u8>,
    /// The namespace this schema is bound to, if any.
    pub namespace: Option<u16>,
}

/// How `show` output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    /// `ip -j`
    Json,
    /// `ip -j -p`
    PrettyJson,
}

/// C's `printf("%#0*x")`: zero-padded to `width` characters including the `0x`, which
/// C leaves out for zero, so zero prints as `width` zeros.
fn c_alternate_hex(value: u64, width: usize) -> String {
    if value == 0 {
        "0".repeat(width)
    } else {
        format!("{value:#0width$x}")
    }
}

/// `namespace 123 [schema 777], data 0xdeadbeef, wide 0xcafec0caf00dc0de` and a newline.
pub fn namespace_text(namespace: &NamespaceInfo) -> String {
    let mut line = format!("namespace {}", namespace.id);
    if let Some(schema) = namespace.schema {
        line.push_str(&format!(" [schema {schema}]"));
    }
    if let Some(data) = namespace.data {
        line.push_str(&format!(", data {}", c_alternate_hex(data.into(), 10)));
    }
    if let Some(wide) = namespace.wide {
        line.push_str(&format!(", wide {}", c_alternate_hex(wide, 18)));
    }
    line.push('\n');
    line
}

/// `schema 777 [namespace 123], data: 73 6f 6d 65` and a newline.
pub fn schema_text(schema: &SchemaInfo) -> String {
    let mut line = format!("schema {}", schema.id);
    if let Some(namespace) = schema.namespace {
        line.push_str(&format!(" [namespace {namespace}]"));
    }
    line.push_str(", data:");
    for byte in &schema.data {
        line.push_str(&format!(" {byte:02x}"));
    }
    line.push('\n');
    line
}

/// Writes one namespace object with the keys and types of `ip -j ioam namespace show`:
/// `namespace` and `schema` are numbers, `data` is a hex string without `0x` (`print_hex`),
/// `wide` a hex string with `0x` (`print_0xhex`).
fn namespace_json(writer: &mut JsonWriter, namespace: &NamespaceInfo) {
    writer.start_object();
    writer.uint_field("namespace", namespace.id.into());
    if let Some(schema) = namespace.schema {
        writer.uint_field("schema", schema.into());
    }
    if let Some(data) = namespace.data {
        writer.string_field("data", &format!("{data:x}"));
    }
    if let Some(wide) = namespace.wide {
        // "%#llx": no prefix for zero.
        let text = if wide == 0 {
            "0".to_owned()
        } else {
            format!("{wide:#x}")
        };
        writer.string_field("wide", &text);
    }
    writer.end_object();
}

/// Writes one schema object as `ip -j ioam schema show` does: `"data": null` followed by
/// one `"": BYTE` member per data byte. Duplicate keys are what iproute2 emits; they are
/// kept so that output can be compared with `ip -j` byte for byte.
fn schema_json(writer: &mut JsonWriter, schema: &SchemaInfo) {
    writer.start_object();
    writer.uint_field("schema", schema.id.into());
    if let Some(namespace) = schema.namespace {
        writer.uint_field("namespace", namespace.into());
    }
    writer.null_field("data");
    for byte in &schema.data {
        writer.uint_field("", (*byte).into());
    }
    writer.end_object();
}

fn json_array<T>(items: &[T], pretty: bool, write_item: fn(&mut JsonWriter, &T)) -> String {
    let mut writer = JsonWriter::new(pretty);
    writer.start_array();
    for item in items {
        write_item(&mut writer, item);
    }
    writer.end_array();
    writer.finish()
}

/// The whole output of `namespace show`: one line each, or one JSON array.
pub fn namespaces(list: &[NamespaceInfo], format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => list.iter().map(namespace_text).collect(),
        OutputFormat::Json => json_array(list, false, namespace_json),
        OutputFormat::PrettyJson => json_array(list, true, namespace_json),
    }
}

/// The whole output of `schema show`: one line each, or one JSON array.
pub fn schemas(list: &[SchemaInfo], format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => list.iter().map(schema_text).collect(),
        OutputFormat::Json => json_array(list, false, schema_json),
        OutputFormat::PrettyJson => json_array(list, true, schema_json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_namespace() -> NamespaceInfo {
        NamespaceInfo {
            id: 123,
            data: Some(0xdead_beef),
            wide: Some(0xcafe_c0ca_f00d_c0de),
            schema: Some(777),
        }
    }

    fn bare_namespace() -> NamespaceInfo {
        NamespaceInfo {
            id: 5,
            ..NamespaceInfo::default()
        }
    }

    fn bound_schema() -> SchemaInfo {
        SchemaInfo {
            id: 777,
            data: b"some".to_vec(),
            namespace: Some(123),
        }
    }

    fn padded_schema() -> SchemaInfo {
        SchemaInfo {
            id: 9,
            data: b"abcde\0\0\0".to_vec(),
            namespace: None,
        }
    }

    #[test]
    fn namespace_text_with_everything() {
        assert_eq!(
            namespace_text(&full_namespace()),
            "namespace 123 [schema 777], data 0xdeadbeef, wide 0xcafec0caf00dc0de\n"
        );
    }

    #[test]
    fn namespace_text_with_nothing_optional() {
        assert_eq!(namespace_text(&bare_namespace()), "namespace 5\n");
    }

    #[test]
    fn namespace_text_with_one_optional_part() {
        let data_only = NamespaceInfo {
            id: 1,
            data: Some(0xab),
            ..NamespaceInfo::default()
        };
        assert_eq!(namespace_text(&data_only), "namespace 1, data 0x000000ab\n");
        let wide_only = NamespaceInfo {
            id: 2,
            wide: Some(0x1),
            ..NamespaceInfo::default()
        };
        assert_eq!(
            namespace_text(&wide_only),
            "namespace 2, wide 0x0000000000000001\n"
        );
        let schema_only = NamespaceInfo {
            id: 3,
            schema: Some(0xff_ffff),
            ..NamespaceInfo::default()
        };
        assert_eq!(
            namespace_text(&schema_only),
            "namespace 3 [schema 16777215]\n"
        );
    }

    #[test]
    fn zero_prints_like_c_alternate_form_without_prefix() {
        let zeros = NamespaceInfo {
            id: 0,
            data: Some(0),
            wide: Some(0),
            schema: Some(0),
        };
        assert_eq!(
            namespace_text(&zeros),
            "namespace 0 [schema 0], data 0000000000, wide 000000000000000000\n"
        );
        assert_eq!(
            namespaces(&[zeros], OutputFormat::Json),
            "[{\"namespace\":0,\"schema\":0,\"data\":\"0\",\"wide\":\"0\"}]\n"
        );
    }

    #[test]
    fn namespaces_text_is_one_line_each() {
        assert_eq!(
            namespaces(&[full_namespace(), bare_namespace()], OutputFormat::Text),
            "namespace 123 [schema 777], data 0xdeadbeef, wide 0xcafec0caf00dc0de\nnamespace 5\n"
        );
        assert_eq!(namespaces(&[], OutputFormat::Text), "");
    }

    #[test]
    fn namespaces_json_compact() {
        assert_eq!(
            namespaces(&[full_namespace(), bare_namespace()], OutputFormat::Json),
            "[{\"namespace\":123,\"schema\":777,\"data\":\"deadbeef\",\"wide\":\"0xcafec0caf00dc0de\"},{\"namespace\":5}]\n"
        );
        let small = NamespaceInfo {
            id: 1,
            data: Some(0xab),
            wide: Some(0x1),
            schema: None,
        };
        assert_eq!(
            namespaces(&[small], OutputFormat::Json),
            "[{\"namespace\":1,\"data\":\"ab\",\"wide\":\"0x1\"}]\n"
        );
    }

    #[test]
    fn namespaces_json_pretty() {
        let expected = "[ {
        \"namespace\": 123,
        \"schema\": 777,
        \"data\": \"deadbeef\",
        \"wide\": \"0xcafec0caf00dc0de\"
    },{
        \"namespace\": 5
    } ]
";
        assert_eq!(
            namespaces(
                &[full_namespace(), bare_namespace()],
                OutputFormat::PrettyJson
            ),
            expected
        );
    }

    #[test]
    fn empty_lists_in_json() {
        assert_eq!(namespaces(&[], OutputFormat::Json), "[]\n");
        assert_eq!(namespaces(&[], OutputFormat::PrettyJson), "[ ]\n");
        assert_eq!(schemas(&[], OutputFormat::Json), "[]\n");
        assert_eq!(schemas(&[], OutputFormat::PrettyJson), "[ ]\n");
    }

    #[test]
    fn namespaces_json_parses_as_json() {
        let text = namespaces(&[full_namespace(), bare_namespace()], OutputFormat::Json);
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed[0]["namespace"], 123);
        assert_eq!(parsed[0]["schema"], 777);
        assert_eq!(parsed[0]["data"], "deadbeef");
        assert_eq!(parsed[0]["wide"], "0xcafec0caf00dc0de");
        assert!(parsed[1].get("data").is_none());
    }

    #[test]
    fn schema_text_with_and_without_namespace() {
        assert_eq!(
            schema_text(&bound_schema()),
            "schema 777 [namespace 123], data: 73 6f 6d 65\n"
        );
        assert_eq!(
            schema_text(&padded_schema()),
            "schema 9, data: 61 62 63 64 65 00 00 00\n"
        );
    }

    #[test]
    fn schema_text_without_data() {
        let empty = SchemaInfo {
            id: 1,
            ..SchemaInfo::default()
        };
        assert_eq!(schema_text(&empty), "schema 1, data:\n");
    }

    #[test]
    fn schemas_text_is_one_line_each() {
        assert_eq!(
            schemas(&[padded_schema(), bound_schema()], OutputFormat::Text),
            "schema 9, data: 61 62 63 64 65 00 00 00\nschema 777 [namespace 123], data: 73 6f 6d 65\n"
        );
    }

    #[test]
    fn schemas_json_compact_repeats_the_empty_key_like_ip() {
        assert_eq!(
            schemas(&[padded_schema(), bound_schema()], OutputFormat::Json),
            "[{\"schema\":9,\"data\":null,\"\":97,\"\":98,\"\":99,\"\":100,\"\":101,\"\":0,\"\":0,\"\":0},\
             {\"schema\":777,\"namespace\":123,\"data\":null,\"\":115,\"\":111,\"\":109,\"\":101}]\n"
        );
    }

    #[test]
    fn schemas_json_pretty() {
        let expected = "[ {
        \"schema\": 777,
        \"namespace\": 123,
        \"data\": null,
        \"\": 115,
        \"\": 111,
        \"\": 109,
        \"\": 101
    } ]
";
        assert_eq!(
            schemas(&[bound_schema()], OutputFormat::PrettyJson),
            expected
        );
    }

    #[test]
    fn schemas_json_parses_as_json() {
        let text = schemas(&[bound_schema()], OutputFormat::PrettyJson);
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed[0]["schema"], 777);
        assert_eq!(parsed[0]["namespace"], 123);
        assert!(parsed[0]["data"].is_null());
    }
}
