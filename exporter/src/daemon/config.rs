//! The daemon's settings: command-line options (clap) over an optional TOML file with the
//! same keys as the long options, over defaults. A bad setting is one [`ConfigError`]
//! naming it.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::elements::DOCUMENTATION_PEN;
use crate::ipfix::session::{
    Session, SessionConfig, Transport, TCP_MAX_MESSAGE_SIZE, UDP_MAX_MESSAGE_SIZE,
    UDP_TEMPLATE_REFRESH,
};

use super::collector::{CollectorAddress, Scheme};
use super::hop_metrics::{DEFAULT_HOP_PAIR_IDLE, DEFAULT_MAX_HOP_PAIRS};
use super::module_stats::DEFAULT_MODULE_STATS_INTERVAL;

pub const DEFAULT_FLUSH: Duration = Duration::from_millis(100);
pub const DEFAULT_RECEIVE_BUFFER: usize = 8 << 20;
pub const DEFAULT_METRICS_LISTEN: &str = "[::1]:9464";
/// The largest UDP payload over IPv4.
const UDP_MAX_PAYLOAD: u16 = 65507;
/// The most hop pairs with delay series: each holds some twenty buckets in memory and in
/// every scrape.
pub const MAX_HOP_PAIRS_LIMIT: usize = 65536;
/// The longest `--hop-pair-idle`, in seconds: a year (longer is as good as never: 0).
pub const HOP_PAIR_IDLE_LIMIT: u64 = 365 * 24 * 3600;

/// Exports the IOAM trace events of the ioam_rs kernel module as IPFIX to one collector
/// and serves Prometheus metrics.
#[derive(Parser, Debug, Default)]
#[command(
    name = "ioam-exporter",
    version,
    long_about = "Exports the IOAM trace events of the ioam_rs kernel module (its ioam6_export \
generic-netlink group, many events a message within `ioamctl export limit`, as `ioamctl monitor \
--export` shows them) as IPFIX (RFC 7011) records to one \
collector, over UDP or TCP: a path record per event and a record per hop, each with the \
packet's addresses and flow label (IANA elements 27, 28, 31), with the element \
file in exporter/elements/ for the collector. Records are batched into full messages, sent at \
the latest after --flush-ms. Every event not exported is counted in \
ioam_exporter_events_lost_total{reason}: enobufs counts the socket overruns the exporter saw \
(each lost one or more events), kernel_failed the events the kernel could not deliver and \
rate_limit those over the export limit (the increases of the module's export_failed and \
export_rate_limited since the exporter started); an overrun shows in both enobufs and \
kernel_failed. The counters, one-way delay \
histograms per pair of consecutive nodes, hop counts, and the module's own counters (as \
`ioamctl stats` reads them) are served in the Prometheus text format at \
http://METRICS-LISTEN/metrics.\n\nRuns in the foreground, logs \
to stderr (-v, -vv or RUST_LOG for more); SIGINT or SIGTERM sends what is pending and exits."
)]
pub struct Flags {
    /// A TOML file with the same keys as the long options (collector = "udp://..."); options
    /// given on the command line win
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The IPFIX collector: udp://HOST:PORT or tcp://HOST:PORT (port 4739 if none)
    #[arg(long, value_name = "URL")]
    pub collector: Option<String>,
    /// Observation domain id of the messages [default: 0]
    #[arg(long, value_name = "N")]
    pub observation_domain: Option<u32>,
    /// Seconds between template resends over UDP [default: 60]
    #[arg(long, value_name = "SECS")]
    pub template_refresh: Option<u64>,
    /// Largest IPFIX message in octets [default: 1400 over UDP, 65535 over TCP]
    #[arg(long, value_name = "OCTETS")]
    pub max_message_size: Option<u16>,
    /// Longest time a record waits for its message to fill [default: 100]
    #[arg(long, value_name = "MS")]
    pub flush_ms: Option<u64>,
    /// Netlink socket receive buffer in bytes (SO_RCVBUFFORCE with CAP_NET_ADMIN) [default: 8388608]
    #[arg(long, value_name = "BYTES")]
    pub receive_buffer: Option<usize>,
    /// Address and port of the metrics endpoint [default: [::1]:9464]
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,
    /// Private enterprise number of the IOAM elements [default: 32473, the documentation PEN]
    #[arg(long, value_name = "PEN")]
    pub enterprise_number: Option<u32>,
    /// Most (namespace, from node, to node) pairs with hop delay series; delays of further
    /// pairs are counted in ioam_exporter_hop_pairs_overflow_total [default: 1024, at most 65536]
    #[arg(long, value_name = "N")]
    pub max_hop_pairs: Option<usize>,
    /// Seconds after which a pair with no delay loses its series and its place among
    /// --max-hop-pairs (0: never) [default: 3600]
    #[arg(long, value_name = "SECS")]
    pub hop_pair_idle: Option<u64>,
    /// The module's counters are read when scraped, at most once in this many seconds
    /// (0: every scrape) [default: 5]
    #[arg(long, value_name = "SECS")]
    pub module_stats_interval: Option<u64>,
    /// More log output (-v debug, -vv trace)
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The configuration file: the long options' names as keys.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileSettings {
    collector: Option<String>,
    observation_domain: Option<u32>,
    template_refresh: Option<u64>,
    max_message_size: Option<u16>,
    flush_ms: Option<u64>,
    receive_buffer: Option<usize>,
    metrics_listen: Option<String>,
    enterprise_number: Option<u32>,
    max_hop_pairs: Option<usize>,
    hop_pair_idle: Option<u64>,
    module_stats_interval: Option<u64>,
    verbose: Option<u8>,
}

/// The daemon's settings, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub collector: CollectorAddress,
    pub session: SessionConfig,
    pub flush_interval: Duration,
    pub receive_buffer: usize,
    pub metrics_listen: SocketAddr,
    pub enterprise_number: u32,
    pub max_hop_pairs: usize,
    /// `None`: pairs never expire.
    pub hop_pair_idle: Option<Duration>,
    pub module_stats_interval: Duration,
    pub verbose: u8,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("bad setting {setting}: {message}")]
    Setting {
        setting: &'static str,
        message: String,
    },
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Usage(String),
}

fn bad(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Setting {
        setting,
        message: message.into(),
    }
}

/// Why no settings came out of the command line.
#[derive(Debug)]
pub enum LoadFailure {
    /// `--help` or `--version`: print this and exit 0.
    Info(String),
    Bad(ConfigError),
}

/// The settings of command line `args` (program name first) and its config file.
pub fn load<I, T>(args: I) -> Result<Settings, LoadFailure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let flags = match Flags::try_parse_from(args) {
        Ok(flags) => flags,
        Err(error) => {
            use clap::error::ErrorKind;
            return Err(match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    LoadFailure::Info(error.render().to_string())
                }
                // clap's first line says it all; the usage and tips after it are dropped
                // so that a bad option is one line.
                _ => {
                    let text = error.render().to_string();
                    let first = text.lines().next().unwrap_or_default();
                    let first = first.strip_prefix("error: ").unwrap_or(first);
                    LoadFailure::Bad(ConfigError::Usage(first.to_owned()))
                }
            });
        }
    };
    let file = match &flags.config {
        Some(path) => read_file(path).map_err(LoadFailure::Bad)?,
        None => FileSettings::default(),
    };
    settings(flags, file).map_err(LoadFailure::Bad)
}

fn read_file(path: &std::path::Path) -> Result<FileSettings, ConfigError> {
    let file_error = |message: String| ConfigError::File {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|error| file_error(error.to_string()))?;
    toml::from_str(&text).map_err(|error: toml::de::Error| {
        // toml's own text spans several lines (a source excerpt): one line, with the line
        // of the file that holds the bad setting.
        let message = error.message().replace('\n', " ");
        match error.span() {
            Some(span) => {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let source = text.lines().nth(line - 1).unwrap_or_default();
                file_error(format!("line {line} ({}): {message}", source.trim()))
            }
            None => file_error(message),
        }
    })
}

fn settings(flags: Flags, file: FileSettings) -> Result<Settings, ConfigError> {
    let collector = flags.collector.or(file.collector).ok_or_else(|| {
        bad(
            "collector",
            "none given (--collector udp://HOST:PORT or tcp://HOST:PORT)",
        )
    })?;
    let collector: CollectorAddress = collector.parse().map_err(|m: String| bad("collector", m))?;

    let observation_domain_id = flags
        .observation_domain
        .or(file.observation_domain)
        .unwrap_or(0);
    let template_refresh = match flags.template_refresh.or(file.template_refresh) {
        Some(0) => return Err(bad("template-refresh", "0 seconds: at least 1")),
        Some(seconds) => Duration::from_secs(seconds),
        None => UDP_TEMPLATE_REFRESH,
    };
    let (transport, default_size, largest) = match collector.scheme {
        Scheme::Udp => (
            Transport::Udp { template_refresh },
            UDP_MAX_MESSAGE_SIZE,
            UDP_MAX_PAYLOAD,
        ),
        Scheme::Tcp => (Transport::Tcp, TCP_MAX_MESSAGE_SIZE, TCP_MAX_MESSAGE_SIZE),
    };
    let max_message_size = flags
        .max_message_size
        .or(file.max_message_size)
        .unwrap_or(default_size);
    if max_message_size > largest {
        return Err(bad(
            "max-message-size",
            format!("{max_message_size} octets: a UDP datagram holds at most {largest}"),
        ));
    }
    let session = SessionConfig {
        observation_domain_id,
        transport,
        max_message_size,
    };
    Session::new(session).map_err(|error| bad("max-message-size", error.to_string()))?;

    let flush_interval = match flags.flush_ms.or(file.flush_ms) {
        Some(0) => return Err(bad("flush-ms", "0 ms: at least 1")),
        Some(ms) => Duration::from_millis(ms),
        None => DEFAULT_FLUSH,
    };
    let receive_buffer = flags
        .receive_buffer
        .or(file.receive_buffer)
        .unwrap_or(DEFAULT_RECEIVE_BUFFER);
    if receive_buffer == 0 || i32::try_from(receive_buffer).is_err() {
        return Err(bad(
            "receive-buffer",
            format!("{receive_buffer} bytes: 1 to {} expected", i32::MAX),
        ));
    }
    let listen = flags
        .metrics_listen
        .or(file.metrics_listen)
        .unwrap_or_else(|| DEFAULT_METRICS_LISTEN.to_owned());
    let metrics_listen = listen.parse::<SocketAddr>().map_err(|_| {
        bad(
            "metrics-listen",
            format!("'{listen}' is not ADDRESS:PORT (127.0.0.1:9464, [::1]:9464)"),
        )
    })?;
    let max_hop_pairs = flags
        .max_hop_pairs
        .or(file.max_hop_pairs)
        .unwrap_or(DEFAULT_MAX_HOP_PAIRS);
    if !(1..=MAX_HOP_PAIRS_LIMIT).contains(&max_hop_pairs) {
        return Err(bad(
            "max-hop-pairs",
            format!("{max_hop_pairs} pairs: 1 to {MAX_HOP_PAIRS_LIMIT} expected"),
        ));
    }
    let hop_pair_idle = match flags.hop_pair_idle.or(file.hop_pair_idle) {
        None => Some(DEFAULT_HOP_PAIR_IDLE),
        Some(0) => None,
        Some(seconds) if seconds <= HOP_PAIR_IDLE_LIMIT => Some(Duration::from_secs(seconds)),
        Some(seconds) => {
            return Err(bad(
                "hop-pair-idle",
                format!("{seconds} s: 0 (never) to {HOP_PAIR_IDLE_LIMIT} expected"),
            ))
        }
    };
    let module_stats_interval = flags
        .module_stats_interval
        .or(file.module_stats_interval)
        .map_or(DEFAULT_MODULE_STATS_INTERVAL, Duration::from_secs);
    Ok(Settings {
        collector,
        session,
        flush_interval,
        receive_buffer,
        metrics_listen,
        enterprise_number: flags
            .enterprise_number
            .or(file.enterprise_number)
            .unwrap_or(DOCUMENTATION_PEN),
        max_hop_pairs,
        hop_pair_idle,
        module_stats_interval,
        verbose: flags.verbose.max(file.verbose.unwrap_or(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_args(args: &[&str]) -> Result<Settings, ConfigError> {
        match load(std::iter::once("ioam-exporter").chain(args.iter().copied())) {
            Ok(settings) => Ok(settings),
            Err(LoadFailure::Bad(error)) => Err(error),
            Err(LoadFailure::Info(text)) => Err(ConfigError::Usage(text)),
        }
    }

    #[test]
    fn defaults_follow_the_transport() -> Result<(), ConfigError> {
        let udp = load_args(&["--collector", "udp://127.0.0.1"])?;
        assert_eq!(udp.session, SessionConfig::udp(0));
        assert_eq!(udp.flush_interval, DEFAULT_FLUSH);
        assert_eq!(udp.max_hop_pairs, 1024);
        assert_eq!(udp.module_stats_interval, Duration::from_secs(5));
        assert_eq!(udp.hop_pair_idle, Some(Duration::from_secs(3600)));
        assert_eq!(
            udp.metrics_listen,
            "[::1]:9464"
                .parse()
                .map_err(|_| ConfigError::Usage(String::new()))?
        );
        let tcp = load_args(&[
            "--collector",
            "tcp://127.0.0.1",
            "--observation-domain",
            "7",
        ])?;
        assert_eq!(tcp.session, SessionConfig::tcp(7));
        Ok(())
    }

    #[test]
    fn flags_win_over_the_file() -> Result<(), ConfigError> {
        let dir = std::env::temp_dir().join(format!("ioam-exporter-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| ConfigError::Usage(e.to_string()))?;
        let file = dir.join("exporter.toml");
        std::fs::write(
            &file,
            "collector = \"tcp://[::1]:9995\"\nflush-ms = 250\nobservation-domain = 3\nmax-hop-pairs = 10\nhop-pair-idle = 0\nmodule-stats-interval = 0\n",
        )
        .map_err(|e| ConfigError::Usage(e.to_string()))?;
        let path = file.to_string_lossy().to_string();
        let settings = load_args(&["--config", &path, "--observation-domain", "4"])?;
        assert_eq!(settings.collector.to_string(), "tcp://[::1]:9995");
        assert_eq!(settings.flush_interval, Duration::from_millis(250));
        assert_eq!(settings.session.observation_domain_id, 4);
        assert_eq!(settings.max_hop_pairs, 10);
        assert_eq!(settings.hop_pair_idle, None, "0: never");
        assert_eq!(settings.module_stats_interval, Duration::ZERO);
        let settings = load_args(&["--config", &path, "--max-hop-pairs", "20"])?;
        assert_eq!(settings.max_hop_pairs, 20);

        std::fs::write(
            &file,
            "collector = \"udp://x\"\n\nflush-ms = 1\nbogus = 1\n",
        )
        .map_err(|e| ConfigError::Usage(e.to_string()))?;
        let error = load_args(&["--config", &path]).err().map(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        let error = error.unwrap_or_default();
        assert!(
            error.contains("line 4 (bogus = 1): unknown field `bogus`"),
            "{error}"
        );
        assert!(!error.contains('\n'));
        Ok(())
    }

    #[test]
    fn the_shipped_example_is_valid() -> Result<(), ConfigError> {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/ioam-exporter.toml.example");
        let settings = load_args(&["--config", example])?;
        assert_eq!(settings.collector.to_string(), "udp://127.0.0.1:4739");
        assert_eq!(settings.session, SessionConfig::udp(0));
        assert_eq!(settings.receive_buffer, DEFAULT_RECEIVE_BUFFER);
        assert_eq!(settings.enterprise_number, DOCUMENTATION_PEN);
        assert_eq!(settings.max_hop_pairs, DEFAULT_MAX_HOP_PAIRS);
        assert_eq!(
            settings.module_stats_interval,
            DEFAULT_MODULE_STATS_INTERVAL
        );
        Ok(())
    }

    #[test]
    fn each_bad_setting_is_named() {
        for (args, named) in [
            (&["--collector", "http://x"][..], "bad setting collector"),
            (&[][..], "bad setting collector: none given"),
            (
                &["--collector", "udp://x", "--flush-ms", "0"],
                "bad setting flush-ms",
            ),
            (
                &["--collector", "udp://x", "--template-refresh", "0"],
                "bad setting template-refresh",
            ),
            (
                &["--collector", "udp://x", "--max-message-size", "20"],
                "bad setting max-message-size",
            ),
            (
                &["--collector", "udp://x", "--max-message-size", "65535"],
                "bad setting max-message-size",
            ),
            (
                &["--collector", "udp://x", "--metrics-listen", "9464"],
                "bad setting metrics-listen",
            ),
            (
                &["--collector", "udp://x", "--receive-buffer", "0"],
                "bad setting receive-buffer",
            ),
            (
                &["--collector", "udp://x", "--flush-ms", "soon"],
                "'--flush-ms <MS>'",
            ),
            (
                &["--collector", "udp://x", "--max-hop-pairs", "0"],
                "bad setting max-hop-pairs: 0 pairs",
            ),
            (
                &["--collector", "udp://x", "--max-hop-pairs", "65537"],
                "bad setting max-hop-pairs: 65537 pairs",
            ),
            (
                &["--collector", "udp://x", "--hop-pair-idle", "31536001"],
                "bad setting hop-pair-idle: 31536001 s",
            ),
            (
                &["--collector", "udp://x", "--module-stats-interval", "5s"],
                "'--module-stats-interval <SECS>'",
            ),
            (&["--colector", "udp://x"], "'--colector'"),
        ] {
            let error = load_args(args)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(named), "{args:?}: {error}");
            assert!(!error.contains('\n'), "{args:?}: one line: {error}");
        }
    }
}
