#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Adds an IPv6 route with an ioam6 encapsulation built attribute by attribute, without
iproute2's checks, so the tests reach the module's own validation of every attribute.

  rtnl.py [--via GATEWAY] IFNAME PREFIX/LEN [ATTR ...]
ATTR is KIND:NUM:VALUE with KIND u8, u32, hex or addr (an IPv6 address), NUM the attribute
number (uapi/src/route.rs: 1 mode, 2 dst, 3 trace, 4 freq_k, 5 freq_n, 6 src, 16 incremental
trace).
Prints "ok" or "error ERRNO: EXTACK"; exits 0 or 1.
"""
import errno
import os
import socket
import struct
import sys

import genl  # noqa: E402  (reads uapi/src/genl.rs; its attribute helpers serve here too)

RTM_NEWROUTE = 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL = 1, 4, 0x400, 0x200
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_ENCAP_TYPE, RTA_ENCAP = 1, 4, 5, 21, 22
NLA_F_NESTED = 0x8000
LWTUNNEL_ENCAP_IOAM6 = 9
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11


# One netlink attribute encoder and parser for the selftests' clients: genl.py's.
attr, parse_attrs = genl.attr, genl.parse_attrs


def encode(spec):
    kind, num, value = spec.split(":", 2)
    num = int(num)
    if kind == "u8":
        return attr(num, struct.pack("=B", int(value, 0)))
    if kind == "u32":
        return attr(num, struct.pack("=I", int(value, 0)))
    if kind == "hex":
        return attr(num, bytes.fromhex(value))
    if kind == "addr":
        return attr(num, socket.inet_pton(socket.AF_INET6, value))
    raise SystemExit("unknown attribute kind " + kind)


def main(argv):
    gateway = None
    if argv[:1] == ["--via"]:
        gateway, argv = argv[1], argv[2:]
    ifname, prefix, specs = argv[0], argv[1], argv[2:]
    addr, plen = prefix.split("/")
    body = struct.pack("=BBBBBBBBI", socket.AF_INET6, int(plen), 0, 0, 254, 3, 0, 1, 0)
    body += attr(RTA_DST, socket.inet_pton(socket.AF_INET6, addr))
    body += attr(RTA_OIF, struct.pack("=i", socket.if_nametoindex(ifname)))
    if gateway:
        body += attr(RTA_GATEWAY, socket.inet_pton(socket.AF_INET6, gateway))
    body += attr(RTA_ENCAP_TYPE, struct.pack("=H", LWTUNNEL_ENCAP_IOAM6))
    body += attr(RTA_ENCAP | NLA_F_NESTED, b"".join(encode(s) for s in specs))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    s.send(struct.pack("=IHHII", 16 + len(body), RTM_NEWROUTE, flags, 1, 0) + body)
    data = s.recv(65536)
    _ln, typ, fl, _seq, _pid = struct.unpack_from("=IHHII", data)
    err = -struct.unpack_from("=i", data, 16)[0]
    if err == 0:
        print("ok")
        return 0
    text = ""
    if fl & NLM_F_ACK_TLVS:
        echoed = 16 if fl & NLM_F_CAPPED else struct.unpack_from("=I", data, 20)[0]
        for kind, payload in parse_attrs(data[20 + echoed:]):
            if kind == 1:  # NLMSGERR_ATTR_MSG
                text = payload.rstrip(b"\0").decode()
    print("error %s: %s" % (errno.errorcode.get(err, err), text or os.strerror(err)))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
