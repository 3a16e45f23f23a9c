# SPDX-License-Identifier: GPL-2.0
# Chain topologies for the transit, campaign and reliability selftests, sourced by lib.sh:
# A (encapsulating node) -- T1 -- ... -- TN (transit nodes) -- R (receiver, checks every byte;
# the tunnel endpoint in encap mode). Link k joins node k-1 and node k (A is node 0, R node N+1)
# on 2001:db8:k::/64, ::1 on the left, ::2 on the right; every node names its interfaces "left"
# and "right".
# shellcheck shell=bash

CHECK=(python3 "$SELFTEST_DIR/ioam_check.py")
SEND=(python3 "$SELFTEST_DIR/ioam_send.py")
# shellcheck disable=SC2034 # used by the test files
EVENTS=(python3 "$SELFTEST_DIR/check_events.py")
NS_ID=123


# Node k's ids. A (k=0) uses test_encap.sh's values.
node_id() { [ "$1" -eq 0 ] && echo 0xa1 || printf '0x%x' $((0x100 + $1)); }

node_id_wide() { [ "$1" -eq 0 ] && echo 0xa1a1a1a1a1 || printf '0x%x' $((0x10000000000 + $1)); }

if_id() { printf '0x%x' $((0x10 * $1 + $2)); }           # k, 1 left / 2 right
if_id_wide() { printf '0x%x' $((0x100000 * $1 + $2)); }

ns_data() { printf '0x%x' $((0xd0000000 + $1)); }

ns_wide() { printf '0x%x' $((0xe000000000000000 + $1)); }

# chain_topology N [sysctl|module|none]: build the chain with N transit nodes, IOAM namespace
# 123 known everywhere, and IOAM switched on at each transit node's left interface by the
# kernel sysctl (default) or the module's own switch. Starts the receiver on R.
chain_topology() {
	local n=$1 enable=${2:-sysctl} k j
	fresh_module
	NODES=(A)
	for k in $(seq 1 "$n"); do NODES+=("T$k"); done
	NODES+=(R)
	setup_ns "${NODES[@]}"
	LAST=$((n + 1))
	DST=2001:db8:$LAST::2
	for k in $(seq 0 "$n"); do
		ip link add right netns "$(ns_of "$k")" type veth peer name left netns "$(ns_of $((k + 1)))"
	done
	for k in $(seq 0 "$LAST"); do
		local ns
		ns=$(ns_of "$k")
		[ "$k" -eq 0 ] || { ip -n "$ns" addr add 2001:db8:"$k"::2/64 dev left nodad; ip -n "$ns" link set left up; }
		[ "$k" -eq "$LAST" ] || { ip -n "$ns" addr add 2001:db8:$((k + 1))::1/64 dev right nodad; ip -n "$ns" link set right up; }
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 \
			net.ipv6.ioam6_id="$(node_id "$k")" net.ipv6.ioam6_id_wide="$(node_id_wide "$k")"
		[ "$k" -eq 0 ] || ip netns exec "$ns" sysctl -qw net.ipv6.conf.left.ioam6_id="$(if_id "$k" 1)" \
			net.ipv6.conf.left.ioam6_id_wide="$(if_id_wide "$k" 1)"
		[ "$k" -eq "$LAST" ] || ip netns exec "$ns" sysctl -qw net.ipv6.conf.right.ioam6_id="$(if_id "$k" 2)" \
			net.ipv6.conf.right.ioam6_id_wide="$(if_id_wide "$k" 2)"
		ip netns exec "$ns" "$IOAMCTL" namespace add $NS_ID data "$(ns_data "$k")" wide "$(ns_wide "$k")"
		for j in $(seq 1 "$LAST"); do
			if [ "$j" -gt $((k + 1)) ]; then
				ip -n "$ns" -6 route add 2001:db8:"$j"::/64 via 2001:db8:$((k + 1))::2
			elif [ "$j" -lt "$k" ]; then
				ip -n "$ns" -6 route add 2001:db8:"$j"::/64 via 2001:db8:"$k"::1
			fi
		done
		if [ "$k" -ge 1 ] && [ "$k" -le "$n" ]; then
			switch_on "$ns" left "$enable"
		fi
	done
	# R ends encap-mode tunnels, so that they get answered.
	ip -n "$R" link set ip6tnl0 up
	coproc CHECKER { ip netns exec "$R" "${CHECK[@]}" left 0 --serve 2>&1; }
	local line
	checker_ready
}

# stub_network VAR NODE: a new namespace (its name in VAR) on 2001:db8:99::/64 behind the
# namespace NODE, through which it is routed: NODE's device `stub` has ::1, the new
# namespace's `left` ::2.
stub_network() {
	local ns
	setup_ns "$1"
	ns=${!1}
	ip link add stub netns "$2" type veth peer name left netns "$ns"
	ip -n "$2" addr add 2001:db8:99::1/64 dev stub nodad
	ip -n "$ns" addr add 2001:db8:99::2/64 dev left nodad
	ip -n "$2" link set stub up
	ip -n "$ns" link set left up
	ip -n "$ns" -6 route add default via 2001:db8:99::1
}

# ns_of K: the network namespace of node K.
ns_of() { local v=${NODES[$1]}; echo "${!v}"; }

# genl_in NS ARGS...: the raw generic netlink client in NS.
genl_in() {
	local ns=$1
	shift
	# shellcheck disable=SC2086
	ip netns exec "$ns" "${GENL[@]}" "$@"
}

# switch_on NS DEV sysctl|module|none
switch_on() {
	case $3 in
	sysctl) ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.ioam6_enabled=1" ;;
	module) ip netns exec "$1" "$IOAMCTL" interface enable "$2" || fail "ioamctl interface enable $2" ;;
	none) ;;
	esac
}

# route_trace MODE TYPE SIZE [NS]: A's route to R's prefix with this trace, inline or encap.
route_trace() {
	local mode=$1 type=$2 size=$3 ns=${4:-$NS_ID} args="mode inline"
	[ "$mode" = inline ] || args="mode encap tundst $DST"
	# shellcheck disable=SC2086
	ip -n "$A" -6 route replace 2001:db8:$LAST::/64 encap ioam6 $args trace prealloc type "$type" \
		ns "$ns" size "$size" via 2001:db8:1::2 dev right || fail "route: $mode $type $size"
}

check_args() {
	[ "$1" = inline ] && echo "--mode inline" || echo "--mode encap --outer-src 2001:db8:1::1 --outer-dst $DST"
}

# The node data node K writes for a packet sent by A with hop limit 64.
node_spec() {
	local k=$1 hop=$((64 - $1))
	if [ "$k" -eq 0 ]; then
		echo "hop=64,id=0xa1,idw=0xa1a1a1a1a1,in=0xffff,out=$(if_id 0 2),inw=0xffffffff,outw=$(if_id_wide 0 2),ts=unavail,nsd=$(ns_data 0),nsdw=$(ns_wide 0),qd=0"
	else
		echo "hop=$hop,id=$(node_id "$k"),idw=$(node_id_wide "$k"),in=$(if_id "$k" 1),out=$(if_id "$k" 2),inw=$(if_id_wide "$k" 1),outw=$(if_id_wide "$k" 2),ts=any,td=any,egress=late,nsd=$(ns_data "$k"),nsdw=$(ns_wide "$k"),qd=0"
	fi
}

# nodes_upto K [SUFFIX]: --node arguments for nodes 0..K, oldest first.
nodes_upto() {
	local k
	for k in $(seq 0 "$1"); do printf -- '--node %s%s ' "$(node_spec "$k")" "${2:-}"; done
}

# expect_ping COUNT CHECK-ARGS...: A pings R COUNT times; R must see COUNT matching packets.
# Sets LAST_TRACE to the filled trace data R saw last.
expect_ping() {
	local count=$1 line
	shift
	echo "$count $*" >&"${CHECKER[1]}"
	checker_ready
	ip netns exec "$A" ping -6 -q -c "$count" -i 0.05 -W 1 "$DST" >/dev/null 2>&1
	read -r -t "$(wait_s 60)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	[[ "$line" == ok* ]] || fail "$* : $line"
	# shellcheck disable=SC2034 # read by the test files
	LAST_TRACE=${line##* trace }
}

# expect_cases MODE NS NODES CASE...: each CASE (TYPE:SIZE) at once in MODE, one packet each,
# from A to addresses of R's (check_cases); R expects the node data NODES (--node arguments).
expect_cases() {
	local mode=$1 ns=$2 nodes=$3 args="mode inline"
	shift 3
	[ "$mode" = inline ] || args="mode encap tundst $DST"
	check_cases "$A" "$R" left "2001:db8:$LAST" \
		"encap ioam6 $args trace prealloc type %s ns $ns size %s via 2001:db8:1::2 dev right" \
		"$(check_args "$mode") --ns $ns $nodes" "$@"
}

# capture_start NS FILTER: tcpdump on NS's left interface, into the file $CAPTURE, until
# capture_stop; waits until it has started.
capture_start() {
	CAPTURE=$(mktemp --suffix .pcap)
	ip netns exec "$1" tcpdump -i left --immediate-mode -B 16384 -U -w "$CAPTURE" "$2" 2>/dev/null &
	CAPTURE_PID=$!
	for _ in $(seq 100); do
		[ ! -s "$CAPTURE" ] || return 0
		sleep 0.1
	done
	fail "tcpdump did not start"
}

capture_stop() {
	sleep 0.5 # let the last packets arrive
	kill "$CAPTURE_PID"
	wait "$CAPTURE_PID" 2>/dev/null
}

# stat NS NAME: one counter of ioamctl stats.
stat() {
	ip netns exec "$1" "$IOAMCTL" stats | awk -v n="$2" '$1 == n { print $2 }'
}

check_stat() {
	check_eq "$2 on $1" "$3" "$(stat "$1" "$2")"
}

# set_tai_offset SECONDS: the guest's TAI - UTC (adjtimex ADJ_TAI, the machine's own: every
# network namespace shares it).
set_tai_offset() {
	python3 - "$1" <<-'PY' || fail "adjtimex ADJ_TAI $1"
		import ctypes, struct, sys
		# struct timex on 64-bit Linux: modes (0), constant (48); 0x80 is ADJ_TAI.
		buf = ctypes.create_string_buffer(256)
		struct.pack_into("=I", buf, 0, 0x80)
		struct.pack_into("=q", buf, 48, int(sys.argv[1]))
		sys.exit(ctypes.CDLL(None, use_errno=True).adjtimex(buf) < 0)
	PY
}

# await_stat NS NAME VALUE: wait (up to 10 s) until counter NAME of NS reaches VALUE, then
# check it is exactly VALUE.
await_stat() {
	local _
	for _ in $(seq "$(wait_s 100)"); do
		[ "$(stat "$1" "$2")" -lt "$3" ] || break
		sleep 0.1
	done
	check_stat "$@"
}

# listening_sockets NS: generic netlink sockets (Eth 16) in NS with a multicast group joined
# (/proc/net/netlink's Groups bitmap shows the first 32; ours is among them).
listening_sockets() {
	# shellcheck disable=SC2016 # an awk program
	ip netns exec "$1" awk '$2 == 16 && $4 !~ /^0+$/ { n++ } END { print n + 0 }' /proc/net/netlink
}

# monitor_start NS FILE [text|export]: run "ioamctl -j monitor" (plain "ioamctl monitor" with
# text; "ioamctl -j monitor --export", the batches for exporters, with export) in NS into FILE
# until monitor_stop; waits until it has joined its group.
MONITOR_PIDS=()
monitor_start() {
	local before format=(-j) group=()
	[ "${3:-}" != text ] || format=()
	[ "${3:-}" != export ] || group=(--export)
	before=$(listening_sockets "$1")
	ip netns exec "$1" "$IOAMCTL" "${format[@]}" monitor "${group[@]}" >"$2" 2>&1 &
	MONITOR_PIDS+=($!)
	for _ in $(seq 100); do
		[ "$(listening_sockets "$1")" -le "$before" ] || return 0
		sleep 0.1
	done
	fail "ioamctl monitor did not join its group"
}

monitor_stop() {
	sleep 0.5 # let the last events arrive
	local pid
	for pid in "${MONITOR_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${MONITOR_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	MONITOR_PIDS=()
}

# check_same_events WHAT FILE1 FILE2: both monitors saw the same events (the batches for
# exporters are in the order each CPU saw the events, CPUs interleaved: compared sorted).
check_same_events() {
	check_eq "$1" "$(sort "$2")" "$(sort "$3")"
	[ -s "$2" ] || fail "$1: no events"
}

# tally_of TALLY KEY: a count from ioam_send.py's "expect KEY=N ..." line (0 when absent).
tally_of() {
	local v
	v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p")
	echo "${v:-0}"
}

# shellcheck disable=SC2016 # awk's fields
snmp6() { ip netns exec "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/snmp6; }

# Every seed case of ioam_send.py (malformed options of each kind, several options, O flag,
# unknown types, fragments, truncated headers...) into T1: each packet is filled, passed or
# dropped as expected, and every drop is counted. With the module's switch the module's parser
# is the line of defence (the kernel checks alignment only); with the kernel's sysctl the
# kernel drops malformed options first, in its own statistics.
# malformed_seeds ENABLE MODEL [SEND-ARGS...]: default SEND-ARGS --seeds.
malformed_seeds() {
	local enable=$1 model=$2 mac tally hdr_errors out netlabel=no
	shift 2
	[ $# -gt 0 ] || set -- --seeds
	# CALIPSO options pass or drop depending on CONFIG_NETLABEL, which adds this sysctl.
	[ ! -e /proc/sys/net/ipv6/calipso_cache_enable ] || netlabel=yes
	chain_topology 1 "$enable"
	mac=$(ip netns exec "$T1" cat /sys/class/net/left/address)
	hdr_errors=$(snmp6 "$T1" Ip6InHdrErrors)
	out=$(ip netns exec "$A" "${SEND[@]}" right --dst-mac "$mac" --src 2001:db8:1::1 --dst "$DST" \
		--ns $NS_ID --expect --model "$model" --netlabel $netlabel "$@" 2>&1) || fail "ioam_send.py: $out"
	echo "$out"
	tally=$(sed -n 's/^expect //p' <<<"$out")
	[ -n "$tally" ] || fail "ioam_send.py sent nothing"
	sleep 2
	# With the kernel's sysctl, packets the kernel drops never reach the module, not even the
	# options in front of the bad one: count only what the kernel lets through ("seen:").
	local seen=
	[ "$enable" = module ] || seen=seen:
	check_stat "$T1" trace_filled "$(tally_of "$tally" ${seen}fill)"
	check_stat "$T1" trace_inserted "$(tally_of "$tally" ${seen}insert)"
	check_stat "$T1" dex_received "$(tally_of "$tally" ${seen}dex)"
	check_stat "$T1" trace_overflow "$(tally_of "$tally" ${seen}overflow)"
	check_stat "$T1" trace_already_overflowed "$(tally_of "$tally" ${seen}already_overflowed)"
	# RFC 9322 Loopback: each copy sent back to A or over T1's loopback limit, none failed.
	check_stat "$T1" loopback_refused "$(tally_of "$tally" ${seen}loopback_refused)"
	check_eq "loopback copies sent or rate-limited" "$(tally_of "$tally" ${seen}loopback)" \
		$(($(stat "$T1" loopback_sent) + $(stat "$T1" loopback_rate_limited)))
	check_stat "$T1" loopback_failed 0
	check_eq "ignored options" "$(tally_of "$tally" ${seen}ignore)" \
		$(($(stat "$T1" option_not_prealloc) + $(stat "$T1" trace_unknown_namespace)))
	if [ "$enable" = module ]; then
		local reason
		for reason in node_len remaining_len truncated; do
			check_stat "$T1" drop_$reason "$(tally_of "$tally" drop:$reason)"
		done
	else
		# The kernel ignores Incremental Trace options: the module drops the malformed ones.
		local reason
		for reason in node_len remaining_len truncated; do
			check_stat "$T1" drop_$reason "$(tally_of "$tally" seen:drop:$reason)"
		done
	fi
	# Misaligned options never reach the module: the kernel drops them in either mode.
	check_stat "$T1" drop_misaligned 0
	# The kernel counts its own drops; with the module's switch only the misaligned seed cases
	# are the kernel's (other kernel drops, like truncated headers, go to other counters).
	local drops
	drops=$(tally_of "$tally" drop)
	if [ "$enable" = module ]; then
		drops=0
		[ "$1" != --seeds ] || drops=2
	fi
	[ $(($(snmp6 "$T1" Ip6InHdrErrors) - hdr_errors)) -ge "$drops" ] ||
		fail "Ip6InHdrErrors grew by less than $drops"
	# T1 still forwards and fills.
	route_trace inline 0x800000 8
	# shellcheck disable=SC2046
	expect_ping 3 --mode inline --ns $NS_ID --type 0x800000 --size 8 $(nodes_upto 1)
}
