# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of selftests/ioam_check.py's --case and --incremental modes (stdlib only,
no root).

  cd selftests && python3 -m unittest tests_host.test_ioam_check
"""
import contextlib
import io
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ioam_check  # noqa: E402
import ioam_send  # noqa: E402


class FakeSocket:
    """Hands out the given packets as received from the wire, then times out."""

    def __init__(self, packets):
        self.packets = list(packets)

    def recvfrom(self, _size):
        if not self.packets:
            raise socket.timeout()
        return self.packets.pop(0), ("c0", 0x86DD, socket.PACKET_HOST)


def packet(dst, t, size):
    return ioam_send.build_packet(src="2001:db8:1::1", dst=dst,
                                  opts=["trace:ns=7,type=%d,size=%d" % (t, size)])


def run(packets, *cases):
    args = ioam_check.parser().parse_args(
        ["c0", str(len(cases)), "--ns", "7", "--timeout", "0.2"] +
        [a for c in cases for a in ("--case", c)])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = ioam_check.run(args, FakeSocket(packets))
    return rc, out.getvalue().strip()


class Cases(unittest.TestCase):
    def test_each_packet_checked_against_its_destination(self):
        rc, out = run([packet("2001:db8:2::100:2", 0x800000, 244),
                       packet("2001:db8:2::100:1", 0xC00000, 8)],
                      "2001:db8:2::100:1:0xc00000:8", "2001:db8:2::100:2:0x800000:244")
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("ok 2 packets"), out)

    def test_wrong_size_for_its_destination_fails(self):
        rc, out = run([packet("2001:db8:2::100:1", 0x800000, 12)], "2001:db8:2::100:1:0x800000:8")
        self.assertEqual(rc, 1)
        self.assertIn("Hop-by-Hop header is", out)

    def test_unknown_or_repeated_destination_fails(self):
        rc, out = run([packet("2001:db8:2::5", 0x800000, 8)], "2001:db8:2::100:1:0x800000:8")
        self.assertEqual(rc, 1)
        self.assertIn("to 2001:db8:2::5, which is no (remaining) case", out)
        p = packet("2001:db8:2::100:1", 0x800000, 8)
        rc, out = run([p, p], "2001:db8:2::100:1:0x800000:8", "2001:db8:2::100:2:0x800000:8")
        self.assertEqual(rc, 1)
        self.assertIn("which is no (remaining) case", out)

    def test_missing_packet_fails(self):
        rc, out = run([packet("2001:db8:2::100:1", 0x800000, 8)],
                      "2001:db8:2::100:1:0x800000:8", "2001:db8:2::100:2:0x800000:8")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "saw 1 of 2 packets")


def incremental_packet(remlen, after=b""):
    """A packet as node 0x101 (hop 63) leaves it after inserting its entry for type 0x800000
    into an Incremental Trace sent with RemainingLen 3: 6 bytes of padding in front (2 before),
    the option, then the bytes `after`, padded to 8n."""
    opt = bytes([0x31, 14, 0, 1, 0, 7, 1 << 3, remlen, 0x80, 0, 0, 0]) + bytes([63, 0, 1, 1])
    return ioam_send.build_packet(src="2001:db8:1::1", dst="2001:db8:2::1",
                                  opts=["padn:6", "raw:" + opt.hex(), "raw:" + after.hex()],
                                  no_align=True)


def run_incremental(pkt, *extra):
    args = ioam_check.parser().parse_args(
        ["c0", "1", "--ns", "7", "--type", "0x800000", "--incremental", "3", "--timeout", "0.2",
         "--node", "hop=63,id=0x101"] + list(extra))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = ioam_check.run(args, FakeSocket([pkt]))
    return rc, out.getvalue().strip()


class Incremental(unittest.TestCase):
    def test_inserted_entry_matches(self):
        rc, out = run_incremental(incremental_packet(2))
        self.assertEqual(rc, 0, out)

    def test_remaining_len_not_decremented_fails(self):
        rc, out = run_incremental(incremental_packet(3))
        self.assertEqual(rc, 1)
        self.assertIn("byte 7 of the trace option is 03, expected 02", out)

    def test_options_behind_checked(self):
        rc, out = run_incremental(incremental_packet(2, bytes.fromhex("3e021122")), "--after", "3e021122")
        self.assertEqual(rc, 0, out)
        rc, out = run_incremental(incremental_packet(2, bytes.fromhex("3e021122")))
        self.assertEqual(rc, 1)
        self.assertIn("more than padding after the options", out)


def dex_packet(seq):
    """A packet of a DEX route for namespace 7, type 0xf00000, Flow ID 5 and Sequence Number
    seq, as RFC 9326 lays the option out (written here byte by byte)."""
    opt = bytes([0x31, 18, 0, 4, 0, 7, 0, 0xC0, 0xF0, 0, 0, 0, 0, 0, 0, 5]) + seq.to_bytes(4, "big")
    return ioam_send.build_packet(src="2001:db8:1::1", dst="2001:db8:2::1",
                                  opts=["padn:2", "raw:" + opt.hex()], no_align=True)


def run_dex(packets, *extra):
    args = ioam_check.parser().parse_args(
        ["c0", str(len(packets)), "--ns", "7", "--type", "0xf00000", "--dex", "0xc0",
         "--flow-id", "5", "--timeout", "0.2"] + list(extra))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = ioam_check.run(args, FakeSocket(packets))
    return rc, out.getvalue().strip()


class Dex(unittest.TestCase):
    def test_consecutive_sequence_numbers_match(self):
        self.assertEqual((dex_packet(0)[41] + 1) * 8, 24)
        rc, out = run_dex([dex_packet(3), dex_packet(4)], "--seq-from", "3")
        self.assertEqual(rc, 0, out)

    def test_sequence_gap_or_other_flow_fails(self):
        rc, out = run_dex([dex_packet(3), dex_packet(5)], "--seq-from", "3")
        self.assertEqual(rc, 1)
        self.assertIn("packet 2: Hop-by-Hop header is", out)
        rc, out = run_dex([dex_packet(0)], "--flow-id", "6")
        self.assertEqual(rc, 1)



class EgressFields(unittest.TestCase):
    """Transit delay and queue depth, written at a node's egress (spec td, qd, egress=late)."""

    NA = struct.pack(">II", 0xFFFFFFFF, 0xFFFFFFFF)
    FILLED = struct.pack(">II", 1234, 0)

    def setUp(self):
        ioam_check.EGRESS_SEEN.clear()

    def test_late_node_unavailable_until_seen_written_then_never(self):
        approx = [(0, ("delay", 0x101)), (4, ("backlog", 0, 0x101))]
        self.assertIsNone(ioam_check.check_timestamps(self.NA, approx))
        self.assertIsNone(ioam_check.check_timestamps(self.FILLED, approx))
        self.assertIn("transit delay", ioam_check.check_timestamps(self.NA, approx))

    def test_strict_node_is_never_unavailable(self):
        self.assertIn("transit delay", ioam_check.check_timestamps(self.NA, [(0, ("delay", None))]))
        self.assertIn("queue depth", ioam_check.check_timestamps(self.NA, [(4, ("backlog", None, None))]))

    def test_queue_depth_compared_when_given(self):
        approx = [(4, ("backlog", 7, None))]
        self.assertIn("expected 7", ioam_check.check_timestamps(self.FILLED, approx))
        self.assertIsNone(ioam_check.check_timestamps(struct.pack(">II", 0, 7), approx))


if __name__ == "__main__":
    unittest.main()
