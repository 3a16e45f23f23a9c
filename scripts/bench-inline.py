#!/usr/bin/env python3
"""Which source functions, inlined ones included, a profile's module samples fall into.

    scripts/bench-inline.py OFFSETS MODULE DEBUG_MODULE [--function NAME] [--top N]
                            [--packets N]

OFFSETS is a profile's offsets-ioam-rs-SCENARIO.txt (written by scripts/bench-guest.sh in
profile mode); MODULE the ioam_rs.ko that was profiled; DEBUG_MODULE the same sources built
with debug information (`scripts/build-module.sh KDIR debuginfo`), whose code is the same
(checked: every function's address and size must match). For the module's samples, or those
of the functions whose symbol contains NAME, prints instructions per packet (a sample stands
for 10,000 instructions; the run sent --packets, default 100,000) by the innermost source
function and line, and by the chain of the two outermost inlined callers. The module is built
without debug information (the kernel's configuration has none), so perf in the guest cannot
tell inlined code apart; addr2line on the twin can.

Under TCG, the guest's timer interrupts are taken at translation-block boundaries: samples
gather on the instruction after a branch or call, so a line's share is approximate, a
function's is not.
"""

import argparse
import collections
import re
import subprocess
import sys


def symbols(module):
    """{name: (address, size)} of the module's text symbols."""
    out = subprocess.run(["nm", "-S", module], check=True, capture_output=True, text=True)
    table = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return table


def read_samples(path, only):
    """[(count, symbol, offset)] of an offsets file, for symbols containing `only`."""
    samples = []
    for line in open(path, encoding="utf-8"):
        m = re.fullmatch(r"\s*(\d+)\s+(\S+)\+0x([0-9a-f]+)\s*", line)
        if m and (only is None or only in m[2]):
            samples.append((int(m[1]), m[2], int(m[3], 16)))
    return samples


def frames(debug_module, addresses):
    """For each address, its inlined frames [(function, file:line)], innermost first."""
    query = "\n".join(hex(a) for a in addresses)
    out = subprocess.run(["addr2line", "-e", debug_module, "-i", "-f", "-C", "-a"],
                         input=query, check=True, capture_output=True, text=True).stdout
    result = []
    for block in re.split(r"^0x[0-9a-f]+\n", out, flags=re.M)[1:]:
        lines = block.strip().splitlines()
        result.append([(lines[i].split("::")[-1], lines[i + 1].rsplit("/", 1)[-1])
                       for i in range(0, len(lines) - 1, 2)])
    return result


# Instructions between samples: bench-guest.sh's `perf record -c` under icount (1 ns each).
SAMPLE_PERIOD = 10007


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("offsets")
    ap.add_argument("module")
    ap.add_argument("debug_module")
    ap.add_argument("--function", help="only symbols containing this")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--packets", type=int, default=100000,
                    help="packets of the profiled run (default 100000)")
    args = ap.parse_args()
    profiled, twin = symbols(args.module), symbols(args.debug_module)
    if profiled != twin:
        sys.exit(f"{args.debug_module} is not a build of the profiled code: the functions differ")
    samples = [s for s in read_samples(args.offsets, args.function) if s[1] in profiled]
    if not samples:
        sys.exit(f"{args.offsets}: no samples in the module's functions")
    per_packet = SAMPLE_PERIOD / args.packets
    stacks = frames(args.debug_module, [profiled[sym][0] + off for _, sym, off in samples])
    by = {"innermost function and line": collections.Counter(),
          "outermost inlined callers": collections.Counter()}
    for (count, _, _), stack in zip(samples, stacks):
        if not stack:
            continue
        name, place = stack[0]
        by["innermost function and line"][f"{name} ({place})"] += count
        chain = [f for f, _ in stack[:-1]][-2:]
        by["outermost inlined callers"][" <- ".join(chain) or stack[-1][0]] += count
    total = sum(count for count, _, _ in samples)
    print(f"{total * per_packet:.0f} instructions a packet in "
          f"{args.function or 'the module'}")
    for title, counter in by.items():
        print(f"== by {title}")
        for key, count in counter.most_common(args.top):
            print(f"{count * per_packet:7.1f} {100 * count / total:5.1f}%  {key}")


if __name__ == "__main__":
    main()
