#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Packet crafter for the ioam_rs selftests: sends IPv6 packets with arbitrary (valid or
malformed) Hop-by-Hop headers holding IOAM options out of an interface (packet socket).

  ioam_send.py IFACE --dst-mac MAC --src ADDR --dst ADDR [options]
    --count N            packets to send (default 1); ICMPv6 sequence numbers 1..N
    --interval SEC       pause between packets (default 0)
    --hlim H             hop limit (default 64)
    --payload icmp|udp|none
                         icmp (default): Echo Request, id 0x1234, 16 data bytes; udp: port
                         40000 to 9, 8 data bytes; none: next header 59. Checksums are right.
    --opt SPEC           one Hop-by-Hop option, repeatable, in order. Without --opt and
                         --hbh-raw the packet has no Hop-by-Hop header. SPEC is one of
       trace:ns=N,type=T,size=S[,remlen=R][,nodelen=L][,o=1][,ioamtype=K][,optlen=L]
             [,prefill=HEX][,flags=F][,rsvd=V][,hrsvd=V]
                         a Pre-allocated Trace option with S bytes of trace data. Defaults:
                         RemainingLen (S - len(prefill))/4, NodeLen from the type, flags 0.
                         prefill: bytes at the end of the data (earlier nodes' data);
                         optlen: the option length byte only, the bytes present do not change;
                         flags: the 4-bit flags field raw (O is its top bit; o=1 is flags=8);
                         rsvd: the reserved byte after the 24-bit trace type; hrsvd: the
                         reserved byte of the IOAM option header; ioamtype: IOAM option type.
                         Trace options are preceded by the padding that puts their type byte
                         at an offset = 0 mod 4 from the IPv6 header, unless --no-align.
       pad1 | padn:N     Pad1, or PadN of N bytes in all (2-byte header included)
       raw:HEX           raw option bytes
       align             padding so that the next option's type byte is 4n-aligned
    --no-align           no automatic padding in front of trace options
    --hbh-len auto|N     hdr_ext_len: auto (default) from the options, which are always padded
                         to a multiple of 8 bytes; N writes N whatever the bytes present
    --hbh-raw HEX        these bytes are the whole Hop-by-Hop header
    --frag               a Fragment header (offset 0, M=1, id 0x494f414d) after the HBH
    --trunc N            cut the IPv6 packet to N bytes; the payload length is not changed
    --plen N             payload length field override
    --total N            grow the payload's data so that the IPv6 packet is N bytes long
    --print              print each IPv6 packet as one hex line instead of sending
    --src/--dst default to 2001:db8:1::1 and 2001:db8:2::1; IFACE and --dst-mac are only
    needed to send.
  Fuzzing (deterministic: case K depends only on S, K, --src, --dst and the options below):
    --seeds              every seed case once, in order (SEED_CASES)
    --fuzz N --seed S    cases 0..N-1: every 8th a seed case (SEED_CASES, in turn), the others
                         random mutations of valid IOAM packets. Prints "seed S" first
                         (on stderr with --print).
    --fuzz-start K       start at case K (replay: --fuzz K+1 --fuzz-start K is case K alone)
    --fuzz-list          print "K NAME EXPECTED HEX" per case instead of sending
    --ns N               namespace of the fuzzed traces (default 123)
    --mtu M              fuzzed packets are at most M bytes; at_mtu cases exactly M (1500)
    --expect             after the cases, print "expect KEY=N ..." tallied by classify()
    --model inline|prerouting
                         what classify() models (see its docstring; default inline, as
                         SEED_EXPECT)
Sends from the interface's own MAC (/sys/class/net/IFACE/address), ethertype 0x86DD, and
prints "sent N" at the end (and "send errors E" on stderr, exit 1, if some sends failed).

Library: build_packet(dict or keyword args) -> bytes; SEED_CASES (name -> bytes) and
SEED_EXPECT (name -> outcome at a transit node running upstream ipv6_hop_ioam, IOAM enabled
on ingress, namespace 123 known, no schema bound); seed_cases(); classify(); Fuzzer.
"""
import argparse
import errno
import random
import socket
import struct
import sys
import time

from ioam_check import node_len  # NodeLen of a trace type, shared with the receiver

ETH_P_IPV6 = 0x86DD
NH_HOP, NH_UDP, NH_FRAG, NH_ICMP6, NH_NONE = 0, 17, 44, 58, 59
IPV6_TLV_IOAM = 49
DEFAULT_SRC = "2001:db8:1::1"
DEFAULT_DST = "2001:db8:2::1"
DEFAULT_NS = 123
ICMP_ID = 0x1234
ICMP_DATA = b"ioam_send.py\x00\x01\x02\x03"  # 16 bytes: 24-byte message, a multiple of 8
UDP_SPORT, UDP_DPORT, UDP_DATA = 40000, 9, b"ioam-rs\x00"
FRAG_ID = 0x494F414D

# Outcome categories of one IOAM option (or packet) at a transit node.
OUTCOMES = ("fill", "insert", "dex", "overflow", "already_overflowed", "ignore", "kernel_drop",
            "drop:misaligned", "drop:truncated", "drop:remaining_len", "drop:node_len")




def checksum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4_checksum(src, dst, nh, seg):
    """Upper-layer checksum of seg (checksum field zero) with the IPv6 pseudo-header."""
    c = checksum(src + dst + struct.pack(">IxxxB", len(seg), nh) + seg)
    return 0xFFFF if nh == NH_UDP and c == 0 else c


def addr(a):
    return a if isinstance(a, (bytes, bytearray)) else socket.inet_pton(socket.AF_INET6, a)


def l4_segment(kind, src, dst, seq=1, ident=ICMP_ID, data=None):
    """(next header, bytes) of an ICMPv6 Echo Request, a UDP datagram or nothing."""
    if kind == "icmp":
        data = ICMP_DATA if data is None else data
        seg = struct.pack(">BBHHH", 128, 0, 0, ident, seq & 0xFFFF) + data
        c = l4_checksum(src, dst, NH_ICMP6, seg)
        return NH_ICMP6, seg[:2] + struct.pack(">H", c) + seg[4:]
    if kind == "udp":
        data = UDP_DATA if data is None else data
        seg = struct.pack(">HHHH", UDP_SPORT, UDP_DPORT, 8 + len(data), 0) + data
        c = l4_checksum(src, dst, NH_UDP, seg)
        return NH_UDP, seg[:6] + struct.pack(">H", c) + seg[8:]
    if kind == "none":
        return NH_NONE, b""
    raise ValueError("payload must be icmp, udp or none")


def pad_bytes(n):
    """n bytes of padding: Pad1 for one, else one PadN."""
    if n <= 0:
        return b""
    if n == 1:
        return b"\0"
    return bytes([1, n - 2]) + bytes(n - 2)


def trace_option(ns, type, size, remlen=None, nodelen=None, o=0, ioamtype=0, optlen=None,
                 prefill=b"", flags=None, rsvd=0, hrsvd=0):
    """An IOAM Pre-allocated Trace option (from its type byte 0x31) with size data bytes."""
    prefill = bytes.fromhex(prefill) if isinstance(prefill, str) else bytes(prefill)
    if len(prefill) > size:
        raise ValueError("prefill is longer than the trace data")
    if remlen is None:
        remlen = (size - len(prefill)) // 4
    if nodelen is None:
        nodelen = node_len(type)
    if flags is None:
        flags = 8 if o else 0
    if optlen is None:
        optlen = 10 + size
    word = (nodelen & 0x1F) << 11 | (flags & 0xF) << 7 | (remlen & 0x7F)
    return struct.pack(">BBBBHHI", IPV6_TLV_IOAM, optlen & 0xFF, hrsvd & 0xFF, ioamtype & 0xFF,
                       ns & 0xFFFF, word, (type & 0xFFFFFF) << 8 | (rsvd & 0xFF)) + \
        bytes(size - len(prefill)) + prefill


TRACE_KEYS = {"ns", "type", "size", "remlen", "nodelen", "o", "ioamtype", "optlen", "prefill",
              "flags", "rsvd", "hrsvd"}


def parse_opt(spec):
    """A --opt SPEC as ("trace", params), ("align", None) or ("raw", bytes)."""
    if not isinstance(spec, str):
        return spec
    kind, _, rest = spec.partition(":")
    if kind == "trace":
        params = {}
        for kv in rest.split(","):
            if not kv:
                continue
            k, sep, v = kv.partition("=")
            if not sep or k not in TRACE_KEYS:
                raise ValueError("bad trace parameter %r" % kv)
            params[k] = bytes.fromhex(v) if k == "prefill" else int(v, 0)
        for k in ("type", "size"):
            if k not in params:
                raise ValueError("trace needs %s=" % k)
        params.setdefault("ns", 0)
        return ("trace", params)
    if spec == "pad1":
        return ("raw", b"\0")
    if kind == "padn":
        n = int(rest, 0)
        if not 2 <= n <= 257:
            raise ValueError("padn:N needs 2 <= N <= 257")
        return ("raw", pad_bytes(n))
    if kind == "raw":
        return ("raw", bytes.fromhex(rest))
    if spec == "align":
        return ("align", None)
    raise ValueError("unknown option spec %r" % spec)


def build_hbh(opts, nexthdr, align=True, hbh_len=None):
    """A Hop-by-Hop header: the options in order, padded to a multiple of 8 bytes."""
    b = bytearray([nexthdr, 0])
    for kind, val in map(parse_opt, opts):
        if kind == "trace":
            if align:
                b += pad_bytes(-len(b) % 4)
            b += trace_option(**val)
        elif kind == "align":
            b += pad_bytes(-len(b) % 4)
        else:
            b += val
    b += pad_bytes(-len(b) % 8)
    if hbh_len in (None, "auto"):
        hbh_len = len(b) // 8 - 1
    b[1] = (int(hbh_len, 0) if isinstance(hbh_len, str) else hbh_len) & 0xFF
    return bytes(b)


def ipv6_header(plen, nh, hlim, src, dst, tc=0, flowlabel=0):
    return struct.pack(">IHBB16s16s", 6 << 28 | (tc & 0xFF) << 20 | (flowlabel & 0xFFFFF),
                       plen & 0xFFFF, nh, hlim & 0xFF, src, dst)


BUILD_DEFAULTS = dict(src=DEFAULT_SRC, dst=DEFAULT_DST, opts=None, payload="icmp", hlim=64,
                      seq=1, ident=ICMP_ID, data=None, hbh_raw=None, hbh_len=None,
                      no_align=False, frag=False, frag_id=FRAG_ID, trunc=None, plen=None,
                      total=None, tc=0, flowlabel=0)


def build_packet(spec=None, **kw):
    """One IPv6 packet (from the IPv6 header on). Takes a dict, an argparse namespace of this
    script's options, or keyword arguments: src, dst, opts (list of SPEC strings or
    parse_opt() tuples; "opt" is accepted too), payload (icmp|udp|none), hlim, seq, ident,
    data (L4 data bytes), hbh_raw (bytes or hex), hbh_len, no_align, frag, frag_id, trunc,
    plen, total (grow the L4 data so that the packet is exactly this long), tc, flowlabel."""
    d = {}
    if spec is not None:
        d.update(spec if isinstance(spec, dict) else vars(spec))
    d.update(kw)
    if "opt" in d and d.get("opts") is None:
        d["opts"] = d.pop("opt")
    p = dict(BUILD_DEFAULTS)
    p.update((k, v) for k, v in d.items() if k in BUILD_DEFAULTS and v is not None)
    src, dst = addr(p["src"]), addr(p["dst"])
    l4nh, seg = l4_segment(p["payload"], src, dst, p["seq"], p["ident"], p["data"])
    first = NH_FRAG if p["frag"] else l4nh
    hbh = b""
    if p["hbh_raw"] is not None:
        hbh = bytes.fromhex(p["hbh_raw"]) if isinstance(p["hbh_raw"], str) else bytes(p["hbh_raw"])
    elif p["opts"]:
        hbh = build_hbh(p["opts"], first, align=not p["no_align"], hbh_len=p["hbh_len"])
    ext = hbh
    if p["frag"]:
        ext += struct.pack(">BBHI", l4nh, 0, 1, p["frag_id"])
    if p["total"] is not None:
        room = p["total"] - 40 - len(ext) - len(seg)
        if room < 0 or p["payload"] == "none":
            raise ValueError("cannot make a packet of %d bytes" % p["total"])
        cur = len(seg) - 8
        data = (ICMP_DATA if p["payload"] == "icmp" else UDP_DATA) * (1 + (cur + room) // 8)
        l4nh, seg = l4_segment(p["payload"], src, dst, p["seq"], p["ident"], data[:cur + room])
    plen = len(ext) + len(seg) if p["plen"] is None else p["plen"]
    pkt = ipv6_header(plen, NH_HOP if hbh else first, p["hlim"], src, dst, p["tc"],
                      p["flowlabel"]) + ext + seg
    return pkt if p["trunc"] is None else pkt[:p["trunc"]]


# --- Seed cases ------------------------------------------------------------------------------

def seed_cases(src=DEFAULT_SRC, dst=DEFAULT_DST, ns=DEFAULT_NS, mtu=1500):
    """(cases, expect): name -> packet bytes, and name -> expected outcome at a transit node
    that runs upstream ipv6_hop_ioam() with IOAM enabled on ingress, namespace ns known and no
    schema bound to it, default sysctls (max_hbh_opts_cnt 8). Outcomes: fill, overflow,
    already_overflowed (O already set), ignore (not a Pre-allocated Trace, unknown namespace,
    no HBH), drop:misaligned|truncated|remaining_len|node_len (ipv6_hop_ioam drops it), and
    kernel_drop (the IPv6 stack drops it without ipv6_hop_ioam running: header length checks,
    the Hop-by-Hop TLV walk). An IOAM option always comes before anything that would make the
    TLV walk fail, so each case has a single outcome; and, except for the misaligned cases,
    the whole TLV walk is valid: classify(model="prerouting") gives the same outcomes, but for
    the Incremental Trace options (IOAM Option-Type 1) and the Direct Export options (4), which
    upstream ignores and the module processes (insert: its entry inserted; dex: its data
    exported)."""
    base = dict(src=src, dst=dst)
    cases, expect = {}, {}

    def add(name, outcome, opts=None, **kw):
        cases[name] = build_packet(base, opts=opts, **kw)
        expect[name] = outcome

    def tr(**kw):
        kw.setdefault("ns", ns)
        kw.setdefault("type", 0x800000)
        kw.setdefault("size", 12)
        return ("trace", kw)

    add("valid", "fill", [tr()])
    add("valid_udp", "fill", [tr(type=0xC00000, size=16)], payload="udp")
    # bits 0-11 (15 words) and 22, with room for a schema of up to 64 bytes
    add("valid_all_fields", "fill", [tr(type=0xFFF002, size=128)])
    add("prefilled", "fill", [tr(type=0xF00000, size=48, prefill=bytes(range(16)))])
    add("remlen_below_data", "fill", [tr(size=16, remlen=2)])
    add("truncated_option", "drop:truncated",
        [("align", None), ("raw", struct.pack(">BBBBHH", 49, 6, 0, 0, ns, 1 << 11 | 3))])
    add("optlen_lt_2", "drop:truncated", [("align", None), ("raw", bytes([49, 1, 0]))])
    # opt_len leaves out the last 4 data bytes, a PadN: the TLV walk stays valid
    add("optlen_lt_remlen", "drop:remaining_len",
        [tr(size=16, remlen=4, optlen=22, prefill=bytes([1, 2, 0, 0]))])
    add("remlen_beyond_data", "drop:remaining_len", [tr(size=8, remlen=3)])
    add("nodelen_mismatch", "drop:node_len", [tr(nodelen=2)])
    add("misaligned", "drop:misaligned", [tr()], no_align=True)
    add("misaligned_by_2", "drop:misaligned", [("raw", pad_bytes(4)), tr()], no_align=True)
    add("two_ioam_options", "fill", [tr(), tr(type=0xC00000, size=8)])
    # The first option's opt_len also covers the second, which the TLV walk then skips.
    add("overlapping_options", "fill", [tr(size=8, optlen=18 + 20), tr(size=8)])
    add("overlapping_beyond_hbh", "kernel_drop", [tr(size=8, optlen=18 + 8)])
    add("schema_too_big", "overflow", [tr(type=0x800002, size=4)])
    add("no_room", "overflow", [tr(type=0xC00000, size=12, prefill=bytes(8))])
    add("o_flag_set", "already_overflowed", [tr(o=1)])
    add("reserved_bits_set", "fill", [tr(flags=7, rsvd=0xFF, hrsvd=0xFF)])
    # RFC 9322 flags (flags field: 4 Loopback, 2 Active), which upstream ignores: the module
    # sends a copy back for a node-id trace that is not a copy itself (nothing after the
    # Hop-by-Hop header), refuses other types, and lets an Active packet not for it pass.
    add("loopback", "fill", [tr(flags=4)])
    add("loopback_copy", "fill", [tr(flags=4)], payload="none")
    add("loopback_wide_type", "fill", [tr(flags=4, type=0xC00000, size=16)])
    add("loopback_overflowed", "already_overflowed", [tr(flags=0xC)])
    add("loopback_unknown_namespace", "ignore", [tr(flags=4, ns=(ns + 1) & 0xFFFF)])
    add("incremental_loopback", "ignore", [tr(ioamtype=1, size=0, remlen=4, flags=4)])
    add("active", "fill", [tr(flags=2)])
    for k in (1, 2, 3, 255):
        add("unknown_ioam_type_%d" % k, "ignore", [tr(ioamtype=k)])
    add("unknown_namespace", "ignore", [tr(ns=(ns + 1) & 0xFFFF)])
    # Incremental Trace options: the module inserts, overflows or drops where upstream ignores.
    add("incremental", "ignore", [tr(ioamtype=1, size=0, remlen=4)])
    add("incremental_4_byte_entry", "ignore", [tr(ioamtype=1, size=0, remlen=4, type=0x800000)])
    add("incremental_with_entries", "ignore", [tr(ioamtype=1, type=0xC00000, size=16, remlen=2)])
    add("incremental_not_words", "ignore", [("align", None), ("raw", struct.pack(
        ">BBBBHBBI", IPV6_TLV_IOAM, 12, 0, 1, ns, 1 << 3, 4, 0x800000 << 8) + b"\0\0")])
    add("incremental_nodelen_mismatch", "ignore", [tr(ioamtype=1, size=0, remlen=4, nodelen=2)])
    add("incremental_no_room", "ignore", [tr(ioamtype=1, size=0, remlen=0)])
    add("incremental_at_mtu", "ignore", [tr(ioamtype=1, size=0, remlen=4)], total=mtu)
    add("incremental_unknown_namespace", "ignore",
        [tr(ioamtype=1, size=0, remlen=4, ns=(ns + 1) & 0xFFFF)])
    # Direct Export options: the module exports this node's data where upstream ignores them.
    def dex(ext, fields, opt_len=None, dex_ns=ns):
        body = struct.pack(">HBBI", dex_ns, 0, ext, 0xC00000 << 8) + b"".join(
            struct.pack(">I", f) for f in fields)
        return [("align", None), ("raw", bytes([IPV6_TLV_IOAM, opt_len or 2 + len(body), 0, 4]) + body)]
    add("dex", "ignore", dex(0xC0, (7, 1)))
    add("dex_no_fields", "ignore", dex(0, ()))
    add("dex_unknown_flag", "ignore", dex(0x60, (1, 2)))
    add("dex_fields_missing", "ignore", dex(0xC0, (7,)))
    add("dex_header_cut", "ignore", [("align", None), ("raw", bytes([IPV6_TLV_IOAM, 6, 0, 4, 0, ns & 0xFF, 0, 0]))])
    add("dex_unknown_namespace", "ignore", dex(0x80, (7,), dex_ns=(ns + 1) & 0xFFFF))
    add("at_mtu", "fill", [tr()], total=mtu)
    add("fragment", "fill", [tr()], frag=True)
    add("no_hbh", "ignore")
    add("truncated_ipv6_header", "kernel_drop", [tr()], trunc=30)
    # hdr_ext_len one more than the bytes there; the payload length covers what is there
    add("hbh_len_beyond_packet", "kernel_drop", [tr()], payload="none", hbh_len=4)
    add("truncated_packet", "kernel_drop", [tr()], trunc=60)
    add("empty_trace", "overflow", [tr(size=0)])
    add("max_size_trace", "fill", [tr(size=244)])
    add("remlen_zero", "overflow", [tr(size=8, prefill=bytes(8))])
    add("type_zero", "fill", [tr(type=0, size=8)])
    add("undefined_bits", "fill", [tr(type=0x800FFC, size=44)])
    add("bit23_set", "fill", [tr(type=0x800001, size=4)])
    add("unknown_option_skip", "fill", [("raw", bytes([0x1E, 2, 0, 0])), tr()])
    add("unknown_option_discard", "kernel_drop", [("raw", bytes([0x5E, 2, 0, 0])), tr()])
    add("padn_nonzero", "kernel_drop", [("raw", bytes([1, 2, 0, 7])), tr()])
    add("pad_too_long", "kernel_drop", [("raw", pad_bytes(6) + b"\0\0"), tr()])
    add("too_many_options", "kernel_drop", [("raw", bytes([0x1E, 0]) * 8), tr()])
    return cases, expect


SEED_CASES, SEED_EXPECT = seed_cases()


# --- Expected outcome ------------------------------------------------------------------------

def ioam_outcome(pkt, off, known_ns, schema_words=0):
    """What upstream ipv6_hop_ioam() does with the IOAM option at offset off (whole option in
    the HBH, IOAM enabled on ingress)."""
    if off & 3:
        return "drop:misaligned"
    ol = pkt[off + 1]
    if ol < 2:
        return "drop:truncated"
    if pkt[off + 3] != 0:
        return "ignore"
    if ol < 10:
        return "drop:truncated"
    b6, b7 = pkt[off + 6], pkt[off + 7]
    remlen, nodelen = b7 & 0x7F, b6 >> 3
    t = pkt[off + 8] << 16 | pkt[off + 9] << 8 | pkt[off + 10]
    if ol < 10 + remlen * 4:
        return "drop:remaining_len"
    if nodelen != node_len(t):
        return "drop:node_len"
    if (pkt[off + 4] << 8 | pkt[off + 5]) not in known_ns:
        return "ignore"
    if b6 & 4:
        return "already_overflowed"
    sclen = 1 + schema_words if t & 2 else 0
    if not remlen or remlen < nodelen + sclen:
        return "overflow"
    return "fill"


def incremental_outcome(pkt, off, pad_from, known_ns, schema_words, st):
    """(outcome, bytes added): what ioam_rs does with the Incremental Trace option (IOAM
    Option-Type 1) at offset off, behind padding from offset pad_from (src/wire's
    check_incremental and plan_insert, then the payload length and the route's MTU). st holds
    the packet's current hbh_len, plen, pktlen and the route's mtu."""
    ol = pkt[off + 1]
    if ol < 10:
        return "drop:truncated", 0
    if off & 3:
        return "drop:misaligned", 0
    if (ol - 10) % 4:
        return "drop:truncated", 0
    b6, b7 = pkt[off + 6], pkt[off + 7]
    remlen, nodelen = b7 & 0x7F, b6 >> 3
    t = pkt[off + 8] << 16 | pkt[off + 9] << 8 | pkt[off + 10]
    if nodelen != node_len(t):
        return "drop:node_len", 0
    if (pkt[off + 4] << 8 | pkt[off + 5]) not in known_ns:
        return "ignore", 0
    if b6 & 4:
        return "already_overflowed", 0
    words = nodelen + (1 + schema_words if t & 2 else 0)
    entry = 4 * words
    if not remlen or remlen < words or ol + 2 + entry > 257:
        return "overflow", 0
    pad_old = off - pad_from
    pad_new = pad_old if entry % 8 == 0 else pad_old - 4 if pad_old >= 4 else pad_old + 4
    added = entry + pad_new - pad_old
    if (st["hbh_len"] + added > 2048 or not st["plen"] or st["plen"] + added > 0xFFFF or
            st["pktlen"] + added > st["mtu"]):
        return "overflow", 0
    return "insert", added


def dex_outcome(pkt, off, known_ns):
    """What ioam_rs does with the aligned Direct Export option (IOAM Option-Type 4) at offset
    off (src/wire's parse_dex): dex (this node's data exported; the packet is not written),
    unless it is shorter than its Extension-Flags announce (one 4-byte field per flag)."""
    data_len = pkt[off + 1] - 2
    if data_len < 8 or data_len < 8 + 4 * bin(pkt[off + 7]).count("1"):
        return "drop:truncated"
    if (pkt[off + 4] << 8 | pkt[off + 5]) not in known_ns:
        return "ignore"
    return "dex"


def loopback_outcome(pkt, off):
    """RFC 9322 Loopback at the module, for the trace option at offset off that it processed
    (not dropped): loopback (a copy sent back, or rate-limited), loopback_refused (a type other
    than node id alone), or None (no Loopback flag, or a copy: nothing after the Hop-by-Hop
    header)."""
    if not pkt[off + 6] & 0x02 or pkt[40] == NH_NONE:
        return None
    t = pkt[off + 8] << 16 | pkt[off + 9] << 8 | pkt[off + 10]
    return "loopback" if t == 0x800000 else "loopback_refused"


def module_outcomes(pkt, ioam, n, end, known_ns, schema_words, mtu):
    """The module's outcome for each IOAM option (offset, padding start) of ioam, in order, up
    to a drop, each followed by its loopback_outcome() if any; later options account for the
    bytes earlier insertions added."""
    st = dict(hbh_len=end - 40, plen=pkt[4] << 8 | pkt[5], pktlen=n, mtu=mtu)
    outs = []
    for off, pad_from in ioam:
        if pkt[off + 1] >= 2 and pkt[off + 3] == 1 and not off & 3:
            o, added = incremental_outcome(pkt, off, pad_from, known_ns, schema_words, st)
            for k in ("hbh_len", "plen", "pktlen"):
                st[k] += added
        elif pkt[off + 1] >= 2 and pkt[off + 3] == 4 and not off & 3:
            o = dex_outcome(pkt, off, known_ns)
        else:
            o = ioam_outcome(pkt, off, known_ns, schema_words)
        outs.append(o)
        if o.startswith("drop:"):
            break
        if o in ("fill", "overflow", "already_overflowed", "insert"):
            lo = loopback_outcome(pkt, off)
            if lo:
                outs.append(lo)
    return tuple(outs)


def classify(pkt, **kw):
    """(fate, outcomes) of expectation()."""
    return expectation(pkt, **kw)[:2]


def expectation(pkt, known_ns=(DEFAULT_NS,), model="inline", schema_words=0, max_opts=8,
                netlabel=True, mtu=1500):
    """(fate, outcomes): what a Linux transit node does with pkt (from the IPv6 header on).
    fate is pass, drop (an IOAM check dropped it) or kernel_drop; outcomes holds one entry per
    IOAM option looked at. netlabel: the kernel has CONFIG_NETLABEL, so it drops every CALIPSO
    option (no test configures a CALIPSO DOI); without it only CALIPSO's length checks apply.
    model inline: upstream ipv6_hop_ioam() checks each IOAM option during the TLV walk, in
    order (IOAM enabled on ingress). model prerouting: upstream IOAM is disabled, so the walk
    only drops misaligned IOAM options (kernel_drop); the options of a packet that survives
    the walk are then processed in order by ioam_rs's PRE_ROUTING hook, which also inserts
    into Incremental Trace options (within mtu, the route's). Returns (fate, outcomes, seen):
    seen holds what ioam_rs's hook does with the IOAM options of a packet the walk let
    through (its outcomes, up to a drop of its own); after the walk, it ignores routing and
    the hop limit."""
    n = len(pkt)
    if n < 40 or pkt[0] >> 4 != 6:
        return "kernel_drop", (), ()
    plen, nh = pkt[4] << 8 | pkt[5], pkt[6]
    if plen or nh != NH_HOP:
        if plen + 40 > n:
            return "kernel_drop", (), ()
        n = plen + 40
    if nh != NH_HOP:
        return "pass", (), ()
    if n < 48:
        return "kernel_drop", (), ()
    end = 40 + (pkt[41] + 1) * 8
    if end > n:
        return "kernel_drop", (), ()
    inline = model == "inline"
    off, padlen, count, outs, ioam, pad_from = 42, 0, 0, [], [], 42
    while off < end:
        t = pkt[off]
        if t == 0:
            padlen += 1
            if padlen > 7:
                return "kernel_drop", tuple(outs), ()
            off += 1
            continue
        if end - off < 2:
            return "kernel_drop", tuple(outs), ()
        ol = pkt[off + 1] + 2
        if ol > end - off:
            return "kernel_drop", tuple(outs), ()
        if t == 1:
            padlen += ol
            if padlen > 7 or any(pkt[off + 2:off + ol]):
                return "kernel_drop", tuple(outs), ()
        else:
            count += 1
            if count > max_opts:
                return "kernel_drop", tuple(outs), ()
            if t == IPV6_TLV_IOAM:
                if inline:
                    o = ioam_outcome(pkt, off, known_ns, schema_words)
                    outs.append(o)
                    if o.startswith("drop:"):
                        return "drop", tuple(outs), ()
                elif off & 3:
                    return "kernel_drop", tuple(outs), ()
                ioam.append((off, pad_from))
            elif t == 5:  # Router Alert
                if ol != 4:
                    return "kernel_drop", tuple(outs), ()
            elif t == 0xC2:  # Jumbo: never valid below 64 KiB
                return "kernel_drop", tuple(outs), ()
            elif t == 7:  # CALIPSO
                if netlabel or ol < 10 or pkt[off + 6] * 4 + 8 > ol - 2:
                    return "kernel_drop", tuple(outs), ()
            elif t & 0xC0:
                return "kernel_drop", tuple(outs), ()
            padlen = 0
            pad_from = off + ol
        off += ol
    seen = module_outcomes(pkt, ioam, n, end, known_ns, schema_words, mtu)
    if inline:
        return "pass", tuple(outs), seen
    if seen and seen[-1].startswith("drop:"):
        return "drop", seen, ()
    return "pass", seen, seen


def category(pkt, **kw):
    """One outcome for a packet, as in SEED_EXPECT: kernel_drop, the dropping check, the
    outcome shared by all its IOAM options, ignore without any, else outcomes joined by +."""
    fate, outs = classify(pkt, **kw)
    if fate == "kernel_drop":
        return fate
    if fate == "drop":
        return outs[-1]
    if not outs:
        return "ignore"
    return outs[0] if len(set(outs)) == 1 else "+".join(outs)


# --- Fuzzing ---------------------------------------------------------------------------------

COMMON_TYPES = (0x800000, 0xC00000, 0xF00000, 0xFFF000, 0x800002, 0xFFF002, 0x008000,
                0x00E000, 0x400000, 0x200000 | 0x100000, 0x000002, 0x800FFC, 0x800001)
SKIP_OPTS = (0x1E, 0x3E, 0x11, 0x22, 0x06, 0x08)   # unknown, top bits 00: skipped
DROP_OPTS = (0x5E, 0x9E, 0xDE, 0xC2, 0x05)         # discard, ICMP, jumbo, router alert
SEED_EVERY = 8


class Base:
    __slots__ = ("pkt", "opt", "end")

    def __init__(self, pkt, opt, end):
        self.pkt, self.opt, self.end = pkt, opt, end


class Fuzzer:
    """Case k (0-based) of the campaign for a seed: every SEED_EVERY-th case is a seed case
    (in turn), the others mutations of a pool of valid packets the seed itself chooses. The
    mutations of cases BLOCK*b .. BLOCK*(b+1)-1 are drawn in turn from one
    random.Random(seed * 2**32 + b) (seeding per case would double the cost), so case(k)
    is the same whatever was asked before; asking out of order replays at most BLOCK-1
    earlier cases of the block."""

    BLOCK = 64

    KINDS = (("flip", 3), ("overwrite", 3), ("optlen", 2), ("remlen", 2), ("nodelen", 2),
             ("type", 2), ("flags", 1), ("ioamtype", 1), ("hbhlen", 1), ("trunc", 1),
             ("multi", 4), ("mtu", 1), ("frag", 1), ("nohbh", 1), ("short", 1))

    def __init__(self, seed, src=DEFAULT_SRC, dst=DEFAULT_DST, ns=DEFAULT_NS, mtu=1500):
        if mtu < 1280:
            raise ValueError("mtu must be at least 1280")
        self.seed, self.ns, self.mtu = seed, ns, mtu
        self.src, self.dst = addr(src), addr(dst)
        cases, self.seed_expect = seed_cases(src, dst, ns, mtu)
        self.seeds = [("seed:" + k, v) for k, v in cases.items()]
        self.kinds = [k for k, w in self.KINDS for _ in range(w)]
        self.funcs = {k: getattr(self, "_" + k) for k, _ in self.KINDS}
        self.segs = [l4_segment(p, self.src, self.dst) for p in ("icmp", "udp")]
        rng = random.Random(seed)
        self.base = [self._valid(rng) for _ in range(48)]
        self.mtu_base = [self._valid(rng, total=mtu) for _ in range(4)]
        self.frag_base = [self._valid(rng, frag=True) for _ in range(4)]
        self.nohbh = [build_packet(src=src, dst=dst, payload=p, frag=f)
                      for p in ("icmp", "udp") for f in (False, True)]
        self.rng = random.Random()
        self.next = None  # the case the rng is positioned for

    @staticmethod
    def rand_type(rng):
        r = rng.random()
        if r < 0.5:
            return rng.choice(COMMON_TYPES)
        if r < 0.85:
            return rng.getrandbits(24) & 0xFFF002 or 0x800000
        return rng.getrandbits(24)

    def rand_trace(self, rng, maxsize=244):
        t = self.rand_type(rng)
        words = node_len(t) + (1 if t & 2 else 0)
        size = min(maxsize, 4 * words * rng.randint(0, 3) + rng.choice((0, 0, 4, 8)))
        size -= size % 4
        pre = 4 * rng.randint(0, size // 4) if rng.random() < 0.4 else 0
        return dict(ns=self.ns if rng.random() < 0.9 else rng.getrandbits(16), type=t, size=size,
                    prefill=b"\xa5" * pre, o=rng.random() < 0.1)

    def _valid(self, rng, **kw):
        pkt = build_packet(src=self.src, dst=self.dst, opts=[("trace", self.rand_trace(rng))],
                           payload=rng.choice(("icmp", "udp")), **kw)
        return Base(pkt, 44, 40 + (pkt[41] + 1) * 8)

    def case(self, k):
        """(name, packet bytes) of case k."""
        if k != self.next:  # out of order: position the rng at k
            first = k - k % self.BLOCK
            self.rng.seed(self.seed * 4294967296 + first // self.BLOCK)
            for j in range(first, k):
                self._draw(j)
        elif k % self.BLOCK == 0:
            self.rng.seed(self.seed * 4294967296 + k // self.BLOCK)
        self.next = k + 1
        return self._draw(k)

    def _draw(self, k):
        if k % SEED_EVERY == 0:
            return self.seeds[(k // SEED_EVERY) % len(self.seeds)]
        rng = self.rng
        kind = rng.choice(self.kinds)
        return kind, self.funcs[kind](rng)

    # Each mutation takes rng and optionally the base to mutate.
    def _pick(self, rng, base):
        return base or self.base[rng.randrange(len(self.base))]

    def _flip(self, rng, base=None):
        b = self._pick(rng, base)
        p = bytearray(b.pkt)
        for _ in range(rng.randint(1, 4)):
            p[rng.randrange(40, b.end)] ^= 1 << rng.randrange(8)
        return bytes(p)

    def _overwrite(self, rng, base=None):
        b = self._pick(rng, base)
        p = bytearray(b.pkt)
        for _ in range(rng.randint(1, 4)):
            p[rng.randrange(40, b.end)] = rng.getrandbits(8)
        return bytes(p)

    def _optlen(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        cur = p[o + 1]
        p[o + 1] = rng.choice((0, 1, 2, 9, 10, 11, cur - 4, cur - 1, cur + 1, cur + 4,
                               cur + 8, rng.getrandbits(8))) & 0xFF
        return bytes(p)

    def _remlen(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        cur, room = p[o + 7] & 0x7F, (p[o + 1] - 10) // 4
        p[o + 7] = (p[o + 7] & 0x80) | rng.choice((0, 1, cur - 1, cur + 1, room, room + 1,
                                                   rng.getrandbits(7))) & 0x7F
        return bytes(p)

    def _nodelen(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        p[o + 6] = rng.getrandbits(5) << 3 | (p[o + 6] & 7)
        return bytes(p)

    def _type(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        t = self.rand_type(rng) if rng.random() < 0.5 else rng.getrandbits(24)
        p[o + 8:o + 11] = t.to_bytes(3, "big")
        if rng.random() < 0.5:
            p[o + 6] = (node_len(t) & 0x1F) << 3 | (p[o + 6] & 7)
        return bytes(p)

    def _flags(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        p[o + 6] = (p[o + 6] & 0xF8) | rng.getrandbits(3)
        p[o + 7] = (p[o + 7] & 0x7F) | rng.getrandbits(1) << 7
        if rng.random() < 0.5:
            p[o + 2], p[o + 11] = rng.getrandbits(8), rng.getrandbits(8)
        return bytes(p)

    def _ioamtype(self, rng, base=None):
        b = self._pick(rng, base)
        p, o = bytearray(b.pkt), b.opt
        p[o + 3] = rng.choice((1, 2, 3, 4, 255, rng.getrandbits(8)))
        return bytes(p)

    def _hbhlen(self, rng, base=None):
        b = self._pick(rng, base)
        p = bytearray(b.pkt)
        cur = p[41]
        p[41] = rng.choice((cur - 1, cur + 1, cur + 2, 0, 255, rng.getrandbits(8))) & 0xFF
        return bytes(p)

    def _trunc(self, rng, base=None):
        b = self._pick(rng, base)
        cut = rng.randrange(40, len(b.pkt))
        p = bytearray(b.pkt[:cut])
        if rng.random() < 0.5:  # a consistent payload length: the HBH itself is cut
            p[4:6] = struct.pack(">H", cut - 40)
        return bytes(p)

    def _short(self, rng, base=None):
        return self._pick(rng, base).pkt[:rng.randrange(0, 40)]

    def _nohbh(self, rng, base=None):
        return rng.choice(self.nohbh)

    def _mtu(self, rng, base=None):
        b = rng.choice(self.mtu_base)
        if rng.random() < 0.5:
            return b.pkt
        return self.funcs[rng.choice(("flip", "optlen", "remlen", "type", "flags"))](rng, b)

    def _frag(self, rng, base=None):
        b = rng.choice(self.frag_base)
        if rng.random() < 0.5:
            return b.pkt
        return self.funcs[rng.choice(("flip", "optlen", "remlen", "nodelen", "hbhlen"))](rng, b)

    def _multi(self, rng, base=None):
        """Several options in random order: traces (some of other namespaces, some with a
        wrong length or one overlapping what follows), padding, unknown options."""
        opts, traces = [], []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.5:
                tr = self.rand_trace(rng, maxsize=64)
                x = rng.random()
                if x < 0.1:
                    tr["remlen"] = rng.getrandbits(7)
                elif x < 0.2:
                    tr["nodelen"] = rng.getrandbits(5)
                elif x < 0.25:
                    tr["ioamtype"] = rng.getrandbits(2)
                traces.append(tr)
                opts.append(("trace", tr))
            elif r < 0.6:
                opts.append(("align", None))
            elif r < 0.75:
                opts.append(("raw", pad_bytes(rng.randint(1, 7))))
            elif r < 0.92:
                n = rng.randint(0, 6)
                opts.append(("raw", bytes([rng.choice(SKIP_OPTS), n]) + bytes(n)))
            else:
                n = rng.randint(0, 4)
                t = rng.choice(DROP_OPTS) if rng.random() < 0.5 else rng.getrandbits(8)
                opts.append(("raw", bytes([t, n]) + bytes(rng.getrandbits(8) for _ in range(n))))
        if traces and rng.random() < 0.3:  # opt_len over the next option(s) or the HBH end
            tr = rng.choice(traces)
            tr["optlen"] = 10 + tr["size"] + rng.choice((2, 4, 8, 12, 20, 40, 200))
        l4nh, seg = self.segs[rng.getrandbits(1)]
        hbh = build_hbh(opts, l4nh, align=rng.random() < 0.8)
        pkt = ipv6_header(len(hbh) + len(seg), NH_HOP, 64, self.src, self.dst) + hbh + seg
        return pkt[:self.mtu]


# --- Command line ----------------------------------------------------------------------------

def parser():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("iface", nargs="?")
    ap.add_argument("--dst-mac")
    ap.add_argument("--src", default=DEFAULT_SRC)
    ap.add_argument("--dst", default=DEFAULT_DST)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0)
    ap.add_argument("--hlim", type=lambda v: int(v, 0), default=64)
    ap.add_argument("--payload", choices=("icmp", "udp", "none"), default="icmp")
    ap.add_argument("--opt", action="append", default=[])
    ap.add_argument("--no-align", action="store_true")
    ap.add_argument("--hbh-len", default="auto")
    ap.add_argument("--hbh-raw")
    ap.add_argument("--frag", action="store_true")
    ap.add_argument("--trunc", type=int)
    ap.add_argument("--plen", type=lambda v: int(v, 0))
    ap.add_argument("--total", type=int)
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--fuzz", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fuzz-start", type=int, default=0)
    ap.add_argument("--fuzz-list", action="store_true")
    ap.add_argument("--seeds", action="store_true",
                    help="send every seed case once, in order (with --expect: the expected tally)")
    ap.add_argument("--ns", type=lambda v: int(v, 0), default=DEFAULT_NS)
    ap.add_argument("--mtu", type=int, default=1500)
    ap.add_argument("--expect", action="store_true")
    ap.add_argument("--model", choices=("inline", "prerouting"), default="inline")
    ap.add_argument("--netlabel", choices=("yes", "no"), default="yes",
                    help="whether the node's kernel has CONFIG_NETLABEL (it decides CALIPSO)")
    return ap


def open_socket(iface):
    # Protocol 0: this socket only sends, so received traffic is never queued on it.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((iface, 0))
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    except OSError:
        pass
    return s


def own_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def send_all(sock, eth, packets, interval=0):
    """Sends eth + each packet; returns (sent, errors, first error)."""
    sent, errors, first = 0, 0, None
    send = sock.send
    for p in packets:
        while True:
            try:
                send(eth + p)
                sent += 1
                break
            except OSError as e:
                if e.errno in (errno.ENOBUFS, errno.EAGAIN):
                    time.sleep(0.001)
                    continue
                errors += 1
                first = first or "%s (%d bytes)" % (e, len(p))
                break
        if interval:
            time.sleep(interval)
    return sent, errors, first


def count_expected(tally, fate, outs, seen):
    """Adds one packet's expected fate and per-option outcomes to tally, and, as
    "seen:OUTCOME", what ioam_rs's hook does with the options of a packet the kernel's Hop-by-Hop
    walk lets through (see expectation())."""
    tally[fate] = tally.get(fate, 0) + 1
    for o in outs:
        tally[o] = tally.get(o, 0) + 1
    for o in seen:
        tally["seen:" + o] = tally.get("seen:" + o, 0) + 1


def main(argv=None):
    args = parser().parse_args(argv)
    out = sys.stdout
    kw = dict(known_ns=(args.ns,), model=args.model, netlabel=args.netlabel == "yes",
              mtu=args.mtu)
    tally = {}
    if args.fuzz is not None:
        fz = Fuzzer(args.seed, args.src, args.dst, args.ns, args.mtu)
        print("seed %d" % args.seed, file=sys.stderr if args.print else out, flush=True)
        rng = range(args.fuzz_start, args.fuzz)
        if args.fuzz_list:
            for k in rng:
                name, p = fz.case(k)
                out.write("%d %s %s %s\n" % (k, name, category(p, **kw), p.hex()))
            return 0

        def gen():
            case = fz.case
            for k in rng:
                p = case(k)[1]
                if args.expect:
                    count_expected(tally, *expectation(p, **kw))
                yield p
        packets = gen()
    elif args.seeds:
        cases = list(seed_cases(args.src, args.dst, args.ns, args.mtu)[0].values())

        def seeds():
            for p in cases:
                if args.expect:
                    count_expected(tally, *expectation(p, **kw))
                yield p
        packets = seeds()
    else:
        spec = vars(args)
        packets = (build_packet(spec, seq=i + 1) for i in range(args.count))

    if args.print:
        w = out.write
        for p in packets:
            w(p.hex() + "\n")
        errors = 0
    else:
        if not args.iface or not args.dst_mac:
            raise SystemExit("IFACE and --dst-mac are needed to send (or use --print)")
        sock = open_socket(args.iface)
        eth = bytes.fromhex(args.dst_mac.replace(":", "")) + own_mac(args.iface) + \
            struct.pack(">H", ETH_P_IPV6)
        t0 = time.time()
        sent, errors, first = send_all(sock, eth, packets, args.interval)
        if errors:
            print("send errors %d, first: %s" % (errors, first), file=sys.stderr)
        if args.fuzz is not None:
            print("rate %.0f packets/s" % (sent / max(time.time() - t0, 1e-9)), file=sys.stderr)
    if args.expect:
        print("expect " + " ".join("%s=%d" % kv for kv in sorted(tally.items())),
              file=sys.stderr if args.print else out)
    if not args.print:
        print("sent %d" % sent, file=out)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
