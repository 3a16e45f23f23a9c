#!/usr/bin/env bash
# Runs inside the test kernel (scripts/demo.sh): load ioam_rs, register IOAM namespaces
# and a schema with ioamctl, and show them.
set -euo pipefail
cd "$(dirname "$0")/.."
ioamctl=target/release/ioamctl

run() {
	echo "\$ $*"
	"$@"
}

run insmod ioam_rs.ko
run modinfo -F version ioam_rs.ko
run "$ioamctl" namespace add 123 data 0xdeadbeef wide 0xcafec0caf00dc0de
run "$ioamctl" namespace add 1000
run "$ioamctl" schema add 777 "sometext"
run "$ioamctl" namespace set 123 schema 777
run "$ioamctl" namespace show
run "$ioamctl" schema show
run "$ioamctl" -j namespace show

echo
echo "# Three nodes: alpha encapsulates (a stock ip route ... encap ioam6), beta is a transit"
echo "# node, gamma the destination; each fills its data, and ioamctl monitor decodes the trace."
for ns in alpha beta gamma; do ip netns add $ns; ip -n $ns link set lo up; done
monitors=()
cleanup() {
	for pid in "${monitors[@]}"; do kill "$pid" 2>/dev/null; done
	for ns in alpha beta gamma; do ip netns del $ns 2>/dev/null; done
	rm -f /tmp/ioam-demo.*
}
trap cleanup EXIT
ip link add veth0 netns alpha type veth peer name veth0 netns beta
ip link add veth1 netns beta type veth peer name veth0 netns gamma
ip -n alpha addr add 2001:db8:1::1/64 dev veth0 nodad
ip -n beta addr add 2001:db8:1::2/64 dev veth0 nodad
ip -n beta addr add 2001:db8:2::1/64 dev veth1 nodad
ip -n gamma addr add 2001:db8:2::2/64 dev veth0 nodad
for l in alpha:veth0 beta:veth0 beta:veth1 gamma:veth0; do ip -n "${l%%:*}" link set "${l##*:}" up; done
ip -n alpha -6 route add default via 2001:db8:1::2
ip -n gamma -6 route add default via 2001:db8:2::1
ip netns exec beta sysctl -qw net.ipv6.conf.all.forwarding=1
id=1
for ns in alpha beta gamma; do
	run ip netns exec $ns sysctl -qw net.ipv6.ioam6_id=$id net.ipv6.conf.veth0.ioam6_id=$((id * 10))
	run ip netns exec $ns "$ioamctl" namespace add 123 data "$(printf 0x%x $((0xdead0000 + id)))"
	id=$((id + 1))
done
run ip netns exec beta sysctl -qw net.ipv6.conf.veth1.ioam6_id=21
# beta uses the kernel's own switch, gamma the module's.
run ip netns exec beta sysctl -qw net.ipv6.conf.veth0.ioam6_enabled=1
run ip netns exec gamma "$ioamctl" interface enable veth0
run ip netns exec gamma "$ioamctl" interface show
run ip -n alpha -6 route add 2001:db8:2::2/128 encap ioam6 trace prealloc type 0xf40000 ns 123 size 60 \
	via 2001:db8:1::2 dev veth0
run ip -n alpha -6 route show 2001:db8:2::2/128
ip netns exec beta stdbuf -oL "$ioamctl" monitor >/tmp/ioam-demo.beta 2>&1 &
monitors+=($!)
ip netns exec gamma stdbuf -oL "$ioamctl" -j monitor >/tmp/ioam-demo.gamma 2>&1 &
monitors+=($!)
sleep 1
run ip netns exec alpha ping -6 -c 2 -i 0.2 2001:db8:2::2
sleep 0.5
echo "\$ ip netns exec beta ioamctl monitor"
cat /tmp/ioam-demo.beta
echo "\$ ip netns exec gamma ioamctl -j monitor"
cat /tmp/ioam-demo.gamma
echo "# gamma's view, hop by hop (most recent node first, as on the wire):"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    print("trace ns %d type %s" % (ev["namespace"], ev["type"]))
    for n in reversed(ev["nodes"]):
        print("  node %d: hop limit %d, in %d, out %d, time %s, namespace data %#x" % (
            n["node_id"], n["hop_limit"], n["ingress_if"], n["egress_if"],
            n.get("timestamp", "-"), n["namespace_data"]))
' /tmp/ioam-demo.gamma
run ip netns exec beta "$ioamctl" stats
ip -n alpha -6 route del 2001:db8:2::2/128
cleanup
trap - EXIT
run rmmod ioam_rs
