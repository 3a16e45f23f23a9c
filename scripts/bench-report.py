#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarises a benchmark run of scripts/bench.sh.

  bench-report.py DIR [--date D --rounds N --packets N]   write DIR/results.{csv,md,png}
  bench-report.py DIR --update-readme README.md            put DIR/results.md into README.md
                                                           between the bench markers

Inputs: DIR/speed.csv ("kernel,scenario,sent,received,guest_ns,busy_ns,work_ns" per run; runs
before work_ns have six fields) and DIR/alloc.csv ("kernel,scenario,sent,kind,call_site,count").
Throughput is received packets per second of CPU time of the tasks doing the scenario's work
(work_ns: pktgen's and the softirq threads, and the listener's, from the kernel's per-task
clocks, to the nanosecond), or of CPU time not idle (busy_ns, 10-ms ticks) for older runs; with
QEMU counting instructions (scripts/bench.sh), a guest second is 10^9 instructions. A scenario
with a listener also has a SCENARIO_packet_path row per run: its work_ns without the listener's.
"""
import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

KERNELS = ("ioam-rs", "upstream")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# (scenario, target against the baseline or None, target ioam-rs/upstream). Ahead of the C code
# everywhere; plain forwarding with the module loaded and configured nowhere within 0.5%; a
# `freq 1/1000` route within 1% of plain forwarding. (The 0.90/0.75 and 1.10 targets are the
# first benchmark's.)
TARGETS = {
    "baseline": (None, 0.995),
    "encap_inline_8": (0.90, 1.00), "encap_ip6ip6_8": (0.90, 1.00),
    "encap_inline_40": (None, 1.00), "encap_ip6ip6_40": (None, 1.00),
    "encap_inline_72": (None, 1.10), "encap_ip6ip6_72": (None, 1.10),
    "encap_inline_244": (0.75, 1.10), "encap_ip6ip6_244": (0.75, 1.10),
    "encap_ip6ip6_tunsrc_8": (None, 1.00),
    "transit_48": (0.90, 1.00), "transit_48_off": (None, 1.00), "transit_48_module": (0.90, 1.00),
    "transit_40_off": (None, 1.00),
    "decap_48": (None, 1.00),
    "freq_1000": (0.99, 1.00), "freq_1000_ip6ip6": (None, 1.00),
}


def load_speed(path):
    """{(kernel, scenario): [pps per run]}, {(kernel, round): {scenario: pps}}"""
    runs, rounds = defaultdict(list), defaultdict(dict)
    seen = defaultdict(int)
    with open(path) as f:
        for kernel, scenario, sent, received, ns, busy, *work in csv.reader(f):
            # The work's own CPU time, without the idle gaps that make wall time vary.
            ns = next((int(t) for t in (*work, busy) if int(t) > 0), int(ns))
            pps = int(received) / (ns / 1e9) if ns > 0 else 0.0
            runs[(kernel, scenario)].append(pps)
            r = seen[(kernel, scenario)]
            seen[(kernel, scenario)] += 1
            rounds[(kernel, r)][scenario] = pps
    return runs, rounds


def load_alloc(path):
    """{(kernel, scenario): (sent, total allocations, head reallocations, IOAM code's own)}
    The IOAM code's own: allocations whose call site is in ioam_rs.ko or the kernel's ioam6
    code (skb head reallocations are pskb_expand_head's, counted apart)."""
    out = {}
    if not os.path.exists(path):
        return out
    acc = defaultdict(lambda: [0, 0, 0, 0])
    with open(path) as f:
        for kernel, scenario, sent, kind, site, count in csv.reader(f):
            a = acc[(kernel, scenario)]
            a[0] = int(sent)
            a[1] += int(count)
            if site == "pskb_expand_head":
                a[2] += int(count)
            if "ioam" in site.lower():
                a[3] += int(count)
    for k, v in acc.items():
        out[k] = tuple(v)
    return out


def spread(values):
    m = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / m if m else 0.0


def summarise(d):
    runs, rounds = load_speed(os.path.join(d, "speed.csv"))
    alloc = load_alloc(os.path.join(d, "alloc.csv"))
    scenarios = []
    for (_, s) in runs:
        if s not in scenarios:
            scenarios.append(s)
    rows = []
    for s in scenarios:
        for k in KERNELS:
            v = runs.get((k, s))
            if not v:
                continue
            # Ratio to the baseline of the same boot, then the median over rounds: drift between
            # boots cancels out.
            ratios = [r[s] / r["baseline"] for (kk, _), r in rounds.items()
                      if kk == k and s in r and r.get("baseline")]
            row = {"scenario": s, "kernel": k, "pps_median": statistics.median(v),
                   "spread_pct": spread(v), "runs": len(v),
                   "ratio_to_baseline": statistics.median(ratios) if ratios else None}
            a, b = alloc.get((k, s)), alloc.get((k, "baseline"))
            if a and a[0]:
                row["allocs_per_packet"] = a[1] / a[0]
                row["head_reallocs_per_packet"] = a[2] / a[0]
                row["ioam_allocs_per_packet"] = a[3] / a[0]
                if b and b[0]:
                    row["extra_allocs_per_packet"] = a[1] / a[0] - b[1] / b[0]
            rows.append(row)
    by = {(r["kernel"], r["scenario"]): r for r in rows}
    for r in rows:
        up = by.get(("upstream", r["scenario"]))
        rs = by.get(("ioam-rs", r["scenario"]))
        if up and rs and up["pps_median"]:
            r["ratio_rs_over_upstream"] = rs["pps_median"] / up["pps_median"]
    return scenarios, rows, by


def fmt(v, f="%.2f"):
    return "-" if v is None else f % v


def write_csv(path, rows):
    cols = ["scenario", "kernel", "pps_median", "spread_pct", "runs", "ratio_to_baseline",
            "ratio_rs_over_upstream", "allocs_per_packet", "extra_allocs_per_packet",
            "ioam_allocs_per_packet", "head_reallocs_per_packet"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c) if not isinstance(r.get(c), float) else "%.4f" % r[c] for c in cols])


def markdown(scenarios, by, args):
    lines = [
        "Benchmark of %s: %d round(s) of %d packets per scenario and kernel, kernels alternating; "
        "allocation audit over the audit run. The guest runs under QEMU TCG with instruction "
        "counting (`-icount shift=0`): throughput is packets per 10^9 guest instructions executed "
        "by the tasks doing the work (pktgen's and the softirq threads, and a listener's; "
        "per-task CPU clocks, to the nanosecond), not per real second, so only ratios are meaningful; "
        "a `_packet_path` row is its scenario's runs without the listener's time (the listener on a "
        "CPU of its own). Allocations: kmem tracepoints counted per call "
        "site; \"IOAM code's\" are those whose call site is in ioam_rs.ko or the kernel's ioam6 "
        "code; head reallocations are pskb_expand_head's, wherever called from (the plain "
        "forwarding path has its own)." % (args.date, args.rounds, args.packets),
        "",
        "| scenario | ioam-rs Mpkt/Ginsn (spread) | upstream Mpkt/Ginsn (spread) | ioam-rs / upstream "
        "| ioam-rs / baseline | upstream / baseline | IOAM code's allocs/pkt ioam-rs / upstream "
        "| head reallocs/pkt ioam-rs / upstream | all allocs/pkt ioam-rs / upstream |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        rs, up = by.get(("ioam-rs", s), {}), by.get(("upstream", s), {})

        def pps(r):
            return "-" if not r else "%.4f (±%.0f%%)" % (r["pps_median"] / 1e6, r["spread_pct"] / 2)
        lines.append("| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |" % (
            s, pps(rs), pps(up), fmt(rs.get("ratio_rs_over_upstream")),
            fmt(rs.get("ratio_to_baseline")), fmt(up.get("ratio_to_baseline")),
            fmt(rs.get("ioam_allocs_per_packet"), "%.4f"), fmt(up.get("ioam_allocs_per_packet"), "%.4f"),
            fmt(rs.get("head_reallocs_per_packet"), "%.3f"), fmt(up.get("head_reallocs_per_packet"), "%.3f"),
            fmt(rs.get("allocs_per_packet"), "%.3f"), fmt(up.get("allocs_per_packet"), "%.3f")))
    lines += ["", "Targets (medians):", ""]
    for s in scenarios:
        if s not in TARGETS:
            continue
        base_t, up_t = TARGETS[s]
        rs = by.get(("ioam-rs", s), {})
        checks = []
        if up_t is not None and rs.get("ratio_rs_over_upstream") is not None:
            v = rs["ratio_rs_over_upstream"]
            checks.append("ioam-rs/upstream %.3f %s %.3f" % (v, "≥" if v >= up_t else "<", up_t))
        if base_t is not None and rs.get("ratio_to_baseline") is not None:
            v = rs["ratio_to_baseline"]
            checks.append("vs baseline %.3f %s %.3f" % (v, "≥" if v >= base_t else "<", base_t))
        ok = all("≥" in c for c in checks)
        lines.append("- %s: %s — %s" % (s, "; ".join(checks) or "no data", "met" if ok else "NOT met"))
    lines += transit_cost(by)
    lines += export_cost(by)
    return "\n".join(lines) + "\n"


# A transit node exporting every trace keeps this share of its throughput without export: the
# throughput of its packet path, with the listener on a CPU of its own (a scenario's
# "_packet_path" row: the same run without the listener's CPU time).
EXPORT_TARGET = 0.90


def export_cost(by):
    """What taking every trace's event costs T, against transit_48_module: the module's part
    (a listener that drops the messages: one message per event, or batched) and ioam-exporter
    exporting every trace; each for the packet path alone (the listener on a CPU of its own,
    the target's measure) and for the whole node on one CPU (the listener's time included)."""
    without = by.get(("ioam-rs", "transit_48_module"))
    if not without or not without["pps_median"]:
        return []

    def against(s):
        r = by.get(("ioam-rs", s))
        if not r or not r["pps_median"]:
            return None
        return r["pps_median"] / without["pps_median"], 1e6 / r["pps_median"] - 1e6 / without["pps_median"]
    lines = []
    for s, what in (("transit_48_events", "one message per event"),
                    ("transit_48_batches", "batched for exporters"),
                    ("transit_48_export", "batched and exported by ioam-exporter")):
        path, node = against(s + "_packet_path"), against(s)
        if node is None:
            continue
        text = "- %s (%s) against transit_48_module:" % (s, what)
        if path is not None:
            text += " packet path %.3f %s %.2f, %.2f k insns/packet more;" % (
                path[0], "≥" if path[0] >= EXPORT_TARGET else "<", EXPORT_TARGET, path[1])
        text += " whole node on one CPU %.3f, %.2f k more" % node
        if s != "transit_48_events" and path is not None:
            text += " — %s" % ("met" if path[0] >= EXPORT_TARGET else "NOT met")
        lines.append(text)
    return lines


def transit_cost(by):
    """T's own cost: transit_48 (or _module) minus transit_48_off, in k insns per packet; and
    without the egress fields, transit_40 minus transit_40_off."""
    def kinsns(k, s):
        r = by.get((k, s))
        return 1e6 / r["pps_median"] if r and r["pps_median"] else None

    def cost(k, s, off="transit_48_off"):
        a, b = kinsns(k, s), kinsns(k, off)
        return None if a is None or b is None else a - b
    lines = []
    up = cost("upstream", "transit_48")
    if up is not None:
        parts = ["%s %s" % (what, fmt(cost("ioam-rs", s), "%.2f"))
                 for what, s in (("sysctl", "transit_48"), ("module switch", "transit_48_module"))]
        rs = cost("ioam-rs", "transit_48_module")
        met = rs is not None and rs <= up
        lines.append("- transit node's own cost (k insns/packet, transit_48[_module] minus "
                     "transit_48_off): ioam-rs %s; upstream %.2f — %s"
                     % ("; ".join(parts), up, "met" if met else "NOT met"))
    up40, rs40 = (cost(k, "transit_40", "transit_40_off") for k in ("upstream", "ioam-rs"))
    if up40 is not None and rs40 is not None:
        lines.append("- transit node's own cost without the egress fields (transit_40 minus "
                     "transit_40_off): ioam-rs %.2f; upstream %.2f" % (rs40, up40))
    return lines


def chart(path, scenarios, by):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no chart", file=sys.stderr)
        return False
    names = [s for s in scenarios if s != "baseline"]
    x = range(len(names))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for i, k in enumerate(KERNELS):
        vals = [by.get((k, s), {}).get("ratio_to_baseline") or 0 for s in names]
        ax.bar([p + (i - 0.5) * 0.4 for p in x], vals, width=0.4, label=k)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("throughput / plain forwarding")
    ax.set_title("IOAM cost: ioam-rs vs the kernel's own IOAM (QEMU TCG, instruction-counted)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def update_readme(d, readme):
    table = open(os.path.join(d, "results.md")).read()
    text = open(readme).read()
    if BEGIN not in text or END not in text:
        raise SystemExit("%s has no %s ... %s markers" % (readme, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(readme, "w").write(head + BEGIN + "\n" + table + END + tail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--date", default="")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--packets", type=int, default=0)
    ap.add_argument("--update-readme")
    args = ap.parse_args()
    if args.update_readme:
        update_readme(args.dir, args.update_readme)
        return 0
    scenarios, rows, by = summarise(args.dir)
    if not rows:
        raise SystemExit("no results in %s/speed.csv" % args.dir)
    write_csv(os.path.join(args.dir, "results.csv"), rows)
    open(os.path.join(args.dir, "results.md"), "w").write(markdown(scenarios, by, args))
    chart(os.path.join(args.dir, "results.png"), scenarios, by)
    return 0


if __name__ == "__main__":
    sys.exit(main())
