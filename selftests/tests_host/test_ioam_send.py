# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of selftests/ioam_send.py (stdlib only, no root, no network).

  cd selftests && python3 -m unittest discover -s tests_host
  cd selftests && python3 -m unittest tests_host.test_ioam_send
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTESTS = os.path.dirname(HERE)
sys.path.insert(0, SELFTESTS)

import ioam_check  # noqa: E402
import ioam_send as s  # noqa: E402

SRC, DST = "2001:db8:1::1", "2001:db8:2::1"
SCRIPT = os.path.join(SELFTESTS, "ioam_send.py")


def checksum_ok(pkt, nh, seg):
    """The upper-layer checksum of seg is right (the sum over pseudo-header + seg is 0)."""
    pseudo = pkt[8:40] + struct.pack(">IxxxB", len(seg), nh)
    return s.checksum(pseudo + seg) == 0


def parse(pkt):
    """Our own parse of a packet built here: IPv6 header, HBH options, Fragment, L4."""
    r = {}
    ver_tc_fl, r["plen"], r["nh"], r["hlim"] = struct.unpack_from(">IHBB", pkt, 0)
    r["version"] = ver_tc_fl >> 28
    r["src"] = socket.inet_ntop(socket.AF_INET6, pkt[8:24])
    r["dst"] = socket.inet_ntop(socket.AF_INET6, pkt[24:40])
    off, nh, r["options"], r["frag"] = 40, r["nh"], [], None
    if nh == 0:
        r["hbh_len"] = (pkt[41] + 1) * 8
        end = 40 + r["hbh_len"]
        o = 42
        while o < end:
            if pkt[o] == 0:
                r["options"].append((o, 0, 1, b"\0"))
                o += 1
                continue
            ln = pkt[o + 1] + 2
            r["options"].append((o, pkt[o], ln, pkt[o:o + ln]))
            o += ln
        assert o == end, "options do not end at the header's end"
        nh, off = pkt[40], end
    if nh == 44:
        r["frag"] = struct.unpack_from(">BBHI", pkt, off)
        nh, off = pkt[off], off + 8
    r["l4nh"], r["l4"] = nh, pkt[off:]
    return r


def trace_fields(opt):
    """Fields of an IOAM option's bytes (from its type byte)."""
    t, ln, hrsvd, ioamtype, ns, word, tt = struct.unpack_from(">BBBBHHI", opt, 0)
    return dict(opt_type=t, opt_len=ln, hrsvd=hrsvd, ioamtype=ioamtype, ns=ns,
                nodelen=word >> 11, flags=(word >> 7) & 0xF, o=(word >> 10) & 1,
                remlen=word & 0x7F, type=tt >> 8, rsvd=tt & 0xFF, data=opt[12:])


def ioam_opts(r):
    return [(o, trace_fields(b)) for o, t, ln, b in r["options"] if t == 49]


class BuildPacket(unittest.TestCase):
    def test_default_trace_layout(self):
        p = s.build_packet(src=SRC, dst=DST, opts=["trace:ns=123,type=0x800000,size=12"])
        r = parse(p)
        self.assertEqual((r["version"], r["nh"], r["hlim"], r["src"], r["dst"]),
                         (6, 0, 64, SRC, DST))
        self.assertEqual(r["plen"], len(p) - 40)
        self.assertEqual(r["hbh_len"], 32)
        self.assertEqual(p[42:44], b"\x01\x00")  # PadN 2
        [(off, f)] = ioam_opts(r)
        self.assertEqual(off, 44)
        self.assertEqual((f["opt_len"], f["ioamtype"], f["ns"], f["nodelen"], f["o"], f["flags"],
                          f["remlen"], f["type"], f["rsvd"], f["hrsvd"]),
                         (22, 0, 123, 1, 0, 0, 3, 0x800000, 0, 0))
        self.assertEqual(f["data"][:12], bytes(12))
        self.assertEqual(p[68:72], b"\x01\x02\x00\x00")  # trailing PadN 4
        self.assertEqual(r["l4nh"], 58)
        self.assertEqual(r["l4"][:2], b"\x80\x00")
        self.assertEqual(struct.unpack_from(">HH", r["l4"], 4), (0x1234, 1))
        self.assertTrue(checksum_ok(p, 58, r["l4"]))

    def test_matches_ioam_check_expectation(self):
        """An untouched trace is byte for byte what ioam_check expects of an empty route."""
        for t, size in ((0x800000, 12), (0xFFF002, 128), (0xC00000, 8), (0x800000, 244),
                        (0xF00000, 0), (0x00E000, 48)):
            p = s.build_packet(opts=["trace:ns=7,type=%d,size=%d" % (t, size)])
            a = argparse.Namespace(size=size, type=t, ns=7, overflow=False, flags=0, node=[])
            exp, _, _ = ioam_check.expected_hbh(a, 58)
            self.assertEqual(p[40:40 + (p[41] + 1) * 8], exp, (hex(t), size))
            a.mode, a.absent, a.incremental, a.dex = "inline", False, None, None
            self.assertIsNone(ioam_check.check_packet(p, a))

    def test_shell_node_len_agrees_with_ioam_check(self):
        """lib.sh's node_len (shell arithmetic, for the shell tests) and the receiver's."""
        types = list(range(0, 1 << 24, 65537)) + [0xFFFFFF, 0x800002, 0x000001, 0xE000]
        script = '. "$1/lib.sh"; shift; for t; do node_len "$t"; done'
        out = subprocess.run(["bash", "-c", script, "_", SELFTESTS] + [hex(t) for t in types],
                             capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual([int(n) for n in out], [ioam_check.node_len(t) for t in types])

    def test_udp_checksum_and_ports(self):
        for seq in (1, 2, 77):
            p = s.build_packet(src=SRC, dst=DST, payload="udp", seq=seq,
                               opts=["trace:ns=1,type=0xc00000,size=8"])
            r = parse(p)
            self.assertEqual(r["l4nh"], 17)
            sport, dport, ln, _ = struct.unpack_from(">HHHH", r["l4"])
            self.assertEqual((sport, dport, ln), (40000, 9, len(r["l4"])))
            self.assertTrue(checksum_ok(p, 17, r["l4"]))

    def test_icmp_checksum_many(self):
        for seq in range(1, 300, 7):
            for dst in (DST, "fe80::1", "2001:db8:ffff::abcd"):
                p = s.build_packet(src=SRC, dst=dst, seq=seq, opts=["trace:ns=1,type=1,size=4"])
                r = parse(p)
                self.assertTrue(checksum_ok(p, 58, r["l4"]), (seq, dst))
                self.assertEqual(struct.unpack_from(">H", r["l4"], 6)[0], seq)

    def test_no_options_no_hbh(self):
        p = s.build_packet(src=SRC, dst=DST)
        self.assertEqual(p[6], 58)
        self.assertEqual(len(p), 40 + 24)
        self.assertTrue(checksum_ok(p, 58, p[40:]))

    def test_alignment_and_padding(self):
        """Every trace option's type byte lands 4n from the IPv6 header, whatever comes before,
        and the header is a multiple of 8 long."""
        pre = [[], ["pad1"], ["padn:3"], ["raw:1e00"], ["raw:1e01ff"], ["pad1", "pad1", "pad1"],
               ["trace:ns=1,type=0x800000,size=4"], ["raw:1e0200"]]
        for before in pre:
            for size in (0, 4, 8, 12, 244 - 64):
                opts = before + ["trace:ns=2,type=0xc00000,size=%d" % size, "raw:1e00",
                                 "trace:ns=3,type=0x800000,size=4"]
                p = s.build_packet(opts=opts)
                r = parse(p)
                self.assertEqual(r["hbh_len"] % 8, 0)
                ious = ioam_opts(r)
                self.assertEqual(len(ious), 2 + before.count("trace:ns=1,type=0x800000,size=4"))
                for off, f in ious:
                    self.assertEqual(off % 4, 0, (before, size))
                # padding is only zero-filled PadN or Pad1, never more than 7 bytes in a row
                run = 0
                for off, t, ln, b in r["options"]:
                    if t in (0, 1):
                        run += ln
                        self.assertLessEqual(run, 7)
                        self.assertFalse(any(b[2:]) if t == 1 else False)
                    else:
                        run = 0
                fate, outs = s.classify(p, known_ns=(1, 2, 3))
                self.assertEqual(fate, "pass")
                self.assertEqual(outs[-2:], ("overflow" if size < 8 else "fill", "fill"))

    def test_no_align_and_align_keyword(self):
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=4"], no_align=True)
        self.assertEqual(p[42], 49)
        p = s.build_packet(opts=["pad1", "align", "raw:31021234"], no_align=True)
        self.assertEqual(p[42:45], b"\0\0\x31")  # pad1, then align: another Pad1
        p = s.build_packet(opts=["raw:1e00", "pad1", "align", "raw:31021234"], no_align=True)
        self.assertEqual(p[42:48], bytes([0x1E, 0, 0, 1, 1, 0]))  # align: PadN of 3
        p = s.build_packet(opts=["raw:1e00", "align", "raw:aa00"])
        self.assertEqual(p[42:46], bytes([0x1E, 0, 0xAA, 0]))  # already aligned

    def test_pads(self):
        p = s.build_packet(opts=["pad1", "padn:5", "raw:c0ffee"])
        self.assertEqual(p[42:51], bytes([0, 1, 3, 0, 0, 0]) + bytes.fromhex("c0ffee"))
        self.assertEqual((p[41] + 1) * 8, 16)
        self.assertEqual(p[51:56], bytes([1, 3, 0, 0, 0]))

    def test_trace_overrides(self):
        spec = ("trace:ns=0xabcd,type=0xf00000,size=24,remlen=5,nodelen=9,ioamtype=3,"
                "optlen=200,prefill=0102030405060708,flags=0xf,rsvd=0x5a,hrsvd=0xa5")
        p = s.build_packet(opts=[spec])
        [(off, f)] = ioam_opts(parse(s.build_packet(opts=[spec.replace("optlen=200", "")])))
        self.assertEqual(f["opt_len"], 34)
        off = 44
        self.assertEqual(p[off + 1], 200)  # opt_len override: bytes present unchanged
        self.assertEqual(len(p), len(s.build_packet(opts=[spec.replace("optlen=200,", "")])))
        f = trace_fields(p[off:])
        self.assertEqual((f["ns"], f["nodelen"], f["flags"], f["o"], f["remlen"], f["ioamtype"],
                          f["type"], f["rsvd"], f["hrsvd"]),
                         (0xABCD, 9, 0xF, 1, 5, 3, 0xF00000, 0x5A, 0xA5))
        self.assertEqual(p[off + 12:off + 36], bytes(16) + bytes(range(1, 9)))

    def test_prefill_default_remlen_and_o(self):
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=16,prefill=aabbccdd,o=1"])
        f = trace_fields(p[44:])
        self.assertEqual((f["remlen"], f["o"], f["flags"]), (3, 1, 8))
        self.assertEqual(f["data"][:16], bytes(12) + bytes.fromhex("aabbccdd"))
        self.assertEqual(p[50], 1 << 3 | 4)  # NodeLen 1, O flag: as ioam_check packs it
        self.assertEqual(s.category(p, known_ns=(1,)), "already_overflowed")

    def test_hbh_len_raw_trunc_plen(self):
        base = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"])
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], hbh_len=9)
        self.assertEqual(p[41], 9)
        self.assertEqual(p[:41] + p[42:], base[:41] + base[42:])
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], hbh_len="auto")
        self.assertEqual(p, base)
        raw = "3a00" + "0104000000000000"[:12]
        p = s.build_packet(hbh_raw=raw)
        self.assertEqual((p[6], p[40:48].hex()), (0, raw))
        self.assertEqual(struct.unpack_from(">H", p, 4)[0], len(p) - 40)
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], trunc=50)
        self.assertEqual((len(p), p[:50]), (50, base[:50]))
        self.assertEqual(struct.unpack_from(">H", p, 4)[0], len(base) - 40)
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], plen=3)
        self.assertEqual(struct.unpack_from(">H", p, 4)[0], 3)

    def test_fragment(self):
        p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], frag=True)
        r = parse(p)
        self.assertEqual(p[40], 44)
        nh, rsv, offm, ident = r["frag"]
        self.assertEqual((nh, rsv, offm, ident), (58, 0, 1, 0x494F414D))
        self.assertEqual(r["l4nh"], 58)
        self.assertEqual(len(r["l4"]) % 8, 0)
        self.assertTrue(checksum_ok(p, 58, r["l4"]))
        p = s.build_packet(frag=True, payload="udp")
        self.assertEqual((p[6], p[40]), (44, 17))

    def test_total_length(self):
        for total in (1280, 1500, 9000):
            for payload, nh in (("icmp", 58), ("udp", 17)):
                p = s.build_packet(opts=["trace:ns=1,type=0x800000,size=12"], total=total,
                                   payload=payload)
                r = parse(p)
                self.assertEqual((len(p), r["plen"]), (total, total - 40))
                self.assertTrue(checksum_ok(p, nh, r["l4"]))

    def test_bad_specs(self):
        for spec in ("trace:ns=1,size=4", "trace:type=1", "trace:ns=1,type=1,size=4,bogus=1",
                     "padn:1", "nothing", "trace:ns=1,type=1,size=4,prefill=0011223344"):
            with self.assertRaises(ValueError, msg=spec):
                s.build_packet(opts=[spec])

    def test_accepts_dict_and_namespace(self):
        args = s.parser().parse_args(["--opt", "trace:ns=5,type=0x800000,size=8", "--payload",
                                      "udp", "--hlim", "9", "--src", SRC, "--dst", DST])
        a = s.build_packet(args)
        b = s.build_packet(vars(args))
        c = s.build_packet(opts=["trace:ns=5,type=0x800000,size=8"], payload="udp", hlim=9,
                           src=SRC, dst=DST)
        self.assertEqual(a, b)
        self.assertEqual(a, c)


class Cli(unittest.TestCase):
    def run_cli(self, *argv):
        return subprocess.run([sys.executable, SCRIPT] + list(argv), check=True,
                              capture_output=True, text=True).stdout

    GOLDEN = ("600000000038004020010db800010000000000000000000120010db800020000000000000000"
              "00013a03010031160000007b0803800000000000000000000000000000000102000080"
              "00ab9612340001696f616d5f73656e642e707900010203")

    def test_print_is_stable(self):
        out = self.run_cli("--src", SRC, "--dst", DST, "--print", "--count", "2",
                           "--opt", "trace:ns=123,type=0x800000,size=12")
        lines = out.split()
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0], s.build_packet(src=SRC, dst=DST, seq=1,
                                                  opts=["trace:ns=123,type=0x800000,size=12"]).hex())
        self.assertEqual(lines[1], s.build_packet(src=SRC, dst=DST, seq=2,
                                                  opts=["trace:ns=123,type=0x800000,size=12"]).hex())
        self.assertEqual(lines[0], self.GOLDEN)
        self.assertEqual(lines[0], self.golden())
        self.assertEqual(out, self.run_cli("--src", SRC, "--dst", DST, "--print", "--count", "2",
                                           "--opt", "trace:ns=123,type=0x800000,size=12"))

    @staticmethod
    def golden():
        """The packet above, assembled by hand."""
        icmp = bytearray(struct.pack(">BBHHH", 128, 0, 0, 0x1234, 1) + b"ioam_send.py\0\1\2\3")
        hbh = bytes([58, 3, 1, 0, 0x31, 22, 0, 0, 0, 123, 1 << 3, 3, 0x80, 0, 0, 0]) + bytes(12) + \
            bytes([1, 2, 0, 0])
        ip = struct.pack(">IHBB", 0x60000000, len(hbh) + len(icmp), 0, 64) + \
            socket.inet_pton(socket.AF_INET6, SRC) + socket.inet_pton(socket.AF_INET6, DST)
        pseudo = ip[8:40] + struct.pack(">IxxxB", len(icmp), 58)
        total = sum(struct.unpack(">%dH" % ((len(pseudo) + len(icmp)) // 2), pseudo + icmp))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        icmp[2:4] = struct.pack(">H", ~total & 0xFFFF)
        return (ip + hbh + bytes(icmp)).hex()

    def test_fuzz_print_and_replay(self):
        out = subprocess.run([sys.executable, SCRIPT, "--fuzz", "60", "--seed", "3", "--print"],
                             check=True, capture_output=True, text=True)
        self.assertEqual(out.stderr.split("\n")[0], "seed 3")
        lines = out.stdout.split()
        self.assertEqual(len(lines), 60)
        tail = self.run_cli("--fuzz", "60", "--seed", "3", "--print", "--fuzz-start", "41").split()
        self.assertEqual(tail, lines[41:])
        listing = self.run_cli("--fuzz", "60", "--seed", "3", "--fuzz-list").splitlines()
        self.assertEqual(listing[0], "seed 3")
        for k, line in enumerate(listing[1:]):
            idx, name, outcome, hx = line.split()
            self.assertEqual((int(idx), hx), (k, lines[k]))
            self.assertIn(outcome.split("+")[0], s.OUTCOMES)
        other = self.run_cli("--fuzz", "60", "--seed", "4", "--print").split()
        self.assertNotEqual(other, lines)

    def test_fuzz_expect_tallies(self):
        out = subprocess.run([sys.executable, SCRIPT, "--fuzz", "200", "--seed", "5", "--print",
                              "--expect"], check=True, capture_output=True, text=True)
        line = [x for x in out.stderr.splitlines() if x.startswith("expect ")][0]
        tally = dict(kv.split("=") for kv in line.split()[1:])
        fates = sum(int(tally.get(k, 0)) for k in ("pass", "drop", "kernel_drop"))
        self.assertEqual(fates, 200)

    def test_send_needs_iface(self):
        r = subprocess.run([sys.executable, SCRIPT, "--opt", "pad1"], capture_output=True,
                           text=True)
        self.assertNotEqual(r.returncode, 0)


class SeedCases(unittest.TestCase):
    REQUIRED = ("truncated_option", "optlen_lt_remlen", "remlen_beyond_data", "nodelen_mismatch",
                "misaligned", "two_ioam_options", "overlapping_options", "overlapping_beyond_hbh",
                "schema_too_big", "o_flag_set", "reserved_bits_set", "unknown_ioam_type_1",
                "unknown_ioam_type_2", "unknown_ioam_type_3", "unknown_ioam_type_255", "at_mtu",
                "fragment", "no_hbh", "truncated_ipv6_header", "hbh_len_beyond_packet",
                "empty_trace", "max_size_trace", "remlen_zero", "type_zero", "undefined_bits",
                "bit23_set")

    def test_names_and_outcomes(self):
        self.assertEqual(set(s.SEED_CASES), set(s.SEED_EXPECT))
        for name in self.REQUIRED:
            self.assertIn(name, s.SEED_CASES)
        for name, outcome in s.SEED_EXPECT.items():
            self.assertIn(outcome, s.OUTCOMES, name)

    def test_deterministic(self):
        a, ea = s.seed_cases()
        b, eb = s.seed_cases()
        self.assertEqual((a, ea), (b, eb))
        self.assertEqual(a, s.SEED_CASES)
        c, _ = s.seed_cases(src="2001:db8::1", dst="2001:db8::2", ns=9, mtu=1280)
        self.assertEqual(len(c["at_mtu"]), 1280)
        self.assertEqual(trace_fields(c["valid"][44:])["ns"], 9)

    def test_classify_agrees(self):
        for name, pkt in s.SEED_CASES.items():
            self.assertEqual(s.category(pkt), s.SEED_EXPECT[name], name)

    def test_calipso_depends_on_netlabel(self):
        """A well-formed CALIPSO option after an IOAM trace: a NetLabel kernel without a DOI
        drops the packet (the trace is never filled), one without NetLabel passes it."""
        calipso = bytes([7, 8, 0, 0, 0, 1, 0, 0, 0, 0])
        trace = ("trace", dict(ns=s.DEFAULT_NS, type=0x800000, size=8))
        pkt = s.build_packet(opts=[trace, ("raw", calipso)])
        for model in ("inline", "prerouting"):
            fate, _ = s.classify(pkt, model=model, netlabel=True)
            self.assertEqual(fate, "kernel_drop", model)
            self.assertEqual(s.classify(pkt, model=model, netlabel=False), ("pass", ("fill",)))
        short = s.build_packet(opts=[trace, ("raw", bytes([7, 6, 0, 0, 0, 1, 0, 0]))])
        self.assertEqual(s.classify(short, netlabel=False)[0], "kernel_drop")

    # What ioam_rs does with the options upstream ignores: Incremental Trace and DEX.
    MODULE_ONLY = {
        "unknown_ioam_type_1": "insert", "incremental": "insert",
        "incremental_4_byte_entry": "insert", "incremental_with_entries": "insert",
        "incremental_not_words": "drop:truncated", "incremental_nodelen_mismatch": "drop:node_len",
        "incremental_no_room": "overflow", "incremental_at_mtu": "overflow",
        "incremental_unknown_namespace": "ignore",
        "dex": "dex", "dex_no_fields": "dex", "dex_unknown_flag": "dex",
        "dex_fields_missing": "drop:truncated", "dex_header_cut": "drop:truncated",
        "dex_unknown_namespace": "ignore", "incremental_loopback": "insert+loopback"}
    # Cases the kernel fills and the module loops back (or refuses to): (outs, seen).
    FLAGGED = {
        "reserved_bits_set": ("fill+loopback", ("fill", "loopback")),
        "loopback": ("fill+loopback", ("fill", "loopback")),
        "loopback_wide_type": ("fill+loopback_refused", ("fill", "loopback_refused")),
        "loopback_overflowed": ("already_overflowed+loopback",
                                ("already_overflowed", "loopback"))}

    def test_prerouting_model(self):
        """With upstream IOAM disabled, the stack drops the misaligned cases; the other seed
        cases have a valid TLV walk and keep their outcome, but for the Incremental Trace
        options, which the module processes."""
        for name, pkt in s.SEED_CASES.items():
            exp = self.MODULE_ONLY.get(name, s.SEED_EXPECT[name])
            exp = self.FLAGGED.get(name, (exp,))[0]
            if exp == "drop:misaligned":
                exp = "kernel_drop"
            self.assertEqual(s.category(pkt, model="prerouting"), exp, name)

    def test_module_sees_incremental_behind_the_kernel(self):
        """With upstream IOAM on, the kernel ignores Incremental Trace options; the module's
        hook then processes them ("seen" outcomes)."""
        for name, exp in self.MODULE_ONLY.items():
            fate, outs, seen = s.expectation(s.SEED_CASES[name])
            self.assertEqual((fate, outs, seen), ("pass", ("ignore",), tuple(exp.split("+"))), name)

    def test_module_loops_back_behind_the_kernel(self):
        """RFC 9322 Loopback is the module's: behind the kernel's fill, its hook sends the copy
        (or refuses to); a copy, an Active packet for elsewhere and an unknown namespace get
        nothing more."""
        for name, (_, seen) in self.FLAGGED.items():
            fate, outs, got = s.expectation(s.SEED_CASES[name])
            self.assertEqual((fate, outs, got), ("pass", seen[:1], seen), name)
        for name in ("loopback_copy", "active"):
            self.assertEqual(s.expectation(s.SEED_CASES[name]), ("pass", ("fill",), ("fill",)), name)
        self.assertEqual(s.expectation(s.SEED_CASES["loopback_unknown_namespace"]),
                         ("pass", ("ignore",), ("ignore",)))

    def test_incremental_growth_counts_for_later_options(self):
        """Two Incremental Trace options in a packet 8 bytes short of the MTU: the first entry
        fits, the second would not."""
        tr = ("trace", dict(ns=s.DEFAULT_NS, type=0xC00000, size=0, remlen=4, ioamtype=1))
        p = s.build_packet(opts=[tr, tr], total=1492)
        self.assertEqual(s.expectation(p, model="prerouting"),
                         ("pass", ("insert", "overflow"), ("insert", "overflow")))
        self.assertEqual(s.expectation(p, model="prerouting", mtu=1508)[1], ("insert", "insert"))

    def test_structure(self):
        c = s.SEED_CASES

        def f(name, off=44):
            return trace_fields(c[name][off:])
        self.assertEqual(f("truncated_option")["opt_len"], 6)
        self.assertEqual((f("optlen_lt_remlen")["opt_len"], f("optlen_lt_remlen")["remlen"]), (22, 4))
        self.assertEqual((f("remlen_beyond_data")["opt_len"], f("remlen_beyond_data")["remlen"]),
                         (18, 3))
        self.assertNotEqual(f("nodelen_mismatch")["nodelen"], s.node_len(f("nodelen_mismatch")["type"]))
        self.assertEqual(c["misaligned"][42], 49)
        self.assertEqual(len(ioam_opts(parse(c["two_ioam_options"]))), 2)
        self.assertEqual((f("schema_too_big")["type"] & 2, f("schema_too_big")["remlen"]), (2, 1))
        self.assertEqual(f("o_flag_set")["o"], 1)
        self.assertEqual((f("reserved_bits_set")["flags"], f("reserved_bits_set")["rsvd"]), (7, 0xFF))
        for k in (1, 2, 3, 255):
            self.assertEqual(f("unknown_ioam_type_%d" % k)["ioamtype"], k)
        self.assertEqual(len(c["at_mtu"]), 1500)
        self.assertEqual((c["fragment"][40], parse(c["fragment"])["frag"][2]), (44, 1))
        self.assertEqual(c["no_hbh"][6], 58)
        self.assertEqual(len(c["truncated_ipv6_header"]), 30)
        p = c["hbh_len_beyond_packet"]
        self.assertGreater(40 + (p[41] + 1) * 8, len(p))
        self.assertEqual(struct.unpack_from(">H", p, 4)[0], len(p) - 40)
        self.assertEqual((f("empty_trace")["opt_len"], f("empty_trace")["remlen"]), (10, 0))
        self.assertEqual((f("max_size_trace")["opt_len"], f("max_size_trace")["remlen"]), (254, 61))
        self.assertEqual(f("remlen_zero")["remlen"], 0)
        self.assertEqual(f("type_zero")["type"], 0)
        self.assertEqual(f("undefined_bits")["type"] & 0xFFC, 0xFFC)
        self.assertEqual(f("bit23_set")["type"] & 1, 1)
        self.assertEqual(c["overlapping_options"][45] + 2, 40)  # covers both traces


class Fuzz(unittest.TestCase):
    def test_replay_and_bounds(self):
        a, b = s.Fuzzer(11), s.Fuzzer(11)
        cases = [a.case(k) for k in range(3000)]
        for k in (2999, 17, 0, 1234, 5):  # any order, fresh generator: same case
            self.assertEqual(b.case(k), cases[k])
        kinds = {name for name, _ in cases}
        for kind, _ in s.Fuzzer.KINDS:
            self.assertIn(kind, kinds)
        self.assertEqual({n for n in kinds if n.startswith("seed:")},
                         {"seed:" + n for n in s.SEED_CASES})
        for name, p in cases:
            self.assertLessEqual(len(p), 1500, name)
            self.assertIsInstance(p, bytes)
        outcomes = {s.category(p) for _, p in cases}
        for o in ("fill", "overflow", "already_overflowed", "ignore", "kernel_drop",
                  "drop:misaligned", "drop:truncated", "drop:remaining_len", "drop:node_len"):
            self.assertIn(o, outcomes)
        self.assertTrue(any("+" in o for o in outcomes))  # several IOAM options
        self.assertTrue(any(len(p) == 1500 for _, p in cases))
        self.assertNotEqual([s.Fuzzer(12).case(k) for k in range(1, 50)], cases[1:50])

    def test_small_mtu(self):
        fz = s.Fuzzer(2, mtu=1280)
        self.assertTrue(all(len(fz.case(k)[1]) <= 1280 for k in range(2000)))


if __name__ == "__main__":
    unittest.main()
