//! `ioam-exporter`: see `ioam-exporter --help` and the `daemon` module.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

use ioam_exporter::daemon::clock::SystemClock;
use ioam_exporter::daemon::collector::{Scheme, TcpTransport, Transport, UdpTransport};
use ioam_exporter::daemon::config::{self, LoadFailure, Settings};
use ioam_exporter::daemon::exporter::Exporter;
use ioam_exporter::daemon::http::MetricsEndpoint;
use ioam_exporter::daemon::kernel_losses::KernelLosses;
use ioam_exporter::daemon::metrics::Metrics;
use ioam_exporter::daemon::module_stats::{ModuleStats, NetlinkStatsReader};
use ioam_exporter::daemon::source::{spawn_reader, NetlinkSource};
use ioam_exporter::daemon::{run, INPUT_QUEUE};
use ioam_exporter::ipfix::session::Session;

/// Bad configuration, including a port in use or a collector that does not resolve.
const EXIT_CONFIG: u8 = 2;
/// The daemon could not run: the module is not loaded, netlink failed.
const EXIT_RUNTIME: u8 = 1;
/// The receive buffer (as the kernel accounts it) from which the loop reads the socket
/// itself rather than through a reading thread and its channel: twice what that channel
/// holds (`INPUT_QUEUE` reads of up to 32 KiB). The default buffer, when granted, is 16 MiB.
const DIRECT_READ_BUFFER: usize = 4 << 20;

/// Why the daemon stopped.
enum Failure {
    Config(String),
    Runtime(String),
}

fn main() -> ExitCode {
    let settings = match config::load(std::env::args_os()) {
        Ok(settings) => settings,
        Err(LoadFailure::Info(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(LoadFailure::Bad(error)) => {
            eprintln!("ioam-exporter: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let level = match settings.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
    match serve(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(message)) => {
            eprintln!("ioam-exporter: {message}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("ioam-exporter: {message}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

fn serve(settings: &Settings) -> Result<(), Failure> {
    // First, so that a signal during start-up also ends the program with status 0.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|error| Failure::Runtime(format!("cannot handle signal {signal}: {error}")))?;
    }
    let (metrics, mut registry) = Metrics::new();
    let module_stats = ModuleStats::new(
        NetlinkStatsReader::new(ioam_uapi::FAMILY_NAME),
        settings.module_stats_interval,
        Box::new(std::time::Instant::now),
        KernelLosses::new(metrics.clone()),
    );
    registry.register_collector(Box::new(module_stats.clone()));
    let endpoint = MetricsEndpoint::start(settings.metrics_listen, registry)
        .map_err(|message| Failure::Config(format!("bad setting metrics-listen: {message}")))?;
    let session = Session::new(settings.session)
        .map_err(|error| Failure::Config(format!("bad setting max-message-size: {error}")))?;
    match settings.collector.scheme {
        Scheme::Udp => {
            let transport = UdpTransport::connect(&settings.collector).map_err(|error| {
                Failure::Config(format!(
                    "bad setting collector: {}: {error}",
                    settings.collector
                ))
            })?;
            export(
                settings,
                session,
                transport,
                metrics,
                &module_stats,
                &endpoint,
                &stop,
            )
        }
        Scheme::Tcp => {
            let transport = TcpTransport::new(settings.collector.clone());
            export(
                settings,
                session,
                transport,
                metrics,
                &module_stats,
                &endpoint,
                &stop,
            )
        }
    }
}

fn export<T: Transport>(
    settings: &Settings,
    session: Session,
    transport: T,
    metrics: Metrics,
    module_stats: &ModuleStats,
    endpoint: &MetricsEndpoint,
    stop: &AtomicBool,
) -> Result<(), Failure> {
    let (source, granted) =
        NetlinkSource::subscribe(ioam_uapi::FAMILY_NAME, settings.receive_buffer)
            .map_err(|error| Failure::Runtime(error.to_string()))?;
    // The kernel's export losses count from here.
    module_stats.read_at_start();
    metrics
        .receive_buffer_bytes
        .set(i64::try_from(granted).unwrap_or(i64::MAX));
    metrics
        .receive_buffer_requested_bytes
        .set(i64::try_from(settings.receive_buffer).unwrap_or(i64::MAX));
    if granted < settings.receive_buffer {
        log::warn!(
            "receive buffer: {granted} bytes granted of {} asked (SO_RCVBUFFORCE needs CAP_NET_ADMIN; else net.core.rmem_max caps it)",
            settings.receive_buffer
        );
    }
    log::info!(
        "exporting to {}, metrics at http://{}/metrics",
        settings.collector,
        endpoint
            .address()
            .map_or_else(|| settings.metrics_listen.to_string(), |a| a.to_string())
    );
    let mut exporter = Exporter::new(
        session,
        transport,
        metrics,
        settings.enterprise_number,
        settings.flush_interval,
        settings.max_hop_pairs,
    );
    exporter.set_hop_pair_idle(settings.hop_pair_idle);
    if granted >= DIRECT_READ_BUFFER {
        // The loop reads the socket itself: no reading thread to wake and hand each
        // datagram over. The socket's buffer holds bursts on its own.
        log::debug!("reading the socket in the loop ({granted}-byte receive buffer)");
        run(&mut exporter, &source, &SystemClock, stop)
            .map_err(|error| Failure::Runtime(error.to_string()))
    } else {
        // A small receive buffer: a reading thread drains it into a channel of
        // INPUT_QUEUE reads, which holds a burst the buffer alone would drop.
        let (sender, inputs) = mpsc::sync_channel(INPUT_QUEUE);
        spawn_reader(source, sender).map_err(|error| {
            Failure::Runtime(format!("cannot start the reader thread: {error}"))
        })?;
        run(&mut exporter, &inputs, &SystemClock, stop)
            .map_err(|error| Failure::Runtime(error.to_string()))
    }
}
