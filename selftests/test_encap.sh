# SPDX-License-Identifier: GPL-2.0
# Encapsulating node: `ip -6 route ... encap ioam6` served by ioam_rs.ko.
# Topology: A (encapsulating node) -- B (router) -- C (receiver, checks every byte).
# Sourced by selftests/run.sh.
# shellcheck shell=bash

CHECK=(python3 "$SELFTEST_DIR/ioam_check.py")
RTNL=(python3 "$SELFTEST_DIR/rtnl.py")
A_ID=0xa1 A_ID_WIDE=0xa1a1a1a1a1 A_IF_ID=0xa0 A_IF_ID_WIDE=0xa0a0a0a0
NS_DATA=0xdeadbeef NS_WIDE=0xcafec0caf00dc0de
DST=2001:db8:2::1

encap_topology() {
	fresh_module
	setup_ns A B C
	ip link add a0 netns "$A" type veth peer name b0 netns "$B"
	ip link add b1 netns "$B" type veth peer name c0 netns "$C"
	ip -n "$A" addr add 2001:db8:1::1/64 dev a0 nodad
	ip -n "$B" addr add 2001:db8:1::2/64 dev b0 nodad
	ip -n "$B" addr add 2001:db8:2::2/64 dev b1 nodad
	ip -n "$C" addr add 2001:db8:2::1/64 dev c0 nodad
	local ns
	for ns in "$A:a0" "$B:b0" "$B:b1" "$C:c0"; do ip -n "${ns%%:*}" link set "${ns##*:}" up; done
	ip netns exec "$B" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$C" addr add 2001:db8:2::5/64 dev c0 nodad
	ip -n "$C" -6 route add default via 2001:db8:2::2
	ip netns exec "$A" sysctl -qw net.ipv6.ioam6_id=$A_ID net.ipv6.ioam6_id_wide=$A_ID_WIDE \
		net.ipv6.conf.a0.ioam6_id=$A_IF_ID net.ipv6.conf.a0.ioam6_id_wide=$A_IF_ID_WIDE
	ip netns exec "$A" "$IOAMCTL" namespace add 123 data $NS_DATA wide $NS_WIDE
	# Decapsulate at C, so that encap-mode traffic gets answered.
	ip -n "$C" link add tun0 type ip6tnl mode ip6ip6 local $DST remote any
	ip -n "$C" link set tun0 up
	# One receiver process for the whole test: starting Python per check is slow under TCG.
	coproc CHECKER { ip netns exec "$C" "${CHECK[@]}" c0 0 --serve 2>&1; }
	local line
	checker_ready
}

# encap_route ARGS...: (re)place A's route to C's prefix with an ioam6 encap.
encap_route() {
	# iproute2 wants the encapsulation right after the prefix.
	ip -n "$A" -6 route replace 2001:db8:2::/64 encap ioam6 "$@" via 2001:db8:1::2 dev a0 ||
		fail "ip route replace ... encap ioam6 $*"
}

# A's own node data for a locally generated packet.
A_NODE="hop=64,id=$A_ID,idw=$A_ID_WIDE,in=0xffff,out=$A_IF_ID,inw=0xffffffff,outw=$A_IF_ID_WIDE,ts=unavail,nsd=$NS_DATA,nsdw=$NS_WIDE,qd=0"

# expect_trace COUNT CHECK-ARGS...: ping C COUNT times from A; C must see COUNT packets that match.
# PING_TO: another of C's addresses to ping than $DST (C has 2001:db8:2::5 too).
expect_trace() {
	local count=$1 line
	shift
	echo "$count $*" >&"${CHECKER[1]}"
	checker_ready
	ip netns exec "$A" ping -6 -q -c "$count" -i 0.05 -W 1 "${PING_TO:-$DST}" >/dev/null 2>&1
	read -r -t "$(wait_s 30)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	[[ "$line" == ok* ]] || fail "$* : $line"
}

# The mode arguments and the receiver's view of them.
MODES=(inline encap tunsrc)
mode_route_args() {
	case $1 in
	inline) echo "mode inline" ;;
	encap) echo "mode encap tundst $DST" ;;
	tunsrc) echo "mode encap tunsrc 2001:db8:1::99 tundst $DST" ;;
	esac
}
mode_check_args() {
	case $1 in
	inline) echo "--mode inline" ;;
	encap) echo "--mode encap --outer-src 2001:db8:1::1 --outer-dst $DST" ;;
	tunsrc) echo "--mode encap --outer-src 2001:db8:1::99 --outer-dst $DST" ;;
	esac
}

# trace_case MODE TYPE NS SIZE [CHECK-ARGS...]: route A's traffic to C with this trace in MODE,
# ping once, and have C check the packet.
trace_case() {
	local mode=$1 type=$2 ns=$3 size=$4
	shift 4
	# shellcheck disable=SC2046
	encap_route $(mode_route_args "$mode") trace prealloc type "$type" ns "$ns" size "$size"
	# shellcheck disable=SC2046
	expect_trace 1 $(mode_check_args "$mode") --ns "$ns" --type "$type" --size "$size" "$@"
}

# trace_cases MODE NS CASE...: each CASE (TYPE:SIZE) at once in MODE, one packet each, from A
# to addresses of C's (check_cases); the tunnels' destination, C, is reached by a plain route.
trace_cases() {
	local mode=$1 ns=$2
	shift 2
	ip -n "$A" -6 route replace 2001:db8:2::/64 via 2001:db8:1::2 dev a0 || fail "A's route to C"
	check_cases "$A" "$C" c0 2001:db8:2 \
		"encap ioam6 $(mode_route_args "$mode") trace prealloc type %s ns $ns size %s via 2001:db8:1::2 dev a0" \
		"$(mode_check_args "$mode") --ns $ns --node $A_NODE" "$@"
}

test_route_show_roundtrip() {
	encap_topology
	local r
	encap_route trace prealloc type 0x800000 ns 123 size 4
	r=$(ip -n "$A" -6 route show 2001:db8:2::/64)
	[[ "$r" == *"encap ioam6 freq 1/1 mode inline trace prealloc type 0x800000 ns 123 size 4 "* ]] || fail "show: $r"
	encap_route freq 3/7 mode encap tundst $DST trace prealloc type 0xfff002 ns 7 size 244
	r=$(ip -n "$A" -6 route show 2001:db8:2::/64)
	[[ "$r" == *"encap ioam6 freq 3/7 mode encap tundst $DST trace prealloc type 0xfff002 ns 7 size 244 "* ]] || fail "show: $r"
	encap_route mode auto tunsrc 2001:db8:1::1 tundst $DST trace prealloc type 0xc00000 ns 1 size 8
	r=$(ip -n "$A" -6 route show 2001:db8:2::/64)
	[[ "$r" == *"encap ioam6 freq 1/1 mode auto tunsrc 2001:db8:1::1 tundst $DST trace prealloc type 0xc00000 ns 1 size 8 "* ]] || fail "show: $r"
	# Routes that differ only in the trace are different routes (the kernel's own code
	# compares neither type nor size).
	ip -n "$A" -6 route add 2001:db8:5::/64 encap ioam6 trace prealloc type 0x800000 ns 1 size 4 dev a0 metric 10
	ip -n "$A" -6 route append 2001:db8:5::/64 encap ioam6 trace prealloc type 0x800000 ns 1 size 8 dev a0 metric 10 ||
		fail "a route differing in size was taken for a duplicate"
}

test_route_errors_iproute2() {
	encap_topology
	local add=(ip -n "$A" -6 route add 2001:db8:9::/64 encap ioam6)
	local tr=(trace prealloc type 0x800000 ns 1 size 4 dev a0)
	# Refused by the module (iproute2 sends these), with its extack message.
	expect_err "tundst must not be the unspecified address ::" "${add[@]}" mode encap tundst :: "${tr[@]}"
	expect_err "tunsrc must not be the unspecified address ::" "${add[@]}" mode encap tunsrc :: tundst $DST "${tr[@]}"
	expect_err "trace type uses undefined bits 12-21" "${add[@]}" trace prealloc type 0x000800 ns 1 size 4 dev a0
	expect_err "trace type uses reserved bit 23" "${add[@]}" trace prealloc type 0x000001 ns 1 size 4 dev a0
	expect_err "trace type must not be 0" "${add[@]}" trace prealloc type 0x1000000 ns 1 size 4 dev a0
	# Refused by iproute2 itself, before anything is sent.
	expect_err "Inline mode does not need tundst" "${add[@]}" mode inline tundst $DST "${tr[@]}"
	expect_err "Inline mode does not need tunsrc" "${add[@]}" mode inline tunsrc 2001:db8:1::1 "${tr[@]}"
	expect_err '"tundst" is required' "${add[@]}" mode encap "${tr[@]}"
	expect_err "Invalid trace type" "${add[@]}" trace prealloc type 0 ns 1 size 4 dev a0
	expect_err "Invalid trace size" "${add[@]}" trace prealloc type 0x800000 ns 1 size 0 dev a0
	expect_err "4-octet multiple" "${add[@]}" trace prealloc type 0x800000 ns 1 size 6 dev a0
	expect_err "Trace size is too big" "${add[@]}" trace prealloc type 0x800000 ns 1 size 248 dev a0
	expect_err "k > n is forbidden" "${add[@]}" freq 5/3 "${tr[@]}"
	expect_err 'Out of bound "k"' "${add[@]}" freq 0/1 "${tr[@]}"
	expect_err 'Out of bound "n"' "${add[@]}" freq 1/1000001 "${tr[@]}"
	check_eq "no route added" "" "$(ip -n "$A" -6 route show 2001:db8:9::/64)"
}

test_route_errors_raw() {
	encap_topology
	local trace="hex:3:0001000180000000" # ns 1, remlen 1, type 0x800000
	expect_ok ip netns exec "$A" "${RTNL[@]}" a0 2001:db8:9::/64 "$trace"
	ip -n "$A" -6 route del 2001:db8:9::/64
	local p=(ip netns exec "$A" "${RTNL[@]}" a0 2001:db8:9::/64)
	expect_err "freq needs both K and N" "${p[@]}" "$trace" u32:4:1
	expect_err "freq needs both K and N" "${p[@]}" "$trace" u32:5:1
	expect_err "1 <= K <= N <= 1000000" "${p[@]}" "$trace" u32:4:0 u32:5:1
	expect_err "1 <= K <= N <= 1000000" "${p[@]}" "$trace" u32:4:2 u32:5:1
	expect_err "1 <= K <= N <= 1000000" "${p[@]}" "$trace" u32:4:1 u32:5:1000001
	expect_err "mode 0 is unknown" "${p[@]}" "$trace" u8:1:0
	expect_err "mode 4 is unknown" "${p[@]}" "$trace" u8:1:4
	expect_err "tundst needs mode encap or auto" "${p[@]}" "$trace" addr:2:$DST
	expect_err "tunsrc needs mode encap or auto" "${p[@]}" "$trace" addr:6:2001:db8:1::1
	expect_err "need a tundst" "${p[@]}" "$trace" u8:1:3
	expect_err "tundst must not be the unspecified address" "${p[@]}" "$trace" u8:1:2 addr:2:::
	expect_err "tunsrc must not be the unspecified address" "${p[@]}" "$trace" u8:1:2 addr:2:$DST addr:6:::
	expect_err "tundst must be an IPv6 address" "${p[@]}" "$trace" u8:1:2 hex:2:20010db8
	expect_err "missing trace" "${p[@]}" u8:1:1
	expect_err "8-byte trace header" "${p[@]}" hex:3:00010001800000
	expect_err "overflow flag or reserved bits" "${p[@]}" hex:3:0001040180000000
	expect_err "overflow flag or reserved bits" "${p[@]}" hex:3:0001008180000000
	expect_err "overflow flag or reserved bits" "${p[@]}" hex:3:0001000180000001
	# RFC 9322's Loopback (0x02) and Active (0x01): the user's; Loopback on node ids alone.
	expect_err "loopback needs trace type 0x800000 alone (RFC 9322)" "${p[@]}" hex:3:00010201c0000000
	expect_err "loopback needs trace type 0x800000 alone (RFC 9322)" "${p[@]}" hex:16:00010201c0000000
	expect_ok "${p[@]}" hex:3:0001030180000000
	check_eq "ioamctl route show" "2001:db8:9::/64 encap ioam6 freq 1/1 mode inline trace prealloc type 0x800000 ns 1 size 4 loopback active dev a0" \
		"$(ip netns exec "$A" "$IOAMCTL" route show 2001:db8:9::/64)"
	ip -n "$A" -6 route del 2001:db8:9::/64
	expect_err "trace type must not be 0" "${p[@]}" hex:3:0001000100000000
	expect_err "undefined bits" "${p[@]}" hex:3:0001000100080000
	expect_err "reserved bit 23" "${p[@]}" hex:3:0001000100000100
	expect_err "trace size must be between 4 and 244" "${p[@]}" hex:3:0001000080000000
	expect_err "trace size must be between 4 and 244" "${p[@]}" hex:3:0001003e80000000
	# The module's own Incremental Trace attribute (16): checked as the trace, alone.
	expect_err "one IOAM option per route: a pre-allocated or incremental trace, or DEX" "${p[@]}" "$trace" hex:16:0001000180000000
	expect_err "overflow flag or reserved bits" "${p[@]}" hex:16:0001040180000000
	expect_err "trace size must be between 4 and 244" "${p[@]}" hex:16:0001003e80000000
	expect_err "8-byte trace header" "${p[@]}" hex:16:00010001
	# DEX (17) and its Flow ID (18): alone, the flags matching the values given.
	expect_err "one IOAM option per route" "${p[@]}" "$trace" hex:17:00010000f0000000
	expect_err "8-byte DEX header" "${p[@]}" hex:17:00010000f00000
	expect_err "DEX flags must be 0" "${p[@]}" hex:17:00010100f0000000
	expect_err "DEX flags must be 0" "${p[@]}" hex:17:00010080f0000000
	expect_err "DEX flags must be 0" "${p[@]}" hex:17:00010000f0000000 u32:18:5
	expect_err "DEX flags must be 0" "${p[@]}" hex:17:00010020f0000000
	expect_err "DEX trace type must be 24 bits, nonzero, without bits 7, 12-21, 23" "${p[@]}" hex:17:0001000001000000
	expect_err "a flow id needs dex" "${p[@]}" "$trace" u32:18:5
	expect_ok "${p[@]}" hex:17:000100c0f0000000 u32:18:5
	ip -n "$A" -6 route del 2001:db8:9::/64
	# Numbers between the kernel's and the module's own are refused.
	expect_err "Unsupported attribute" "${p[@]}" "$trace" hex:7:00
	check_eq "no route added" "" "$(ip -n "$A" -6 route show 2001:db8:9::/64)"
}

test_each_bit() {
	encap_topology
	local mode bit type size cases=()
	for bit in 0 1 2 3 4 5 6 7 8 9 10 11 22; do
		type=$(printf '0x%06x' $((0x800000 >> bit)))
		size=$(($(node_len "$type") * 4))
		[ "$bit" -ne 22 ] || size=4 # the snapshot header alone: no schema bound
		cases+=("$type:$size")
	done
	for mode in "${MODES[@]}"; do trace_cases "$mode" 123 "${cases[@]}"; done
}

test_full_trace_and_schema() {
	encap_topology
	ip netns exec "$A" "$IOAMCTL" schema add 777 "abcdef"
	ip netns exec "$A" "$IOAMCTL" namespace set 123 schema 777
	local mode size=$(((15 + 1 + 2) * 4))
	for mode in "${MODES[@]}"; do
		# shellcheck disable=SC2046
		encap_route $(mode_route_args "$mode") trace prealloc type 0xfff002 ns 123 size $size
		# shellcheck disable=SC2046
		expect_trace 2 $(mode_check_args "$mode") --ns 123 --type 0xfff002 --size $size \
			--node "$A_NODE,sc=777:616263646566"
	done
}

test_every_size() {
	encap_topology
	local mode size cases=()
	for size in $(seq 4 4 244); do cases+=("0x800000:$size"); done
	for mode in "${MODES[@]}"; do trace_cases "$mode" 123 "${cases[@]}"; done
}

test_unknown_namespace_and_overflow() {
	encap_topology
	ip netns exec "$A" "$IOAMCTL" schema add 5 "0123456789abcdef"
	ip netns exec "$A" "$IOAMCTL" namespace set 123 schema 5
	local mode
	for mode in "${MODES[@]}"; do
		# Unknown namespace: the trace travels empty.
		trace_case "$mode" 0xc00000 999 8
		# No room for the node: overflow set, nothing written.
		trace_case "$mode" 0xc00000 123 4 --overflow
		# Room for the node but not for the 16-byte schema.
		trace_case "$mode" 0x800002 123 16 --overflow
	done
}

# count_traced K N COUNT [MODE-ARGS...]: with freq K/N (default mode inline), C must see
# exactly the traced share of COUNT pings.
count_traced() {
	local k=$1 n=$2 count=$3 line
	shift 3
	[ $# -gt 0 ] || set -- mode inline
	encap_route freq "$k/$n" "$@" trace prealloc type 0x800000 ns 123 size 4
	echo "$count --count-traced --timeout $(wait_s 60)" >&"${CHECKER[1]}"
	checker_ready
	ip netns exec "$A" ping -6 -q -c "$count" -i 0.002 -W 1 "${PING_TO:-$DST}" >/dev/null 2>&1
	read -r -t "$(wait_s 90)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	# Whole windows of n give k each, the last partial one min(its length, k).
	# shellcheck disable=SC2017 # integer division on purpose
	local want=$((count / n * k + (count % n < k ? count % n : k)))
	check_eq "freq $k/$n over $count packets" "traced $want untraced $((count - want))" "$line"
}

test_freq() {
	encap_topology
	count_traced 3 7 700
	count_traced 1 1 50
	count_traced 7 7 50
	count_traced 1 1000000 20
	count_traced 2 5 23
	# The outer packet going on along the route itself, and rerouted to tundst: each packet
	# counted once in the window either way.
	count_traced 3 7 70 mode encap tundst $DST
	count_traced 2 5 23 mode auto tundst $DST
	# tundst routed elsewhere (a plain host route): traffic to C's other address.
	ip -n "$A" -6 route add $DST/128 via 2001:db8:1::2 dev a0
	PING_TO=2001:db8:2::5 count_traced 3 7 70 mode encap tundst $DST
	ip -n "$A" -6 route del $DST/128
	# tundst unreachable: the K/N decision comes first, and the packets not to be traced leave
	# untouched, as upstream sends them (the first of each window of 100 is dropped).
	local gone=2001:db8:ff::1 dropped not_sampled replies
	ip -n "$A" -6 route add unreachable $gone/128
	encap_route freq 1/100 mode encap tundst $gone trace prealloc type 0x800000 ns 123 size 4
	dropped=$(stat "$A" encap_dropped) not_sampled=$(stat "$A" encap_not_sampled)
	replies=$(ip netns exec "$A" ping -6 -q -c 20 -i 0.05 -W 1 $DST 2>&1 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	check_eq "replies through a route whose tundst is unreachable, freq 1/100" 19 "$replies"
	check_stat "$A" encap_dropped $((dropped + 1))
	check_stat "$A" encap_not_sampled $((not_sampled + 19))
}

test_tcp_transfer() {
	encap_topology
	local mode port=5201
	for mode in inline encap; do
		# shellcheck disable=SC2046
		encap_route $(mode_route_args $mode) trace prealloc type 0xfff002 ns 123 size 72
		tcp_transfer "$A" "$C" "$DST" $port 10
		port=$((port + 1))
	done
	# freq 1/2 through the route itself: each (GSO) packet is decided once and the picked ones
	# encapsulated: traced and not sampled alternate.
	local traced not_sampled
	traced=$(stat "$A" encap_traced) not_sampled=$(stat "$A" encap_not_sampled)
	encap_route freq 1/2 mode encap tundst $DST trace prealloc type 0xfff002 ns 123 size 72
	tcp_transfer "$A" "$C" "$DST" $port 2
	traced=$(($(stat "$A" encap_traced) - traced))
	not_sampled=$(($(stat "$A" encap_not_sampled) - not_sampled))
	local gap=$((traced > not_sampled ? traced - not_sampled : not_sampled - traced))
	if [ "$traced" -eq 0 ] || [ "$gap" -gt 1 ]; then
		fail "freq 1/2 over TCP: $traced traced, $not_sampled not sampled"
	fi
	# tundst routed elsewhere (a plain host route; traffic to C's other address): each (GSO)
	# packet is encapsulated at the transmit stage and sent on along the route to tundst, where
	# it is segmented; none is lost.
	local dropped
	ip -n "$A" -6 route add $DST/128 via 2001:db8:1::2 dev a0
	encap_route mode encap tundst $DST trace prealloc type 0xfff002 ns 123 size 72
	traced=$(stat "$A" encap_traced) dropped=$(stat "$A" encap_dropped)
	tcp_transfer "$A" "$C" 2001:db8:2::5 $((port + 1)) 2
	[ "$(stat "$A" encap_traced)" -gt "$traced" ] ||
		fail "nothing encapsulated over TCP with tundst routed elsewhere"
	check_stat "$A" encap_dropped "$dropped"
	ip -n "$A" -6 route del $DST/128
}

test_mtu_edge() {
	encap_topology
	ip -n "$A" link set a0 mtu 1400
	ip -n "$B" link set b0 mtu 1400
	encap_route mode inline trace prealloc type 0x800000 ns 123 size 244
	local hbh=$((16 + 248))
	# The route's MTU already accounts for the Hop-by-Hop header: a packet of exactly
	# that size goes through, one byte more gets Packet Too Big with the reduced MTU.
	local payload=$((1400 - 40 - hbh - 8))
	ip netns exec "$A" ping -6 -c 1 -W 2 -M "do" -s $payload $DST >/dev/null ||
		fail "a packet exactly at the route MTU did not go through"
	local out
	out=$(ip netns exec "$A" ping -6 -c 1 -W 2 -M "do" -s $((payload + 1)) $DST 2>&1) &&
		fail "a packet one byte over the route MTU went through"
	[[ "$out" == *"mtu: $((1400 - hbh))"* ]] ||
		fail "expected a local error with mtu $((1400 - hbh)): $out"
}

# Auto mode on the router B: packets B forwards are encapsulated, B's own are inline, and
# forwarded packets carry B's receive timestamp and ingress interface (the timestamp also
# with a trace type without interface ids).
test_auto_mode_forwarding() {
	encap_topology
	ip netns exec "$B" sysctl -qw net.ipv6.ioam6_id=0xb1 net.ipv6.ioam6_id_wide=0xb1b1 \
		net.ipv6.conf.b0.ioam6_id=0xb0 net.ipv6.conf.b0.ioam6_id_wide=0xb0b0 \
		net.ipv6.conf.b1.ioam6_id=0xb2 net.ipv6.conf.b1.ioam6_id_wide=0xb2b2
	ip netns exec "$B" "$IOAMCTL" namespace add 5 data 0x55
	ip -n "$A" -6 route replace 2001:db8:2::/64 via 2001:db8:1::2 dev a0
	ip -n "$B" -6 route replace 2001:db8:2::1/128 encap ioam6 mode auto tundst $DST \
		trace prealloc type 0xf40000 ns 5 size 20 dev b1
	local b_node="id=0xb1,in=0xb0,out=0xb2,ts=any,nsd=0x55,qd=0"
	# Forwarded by B (hop limit 63 after forwarding), encapsulated with B's source address.
	expect_trace 2 --mode encap --outer-src 2001:db8:2::2 --outer-dst $DST --ns 5 --type 0xf40000 \
		--size 20 --node "hop=63,$b_node"
	# Without interface ids (no ingress device looked up), still B's receive timestamp.
	ip -n "$B" -6 route replace 2001:db8:2::1/128 encap ioam6 mode auto tundst $DST \
		trace prealloc type 0xb40000 ns 5 size 16 dev b1
	expect_trace 2 --mode encap --outer-src 2001:db8:2::2 --outer-dst $DST --ns 5 --type 0xb40000 \
		--size 16 --node "hop=63,id=0xb1,ts=any,nsd=0x55"
	ip -n "$B" -6 route replace 2001:db8:2::1/128 encap ioam6 mode auto tundst $DST \
		trace prealloc type 0xf40000 ns 5 size 20 dev b1
	# B's own packets go inline, with no ingress interface and no timestamp.
	local line
	echo "2 --mode inline --ns 5 --type 0xf40000 --size 20 --node hop=64,id=0xb1,in=0xffff,out=0xb2,ts=unavail,nsd=0x55,qd=0" >&"${CHECKER[1]}"
	checker_ready
	ip netns exec "$B" ping -6 -q -c 2 -i 0.05 -W 1 $DST >/dev/null 2>&1
	read -r -t "$(wait_s 30)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	[[ "$line" == ok* ]] || fail "inline from B: $line"
}

# Auto mode and a local tunnel device whose remote lies in the route's prefix: what the tunnel
# sends is generated here, though its skb->dev is the tunnel device at the output stage. Its
# outer packet gets the trace inline, with no ingress interface and no timestamp (a forwarded
# packet would be encapsulated and record the tunnel, 0x77, as its ingress).
test_auto_mode_local_tunnel() {
	encap_topology
	ip -n "$A" link add t0 type ip6tnl mode ip6ip6 local 2001:db8:1::1 remote $DST encaplimit none
	ip -n "$A" link set t0 up
	ip netns exec "$A" sysctl -qw net.ipv6.conf.t0.ioam6_id=0x77
	ip -n "$A" -6 route add 2001:db8:77::/64 dev t0
	encap_route mode auto tundst $DST trace prealloc type 0xf00000 ns 123 size 16
	PING_TO=2001:db8:77::1 expect_trace 2 --mode inline --ns 123 --type 0xf00000 --size 16 \
		--node "$A_NODE"
}

# tundst inside the route's own prefix: the outer packet takes the route itself, and the
# module remembers that finding per routing generation (no lookup per packet). Address and
# route changes must show from the next packet on.
test_looped_tunnel() {
	encap_topology
	local enc="--mode encap --outer-dst $DST --ns 123 --type 0x800000 --size 4 --node $A_NODE"
	encap_route mode encap tundst $DST trace prealloc type 0x800000 ns 123 size 4
	# shellcheck disable=SC2086
	expect_trace 3 $enc --outer-src 2001:db8:1::1
	# A longer match with tundst becomes the preferred source (RFC 6724 rule 8), then goes.
	ip -n "$A" addr add 2001:db8:2:0:ffff::1/128 dev a0 nodad
	# shellcheck disable=SC2086
	expect_trace 3 $enc --outer-src 2001:db8:2:0:ffff::1
	ip -n "$A" addr del 2001:db8:2:0:ffff::1/128 dev a0
	# shellcheck disable=SC2086
	expect_trace 3 $enc --outer-src 2001:db8:1::1
	# tundst routed elsewhere (traffic to C's other address), then through the route again.
	ip -n "$A" -6 route add $DST/128 via 2001:db8:1::2 dev a0
	# shellcheck disable=SC2086
	PING_TO=2001:db8:2::5 expect_trace 3 $enc --outer-src 2001:db8:1::1
	ip -n "$A" -6 route del $DST/128
	# shellcheck disable=SC2086
	PING_TO=2001:db8:2::5 expect_trace 3 $enc --outer-src 2001:db8:1::1
}

# hbh_counts NS: packets with a Hop-by-Hop header counted in NS's OUTPUT and POSTROUTING (the
# chains in the order test_netfilter_hooks makes them).
hbh_counts() {
	ip netns exec "$1" nft list table ip6 ioam_hooks |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | paste -sd' '
}

# Which netfilter hooks see the Hop-by-Hop header the node adds. Every packet gets it at the
# route's transmit stage, after POSTROUTING; an outer packet to a tundst routed elsewhere is
# then sent there through dst_output(), so POSTROUTING sees it with the header (OUTPUT and
# POSTROUTING saw the inner one without); inline insertion, and an outer packet going on along
# the route itself, pass neither hook with it. (The kernel's own lightweight tunnels behave
# alike: what one adds at its xmit stage passes no hook.)
test_netfilter_hooks() {
	command -v nft >/dev/null || fail "nft not found (scripts/provision.sh installs nftables)"
	encap_topology
	# Multicast left out: A's MLD reports carry a Hop-by-Hop header (Router Alert), at times
	# the kernel picks.
	ip netns exec "$A" nft -f - <<-EOF || fail "nft"
		table ip6 ioam_hooks {
			chain out { type filter hook output priority 0; ip6 daddr != ff00::/8 exthdr hbh exists counter comment "output"; }
			chain post { type filter hook postrouting priority 0; ip6 daddr != ff00::/8 exthdr hbh exists counter comment "postrouting"; }
		}
	EOF
	encap_route mode inline trace prealloc type 0x800000 ns 123 size 4
	expect_trace 3 --mode inline --ns 123 --type 0x800000 --size 4 --node "$A_NODE"
	check_eq "inline: packets with the header seen in OUTPUT, POSTROUTING" "0 0" "$(hbh_counts "$A")"
	# tundst routed elsewhere: the outer packet is rerouted there.
	ip -n "$A" -6 route add "$DST/128" via 2001:db8:1::2 dev a0
	encap_route mode encap tundst "$DST" trace prealloc type 0x800000 ns 123 size 4
	local enc=(--mode encap --outer-src 2001:db8:1::1 --outer-dst "$DST" --ns 123 --type 0x800000
		--size 4 --node "$A_NODE")
	PING_TO=2001:db8:2::5 expect_trace 3 "${enc[@]}"
	check_eq "encap: packets with the header seen in OUTPUT, POSTROUTING" "0 3" "$(hbh_counts "$A")"
	# tundst reached through the route itself: the outer packet goes on along it.
	ip -n "$A" -6 route del "$DST/128"
	PING_TO=2001:db8:2::5 expect_trace 3 "${enc[@]}"
	check_eq "encap at the transmit stage: no more seen" "0 3" "$(hbh_counts "$A")"
}

test_rmmod_with_routes() {
	encap_topology
	encap_route trace prealloc type 0x800000 ns 123 size 4
	expect_trace 1 --mode inline --ns 123 --type 0x800000 --size 4 --node "$A_NODE"
	rmmod ioam_rs 2>/dev/null && fail "rmmod succeeded while a route uses the encapsulation"
	module_loaded || fail "module gone"
	ip -n "$A" -6 route del 2001:db8:2::/64
	for _ in $(seq 50); do
		rmmod ioam_rs 2>/dev/null && return 0
		sleep 0.2 # the kernel may still hold cached references to the deleted route
	done
	fail "rmmod still refused 10 s after the route was deleted"
}

# Installed where DKMS installs it, the module is loaded by the first ioam6 route, through its
# rtnl-lwt-IOAM6 alias (lwtunnel asks for it, then the route request is replayed).
test_autoload() {
	modinfo -n ioam_rs >/dev/null 2>&1 || skip "ioam_rs is not installed for $(uname -r) (DKMS)"
	unload_module
	setup_ns A
	ip -n "$A" link add d0 type dummy
	ip -n "$A" link set d0 up
	expect_ok ip -n "$A" -6 route add 2001:db8:9::/64 encap ioam6 trace prealloc type 0x800000 ns 1 size 4 dev d0
	module_loaded || fail "the route was added but ioam_rs is not loaded"
	[[ "$(ip -n "$A" -6 route show 2001:db8:9::/64)" == *"encap ioam6 "* ]] || fail "no ioam6 encap on the route"
	ip -n "$A" -6 route del 2001:db8:9::/64
}

run_test "encap: route show round-trip" test_route_show_roundtrip
run_test "encap: invalid routes refused by iproute2 or the module" test_route_errors_iproute2
run_test "encap: every invalid attribute refused by the module" test_route_errors_raw
run_test "encap: each trace bit alone, every mode" test_each_bit
run_test "encap: full trace with schema, every mode" test_full_trace_and_schema
run_test "encap: unknown namespace, no room, no room for schema" test_unknown_namespace_and_overflow
run_test "encap: freq K/N counted exactly" test_freq
run_test "encap: every size 4..244, every mode" test_every_size
run_test "encap: 10 MB TCP through inline and encap, 2 MB at freq 1/2 and rerouted to tundst" test_tcp_transfer
run_test "encap: packet at the route MTU" test_mtu_edge
run_test "encap: auto mode on a router: forwarded encap, local inline" test_auto_mode_forwarding
run_test "encap: auto mode, a local tunnel's packets are local: inline" test_auto_mode_local_tunnel
run_test "encap: tundst routed through the route itself, across address and route changes" test_looped_tunnel
run_test "encap: netfilter hooks that see the added header" test_netfilter_hooks
run_test "encap: rmmod refused while routes exist" test_rmmod_with_routes
run_test "encap: the first ioam6 route loads the installed module" test_autoload
