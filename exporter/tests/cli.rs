//! The `ioam-exporter` binary refuses bad configuration before it touches netlink: one
//! line on standard error naming the setting, exit status 2.

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::Scratch;

/// Runs the binary; its exit status and standard error.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ioam-exporter"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run ioam-exporter");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_line_naming(args: &[&str], setting: &str) {
    let (status, stderr) = run(args);
    assert_eq!(status, Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    assert!(stderr.starts_with("ioam-exporter: "), "{stderr}");
    assert!(
        stderr.contains(setting),
        "{args:?} names {setting}: {stderr}"
    );
}

#[test]
fn bad_settings_are_named_on_one_line() {
    for (args, setting) in [
        (
            &["--collector", "http://127.0.0.1:4739"][..],
            "bad setting collector",
        ),
        (
            &["--collector", "udp://127.0.0.1:99999"][..],
            "bad setting collector",
        ),
        (
            &[
                "--collector",
                "udp://127.0.0.1",
                "--metrics-listen",
                "localhost",
            ][..],
            "bad setting metrics-listen",
        ),
        (
            &["--collector", "udp://127.0.0.1", "--flush-ms", "0"][..],
            "bad setting flush-ms",
        ),
        (
            &["--collector", "tcp://127.0.0.1", "--max-message-size", "10"][..],
            "bad setting max-message-size",
        ),
        (
            &[
                "--collector",
                "udp://127.0.0.1",
                "--observation-domain",
                "4294967296",
            ][..],
            "--observation-domain",
        ),
        (
            &["--collector", "udp://127.0.0.1", "--max-hop-pairs", "0"][..],
            "bad setting max-hop-pairs",
        ),
        (
            &[
                "--collector",
                "udp://127.0.0.1",
                "--module-stats-interval",
                "often",
            ][..],
            "--module-stats-interval",
        ),
        (&["--collectr", "udp://127.0.0.1"][..], "--collectr"),
        (&[][..], "bad setting collector"),
    ] {
        assert_one_line_naming(args, setting);
    }
}

#[test]
fn bad_config_file_keys_are_named() {
    let dir = Scratch::dir("cli-config");
    let file = dir.0.join("exporter.toml");
    std::fs::write(&file, "collector = \"udp://127.0.0.1\"\nflush_ms = 10\n").expect("write");
    let path = file.to_string_lossy().into_owned();
    assert_one_line_naming(&["--config", &path], "unknown field `flush_ms`");
    std::fs::write(&file, "collector = \"sctp://127.0.0.1\"\n").expect("write");
    assert_one_line_naming(&["--config", &path], "bad setting collector");
    assert_one_line_naming(
        &["--config", &dir.0.join("absent.toml").to_string_lossy()],
        "absent.toml",
    );
}

#[test]
fn a_metrics_port_in_use_is_a_configuration_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("address").to_string();
    assert_one_line_naming(
        &[
            "--collector",
            "udp://127.0.0.1",
            "--metrics-listen",
            &address,
        ],
        &format!("bad setting metrics-listen: cannot listen on {address}"),
    );
}

#[test]
fn help_explains_the_daemon() {
    let output = Command::new(env!("CARGO_BIN_EXE_ioam-exporter"))
        .arg("--help")
        .output()
        .expect("run ioam-exporter");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for wanted in [
        "IPFIX",
        "--collector",
        "--metrics-listen",
        "--config",
        "SIGTERM",
        "kernel_failed",
        "rate_limit",
        "ioam6_export",
    ] {
        assert!(help.contains(wanted), "{wanted} in:\n{help}");
    }
}
