#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A listener that reads and drops the messages of one of ioam_rs.ko's multicast groups, for
scripts/bench-guest.sh: what the module's events cost with the least work in user space.

  bench-sink.py GROUP     GROUP: ioam6_events (one message per event) or ioam6_export (batches)

Prints "ready" once it has joined; on SIGTERM, "messages N bytes B overruns O" (O: ENOBUFS,
messages the kernel could not deliver) and exits.
"""
import errno
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "selftests"))
import genl  # noqa: E402  (selftests/genl.py: the family and its groups, from uapi/)

SO_RCVBUFFORCE = 33


def main(group):
    g = genl.Genl()
    _, groups = g.family(genl.U["FAMILY_NAME"])
    g.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    g.sock.setsockopt(genl.SOL_NETLINK, genl.NETLINK_ADD_MEMBERSHIP, groups[group])
    messages = size = overruns = 0

    def stop(*_):
        # Raised out of the blocking read (Python retries reads a handler returns from).
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    buf = bytearray(1 << 16)
    try:
        while True:
            try:
                n = g.sock.recv_into(buf)
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                overruns += 1
                continue
            messages += 1
            size += n
    except KeyboardInterrupt:
        pass
    print("messages %d bytes %d overruns %d" % (messages, size, overruns), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
