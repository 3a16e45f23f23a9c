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
echo "# An encapsulating node: netns sender adds IOAM to what it sends to netns receiver."
ip netns add sender
ip netns add receiver
trap 'ip netns del sender 2>/dev/null; ip netns del receiver 2>/dev/null' EXIT
ip link add s0 netns sender type veth peer name r0 netns receiver
ip -n sender addr add 2001:db8::1/64 dev s0 nodad
ip -n receiver addr add 2001:db8::2/64 dev r0 nodad
ip -n sender link set s0 up
ip -n receiver link set r0 up
run ip netns exec sender sysctl -w net.ipv6.ioam6_id=42 net.ipv6.conf.s0.ioam6_id=7
run ip netns exec sender "$ioamctl" namespace add 123 data 0xdeadbeef
run ip -n sender -6 route add 2001:db8::2/128 encap ioam6 trace prealloc type 0xc40000 ns 123 size 12 dev s0
run ip -n sender -6 route show 2001:db8::2/128
ip netns exec receiver tcpdump -Z root -q -c 1 -i r0 -w /tmp/ioam-demo.pcap "ip6 proto 0 and not dst net ff00::/8" 2>/dev/null &
sleep 1
run ip netns exec sender ping -6 -c 1 2001:db8::2
wait
echo "\$ tshark -V (the receiver's capture, IOAM part)"
tshark -r /tmp/ioam-demo.pcap -V 2>/dev/null | sed -n '/IOAM Option/,/^Internet Control/p' | grep -v '^Internet Control' || true
ip -n sender -6 route del 2001:db8::2/128
run rmmod ioam_rs
