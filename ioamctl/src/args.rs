//! The command line: `ip ioam`'s grammar, and that of the module's own objects
//! (`stats`, `interface`, `events`, `loopback`, `export`), read into a [`Command`].
//!
//! clap gives the command tree, `--help` and `--version`; the derived types below are that
//! tree, and [`parse_with`] walks clap's matches the same way for every object (its verbs
//! come from the tree), then dispatches `(object, verb)` in one place. The words after each leaf
//! command (`ID`, `data DATA32`, ...) are keyword arguments in iproute2's style, so clap
//! hands them over raw and this module reads them, to report a mistake in one line that
//! names the argument and the expected form, as `ip` does, rather than a clap usage block.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use clap::{error::ErrorKind, ArgMatches, Args, CommandFactory, Parser, Subcommand};
use ioam_uapi::{EVENT_LIMIT_MAX, SCHEMA_DATA_MAX, SCHEMA_ID_MAX};
use ioam_wire::timestamp::TsFormat;

use crate::format::OutputFormat;
use crate::number::{parse_c_unsigned, Base};
use crate::route::{Prefix, Route};
use crate::route_args::{prefix, route_add};

/// One request to the kernel, with every argument checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    ShowNamespaces,
    AddNamespace {
        id: u16,
        data: Option<u32>,
        wide: Option<u64>,
        /// The timestamp format (RFC 9197 §5); `None`: the default, POSIX.
        tsformat: Option<TsFormat>,
    },
    DelNamespace {
        id: u16,
    },
    /// Bind `schema` to namespace `id`, or unbind its schema when `schema` is `None`.
    SetNamespaceSchema {
        id: u16,
        schema: Option<u32>,
    },
    ShowSchemas,
    AddSchema {
        id: u32,
        data: Vec<u8>,
    },
    DelSchema {
        id: u32,
    },
    /// Print trace events until killed: those of the `ioam6_events` group, one a message,
    /// or with `export` those of the `ioam6_export` group, many a message.
    Monitor {
        export: bool,
    },
    ShowStats,
    ShowInterfaces,
    /// Turn the module's own IOAM switch of interface `ifindex` on or off.
    SetInterface {
        ifindex: u32,
        enabled: bool,
    },
    /// Set the trace-event rate limit: `rate` events per second, bursts of `burst`.
    SetEventLimit {
        rate: u32,
        burst: u32,
    },
    /// Set the loopback rate limit (RFC 9322): `rate` packets marked or copies sent per
    /// second, bursts of `burst`.
    SetLoopbackLimit {
        rate: u32,
        burst: u32,
    },
    /// Set the export rate limit: `rate` events batched for exporters per second, bursts of
    /// `burst`.
    SetExportLimit {
        rate: u32,
        burst: u32,
    },
    /// Add an `encap ioam6` route, or replace the route to its prefix.
    AddRoute {
        route: Route,
        replace: bool,
    },
    /// Delete the route to a prefix.
    DelRoute {
        prefix: Prefix,
    },
    /// List the `encap ioam6` routes (to `prefix` only, if given).
    ShowRoutes {
        prefix: Option<Prefix>,
    },
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Only `show`, `stats` and `monitor` print anything; the other commands ignore
    /// this, as `ip` does. `monitor` writes compact JSON whatever `-p` says.
    pub format: OutputFormat,
    pub command: Command,
}

/// Why the command line does not lead to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseFailure {
    /// `--help` or `--version`: print this on standard output and succeed.
    Info(String),
    /// No command at all: print this usage on standard error and fail, as `ip ioam` does.
    Usage(String),
    /// A bad argument: print `ioamctl: ` and this one line on standard error and fail.
    Invalid(String),
}

fn namespace_id_range() -> String {
    format!("an integer 0..{}", u16::MAX)
}

fn schema_id_range() -> String {
    format!("an integer 0..{SCHEMA_ID_MAX} (0xffffff means no schema)")
}

fn data32_range() -> String {
    format!("an integer 0..{} (32 bits)", u32::MAX)
}

const DATA64_FORM: &str = "a hexadecimal integer 0..ffffffffffffffff, 0x prefix optional";

fn schema_data_form() -> String {
    format!("a string of 1..{SCHEMA_DATA_MAX} bytes")
}

fn event_limit_range() -> String {
    format!("an integer 1..{EVENT_LIMIT_MAX}")
}

fn after_help() -> String {
    format!(
        "\
Commands, arguments and output are those of `ip ioam` (ip-ioam(8)):
  ioamctl [-j [-p]] namespace show
  ioamctl namespace add ID [data DATA32] [wide DATA64] [tsformat {{posix | ptp | ntp}}]
  ioamctl namespace del ID
  ioamctl namespace set ID schema {{SCHEMA_ID | none}}
  ioamctl [-j [-p]] schema show
  ioamctl schema add ID DATA
  ioamctl schema del ID
  ioamctl [-j] monitor
\"ns\" is short for \"namespace\".
Commands of the ioam_rs module's own:
  ioamctl [-j [-p]] stats [show]
  ioamctl [-j [-p]] interface [show]
  ioamctl interface {{enable | disable}} DEV
  ioamctl events limit rate RATE burst BURST
  ioamctl loopback limit rate RATE burst BURST
  ioamctl export limit rate RATE burst BURST
  ioamctl [-j] monitor --export
  ioamctl [-j [-p]] route [show [PREFIX]]
  ioamctl route {{add | replace}} PREFIX encap ioam6 [freq K/N] [mode MODE]
          [tunsrc ADDR] [tundst ADDR] {{trace {{prealloc type TYPE ns NS size SIZE |
          incremental type TYPE ns NS maxlen LEN}} [loopback] [active] |
          dex type TYPE ns NS [flowid ID] [seqnum]}} [via ADDR] [dev DEV]
  ioamctl route del PREFIX

Namespace ID: {ns_id}. DATA32: {data32}.
Both are decimal, 0x-prefixed hex or 0-prefixed octal, as ip reads them.
DATA64: {data64} (\"wide 10\" is 0x10).
Schema ID and SCHEMA_ID: {schema_id}. DATA: {schema_data}.
DEV: an interface name. RATE (trace events, loopback packets marked or copied,
or events batched for exporters, per second) and BURST: {limit}, in the same
bases.

monitor prints one line per trace event, as `ip ioam monitor` does, until
interrupted (SIGINT or SIGTERM: status 0); with -j one JSON object per line.
monitor --export reads the events batched for exporters instead (within the
export limit, not the events limit) and prints each the same way.

Exit status: 0 success; 1 bad arguments (nothing was sent) or the ioam_rs module
is not loaded; 2 the kernel refused the request (the message is the kernel's
extended ack, if any, then strerror) or netlink failed.",
        ns_id = namespace_id_range(),
        data32 = data32_range(),
        data64 = DATA64_FORM,
        schema_id = schema_id_range(),
        schema_data = schema_data_form(),
        limit = event_limit_range(),
    )
}

#[derive(Debug, Parser)]
#[command(
    name = "ioamctl",
    version,
    about = "Configure the IOAM namespaces, schemas and interfaces of the ioam_rs kernel module, \
             like `ip ioam`, and watch its trace events and counters",
    after_help = after_help(),
    subcommand_value_name = "OBJECT",
    subcommand_help_heading = "Objects"
)]
struct Cli {
    /// Print `show`, `stats` and `monitor` output as JSON, like `ip -j ioam`
    #[arg(short = 'j', long = "json")]
    json: bool,

    /// Indent JSON output, like `ip -j -p ioam`
    #[arg(short = 'p', long = "pretty")]
    pretty: bool,

    #[command(subcommand)]
    object: Option<Object>,
}

#[derive(Debug, Subcommand)]
enum Object {
    /// IOAM namespaces: show, add, del, set
    #[command(visible_alias = "ns", subcommand_value_name = "COMMAND")]
    Namespace {
        #[command(subcommand)]
        action: Option<NamespaceAction>,
    },
    /// IOAM schemas: show, add, del
    #[command(subcommand_value_name = "COMMAND")]
    Schema {
        #[command(subcommand)]
        action: Option<SchemaAction>,
    },
    /// Print trace events as they happen, like `ip ioam monitor`
    #[command(
        override_usage = "ioamctl [-j] monitor [--export]",
        after_help = "--export: read the events batched for exporters (the ioam6_export group, \
                      within `ioamctl export limit`) rather than the per-event messages \
                      `ip ioam monitor` reads (ioam6_events, within `ioamctl events limit`); \
                      each event is printed the same way."
    )]
    Monitor(Words),
    /// The module's counters and rate limits: show (the default)
    #[command(subcommand_value_name = "COMMAND")]
    Stats {
        #[command(subcommand)]
        action: Option<StatsAction>,
    },
    /// The module's own IOAM switch of each interface: show (the default), enable, disable
    #[command(subcommand_value_name = "COMMAND")]
    Interface {
        #[command(subcommand)]
        action: Option<InterfaceAction>,
    },
    /// The trace-event rate limit: limit
    #[command(subcommand_value_name = "COMMAND")]
    Events {
        #[command(subcommand)]
        action: Option<EventsAction>,
    },
    /// The loopback rate limit (RFC 9322): limit
    #[command(subcommand_value_name = "COMMAND")]
    Loopback {
        #[command(subcommand)]
        action: Option<LoopbackAction>,
    },
    /// The rate limit of events batched for exporters (`monitor --export`, ioam-exporter):
    /// limit
    #[command(subcommand_value_name = "COMMAND")]
    Export {
        #[command(subcommand)]
        action: Option<ExportAction>,
    },
    /// IPv6 routes that insert IOAM (`encap ioam6`), Incremental Trace included: show
    /// (the default), add, replace, del
    #[command(subcommand_value_name = "COMMAND")]
    Route {
        #[command(subcommand)]
        action: Option<RouteAction>,
    },
    /// Anything else, reported by [`parse`] in its own words.
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum StatsAction {
    /// List counters, then the event, loopback and export rates and bursts
    #[command(override_usage = "ioamctl [-j [-p]] stats [show]")]
    Show(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum InterfaceAction {
    /// List the interfaces whose switch is on
    #[command(override_usage = "ioamctl [-j [-p]] interface [show]")]
    Show(Words),
    /// Turn the module's IOAM processing of interface DEV on
    #[command(override_usage = "ioamctl interface enable DEV")]
    Enable(Words),
    /// Turn the module's IOAM processing of interface DEV off
    #[command(override_usage = "ioamctl interface disable DEV")]
    Disable(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum EventsAction {
    /// Allow RATE trace events per second, in bursts of up to BURST
    #[command(override_usage = "ioamctl events limit rate RATE burst BURST")]
    Limit(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum LoopbackAction {
    /// Allow RATE loopback packets (marked as encapsulating node, or copied back as transit
    /// node) per second, in bursts of up to BURST
    #[command(override_usage = "ioamctl loopback limit rate RATE burst BURST")]
    Limit(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum ExportAction {
    /// Allow RATE events per second into the exporters' batches, in bursts of up to BURST;
    /// separate from the events limit, which the per-event messages of `monitor` keep
    #[command(override_usage = "ioamctl export limit rate RATE burst BURST")]
    Limit(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum RouteAction {
    /// List the encap ioam6 routes of the main table, or the one to PREFIX
    #[command(override_usage = "ioamctl [-j [-p]] route show [PREFIX]")]
    Show(Words),
    /// Add a route to PREFIX that inserts IOAM
    #[command(
        override_usage = "ioamctl route add PREFIX encap ioam6 [freq K/N] \
                          [mode {inline | encap | auto}] [tunsrc ADDR] [tundst ADDR] \
                          {trace {prealloc type TYPE ns NS size SIZE | \
                          incremental type TYPE ns NS maxlen LEN} [loopback] [active] | \
                          dex type TYPE ns NS [flowid ID] [seqnum]} [via ADDR] [dev DEV]",
        after_help = ROUTE_HELP
    )]
    Add(Words),
    /// Add or replace the route to PREFIX, as add
    #[command(
        override_usage = "ioamctl route replace PREFIX encap ioam6 ... (as route add)",
        after_help = ROUTE_HELP
    )]
    Replace(Words),
    /// Delete the route to PREFIX
    #[command(override_usage = "ioamctl route del PREFIX")]
    Del(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

const ROUTE_HELP: &str = "\
The words of `ip -6 route ... encap ioam6` (ip-route(8)), plus the Incremental
Trace (RFC 9197 section 4.4), which iproute2 cannot express: each node inserts its
data into the option, up to LEN bytes in all (the encapsulating node's included).
`ip -6 route` shows such a route as \"encap ioam6\" alone.
dex inserts a Direct Export option (RFC 9326) instead: no node data in the packet,
each node exports what TYPE names; flowid ID sends the Flow ID, seqnum a Sequence
Number counting the route's DEX packets from 0. Also shown by `ip -6 route` as
\"encap ioam6\" alone.
After a trace, RFC 9322's flags: loopback asks every later node for a copy back
(TYPE 0x800000 only; within `ioamctl loopback limit`), active makes the
destination terminate the packets.
TYPE: the 24-bit trace type (0x800000 is bit 0). NS: the IOAM namespace id.
SIZE, LEN: a multiple of 4 between 4 and 244 (bytes).";

#[derive(Debug, Subcommand)]
enum NamespaceAction {
    /// List namespaces: id, bound schema, data and wide data
    #[command(override_usage = "ioamctl [-j [-p]] namespace show")]
    Show(Words),
    /// Add namespace ID with optional 32-bit and 64-bit data and timestamp format
    #[command(
        override_usage = "ioamctl namespace add ID [data DATA32] [wide DATA64] \
                          [tsformat {posix | ptp | ntp}]",
        after_help = "DATA64 is always hexadecimal: \"wide 10\" is 0x10. tsformat: how \
                      timestamps are written (RFC 9197 section 5): posix (the default, \
                      seconds and microseconds), ptp (TAI seconds and nanoseconds) or ntp."
    )]
    Add(Words),
    /// Delete namespace ID
    #[command(override_usage = "ioamctl namespace del ID")]
    Del(Words),
    /// Bind a schema to namespace ID, or unbind it with "none"
    #[command(override_usage = "ioamctl namespace set ID schema {SCHEMA_ID | none}")]
    Set(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

#[derive(Debug, Subcommand)]
enum SchemaAction {
    /// List schemas: id, bound namespace and data bytes
    #[command(override_usage = "ioamctl [-j [-p]] schema show")]
    Show(Words),
    /// Add schema ID whose data is the bytes of the string DATA
    #[command(override_usage = "ioamctl schema add ID DATA")]
    Add(Words),
    /// Delete schema ID
    #[command(override_usage = "ioamctl schema del ID")]
    Del(Words),
    #[command(external_subcommand)]
    Unknown(
        #[expect(dead_code, reason = "parse_with reads every word through ArgMatches")]
        Vec<OsString>,
    ),
}

/// The raw words after a leaf command, read by this module rather than by clap.
#[derive(Debug, Args)]
struct Words {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    words: Vec<OsString>,
}

/// Reads a whole command line, program name first; `DEV` names interfaces of the
/// current network namespace.
pub fn parse<I, T>(args: I) -> Result<Invocation, ParseFailure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    parse_with(args, crate::device::index_of)
}

/// [`parse`], finding the index of an interface with `index_of`.
pub fn parse_with<I, T>(
    args: I,
    index_of: fn(&OsStr) -> Option<u32>,
) -> Result<Invocation, ParseFailure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args = accept_ip_style_options(args.into_iter().map(Into::into).collect());
    let matches =
        Cli::command()
            .try_get_matches_from(args)
            .map_err(|error| match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    ParseFailure::Info(error.to_string())
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    ParseFailure::Usage(error.to_string())
                }
                _ => ParseFailure::Invalid(clap_error_line(&error)),
            })?;
    let format = match (matches.get_flag("json"), matches.get_flag("pretty")) {
        (false, _) => OutputFormat::Text,
        (true, false) => OutputFormat::Json,
        (true, true) => OutputFormat::PrettyJson,
    };
    let Some((object, object_matches)) = matches.subcommand() else {
        return Err(ParseFailure::Usage(help_text(&[])));
    };
    let (verb, words) = leaf(object, object_matches)?;
    let mut words = words.iter();
    let words = &mut words;
    let command = match (object, verb) {
        ("namespace", "show") => show(words, "namespace show", Command::ShowNamespaces)?,
        ("namespace", "add") => namespace_add(words)?,
        ("namespace", "del") => namespace_del(words)?,
        ("namespace", _) => namespace_set(words)?,
        ("schema", "show") => show(words, "schema show", Command::ShowSchemas)?,
        ("schema", "add") => schema_add(words)?,
        ("schema", _) => schema_del(words)?,
        ("monitor", _) => monitor(words)?,
        ("stats", _) => show(words, "stats show", Command::ShowStats)?,
        ("interface", "show") => show(words, "interface show", Command::ShowInterfaces)?,
        ("interface", _) => interface_switch(verb, words, index_of)?,
        ("route", "show") => route_show(words)?,
        ("route", "add" | "replace") => Command::AddRoute {
            route: route_add(words, verb, index_of)?,
            replace: verb == "replace",
        },
        ("route", _) => {
            let prefix = prefix(words, "route del")?;
            expect_end(words, "route del PREFIX")?;
            Command::DelRoute { prefix }
        }
        ("loopback", _) => {
            let (rate, burst) = limit(words, "loopback limit")?;
            Command::SetLoopbackLimit { rate, burst }
        }
        ("export", _) => {
            let (rate, burst) = limit(words, "export limit")?;
            Command::SetExportLimit { rate, burst }
        }
        _ => {
            let (rate, burst) = limit(words, "events limit")?;
            Command::SetEventLimit { rate, burst }
        }
    };
    Ok(Invocation { format, command })
}

/// The verb given after `object` (or its default) and the words after that verb; for an
/// object without verbs (`monitor`), the object itself and the words after it. Reads the
/// verbs from the clap command tree, so every object is dispatched the same way.
fn leaf<'a>(
    object: &'a str,
    matches: &'a ArgMatches,
) -> Result<(&'a str, Vec<OsString>), ParseFailure> {
    let tree = Cli::command();
    let Some(object_command) = tree.find_subcommand(object) else {
        // clap's external subcommand: `object` is the unknown word.
        return Err(ParseFailure::Invalid(format!(
            "unknown object {}: expected \"namespace\" (or \"ns\"), \"schema\", \"monitor\", \
             \"stats\", \"interface\", \"events\", \"loopback\", \"export\" or \"route\"",
            quoted(OsStr::new(object))
        )));
    };
    let verbs: Vec<&str> = object_command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    let (verb, words, help_path) = if verbs.is_empty() {
        (object, words_of(matches), vec![object])
    } else {
        let (verb, words) = match matches.subcommand() {
            Some((verb, verb_matches)) if verbs.contains(&verb) => (verb, words_of(verb_matches)),
            Some((word, _)) => {
                return Err(ParseFailure::Invalid(format!(
                    "unknown command {} after {object}: expected {}",
                    quoted(OsStr::new(word)),
                    one_of(&verbs)
                )))
            }
            None => match default_verb(object) {
                Some(verb) => (verb, Vec::new()),
                None => {
                    return Err(ParseFailure::Invalid(format!(
                        "\"{object}\" needs a command: {}",
                        one_of(&verbs)
                    )))
                }
            },
        };
        (verb, words, vec![object, verb])
    };
    if asks_for_help(&words) {
        return Err(ParseFailure::Info(help_text(&help_path)));
    }
    Ok((verb, words))
}

/// The verb an object means when none is given.
fn default_verb(object: &str) -> Option<&'static str> {
    matches!(object, "stats" | "interface" | "route").then_some("show")
}

/// The raw words of a leaf command (see [`Words`]).
fn words_of(matches: &ArgMatches) -> Vec<OsString> {
    matches
        .get_many::<OsString>("words")
        .map(|words| words.cloned().collect())
        .unwrap_or_default()
}

/// `a, b or c`.
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `ip` takes its options in long single-dash form and by any prefix (`-json`, `-js`,
/// `-pretty`, and the same with two dashes); clap knows `-j`/`--json` and `-p`/`--pretty`.
/// Rewrite the former to the latter, before the first word that is not an option.
fn accept_ip_style_options(mut args: Vec<OsString>) -> Vec<OsString> {
    for arg in args.iter_mut().skip(1) {
        let Some(text) = arg.to_str() else { break };
        if !text.starts_with('-') || text == "--" {
            break;
        }
        // `ip` drops the first of two dashes, then matches any prefix of the option.
        let single_dash = if text.starts_with("--") {
            &text[1..]
        } else {
            text
        };
        let is_prefix_of = |option: &str| single_dash.len() >= 2 && option.starts_with(single_dash);
        if is_prefix_of("-json") {
            *arg = "--json".into();
        } else if is_prefix_of("-pretty") {
            *arg = "--pretty".into();
        }
    }
    args
}

/// The first line of a clap error without its `error: ` label, so that every
/// argument mistake takes one line.
fn clap_error_line(error: &clap::Error) -> String {
    let rendered = error.to_string();
    let line = rendered.lines().next().unwrap_or_default();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    format!("{line} (see ioamctl --help)")
}

/// The `--help` text of the command at `path`, e.g. `["namespace", "add"]`.
fn help_text(path: &[&str]) -> String {
    let mut command = Cli::command();
    command.build();
    for name in path {
        match command.find_subcommand(name) {
            Some(subcommand) => command = subcommand.clone(),
            None => break,
        }
    }
    command.render_help().to_string()
}

/// A word as it appears in messages: in double quotes, with control characters escaped.
pub(crate) fn quoted(word: &OsStr) -> String {
    format!("{:?}", word.to_string_lossy())
}

/// A command that takes no arguments.
fn show(words: &mut WordIter, context: &str, command: Command) -> Result<Command, ParseFailure> {
    expect_end(words, context)?;
    Ok(command)
}

/// `monitor [--export]`.
fn monitor(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let export = words
        .as_slice()
        .first()
        .is_some_and(|word| word == "--export");
    if !export {
        return match words.next() {
            Some(word) => Err(ParseFailure::Invalid(stray(
                word,
                "monitor",
                "\"--export\" or nothing more",
                &[],
            ))),
            None => Ok(Command::Monitor { export }),
        };
    }
    words.next();
    expect_end(words, "monitor --export")?;
    Ok(Command::Monitor { export })
}

/// `namespace del ID`.
fn namespace_del(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let id = namespace_id(required(words, "namespace del", &namespace_id_help())?)?;
    expect_end(words, "namespace del ID")?;
    Ok(Command::DelNamespace { id })
}

/// `schema add ID DATA`.
fn schema_add(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let id = schema_id(required(words, "schema add", &schema_id_help())?, false)?;
    let data = schema_data(required(
        words,
        "schema add ID",
        &format!("DATA, {}", schema_data_form()),
    )?)?;
    if let Some(word) = words.next() {
        return Err(ParseFailure::Invalid(format!(
            "unexpected argument {} after schema add ID DATA: expected nothing more \
             (quote DATA if it has spaces)",
            quoted(word)
        )));
    }
    Ok(Command::AddSchema { id, data })
}

/// `route show [PREFIX]`.
fn route_show(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let prefix = match words.clone().next() {
        Some(_) => Some(prefix(words, "route show")?),
        None => None,
    };
    expect_end(words, "route show PREFIX")?;
    Ok(Command::ShowRoutes { prefix })
}

/// `schema del ID`.
fn schema_del(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let id = schema_id(required(words, "schema del", &schema_id_help())?, false)?;
    expect_end(words, "schema del ID")?;
    Ok(Command::DelSchema { id })
}

/// `interface {enable | disable} DEV`.
fn interface_switch(
    verb: &str,
    words: &mut WordIter,
    index_of: fn(&OsStr) -> Option<u32>,
) -> Result<Command, ParseFailure> {
    let device = required(
        words,
        &format!("interface {verb}"),
        "DEV, an interface name",
    )?;
    expect_end(words, &format!("interface {verb} DEV"))?;
    let ifindex = index_of(device)
        .ok_or_else(|| ParseFailure::Invalid(format!("cannot find device {}", quoted(device))))?;
    Ok(Command::SetInterface {
        ifindex,
        enabled: verb == "enable",
    })
}

/// The words after `events limit`, `loopback limit` or `export limit` (`object`): `rate RATE` and
/// `burst BURST`, both needed, in either order.
fn limit(words: &mut WordIter, object: &str) -> Result<(u32, u32), ParseFailure> {
    let mut rate = None;
    let mut burst = None;
    let mut context = String::from(object);
    while let Some(word) = words.next() {
        if word == "rate" && rate.is_none() {
            let value = required(words, "rate", &format!("RATE, {}", event_limit_range()))?;
            rate = Some(event_limit(value, "rate")?);
            context.push_str(" rate RATE");
        } else if word == "burst" && burst.is_none() {
            let value = required(words, "burst", &format!("BURST, {}", event_limit_range()))?;
            burst = Some(event_limit(value, "burst")?);
            context.push_str(" burst BURST");
        } else {
            let message = match (rate, burst) {
                (Some(_), Some(_)) => nothing_more(word, &context),
                (Some(_), None) => stray(word, &context, "\"burst BURST\"", &["rate"]),
                (None, Some(_)) => stray(word, &context, "\"rate RATE\"", &["burst"]),
                (None, None) => stray(word, &context, "\"rate RATE\" or \"burst BURST\"", &[]),
            };
            return Err(ParseFailure::Invalid(message));
        }
    }
    match (rate, burst) {
        (Some(rate), Some(burst)) => Ok((rate, burst)),
        (None, None) => Err(ParseFailure::Invalid(format!(
            "\"{object}\" needs \"rate RATE\" and \"burst BURST\""
        ))),
        (Some(_), None) => Err(ParseFailure::Invalid(format!(
            "{context:?} needs \"burst BURST\""
        ))),
        (None, Some(_)) => Err(ParseFailure::Invalid(format!(
            "{context:?} needs \"rate RATE\""
        ))),
    }
}

/// `get_u32(.., 0)` limited to `1..=EVENT_LIMIT_MAX`; `name` is `rate` or `burst`.
fn event_limit(word: &OsStr, name: &str) -> Result<u32, ParseFailure> {
    number(word, Base::Auto, |value| {
        (1..=EVENT_LIMIT_MAX).contains(value)
    })
    .ok_or_else(|| invalid(name, word, &event_limit_range()))
}

/// `word` as iproute2's `get_u*` reads it in `base`, if it fits `T` and `allowed` says yes.
pub(crate) fn number<T: TryFrom<u64>>(
    word: &OsStr,
    base: Base,
    allowed: impl Fn(&T) -> bool,
) -> Option<T> {
    parse_c_unsigned(word.as_bytes(), base)
        .and_then(|value| T::try_from(value).ok())
        .filter(allowed)
}

/// `invalid WHAT "WORD": expected EXPECTED`.
pub(crate) fn invalid(what: &str, word: &OsStr, expected: &str) -> ParseFailure {
    ParseFailure::Invalid(format!(
        "invalid {what} {}: expected {expected}",
        quoted(word)
    ))
}

/// `--help` or `-h` right after a leaf command. Later on, such a word is an argument
/// like any other (schema data may well be "-h").
fn asks_for_help(words: &[OsString]) -> bool {
    words
        .first()
        .is_some_and(|word| word == "--help" || word == "-h")
}

/// The leaf words still to read.
pub(crate) type WordIter<'a> = std::slice::Iter<'a, OsString>;

fn namespace_id_help() -> String {
    format!("ID, {}", namespace_id_range())
}

fn schema_id_help() -> String {
    format!("ID, {}", schema_id_range())
}

/// `namespace add ID [data DATA32] [wide DATA64]`, in that order as in `ip ioam`.
fn namespace_add(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let id = namespace_id(required(words, "namespace add", &namespace_id_help())?)?;
    let mut data = None;
    let mut wide = None;
    let mut tsformat = None;
    let mut context = String::from("namespace add ID");
    while let Some(word) = words.next() {
        if word == "tsformat" && tsformat.is_none() {
            let form = "\"posix\", \"ptp\" or \"ntp\"";
            let value = required(words, "tsformat", form)?;
            tsformat = Some(
                value
                    .to_str()
                    .and_then(TsFormat::from_name)
                    .ok_or_else(|| invalid("tsformat", value, form))?,
            );
            context.push_str(" tsformat FORMAT");
        } else if word == "data" && data.is_none() && wide.is_none() {
            let value = required(words, "data", "DATA32, a 32-bit integer")?;
            data = Some(data32(value)?);
            context.push_str(" data DATA32");
        } else if word == "wide" && wide.is_none() {
            let value = required(words, "wide", "DATA64, a 64-bit hexadecimal integer")?;
            wide = Some(data64(value)?);
            context.push_str(" wide DATA64");
        } else {
            if word == "data" && data.is_none() && wide.is_some() {
                return Err(ParseFailure::Invalid(format!(
                    "unexpected argument \"data\" after {context}: \
                     \"data DATA32\" must come before \"wide DATA64\""
                )));
            }
            let open = [
                (data.is_none() && wide.is_none(), "\"data DATA32\""),
                (wide.is_none(), "\"wide DATA64\""),
                (tsformat.is_none(), "\"tsformat FORMAT\""),
            ];
            let expected: Vec<&str> = open.iter().filter(|(o, _)| *o).map(|(_, k)| *k).collect();
            let given = [
                (data.is_some(), "data"),
                (wide.is_some(), "wide"),
                (tsformat.is_some(), "tsformat"),
            ];
            let given: Vec<&str> = given.iter().filter(|(g, _)| *g).map(|(_, k)| *k).collect();
            let message = match expected.as_slice() {
                [] => nothing_more(word, &context),
                [one] => stray(word, &context, one, &given),
                [rest @ .., last] => stray(
                    word,
                    &context,
                    &format!("{} or {last}", rest.join(", ")),
                    &given,
                ),
            };
            return Err(ParseFailure::Invalid(message));
        }
    }
    Ok(Command::AddNamespace {
        id,
        data,
        wide,
        tsformat,
    })
}

/// `namespace set ID schema {SCHEMA_ID | none}`.
fn namespace_set(words: &mut WordIter) -> Result<Command, ParseFailure> {
    let id = namespace_id(required(words, "namespace set", &namespace_id_help())?)?;
    let schema_forms = "\"schema SCHEMA_ID\" or \"schema none\"";
    match words.next() {
        Some(word) if word == "schema" => {}
        Some(word) => {
            let message = stray(word, "namespace set ID", schema_forms, &[]);
            return Err(ParseFailure::Invalid(message));
        }
        None => {
            return Err(ParseFailure::Invalid(format!(
                "\"namespace set ID\" needs {schema_forms}"
            )))
        }
    }
    let value = required(
        words,
        "schema",
        &format!("SCHEMA_ID, {}, or \"none\"", schema_id_range()),
    )?;
    let (schema, context) = if value == "none" {
        (None, "namespace set ID schema none")
    } else {
        (
            Some(schema_id(value, true)?),
            "namespace set ID schema SCHEMA_ID",
        )
    };
    expect_end(words, context)?;
    Ok(Command::SetNamespaceSchema { id, schema })
}

/// The next word, which `keyword` needs; `expected` describes it.
pub(crate) fn required<'a>(
    words: &mut WordIter<'a>,
    keyword: &str,
    expected: &str,
) -> Result<&'a OsStr, ParseFailure> {
    words
        .next()
        .map(OsString::as_os_str)
        .ok_or_else(|| ParseFailure::Invalid(format!("{keyword:?} needs a value: {expected}")))
}

fn expect_end(words: &mut WordIter, context: &str) -> Result<(), ParseFailure> {
    match words.next() {
        Some(word) => Err(ParseFailure::Invalid(nothing_more(word, context))),
        None => Ok(()),
    }
}

/// The options `-j` and `-p` belong before the object, as in `ip -j ioam`.
fn misplaced_option(word: &OsStr, context: &str) -> Option<String> {
    let text = word.to_str()?;
    let is_output_option = matches!(
        text,
        "-j" | "--json" | "-json" | "-p" | "--pretty" | "-pretty"
    );
    is_output_option.then(|| {
        format!(
            "option {} must come before the object: ioamctl {text} {context}",
            quoted(word)
        )
    })
}

fn nothing_more(word: &OsStr, context: &str) -> String {
    misplaced_option(word, context).unwrap_or_else(|| {
        format!(
            "unexpected argument {} after {context}: expected nothing more",
            quoted(word)
        )
    })
}

/// A word that is not what the grammar allows after `context`: "unexpected" if it is a
/// keyword in the wrong place (`misplaced_keywords`), "unknown" otherwise.
pub(crate) fn stray(
    word: &OsStr,
    context: &str,
    expected: &str,
    misplaced_keywords: &[&str],
) -> String {
    if let Some(message) = misplaced_option(word, context) {
        return message;
    }
    let adjective = if misplaced_keywords.iter().any(|keyword| word == *keyword) {
        "unexpected"
    } else {
        "unknown"
    };
    format!(
        "{adjective} argument {} after {context}: expected {expected}",
        quoted(word)
    )
}

/// `get_u16(.., 0)`.
fn namespace_id(word: &OsStr) -> Result<u16, ParseFailure> {
    number(word, Base::Auto, |_| true)
        .ok_or_else(|| invalid("namespace id", word, &namespace_id_range()))
}

/// `get_u32(.., 0)`.
fn data32(word: &OsStr) -> Result<u32, ParseFailure> {
    number(word, Base::Auto, |_| true).ok_or_else(|| invalid("data", word, &data32_range()))
}

/// `get_u64(.., 16)`: hexadecimal even without a `0x` prefix.
fn data64(word: &OsStr) -> Result<u64, ParseFailure> {
    number(word, Base::Hex, |_| true).ok_or_else(|| invalid("wide data", word, DATA64_FORM))
}

/// `get_u32(.., 0)` and, unlike `ip ioam`, at most [`SCHEMA_ID_MAX`]: the kernel's
/// `IOAM6` family stores larger ids that no IOAM header can carry, and 0xffffff, which
/// IOAM headers use for "no schema".
fn schema_id(word: &OsStr, none_allowed: bool) -> Result<u32, ParseFailure> {
    number(word, Base::Auto, |value| *value <= SCHEMA_ID_MAX).ok_or_else(|| {
        let or_none = if none_allowed { " or \"none\"" } else { "" };
        invalid(
            "schema id",
            word,
            &format!("{}{or_none}", schema_id_range()),
        )
    })
}

/// The bytes of DATA, as `ip ioam` copies them (`strlen` bytes of the argument).
fn schema_data(word: &OsStr) -> Result<Vec<u8>, ParseFailure> {
    let data = word.as_bytes();
    if data.is_empty() {
        return Err(ParseFailure::Invalid(
            "schema data is empty: at least 1 byte needed".to_owned(),
        ));
    }
    if data.len() > SCHEMA_DATA_MAX {
        return Err(ParseFailure::Invalid(format!(
            "schema data is {} bytes: at most {SCHEMA_DATA_MAX} allowed",
            data.len()
        )));
    }
    Ok(data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Invocation, ParseFailure> {
        parse(std::iter::once("ioamctl").chain(args.iter().copied()))
    }

    /// The command of a whitespace-separated command line that must parse.
    fn command(line: &str) -> Command {
        let words: Vec<&str> = line.split_whitespace().collect();
        match parse_args(&words) {
            Ok(invocation) => invocation.command,
            Err(failure) => panic!("{line:?} failed: {failure:?}"),
        }
    }

    /// The one-line message of a command line that must be refused.
    fn error_of(args: &[&str]) -> String {
        match parse_args(args) {
            Err(ParseFailure::Invalid(message)) => message,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        error_of(&line.split_whitespace().collect::<Vec<_>>())
    }

    fn add_namespace(id: u16, data: Option<u32>, wide: Option<u64>) -> Command {
        Command::AddNamespace {
            id,
            data,
            wide,
            tsformat: None,
        }
    }

    #[test]
    fn show_commands() {
        assert_eq!(command("namespace show"), Command::ShowNamespaces);
        assert_eq!(command("ns show"), Command::ShowNamespaces);
        assert_eq!(command("schema show"), Command::ShowSchemas);
    }

    #[test]
    fn output_format_options_before_the_object() {
        let format = |line: &str| {
            let words: Vec<&str> = line.split_whitespace().collect();
            parse_args(&words).expect("valid").format
        };
        assert_eq!(format("ns show"), OutputFormat::Text);
        assert_eq!(format("-j ns show"), OutputFormat::Json);
        assert_eq!(format("--json ns show"), OutputFormat::Json);
        assert_eq!(format("-j -p ns show"), OutputFormat::PrettyJson);
        assert_eq!(format("-p -j schema show"), OutputFormat::PrettyJson);
        assert_eq!(format("-jp ns show"), OutputFormat::PrettyJson);
        assert_eq!(format("--json --pretty ns show"), OutputFormat::PrettyJson);
        assert_eq!(
            format("-p ns show"),
            OutputFormat::Text,
            "-p alone changes nothing"
        );
    }

    #[test]
    fn ip_style_long_options_and_prefixes() {
        let format = |line: &str| {
            let words: Vec<&str> = line.split_whitespace().collect();
            parse_args(&words).expect("valid").format
        };
        assert_eq!(format("-json ns show"), OutputFormat::Json);
        assert_eq!(format("-js ns show"), OutputFormat::Json);
        assert_eq!(format("-json -pretty ns show"), OutputFormat::PrettyJson);
        assert_eq!(format("-j -pr ns show"), OutputFormat::PrettyJson);
        assert_eq!(format("--js ns show"), OutputFormat::Json);
    }

    #[test]
    fn namespace_add_forms() {
        assert_eq!(command("namespace add 1"), add_namespace(1, None, None));
        assert_eq!(
            command("ns add 123 data 0xdeadbeef wide 0xcafec0caf00dc0de"),
            add_namespace(123, Some(0xdead_beef), Some(0xcafe_c0ca_f00d_c0de))
        );
        assert_eq!(command("ns add 2 data 7"), add_namespace(2, Some(7), None));
        assert_eq!(command("ns add 3 wide 1"), add_namespace(3, None, Some(1)));
        let ptp = Command::AddNamespace {
            id: 4,
            data: Some(1),
            wide: None,
            tsformat: Some(TsFormat::Ptp),
        };
        assert_eq!(command("ns add 4 data 1 tsformat ptp"), ptp);
        assert_eq!(command("ns add 4 tsformat ptp data 1"), ptp);
        assert_eq!(
            error("ns add 4 tsformat tai"),
            "invalid tsformat \"tai\": expected \"posix\", \"ptp\" or \"ntp\""
        );
        assert_eq!(
            error("ns add 4 tsformat ntp tsformat ntp"),
            "unexpected argument \"tsformat\" after namespace add ID tsformat FORMAT: \
             expected \"data DATA32\" or \"wide DATA64\""
        );
    }

    #[test]
    fn namespace_id_bases_and_bounds() {
        assert_eq!(command("ns del 0"), Command::DelNamespace { id: 0 });
        assert_eq!(command("ns del 65535"), Command::DelNamespace { id: 65535 });
        assert_eq!(
            command("ns del 0xffff"),
            Command::DelNamespace { id: 65535 }
        );
        assert_eq!(command("ns del 0x1F"), Command::DelNamespace { id: 31 });
        assert_eq!(command("ns del 010"), Command::DelNamespace { id: 8 });
        assert_eq!(
            command("ns del 0177777"),
            Command::DelNamespace { id: 65535 }
        );
        assert_eq!(
            error("ns add 65536"),
            "invalid namespace id \"65536\": expected an integer 0..65535"
        );
        assert_eq!(
            error("ns add 70000"),
            "invalid namespace id \"70000\": expected an integer 0..65535"
        );
        assert_eq!(
            error("ns del 0x10000"),
            "invalid namespace id \"0x10000\": expected an integer 0..65535"
        );
        assert_eq!(
            error("ns set 08 schema 1"),
            "invalid namespace id \"08\": expected an integer 0..65535"
        );
        assert_eq!(
            error("ns add abc"),
            "invalid namespace id \"abc\": expected an integer 0..65535"
        );
        assert_eq!(
            error_of(&["ns", "add", "-1"]),
            "invalid namespace id \"-1\": expected an integer 0..65535"
        );
        assert_eq!(
            error_of(&["ns", "add", ""]),
            "invalid namespace id \"\": expected an integer 0..65535"
        );
    }

    #[test]
    fn data_is_any_base_and_32_bits() {
        assert_eq!(command("ns add 1 data 0"), add_namespace(1, Some(0), None));
        assert_eq!(
            command("ns add 1 data 4294967295"),
            add_namespace(1, Some(u32::MAX), None)
        );
        assert_eq!(
            command("ns add 1 data 0xffffffff"),
            add_namespace(1, Some(u32::MAX), None)
        );
        assert_eq!(
            command("ns add 1 data 010"),
            add_namespace(1, Some(8), None)
        );
        assert_eq!(
            command("ns add 1 data 10"),
            add_namespace(1, Some(10), None)
        );
        assert_eq!(
            error("ns add 1 data 4294967296"),
            "invalid data \"4294967296\": expected an integer 0..4294967295 (32 bits)"
        );
        assert_eq!(
            error("ns add 1 data 0x100000000"),
            "invalid data \"0x100000000\": expected an integer 0..4294967295 (32 bits)"
        );
        assert_eq!(
            error("ns add 1 data deadbeef"),
            "invalid data \"deadbeef\": expected an integer 0..4294967295 (32 bits)"
        );
    }

    #[test]
    fn wide_is_hexadecimal_with_or_without_prefix() {
        assert_eq!(
            command("ns add 1 wide 10"),
            add_namespace(1, None, Some(0x10))
        );
        assert_eq!(
            command("ns add 1 wide 0x10"),
            add_namespace(1, None, Some(0x10))
        );
        assert_eq!(
            command("ns add 1 wide 010"),
            add_namespace(1, None, Some(0x10))
        );
        assert_eq!(
            command("ns add 1 wide cafec0caf00dc0de"),
            add_namespace(1, None, Some(0xcafe_c0ca_f00d_c0de))
        );
        assert_eq!(
            command("ns add 1 wide FFFFFFFFFFFFFFFF"),
            add_namespace(1, None, Some(u64::MAX))
        );
        let expected = "expected a hexadecimal integer 0..ffffffffffffffff, 0x prefix optional";
        assert_eq!(
            error("ns add 1 wide 10000000000000000"),
            format!("invalid wide data \"10000000000000000\": {expected}")
        );
        assert_eq!(
            error("ns add 1 data 1 wide xyz"),
            format!("invalid wide data \"xyz\": {expected}")
        );
        assert_eq!(
            error("ns add 1 wide 0x"),
            format!("invalid wide data \"0x\": {expected}")
        );
    }

    #[test]
    fn namespace_add_keyword_errors() {
        assert_eq!(
            error("ns add"),
            "\"namespace add\" needs a value: ID, an integer 0..65535"
        );
        assert_eq!(
            error("ns add 123 foo"),
            "unknown argument \"foo\" after namespace add ID: expected \"data DATA32\", \
             \"wide DATA64\" or \"tsformat FORMAT\""
        );
        assert_eq!(
            error("ns add 1 data"),
            "\"data\" needs a value: DATA32, a 32-bit integer"
        );
        assert_eq!(
            error("ns add 1 wide"),
            "\"wide\" needs a value: DATA64, a 64-bit hexadecimal integer"
        );
        assert_eq!(
            error("ns add 1 data 1 wide"),
            "\"wide\" needs a value: DATA64, a 64-bit hexadecimal integer"
        );
        assert_eq!(
            error("ns add 1 data 1 foo"),
            "unknown argument \"foo\" after namespace add ID data DATA32: expected \
             \"wide DATA64\" or \"tsformat FORMAT\""
        );
        assert_eq!(
            error("ns add 1 data 1 data 2"),
            "unexpected argument \"data\" after namespace add ID data DATA32: expected \
             \"wide DATA64\" or \"tsformat FORMAT\""
        );
        assert_eq!(
            error("ns add 1 wide 1 data 2"),
            "unexpected argument \"data\" after namespace add ID wide DATA64: \
             \"data DATA32\" must come before \"wide DATA64\""
        );
        assert_eq!(
            error("ns add 1 wide 1 wide 2"),
            "unexpected argument \"wide\" after namespace add ID wide DATA64: expected \
             \"tsformat FORMAT\""
        );
        assert_eq!(
            error("ns add 1 data 1 wide 2 x"),
            "unknown argument \"x\" after namespace add ID data DATA32 wide DATA64: expected \
             \"tsformat FORMAT\""
        );
        assert_eq!(
            error("ns add 1 data 1 wide 2 tsformat ntp x"),
            "unexpected argument \"x\" after namespace add ID data DATA32 wide DATA64 \
             tsformat FORMAT: expected nothing more"
        );
    }

    #[test]
    fn namespace_del_errors() {
        assert_eq!(
            error("ns del"),
            "\"namespace del\" needs a value: ID, an integer 0..65535"
        );
        assert_eq!(
            error("ns del 1 2"),
            "unexpected argument \"2\" after namespace del ID: expected nothing more"
        );
    }

    #[test]
    fn namespace_set_forms() {
        assert_eq!(
            command("ns set 123 schema 777"),
            Command::SetNamespaceSchema {
                id: 123,
                schema: Some(777)
            }
        );
        assert_eq!(
            command("namespace set 0x7b schema 0x309"),
            Command::SetNamespaceSchema {
                id: 123,
                schema: Some(777)
            }
        );
        assert_eq!(
            command("ns set 1 schema none"),
            Command::SetNamespaceSchema {
                id: 1,
                schema: None
            }
        );
        assert_eq!(
            command("ns set 1 schema 16777214"),
            Command::SetNamespaceSchema {
                id: 1,
                schema: Some(SCHEMA_ID_MAX)
            }
        );
    }

    #[test]
    fn namespace_set_errors() {
        assert_eq!(
            error("ns set"),
            "\"namespace set\" needs a value: ID, an integer 0..65535"
        );
        assert_eq!(
            error("ns set 1"),
            "\"namespace set ID\" needs \"schema SCHEMA_ID\" or \"schema none\""
        );
        assert_eq!(
            error("ns set 1 scheme 2"),
            "unknown argument \"scheme\" after namespace set ID: expected \"schema SCHEMA_ID\" or \"schema none\""
        );
        assert_eq!(
            error("ns set 1 schema"),
            "\"schema\" needs a value: SCHEMA_ID, an integer 0..16777214 (0xffffff means no schema), or \"none\""
        );
        assert_eq!(
            error("ns set 1 schema 0x1000000"),
            "invalid schema id \"0x1000000\": expected an integer 0..16777214 (0xffffff means no schema) or \"none\""
        );
        assert_eq!(
            error("ns set 1 schema None"),
            "invalid schema id \"None\": expected an integer 0..16777214 (0xffffff means no schema) or \"none\""
        );
        assert_eq!(
            error("ns set 1 schema 2 3"),
            "unexpected argument \"3\" after namespace set ID schema SCHEMA_ID: expected nothing more"
        );
        assert_eq!(
            error("ns set 1 schema none 3"),
            "unexpected argument \"3\" after namespace set ID schema none: expected nothing more"
        );
    }

    #[test]
    fn schema_add_forms() {
        assert_eq!(
            command("schema add 777 some"),
            Command::AddSchema {
                id: 777,
                data: b"some".to_vec()
            }
        );
        assert_eq!(
            command("schema add 0xfffffe x"),
            Command::AddSchema {
                id: SCHEMA_ID_MAX,
                data: b"x".to_vec()
            }
        );
        assert_eq!(
            command("schema add 010 x"),
            Command::AddSchema {
                id: 8,
                data: b"x".to_vec()
            }
        );
        // DATA is taken as it is: spaces, dashes and keywords included.
        for data in ["hello world", "-h", "--help", "none", "0x10"] {
            let parsed = parse_args(&["schema", "add", "1", data]).expect("valid");
            assert_eq!(
                parsed.command,
                Command::AddSchema {
                    id: 1,
                    data: data.as_bytes().to_vec()
                }
            );
        }
    }

    #[test]
    fn schema_data_size_bounds() {
        let largest = "d".repeat(SCHEMA_DATA_MAX);
        let parsed = parse_args(&["schema", "add", "1", &largest]).expect("1020 bytes is fine");
        assert_eq!(
            parsed.command,
            Command::AddSchema {
                id: 1,
                data: largest.into_bytes()
            }
        );
        let too_large = "d".repeat(SCHEMA_DATA_MAX + 1);
        assert_eq!(
            error_of(&["schema", "add", "1", &too_large]),
            "schema data is 1021 bytes: at most 1020 allowed"
        );
        assert_eq!(
            error_of(&["schema", "add", "1", ""]),
            "schema data is empty: at least 1 byte needed"
        );
        // Bytes, not characters: "é" is two bytes.
        let multibyte = "é".repeat(511);
        assert_eq!(
            error_of(&["schema", "add", "1", &multibyte]),
            "schema data is 1022 bytes: at most 1020 allowed"
        );
    }

    #[test]
    fn schema_data_need_not_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let data = vec![0xff, 0xfe, b'a'];
        let args = ["ioamctl", "schema", "add", "1"]
            .into_iter()
            .map(OsString::from)
            .chain(std::iter::once(OsString::from_vec(data.clone())));
        assert_eq!(
            parse(args).expect("valid").command,
            Command::AddSchema { id: 1, data }
        );
    }

    #[test]
    fn schema_id_bounds() {
        assert_eq!(
            command("schema del 16777214"),
            Command::DelSchema { id: SCHEMA_ID_MAX }
        );
        assert_eq!(command("schema del 0"), Command::DelSchema { id: 0 });
        assert_eq!(
            error("schema add 0x1000000 x"),
            "invalid schema id \"0x1000000\": expected an integer 0..16777214 (0xffffff means no schema)"
        );
        assert_eq!(
            error("schema add 0xffffff x"),
            "invalid schema id \"0xffffff\": expected an integer 0..16777214 (0xffffff means no schema)"
        );
        assert_eq!(
            error("schema del 16777216"),
            "invalid schema id \"16777216\": expected an integer 0..16777214 (0xffffff means no schema)"
        );
        assert_eq!(
            error("schema del 4294967296"),
            "invalid schema id \"4294967296\": expected an integer 0..16777214 (0xffffff means no schema)"
        );
    }

    #[test]
    fn schema_keyword_errors() {
        assert_eq!(
            error("schema add"),
            "\"schema add\" needs a value: ID, an integer 0..16777214 (0xffffff means no schema)"
        );
        assert_eq!(
            error("schema add 1"),
            "\"schema add ID\" needs a value: DATA, a string of 1..1020 bytes"
        );
        assert_eq!(
            error("schema add 1 hello world"),
            "unexpected argument \"world\" after schema add ID DATA: expected nothing more \
             (quote DATA if it has spaces)"
        );
        assert_eq!(
            error("schema del"),
            "\"schema del\" needs a value: ID, an integer 0..16777214 (0xffffff means no schema)"
        );
        assert_eq!(
            error("schema del 1 2"),
            "unexpected argument \"2\" after schema del ID: expected nothing more"
        );
    }

    #[test]
    fn show_takes_no_arguments() {
        assert_eq!(
            error("ns show all"),
            "unexpected argument \"all\" after namespace show: expected nothing more"
        );
        assert_eq!(
            error("schema show 1"),
            "unexpected argument \"1\" after schema show: expected nothing more"
        );
        assert_eq!(
            error("ns show -j"),
            "option \"-j\" must come before the object: ioamctl -j namespace show"
        );
        assert_eq!(
            error("schema show --pretty"),
            "option \"--pretty\" must come before the object: ioamctl --pretty schema show"
        );
    }

    const OBJECTS: &str = "expected \"namespace\" (or \"ns\"), \"schema\", \"monitor\", \
                           \"stats\", \"interface\", \"events\", \"loopback\", \"export\" or \"route\"";

    #[test]
    fn unknown_objects_and_commands() {
        assert_eq!(error("foo"), format!("unknown object \"foo\": {OBJECTS}"));
        assert_eq!(
            error("names show"),
            format!("unknown object \"names\": {OBJECTS}"),
            "no prefix matching, as in ip ioam"
        );
        assert_eq!(
            error("namespace list"),
            "unknown command \"list\" after namespace: expected show, add, del or set"
        );
        assert_eq!(
            error("ns sh"),
            "unknown command \"sh\" after namespace: expected show, add, del or set"
        );
        assert_eq!(
            error("schema set 1"),
            "unknown command \"set\" after schema: expected show, add or del"
        );
        assert_eq!(
            error("namespace"),
            "\"namespace\" needs a command: show, add, del or set"
        );
        assert_eq!(
            error("schema"),
            "\"schema\" needs a command: show, add or del"
        );
    }

    #[test]
    fn clap_errors_are_one_line() {
        let message = error("--bogus ns show");
        assert_eq!(
            message,
            "unexpected argument '--bogus' found (see ioamctl --help)"
        );
    }

    #[test]
    fn messages_quote_control_characters() {
        assert_eq!(
            error_of(&["ns", "add", "1\n2"]),
            "invalid namespace id \"1\\n2\": expected an integer 0..65535"
        );
    }

    #[test]
    fn no_command_prints_usage() {
        match parse_args(&[]) {
            Err(ParseFailure::Usage(text)) => assert!(text.contains("Usage: ioamctl")),
            other => panic!("{other:?}"),
        }
        match parse_args(&["-j"]) {
            Err(ParseFailure::Usage(text)) => assert!(text.contains("Usage: ioamctl")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_and_version_are_info() {
        for args in [
            &["--help"][..],
            &["-h"],
            &["help"],
            &["namespace", "--help"],
            &["help", "schema", "add"],
            &["ns", "add", "--help"],
            &["schema", "add", "-h"],
            &["-V"],
            &["--version"],
        ] {
            match parse_args(args) {
                Err(ParseFailure::Info(text)) => {
                    assert!(!text.contains('\u{1b}'), "{args:?}: no colour codes");
                }
                other => panic!("{args:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn leaf_help_shows_the_grammar() {
        let help = |args: &[&str]| match parse_args(args) {
            Err(ParseFailure::Info(text)) => text,
            other => panic!("{args:?} gave {other:?}"),
        };
        assert!(help(&["ns", "add", "--help"])
            .contains("Usage: ioamctl namespace add ID [data DATA32] [wide DATA64]"));
        assert!(help(&["ns", "set", "-h"])
            .contains("Usage: ioamctl namespace set ID schema {SCHEMA_ID | none}"));
        assert!(help(&["schema", "add", "--help"]).contains("Usage: ioamctl schema add ID DATA"));
        let top = help(&["--help"]);
        assert!(top.contains("Exit status: 0 success; 1 bad arguments"));
        assert!(top.contains(
            "Schema ID and SCHEMA_ID: an integer 0..16777214 (0xffffff means no schema)"
        ));
    }

    /// `veth0` is interface 3, `eth1` interface 70000; nothing else exists.
    fn fake_index_of(name: &OsStr) -> Option<u32> {
        match name.to_str()? {
            "veth0" => Some(3),
            "eth1" => Some(70_000),
            _ => None,
        }
    }

    fn parse_fake(line: &str) -> Result<Invocation, ParseFailure> {
        parse_with(
            std::iter::once("ioamctl").chain(line.split_whitespace()),
            fake_index_of,
        )
    }

    fn fake_command(line: &str) -> Command {
        parse_fake(line).expect("valid").command
    }

    fn fake_error(line: &str) -> String {
        match parse_fake(line) {
            Err(ParseFailure::Invalid(message)) => message,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn monitor_forms() {
        assert_eq!(command("monitor"), Command::Monitor { export: false });
        assert_eq!(
            command("monitor --export"),
            Command::Monitor { export: true }
        );
        let format = |line: &str| parse_fake(line).expect("valid").format;
        assert_eq!(format("-j monitor"), OutputFormat::Json);
        assert_eq!(format("-j monitor --export"), OutputFormat::Json);
        assert_eq!(format("monitor"), OutputFormat::Text);
        assert_eq!(
            error("monitor all"),
            "unknown argument \"all\" after monitor: expected \"--export\" or nothing more"
        );
        assert_eq!(
            error("monitor --export all"),
            "unexpected argument \"all\" after monitor --export: expected nothing more"
        );
        assert_eq!(
            error("monitor --export -j"),
            "option \"-j\" must come before the object: ioamctl -j monitor --export"
        );
        assert_eq!(
            error("monitor -j"),
            "option \"-j\" must come before the object: ioamctl -j monitor"
        );
    }

    #[test]
    fn stats_forms() {
        assert_eq!(command("stats"), Command::ShowStats);
        assert_eq!(command("stats show"), Command::ShowStats);
        assert_eq!(
            parse_fake("-j -p stats").expect("valid").format,
            OutputFormat::PrettyJson
        );
        assert_eq!(
            error("stats show 1"),
            "unexpected argument \"1\" after stats show: expected nothing more"
        );
        assert_eq!(
            error("stats reset"),
            "unknown command \"reset\" after stats: expected show"
        );
    }

    #[test]
    fn interface_forms() {
        assert_eq!(fake_command("interface"), Command::ShowInterfaces);
        assert_eq!(fake_command("interface show"), Command::ShowInterfaces);
        assert_eq!(
            fake_command("interface enable veth0"),
            Command::SetInterface {
                ifindex: 3,
                enabled: true
            }
        );
        assert_eq!(
            fake_command("interface disable eth1"),
            Command::SetInterface {
                ifindex: 70_000,
                enabled: false
            }
        );
    }

    #[test]
    fn interface_errors() {
        assert_eq!(
            fake_error("interface enable nosuch0"),
            "cannot find device \"nosuch0\""
        );
        assert_eq!(
            fake_error("interface disable lo"),
            "cannot find device \"lo\""
        );
        assert_eq!(
            fake_error("interface enable"),
            "\"interface enable\" needs a value: DEV, an interface name"
        );
        assert_eq!(
            fake_error("interface disable"),
            "\"interface disable\" needs a value: DEV, an interface name"
        );
        assert_eq!(
            fake_error("interface enable veth0 on"),
            "unexpected argument \"on\" after interface enable DEV: expected nothing more"
        );
        assert_eq!(
            fake_error("interface enable nosuch0 on"),
            "unexpected argument \"on\" after interface enable DEV: expected nothing more",
            "the grammar is checked before the device"
        );
        assert_eq!(
            fake_error("interface show veth0"),
            "unexpected argument \"veth0\" after interface show: expected nothing more"
        );
        assert_eq!(
            fake_error("interface add veth0"),
            "unknown command \"add\" after interface: expected show, enable or disable"
        );
        // The real lookup: no such interface here.
        assert_eq!(
            error("interface enable ioamctl-none0"),
            "cannot find device \"ioamctl-none0\""
        );
    }

    #[test]
    fn events_limit_forms() {
        assert_eq!(
            command("events limit rate 100 burst 20"),
            Command::SetEventLimit {
                rate: 100,
                burst: 20
            }
        );
        assert_eq!(
            command("events limit burst 0x10 rate 010"),
            Command::SetEventLimit { rate: 8, burst: 16 }
        );
        assert_eq!(
            command("events limit rate 1 burst 1000000"),
            Command::SetEventLimit {
                rate: 1,
                burst: EVENT_LIMIT_MAX
            }
        );
    }

    #[test]
    fn loopback_limit_forms() {
        assert_eq!(
            command("loopback limit rate 10 burst 0x5"),
            Command::SetLoopbackLimit { rate: 10, burst: 5 }
        );
        assert_eq!(
            error("loopback limit rate 10"),
            "\"loopback limit rate RATE\" needs \"burst BURST\""
        );
        assert_eq!(
            error("loopback limit"),
            "\"loopback limit\" needs \"rate RATE\" and \"burst BURST\""
        );
        assert_eq!(
            error("loopback limit rate 0 burst 1"),
            "invalid rate \"0\": expected an integer 1..1000000"
        );
    }

    #[test]
    fn export_limit_forms() {
        assert_eq!(
            command("export limit rate 100000 burst 0x400"),
            Command::SetExportLimit {
                rate: 100_000,
                burst: 1024
            }
        );
        assert_eq!(
            command("export limit burst 1000000 rate 1"),
            Command::SetExportLimit {
                rate: 1,
                burst: EVENT_LIMIT_MAX
            }
        );
        assert_eq!(error("export"), "\"export\" needs a command: limit");
        assert_eq!(
            error("export limit"),
            "\"export limit\" needs \"rate RATE\" and \"burst BURST\""
        );
        assert_eq!(
            error("export limit burst 5"),
            "\"export limit burst BURST\" needs \"rate RATE\""
        );
        assert_eq!(
            error("export limit rate 1 burst 1000001"),
            "invalid burst \"1000001\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("export limit rate 0 burst 1"),
            "invalid rate \"0\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("export limit rate 1 burst 2 x"),
            "unexpected argument \"x\" after export limit rate RATE burst BURST: expected nothing more"
        );
    }

    #[test]
    fn events_limit_errors() {
        assert_eq!(error("events"), "\"events\" needs a command: limit");
        assert_eq!(
            error("events show"),
            "unknown command \"show\" after events: expected limit"
        );
        assert_eq!(
            error("events limit"),
            "\"events limit\" needs \"rate RATE\" and \"burst BURST\""
        );
        assert_eq!(
            error("events limit rate 5"),
            "\"events limit rate RATE\" needs \"burst BURST\""
        );
        assert_eq!(
            error("events limit burst 5"),
            "\"events limit burst BURST\" needs \"rate RATE\""
        );
        assert_eq!(
            error("events limit rate"),
            "\"rate\" needs a value: RATE, an integer 1..1000000"
        );
        assert_eq!(
            error("events limit rate 1 burst"),
            "\"burst\" needs a value: BURST, an integer 1..1000000"
        );
        assert_eq!(
            error("events limit rate 0 burst 1"),
            "invalid rate \"0\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("events limit rate 1 burst 1000001"),
            "invalid burst \"1000001\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("events limit rate 1 burst 4294967296"),
            "invalid burst \"4294967296\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("events limit rate x burst 1"),
            "invalid rate \"x\": expected an integer 1..1000000"
        );
        assert_eq!(
            error("events limit speed 1"),
            "unknown argument \"speed\" after events limit: expected \"rate RATE\" or \"burst BURST\""
        );
        assert_eq!(
            error("events limit rate 1 rate 2"),
            "unexpected argument \"rate\" after events limit rate RATE: expected \"burst BURST\""
        );
        assert_eq!(
            error("events limit burst 1 burst 2"),
            "unexpected argument \"burst\" after events limit burst BURST: expected \"rate RATE\""
        );
        assert_eq!(
            error("events limit rate 1 burst 2 x"),
            "unexpected argument \"x\" after events limit rate RATE burst BURST: expected nothing more"
        );
    }

    #[test]
    fn module_commands_have_help() {
        let help = |args: &[&str]| match parse_args(args) {
            Err(ParseFailure::Info(text)) => text,
            other => panic!("{args:?} gave {other:?}"),
        };
        assert!(help(&["monitor", "--help"]).contains("Usage: ioamctl [-j] monitor [--export]"));
        assert!(help(&["stats", "show", "-h"]).contains("Usage: ioamctl [-j [-p]] stats [show]"));
        assert!(help(&["interface", "enable", "--help"])
            .contains("Usage: ioamctl interface enable DEV"));
        assert!(help(&["events", "limit", "--help"])
            .contains("Usage: ioamctl events limit rate RATE burst BURST"));
        assert!(help(&["export", "limit", "--help"])
            .contains("Usage: ioamctl export limit rate RATE burst BURST"));
        assert!(help(&["help", "interface"]).contains("enable"));
        let top = help(&["help"]);
        for line in [
            "  ioamctl [-j] monitor\n",
            "  ioamctl [-j [-p]] stats [show]\n",
            "  ioamctl [-j [-p]] interface [show]\n",
            "  ioamctl interface {enable | disable} DEV\n",
            "  ioamctl events limit rate RATE burst BURST\n",
            "  ioamctl export limit rate RATE burst BURST\n",
            "  ioamctl [-j] monitor --export\n",
        ] {
            assert!(top.contains(line), "{line:?} in {top}");
        }
    }
}
