#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks the output of "ioamctl -j monitor" (one JSON object per trace event) for the
ioam_rs selftests.

  check_events.py FILE COUNT [--ns N] [--nodes K] [--node SPEC] [--data HEX] [--all-data HEX]
    COUNT        the exact number of events in FILE
    --ns N       every event is for namespace N
    --nodes K    every event carries K nodes' data
    --node SPEC  the most recent node (written by the node that sent the event) has these
                 values, for the fields its trace type carries; SPEC as ioam_check.py's:
                 comma-separated KEY=VALUE among hop, id, in, out, nsd, idw, inw, outw, nsdw
                 (others, like ts, are not compared). Its transit delay and queue depth,
                 written as the packet leaves, after the event, must be unavailable.
    --data HEX   the last event's raw trace data is HEX (what the next hop received), but
                 for the most recent node's transit delay and queue depth, unavailable in
                 the event
    --dex        every event is a DEX event (RFC 9326), with --flow-id ID if given (else
                 none) and, with --seq-from N, Sequence Numbers N, N+1, ... in order
    --copy FROM=ID,ID,...  every event is a LOOPBACK event (RFC 9322) from one of the --copy
                 addresses, with these node ids, newest first; each --copy matches
                 COUNT / (number of --copy) events
    --flags F    every event has these RFC 9322 flags: L, A, LA, or - for none
    --src ADDR, --dst ADDR
                 every event's packet has these addresses, and a flow label (20 bits)
Prints "ok" or what differs, and exits 0 or 1.
"""
import argparse
import json
import sys

# The fields a node writes as the packet leaves it, after its event: (JSON field, trace type bit).
EGRESS_FIELDS = (("transit_delay", 0x080000), ("queue_depth", 0x020000))
U32_NA = 0xFFFFFFFF

# Spec key: (JSON field, the trace type bit that carries it).
FIELDS = {
    "hop": ("hop_limit", 0x800000), "id": ("node_id", 0x800000),
    "in": ("ingress_if", 0x400000), "out": ("egress_if", 0x400000),
    "nsd": ("namespace_data", 0x040000),
    "idw": ("node_id_wide", 0x008000), "inw": ("ingress_if_wide", 0x004000),
    "outw": ("egress_if_wide", 0x004000), "nsdw": ("namespace_data_wide", 0x002000),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("count", type=int)
    ap.add_argument("--ns", type=int)
    ap.add_argument("--nodes", type=int)
    ap.add_argument("--node")
    ap.add_argument("--data")
    ap.add_argument("--dex", action="store_true")
    ap.add_argument("--flow-id", type=lambda v: int(v, 0))
    ap.add_argument("--seq-from", type=lambda v: int(v, 0))
    ap.add_argument("--copy", action="append", default=[])
    ap.add_argument("--flags")
    ap.add_argument("--src")
    ap.add_argument("--dst")
    args = ap.parse_args()
    copies = {}
    for c in args.copy:
        source, ids = c.split("=", 1)
        copies[source] = [int(i, 0) for i in ids.split(",")]
    seen = dict.fromkeys(copies, 0)
    option = "dex" if args.dex else "loopback" if copies else None
    lines = [l for l in open(args.file) if l.strip()]
    if len(lines) != args.count:
        return "%d events, expected %d" % (len(lines), args.count)
    want = {}
    if args.node:
        for kv in args.node.split(","):
            k, v = kv.split("=", 1)
            if k in FIELDS:
                want[k] = int(v, 0)
    events = [json.loads(l) for l in lines]
    for i, ev in enumerate(events):
        if args.ns is not None and ev.get("namespace") != args.ns:
            return "event %d: namespace %s" % (i, ev.get("namespace"))
        if ev.get("option") != option:
            return "event %d: option %s: %s" % (i, ev.get("option", "trace"), ev)
        if args.flags is not None:
            flags = ("L" if ev.get("loopback") else "") + ("A" if ev.get("active") else "")
            if flags != args.flags.strip("-"):
                return "event %d: flags %r, expected %r: %s" % (i, flags, args.flags, ev)
        if copies:
            ids = [n.get("node_id") for n in ev.get("nodes", [])]
            if copies.get(ev.get("from")) != ids:
                return "event %d: a copy from %s with node ids %s: %s" % (i, ev.get("from"), ids, ev)
            seen[ev["from"]] += 1
        if args.dex and ev.get("flowid") != args.flow_id:
            return "event %d: flow id %s, expected %s" % (i, ev.get("flowid"), args.flow_id)
        seq = None if args.seq_from is None else args.seq_from + i
        if args.dex and ev.get("seqnum") != seq:
            return "event %d: sequence number %s, expected %s" % (i, ev.get("seqnum"), seq)
        for key in ("src", "dst"):
            if getattr(args, key) is not None and ev.get(key) != getattr(args, key):
                return "event %d: packet %s %s, expected %s" % (i, key, ev.get(key), getattr(args, key))
        label = ev.get("flowlabel")
        if (args.src or args.dst) and not (isinstance(label, int) and 0 <= label < 1 << 20):
            return "event %d: flow label %r" % (i, label)
        nodes = ev.get("nodes", [])
        if args.nodes is not None and len(nodes) != args.nodes:
            return "event %d: %d nodes, expected %d: %s" % (i, len(nodes), args.nodes, ev)
        if want:
            me = nodes[0] if nodes else {}
            trace_type = int(ev.get("type", "0"), 16)
            for k, v in want.items():
                field, bit = FIELDS[k]
                got = me.get(field)
                # 64-bit fields come as hex strings (ioamctl/README.md).
                if isinstance(got, str):
                    got = int(got, 16)
                if trace_type & bit and got != v:
                    return "event %d: %s is %s, expected %#x: %s" % (i, field, me.get(field), v, me)
            for field, bit in EGRESS_FIELDS:
                if trace_type & bit and me.get(field) != U32_NA:
                    return "event %d: %s is %s, expected unavailable: %s" % (i, field, me.get(field), me)
    for source, n in seen.items():
        if n != args.count // len(copies):
            return "%d copies from %s, expected %d" % (n, source, args.count // len(copies))
    if args.data is not None and events:
        last = events[-1]
        expected = with_egress_unavailable(args.data, int(last.get("type", "0"), 16))
        if last.get("data") != expected:
            return "last event's data %s, expected %s (%s on the wire)" % (
                last.get("data"), expected, args.data)
    return None


def with_egress_unavailable(data, trace_type):
    """The trace data HEX with the most recent entry's (the first's) egress fields unavailable.
    Bits 0-7 are 4 octets each: a field's offset counts the bits in front of it."""
    raw = bytearray.fromhex(data)
    for _, bit in EGRESS_FIELDS:
        if trace_type & bit:
            off = 4 * bin(trace_type & 0xFF0000 & ~((bit << 1) - 1)).count("1")
            raw[off:off + 4] = b"\xff" * 4
    return raw.hex()


if __name__ == "__main__":
    err = main()
    print(err or "ok")
    sys.exit(1 if err else 0)
