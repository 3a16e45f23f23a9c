//! The binary's streams and exit statuses for commands that never reach the kernel, so
//! these pass whether or not `ioam_rs.ko` is loaded.

use std::process::{Command, Output};

fn ioamctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ioamctl"))
        .args(args)
        .output()
        .expect("run ioamctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_arguments_give_one_line_and_status_1() {
    let cases = [
        (
            &["namespace", "add", "70000"][..],
            "ioamctl: invalid namespace id \"70000\": expected an integer 0..65535\n",
        ),
        (
            &["schema", "add", "0x1000000", "x"],
            "ioamctl: invalid schema id \"0x1000000\": expected an integer 0..16777214 (0xffffff means no schema)\n",
        ),
        (
            &["ns", "add", "1", "foo"],
            "ioamctl: unknown argument \"foo\" after namespace add ID: expected \"data DATA32\", \"wide DATA64\" or \"tsformat FORMAT\"\n",
        ),
        (
            &["ns", "add", "1", "data"],
            "ioamctl: \"data\" needs a value: DATA32, a 32-bit integer\n",
        ),
        (
            &["frobnicate"],
            "ioamctl: unknown object \"frobnicate\": expected \"namespace\" (or \"ns\"), \"schema\", \
             \"monitor\", \"stats\", \"interface\", \"events\", \"loopback\", \"export\" or \"route\"\n",
        ),
        (
            &["interface", "enable", "ioamctl-none0"],
            "ioamctl: cannot find device \"ioamctl-none0\"\n",
        ),
        (
            &["interface", "disable"],
            "ioamctl: \"interface disable\" needs a value: DEV, an interface name\n",
        ),
        (
            &["events", "limit", "rate", "0", "burst", "1"],
            "ioamctl: invalid rate \"0\": expected an integer 1..1000000\n",
        ),
        (
            &["events", "limit", "rate", "1"],
            "ioamctl: \"events limit rate RATE\" needs \"burst BURST\"\n",
        ),
        (
            &["monitor", "now"],
            "ioamctl: unknown argument \"now\" after monitor: expected \"--export\" or nothing more\n",
        ),
        (
            &["stats", "clear"],
            "ioamctl: unknown command \"clear\" after stats: expected show\n",
        ),
        (
            &["--frobnicate", "ns", "show"],
            "ioamctl: unexpected argument '--frobnicate' found (see ioamctl --help)\n",
        ),
    ];
    for (args, expected) in cases {
        let output = ioamctl(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&output.stderr), expected, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn oversized_schema_data_is_refused() {
    let data = "x".repeat(1021);
    let output = ioamctl(&["schema", "add", "1", &data]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "ioamctl: schema data is 1021 bytes: at most 1020 allowed\n"
    );
}

#[test]
fn no_arguments_print_usage_on_stderr_with_status_1() {
    let output = ioamctl(&[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("Usage: ioamctl"));
    assert!(output.stdout.is_empty());
}

#[test]
fn help_and_version_go_to_stdout_with_status_0() {
    for args in [
        &["--help"][..],
        &["help"],
        &["ns", "add", "--help"],
        &["monitor", "--help"],
        &["events", "limit", "-h"],
        &["-V"],
    ] {
        let output = ioamctl(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(!output.stdout.is_empty(), "{args:?}");
        assert!(output.stderr.is_empty(), "{args:?}");
    }
    let version = text(&ioamctl(&["--version"]).stdout);
    assert_eq!(version, format!("ioamctl {}\n", env!("CARGO_PKG_VERSION")));
}
