#!/usr/bin/env python3
"""Where inside the module's functions a profile's samples fall.

    scripts/bench-annotate.py OFFSETS MODULE [--min-share PERCENT]

OFFSETS is a profile's offsets-ioam-rs-SCENARIO.txt ("COUNT SYMBOL+0xOFFSET" lines, written by
scripts/bench-guest.sh in profile mode); MODULE the ioam_rs.ko that was profiled. Prints, for
each function with at least PERCENT (default 1) of the module's samples, its disassembly with
each instruction's share of the function's samples. perf annotate would do this in the guest,
but needs the module's debug information where perf looks for it; objdump on the host needs
only the object file.
"""

import argparse
import collections
import re
import subprocess
import sys


def read_offsets(path):
    """{symbol: {offset: count}} from an offsets file."""
    hits = collections.defaultdict(collections.Counter)
    for line in open(path, encoding="utf-8"):
        m = re.fullmatch(r"\s*(\d+)\s+(\S+)\+0x([0-9a-f]+)\s*", line)
        if m:
            hits[m[2]][int(m[3], 16)] += int(m[1])
    return hits


def disassemble(module, symbol):
    """[(offset in the function, instruction text)] of `symbol` in `module`."""
    plain = subprocess.run(
        ["objdump", "-dr", "--no-show-raw-insn", f"--disassemble={symbol}", module],
        check=True, capture_output=True, text=True).stdout
    start, lines = None, []
    for line in plain.splitlines():
        head = re.match(r"^([0-9a-f]+) <(.+)>:$", line)
        if head:
            start = int(head[1], 16) if head[2] == symbol else None
            continue
        if start is None:
            continue
        if re.match(r"^\s+[0-9a-f]+: R_", line):
            if lines:
                # A relocation names the callee or datum of the instruction before it.
                off, text = lines[-1]
                lines[-1] = (off, f"{text}  <{line.split()[-1]}>")
            continue
        insn = re.match(r"^\s*([0-9a-f]+):\s*(.*)$", line)
        if insn:
            lines.append((int(insn[1], 16) - start, insn[2].strip()))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("offsets")
    ap.add_argument("module")
    ap.add_argument("--min-share", type=float, default=1.0)
    args = ap.parse_args()
    hits = read_offsets(args.offsets)
    total = sum(sum(c.values()) for c in hits.values())
    if not total:
        sys.exit(f"{args.offsets}: no samples in the module")
    for symbol, counts in sorted(hits.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(counts.values())
        if 100 * n / total < args.min_share:
            break
        print(f"=== {symbol}: {n} samples, {100 * n / total:.1f}% of the module's")
        for off, text in disassemble(args.module, symbol):
            share = 100 * counts.get(off, 0) / n
            mark = f"{share:5.1f}%" if counts.get(off) else "      "
            print(f"{mark} {off:5x}: {text}")
        print()


if __name__ == "__main__":
    main()
