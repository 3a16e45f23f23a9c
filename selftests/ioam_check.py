#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Receiver for the ioam_rs selftests: captures IPv6 packets on an interface (packet socket)
and checks every byte of their IOAM Hop-by-Hop header against an expectation built here,
independently of the module's own encoder.

  ioam_check.py IFACE COUNT [options]
    --mode inline|encap      where the Hop-by-Hop header is expected (encap: outer header,
                             next header 41 after it)
    --outer-src/--outer-dst  encap: expected outer addresses
    --ns N --type T --size S trace configuration of the route
    --node SPEC              one filled node, oldest first; repeat per node. SPEC is
                             comma-separated KEY=VALUE: hop, id, idw, in, out, inw, outw,
                             ts (unavail|any), td (unavail|any: a transit delay below
                             1 s), nsd, nsdw, qd (a number, unavail, or any: a backlog,
                             not 0xFFFFFFFF), sc (none|ID:HEX), egress=late: the node writes
                             td and qd as the packet leaves, once its egress hook is in
                             place: both may be unavailable until this receiver has seen
                             them written by the node (its id), never after
    --overflow               the O flag is expected set
    --flags F                the RFC 9322 flags expected set besides: 0x02 Loopback, 0x01 Active
    --incremental R          an Incremental Trace option (IOAM Option-Type 1) sent with
                             RemainingLen R and no data, each --node inserted by a hop (newest
                             first on the wire); --size is not used. Only padding may precede it
                             and follow it, but for --after
    --after HEX              the bytes of the options that follow the trace option
    --dex EXT                a Direct Export option (IOAM Option-Type 4) with --ns, --type
                             and Extension-Flags EXT instead of a trace; with --flow-id ID
                             (flag 0x80) and --seq-from N (flag 0x40: the packets carry N,
                             N+1, ... in order)
    --absent                 the packets must carry no Hop-by-Hop header at all
    --timeout SEC            give up waiting (default 10)
    --case ADDR:TYPE:SIZE    one packet to ADDR (its inner destination in encap mode),
                             checked with this trace type and size instead of --type and
                             --size; repeat per case. COUNT is the number of cases, and
                             the packets may come in any order.
Prints "ok N packets trace HEX" (HEX: the filled part of the last packet's trace data, as a
trace event carries it) or the first mismatch, and exits 0 or 1.
"""
import argparse
import copy
import os
import shlex
import socket
import struct
import sys
import time

ETH_P_IPV6 = 0x86DD
U32_NA = 0xFFFFFFFF


def parse_node(spec):
    d = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
    return d


def num(v, default=None):
    return int(v, 0) if v is not None else default


def node_len(t):
    return bin(t & 0xFF1FFC).count("1") + 2 * bin(t & 0xE000).count("1")


def expected_node(t, node, now):
    """Bytes one node writes for trace type t, the mask of bytes to compare exactly, and the
    offsets of 'ts=any' timestamp fields (checked for plausibility instead)."""
    out, mask, approx = b"", b"", []

    def put(b, m=True):
        nonlocal out, mask
        out += b
        mask += (b"\xff" if m else b"\x00") * len(b)

    hop, nid = num(node.get("hop"), 0), num(node.get("id"), 0)
    if t & 0x800000:
        put(struct.pack(">I", (hop << 24) | (nid & 0xFFFFFF)))
    if t & 0x400000:
        put(struct.pack(">HH", num(node.get("in"), 0xFFFF), num(node.get("out"), 0xFFFF)))
    ts_any = node.get("ts", "unavail") == "any"  # checked for plausibility in check_packet
    if t & 0x200000:
        if ts_any:
            approx.append((len(out), "secs"))
        put(struct.pack(">I", U32_NA if not ts_any else 0), not ts_any)
    if t & 0x100000:
        if ts_any:
            approx.append((len(out), "usecs"))
        put(struct.pack(">I", U32_NA if not ts_any else 0), not ts_any)
    late = nid if node.get("egress") == "late" else None
    if t & 0x080000:
        td_any = node.get("td", "unavail") == "any"
        if td_any:
            approx.append((len(out), ("delay", late)))
        put(struct.pack(">I", U32_NA if not td_any else 0), not td_any)
    if t & 0x040000:
        put(struct.pack(">I", num(node.get("nsd"), U32_NA)))
    if t & 0x020000:
        qd = node.get("qd", "unavail")
        exact = qd not in ("unavail", "any")
        if qd == "any" or (exact and late is not None):
            approx.append((len(out), ("backlog", num(qd) if exact else None, late)))
        put(struct.pack(">I", num(qd) if exact else U32_NA), qd == "unavail" or (exact and late is None))
    if t & 0x010000:
        put(struct.pack(">I", U32_NA))
    if t & 0x008000:
        put(struct.pack(">Q", (hop << 56) | (num(node.get("idw"), 0) & 0xFFFFFFFFFFFFFF)))
    if t & 0x004000:
        put(struct.pack(">II", num(node.get("inw"), U32_NA), num(node.get("outw"), U32_NA)))
    if t & 0x002000:
        put(struct.pack(">Q", num(node.get("nsdw"), 0xFFFFFFFFFFFFFFFF)))
    if t & 0x001000:
        put(struct.pack(">I", U32_NA))
    for bit in range(12, 22):
        if t & (0x800000 >> bit):
            put(struct.pack(">I", U32_NA))
    if t & 0x000002:
        sc = node.get("sc", "none")
        if sc == "none":
            put(struct.pack(">I", 0x00FFFFFF))
        else:
            sid, data = sc.split(":")
            data = bytes.fromhex(data)
            data += b"\0" * (-len(data) % 4)
            put(struct.pack(">I", (len(data) // 4) << 24 | int(sid, 0)) + data)
    return out, mask, approx


def expected_hbh(args, next_header):
    size, t, ns = args.size, args.type, args.ns
    total = 16 + ((size + 7) & ~7)
    data, mask, approx = bytearray(size), bytearray(b"\xff" * size), []
    remlen = size // 4
    overflow = args.overflow
    for node in args.node:
        b, m, a = expected_node(t, parse_node(node), time.time())
        if len(b) > remlen * 4:
            raise SystemExit("bad expectation: node data does not fit")
        start = remlen * 4 - len(b)
        data[start:start + len(b)] = b
        mask[start:start + len(b)] = m
        approx += [(16 + start + off, kind) for off, kind in a]
        remlen -= len(b) // 4
    flags_byte = (node_len(t) << 3) | (0x04 if overflow else 0) | args.flags
    hdr = bytes([next_header, total // 8 - 1, 1, 0, 49, 10 + size, 0, 0])
    hdr += struct.pack(">HBBI", ns, flags_byte, remlen, t << 8)
    pad = bytes([1, 2, 0, 0]) if size % 8 else b""
    exp = hdr + bytes(data) + pad
    full_mask = b"\xff" * 16 + bytes(mask) + b"\xff" * len(pad)
    return exp, full_mask, approx


def expected_incremental(args):
    """The Incremental Trace option (from its type byte) each --node inserted, the mask of
    bytes to compare exactly, and timestamp offsets as expected_node gives them."""
    t, data, mask, approx = args.type, b"", b"", []
    remlen = args.incremental
    for node in args.node:
        b, m, a = expected_node(t, parse_node(node), time.time())
        approx = [(off + len(b), kind) for off, kind in approx] + a
        data, mask = b + data, m + mask
        remlen -= len(b) // 4
    if remlen < 0:
        raise SystemExit("bad expectation: node data exceeds RemainingLen")
    flags_byte = (node_len(t) << 3) | (0x04 if args.overflow else 0) | args.flags
    opt = struct.pack(">BBBBHBBI", 0x31, 10 + len(data), 0, 1, args.ns, flags_byte, remlen, t << 8)
    return opt + data, b"\xff" * len(opt) + mask, [(len(opt) + off, kind) for off, kind in approx]


def expected_dex_hbh(args, next_header, seq):
    """The whole Hop-by-Hop header of a DEX route for the packet with Sequence Number seq."""
    fields = b""
    if args.dex & 0x80:
        fields += struct.pack(">I", args.flow_id)
    if args.dex & 0x40:
        fields += struct.pack(">I", seq & 0xFFFFFFFF)
    opt = struct.pack(">BBBBHBBI", 0x31, 10 + len(fields), 0, 4, args.ns, 0, args.dex, args.type << 8)
    body = bytes([1, 0]) + opt + fields
    if (2 + len(body)) % 8:
        body += bytes([1, 2, 0, 0])
    return bytes([next_header, (2 + len(body)) // 8 - 1]) + body


def skip_padding(hbh, pos):
    """The offset of the first non-padding byte at or after pos."""
    while pos < len(hbh) and hbh[pos] in (0, 1):
        pos += 1 if hbh[pos] == 0 else 2 + (hbh[pos + 1] if pos + 1 < len(hbh) else 0)
    return pos


def check_incremental(hbh, args):
    """None if the Hop-by-Hop header holds the expected Incremental Trace option, else a
    message."""
    exp, mask, approx = expected_incremental(args)
    at = skip_padding(hbh, 2)
    if at % 4:
        return "trace option at offset %d of the Hop-by-Hop header, not 4n-aligned" % at
    got = hbh[at:at + len(exp)]
    for i, (a, b, m) in enumerate(zip(got, exp, mask)):
        if m and a != b:
            return "byte %d of the trace option is %02x, expected %02x (got %s, expected %s)" % (
                i, a, b, hbh.hex(), exp.hex())
    if len(got) < len(exp):
        return "trace option cut short: %s" % hbh.hex()
    err = check_timestamps(hbh, [(at + off, kind) for off, kind in approx])
    if err:
        return err
    after = bytes.fromhex(args.after or "")
    end = at + len(exp)
    if hbh[end:end + len(after)] != after:
        return "options after the trace are %s, expected %s" % (hbh[end:].hex(), after.hex())
    if skip_padding(hbh, end + len(after)) != len(hbh):
        return "more than padding after the options: %s" % hbh.hex()
    return None


# Ids of the nodes (egress=late) whose egress fields this receiver has seen written.
EGRESS_SEEN = set()


def check_timestamps(hbh, approx):
    """Checks the fields compared by plausibility rather than exactly."""
    late_unwritten = set()
    for off, kind in approx:
        val = struct.unpack_from(">I", hbh, off)[0]
        if kind == "secs" and abs(val - int(time.time()) % (1 << 32)) > 120:
            return "timestamp seconds %d is not the current time %d" % (val, time.time())
        if kind == "usecs" and val >= 1000000:
            return "timestamp fraction %d is not a number of microseconds" % val
        if kind in ("secs", "usecs"):
            continue
        late = kind[-1]
        if val == U32_NA and late is not None and late not in EGRESS_SEEN:
            late_unwritten.add(late)
            continue
        if kind[0] == "delay" and val >= 10**9:
            return "transit delay %#x is not below 1 s" % val
        if kind[0] == "backlog" and (val == U32_NA or kind[1] not in (None, val)):
            return "queue depth %#x, expected %s" % (val, "a backlog" if kind[1] is None else kind[1])
    for off, kind in approx:
        if kind not in ("secs", "usecs") and kind[-1] is not None and kind[-1] not in late_unwritten:
            EGRESS_SEEN.add(kind[-1])
    return None


def filled_data(pkt, args):
    """The nodes' data of the (checked) packet's trace, as a trace event carries it."""
    hbh = pkt[40:40 + (pkt[41] + 1) * 8]
    if args.incremental is not None:
        at = skip_padding(hbh, 2)
        return hbh[at + 12:at + 2 + hbh[at + 1]].hex()
    if args.dex is not None:
        return ""  # no node data in the packet
    remlen = hbh[11] & 0x7F
    return hbh[16 + remlen * 4:16 + args.size].hex()


def check_packet(pkt, args):
    """Returns None if pkt (from the IPv6 header on) matches, else a message."""
    if len(pkt) < 40:
        return "short packet"
    plen, nh, hlim = struct.unpack_from(">HBB", pkt, 4)
    if plen != len(pkt) - 40:
        return "payload length %d, packet has %d bytes after the header" % (plen, len(pkt) - 40)
    if args.absent:
        return "packet carries a Hop-by-Hop header" if nh == 0 else None
    if nh != 0:
        return "next header %d, expected Hop-by-Hop (0)" % nh
    if args.mode == "encap":
        if socket.inet_ntop(socket.AF_INET6, pkt[8:24]) != args.outer_src:
            return "outer source %s, expected %s" % (socket.inet_ntop(socket.AF_INET6, pkt[8:24]), args.outer_src)
        if socket.inet_ntop(socket.AF_INET6, pkt[24:40]) != args.outer_dst:
            return "outer destination %s" % socket.inet_ntop(socket.AF_INET6, pkt[24:40])
    hbh_len = (pkt[41] + 1) * 8
    hbh = pkt[40:40 + hbh_len]
    inner_nh = hbh[0]
    if args.mode == "encap" and inner_nh != 41:
        return "Hop-by-Hop next header %d, expected 41 (IPv6)" % inner_nh
    if args.incremental is not None:
        return check_incremental(hbh, args)
    if args.dex is not None:
        exp = expected_dex_hbh(args, inner_nh, args.seq_from)
        if hbh != exp:
            return "Hop-by-Hop header is %s, expected %s" % (hbh.hex(), exp.hex())
        args.seq_from += 1
        return None
    exp, mask, approx = expected_hbh(args, inner_nh)
    if len(hbh) != len(exp):
        return "Hop-by-Hop header is %d bytes, expected %d" % (len(hbh), len(exp))
    for i, (a, b, m) in enumerate(zip(hbh, exp, mask)):
        if m and a != b:
            return "byte %d of the Hop-by-Hop header is %02x, expected %02x (got %s, expected %s)" % (
                i, a, b, hbh.hex(), exp.hex())
    err = check_timestamps(hbh, approx)
    if err:
        return err
    if args.mode == "encap":
        inner = pkt[40 + hbh_len:]
        if len(inner) < 40 or inner[0] >> 4 != 6:
            return "no inner IPv6 header"
        if struct.unpack_from(">H", inner, 4)[0] != len(inner) - 40:
            return "inner payload length is wrong"
    return None


def parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("count", type=int)
    ap.add_argument("--mode", default="inline")
    ap.add_argument("--outer-src")
    ap.add_argument("--outer-dst")
    ap.add_argument("--ns", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--type", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--size", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--node", action="append", default=[])
    ap.add_argument("--overflow", action="store_true")
    ap.add_argument("--flags", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--incremental", type=lambda v: int(v, 0))
    ap.add_argument("--after")
    ap.add_argument("--dex", type=lambda v: int(v, 0))
    ap.add_argument("--flow-id", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--seq-from", type=lambda v: int(v, 0), default=0)
    ap.add_argument("--absent", action="store_true")
    # Long enough for a sender that starts slowly in a loaded guest; IOAM_RS_WAIT_SCALE
    # stretches it further for slow kernels (as the shell tests' waits).
    ap.add_argument("--timeout", type=float,
                    default=30 * float(os.environ.get("IOAM_RS_WAIT_SCALE", "1")),
                    help="seconds to wait for the packets (default 30, times IOAM_RS_WAIT_SCALE)")
    ap.add_argument("--case", action="append", default=[],
                    help="ADDR:TYPE:SIZE: one packet to ADDR with this trace type and size")
    ap.add_argument("--ready", help="file created once the socket listens")
    ap.add_argument("--count-traced", action="store_true",
                    help="count packets: print 'traced T untraced U' after COUNT packets or the timeout")
    ap.add_argument("--serve", action="store_true",
                    help="keep the socket and run one check per line of arguments read from stdin "
                         "(COUNT [options]), printing 'ready' when listening and one result line each")
    return ap


def open_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    s.bind((iface, ETH_P_IPV6))
    s.settimeout(0.5)
    return s


def drain(s):
    s.setblocking(False)
    try:
        while True:
            s.recv(65535)
    except BlockingIOError:
        pass
    s.settimeout(0.5)


def main():
    args = parser().parse_args()
    s = open_socket(args.iface)
    if not args.serve:
        if args.ready:
            open(args.ready, "w").close()
        return run(args, s)
    # Serve mode: the iface comes from the command line, each line gives COUNT [options].
    print("ready", flush=True)
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        one = parser().parse_args([args.iface] + shlex.split(line))
        drain(s)
        print("ready", flush=True)
        failed |= run(one, s)
        sys.stdout.flush()
    return failed


def parse_cases(args):
    """--case ADDR:TYPE:SIZE as {destination bytes: args with that type and size}."""
    cases = {}
    for case in args.case:
        addr, t, size = case.rsplit(":", 2)
        one = copy.copy(args)
        one.type, one.size = int(t, 0), int(size, 0)
        cases[socket.inet_pton(socket.AF_INET6, addr)] = one
    return cases


def destination(pkt, mode):
    """The packet's destination: the inner header's in encap mode (None if there is none)."""
    if mode != "encap":
        return pkt[24:40]
    if len(pkt) < 42 or pkt[6] != 0:
        return None
    inner = 40 + (pkt[41] + 1) * 8
    return pkt[inner + 24:inner + 40] if len(pkt) >= inner + 40 else None


def run(args, s):
    """Captures and checks args.count packets on socket s; prints one result line."""
    cases = parse_cases(args)
    if cases and args.count != len(cases):
        print("bad expectation: COUNT %d for %d cases" % (args.count, len(cases)))
        return 1
    seen, deadline = 0, time.time() + args.timeout
    counts = {True: 0, False: 0}
    filled = ""
    while seen < args.count and time.time() < deadline:
        try:
            pkt, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or pkt[24] == 0xFF:
            continue  # our own replies, multicast (ND, MLD)
        if len(pkt) > 40 and pkt[6] == 58 and (133 <= pkt[40] <= 137 or pkt[40] < 128):
            continue  # neighbour discovery, ICMPv6 errors (answers to earlier test traffic)
        if args.count_traced:
            traced = pkt[6] == 0
            counts[traced] += 1
            seen += 1
            continue
        expected = args
        if cases:
            dst = destination(pkt, args.mode)
            if dst not in cases:
                print("packet %d: to %s, which is no (remaining) case" % (
                    seen + 1, socket.inet_ntop(socket.AF_INET6, dst) if dst else "?"))
                return 1
            expected = cases.pop(dst)
        err = check_packet(pkt, expected)
        if err:
            print("packet %d: %s" % (seen + 1, err))
            return 1
        if not args.absent:
            filled = filled_data(pkt, expected)
        seen += 1
    if args.count_traced:
        print("traced %d untraced %d" % (counts[True], counts[False]))
        return 0
    if seen < args.count:
        print("saw %d of %d packets" % (seen, args.count))
        return 1
    print("ok %d packets trace %s" % (seen, filled or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
