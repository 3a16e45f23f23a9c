#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Control-plane fuzzer for the ioam_rs selftests: sends random generic-netlink messages to
the IOAM6_RS family and checks that each one gets its answer (an error, an ACK, a dump or,
where the netlink core sends none, nothing) without hanging.

  genl_fuzz.py [--count N] [--seed S] [--start K] [--expect-eperm] [--print] [--timeout SEC]
    --count N        messages 0..N-1 (default 5000)
    --seed S         the campaign's seed (default: a random one); printed first as "seed S".
                     Message K depends only on S and K.
    --start K        start at message K (replay one: --start K --count K+1)
    --expect-eperm   the caller lacks CAP_NET_ADMIN: every message that gets past the
                     generic netlink core's own checks must be refused with EPERM
    --print          print "K CLASS EXPECTED HEX" per message instead of sending (dry run;
                     the family id is --family-id, default 0x1e)
    --timeout SEC    how long to wait for an answer that must come (default 5)
    -v               print each message and its answer
    --family NAME    send to another family instead (to test the fuzzer itself on any
                     kernel): then only what the netlink core does for every family is
                     checked (no answer without NLM_F_REQUEST, ...) and that answers come
Messages are well-formed requests for every command, the same with one mutation (wrong
attribute size, NLA_F_NESTED, unknown or duplicate attribute, junk after the attributes,
other flags...), random ones (command 0..20, random flags among request, ack, echo, dump and
others, 0..6 attributes of type 0..20, some nested, payloads of 0..1100 bytes) and broken
headers (netlink length too long or too short, genetlink header cut, reserved field set,
bytes after the message).

What the kernel must answer is computed from the message bytes alone by model(), which
follows net/netlink/af_netlink.c:netlink_rcv_skb() and net/netlink/genetlink.c (the family
has .resv_start_op 0, so every command gets genl_header_check(), and no op has its own
policy or validate flags, so attributes are parsed with NL_VALIDATE_STRICT against the
family policy, for dumps too); ATTR_POLICY below mirrors the policy in src/ioam/control.rs.
Messages that pass these checks reach the family, whose callbacks (doit, dump start) check
CAP_NET_ADMIN first: as a user without it they must get EPERM.

Prints "seed S", then a summary: messages per expected outcome, answers per errno, and the
mismatches (message number, class, expected, got, bytes); exits 1 if any.
Library: gen_message(seed, k, family) -> (class, bytes); model(bytes) -> [(seq, outcome)].
"""
import argparse
import errno
import os
import random
import select
import signal
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genl  # noqa: E402  (reads uapi/src/genl.rs for the numbers)

U = genl.U
NLMSG_HDRLEN, GENL_HDRLEN = 16, 4
NLMSG_ERROR, NLMSG_DONE = genl.NLMSG_ERROR, genl.NLMSG_DONE
F_REQUEST, F_MULTI, F_ACK, F_ECHO = 0x1, 0x2, 0x4, 0x8
F_DUMP_INTR, F_DUMP_FILTERED = 0x10, 0x20
F_ROOT, F_MATCH, F_ATOMIC, F_APPEND = 0x100, 0x200, 0x400, 0x800
F_DUMP = F_ROOT | F_MATCH
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF

CMDS = {name: num for name, num in U["cmd"].items() if name != "max"}
# The family's ops (src/ioam/control.rs): the DUMP_* commands are dumps, the others requests.
DUMP_CMDS = {num for name, num in CMDS.items() if name.startswith("dump_")}
DO_CMDS = set(CMDS.values()) - DUMP_CMDS
MAXATTR = U["attr"]["max"]
# The family's attribute policy, as in src/ioam/control.rs (FAMILY.policy): NLA_* type by name.
ATTR_POLICY = {"ns_id": "u16", "ns_data": "u32", "ns_data_wide": "u64", "sc_id": "u32",
               "sc_data": "binary", "sc_none": "flag", "pad": "unspec", "ifindex": "u32",
               "if_enabled": "u8", "stats": "unspec", "event_rate": "u32", "event_burst": "u32",
               "loopback_rate": "u32", "loopback_burst": "u32", "ns_tsformat": "u8"}
POLICY = {U["attr"][n]: kind for n, kind in ATTR_POLICY.items() if n in U["attr"]}
FIXED_LEN = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}  # nla_attr_len[]: exact with STRICT_ATTRS
PACK = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}
ATTR = {n: U["attr"][n] for n in ATTR_POLICY if n in U["attr"]}


# --- What the kernel answers -----------------------------------------------------------------

def strict_parse(stream):
    """The error of __nla_validate_parse(..., NL_VALIDATE_STRICT) on the attribute stream
    with the family's policy (lib/nlattr.c): 0, an errno, or None when an attribute number
    is within maxattr but not in ATTR_POLICY (the model does not know it)."""
    rem, off = len(stream), 0
    while rem >= 4:  # nla_ok()
        nla_len, nla_type = struct.unpack_from("=HH", stream, off)
        if nla_len < 4 or nla_len > rem:
            break
        t = nla_type & NLA_TYPE_MASK
        if t == 0 or t > MAXATTR:
            return errno.EINVAL  # NL_VALIDATE_MAXTYPE: "Unknown attribute type"
        kind = POLICY.get(t)
        if kind is None:
            return None
        alen = nla_len - 4
        if kind in FIXED_LEN and alen != FIXED_LEN[kind]:
            return errno.EINVAL  # NL_VALIDATE_STRICT_ATTRS: "invalid attribute length"
        if kind != "unspec" and nla_type & NLA_F_NESTED:
            return errno.EINVAL  # NL_VALIDATE_NESTED: "NLA_F_NESTED not expected"
        if kind == "unspec":
            return errno.EINVAL  # NL_VALIDATE_UNSPEC: "Unsupported attribute"
        if kind == "flag" and alen > 0:
            return errno.ERANGE  # NLA_FLAG with a payload: out_err with err = -ERANGE
        step = (nla_len + 3) & ~3  # nla_next(): rem may go negative
        off += step
        rem -= step
    if rem > 0:
        return errno.EINVAL  # NL_VALIDATE_TRAILING: "bytes leftover after parsing attributes"
    return 0


def core_outcome(msg):
    """What the kernel answers to one netlink message addressed to the family:
    ("none",) nothing, ("ack",) an ACK with error 0, ("error", E) an error from the core,
    ("family", "do"|"dump", acked) the message reaches the family's callbacks, or
    ("uncertain",)."""
    _ln, _typ, flags, _seq, _pid = struct.unpack_from("=IHHII", msg)
    # netlink_rcv_skb(): only requests are handled; others are acked if asked to.
    if not flags & F_REQUEST:
        return ("ack",) if flags & F_ACK else ("none",)
    # genl_family_rcv_msg(): nlmsg_len < nlmsg_msg_size(GENL_HDRLEN + hdrsize) -> -EINVAL
    if len(msg) < NLMSG_HDRLEN + GENL_HDRLEN:
        return ("error", errno.EINVAL)
    cmd, _version, reserved = struct.unpack_from("=BBH", msg, NLMSG_HDRLEN)
    # genl_header_check() (cmd >= resv_start_op, which is 0): reserved must be 0, and only
    # REQUEST, ACK, ECHO and the whole of DUMP may be set.
    if reserved:
        return ("error", errno.EINVAL)
    f = flags & ~F_DUMP if flags & F_DUMP == F_DUMP else flags
    if f & ~(F_REQUEST | F_ACK | F_ECHO):
        return ("error", errno.EINVAL)
    dump = flags & F_DUMP == F_DUMP
    # genl_get_cmd() finds no doit (or no dumpit) for the command -> -EOPNOTSUPP
    if cmd not in (DUMP_CMDS if dump else DO_CMDS):
        return ("error", errno.EOPNOTSUPP)
    # No GENL_ADMIN_PERM in op.flags: the core checks no capability. Then the attributes,
    # strictly, in genl_family_rcv_msg_doit() or genl_start(), before the family is called.
    err = strict_parse(msg[NLMSG_HDRLEN + GENL_HDRLEN:])
    if err is None:
        return ("uncertain",)
    if err:
        return ("error", err)
    return ("family", "dump" if dump else "do", bool(flags & F_ACK))


def model(data):
    """[(seq, outcome)] for each netlink message netlink_rcv_skb() takes from datagram data."""
    out, off = [], 0
    while len(data) - off >= NLMSG_HDRLEN:
        ln, _typ, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
        if ln < NLMSG_HDRLEN or ln > len(data) - off:
            break  # the rest of the datagram is ignored
        out.append((seq, core_outcome(data[off:off + ln])))
        off += min((ln + 3) & ~3, len(data) - off)
    return out


def errname(e):
    return "EOPNOTSUPP" if e == errno.EOPNOTSUPP else errno.errorcode.get(e, str(e))


def label(outcome):
    if outcome[0] == "error":
        return errname(outcome[1])
    if outcome[0] == "family":
        return "family-%s%s" % (outcome[1], "+ack" if outcome[2] else "")
    return outcome[0]


# --- Messages ---------------------------------------------------------------------------------

def nlmsg(family, flags, seq, cmd, attrs=b"", version=1, reserved=0, pid=0, ln=None):
    body = struct.pack("=BBH", cmd & 0xFF, version & 0xFF, reserved & 0xFFFF) + attrs
    if ln is None:
        ln = NLMSG_HDRLEN + len(body)
    return struct.pack("=IHHII", ln, family, flags & 0xFFFF, seq, pid) + body


def enc(attrs):
    """Encodes [(type, payload)]: header, payload, padding to 4 (genl.attr)."""
    return b"".join(genl.attr(t, p) for t, p in attrs)


def rand_payload(rng):
    n = rng.choice((0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16)) if rng.random() < 0.6 else rng.randint(0, 1100)
    r = rng.random()
    if r < 0.2:
        return bytes(n)
    if r < 0.3:
        return b"\xff" * n
    return rng.randbytes(n)


def rand_attr(rng, depth=0):
    t = rng.randint(0, 20)
    if depth < 2 and rng.random() < 0.1:
        inner = [rand_attr(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        t, payload = t | NLA_F_NESTED, enc(inner)
    else:
        payload = rand_payload(rng)
    if rng.random() < 0.05:
        t |= NLA_F_NET_BYTEORDER
    return t, payload


def rand_flags(rng):
    f = F_REQUEST if rng.random() < 0.9 else 0
    if rng.random() < 0.6:
        f |= F_ACK
    r = rng.random()
    if r < 0.3:
        f |= F_DUMP
    elif r < 0.35:
        f |= rng.choice((F_ROOT, F_MATCH))
    if rng.random() < 0.1:
        f |= F_ECHO
    if rng.random() < 0.05:
        f |= rng.choice((F_MULTI, F_DUMP_INTR, F_DUMP_FILTERED, F_ATOMIC, F_APPEND, 0x1000, 0x8000))
    return f


def value(rng, name, kind):
    if kind == "flag":
        return b""
    if kind == "binary":
        n = rng.randint(0, 64) if rng.random() < 0.8 else rng.randint(0, 1100)
        return rng.randbytes(n)
    bits = FIXED_LEN[kind] * 8
    small = {"ns_id": 63, "sc_id": 63, "ifindex": 5, "if_enabled": 2, "event_rate": 2000,
             "event_burst": 2000, "loopback_rate": 2000, "loopback_burst": 2000,
             "ns_tsformat": 3}.get(name)
    if small is not None and rng.random() < 0.85:
        v = rng.randint(0 if name != "ifindex" else 1, small)
    elif name == "sc_id" and rng.random() < 0.5:
        v = rng.choice((0xFFFFFE, 0xFFFFFF, 0x1000000, 0xFFFFFFFF))
    else:
        v = rng.getrandbits(bits)
    return struct.pack(PACK[kind], v)


# The attributes of a well-formed request, per command (names from uapi/src/genl.rs).
def valid_attrs(rng, cmd_name):
    pick = []
    if cmd_name == "add_namespace":
        pick = ["ns_id"] + [a for a in ("ns_data", "ns_data_wide", "ns_tsformat")
                            if rng.random() < 0.5]
    elif cmd_name in ("del_namespace",):
        pick = ["ns_id"]
    elif cmd_name == "add_schema":
        pick = ["sc_id", "sc_data"]
    elif cmd_name == "del_schema":
        pick = ["sc_id"]
    elif cmd_name == "ns_set_schema":
        pick = ["ns_id"] + rng.choice((["sc_id"], ["sc_none"], ["sc_id", "sc_none"]))
    elif cmd_name == "set_interface":
        pick = ["ifindex", "if_enabled"]
    elif cmd_name == "set_event_limit":
        pick = ["event_rate", "event_burst"]
    elif cmd_name == "set_loopback_limit":
        pick = ["loopback_rate", "loopback_burst"]
    if pick and rng.random() < 0.1:  # one missing: the family's own "missing ..." errors
        pick.pop(rng.randrange(len(pick)))
    return [(ATTR[n], value(rng, n, ATTR_POLICY[n])) for n in pick if n in ATTR]


def well_formed(rng):
    name = rng.choice(sorted(CMDS))
    num = CMDS[name]
    if num in DUMP_CMDS:
        flags = F_REQUEST | F_DUMP | (F_ACK if rng.random() < 0.3 else 0)
    else:
        flags = F_REQUEST | (F_ACK if rng.random() < 0.85 else 0)
    return num, flags, valid_attrs(rng, name)


MUTATIONS = ("size", "nested", "byteorder", "unknown", "unspec", "dup", "flags", "cmd", "junk",
             "version", "zero_type")


def mutate(rng, cmd, flags, attrs):
    """One mutation of a well-formed request: (cmd, flags, attrs, tail bytes, version, name)."""
    kind = rng.choice(MUTATIONS)
    attrs, tail, version = list(attrs), b"", 1
    i = rng.randrange(len(attrs)) if attrs else None
    if kind == "size" and attrs:
        t, p = attrs[i]
        p = p[:-1] if p and rng.random() < 0.5 else p + rng.randbytes(rng.choice((1, 2, 4, 8)))
        attrs[i] = (t, p)
    elif kind == "nested" and attrs:
        attrs[i] = (attrs[i][0] | NLA_F_NESTED, attrs[i][1])
    elif kind == "byteorder" and attrs:
        attrs[i] = (attrs[i][0] | NLA_F_NET_BYTEORDER, attrs[i][1])
    elif kind == "unknown":
        attrs.insert(rng.randint(0, len(attrs)), (rng.randint(MAXATTR + 1, 20), rand_payload(rng)))
    elif kind == "zero_type":
        attrs.insert(rng.randint(0, len(attrs)), (0, rand_payload(rng)))
    elif kind == "unspec":
        n = rng.choice([n for n, k in ATTR_POLICY.items() if k == "unspec" and n in ATTR] or ["pad"])
        attrs.insert(rng.randint(0, len(attrs)), (ATTR.get(n, 7), rand_payload(rng)))
    elif kind == "dup" and attrs:
        attrs.insert(rng.randint(0, len(attrs)), attrs[i])
    elif kind == "flags":
        flags = rand_flags(rng)
    elif kind == "cmd":
        cmd = rng.randint(0, 20)
    elif kind == "junk":
        tail = rng.randbytes(rng.randint(1, 3))
    elif kind == "version":
        version = rng.getrandbits(8)
    return cmd, flags, attrs, tail, version, kind


def gen_message(seed, k, family):
    """(class, datagram) of message k of the campaign for seed; its sequence number is k+1."""
    rng = random.Random(seed * 1000003 + k)
    seq = (k + 1) & 0xFFFFFFFF
    r = rng.random()
    if r < 0.35:
        cmd, flags, attrs = well_formed(rng)
        return "valid", nlmsg(family, flags, seq, cmd, enc(attrs))
    if r < 0.55:
        cmd, flags, attrs = well_formed(rng)
        cmd, flags, attrs, tail, version, kind = mutate(rng, cmd, flags, attrs)
        return "mutated:" + kind, nlmsg(family, flags, seq, cmd, enc(attrs) + tail, version=version)
    if r < 0.85:
        attrs = [rand_attr(rng) for _ in range(rng.randint(0, 6))]
        pid = rng.getrandbits(32) if rng.random() < 0.05 else 0
        return "random", nlmsg(family, rand_flags(rng), seq, rng.randint(0, 20), enc(attrs),
                               version=rng.getrandbits(8), pid=pid)
    if r < 0.93:
        return malformed_attrs(rng, family, seq)
    return bad_header(rng, family, seq)


def malformed_attrs(rng, family, seq):
    """A request whose attribute stream breaks nla_ok() somewhere: a length below 4, one past
    the end of the message, or 1-3 stray bytes at the end."""
    cmd, flags, attrs = well_formed(rng)
    if rng.random() < 0.3:
        flags = rand_flags(rng)
    good = enc(attrs[:rng.randint(0, len(attrs))])
    how = rng.choice(("short_len", "long_len", "stray"))
    if how == "short_len":
        bad = struct.pack("=HH", rng.randint(0, 3), rng.randint(0, 20)) + rng.randbytes(rng.randint(0, 8))
    elif how == "long_len":
        payload = rng.randbytes(rng.randint(0, 16))
        bad = struct.pack("=HH", 4 + len(payload) + rng.randint(1, 64), rng.randint(1, MAXATTR)) + payload
    else:
        bad = rng.randbytes(rng.randint(1, 3))
    return "malformed-attrs:" + how, nlmsg(family, flags, seq, cmd, good + bad)


def bad_header(rng, family, seq):
    cmd, flags, attrs = well_formed(rng)
    msg = nlmsg(family, flags, seq, cmd, enc(attrs))
    how = rng.choice(("len_long", "len_below_16", "tiny", "genl_short", "reserved", "tail",
                      "len_cut"))
    if how == "len_long":  # nlmsg_len beyond the datagram: ignored, no answer
        return how, struct.pack("=I", len(msg) + rng.randint(1, 64)) + msg[4:]
    if how == "len_below_16":  # nlmsg_len < NLMSG_HDRLEN: ignored, no answer
        return how, struct.pack("=I", rng.randint(0, 15)) + msg[4:]
    if how == "tiny":  # shorter than a netlink header: ignored, no answer
        return how, rng.randbytes(rng.randint(1, 15))
    if how == "genl_short":  # the genetlink header cut: EINVAL
        n = rng.randint(0, 3)
        return how, struct.pack("=IHHII", NLMSG_HDRLEN + n, family, flags, seq, 0) + rng.randbytes(n)
    if how == "reserved":
        return how, nlmsg(family, flags, seq, cmd, enc(attrs), reserved=rng.randint(1, 0xFFFF))
    if how == "tail":  # bytes after the (aligned) message, too few for another header
        return how, msg + bytes(-len(msg) % 4) + rng.randbytes(rng.randint(1, 11))
    # nlmsg_len cuts into the attributes; what follows is too short for another message
    ln = rng.randint(max(NLMSG_HDRLEN + GENL_HDRLEN, len(msg) - 12), len(msg))
    return how, struct.pack("=I", ln) + msg[4:]


# --- Sending ----------------------------------------------------------------------------------

class Hang(Exception):
    pass


def on_alarm(_signum, _frame):
    raise Hang()


def parse(data):
    """[(type, flags, seq, payload)] of the netlink messages in a datagram."""
    out = []
    while len(data) >= NLMSG_HDRLEN:
        ln, typ, flags, seq, _pid = struct.unpack_from("=IHHII", data)
        if ln < NLMSG_HDRLEN:
            break
        out.append((typ, flags, seq, data[NLMSG_HDRLEN:ln]))
        data = data[(ln + 3) & ~3:]
    return out


def exchange(sock, datagram, seq, silent_ok, timeout):
    """Sends datagram and reads the answer with sequence number seq: ("none",) when nothing
    came and silent_ok, ("ack",), ("error", E), ("dump", messages, done_errno) for data
    messages ended by NLMSG_DONE, ("data+error", messages, E) for data messages ended by an
    error, ("timeout", what), ("send-error", E) or ("recv-error", E). Replies with another
    sequence number are returned as strays."""
    strays, data_msgs = [], 0
    signal.setitimer(signal.ITIMER_REAL, timeout * 2)
    try:
        sock.send(datagram)
    except Hang:
        return ("timeout", "send did not return"), strays
    except OSError as e:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return ("send-error", e.errno), strays
    signal.setitimer(signal.ITIMER_REAL, 0)
    first = True
    while True:
        # The kernel handles the message in send() and queues any answer before it returns
        # (netlink_unicast_kernel() runs genl_rcv() in the sender's context), so "nothing
        # readable right after send()" means "no answer".
        wait = 0 if first and silent_ok else timeout
        first = False
        ready, _, _ = select.select([sock], [], [], wait)
        if not ready:
            if wait == 0:
                return ("none",), strays
            return ("timeout", "no answer in %g s" % timeout), strays
        try:
            data = sock.recv(1 << 17)
        except OSError as e:
            return ("recv-error", e.errno), strays
        for typ, _flags, rseq, payload in parse(data):
            if rseq != seq:
                strays.append((rseq, typ))
                continue
            if typ == NLMSG_ERROR:
                err = -struct.unpack_from("=i", payload)[0] if len(payload) >= 4 else -1
                if data_msgs:
                    return ("data+error", data_msgs, err), strays
                return (("ack",) if err == 0 else ("error", err)), strays
            if typ == NLMSG_DONE:
                err = -struct.unpack_from("=i", payload)[0] if len(payload) >= 4 else 0
                return ("dump", data_msgs, err), strays
            data_msgs += 1


def judge(expected, got, eperm, foreign=False):
    """Whether answer got is allowed for expected outcome (a model() outcome). For a foreign
    family only the outcomes of netlink_rcv_skb() itself are known."""
    kind = expected[0]
    if got[0] in ("timeout", "recv-error", "send-error"):
        return False
    if kind == "uncertain" or (foreign and kind not in ("none", "ack")):
        return True
    if kind == "none":
        return got == ("none",)
    if kind == "ack":
        return got == ("ack",)
    if kind == "error":
        return got == expected
    # Reaches the family: the callbacks check CAP_NET_ADMIN before anything else.
    if eperm:
        return got == ("error", errno.EPERM)
    _, op, acked = expected
    if op == "dump":
        return got[0] == "dump"
    if got[0] == "error":
        return True
    return got == (("ack",) if acked else ("none",))


def got_label(got):
    if got[0] == "error":
        return errname(got[1])
    if got[0] == "dump":
        return "dump" if not got[2] else "dump-done-%s" % errname(got[2])
    return got[0]


def tally_add(d, key):
    d[key] = d.get(key, 0) + 1


def fmt(d):
    return " ".join("%s=%d" % kv for kv in sorted(d.items())) or "-"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--expect-eperm", action="store_true")
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--family-id", type=lambda v: int(v, 0), default=0x1E)
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--family")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print("seed %d" % seed, flush=True)
    expected_tally, got_tally, class_tally = {}, {}, {}
    ks = range(args.start, args.count)

    if args.print:
        for k in ks:
            cls, dgram = gen_message(seed, k, args.family_id)
            outs = model(dgram)
            exp = "+".join(label(o) for _s, o in outs) or "none"
            tally_add(expected_tally, exp)
            print("%d %s %s %s" % (k, cls, exp, dgram.hex()))
        print("expected: %s" % fmt(expected_tally))
        return 0

    g = genl.Genl()
    try:
        family, _groups = g.family(args.family or U["FAMILY_NAME"])
    except OSError as e:
        print("family %s not found (error %d): is ioam_rs loaded?" % (args.family or U["FAMILY_NAME"], e.errno))
        return 1
    sock = g.sock
    signal.signal(signal.SIGALRM, on_alarm)
    failures, stray_total = [], 0
    for k in ks:
        cls, dgram = gen_message(seed, k, family)
        tally_add(class_tally, cls.split(":")[0])
        outs = model(dgram)
        if len(outs) > 1:  # not generated; the answers could not be told apart
            outs = [(outs[0][0], ("uncertain",))]
        seq = struct.unpack_from("=I", dgram, 8)[0] if len(dgram) >= NLMSG_HDRLEN else 0
        expected = outs[0][1] if outs else ("none",)
        silent_ok = expected[0] in ("none", "uncertain") or (
            expected[0] == "family" and expected[1] == "do" and not expected[2] and not args.expect_eperm) or (
            args.family is not None and expected[0] != "ack")
        got, strays = exchange(sock, dgram, seq, silent_ok, args.timeout)
        tally_add(expected_tally, label(expected))
        tally_add(got_tally, got_label(got))
        ok = judge(expected, got, args.expect_eperm, args.family is not None)
        if strays:
            stray_total += len(strays)
            ok = False
        if args.v or not ok:
            line = "%d %s expected %s got %s%s %s" % (
                k, cls, label(expected), got_label(got),
                " strays %s" % strays if strays else "", dgram.hex()[:400])
            if args.v:
                print(line)
            if not ok:
                failures.append(line)
        if got[0] == "timeout":
            print("message %d: %s; stopping (replay: --seed %d --start %d --count %d)" % (
                k, got[1], seed, k, k + 1))
            break
    # Anything left over is an answer nobody asked for.
    while select.select([sock], [], [], 0.2)[0]:
        for typ, _f, rseq, _p in parse(sock.recv(1 << 17)):
            stray_total += 1
            failures.append("stray answer after the last message: type %d seq %d" % (typ, rseq))
    print("messages %d (%s): %s" % (len(ks), "as a user without CAP_NET_ADMIN" if args.expect_eperm
                                    else "with CAP_NET_ADMIN", fmt(class_tally)))
    print("expected: %s" % fmt(expected_tally))
    print("answers: %s" % fmt(got_tally))
    print("mismatches %d, stray answers %d" % (len(failures), stray_total))
    for line in failures[:20]:
        print("  " + line)
    if failures:
        print("replay one: genl_fuzz.py --seed %d --start K --count K+1 -v%s" % (
            seed, " --expect-eperm" if args.expect_eperm else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
