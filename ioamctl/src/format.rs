//! Text and JSON output of `show`, byte for byte as `ip ioam` prints it
//! (`print_namespace` and `print_schema` in iproute2's `ip/ipioam6.c`), and of the
//! module's own `stats` and `interface show`.

use ioam_uapi::stat;
use ioam_wire::timestamp::TsFormat;

use crate::route::RouteInfo;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::ip_json;

/// One namespace as a dump reports it. `data` and `wide` are absent when the kernel
/// left them out, which it does for values the user never set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub id: u16,
    pub data: Option<u32>,
    pub wide: Option<u64>,
    /// The schema bound to this namespace, if any.
    pub schema: Option<u32>,
    /// `NS_TSFORMAT` as sent: absent for POSIX.
    pub tsformat: Option<u8>,
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
pub(crate) fn c_alternate_hex(value: u64, width: usize) -> String {
    if value == 0 {
        "0".repeat(width)
    } else {
        format!("{value:#0width$x}")
    }
}

/// A timestamp format's name, or its number for one this version does not know.
pub fn tsformat_name(format: u8) -> String {
    TsFormat::from_u8(format).map_or_else(|| format!("tsformat_{format}"), |f| f.name().to_owned())
}

/// `namespace 123 [schema 777], data 0xdeadbeef, wide 0xcafec0caf00dc0de` and a newline, then
/// `, tsformat ptp` for a format other than POSIX.
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
    if let Some(format) = namespace.tsformat {
        line.push_str(&format!(", tsformat {}", tsformat_name(format)));
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

/// One namespace object with the keys and types of `ip -j ioam namespace show`:
/// `namespace` and `schema` are numbers, `data` is a hex string without `0x` (`print_hex`),
/// `wide` a hex string with `0x` (`print_0xhex`).
#[derive(Serialize)]
struct NamespaceJson {
    namespace: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wide: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tsformat: Option<String>,
}

impl From<&NamespaceInfo> for NamespaceJson {
    fn from(namespace: &NamespaceInfo) -> Self {
        Self {
            namespace: namespace.id,
            schema: namespace.schema,
            data: namespace.data.map(|data| format!("{data:x}")),
            // "%#llx": no prefix for zero.
            wide: namespace.wide.map(|wide| match wide {
                0 => "0".to_owned(),
                _ => format!("{wide:#x}"),
            }),
            tsformat: namespace.tsformat.map(tsformat_name),
        }
    }
}

/// One schema object as `ip -j ioam schema show` writes it: `"data": null` followed by one
/// `"": BYTE` member per data byte. Duplicate keys are what iproute2 emits; they are kept so
/// that output can be compared with `ip -j` byte for byte (hence no derived `Serialize`).
struct SchemaJson<'a>(&'a SchemaInfo);

impl Serialize for SchemaJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let schema = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("schema", &schema.id)?;
        if let Some(namespace) = schema.namespace {
            map.serialize_entry("namespace", &namespace)?;
        }
        map.serialize_entry("data", &())?;
        for byte in &schema.data {
            map.serialize_entry("", byte)?;
        }
        map.end()
    }
}

/// The whole output of `namespace show`: one line each, or one JSON array.
pub fn namespaces(list: &[NamespaceInfo], format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => list.iter().map(namespace_text).collect(),
        json => ip_json::to_string(
            &list.iter().map(NamespaceJson::from).collect::<Vec<_>>(),
            json == OutputFormat::PrettyJson,
        ),
    }
}

/// The whole output of `schema show`: one line each, or one JSON array.
/// `encap ioam6` routes: one line each as `ip -6 route` prints them, or a JSON array.
pub fn routes(list: &[RouteInfo], format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => list.iter().map(|route| route.line() + "\n").collect(),
        json => ip_json::to_string(list, json == OutputFormat::PrettyJson),
    }
}

pub fn schemas(list: &[SchemaInfo], format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => list.iter().map(schema_text).collect(),
        json => ip_json::to_string(
            &list.iter().map(SchemaJson).collect::<Vec<_>>(),
            json == OutputFormat::PrettyJson,
        ),
    }
}

/// The counters and event limits of a network namespace, as `DUMP_STATS` reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsInfo {
    /// Counter attribute number and value, in the order received.
    pub counters: Vec<(u16, u64)>,
    pub event_rate: Option<u32>,
    pub event_burst: Option<u32>,
    pub loopback_rate: Option<u32>,
    pub loopback_burst: Option<u32>,
    pub export_rate: Option<u32>,
    pub export_burst: Option<u32>,
}

impl StatsInfo {
    /// Name and value of every counter: those of [`stat::NAMES`] in that order, then
    /// those this version does not know, as `stat_<n>`, in the order received. A
    /// counter sent twice counts once, with its first value.
    pub fn named_counters(&self) -> Vec<(String, u64)> {
        let known = stat::NAMES.iter().filter_map(|(kind, name)| {
            self.counter(*kind).map(|value| ((*name).to_owned(), value))
        });
        let mut unknown: Vec<(u16, u64)> = Vec::new();
        for (kind, value) in &self.counters {
            let is_known = stat::NAMES.iter().any(|(known, _)| known == kind);
            if !is_known && !unknown.iter().any(|(seen, _)| seen == kind) {
                unknown.push((*kind, *value));
            }
        }
        known
            .chain(
                unknown
                    .into_iter()
                    .map(|(kind, value)| (format!("stat_{kind}"), value)),
            )
            .collect()
    }
}

impl StatsInfo {
    /// The value of counter `kind` (a [`stat`] number), its first if sent twice.
    pub fn counter(&self, kind: u16) -> Option<u64> {
        self.counters
            .iter()
            .find(|(counter, _)| *counter == kind)
            .map(|(_, value)| *value)
    }

    /// Name and value of each limit the kernel reported, in the order `stats` prints them.
    pub fn named_limits(&self) -> Vec<(&'static str, u32)> {
        [
            ("event_rate", self.event_rate),
            ("event_burst", self.event_burst),
            ("loopback_rate", self.loopback_rate),
            ("loopback_burst", self.loopback_burst),
            ("export_rate", self.export_rate),
            ("export_burst", self.export_burst),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect()
    }
}

/// The output of `stats`: `name value` per line, counters then `event_rate`, `event_burst`,
/// `loopback_rate`, `loopback_burst`, `export_rate` and `export_burst`; or one JSON object
/// with the same names as keys and numbers as values.
pub fn stats(info: &StatsInfo, format: OutputFormat) -> String {
    let mut entries = info.named_counters();
    for (name, value) in info.named_limits() {
        entries.push((name.to_owned(), value.into()));
    }
    if format == OutputFormat::Text {
        return entries
            .iter()
            .map(|(name, value)| format!("{name} {value}\n"))
            .collect();
    }
    // A map in the order of the entries (serde_json's own map would sort the names).
    struct Entries<'a>(&'a [(String, u64)]);
    impl Serialize for Entries<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
        }
    }
    ip_json::to_string(&Entries(&entries), format == OutputFormat::PrettyJson)
}

/// One interface as `DUMP_INTERFACES` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceInfo {
    pub ifindex: u32,
    /// `IF_ENABLED`, if the kernel sent it; the dump lists interfaces whose switch is
    /// on, so its absence means on.
    pub enabled: Option<bool>,
}

impl InterfaceInfo {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

/// The name of interface `ifindex` from `name_of`, or `if<N>` if it has none (the
/// interface went away, or lives in another network namespace).
fn interface_name(ifindex: u32, name_of: &dyn Fn(u32) -> Option<String>) -> String {
    name_of(ifindex).unwrap_or_else(|| format!("if{ifindex}"))
}

/// The output of `interface show`: `dev eth0 ifindex 3 ioam on` per line, or a JSON
/// array of `{"dev":"eth0","ifindex":3,"ioam":true}`.
pub fn interfaces(
    list: &[InterfaceInfo],
    format: OutputFormat,
    name_of: &dyn Fn(u32) -> Option<String>,
) -> String {
    if format == OutputFormat::Text {
        return list
            .iter()
            .map(|interface| {
                format!(
                    "dev {} ifindex {} ioam {}\n",
                    interface_name(interface.ifindex, name_of),
                    interface.ifindex,
                    if interface.is_enabled() { "on" } else { "off" }
                )
            })
            .collect();
    }
    #[derive(Serialize)]
    struct InterfaceJson {
        dev: String,
        ifindex: u32,
        ioam: bool,
    }
    let list: Vec<InterfaceJson> = list
        .iter()
        .map(|interface| InterfaceJson {
            dev: interface_name(interface.ifindex, name_of),
            ifindex: interface.ifindex,
            ioam: interface.is_enabled(),
        })
        .collect();
    ip_json::to_string(&list, format == OutputFormat::PrettyJson)
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
            tsformat: None,
        }
    }

    #[test]
    fn timestamp_formats_other_than_posix_are_shown() {
        let ptp = NamespaceInfo {
            tsformat: Some(1),
            ..bare_namespace()
        };
        assert_eq!(namespace_text(&ptp), "namespace 5, tsformat ptp\n");
        assert_eq!(
            namespaces(&[ptp], OutputFormat::Json),
            "[{\"namespace\":5,\"tsformat\":\"ptp\"}]\n"
        );
        let unknown = NamespaceInfo {
            tsformat: Some(9),
            ..bare_namespace()
        };
        assert_eq!(
            namespace_text(&unknown),
            "namespace 5, tsformat tsformat_9\n"
        );
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
            tsformat: None,
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
            tsformat: None,
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

    fn some_stats() -> StatsInfo {
        StatsInfo {
            counters: vec![
                (stat::EVENTS_SENT, 5),
                (stat::TRACE_FILLED, 12),
                (99, 7),
                (stat::TRACE_FILLED, 13),
                (42, 1),
                (99, 8),
            ],
            event_rate: Some(1000),
            event_burst: Some(50),
            ..StatsInfo::default()
        }
    }

    #[test]
    fn stats_text_in_names_order_then_unknown_then_limits() {
        assert_eq!(
            stats(&some_stats(), OutputFormat::Text),
            "trace_filled 12\nevents_sent 5\nstat_99 7\nstat_42 1\nevent_rate 1000\nevent_burst 50\n"
        );
        assert_eq!(stats(&StatsInfo::default(), OutputFormat::Text), "");
    }

    #[test]
    fn stats_text_with_every_counter() {
        let info = StatsInfo {
            counters: stat::NAMES
                .iter()
                .rev()
                .map(|(kind, _)| (*kind, u64::from(*kind) * 10))
                .collect(),
            event_rate: Some(1),
            event_burst: Some(u32::MAX),
            loopback_rate: Some(100),
            loopback_burst: Some(7),
            export_rate: Some(100_000),
            export_burst: Some(5000),
        };
        let text = stats(&info, OutputFormat::Text);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), stat::NAMES.len() + 6);
        assert_eq!(lines[0], "trace_filled 20");
        assert_eq!(lines[1], "trace_inserted 190");
        assert_eq!(lines[3], "dex_received 210");
        assert_eq!(lines[19], "encap_dropped 180");
        assert_eq!(lines[20], "loopback_marked 220");
        assert_eq!(lines[26], "active_terminated 280");
        assert_eq!(lines[27], "egress_completed 290");
        assert_eq!(lines[28], "export_sent 300");
        assert_eq!(lines[29], "export_batches 310");
        assert_eq!(lines[30], "export_rate_limited 320");
        assert_eq!(lines[31], "export_failed 330");
        assert_eq!(lines[32], "event_rate 1");
        assert_eq!(lines[33], "event_burst 4294967295");
        assert_eq!(lines[34], "loopback_rate 100");
        assert_eq!(lines[35], "loopback_burst 7");
        assert_eq!(lines[36], "export_rate 100000");
        assert_eq!(lines[37], "export_burst 5000");
    }

    #[test]
    fn stats_json() {
        assert_eq!(
            stats(&some_stats(), OutputFormat::Json),
            "{\"trace_filled\":12,\"events_sent\":5,\"stat_99\":7,\"stat_42\":1,\
             \"event_rate\":1000,\"event_burst\":50}\n"
        );
        let info = StatsInfo {
            counters: vec![(stat::ENCAP_DROPPED, u64::MAX)],
            event_rate: None,
            event_burst: None,
            ..StatsInfo::default()
        };
        assert_eq!(
            stats(&info, OutputFormat::PrettyJson),
            "{\n    \"encap_dropped\": 18446744073709551615\n}\n"
        );
        assert_eq!(stats(&StatsInfo::default(), OutputFormat::Json), "{}\n");
        let parsed: serde_json::Value =
            serde_json::from_str(&stats(&some_stats(), OutputFormat::PrettyJson)).expect("JSON");
        assert_eq!(parsed["event_burst"], 50);
        let limits = StatsInfo {
            loopback_burst: Some(10),
            export_rate: Some(2000),
            export_burst: Some(300),
            ..StatsInfo::default()
        };
        assert_eq!(
            stats(&limits, OutputFormat::Json),
            "{\"loopback_burst\":10,\"export_rate\":2000,\"export_burst\":300}\n"
        );
    }

    fn names(ifindex: u32) -> Option<String> {
        match ifindex {
            1 => Some("lo".to_owned()),
            3 => Some("veth0".to_owned()),
            _ => None,
        }
    }

    fn some_interfaces() -> Vec<InterfaceInfo> {
        vec![
            InterfaceInfo {
                ifindex: 3,
                enabled: None,
            },
            InterfaceInfo {
                ifindex: 7,
                enabled: Some(true),
            },
            InterfaceInfo {
                ifindex: 1,
                enabled: Some(false),
            },
        ]
    }

    #[test]
    fn interfaces_text() {
        assert_eq!(
            interfaces(&some_interfaces(), OutputFormat::Text, &names),
            "dev veth0 ifindex 3 ioam on\ndev if7 ifindex 7 ioam on\ndev lo ifindex 1 ioam off\n"
        );
        assert_eq!(interfaces(&[], OutputFormat::Text, &names), "");
    }

    #[test]
    fn interfaces_json() {
        assert_eq!(
            interfaces(&some_interfaces(), OutputFormat::Json, &names),
            "[{\"dev\":\"veth0\",\"ifindex\":3,\"ioam\":true},\
             {\"dev\":\"if7\",\"ifindex\":7,\"ioam\":true},\
             {\"dev\":\"lo\",\"ifindex\":1,\"ioam\":false}]\n"
        );
        assert_eq!(interfaces(&[], OutputFormat::Json, &names), "[]\n");
        assert_eq!(
            interfaces(&some_interfaces()[..1], OutputFormat::PrettyJson, &names),
            "[ {\n        \"dev\": \"veth0\",\n        \"ifindex\": 3,\n        \"ioam\": true\n    } ]\n"
        );
    }
}
