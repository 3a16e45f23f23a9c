# SPDX-License-Identifier: GPL-2.0
# Transit and decapsulating nodes: the module's netfilter hook fills IOAM traces in received
# packets, on the chain topologies of chain.sh. Sourced by selftests/run.sh.
# shellcheck shell=bash
# shellcheck disable=SC2153 # EVENTS and LAST_TRACE come from chain.sh (sourced by lib.sh)

test_transit_each_bit() {
	chain_topology 1
	local mode bit type size cases=()
	for bit in 0 1 2 3 4 5 6 7 8 9 10 11 22; do
		type=$(printf '0x%06x' $((0x800000 >> bit)))
		size=$(($(node_len "$type") * 4 * 2))
		[ "$bit" -ne 22 ] || size=8 # two snapshot headers: no schema bound
		cases+=("$type:$size")
	done
	for mode in inline encap; do expect_cases "$mode" "$NS_ID" "$(nodes_upto 1)" "${cases[@]}"; done
}

test_transit_every_size() {
	chain_topology 1
	local mode size cases=()
	for size in $(seq 8 4 244); do cases+=("0x800000:$size"); done
	for mode in inline encap; do
		expect_cases "$mode" "$NS_ID" "$(nodes_upto 1)" "${cases[@]}"
		# 4 bytes: room for A's node data only; T1 sets the overflow flag.
		route_trace $mode 0x800000 4
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0x800000 --size 4 $(nodes_upto 0) --overflow
	done
}

# Both ways to switch IOAM on, the full trace with a schema on each node, 8 bytes to spare.
full_trace() {
	chain_topology 1 "$1"
	ip netns exec "$A" "$IOAMCTL" schema add 777 "abcdef"
	ip netns exec "$A" "$IOAMCTL" namespace set "$NS_ID" schema 777
	ip netns exec "$T1" "$IOAMCTL" schema add 0xabcdef "12345678"
	ip netns exec "$T1" "$IOAMCTL" namespace set "$NS_ID" schema 0xabcdef
	local mode size=$(((15 + 1 + 2) * 4 + (15 + 1 + 2) * 4 + 8))
	for mode in inline encap; do
		route_trace $mode 0xfff002 $size
		# shellcheck disable=SC2046
		expect_ping 2 $(check_args $mode) --ns "$NS_ID" --type 0xfff002 --size $size \
			--node "$(node_spec 0),sc=777:616263646566" --node "$(node_spec 1),sc=0xabcdef:3132333435363738"
	done
	check_stat "$T1" trace_filled 4
}

test_transit_full_trace_sysctl() { full_trace sysctl; }

test_transit_full_trace_module() { full_trace module; }

test_transit_namespace_cases() {
	chain_topology 1 module
	local mode
	for mode in inline encap; do
		# Unknown at T1: left untouched.
		ip netns exec "$T1" "$IOAMCTL" namespace del "$NS_ID"
		route_trace $mode 0xc00000 16
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00000 --size 16 $(nodes_upto 0)
		ip netns exec "$T1" "$IOAMCTL" namespace add "$NS_ID" data "$(ns_data 1)" wide "$(ns_wide 1)"
		# No room after A: T1 sets the overflow flag and writes nothing.
		route_trace $mode 0xc00000 8
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00000 --size 8 $(nodes_upto 0) --overflow
		# Overflow already set by A: T1 leaves it alone.
		route_trace $mode 0xc00000 4
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00000 --size 4 --overflow
		# Room for T1's node data but not for its schema; room once the schema is unbound.
		ip netns exec "$T1" "$IOAMCTL" schema add 9 "0011223344556677"
		ip netns exec "$T1" "$IOAMCTL" namespace set "$NS_ID" schema 9
		route_trace $mode 0xc00002 28
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00002 --size 28 $(nodes_upto 0 ,sc=none) --overflow
		ip netns exec "$T1" "$IOAMCTL" namespace set "$NS_ID" schema none
		ip netns exec "$T1" "$IOAMCTL" schema del 9
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00002 --size 28 $(nodes_upto 1 ,sc=none)
		# Switched off at T1's ingress: untouched.
		ip netns exec "$T1" "$IOAMCTL" interface disable left
		# shellcheck disable=SC2046
		expect_ping 1 $(check_args $mode) --ns "$NS_ID" --type 0xc00002 --size 28 $(nodes_upto 0 ,sc=none)
		ip netns exec "$T1" "$IOAMCTL" interface enable left
	done
	check_stat "$T1" trace_unknown_namespace 2
	check_stat "$T1" trace_overflow 4
	check_stat "$T1" trace_already_overflowed 2
	check_stat "$T1" trace_filled 2
}

# Timestamp formats per IOAM namespace (RFC 9197 §5): T1 writes its receive time as POSIX
# (seconds, microseconds), PTP (TAI seconds, nanoseconds; the guest's TAI offset set to 37 s)
# and NTP (seconds since 1900, a binary fraction); ioamctl -j monitor reads each back to UTC.
test_namespace_tsformat() {
	chain_topology 1 module
	local format dir
	dir=$(mktemp -d)
	expect_err "timestamp format 3 is unknown: 0 posix, 1 ptp, 2 ntp" \
		genl_in "$T1" "do" add_namespace u16:ns_id:7 u8:ns_tsformat:3
	expect_err "invalid tsformat \"tai\"" ip netns exec "$T1" "$IOAMCTL" namespace add 7 tsformat tai
	set_tai_offset 37
	route_trace inline 0x300000 16
	for format in posix ptp ntp; do
		ip netns exec "$T1" "$IOAMCTL" namespace del "$NS_ID"
		expect_ok ip netns exec "$T1" "$IOAMCTL" namespace add "$NS_ID" data "$(ns_data 1)" \
			wide "$(ns_wide 1)" tsformat $format
		local suffix=", tsformat $format"
		[ $format != posix ] || suffix=
		check_eq "namespace show" \
			"namespace $NS_ID, data $(ns_data 1), wide $(ns_wide 1)$suffix" \
			"$(ip netns exec "$T1" "$IOAMCTL" namespace show)"
		monitor_start "$T1" "$dir/mon.$format"
		ip netns exec "$A" ping -6 -q -c 2 -i 0.05 -W 1 "$DST" >/dev/null || fail "A -> R, $format"
		monitor_stop
		expect_ok python3 - "$dir/mon.$format" $format "$(date +%s)" <<-'PY'
			import datetime, json, sys
			path, fmt, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
			events = [json.loads(l) for l in open(path) if l.strip()]
			assert len(events) == 2, events
			base, frac_max = {"posix": (0, 10**6), "ptp": (37, 10**9), "ntp": (2208988800, 2**32)}[fmt]
			for ev in events:
			    assert ev.get("tsformat") == (None if fmt == "posix" else fmt), ev
			    me = ev["nodes"][0]
			    assert abs(me["timestamp_secs"] - base - now) < 10, (me, now)
			    assert me["timestamp_frac"] < frac_max, me
			    t = datetime.datetime.strptime(me["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
			    utc = t.replace(tzinfo=datetime.timezone.utc).timestamp()
			    assert abs(utc - now) < 10, (me, now)
			    assert len(me["timestamp"]) == (27 if fmt == "posix" else 30), me
			    # A's entry: a locally generated packet has no receive time.
			    assert ev["nodes"][1]["timestamp_secs"] == 0xFFFFFFFF, ev
		PY
	done
	set_tai_offset 0
	rm -rf "$dir"
}

# RFC 9197 §4.4.2.5, §4.4.2.7: T1 writes its transit delay and queue depth as the packet
# leaves (IPv6 POST_ROUTING), for the transmit queue it leaves by. Its egress hook is
# registered by the first packet that needs it: that one may leave before it is in place,
# every later one must be completed. A rate-limited qdisc on T1's egress builds a backlog,
# which T1's entries must show; R, where the packets end, and A, which keeps no receive time,
# leave the transit delay unavailable; T1's own events, sent on receive, show both unavailable.
test_egress_fields() {
	chain_topology 1 module
	local type=0x8a0000 n=20 dir strict first
	dir=$(mktemp -d)
	strict=$(node_spec 1 | sed 's/,egress=late//')
	route_trace inline $type 24
	expect_ping 1 --mode inline --ns "$NS_ID" --type $type --size 24 --node "$(node_spec 0)" \
		--node "$(node_spec 1)"
	first=$(stat "$T1" egress_completed)
	[ "$first" -le 1 ] || fail "egress_completed $first after one packet"
	expect_ping 3 --mode inline --ns "$NS_ID" --type $type --size 24 --node "$(node_spec 0)" \
		--node "$strict"
	check_stat "$T1" egress_completed $((first + 3))
	# Packets that die at T1 (hop limit 1: filled on receive, never forwarded) leave their
	# entries parked: none is completed, and they do not hide the entries of those that follow.
	local filled
	filled=$(stat "$T1" trace_filled)
	ip netns exec "$A" ping -6 -q -c 3 -t 1 -i 0.05 -W 1 "$DST" >/dev/null 2>&1
	check_stat "$T1" trace_filled $((filled + 3))
	check_stat "$T1" egress_completed $((first + 3))
	expect_ping 3 --mode inline --ns "$NS_ID" --type $type --size 24 --node "$(node_spec 0)" \
		--node "$strict"
	check_stat "$T1" egress_completed $((first + 6))
	ip netns exec "$R" "$IOAMCTL" interface enable left || fail "interface enable on R"
	route_trace inline $type 36
	# The project's kernel has no rate-limiting qdisc (Debian's has, where CI runs this file).
	local backlog=yes
	if ! tc -n "$T1" qdisc add dev right root tbf rate 200kbit burst 1600 limit 100000 2>/dev/null; then
		echo "# no tbf qdisc in this kernel: the backlog is not checked"
		backlog=no
	fi
	monitor_start "$R" "$dir/mon.R"
	monitor_start "$T1" "$dir/mon.T1"
	ip netns exec "$A" ping -6 -q -c $n -i 0.005 -s 1000 -W 5 "$DST" >/dev/null 2>&1
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon.T1" $n --nodes 2 --node "$(node_spec 1)"
	expect_ok python3 - "$dir/mon.R" $n $backlog <<-'PY'
		import json, sys
		events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
		assert len(events) == int(sys.argv[2]), len(events)
		NA = 0xFFFFFFFF
		depths = []
		for ev in events:
		    r, t1, a = ev["nodes"]
		    assert r["transit_delay"] == NA and r["queue_depth"] == NA, r
		    assert a["transit_delay"] == NA and a["queue_depth"] == 0, a
		    assert 0 < t1["transit_delay"] < 10**9, t1
		    assert t1["queue_depth"] != NA and t1["queue_depth"] <= 100000, t1
		    depths.append(t1["queue_depth"])
		# 20 packets of 1,048 bytes every 5 ms into 200 kbit/s: the later ones wait.
		assert max(depths) >= 2 * 1048 if sys.argv[3] == "yes" else max(depths) == 0, depths
		print("# T1's queue depths", depths)
	PY
	check_stat "$T1" egress_completed $((first + 6 + n))
	rm -rf "$dir"
}

# A chain of four transit nodes; each sends one event per packet, equal to what the next hop
# sees, and counts the packets.
test_transit_chain_and_events() {
	chain_topology 4
	local mode k count=5 size=200 type=0xff0000 dir
	dir=$(mktemp -d)
	for mode in inline encap; do
		for k in 1 2 3 4; do
			monitor_start "$(ns_of $k)" "$dir/mon.$mode.$k"
			monitor_start "$(ns_of $k)" "$dir/export.$mode.$k" export
		done
		route_trace $mode $type $size
		# shellcheck disable=SC2046
		expect_ping $count $(check_args $mode) --ns "$NS_ID" --type $type --size $size $(nodes_upto 4)
		local wire=$LAST_TRACE
		monitor_stop
		for k in 1 2 3 4; do
			# In both modes the header carrying the option goes from A's address to R's.
			expect_ok "${EVENTS[@]}" "$dir/mon.$mode.$k" $count --ns "$NS_ID" --nodes $((k + 1)) \
				--node "$(node_spec $k)" --src 2001:db8:1::1 --dst "$DST"
		done
		# The last transit node's event carries exactly the bytes R received.
		expect_ok "${EVENTS[@]}" "$dir/mon.$mode.4" $count --data "$wire"
		local filled=$count
		[ "$mode" = inline ] || filled=$((2 * count))
		for k in 1 2 3 4; do
			check_stat "$(ns_of "$k")" trace_filled "$filled"
			check_same_events "node $k's events, one by one and batched ($mode)" \
				"$dir/mon.$mode.$k" "$dir/export.$mode.$k"
		done
	done
	for k in 1 2 3 4; do
		check_stat "$(ns_of "$k")" export_sent $((2 * count))
		check_stat "$(ns_of "$k")" export_failed 0
	done
	rm -rf "$dir"
}

# The batches for exporters under a burst: many events a message, the same events as one by
# one; the export limit bounds them as the event limit bounds events, every one counted.
test_export_batches() {
	chain_topology 1
	local dir count=500 batches start elapsed_ms most
	dir=$(mktemp -d)
	route_trace inline 0x800000 8
	monitor_start "$T1" "$dir/mon"
	monitor_start "$T1" "$dir/export" export
	# All at once (preloaded), from one CPU: its batch takes events until it is full or its
	# flush timer fires.
	start=$(date +%s%N)
	ip netns exec "$A" taskset -c 0 ping -6 -q -c $count -l $count -i 0.001 -W 2 "$DST" \
		>/dev/null 2>&1
	await_stat "$T1" export_sent $count
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	monitor_stop
	check_same_events "events, one by one and batched" "$dir/mon" "$dir/export"
	check_stat "$T1" events_sent $count
	check_stat "$T1" export_failed 0
	check_stat "$T1" export_rate_limited 0
	batches=$(stat "$T1" export_batches)
	# A batch ends when its 32 KiB are full (an event here takes 88 bytes: more than one
	# message) or when its timer fires, at least 8 ms (two jiffies at HZ 250) after the event
	# that began it. The bound is a timing fact, not a guess: on a kernel fast enough to send
	# the burst within 2.5 s it is below one message per event.
	most=$((elapsed_ms / 5 + count * 88 / 32768 + 2))
	{ [ "$batches" -ge 2 ] && [ "$batches" -le "$most" ]; } ||
		fail "$count events in $batches batches in $elapsed_ms ms (at most $most)"
	expect_err "invalid rate" ip netns exec "$T1" "$IOAMCTL" export limit rate 0 burst 5
	expect_err "export burst 1000001 is out of range" genl_in "$T1" "do" set_export_limit \
		u32:export_rate:1 u32:export_burst:1000001
	expect_ok ip netns exec "$T1" "$IOAMCTL" export limit rate 1 burst 5
	check_stat "$T1" export_rate 1
	check_stat "$T1" export_burst 5
	monitor_start "$T1" "$dir/export.limited" export
	local start=$SECONDS
	ip netns exec "$A" ping -6 -q -c 30 -i 0.01 -W 1 "$DST" >/dev/null 2>&1
	local elapsed=$((SECONDS - start + 1))
	monitor_stop
	local sent limited
	sent=$(($(stat "$T1" export_sent) - count))
	limited=$(stat "$T1" export_rate_limited)
	check_eq "batched events seen and sent" "$sent" "$(wc -l <"$dir/export.limited")"
	check_eq "batched events sent and rate-limited" 30 $((sent + limited))
	{ [ "$sent" -ge 5 ] && [ "$sent" -le $((5 + elapsed)) ]; } ||
		fail "$sent events batched in $elapsed s with rate 1 burst 5"
	rm -rf "$dir"
}

# Below the limit, one event per packet; above it, counted drops.
test_events_rate_limit() {
	chain_topology 1
	local dir count=30
	dir=$(mktemp -d)
	expect_err "invalid rate" ip netns exec "$T1" "$IOAMCTL" events limit rate 0 burst 5
	expect_err "event burst 1000001 is out of range" genl_in "$T1" "do" set_event_limit u32:event_rate:1 u32:event_burst:1000001
	expect_ok ip netns exec "$T1" "$IOAMCTL" events limit rate 1 burst 5
	check_stat "$T1" event_rate 1
	check_stat "$T1" event_burst 5
	route_trace inline 0x800000 8
	monitor_start "$T1" "$dir/mon"
	local start=$SECONDS
	ip netns exec "$A" ping -6 -q -c $count -i 0.01 -W 1 "$DST" >/dev/null 2>&1
	local elapsed=$((SECONDS - start + 1))
	monitor_stop
	local events sent limited
	events=$(wc -l <"$dir/mon")
	sent=$(stat "$T1" events_sent)
	limited=$(stat "$T1" events_rate_limited)
	check_eq "events seen and sent" "$sent" "$events"
	check_eq "events sent and rate-limited" $count $((sent + limited))
	{ [ "$sent" -ge 5 ] && [ "$sent" -le $((5 + elapsed)) ]; } ||
		fail "$sent events in $elapsed s with rate 1 burst 5"
	check_stat "$T1" trace_filled $count
	check_eq "ioamctl -j stats" "$count $sent $limited" "$(ip netns exec "$T1" "$IOAMCTL" -j stats |
		python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["trace_filled"], s["events_sent"], s["events_rate_limited"])')"
}

# jiffies: the kernel's tick count (as /proc/timer_list shows it).
jiffies() { awk '$1 == "jiffies:" { print $2; exit }' /proc/timer_list; }

# Once every listener has left, a node stops asking the kernel for listeners at each trace it
# fills: a burst of traced packets asks at most once a jiffy (a call per group), where a node
# asked at every trace until the module was unloaded. A socket that joins again has its events.
test_listeners_gone() {
	chain_topology 1
	local dir tr=/sys/kernel/tracing count=100 filled asks=- j0 j1
	dir=$(mktemp -d)
	route_trace inline 0x800000 8
	monitor_start "$T1" "$dir/mon"
	ip netns exec "$A" ping -6 -q -c 3 -i 0.05 -W 1 "$DST" >/dev/null 2>&1
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon" 3 --nodes 2
	# More than a second after the join (the time a join has to show), a trace finds nobody.
	sleep 1
	ip netns exec "$A" ping -6 -q -c 1 -W 1 "$DST" >/dev/null 2>&1
	filled=$(stat "$T1" trace_filled)
	mountpoint -q $tr || mount -t tracefs nodev $tr
	# The project's kernel has no kprobe events (Debian's has, where CI runs this file).
	if [ -e $tr/kprobe_events ]; then
		echo '-:ioamrs/ask' >>$tr/kprobe_events 2>/dev/null || true
		echo 'p:ioamrs/ask ioam_rs:ioam_rs_genl_has_listeners' >>$tr/kprobe_events ||
			fail "no kprobe on the module's listener check"
		echo >$tr/trace
		echo 1 >$tr/events/ioamrs/ask/enable
	else
		echo "# no kprobe events in this kernel: the listener checks are not counted"
	fi
	# From one CPU, whose softirq forwards the burst (each CPU may ask once a jiffy).
	j0=$(jiffies)
	ip netns exec "$A" taskset -c 0 ping -6 -q -c $count -l $count -i 0.001 -W 2 "$DST" \
		>/dev/null 2>&1
	j1=$(jiffies)
	if [ -e $tr/kprobe_events ]; then
		echo 0 >$tr/events/ioamrs/ask/enable
		asks=$(grep -c ' ask:' $tr/trace)
		echo '-:ioamrs/ask' >>$tr/kprobe_events
	fi
	check_stat "$T1" trace_filled $((filled + count))
	if [ "$asks" != - ]; then
		{ [ -n "$j0" ] && [ -n "$j1" ]; } || fail "no jiffies in /proc/timer_list"
		local ticks=$((j1 - j0 + 1))
		echo "# $asks listener checks for $count traces in $ticks jiffies"
		[ "$asks" -le $((2 * ticks)) ] ||
			fail "$asks listener checks for $count traces in $ticks jiffies"
		# Asking at every trace would pass where every trace had a jiffy of its own.
		[ "$ticks" -lt "$count" ] || echo "# the burst was too slow to tell"
	fi
	monitor_start "$T1" "$dir/mon.again"
	ip netns exec "$A" ping -6 -q -c 3 -i 0.05 -W 1 "$DST" >/dev/null 2>&1
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon.again" 3 --nodes 2
	rm -rf "$dir"
}

# The module's switch: set, shown, refused for what does not exist, forgotten with the interface.
test_interface_switch() {
	chain_topology 1 none
	check_eq "no switch on" "" "$(ip netns exec "$T1" "$IOAMCTL" interface show)"
	expect_ok ip netns exec "$T1" "$IOAMCTL" interface enable left
	expect_ok ip netns exec "$T1" "$IOAMCTL" interface enable left
	local idx
	idx=$(ip netns exec "$T1" cat /sys/class/net/left/ifindex)
	check_eq "switch shown" "dev left ifindex $idx ioam on" "$(ip netns exec "$T1" "$IOAMCTL" interface show)"
	check_eq "switch shown (json)" "[{\"dev\":\"left\",\"ifindex\":$idx,\"ioam\":true}]" \
		"$(ip netns exec "$T1" "$IOAMCTL" -j interface show)"
	expect_err 'cannot find device "nosuch"' ip netns exec "$T1" "$IOAMCTL" interface enable nosuch
	expect_err "interface 9999 does not exist in this network namespace" genl_in "$T1" "do" set_interface u32:ifindex:9999 u8:if_enabled:1
	expect_err "neither 0 (off) nor 1 (on)" genl_in "$T1" "do" set_interface u32:ifindex:"$idx" u8:if_enabled:2
	expect_err "missing on or off" genl_in "$T1" "do" set_interface u32:ifindex:"$idx"
	# Another network namespace has its own switches.
	check_eq "other netns" "" "$(ip netns exec "$R" "$IOAMCTL" interface show)"
	route_trace inline 0x800000 8
	# shellcheck disable=SC2046
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0x800000 --size 8 $(nodes_upto 1)
	expect_ok ip netns exec "$T1" "$IOAMCTL" interface disable left
	check_eq "switch off" "" "$(ip netns exec "$T1" "$IOAMCTL" interface show)"
	# shellcheck disable=SC2046
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0x800000 --size 8 $(nodes_upto 0)
	expect_ok ip netns exec "$T1" "$IOAMCTL" interface enable left
	ip -n "$T1" link add dummy0 type dummy
	expect_ok ip netns exec "$T1" "$IOAMCTL" interface enable dummy0
	ip -n "$T1" link del dummy0
	check_eq "deleted interface forgotten" "dev left ifindex $idx ioam on" \
		"$(ip netns exec "$T1" "$IOAMCTL" interface show)"
}

# Encap mode ends at R, which fills its data, decapsulates and forwards the inner packet out of
# the domain to D, without IOAM. An inline trace to R is filled by R as the destination.
test_decap_and_domain_edge() {
	chain_topology 1
	stub_network D "$R"
	ip -n "$T1" -6 route add 2001:db8:99::/64 via 2001:db8:2::2
	ip netns exec "$R" sysctl -qw net.ipv6.conf.left.ioam6_enabled=1
	ip -n "$A" -6 route add 2001:db8:99::/64 encap ioam6 mode encap tundst "$DST" \
		trace prealloc type 0xf20000 ns "$NS_ID" size 60 via 2001:db8:1::2 dev right
	local dir r_node
	r_node="hop=62,id=$(node_id 2),in=$(if_id 2 1),out=0xffff,nsd=$(ns_data 2),qd=0xffffffff"
	dir=$(mktemp -d)
	monitor_start "$R" "$dir/mon"
	ip netns exec "$D" "${CHECK[@]}" left 3 --absent --ready "$dir/ready" >"$dir/d.out" 2>&1 &
	local d=$!
	for _ in $(seq "$(wait_s 50)"); do [ -e "$dir/ready" ] && break; sleep 0.1; done
	ip netns exec "$A" ping -6 -q -c 3 -i 0.05 -W 1 2001:db8:99::2 >/dev/null 2>&1 ||
		fail "no answer from D through the tunnel"
	wait $d || fail "D: $(cat "$dir/d.out")"
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon" 3 --ns "$NS_ID" --nodes 3 --node "$r_node"
	# Inline to R: the destination fills its data too.
	monitor_start "$R" "$dir/mon2"
	route_trace inline 0xf20000 60
	# shellcheck disable=SC2046
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0xf20000 --size 60 $(nodes_upto 1)
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon2" 2 --ns "$NS_ID" --nodes 3 --node "$r_node"
	# An edge interface with IOAM off: R's switch off, nothing filled and no event.
	ip netns exec "$R" sysctl -qw net.ipv6.conf.left.ioam6_enabled=0
	monitor_start "$R" "$dir/mon3"
	# shellcheck disable=SC2046
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0xf20000 --size 60 $(nodes_upto 1)
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon3" 0
	check_stat "$R" trace_filled 5
}

# T1's receive hook comes and goes with its namespace and its module switch while a flood of
# traced packets passes, and the kernel's ioam6_enabled, which notifies nobody, is flipped
# meanwhile: T1 fills exactly when it has the namespace and either switch on. The flood's
# trace has a queue depth, so the egress hook comes back with the traffic each time and goes
# with the receive hook.
test_receive_hook_under_traffic() {
	chain_topology 1 none
	route_trace inline 0x820000 16
	local t1=(ip netns exec "$T1") flood unknown
	ip netns exec "$A" ping -6 -q -i 0.005 -w "$(wait_s 300)" "$DST" >/dev/null 2>&1 &
	flood=$!
	for _ in $(seq 6); do
		expect_ok "${t1[@]}" "$IOAMCTL" namespace del "$NS_ID" # the hook goes
		"${t1[@]}" sysctl -qw net.ipv6.conf.left.ioam6_enabled=1
		expect_ok "${t1[@]}" "$IOAMCTL" interface enable left # it comes back
		expect_ok "${t1[@]}" "$IOAMCTL" namespace add "$NS_ID" data "$(ns_data 1)" wide "$(ns_wide 1)"
		"${t1[@]}" sysctl -qw net.ipv6.conf.left.ioam6_enabled=0
		expect_ok "${t1[@]}" "$IOAMCTL" interface disable left # it stays, for the namespace
	done
	kill "$flood"
	wait "$flood" 2>/dev/null || true
	[ "$(stat "$T1" trace_filled)" -gt 0 ] || fail "T1 filled nothing while the flood ran"
	[ "$(stat "$T1" egress_completed)" -gt 0 ] || fail "T1 completed nothing while the flood ran"
	check_receive_hooks "$T1" 2 "with a namespace, after traffic that needs the egress hook"
	route_trace inline 0x800000 8
	# shellcheck disable=SC2046
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0x800000 --size 8 $(nodes_upto 0)
	"${t1[@]}" sysctl -qw net.ipv6.conf.left.ioam6_enabled=1
	# shellcheck disable=SC2046
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0x800000 --size 8 $(nodes_upto 1)
	# Switched on, without the namespace: the options are looked at and left alone.
	expect_ok "${t1[@]}" "$IOAMCTL" namespace del "$NS_ID"
	expect_ok "${t1[@]}" "$IOAMCTL" interface enable left
	unknown=$(stat "$T1" trace_unknown_namespace)
	# shellcheck disable=SC2046
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0x800000 --size 8 $(nodes_upto 0)
	check_stat "$T1" trace_unknown_namespace $((unknown + 2))
	expect_ok "${t1[@]}" "$IOAMCTL" interface disable left
	check_receive_hooks "$T1" 0 "with no work left"
}

# The exporter under faults, over TCP: its collector stopped and restarted during traffic, the
# exporter killed and restarted, a burst over the export limit. Nothing crashes; every event an
# exporter read is exported or counted lost, and so is every event over the limit.
test_export_faults() {
	chain_topology 1 module
	local dir t1=(ip netns exec "$T1") collector exporter traffic before
	dir=$(mktemp -d)
	route_trace inline 0x800000 8
	# A collector that reads and drops (the exporter's records are checked in export_ipfix),
	# listening when this returns.
	collector_start() {
		"${t1[@]}" python3 -c 'import socket
s = socket.create_server(("127.0.0.1", 4739), reuse_port=True)
while True:
    c, _ = s.accept()
    while c.recv(65536):
        pass' &
		collector=$!
		for _ in $(seq "$(wait_s 300)"); do
			[ -z "$("${t1[@]}" ss -Hltn 'sport = :4739')" ] || return 0
			sleep 0.1
		done
		fail "the collector did not listen"
	}
	exporter_start() {
		before=$(listening_sockets "$T1")
		"${t1[@]}" "$REPO_ROOT/target/release/ioam-exporter" --collector tcp://127.0.0.1:4739 \
			--metrics-listen 127.0.0.1:9464 --flush-ms 20 --module-stats-interval 0 \
			2>>"$dir/exporter.log" &
		exporter=$!
		for _ in $(seq "$(wait_s 300)"); do
			[ "$(listening_sockets "$T1")" -le "$before" ] || return 0
			sleep 0.1
		done
		fail "ioam-exporter did not join the export group: $(cat "$dir/exporter.log")"
	}
	# metrics_check PYTHON_CONDITION: waits until the metrics (dict m, by series) meet it.
	metrics_check() {
		"${t1[@]}" python3 - "$1" "$(wait_s 30)" >"$dir/check" 2>&1 <<-'EOF' ||
		import sys, time, urllib.request
		cond, wait = sys.argv[1], int(sys.argv[2])
		m = {}
		for _ in range(wait * 10):
		    try:
		        text = urllib.request.urlopen("http://127.0.0.1:9464/metrics").read().decode()
		        m = {k: float(v) for k, v in (l.rsplit(" ", 1) for l in text.splitlines() if l and l[0] != "#")}
		        g = lambda k: m.get(k, 0.0)
		        if eval("(" + cond + ")"):
		            sys.exit(0)
		    except OSError:
		        pass
		    time.sleep(0.1)
		sys.exit(f"not met: {cond}; metrics: { {k: v for k, v in m.items() if 'ioam_exporter' in k and 'bucket' not in k} }")
		EOF
			fail "$(cat "$dir/check")"
	}
	collector_start
	exporter_start
	# Connected before the traffic, so that the restart below is its second connection.
	metrics_check "g('ioam_exporter_collector_up') == 1"
	ip netns exec "$A" ping -6 -q -c 150 -i 0.02 -W 1 "$DST" >/dev/null 2>&1 &
	traffic=$!
	sleep 1
	kill "$collector"
	wait "$collector" 2>/dev/null || true
	sleep 1
	collector_start
	wait "$traffic" || true
	# Every event read became its records (a path record and one per node), sent or lost
	# together; the collector came back.
	metrics_check "g('ioam_exporter_collector_up') == 1 and g('ioam_exporter_collector_connects_total') >= 2
and g('ioam_exporter_events_received_total{kind=\"trace\"}') == 150
and g('ioam_exporter_records_exported_total{template=\"path\"}')
    + g('ioam_exporter_events_lost_total{reason=\"collector_unreachable\"}') == 150
and g('ioam_exporter_events_lost_total{reason=\"collector_unreachable\"}') > 0
and g('ioam_exporter_records_lost_total{reason=\"collector_unreachable\"}')
    == 3 * g('ioam_exporter_events_lost_total{reason=\"collector_unreachable\"}')"
	check_stat "$T1" export_sent 150
	# Killed and started again: the new one reads what follows.
	kill -KILL "$exporter"
	wait "$exporter" 2>/dev/null || true
	exporter_start
	expect_ok ip netns exec "$A" ping -6 -q -c 20 -i 0.02 -W 1 "$DST"
	metrics_check "g('ioam_exporter_events_received_total{kind=\"trace\"}') == 20
and g('ioam_exporter_records_exported_total{template=\"path\"}') == 20"
	# A burst over the export limit: what the kernel did not batch is the exporter's loss too.
	expect_ok "${t1[@]}" "$IOAMCTL" export limit rate 1 burst 10
	ip netns exec "$A" ping -6 -q -c 50 -l 50 -i 0.001 -W 2 "$DST" >/dev/null 2>&1
	local limited
	limited=$(stat "$T1" export_rate_limited)
	[ "$limited" -ge 38 ] || fail "$limited of 50 events over the limit"
	metrics_check "g('ioam_exporter_events_lost_total{reason=\"rate_limit\"}') == $limited
and g('ioam_exporter_events_received_total{kind=\"trace\"}') == 20 + 50 - $limited"
	kill "$exporter" "$collector"
	wait "$exporter" "$collector" 2>/dev/null || true
	grep -qi panick "$dir/exporter.log" && fail "ioam-exporter: $(grep -i panick "$dir/exporter.log")"
	rm -rf "$dir"
}

# ioam-exporter in T2 joins the module's events and exports them to nfacctd (pmacct, with
# the shipped element file) over UDP: the collector stores each node's exact data. Its metrics
# count every event and record, none lost; a histogram of T1 -> T2's delay has every packet
# (A's own packets carry no receive time: that pair is unavailable); the module's counters are
# those `ioamctl stats` shows. SIGTERM ends it with status 0.
test_export_ipfix() {
	chain_topology 2 module
	local type=0xb40000 n=5 dir port=4739 t2=(ip netns exec "$T2") exporter nfacctd prometheus status before
	command -v nfacctd >/dev/null || fail "nfacctd not found (scripts/provision.sh installs pmacct)"
	dir=$(mktemp -d)
	# The shipped example, with this test's paths and its address.
	sed -e "s|^nfacctd_ip: .*|nfacctd_ip: 127.0.0.1|" -e "s|/var/log/|$dir/|" -e "s|/var/lib/pmacct/|$dir/|" \
		-e "s|/usr/local/share/doc/ioam-exporter/|$REPO_ROOT/exporter/elements/|" \
		-e "s|^print_refresh_time\[ioam\]: .*|print_refresh_time[ioam]: 1|" \
		"$REPO_ROOT/exporter/nfacctd.conf.example" >"$dir/nfacctd.conf"
	# Its own process group: the core and its print plugin are stopped together.
	"${t2[@]}" setsid nfacctd -f "$dir/nfacctd.conf" >/dev/null 2>&1 &
	nfacctd=$!
	# Prometheus scrapes the exporter every second (exporter/prometheus.yml.example's job).
	sed 's/scrape_interval: .*/scrape_interval: 1s/; s/\[::1\]:9464/127.0.0.1:9464/' \
		"$REPO_ROOT/exporter/prometheus.yml.example" >"$dir/prometheus.yml"
	"${t2[@]}" prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
		--web.listen-address=127.0.0.1:9090 >"$dir/prometheus.log" 2>&1 &
	prometheus=$!
	# Its core and print plugin take seconds to start under TCG, more beside other guests.
	for _ in $(seq "$(wait_s 600)"); do
		grep -q 'JSON: setting object handlers' "$dir/nfacctd-ioam.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q 'JSON: setting object handlers' "$dir/nfacctd-ioam.log" ||
		fail "nfacctd did not start: $(tail -5 "$dir/nfacctd-ioam.log" 2>&1 | tr '\n' ' ')"
	before=$(listening_sockets "$T2")
	"${t2[@]}" "$REPO_ROOT/target/release/ioam-exporter" --collector "udp://127.0.0.1:$port" \
		--metrics-listen 127.0.0.1:9464 --flush-ms 50 --module-stats-interval 0 \
		2>"$dir/exporter.log" &
	exporter=$!
	# Ready once it has joined the events group.
	for _ in $(seq "$(wait_s 600)"); do
		[ "$(listening_sockets "$T2")" -le "$before" ] || break
		sleep 0.1
	done
	[ "$(listening_sockets "$T2")" -gt "$before" ] ||
		fail "ioam-exporter did not join the events group: $(cat "$dir/exporter.log")"
	route_trace inline $type 48
	# shellcheck disable=SC2046
	expect_ping $n --mode inline --ns "$NS_ID" --type $type --size 48 $(nodes_upto 2)
	"${t2[@]}" "$IOAMCTL" -j stats >"$dir/stats.json"
	# The metrics: every event exported, a path record and three hop records each.
	"${t2[@]}" python3 - "$n" "$NS_ID" "$(node_id 1)" "$(node_id 2)" "$dir/stats.json" \
		>"$dir/metrics.check" 2>&1 <<-'EOF' || fail "metrics: $(cat "$dir/metrics.check")"
	import json, sys, time, urllib.request
	n, ns, t1, t2, stats = int(sys.argv[1]), sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4], 16), sys.argv[5]
	pair = f'namespace="{ns}",from_node="{t1}",to_node="{t2}"'
	want = {
	    'ioam_exporter_events_received_total{kind="trace"}': n,
	    'ioam_exporter_records_exported_total{template="path"}': n,
	    'ioam_exporter_records_exported_total{template="hop"}': 3 * n,
	    "ioam_exporter_hop_delay_seconds_count{" + pair + "}": n,
	    'ioam_exporter_hop_delay_unavailable_total{namespace="' + ns + '"}': n,
	}
	counters = json.load(open(stats))
	counters = counters.get("counters", counters)
	for name in ("trace_filled", "events_sent"):
	    want['ioam_module_counter_total{name="' + name + '"}'] = counters[name]
	for _ in range(100):
	    text = urllib.request.urlopen("http://127.0.0.1:9464/metrics").read().decode()
	    got = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
	    if all(float(got.get(k, "nan")) == v for k, v in want.items()):
	        break
	    time.sleep(0.1)
	lost = {k: v for k, v in got.items() if "_lost_total" in k and float(v) != 0}
	bad = {k: got.get(k) for k, v in want.items() if float(got.get(k, "nan")) != v}
	if bad or lost:
	    sys.exit(f"expected {want}, got {bad}; lost {lost}")
	delay = float(got["ioam_exporter_hop_delay_seconds_sum{" + pair + "}"]) / n
	if not 0 < delay < 1:
	    sys.exit(f"mean delay T1 -> T2 {delay} s")
	EOF
	# Prometheus's query API: the same series, scraped.
	"${t2[@]}" python3 - "$n" "$NS_ID" "$(node_id 1)" "$(node_id 2)" "$(wait_s 60)" \
		>"$dir/prometheus.check" 2>&1 <<-'EOF' ||
	import json, sys, time, urllib.parse, urllib.request
	n, ns, t1, t2, wait = int(sys.argv[1]), sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4], 16), int(sys.argv[5])
	want = {
	    'ioam_exporter_events_received_total{kind="trace"}': n,
	    'sum(ioam_exporter_events_lost_total) or vector(0)': 0,
	    'ioam_exporter_hop_delay_seconds_count{namespace="%s",from_node="%d",to_node="%d"}' % (ns, t1, t2): n,
	    'ioam_exporter_trace_hops_count{namespace="%s"}' % ns: n,
	}
	got = {}
	for _ in range(wait * 10):
	    for query in want:
	        try:
	            url = "http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(query)
	            result = json.load(urllib.request.urlopen(url))["data"]["result"]
	            got[query] = float(result[0]["value"][1]) if result else None
	        except OSError as e:
	            got[query] = str(e)
	    if got == want:
	        sys.exit(0)
	    time.sleep(0.1)
	sys.exit(f"wanted {want}, got {got}")
	EOF
		fail "prometheus: $(cat "$dir/prometheus.check") $(tail -3 "$dir/prometheus.log")"
	# Packets A forwards: A records when it received them, T2's path records carry the delay
	# from there (RFC 9951). From S behind A; R does not route the replies back.
	stub_network S "$A"
	ip netns exec "$S" ping -6 -q -c 3 -i 0.05 -W 1 "$DST" >/dev/null 2>&1 || true
	kill "$prometheus"
	wait "$prometheus" 2>/dev/null || true
	kill -TERM "$exporter"
	status=0
	wait "$exporter" || status=$?
	[ "$status" = 0 ] || fail "ioam-exporter exited with $status on SIGTERM: $(cat "$dir/exporter.log")"
	# The collector's records (printed once a second): the three entries of A's pings, exact.
	python3 - "$dir/ioam-records.json" 2001:db8:1::1 "$DST" "$(node_id 0)" "$(ns_data 0)" \
		"$(node_id 1)" "$(ns_data 1)" "$(node_id 2)" "$(ns_data 2)" >"$dir/records.check" 2>&1 <<-'EOF' ||
	import json, sys, time
	path, src, dst, *ids = sys.argv[1:]
	want = [
	    {"ip_src": src, "ip_dst": dst, "ioam_event_kind": 1, "ioam_hop_index": k,
	     "ioam_hop_limit": 64 - k, "ioam_node_id": int(ids[2 * k], 16),
	     "ioam_namespace_data": int(ids[2 * k + 1], 16)}
	    for k in range(3)
	]
	records = []
	for _ in range(200):
	    try:
	        records = [json.loads(l) for l in open(path) if l.strip()]
	    except FileNotFoundError:
	        pass
	    # nfacctd 1.7.7 prints its custom primitives as strings.
	    # S's packets: path records with the delay from A to T2 (one packet each: the three
	    # equal), at least a microsecond (records of equal delays are aggregated).
	    delays = [
	        {k: r.get("path_delay_%s_delta_microseconds" % k) for k in ("mean", "min", "max")}
	        for r in records
	        if r.get("ip_src") == "2001:db8:99::2" and r.get("ioam_hop_count") == "3"
	    ]
	    if (all(any(all(r.get(k) == str(v) for k, v in w.items()) for r in records) for w in want)
	            and delays
	            and all(d["mean"] == d["min"] == d["max"] and int(d["mean"] or 0) >= 1 for d in delays)):
	        sys.exit(0)
	    time.sleep(0.1)
	sys.exit(f"wanted {want} and the path delays of the forwarded packets among {records}")
	EOF
		fail "collector: $(cat "$dir/records.check")"
	kill -KILL -- -"$nfacctd"
	wait "$nfacctd" 2>/dev/null || true
	rm -rf "$dir"
}

test_malformed_module() { malformed_seeds module prerouting; }

test_malformed_sysctl() { malformed_seeds sysctl inline; }

# Two IOAM options in one Hop-by-Hop header: both filled, one event each.
test_transit_two_options() {
	chain_topology 1 module
	ip netns exec "$T1" "$IOAMCTL" namespace add 124
	local mac dir
	mac=$(ip netns exec "$T1" cat /sys/class/net/left/address)
	dir=$(mktemp -d)
	monitor_start "$T1" "$dir/mon"
	monitor_start "$T1" "$dir/mon.text" text
	echo "3 --count-traced --timeout $(wait_s 20)" >&"${CHECKER[1]}"
	local line
	checker_ready
	# The second option's reserved octet after the trace type is set: events carry it as received.
	expect_ok ip netns exec "$A" "${SEND[@]}" right --dst-mac "$mac" --src 2001:db8:1::1 --dst "$DST" --count 3 \
		--opt trace:ns="$NS_ID",type=0xc00000,size=16 --opt trace:ns=124,type=0x800000,size=8,rsvd=0xab
	read -r -t "$(wait_s 60)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	check_eq "packets at R" "traced 3 untraced 0" "$line"
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon" 6 --nodes 1 --node "hop=63,id=$(node_id 1)"
	check_eq "namespaces of the events" "123 124 123 124 123 124" \
		"$(python3 -c 'import json,sys; print(*[json.loads(l)["namespace"] for l in open(sys.argv[1])])' "$dir/mon")"
	check_eq "trace type words of the events (ip ioam monitor's text)" \
		"0xc0000000 0x800000ab 0xc0000000 0x800000ab 0xc0000000 0x800000ab" \
		"$(sed -n 's/.* Type=\(0x[0-9a-f]*\) .*/\1/p' "$dir/mon.text" | xargs)"
	check_stat "$T1" trace_filled 6
}

# expect_sent "COUNT CHECK-ARGS" SEND-ARGS...: A sends crafted packets (ioam_send.py) to T1;
# R must see them as ioam_check.py's CHECK-ARGS say.
expect_sent() {
	local check=$1 line mac
	shift
	mac=$(ip netns exec "$T1" cat /sys/class/net/left/address)
	echo "$check" >&"${CHECKER[1]}"
	checker_ready
	expect_ok ip netns exec "$A" "${SEND[@]}" right --dst-mac "$mac" --src 2001:db8:1::1 --dst "$DST" "$@"
	read -r -t "$(wait_s 60)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	[[ "$line" == ok* ]] || fail "$check: $line"
	LAST_TRACE=${line##* trace }
}

# Incremental Trace options (RFC 9197 §4.4): each transit node inserts its entry, newest first,
# the Hop-by-Hop header kept 8n long by the padding in front of the option; no room
# (RemainingLen, the egress MTU) sets the Overflow flag; a malformed option drops the packet.
test_transit_incremental() {
	chain_topology 2 module
	local inc="ns=$NS_ID,size=0,ioamtype=1" two dir
	two="--node $(node_spec 1) --node $(node_spec 2)"
	# A NodeLen that does not match the type: dropped by T1, counted.
	expect_ok ip netns exec "$A" "${SEND[@]}" right --dst-mac "$(ip netns exec "$T1" cat /sys/class/net/left/address)" \
		--src 2001:db8:1::1 --dst "$DST" --opt trace:"$inc",type=0xc00000,remlen=20,nodelen=3
	# 8-byte entries: the header grows by 8 at each hop; an option behind stays as it was.
	# T2's events carry both nodes, as R receives them.
	dir=$(mktemp -d)
	monitor_start "$T2" "$dir/mon"
	expect_sent "3 --ns $NS_ID --type 0xc00000 --incremental 20 $two --after 3e021122" \
		--count 3 --opt trace:"$inc",type=0xc00000,remlen=20 --opt raw:3e021122
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon" 3 --ns "$NS_ID" --nodes 2 --node "$(node_spec 2)" --data "$LAST_TRACE"
	# 4-byte entries: the padding in front shrinks (no growth) or grows by 4.
	expect_sent "1 --ns $NS_ID --type 0x800000 --incremental 3 $two" \
		--opt padn:6 --opt trace:"$inc",type=0x800000,remlen=3 --no-align
	expect_sent "1 --ns $NS_ID --type 0x800000 --incremental 3 $two" --opt trace:"$inc",type=0x800000,remlen=3
	# Timestamps and a UDP payload.
	expect_sent "1 --ns $NS_ID --type 0xf00000 --incremental 8 $two" --payload udp --opt trace:"$inc",type=0xf00000,remlen=8
	# Room for T1 only: T2 sets the Overflow flag.
	expect_sent "1 --ns $NS_ID --type 0xc00000 --incremental 3 --node $(node_spec 1) --overflow" \
		--opt trace:"$inc",type=0xc00000,remlen=3
	# Room in RemainingLen, but not in the 1500-byte MTU after T1's 8 bytes.
	expect_sent "1 --ns $NS_ID --type 0xc00000 --incremental 20 --node $(node_spec 1) --overflow" \
		--total 1492 --opt trace:"$inc",type=0xc00000,remlen=20
	# Overflowed already: left alone.
	expect_sent "1 --ns $NS_ID --type 0xc00000 --incremental 20 --overflow" --opt trace:"$inc",type=0xc00000,remlen=20,o=1
	check_stat "$T1" drop_node_len 1
	check_stat "$T1" trace_inserted 8
	check_stat "$T2" trace_inserted 6
	check_stat "$T1" trace_overflow 0
	check_stat "$T2" trace_overflow 2
	check_stat "$T1" trace_already_overflowed 1
	check_stat "$T2" trace_already_overflowed 1
	check_stat "$T1" trace_filled 0
}

# The encapsulating node's Incremental Trace (a route attribute of the module's own, which
# stock iproute2 cannot say: ioamctl route): A starts the option with its own entry, each
# transit node inserts its entry in front, R checks them all, inline and encap.
test_encap_incremental() {
	chain_topology 2 module
	local mode margs prefix=2001:db8:3::/64 next="via 2001:db8:1::2 dev right"
	local route=(ip netns exec "$A" "$IOAMCTL" route)
	ip -n "$A" -6 route del "$prefix"
	# R keeps every traced packet for tshark (Wireshark's dissector), run at the end.
	capture_start "$R" "ip6 dst host $DST and ip6[6] == 0"
	for mode in inline encap auto; do
		margs="mode $mode"
		[ "$mode" = inline ] || margs="mode $mode tundst $DST"
		# 8-byte entries, room for 40 bytes. (A's own packets are local: auto inserts inline.)
		# shellcheck disable=SC2086
		expect_ok "${route[@]}" add "$prefix" encap ioam6 $margs \
			trace incremental type 0xc00000 ns "$NS_ID" maxlen 40 $next
		check_eq "ioamctl route show" \
			"$prefix encap ioam6 freq 1/1 $margs trace incremental type 0xc00000 ns $NS_ID maxlen 40 $next" \
			"$("${route[@]}" show)"
		# shellcheck disable=SC2046
		expect_ping 2 $(check_args "${mode/auto/inline}") --ns "$NS_ID" --type 0xc00000 --incremental 10 $(nodes_upto 2)
		expect_ok "${route[@]}" del "$prefix"
	done
	# Room for A and T1 only: T2 sets the Overflow flag. iproute2 shows "encap ioam6" alone.
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" add "$prefix" encap ioam6 trace incremental type 0x800000 ns "$NS_ID" maxlen 8 $next
	# shellcheck disable=SC2046
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0x800000 --incremental 2 $(nodes_upto 1) --overflow
	local shown
	shown=$(ip -n "$A" -6 route show "$prefix")
	[[ "$shown" == *"encap ioam6 via"* ]] || fail "ip route show: $shown"
	# Room for nothing: A sets the Overflow flag itself.
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" replace "$prefix" encap ioam6 trace incremental type 0xc00000 ns "$NS_ID" maxlen 4 $next
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0xc00000 --incremental 1 --overflow
	check_stat "$T1" trace_inserted 7
	check_stat "$T2" trace_inserted 6
	check_stat "$T2" trace_overflow 1
	check_stat "$T1" trace_already_overflowed 1
	# A pre-allocated trace through the same command, shown by both tools.
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" replace "$prefix" encap ioam6 freq 1/2 trace prealloc type 0x800000 ns "$NS_ID" size 12 $next
	shown=$(ip -n "$A" -6 route show "$prefix")
	[[ "$shown" == *"encap ioam6 freq 1/2 mode inline trace prealloc type 0x800000 ns $NS_ID size 12 via"* ]] ||
		fail "ip route show: $shown"
	# shellcheck disable=SC2046
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0x800000 --size 12 $(nodes_upto 2)
	capture_stop
	# Per frame: the option decoded and the errors tshark reports. Wireshark (4.0) checks an
	# Incremental Trace's RemainingLen as a Pre-allocated one's, against the data present:
	# that error alone is not counted for incremental frames (RFC 9197 §4.4.1: it is the room
	# left for growth).
	local verdicts
	verdicts=$(tshark -r "$CAPTURE" -V 2>&1 | awk '
		/^Frame [0-9]+:/ { if (n++) print kind, errors; kind = "none"; errors = 0 }
		/Option-Type: Pre-allocated Trace/ { kind = "prealloc" }
		/Option-Type: Incremental Trace/ { kind = "incremental" }
		/Malformed/ { errors++ }
		/Expert Info \(Error/ && !(kind == "incremental" && /IOAM RemLen: Invalid length/) { errors++ }
		END { if (n) print kind, errors }' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
	check_eq "tshark's decoding (frames, option, errors)" " 8 incremental 0, 1 prealloc 0," "$verdicts"
	rm -f "$CAPTURE"
	check_eq "ioamctl -j route show" '[{"dst":"2001:db8:3::/64","encap":"ioam6","freqk":1,"freqn":2,"mode":"inline","trace":"prealloc","type":"0x800000","ns":123,"size":12,"gateway":"2001:db8:1::2","dev":"right"}]' \
		"$(ip netns exec "$A" "$IOAMCTL" -j route show)"
	# The kernel's refusals come back with its message.
	# shellcheck disable=SC2086
	expect_err "ioamctl: File exists" "${route[@]}" add "$prefix" encap ioam6 \
		trace incremental type 0xc00000 ns "$NS_ID" maxlen 4 $next
}

# A Direct Export option (RFC 9326) from A in every mode, through T1 and T2 (both with the
# namespace and the module's switch on): the Hop-by-Hop header R receives is the one A sent,
# byte for byte, with the route's Flow ID and consecutive Sequence Numbers from 0 per route;
# T1, T2 and R (the destination, or the tunnel's end) each export their own data for every
# packet as a DEX event; tshark decodes the packets without an error.
test_encap_dex() {
	chain_topology 2 module
	local mode margs k dir prefix=2001:db8:3::/64 next="via 2001:db8:1::2 dev right"
	local route=(ip netns exec "$A" "$IOAMCTL" route)
	# R's own node data: only what does not depend on how the packet reached it.
	local r_node
	r_node="hop=61,id=$(node_id 3),in=$(if_id 3 1)"
	switch_on "$R" left module
	dir=$(mktemp -d)
	ip -n "$A" -6 route del "$prefix"
	capture_start "$R" "ip6 dst host $DST and ip6[6] == 0"
	for mode in inline encap auto; do
		margs="mode $mode"
		[ "$mode" = inline ] || margs="mode $mode tundst $DST"
		# shellcheck disable=SC2086
		expect_ok "${route[@]}" add "$prefix" encap ioam6 $margs \
			dex type 0xf00000 ns "$NS_ID" flowid 77 seqnum $next
		check_eq "ioamctl route show" \
			"$prefix encap ioam6 freq 1/1 $margs dex type 0xf00000 ns $NS_ID flowid 77 seqnum $next" \
			"$("${route[@]}" show)"
		for k in 1 2 3; do monitor_start "$(ns_of $k)" "$dir/mon.$mode.$k"; done
		# shellcheck disable=SC2046
		expect_ping 3 $(check_args "${mode/auto/inline}") --ns "$NS_ID" --type 0xf00000 \
			--dex 0xc0 --flow-id 77 --seq-from 0
		# shellcheck disable=SC2046
		expect_ping 2 $(check_args "${mode/auto/inline}") --ns "$NS_ID" --type 0xf00000 \
			--dex 0xc0 --flow-id 77 --seq-from 3
		monitor_stop
		for k in 1 2; do
			expect_ok "${EVENTS[@]}" "$dir/mon.$mode.$k" 5 --ns "$NS_ID" --nodes 1 --node "$(node_spec $k)" \
				--dex --flow-id 77 --seq-from 0
		done
		expect_ok "${EVENTS[@]}" "$dir/mon.$mode.3" 5 --ns "$NS_ID" --nodes 1 --node "$r_node" \
			--dex --flow-id 77 --seq-from 0
		expect_ok "${route[@]}" del "$prefix"
	done
	# Without the optional fields: the events have none either. Batched, the same.
	monitor_start "$T1" "$dir/mon.plain"
	monitor_start "$T1" "$dir/export.plain" export
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" add "$prefix" encap ioam6 dex type 0xc00000 ns "$NS_ID" $next
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0xc00000 --dex 0
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon.plain" 1 --ns "$NS_ID" --nodes 1 --node "$(node_spec 1)" --dex \
		--src 2001:db8:1::1 --dst "$DST"
	check_same_events "DEX events, one by one and batched" "$dir/mon.plain" "$dir/export.plain"
	expect_ok "${route[@]}" del "$prefix"
	# Each optional field alone, and none: 24, 24 and 16 bytes of Hop-by-Hop header.
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" add "$prefix" encap ioam6 dex type 0x800000 ns "$NS_ID" seqnum $next
	expect_ping 2 --mode inline --ns "$NS_ID" --type 0x800000 --dex 0x40 --seq-from 0
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" replace "$prefix" encap ioam6 dex type 0x800000 ns "$NS_ID" flowid 0xffffffff $next
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0x800000 --dex 0x80 --flow-id 0xffffffff
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" replace "$prefix" encap ioam6 dex type 0xc00000 ns "$NS_ID" $next
	local shown
	shown=$(ip -n "$A" -6 route show "$prefix")
	[[ "$shown" == *"encap ioam6 via"* ]] || fail "ip route show: $shown"
	expect_ping 1 --mode inline --ns "$NS_ID" --type 0xc00000 --dex 0
	capture_stop
	local verdicts
	verdicts=$(tshark -r "$CAPTURE" -V 2>&1 | awk '
		/^Frame [0-9]+:/ { if (n++) print errors; errors = 0 }
		/Malformed|Expert Info \(Error/ { errors++ }
		END { if (n) print errors }' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
	check_eq "tshark's decoding (frames, errors)" " 20 0," "$verdicts"
	rm -f "$CAPTURE"
	check_eq "ioamctl -j route show" '[{"dst":"2001:db8:3::/64","encap":"ioam6","freqk":1,"freqn":1,"mode":"inline","trace":"dex","type":"0xc00000","ns":123,"gateway":"2001:db8:1::2","dev":"right"}]' \
		"$(ip netns exec "$A" "$IOAMCTL" -j route show)"
	# freq 1/2: every other packet carries the option, numbered in turn (the others leave
	# untouched; R's receiver is not asked to check these).
	monitor_start "$T1" "$dir/mon.freq"
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" replace "$prefix" encap ioam6 freq 1/2 dex type 0xc00000 ns "$NS_ID" seqnum $next
	ip netns exec "$A" ping -6 -q -c 6 -i 0.05 -W 1 "$DST" >/dev/null || fail "A -> R, freq 1/2"
	monitor_stop
	expect_ok "${EVENTS[@]}" "$dir/mon.freq" 3 --ns "$NS_ID" --nodes 1 --node "$(node_spec 1)" --dex --seq-from 0
	# Every DEX packet counted by both transit nodes and R; T1 monitored throughout.
	for k in 1 2 3; do
		check_stat "$(ns_of $k)" dex_received 23
	done
	check_stat "$T1" events_sent 19
	# T2 and R had their listeners in the mode loop only; events built while only T1 listened
	# reached nobody in theirs and are not counted as sent.
	check_stat "$T2" events_sent 15
	check_stat "$R" events_sent 15
	rm -rf "$dir"
}

# RFC 9322 Loopback: A marks its packets; T1, T2 and R each send a copy back (their data in,
# nothing after the Hop-by-Hop header), which the nodes on the way back fill too (their
# interfaces towards A are in the domain); A reports each copy as a LOOPBACK event and consumes
# it. Counted exactly. A's loopback limit bounds what it marks; each marked packet brings back
# its three copies, never more.
test_encap_loopback() {
	chain_topology 2 module
	local mode margs dir k n=0 prefix=2001:db8:3::/64 next="via 2001:db8:1::2 dev right" count=4
	local route=(ip netns exec "$A" "$IOAMCTL" route) a t1 t2 r
	a=$(node_id 0) t1=$(node_id 1) t2=$(node_id 2) r=$(node_id 3)
	switch_on "$R" left module
	for k in 0 1 2; do switch_on "$(ns_of $k)" right module; done
	dir=$(mktemp -d)
	ip -n "$A" -6 route del "$prefix"
	# shellcheck disable=SC2086
	expect_err "loopback needs trace type 0x800000 alone (RFC 9322), not 0xc00000" "${route[@]}" \
		add "$prefix" encap ioam6 trace prealloc type 0xc00000 ns "$NS_ID" size 24 loopback $next
	for mode in inline encap; do
		margs="mode $mode"
		[ "$mode" = inline ] || margs="mode $mode tundst $DST"
		# shellcheck disable=SC2086
		expect_ok "${route[@]}" add "$prefix" encap ioam6 $margs \
			trace prealloc type 0x800000 ns "$NS_ID" size 24 loopback $next
		check_eq "ioamctl route show" \
			"$prefix encap ioam6 freq 1/1 $margs trace prealloc type 0x800000 ns $NS_ID size 24 loopback $next" \
			"$("${route[@]}" show)"
		monitor_start "$A" "$dir/mon.$mode"
		monitor_start "$A" "$dir/export.$mode" export
		# shellcheck disable=SC2046
		expect_ping $count $(check_args $mode) --ns "$NS_ID" --type 0x800000 --size 24 \
			--flags 0x02 $(nodes_upto 2)
		n=$((n + count))
		await_stat "$A" loopback_received $((3 * n))
		monitor_stop
		expect_ok "${EVENTS[@]}" "$dir/mon.$mode" $((3 * count)) --ns "$NS_ID" --flags L \
			--copy "2001:db8:1::2=$t1,$a" --copy "2001:db8:2::2=$t1,$t2,$t1,$a" \
			--copy "2001:db8:3::2=$t1,$t2,$r,$t2,$t1,$a"
		check_same_events "loopback events, one by one and batched ($mode)" \
			"$dir/mon.$mode" "$dir/export.$mode"
		expect_ok "${route[@]}" del "$prefix"
	done
	check_stat "$A" loopback_marked $n
	for k in 1 2 3; do
		check_stat "$(ns_of $k)" loopback_sent $n
		check_stat "$(ns_of $k)" loopback_rate_limited 0
	done
	# Forward, then on the way back the copies of the nodes behind.
	check_stat "$T1" trace_filled $((3 * n))
	check_stat "$T2" trace_filled $((2 * n))
	check_stat "$R" trace_filled $n
	# A's limit: 3 at once, then 1 a second. Packets over it leave unmarked, and bring nothing back.
	expect_err "invalid rate" ip netns exec "$A" "$IOAMCTL" loopback limit rate 0 burst 3
	expect_err "loopback burst 1000001 is out of range" genl_in "$A" "do" set_loopback_limit \
		u32:loopback_rate:1 u32:loopback_burst:1000001
	expect_err "missing loopback burst" genl_in "$A" "do" set_loopback_limit u32:loopback_rate:1
	expect_ok ip netns exec "$A" "$IOAMCTL" loopback limit rate 1 burst 3
	check_stat "$A" loopback_rate 1
	check_stat "$A" loopback_burst 3
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" add "$prefix" encap ioam6 \
		trace prealloc type 0x800000 ns "$NS_ID" size 24 loopback $next
	local start=$SECONDS marked limited
	ip netns exec "$A" ping -6 -q -c 10 -i 0.01 -W 1 "$DST" >/dev/null || fail "A -> R, limited"
	local elapsed=$((SECONDS - start + 1))
	marked=$(($(stat "$A" loopback_marked) - n))
	limited=$(stat "$A" loopback_rate_limited)
	check_eq "packets marked or over the limit" 10 $((marked + limited))
	{ [ "$marked" -ge 3 ] && [ "$marked" -le $((3 + elapsed)) ]; } ||
		fail "$marked packets marked in $elapsed s with rate 1 burst 3"
	await_stat "$A" loopback_received $((3 * (n + marked)))
	for k in 1 2 3; do check_stat "$(ns_of $k)" loopback_sent $((n + marked)); done
	check_stat "$A" loopback_failed 0
	rm -rf "$dir"
}

# RFC 9322 Active: the flag on every packet of the route, transit nodes forward them as usual,
# R (the decapsulating node, the packets' destination) reports and terminates them: no replies.
test_encap_active() {
	chain_topology 2 module
	local mode margs dir prefix=2001:db8:3::/64 next="via 2001:db8:1::2 dev right" n=0
	local route=(ip netns exec "$A" "$IOAMCTL" route) replies
	switch_on "$R" left module
	dir=$(mktemp -d)
	ip -n "$A" -6 route del "$prefix"
	replies=$(snmp6 "$A" Icmp6InEchoReplies)
	for mode in inline encap; do
		margs="mode $mode"
		[ "$mode" = inline ] || margs="mode $mode tundst $DST"
		# shellcheck disable=SC2086
		expect_ok "${route[@]}" add "$prefix" encap ioam6 $margs \
			trace incremental type 0xc00000 ns "$NS_ID" maxlen 32 active $next
		check_eq "ioamctl -j route show (active)" true \
			"$(ip netns exec "$A" "$IOAMCTL" -j route show | python3 -c 'import json, sys; print(str(json.load(sys.stdin)[0]["active"]).lower())')"
		monitor_start "$R" "$dir/mon.$mode"
		# shellcheck disable=SC2046
		expect_ping 3 $(check_args $mode) --ns "$NS_ID" --type 0xc00000 --incremental 8 \
			--flags 0x01 $(nodes_upto 2)
		n=$((n + 3))
		await_stat "$R" active_terminated $n
		monitor_stop
		expect_ok "${EVENTS[@]}" "$dir/mon.$mode" 3 --ns "$NS_ID" --nodes 4 --flags A
		expect_ok "${route[@]}" del "$prefix"
	done
	# None answered; the transit nodes forwarded every packet.
	check_stat "$A" encap_traced $n
	check_eq "echo replies A received" "$replies" "$(snmp6 "$A" Icmp6InEchoReplies)"
	check_stat "$T1" trace_inserted $n
	check_stat "$T2" trace_inserted $n
	check_stat "$R" trace_inserted $n
	# Without the flag, answered again.
	# shellcheck disable=SC2086
	expect_ok "${route[@]}" add "$prefix" encap ioam6 trace incremental type 0xc00000 ns "$NS_ID" maxlen 32 $next
	ip netns exec "$A" ping -6 -q -c 1 -W 2 "$DST" >/dev/null || fail "A -> R without active"
	check_stat "$R" active_terminated $n
	rm -rf "$dir"
}

# GSO packets with an Incremental Trace: A's TCP segments leave as GSO packets with A's entry,
# T1 and T2 insert theirs into the GSO packets, and T2 segments them (GSO off on its egress):
# every packet R receives from A must carry the option, and the data must arrive intact.
test_incremental_gso() {
	chain_topology 2 module
	local prefix=2001:db8:3::/64
	ip -n "$A" -6 route del "$prefix"
	ip netns exec "$A" "$IOAMCTL" route add "$prefix" encap ioam6 \
		trace incremental type 0xc00000 ns "$NS_ID" maxlen 40 via 2001:db8:1::2 dev right ||
		fail "ioamctl route add"
	ip netns exec "$T2" ethtool -K right tso off gso off >/dev/null || fail "ethtool on T2"
	capture_start "$R" "ip6 src host 2001:db8:1::1 and ip6 dst host $DST"
	tcp_transfer "$A" "$R" "$DST" 5301 2
	capture_stop
	local all traced
	all=$(tcpdump -r "$CAPTURE" 2>/dev/null | wc -l)
	traced=$(tcpdump -r "$CAPTURE" "ip6[6] == 0 and ip6[40] == 6" 2>/dev/null | wc -l)
	check_eq "packets from A with the option (of $all)" "$all" "$traced"
	# The transit nodes saw GSO packets: fewer insertions than the segments R got. The capture
	# can only miss segments (under TCG it may), so more segments than insertions means some
	# insertion went into a packet of several. How many a GSO packet holds depends on TCP's
	# pacing, which a loaded host slows (1.9 segments each, measured on a busy machine).
	local inserted
	inserted=$(stat "$T1" trace_inserted)
	[ "$all" -gt "$inserted" ] || fail "T1 inserted $inserted times for $all packets: no GSO"
	check_eq "insertions at T1 and T2" "$inserted" "$(stat "$T2" trace_inserted)"
	check_stat "$T2" trace_overflow 0
	rm -f "$CAPTURE"
}

run_test transit_each_bit test_transit_each_bit
run_test transit_every_size test_transit_every_size
run_test transit_full_trace_sysctl test_transit_full_trace_sysctl
run_test transit_full_trace_module test_transit_full_trace_module
run_test transit_namespace_cases test_transit_namespace_cases
run_test namespace_tsformat test_namespace_tsformat
run_test egress_fields test_egress_fields
run_test transit_chain_and_events test_transit_chain_and_events
run_test events_rate_limit test_events_rate_limit
run_test listeners_gone test_listeners_gone
run_test export_batches test_export_batches
run_test transit_interface_switch test_interface_switch
run_test decap_and_domain_edge test_decap_and_domain_edge
run_test transit_two_options test_transit_two_options
run_test transit_incremental test_transit_incremental
run_test encap_incremental test_encap_incremental
run_test encap_dex test_encap_dex
run_test encap_loopback test_encap_loopback
run_test encap_active test_encap_active
run_test incremental_gso test_incremental_gso
run_test receive_hook_under_traffic test_receive_hook_under_traffic
run_test export_ipfix test_export_ipfix
run_test export_faults test_export_faults
run_test malformed_options_module_switch test_malformed_module
run_test malformed_options_kernel_sysctl test_malformed_sysctl
