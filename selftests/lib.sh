# SPDX-License-Identifier: GPL-2.0
# Helpers for the ioam_rs selftests (kselftest TAP). Sourced by selftests/run.sh.
# shellcheck shell=bash

SELFTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SELFTEST_DIR/.." && pwd)
# IOAM_RS_KO: a module built for another kernel (scripts/build-module.sh).
MODULE_KO=${IOAM_RS_KO:-$REPO_ROOT/ioam_rs.ko}
IOAMCTL="$REPO_ROOT/target/release/ioamctl"
GENL=(python3 "$SELFTEST_DIR/genl.py")
ksft_skip=4

TESTS_RUN=0 TESTS_PASSED=0 TESTS_FAILED=0 TESTS_SKIPPED=0

# Network namespaces and root-namespace links a test created, removed when it ends.
CREATED_NETNS=()
CREATED_LINKS=()

# checker_ready: the coprocess CHECKER (ioam_check.py --serve) says it listens.
checker_ready() {
	local line
	read -r -t "$(wait_s 30)" line <&"${CHECKER[0]}" || fail "no word from the receiver"
	[ "$line" = ready ] || fail "receiver not ready: $line"
}

# setup_ns VAR...: create one network namespace per VAR (unique name stored in VAR), lo up.
setup_ns() {
	local var ns
	for var in "$@"; do
		ns="$var-$$-$RANDOM"
		ip netns add "$ns" || return 1
		CREATED_NETNS+=("$ns")
		ip -n "$ns" link set lo up
		printf -v "$var" '%s' "$ns"
	done
}

# add_link NAME ARGS...: ip link add in the root namespace, removed at the end of the test.
add_link() {
	ip link add "$@" || return 1
	CREATED_LINKS+=("$1")
}

cleanup_test() {
	local ns link
	# Daemons a failed test left behind (an exporter, a collector) would hold its output open.
	for ns in "${CREATED_NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for link in "${CREATED_LINKS[@]}"; do ip link del "$link" 2>/dev/null; done
	CREATED_NETNS=() CREATED_LINKS=()
}

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit $ksft_skip
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	[ "$2" == "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_ok CMD...: run CMD, fail the test if it fails (its output is shown).
expect_ok() {
	local out
	out=$("$@" 2>&1) || fail "'$*' failed: $out"
	[ -z "$out" ] || printf '%s\n' "$out"
}

# expect_err TEXT CMD...: CMD must fail and print TEXT (a fixed string) on stdout or stderr.
expect_err() {
	local text=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded, expected failure with '$text'"
	[[ "$out" == *"$text"* ]] || fail "'$*' printed '$out', expected '$text'"
}

# node_len TYPE: NodeLen (4-byte words) of a trace type, without the Opaque State Snapshot.
# RFC 9197 numbers the bits from the most significant (0x800000 is bit 0): bits 8-10 (0xE000)
# are 8-byte fields, bits 0-7 and 11-21 4-byte ones; bit 22 (the snapshot, variable) and 23 add
# nothing. In shell arithmetic: starting Python costs 0.6 s under TCG.
node_len() {
	local type=$(($1)) words=0 field
	for ((field = 1; field < 0x1000000; field <<= 1)); do
		((type & field)) || continue
		if ((field & 0xE000)); then
			words=$((words + 2))
		elif ((field & 0xFF1FFC)); then
			words=$((words + 1))
		fi
	done
	echo "$words"
}

# udp_to NS ADDR...: one UDP datagram from NS to each ADDR (port 9, discard), all from one
# shell (bash's /dev/udp): a process per packet costs 0.2 s under TCG.
udp_to() {
	local ns=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" bash -c 'for a; do echo ioam >"/dev/udp/$a/9"; done' _ "$@"
}

# tcp_transfer FROM TO ADDR PORT MB: MB megabytes of random data over TCP from network
# namespace FROM to ADDR:PORT, a listener in TO; they must arrive intact (length and SHA-256).
tcp_transfer() {
	local from=$1 to=$2 addr=$3 port=$4 mb=$5 sum_out pid sent
	sum_out=$(mktemp)
	ip netns exec "$to" timeout "$(wait_s 120)" python3 -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$port" >"$sum_out" &
	pid=$!
	sleep 1
	sent=$(ip netns exec "$from" timeout "$(wait_s 120)" python3 -c '
import hashlib, os, socket, sys
data = os.urandom(int(sys.argv[3]) * 1024 * 1024)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
s.sendall(data); s.close()
print(len(data), hashlib.sha256(data).hexdigest())' "$addr" "$port" "$mb") || fail "TCP sender to $addr failed"
	wait $pid || fail "TCP receiver at $addr failed"
	check_eq "$mb MB over TCP to $addr" "$sent" "$(cat "$sum_out")"
	rm -f "$sum_out"
}

# check_cases SRC DST DEV PREFIX ROUTE CHECK CASE...: each CASE (TYPE:SIZE) at once, one packet
# each (a route change and a ping per case cost 0.8 s under TCG). Case I gets the address
# PREFIX::100:I on DST's DEV and, in SRC, a /128 route to it: ROUTE, a printf format given the
# case's TYPE and SIZE ("encap ioam6 ... type %s ... size %s via ..."). SRC sends one datagram
# to each; the receiver (the CHECKER coprocess, on DEV) checks every packet against its case,
# with CHECK as the rest of its arguments (mode, namespace, node data).
check_cases() {
	local src=$1 dst=$2 dev=$3 prefix=$4 route=$5 check=$6 case i=0 addr addrs="" routes="" line
	local dsts=() checks=()
	shift 6
	for case in "$@"; do
		i=$((i + 1))
		printf -v addr '%s::100:%x' "$prefix" $i
		addrs+="addr replace $addr/128 dev $dev nodad"$'\n'
		# shellcheck disable=SC2059 # the route is the format
		routes+="route replace $addr/128 $(printf "$route" "${case%%:*}" "${case##*:}")"$'\n'
		dsts+=("$addr")
		checks+=(--case "$addr:$case")
	done
	ip -n "$dst" -b - <<<"$addrs" || fail "the cases' addresses"
	ip -n "$src" -b - <<<"$routes" || fail "the cases' routes: $route"
	echo "$i $check ${checks[*]}" >&"${CHECKER[1]}"
	if ! read -r -t "$(wait_s 30)" line <&"${CHECKER[0]}" || [ "$line" != ready ]; then
		fail "receiver not ready: $line"
	fi
	udp_to "$src" "${dsts[@]}"
	read -r -t "$(wait_s 60)" line <&"${CHECKER[0]}" || fail "no answer from the receiver"
	[[ "$line" == ok* ]] || fail "$check: $line"
}

# wait_s SECONDS: a wait for the guest, scaled by IOAM_RS_WAIT_SCALE on slow kernels (the
# debug kernel under TCG; scripts/check-debug.sh sets it).
# receive_hooks NS: how many netfilter hooks ioam_rs has registered in NS (nft lists every hook
# of a family with its function and module, through nfnetlink_hook).
receive_hooks() {
	local out
	out=$(ip netns exec "$1" nft list hooks ip6 2>&1) || { echo "nft list hooks: $out"; return 1; }
	grep -c '\[ioam_rs\]' <<<"$out" || true
}

# check_receive_hooks NS COUNT WHEN
check_receive_hooks() {
	local n
	n=$(receive_hooks "$1") || fail "$n"
	check_eq "ioam_rs hooks in $1 $3" "$2" "$n"
}

wait_s() { echo $(($1 * ${IOAM_RS_WAIT_SCALE:-1})); }

module_loaded() {
	grep -q '^ioam_rs ' /proc/modules
}

load_module() {
	module_loaded || insmod "$MODULE_KO" || fail "insmod $MODULE_KO failed"
}

# fresh_module: (re)load the module so that the test starts from empty state.
fresh_module() {
	unload_module
	load_module
}

unload_module() {
	! module_loaded || rmmod ioam_rs || fail "rmmod ioam_rs failed"
}

# run_test NAME FUNCTION [ARG...]: run FUNCTION in a subshell and print its TAP line.
# The function's output is shown (as TAP comments) only when it fails.
run_test() {
	local name=$1 out rc=0 start=$SECONDS
	shift
	# IOAM_RS_TEST_FILTER=REGEX runs only the tests whose name matches.
	if [ -n "${IOAM_RS_TEST_FILTER:-}" ] && ! [[ "$name" =~ $IOAM_RS_TEST_FILTER ]]; then
		return 0
	fi
	TESTS_RUN=$((TESTS_RUN + 1))
	out=$( (
		trap cleanup_test EXIT
		set -u
		"$@"
	) 2>&1) || rc=$?
	echo "# $name: $((SECONDS - start)) s"
	case $rc in
	0)
		TESTS_PASSED=$((TESTS_PASSED + 1))
		echo "ok $TESTS_RUN $name"
		;;
	"$ksft_skip")
		TESTS_SKIPPED=$((TESTS_SKIPPED + 1))
		echo "ok $TESTS_RUN $name # SKIP $(printf '%s\n' "$out" | grep '^SKIP: ' | tail -n 1 | cut -c7-)"
		;;
	*)
		TESTS_FAILED=$((TESTS_FAILED + 1))
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /'
		echo "not ok $TESTS_RUN $name # $(printf '%s\n' "$out" | grep '^FAIL: ' | tail -n 1 | cut -c7- | head -c 200)"
		;;
	esac
}

# Chain topologies shared by the transit, campaign and reliability tests.
# shellcheck source=selftests/chain.sh
. "$SELFTEST_DIR/chain.sh"
