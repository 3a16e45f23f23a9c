# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of selftests/ioam_check.py's --case mode (stdlib only, no root).

  cd selftests && python3 -m unittest tests_host.test_ioam_check
"""
import contextlib
import io
import os
import socket
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


if __name__ == "__main__":
    unittest.main()
