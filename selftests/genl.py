#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic-netlink client for the ioam_rs selftests.

It sends exactly the attributes it is given (no client-side checks), so the tests reach
the module's own validation. Family, command and attribute numbers come from
uapi/src/genl.rs, parsed at run time: no number is copied here.

  genl.py do CMD [ATTR ...]      print "ok", or "error ERRNO: EXTACK"; exit 0 / 1
  genl.py dump CMD               print one line of ATTR=VALUE per message (and the number
                                 of datagrams read on stderr); exit 0 / 1
  genl.py join GROUP             join a multicast group; print "ok" or "error ERRNO"
  genl.py batch                  run "do CMD [ATTR ...]" lines from stdin on one socket;
                                 print one result line each; exit 1 if any failed
ATTR is KIND:NAME:VALUE, KIND one of u8 u16 u32 u64 flag hex str; NAME an attr:: name
(ns_id, sc_data, ...) or a number.
"""
import errno
import os
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NETLINK_EXT_ACK = 270, 1, 11

UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "uapi", "src", "genl.rs")


def load_uapi():
    """Constants of uapi/src/genl.rs: {'FAMILY_NAME': 'IOAM6_RS', 'cmd': {...}, 'attr': {...}}."""
    text = open(UAPI).read()
    out = {"cmd": {}, "attr": {}}
    for m in re.finditer(r'pub const (\w+): &CStr = c"([^"]*)"', text):
        out[m.group(1)] = m.group(2)
    for mod in ("cmd", "attr"):
        body = re.search(r"pub mod %s \{(.*?)\n\}" % mod, text, re.S).group(1)
        for m in re.finditer(r"pub const (\w+): u\d+ = (\w+);", body):
            name, val = m.group(1), m.group(2)
            out[mod][name.lower()] = int(val) if val.isdigit() else out[mod][val.lower()]
    return out


U = load_uapi()


def attr(kind, payload):
    hdr = struct.pack("=HH", 4 + len(payload), kind)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def parse_attrs(data):
    out = []
    while len(data) >= 4:
        ln, kind = struct.unpack_from("=HH", data)
        if ln < 4:
            break
        out.append((kind & 0x3FFF, data[4:ln]))
        data = data[(ln + 3) & ~3:]
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1

    def send(self, family, flags, cmd, attrs):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + b"".join(attrs)
        self.sock.send(struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0) + body)

    def replies(self):
        """Yield (type, payload) until the final ACK/error/DONE; raise OSError with extack."""
        self.datagrams = 0
        while True:
            data = self.sock.recv(1 << 16)
            self.datagrams += 1
            while len(data) >= 16:
                ln, typ, flags, _seq, _pid = struct.unpack_from("=IHHII", data)
                msg, data = data[16:ln], data[(ln + 3) & ~3:]
                if typ == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    text = ""
                    if flags & NLM_F_ACK_TLVS:
                        inner_len = struct.unpack_from("=I", msg, 4)[0]
                        # The echoed request is whole unless the kernel capped it to its header.
                        echoed = 16 if flags & NLM_F_CAPPED else inner_len
                        for kind, val in parse_attrs(msg[4 + echoed:]):
                            if kind == NLMSGERR_ATTR_MSG:
                                text = val.rstrip(b"\0").decode()
                    if err:
                        raise OSError(err, text)
                    return
                if typ == NLMSG_DONE:
                    return
                yield typ, msg

    def family(self, name):
        self.send(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY,
                  [attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")])
        fam, groups = None, {}
        for _typ, msg in self.replies():
            for kind, val in parse_attrs(msg[4:]):
                if kind == CTRL_ATTR_FAMILY_ID:
                    fam = struct.unpack("=H", val)[0]
                elif kind == CTRL_ATTR_MCAST_GROUPS:
                    for _i, grp in parse_attrs(val):
                        g = dict(parse_attrs(grp))
                        groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = struct.unpack(
                            "=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        return fam, groups


def encode(spec):
    kind, name, *rest = spec.split(":", 2)
    value = rest[0] if rest else ""
    num = int(name) if name.isdigit() else U["attr"][name]
    if kind == "flag":
        return attr(num, b"")
    if kind == "hex":
        return attr(num, bytes.fromhex(value))
    if kind == "str":
        return attr(num, value.encode())
    fmt = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}[kind]
    return attr(num, struct.pack(fmt, int(value, 0)))


def main(argv):
    """See the module docstring."""
    g = Genl()
    try:
        fam, groups = g.family(U["FAMILY_NAME"])
    except OSError as e:
        print("error %d: family %s not found" % (e.errno, U["FAMILY_NAME"]))
        return 1
    if argv[0] == "batch":
        failed = 0
        for line in sys.stdin:
            words = line.split()
            if words:
                failed |= run(g, fam, groups, words)
        return failed
    return run(g, fam, groups, argv)


def run(g, fam, groups, argv):
    op, arg, rest = argv[0], argv[1], argv[2:]
    try:
        if op == "join":
            g.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups[arg])
            print("ok")
            return 0
        cmd = int(arg) if arg.isdigit() else U["cmd"][arg]
        if op == "do":
            g.send(fam, NLM_F_REQUEST | NLM_F_ACK, cmd, [encode(a) for a in rest])
            list(g.replies())
            print("ok")
        elif op == "dump":
            g.send(fam, NLM_F_REQUEST | NLM_F_DUMP, cmd, [encode(a) for a in rest])
            names = {v: k for k, v in U["attr"].items()}
            for _typ, msg in g.replies():
                print(" ".join("%s=%s" % (names.get(k, k), v.hex()) for k, v in parse_attrs(msg[4:])))
            print("# datagrams: %d" % g.datagrams, file=sys.stderr)
        return 0
    except OSError as e:
        print("error %s: %s" % (errno.errorcode.get(e.errno, e.errno), e.strerror or os.strerror(e.errno)))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
