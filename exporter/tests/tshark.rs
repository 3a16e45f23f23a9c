//! Wireshark's IPFIX dissector decodes the exporter's messages: no malformed or expert
//! mark (its sequence-number analysis flags a wrong count), the expected templates, and
//! sequence numbers that add up to the records it counts. Skipped without `tshark`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use ioam_exporter::ipfix::session::SessionConfig;
use ioam_exporter::records::{hop_template_id, PATH_DELAY_TEMPLATE_ID};

const EVENTS: usize = 30;
const HOPS: u8 = 3;

fn write_pcap(dir: &Scratch, name: &str, messages: &[Vec<u8>]) -> PathBuf {
    let file = dir.0.join(name);
    std::fs::write(&file, pcap(messages)).expect("write the capture");
    file
}

fn run(tshark: &Path, file: &Path, args: &[&str]) -> String {
    let output = Command::new(tshark)
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(output.status.success(), "tshark: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Frames tshark marks malformed or with an expert message, one line each.
fn flagged(tshark: &Path, file: &Path) -> String {
    run(
        tshark,
        file,
        &[
            "-Y",
            "_ws.malformed || _ws.expert",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.message",
        ],
    )
}

/// Per frame: the header's sequence number, and the records of each set as tshark counts
/// them (`Set 2 [id=256] (1 flows)`).
fn sequences_and_records(decoded: &str) -> Vec<(u32, u32)> {
    let mut frames: Vec<(u32, u32)> = Vec::new();
    for line in decoded.lines().map(str::trim) {
        if let Some(number) = line.strip_prefix("FlowSequence: ") {
            frames.push((number.parse().expect("sequence number"), 0));
        } else if let Some(rest) = line.strip_prefix("Set ") {
            let flows = rest
                .split_once("] (")
                .and_then(|(_, count)| count.strip_suffix(" flows)"))
                .map_or(0, |count| count.parse().expect("record count"));
            if let Some(frame) = frames.last_mut() {
                frame.1 += flows;
            }
        }
    }
    frames
}

#[test]
fn tshark_decodes_the_stream_cleanly() {
    let Some(tshark) = tool("tshark") else { return };
    let messages = messages(SessionConfig::udp(DOMAIN), EVENTS, HOPS);
    assert!(
        messages.len() > 2,
        "several messages of at most 1,400 octets"
    );
    let dir = Scratch::dir("tshark-stream");
    let file = write_pcap(&dir, "stream.pcap", &messages);
    assert_eq!(flagged(&tshark, &file), "", "no malformed or expert mark");

    let fields = run(
        &tshark,
        &file,
        &[
            "-T",
            "fields",
            "-e",
            "cflow.od_id",
            "-e",
            "cflow.template_id",
            "-E",
            "aggregator=,",
        ],
    );
    let first = fields.lines().next().unwrap_or_default();
    // In the order of their ids (the session keeps templates so).
    let mut templates = [PATH_DELAY_TEMPLATE_ID, hop_template_id(TRACE_TYPE)];
    templates.sort();
    let [a, b] = templates;
    assert_eq!(first, format!("{DOMAIN}\t{a},{b}"));
    assert!(fields
        .lines()
        .skip(1)
        .all(|line| line == format!("{DOMAIN}\t")));

    let decoded = run(&tshark, &file, &["-V"]);
    let frames = sequences_and_records(&decoded);
    assert_eq!(frames.len(), messages.len());
    let mut expected_sequence = 0;
    for (sequence, records) in &frames {
        assert_eq!(*sequence, expected_sequence, "{frames:?}");
        expected_sequence += records;
    }
    // One path record and one per hop for each event.
    assert_eq!(expected_sequence as usize, EVENTS * (1 + usize::from(HOPS)));
    // The first node's id and namespace data, as tshark shows unknown elements.
    assert!(decoded.contains("Type 8: Value (hex bytes): 00 ab cd 01"));
    assert!(decoded.contains("Type 14: Value (hex bytes): de ad 00 03"));
    // The path's delay (RFC 9951's elements, which this tshark does not name yet): the
    // last node received the packet 2 µs after the first.
    for element in 530..=532 {
        assert!(decoded.contains(&format!("Type {element}: Value (hex bytes): 00 00 00 02")));
    }
    // The packet's flow, in the IANA elements tshark names.
    assert!(decoded.contains(&format!("SrcAddr: {SRC}")));
    assert!(decoded.contains(&format!("DstAddr: {DST}")));
    assert!(decoded.contains(&format!("ipv6FlowLabel: {FLOW_LABEL}\n")));
}

#[test]
fn tshark_flags_what_this_test_must_catch() {
    let Some(tshark) = tool("tshark") else { return };
    let messages = messages(SessionConfig::udp(DOMAIN), EVENTS, HOPS);
    // A lost message: the next sequence number is not the one expected.
    let dir = Scratch::dir("tshark-controls");
    let gap = write_pcap(
        &dir,
        "gap.pcap",
        &[messages[0].clone(), messages[2].clone()],
    );
    assert!(flagged(&tshark, &gap).contains("Unexpected flow sequence"));
    // A set length shorter than a set header.
    let mut corrupt = messages[1].clone();
    corrupt[16 + 2..16 + 4].copy_from_slice(&3u16.to_be_bytes());
    let bad = write_pcap(&dir, "bad.pcap", &[messages[0].clone(), corrupt]);
    assert!(flagged(&tshark, &bad).contains("too short"));
}
