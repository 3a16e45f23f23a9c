#!/usr/bin/env bash
# One round of the benchmark scenarios, inside the guest (see scripts/bench.sh).
#   scripts/bench-guest.sh KERNEL PACKETS OUT_DIR [audit|profile]
# KERNEL: ioam-rs (test kernel; ioam_rs.ko is loaded) or upstream (reference kernel, with the
# kernel's own IOAM). pktgen in G sends PACKETS UDP packets of a fixed size through
# G -- A -- T -- R: A is the encapsulating node (a forwarding router), T the transit node, R
# the sink. Appends "kernel,scenario,sent,received,guest_ns,busy_ns,work_ns" lines to
# OUT_DIR/speed.csv (busy_ns: CPU time not idle, from /proc/stat, in 10-ms ticks; work_ns: CPU
# time of the tasks doing the work, to the nanosecond: the cost, without idle gaps); with
# "audit", counts the kernel's slab and page allocations per call site during each scenario
# (kmem tracepoints with histogram triggers) and appends
# "kernel,scenario,sent,kind,call_site,count" lines to OUT_DIR/alloc.csv instead; with
# "profile", samples the CPU every 10,000 guest instructions (perf, cpu-clock under
# instruction counting) and writes OUT_DIR/profile-KERNEL-SCENARIO.txt, symbols by share.
# IOAM_RS_BENCH_SCENARIOS="NAME..." runs only these scenarios. IOAM_RS_BENCH_NAMESPACES=all gives
# every node an IOAM namespace in every scenario (and so, with ioam_rs.ko, the receive hook):
# for comparing with module versions that registered the hook everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

kernel=$1 packets=$2 out=$3 mode=${4:-speed}
PKT_SIZE=256
NS_ID=123

case $kernel in
ioam-rs)
	insmod ioam_rs.ko
	if [ "$mode" = profile ]; then
		# perf finds a module's symbols in /lib/modules/RELEASE: give it ours there.
		mount -t tmpfs none /lib/modules
		mkdir -p "/lib/modules/$(uname -r)/extra"
		cp ioam_rs.ko "/lib/modules/$(uname -r)/extra/"
	fi
	ioam() { target/release/ioamctl "$@"; }
	;;
upstream) ioam() { ip ioam "$@"; } ;;
*) echo "unknown kernel $kernel" >&2; exit 1 ;;
esac

nodes=(G A T R)
for n in "${nodes[@]}"; do
	ip netns add "bench$n"
	ip -n "bench$n" link set lo up
done
cleanup() { for n in "${nodes[@]}"; do ip netns del "bench$n" 2>/dev/null; done; }
trap cleanup EXIT
in_ns() { local n=$1; shift; ip netns exec "bench$n" "$@"; }

# Link k joins node k-1 and node k on 2001:db8:k::/64 (::1 left, ::2 right).
for k in 1 2 3; do
	left=${nodes[$((k - 1))]} right=${nodes[$k]}
	ip link add right netns "bench$left" type veth peer name left netns "bench$right"
	ip -n "bench$left" addr add 2001:db8:$k::1/64 dev right nodad
	ip -n "bench$right" addr add 2001:db8:$k::2/64 dev left nodad
	ip -n "bench$left" link set right up
	ip -n "bench$right" link set left up
done
DST=2001:db8:3::2
in_ns A sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.ioam6_id=1 net.ipv6.conf.right.ioam6_id=12
in_ns T sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.ioam6_id=2 net.ipv6.conf.left.ioam6_id=21 \
	net.ipv6.conf.right.ioam6_id=22
in_ns R sysctl -qw net.ipv6.ioam6_id=3
ip -n benchG -6 route add default via 2001:db8:1::2
ip -n benchA -6 route add 2001:db8:3::/64 via 2001:db8:2::2
ip -n benchT -6 route add 2001:db8:1::/64 via 2001:db8:2::1
ip -n benchR -6 route add default via 2001:db8:3::1
ip -n benchR link set ip6tnl0 up # R ends encap-mode tunnels
# A schema fills each trace exactly (NodeLen 15 words + snapshot header + schema words).
schema_words() { echo $(($1 / 4 - 15 - 1)); }
for size in 72 244; do
	in_ns A bash -c "$(declare -f ioam); ioam schema add $size $(printf 'x%.0s' $(seq $(($(schema_words $size) * 4))))"
done

# ARP-like warm-up, so that neighbour resolution is not measured (the first tries can go
# unanswered while the links' own addresses are tentative); then each neighbour found is made
# permanent. Otherwise an entry goes stale after its random reachable time (15-45 s), and the
# next packets take the neighbour resolution path until a probe is answered, which cost each
# of them about 0.1 k instructions more: by chance, some scenarios of some rounds (on either
# kernel) paid it.
for try in $(seq 10); do
	! in_ns G ping -6 -c 1 -W 1 "$DST" >/dev/null || break
	[ "$try" -lt 10 ] || { echo "warm-up: no answer from $DST" >&2; exit 1; }
done
for n in "${nodes[@]}"; do
	ip -n "bench$n" -6 neigh show | awk '$2 == "dev" && $4 == "lladdr" { print $1, $3, $5 }' |
		while read -r addr dev mac; do
			ip -n "bench$n" -6 neigh replace "$addr" lladdr "$mac" dev "$dev" nud permanent
		done
done
for hop in "A 2001:db8:2::2" "T 2001:db8:3::2"; do
	read -r n addr <<<"$hop"
	[[ "$(ip -n "bench$n" -6 neigh show "$addr")" == *PERMANENT* ]] ||
		{ echo "warm-up: $n has no neighbour entry for $addr" >&2; exit 1; }
done

# pktgen in G: UDP over IPv6 to R, straight to A's MAC.
PG=/proc/net/pktgen
a_mac=$(in_ns A cat /sys/class/net/left/address)
pg() { in_ns G sh -c "echo '$1' > $2"; }
pg "rem_device_all" $PG/kpktgend_0
pg "add_device right" $PG/kpktgend_0
for c in "count $packets" "pkt_size $PKT_SIZE" "delay 0" "clone_skb 0" "src6 2001:db8:1::1" "dst6 $DST" \
	"dst_mac $a_mac"; do
	pg "$c" $PG/right
done

# Scenario settings: A's route and T's transit switch.
route_plain() { ip -n benchA -6 route replace 2001:db8:3::/64 via 2001:db8:2::2 dev right; }
route_ioam() {
	ip -n benchA -6 route replace 2001:db8:3::/64 encap ioam6 "$@" via 2001:db8:2::2 dev right
}
# route_ioamctl ARGS...: the same, for the options only ioamctl (and ioam_rs.ko) know.
route_ioamctl() {
	in_ns A target/release/ioamctl route replace 2001:db8:3::/64 encap ioam6 "$@" \
		via 2001:db8:2::2 dev right
}
# switch NODE sysctl|module: IOAM on at NODE's ingress, with the kernel's sysctl or the
# module's own switch (the C code has only the sysctl: there "module" is the sysctl too);
# switches_off: every switch turned on since, off.
switched=()
switch() {
	if [ "$2" = module ] && [ "$kernel" = ioam-rs ]; then
		in_ns "$1" target/release/ioamctl interface enable left
	else
		in_ns "$1" sysctl -qw net.ipv6.conf.left.ioam6_enabled=1
	fi
	switched+=("$1 $2")
}
switches_off() {
	local s node how
	for s in "${switched[@]}"; do
		read -r node how <<<"$s"
		if [ "$how" = module ] && [ "$kernel" = ioam-rs ]; then
			in_ns "$node" target/release/ioamctl interface disable left
		else
			in_ns "$node" sysctl -qw net.ipv6.conf.left.ioam6_enabled=0
		fi
	done
	switched=()
}
# namespaces NODE...: the IOAM namespace registered on these nodes only (each its own data),
# or on all of them with IOAM_RS_BENCH_NAMESPACES=all.
ns_nodes=" "
namespaces() {
	[ "${IOAM_RS_BENCH_NAMESPACES:-}" != all ] || set -- A T R
	local n data=0
	for n in A T R; do
		data=$((data + 1))
		if [[ " $* " == *" $n "* ]]; then
			[[ $ns_nodes == *" $n "* ]] || in_ns $n bash -c "$(declare -f ioam); ioam namespace add $NS_ID data $data"
		elif [[ $ns_nodes == *" $n "* ]]; then
			in_ns $n bash -c "$(declare -f ioam); ioam namespace del $NS_ID"
		fi
	done
	ns_nodes=" $* "
}
schema() { in_ns A bash -c "$(declare -f ioam); ioam namespace set $NS_ID schema $1"; }

# exporter_start: ioam-exporter in T, every trace within the export limit, its IPFIX messages
# over UDP to a collector address on a dummy link (the kernel frees them at its transmit: the
# cost of sending, as through a NIC, without a collector's); exporter_stop checks that it
# received every event.
EXPORTER_PIDS=()
exporter_start() {
	in_ns T target/release/ioamctl export limit rate 1000000 burst 1000000
	if ! in_ns T ip link show collect >/dev/null 2>&1; then
		in_ns T ip link add collect type dummy
		in_ns T ip addr add fd00:c::1/64 dev collect nodad
		in_ns T ip link set collect up
	fi
	local before
	before=$(netlink_groups)
	# Not through in_ns (a subshell): $! is the exporter itself (ip execs it).
	ip netns exec benchT target/release/ioam-exporter --collector "udp://[fd00:c::2]:4739" \
		--metrics-listen "[::1]:9464" --module-stats-interval 0 2>/tmp/exporter.log &
	EXPORTER_PIDS=(0 $!)
	for _ in $(seq 100); do
		[ "$(netlink_groups)" -le "$before" ] || return 0
		sleep 0.1
	done
	echo "ioam-exporter did not join the export group: $(cat /tmp/exporter.log)" >&2
	exit 1
}
# sink_start GROUP: scripts/bench-sink.py in T on GROUP, every event within the limits.
events_sent() {
	in_ns T target/release/ioamctl stats | awk '$1 == "events_sent" || $1 == "export_sent" { n += $2 } END { print n }'
}
sink_start() {
	SENT_BEFORE=$(events_sent)
	in_ns T target/release/ioamctl events limit rate 1000000 burst 1000000
	in_ns T target/release/ioamctl export limit rate 1000000 burst 1000000
	coproc SINK { exec ip netns exec benchT python3 scripts/bench-sink.py "$1"; }
	local line
	read -r line <&"${SINK[0]}"
	[ "$line" = ready ] || { echo "bench-sink.py: $line" >&2; exit 1; }
	EXPORTER_PIDS=(0 "$SINK_PID")
}
# sink_stop: the sink's count, and the module's: every event delivered.
sink_stop() {
	local line sent
	kill "$SINK_PID"
	read -r line <&"${SINK[0]}"
	wait "$SINK_PID" 2>/dev/null || true
	EXPORTER_PIDS=()
	sent=$(($(events_sent) - SENT_BEFORE))
	echo "bench-sink.py: $line; events sent $sent" >&2
	[[ $line == *" overruns 0" ]] && [ "$sent" = "$packets" ] && return 0
	# The allocation audit counts allocations whatever the listener kept up with.
	[ "$mode" != audit ] || return 0
	exit 1
}
# exporter_drain: waits until ioam-exporter (or the sink) has used no CPU for 0.3 s (it has
# read every event), with shell builtins and sleep only, so that the wait costs next to nothing.
exporter_drain() {
	local pid=${EXPORTER_PIDS[1]} fields used last=-1
	while :; do
		read -r -a fields <"/proc/$pid/stat"
		# utime and stime (fields 14 and 15), after "pid (comm)" without spaces in comm.
		used=$((fields[13] + fields[14]))
		[ "$used" != "$last" ] || break
		last=$used
		sleep 0.3
	done
	echo "ioam-exporter: $used ticks of CPU (user ${fields[13]}, system ${fields[14]})" >&2
}
# Generic netlink sockets in T that joined a group.
netlink_groups() {
	# shellcheck disable=SC2016 # an awk program
	in_ns T awk '$2 == 16 && $4 !~ /^0+$/ { n++ } END { print n + 0 }' /proc/net/netlink
}
exporter_stop() {
	local received
	received=$(in_ns T python3 -c 'import urllib.request
text = urllib.request.urlopen("http://[::1]:9464/metrics").read().decode()
print(sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
          if l.startswith("ioam_exporter_events_received_total")))')
	kill "${EXPORTER_PIDS[1]}"
	wait "${EXPORTER_PIDS[1]}" 2>/dev/null || true
	EXPORTER_PIDS=()
	[ "${received%.*}" = "$packets" ] && return 0
	echo "ioam-exporter received $received of $packets events; T's counters:" >&2
	in_ns T target/release/ioamctl stats | grep -E '^(export|trace_filled)' >&2
	grep -E 'lost|overrun' /tmp/exporter.log | tail -5 >&2
	[ "$mode" != audit ] || return 0
	exit 1
}

# The trace types that fill each size: 8 and 40 bytes with node data alone, 72 and 244 with
# the full trace and a schema of the right length.
trace_of() {
	case $1 in
	8) echo "type 0xc00000 ns $NS_ID size 8" ;;
	40) echo "type 0xff8000 ns $NS_ID size 40" ;;
	72 | 244) echo "type 0xfff002 ns $NS_ID size $1" ;;
	esac
}
schema_of() { case $1 in 72 | 244) echo "$1" ;; *) echo none ;; esac; }

# scenario NAME: A's route, the namespaces and the switches of NAME. Nodes without a part in
# it have no IOAM configuration at all (for ioam_rs.ko: no receive hook there). Every scenario
# starts from no namespace anywhere, so that none inherits state from the one before (for
# ioam_rs.ko: an egress hook registered by an earlier trace stays as long as the namespace).
scenario() {
	local name=$1
	route_plain
	switches_off
	namespaces
	case $name in
	baseline) namespaces ;;
	encap_inline_* | encap_ip6ip6_*)
		local size=${name##*_} m=(inline)
		[[ $name != encap_ip6ip6_tunsrc_* ]] || m=(encap tunsrc 2001:db8:2::1 tundst "$DST")
		[[ $name != encap_ip6ip6_[0-9]* ]] || m=(encap tundst "$DST")
		namespaces A
		schema "$(schema_of "$size")"
		# shellcheck disable=SC2046
		route_ioam mode "${m[@]}" trace prealloc $(trace_of "$size")
		;;
	transit_48_off | transit_48 | transit_48_module | transit_48_events | transit_48_batches | \
		transit_48_export)
		# A inserts 96 bytes and fills 48; T fills the other 48 (or only forwards: _off),
		# switched on with the kernel's sysctl or the module's switch. With _events and
		# _batches, a listener in T that drops what it reads takes every trace's event, one
		# message each or batched (what the module's part costs); with _export, ioam-exporter
		# in T exports every trace (the whole node's cost).
		namespaces A T
		schema none
		route_ioam mode inline trace prealloc type 0xffc000 ns $NS_ID size 96
		case $name in
		transit_48) switch T sysctl ;;
		transit_48_module) switch T module ;;
		transit_48_events)
			switch T module
			sink_start ioam6_events
			;;
		transit_48_batches)
			switch T module
			sink_start ioam6_export
			;;
		transit_48_export)
			switch T module
			exporter_start
			;;
		esac
		;;
	transit_40_off | transit_40)
		# As transit_48_off and transit_48_module, but with a trace type without the fields
		# T completes as the packet leaves (transit delay, queue depth), which the kernel's own
		# code does not measure: A inserts 80 bytes and fills 40, T the other 40.
		namespaces A T
		schema none
		route_ioam mode inline trace prealloc type 0xf5c000 ns $NS_ID size 80
		[ "$name" = transit_40_off ] || switch T module
		;;
	decap_48)
		# A encapsulates (96 bytes, fills 48); R, the tunnel's end, fills the other 48.
		namespaces A R
		schema none
		route_ioam mode encap tundst "$DST" trace prealloc type 0xffc000 ns $NS_ID size 96
		switch R sysctl
		;;
	incremental_48 | dex_44)
		# The module's own options: A inserts an Incremental Trace with its 48-byte entry, T
		# inserts its own (the packet grows); or A inserts a DEX option (Flow ID, Sequence
		# Number; the same fields but the checksum complement, which DEX leaves out: 44 bytes
		# a node) and T, with nobody listening for its export, only checks and counts it.
		namespaces A T
		schema none
		if [ "$name" = incremental_48 ]; then
			route_ioamctl mode inline trace incremental type 0xffc000 ns $NS_ID maxlen 96
		else
			route_ioamctl mode inline dex type 0xfec000 ns $NS_ID flowid 7 seqnum
		fi
		switch T module
		;;
	freq_1000 | freq_1000_ip6ip6)
		local m=(inline)
		[ "$name" = freq_1000 ] || m=(encap tundst "$DST")
		namespaces A
		schema 72
		route_ioam freq 1/1000 mode "${m[@]}" trace prealloc type 0xfff002 ns $NS_ID size 72
		;;
	*) echo "unknown scenario $name" >&2; exit 1 ;;
	esac
}

# The scenarios with a listener come last: after a listener has left, the module still asks
# the kernel for listeners at every trace for a second after the join, then once a jiffy, and
# the scenarios after would inherit some of that (0.01-0.02 k a packet in quick runs).
SCENARIOS=(baseline encap_inline_8 encap_inline_40 encap_inline_72 encap_inline_244
	encap_ip6ip6_8 encap_ip6ip6_40 encap_ip6ip6_72 encap_ip6ip6_244 encap_ip6ip6_tunsrc_8
	transit_48_off transit_48 transit_48_module transit_40_off transit_40 decap_48 incremental_48
	dex_44 freq_1000 freq_1000_ip6ip6 transit_48_events transit_48_batches transit_48_export)
# shellcheck disable=SC2206
[ -z "${IOAM_RS_BENCH_SCENARIOS:-}" ] || SCENARIOS=($IOAM_RS_BENCH_SCENARIOS)

rx_packets() { in_ns R cat /sys/class/net/left/statistics/rx_packets; }
# CPU time spent not idle, in ns (/proc/stat counts in USER_HZ ticks of 10 ms).
busy_ns() { awk '$1 == "cpu" { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 10000000; exit }' /proc/stat; }
# CPU time of the tasks that do the scenario's work, in ns (the kernel's own clocks, exact),
# printed as "WORK PACKET_PATH": the packet path's is that of pktgen's threads, in whose
# context the packets cross every node as softirqs, and of the softirq threads (softirqs
# deferred under load); the work's adds the listener's processes (EXPORTER_PIDS). Apart, the
# packet path's is what the node's forwarding pays with a listener on a CPU of its own.
work_ns() {
	python3 - "${EXPORTER_PIDS[@]}" <<'PY'
import os, sys, time
listener = [int(p) for p in sys.argv[1:] if p != "0"]
path = []
for p in os.listdir("/proc"):
    try:
        comm = open(f"/proc/{p}/comm").read()
    except (OSError, ValueError):
        continue
    if comm.startswith(("kpktgend_", "ksoftirqd/")):
        path.append(int(p))
# A process's CPU-time clock (clock_getcpuclockid(3)): CPUCLOCK_SCHED of PID.
def cpu(pids):
    return sum(time.clock_gettime_ns((~pid << 3) | 2) for pid in pids)
packet_path = cpu(path)
print(packet_path + cpu(listener), packet_path)
PY
}

TR=/sys/kernel/tracing
hist_events=(kmem/kmalloc kmem/kmem_cache_alloc kmem/kmalloc_node kmem/kmem_cache_alloc_node)
audit_start() {
	mountpoint -q $TR || mount -t tracefs nodev $TR
	local e
	for e in "${hist_events[@]}"; do
		[ -e "$TR/events/$e/trigger" ] || continue
		echo 'hist:keys=call_site.sym:vals=hitcount:size=256' >"$TR/events/$e/trigger"
	done
	echo 'hist:keys=order:vals=hitcount' >"$TR/events/kmem/mm_page_alloc/trigger"
}
# audit_stop SCENARIO: appends the counts and removes the triggers (which resets them).
audit_stop() {
	local e
	for e in "${hist_events[@]}"; do
		[ -e "$TR/events/$e/hist" ] || continue
		sed -n 's/^{ call_site: \[[0-9a-f]*\] \([^ ]*\) *} hitcount: *\([0-9]*\)$/\1 \2/p' "$TR/events/$e/hist" |
			while read -r site count; do
				echo "$kernel,$1,$packets,${e#kmem/},${site%%+*},$count"
			done >>"$out/alloc.csv"
		echo '!hist:keys=call_site.sym:vals=hitcount:size=256' >"$TR/events/$e/trigger"
	done
	sed -n 's/^{ order: *\([0-9]*\) *} hitcount: *\([0-9]*\)$/\1 \2/p' "$TR/events/kmem/mm_page_alloc/hist" |
		while read -r order count; do echo "$kernel,$1,$packets,page,order$order,$count"; done >>"$out/alloc.csv"
	echo '!hist:keys=order:vals=hitcount' >"$TR/events/kmem/mm_page_alloc/trigger"
}

# hot_offsets NAME: the samples of NAME in the module, counted per function and offset
# ("COUNT SYMBOL+0xOFFSET"), for scripts/bench-annotate.py to lay over the disassembly.
hot_offsets() {
	[ "$kernel" = ioam-rs ] || return 0
	perf script -i "/tmp/perf-$1.data" -F ip,sym,symoff,dso 2>/dev/null |
		awk '$NF ~ /ioam_rs/ { print $2 }' | sort | uniq -c | sort -rn
}

# Scenarios of the module's own options, which the kernel's own IOAM cannot run.
MODULE_ONLY=" incremental_48 dex_44 transit_48_events transit_48_batches transit_48_export "

for name in "${SCENARIOS[@]}"; do
	[[ $kernel = ioam-rs || $MODULE_ONLY != *" $name "* ]] || continue
	scenario "$name"
	[ "$mode" != audit ] || audit_start
	rx0=$(rx_packets)
	b0=$(busy_ns)
	read -r w0 p0 < <(work_ns)
	t0=$(date +%s%N)
	if [ "$mode" = profile ]; then
		# A prime period (guest instructions under icount): with a round one, a packet loop of
		# a near-constant instruction count is sampled at a few points only (10000 against
		# 13000 instructions: 13 points), which skews small functions' shares.
		perf record -q -a -e cpu-clock -c 10007 -o "/tmp/perf-$name.data" -- \
			ip netns exec benchG sh -c "echo start > $PG/pgctrl" 2>/dev/null
	else
		pg start $PG/pgctrl
	fi
	# With a listener, until it has caught up (idle time is not counted).
	[ ${#EXPORTER_PIDS[@]} = 0 ] || exporter_drain
	t1=$(date +%s%N)
	read -r w1 p1 < <(work_ns)
	b1=$(busy_ns)
	listened=${#EXPORTER_PIDS[@]}
	sleep 0.2
	rx1=$(rx_packets)
	case $name in
	transit_48_export) exporter_stop ;;
	transit_48_events | transit_48_batches) sink_stop ;;
	esac
	if [ "$mode" = audit ]; then
		audit_stop "$name"
	elif [ "$mode" = profile ]; then
		perf report -q -i "/tmp/perf-$name.data" --stdio --no-children --sort dso,sym \
			>"$out/profile-$kernel-$name.txt" 2>/dev/null
		hot_offsets "$name" >"$out/offsets-$kernel-$name.txt"
	else
		echo "$kernel,$name,$packets,$((rx1 - rx0)),$((t1 - t0)),$((b1 - b0)),$((w1 - w0))" >>"$out/speed.csv"
		# With a listener, the packet path alone too: as if the listener had a CPU of its own.
		[ "$listened" = 0 ] ||
			echo "$kernel,${name}_packet_path,$packets,$((rx1 - rx0)),$((t1 - t0)),$((b1 - b0)),$((p1 - p0))" >>"$out/speed.csv"
	fi
	echo "$kernel $name: $((rx1 - rx0)) of $packets packets in $(((t1 - t0) / 1000000)) ms, busy $(((b1 - b0) / 1000000)) ms, work $(((w1 - w0) / 1000)) us" >&2
done
