# SPDX-License-Identifier: GPL-2.0
# Control plane: module load/unload, namespaces, schemas, bindings, permissions, netns.
# Sourced by selftests/run.sh.
# shellcheck shell=bash

ioamctl() { "$IOAMCTL" "$@"; }
# As an unprivileged user (nobody, no capabilities).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }

test_load_unload() {
	local i
	unload_module # an earlier test file may have left it loaded
	for i in $(seq 20); do
		insmod "$MODULE_KO" || fail "insmod #$i failed"
		"${GENL[@]}" dump dump_namespaces >/dev/null || fail "family not usable after insmod #$i"
		rmmod ioam_rs || fail "rmmod #$i failed"
	done
	expect_err "not found" "${GENL[@]}" dump dump_namespaces
}

test_namespace_add_show_del() {
	fresh_module
	expect_ok ioamctl namespace add 123 data 0xdeadbeef wide 0xcafec0caf00dc0de
	expect_ok ioamctl namespace add 1
	expect_ok ioamctl ns add 65535 data 0
	expect_ok ioamctl namespace add 0x10 wide cafe
	check_eq "namespace show" \
"namespace 1
namespace 16, wide 0x000000000000cafe
namespace 123, data 0xdeadbeef, wide 0xcafec0caf00dc0de
namespace 65535, data 0000000000" "$(ioamctl namespace show)"
	check_eq "json" '123 deadbeef 0xcafec0caf00dc0de' \
		"$(ioamctl -j namespace show | python3 -c 'import json,sys; d=[n for n in json.load(sys.stdin) if n["namespace"]==123][0]; print(d["namespace"], d["data"], d["wide"])')"
	expect_ok ioamctl namespace del 123
	expect_ok ioamctl namespace del 1
	expect_ok ioamctl namespace del 16
	expect_ok ioamctl namespace del 65535
	check_eq "namespace show after del" "" "$(ioamctl namespace show)"
}

test_namespace_errors() {
	fresh_module
	expect_ok ioamctl namespace add 123
	expect_err "namespace 123 already exists" ioamctl namespace add 123
	expect_err "namespace 9 does not exist" ioamctl namespace del 9
	expect_err "65536" ioamctl namespace add 65536
	expect_err "data" ioamctl namespace add 5 data 0x100000000
	# The module's own checks, without ioamctl's.
	expect_err "EINVAL" "${GENL[@]}" "do" add_namespace u32:ns_data:1
	expect_err "missing namespace id" "${GENL[@]}" "do" add_namespace u32:ns_data:1
	expect_err "EINVAL" "${GENL[@]}" "do" add_namespace u32:ns_id:5
	expect_err "EINVAL" "${GENL[@]}" "do" add_namespace u16:ns_id:5 u16:ns_data:1
	expect_err "EINVAL" "${GENL[@]}" "do" add_namespace u16:ns_id:5 u16:99:1
	expect_err "missing namespace id" "${GENL[@]}" "do" del_namespace
	check_eq "state unchanged by failed requests" "namespace 123" "$(ioamctl namespace show)"
}

test_schema_add_show_del() {
	fresh_module
	expect_ok ioamctl schema add 777 sometext
	expect_ok ioamctl schema add 5 abcde
	expect_ok ioamctl schema add 0xfffffe "$(printf 'x%.0s' $(seq 1020))"
	check_eq "schema show" \
"schema 5, data: 61 62 63 64 65 00 00 00
schema 777, data: 73 6f 6d 65 74 65 78 74" "$(ioamctl schema show | grep -v '^schema 16777214')"
	check_eq "1020-byte schema" "$((3 + 1020))" "$(ioamctl schema show | grep '^schema 16777214' | wc -w)"
	expect_ok ioamctl schema del 777
	expect_ok ioamctl schema del 5
	expect_ok ioamctl schema del 16777214
	check_eq "schema show after del" "" "$(ioamctl schema show)"
}

test_schema_errors() {
	fresh_module
	expect_ok ioamctl schema add 777 abc
	expect_err "schema 777 already exists" ioamctl schema add 777 def
	expect_err "schema 8 does not exist" ioamctl schema del 8
	expect_err 'invalid schema id "0x1000000"' ioamctl schema add 0x1000000 abc
	expect_err 'invalid schema id "0xffffff"' ioamctl schema add 0xffffff abc
	expect_err "1021" ioamctl schema add 1 "$(printf 'x%.0s' $(seq 1021))"
	# The module's own checks: the kernel's IOAM6 family accepts ids above 24 bits.
	expect_err "schema id 16777216 is out of range" "${GENL[@]}" "do" add_schema u32:sc_id:0x1000000 hex:sc_data:01020304
	# 0xffffff with no data: its snapshot header would be the "no schema" one.
	expect_err "schema id 16777215 is out of range" "${GENL[@]}" "do" add_schema u32:sc_id:0xffffff hex:sc_data:
	expect_err "schema data is 1021 bytes: at most 1020" "${GENL[@]}" "do" add_schema u32:sc_id:2 hex:sc_data:"$(printf '00%.0s' $(seq 1021))"
	expect_err "missing schema data" "${GENL[@]}" "do" add_schema u32:sc_id:2
	expect_err "missing schema id" "${GENL[@]}" "do" add_schema hex:sc_data:01
	expect_err "EINVAL" "${GENL[@]}" "do" add_schema u16:sc_id:2 hex:sc_data:01
	check_eq "state unchanged by failed requests" "schema 777, data: 61 62 63 00" "$(ioamctl schema show)"
}

test_schema_binding() {
	fresh_module
	expect_ok ioamctl namespace add 1
	expect_ok ioamctl namespace add 2
	expect_ok ioamctl schema add 10 aaaa
	expect_ok ioamctl schema add 20 bbbb
	expect_ok ioamctl namespace set 1 schema 10
	check_eq "bound" "namespace 1 [schema 10]
namespace 2" "$(ioamctl namespace show)"
	check_eq "bound (schema side)" "schema 10 [namespace 1], data: 61 61 61 61
schema 20, data: 62 62 62 62" "$(ioamctl schema show)"
	# 1:1: binding schema 10 to namespace 2 takes it from namespace 1.
	expect_ok ioamctl namespace set 2 schema 10
	check_eq "moved" "namespace 1
namespace 2 [schema 10]" "$(ioamctl namespace show)"
	# Rebinding namespace 2 frees schema 10.
	expect_ok ioamctl namespace set 2 schema 20
	check_eq "rebound" "schema 10, data: 61 61 61 61
schema 20 [namespace 2], data: 62 62 62 62" "$(ioamctl schema show)"
	expect_ok ioamctl namespace set 2 schema none
	check_eq "unbound" "namespace 1
namespace 2" "$(ioamctl namespace show)"
	check_eq "unbound (schema side)" "" "$(ioamctl schema show | grep namespace || true)"
	# Deleting either side unbinds the other.
	expect_ok ioamctl namespace set 1 schema 10
	expect_ok ioamctl schema del 10
	check_eq "schema deleted" "namespace 1
namespace 2" "$(ioamctl namespace show)"
	expect_ok ioamctl namespace set 2 schema 20
	expect_ok ioamctl namespace del 2
	check_eq "namespace deleted" "schema 20, data: 62 62 62 62" "$(ioamctl schema show)"
	expect_err "namespace 7 does not exist" ioamctl namespace set 7 schema 20
	expect_err "schema 99 does not exist" ioamctl namespace set 1 schema 99
	expect_err "missing schema id" "${GENL[@]}" "do" ns_set_schema u16:ns_id:1
	# SC_NONE wins over SC_ID, as in the kernel's family.
	expect_ok ioamctl namespace set 1 schema 20
	expect_ok "${GENL[@]}" "do" ns_set_schema u16:ns_id:1 u32:sc_id:20 flag:sc_none
	check_eq "none wins" "namespace 1" "$(ioamctl namespace show)"
}

test_unprivileged_eperm() {
	fresh_module
	expect_ok ioamctl namespace add 1
	expect_ok ioamctl schema add 2 ab
	local c
	for c in "namespace show" "namespace add 3" "namespace del 1" "namespace set 1 schema 2" \
		"schema show" "schema add 4 ab" "schema del 2"; do
		# shellcheck disable=SC2086
		expect_err "Operation not permitted" as_nobody "$IOAMCTL" $c
	done
	expect_err "CAP_NET_ADMIN is required" as_nobody "${GENL[@]}" "do" add_namespace u16:ns_id:3
	expect_err "EPERM" as_nobody "${GENL[@]}" dump dump_namespaces
	expect_err "EPERM" as_nobody "${GENL[@]}" dump dump_schemas
	expect_err "EPERM" as_nobody "${GENL[@]}" join ioam6_events
	expect_ok "${GENL[@]}" join ioam6_events
	check_eq "nothing changed" "namespace 1" "$(ioamctl namespace show)"
}

test_netns_isolation() {
	fresh_module
	setup_ns A B
	expect_ok ip netns exec "$A" "$IOAMCTL" namespace add 42 data 7
	expect_ok ip netns exec "$A" "$IOAMCTL" schema add 9 abcd
	expect_ok ip netns exec "$A" "$IOAMCTL" namespace set 42 schema 9
	check_eq "visible in A" "namespace 42 [schema 9], data 0x00000007" "$(ip netns exec "$A" "$IOAMCTL" namespace show)"
	check_eq "invisible in B" "" "$(ip netns exec "$B" "$IOAMCTL" namespace show)"
	check_eq "invisible in root" "" "$(ioamctl namespace show)"
	expect_ok ip netns exec "$B" "$IOAMCTL" namespace add 42 data 8
	check_eq "B has its own" "namespace 42, data 0x00000008" "$(ip netns exec "$B" "$IOAMCTL" namespace show)"
	# Deleting a network namespace frees its IOAM state (kmemleak checks the debug kernel).
	ip netns del "$A"
	check_eq "B unaffected" "namespace 42, data 0x00000008" "$(ip netns exec "$B" "$IOAMCTL" namespace show)"
}

test_many_namespaces() {
	fresh_module
	# One process for the 1000 requests: spawning 1000 under QEMU TCG takes minutes.
	seq 0 999 | sed 's/.*/do add_namespace u16:ns_id:& u32:ns_data:&/' | "${GENL[@]}" batch >/dev/null ||
		fail "adding 1000 namespaces"
	local lines datagrams
	lines=$("${GENL[@]}" dump dump_namespaces 2>/tmp/ioam-dump.err | wc -l)
	check_eq "dumped namespaces" 1000 "$lines"
	datagrams=$(sed -n 's/^# datagrams: //p' /tmp/ioam-dump.err)
	[ "$datagrams" -gt 2 ] || fail "the dump of 1000 namespaces came in $datagrams datagrams, expected several"
	check_eq "ids in order, none missing" "$(seq 0 999 | tr '\n' ' ')" \
		"$(ioamctl -j namespace show | python3 -c 'import json,sys; print(" ".join(str(n["namespace"]) for n in json.load(sys.stdin)), end=" ")')"
	seq 0 999 | sed 's/.*/do del_namespace u16:ns_id:&/' | "${GENL[@]}" batch >/dev/null ||
		fail "deleting 1000 namespaces"
	check_eq "empty" "" "$(ioamctl namespace show)"
}

# A limit of uapi/src/genl.rs, by name.
uapi_limit() { sed -n "s/^pub const $1: usize = \([0-9_]*\);/\1/p" "$REPO_ROOT/uapi/src/genl.rs" | tr -d _; }

# as_userns_owner CGROUP COMMAND...: COMMAND as nobody, in new user and network namespaces
# (where it has CAP_NET_ADMIN), in cgroup CGROUP if not empty.
as_userns_owner() {
	local cg=$1
	shift
	sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 1; shift; exec "$@"' sh "$cg" \
		setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn "$@"
}

# schema_adds FIRST LAST: requests adding schemas FIRST..LAST with the largest data.
schema_adds() {
	local data
	data=$(printf 'ab%.0s' $(seq 1020))
	seq "$1" "$2" | sed "s/.*/do add_schema u32:sc_id:& hex:sc_data:$data/"
}

# An unprivileged user owns a network namespace through a user namespace, where it has
# CAP_NET_ADMIN: it may add IOAM namespaces and schemas there, up to the per-network-namespace
# limits.
test_userns_limits() {
	fresh_module
	local ns_max sc_max out
	ns_max=$(uapi_limit NAMESPACES_PER_NET_MAX)
	sc_max=$(uapi_limit SCHEMAS_PER_NET_MAX)
	{ [ -n "$ns_max" ] && [ -n "$sc_max" ]; } || fail "limits not found in uapi/src/genl.rs"
	# One process for the most schemas and namespaces, and one more of each.
	out=$( { schema_adds 1 $((sc_max + 1)); seq 0 "$ns_max" | sed 's/.*/do add_namespace u16:ns_id:&/'; } |
		as_userns_owner "" "${GENL[@]}" batch)
	check_eq "schemas added" "$sc_max" "$(head -n "$sc_max" <<<"$out" | grep -c '^ok$')"
	check_eq "one schema too many" "error ENOSPC: too many schemas: at most $sc_max per network namespace" \
		"$(sed -n "$((sc_max + 1))p" <<<"$out")"
	check_eq "namespaces added" "$ns_max" "$(sed -n "$((sc_max + 2)),$((sc_max + ns_max + 1))p" <<<"$out" | grep -c '^ok$')"
	check_eq "one namespace too many" "error ENOSPC: too many namespaces: at most $ns_max per network namespace" \
		"$(sed -n "$((sc_max + ns_max + 2))p" <<<"$out")"
	check_eq "the root namespace untouched" "" "$(ioamctl namespace show)$(ioamctl schema show)"
}

# What such a user adds is charged to its memory cgroup: the schemas' data alone is a
# kilobyte of unreclaimable slab each.
test_userns_memory_accounting() {
	fresh_module
	local cg=/sys/fs/cgroup/ioam-rs-test n=1000 out slab
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2"
	grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "the kernel has no memory cgroup controller"
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	rmdir "$cg" 2>/dev/null || true
	mkdir "$cg" || fail "cannot create $cg"
	# The cgroup's slab before and after, read while the network namespace still holds it all.
	# shellcheck disable=SC2016 # expanded by the inner shell
	out=$(schema_adds 1 "$n" | as_userns_owner "$cg" sh -c 'cg=$1; shift
		grep "^slab_unreclaimable " "$cg/memory.stat"
		"$@" batch | grep -c "^ok$"
		grep "^slab_unreclaimable " "$cg/memory.stat"' sh "$cg" "${GENL[@]}")
	rmdir "$cg"
	check_eq "schemas added" "$n" "$(sed -n 2p <<<"$out")"
	mapfile -t slab < <(sed -n 's/^slab_unreclaimable //p' <<<"$out")
	[ $((slab[1] - slab[0])) -ge $((n * 1024)) ] ||
		fail "the cgroup's unreclaimable slab grew by $((slab[1] - slab[0])) bytes for $n schemas of 1020 bytes"
}

test_rmmod_with_state() {
	fresh_module
	expect_ok ioamctl namespace add 1 data 1
	expect_ok ioamctl schema add 2 abcd
	expect_ok ioamctl namespace set 1 schema 2
	setup_ns A
	expect_ok ip netns exec "$A" "$IOAMCTL" namespace add 5
	rmmod ioam_rs || fail "rmmod with namespaces and schemas present"
	fresh_module
	check_eq "fresh after reload" "" "$(ioamctl namespace show)$(ioamctl schema show)"
}

# IOAM_RS_FOREIGN_KO: the module built for another kernel release (scripts/test.sh passes the
# project kernel's to Debian's kernel): the kernel must refuse it, as modprobe would.
test_foreign_module_refused() {
	[ -n "${IOAM_RS_FOREIGN_KO:-}" ] || skip "no module of another kernel release given (IOAM_RS_FOREIGN_KO)"
	unload_module
	local vermagic
	vermagic=$(modinfo -F vermagic "$IOAM_RS_FOREIGN_KO")
	[[ "$vermagic" != "$(uname -r) "* ]] || fail "IOAM_RS_FOREIGN_KO is built for this kernel ($vermagic)"
	insmod "$IOAM_RS_FOREIGN_KO" 2>/dev/null && fail "insmod of a module built for '$vermagic' succeeded on $(uname -r)"
	! module_loaded || fail "ioam_rs loaded from a module of another release"
	load_module
}

test_ioamctl_without_module() {
	unload_module
	expect_err "ioam_rs module is not loaded" ioamctl namespace show
}

# The receive hook is registered in a network namespace only while the module has work there:
# an IOAM namespace or an interface switched on with ioamctl.
test_receive_hook_follows_work() {
	fresh_module
	setup_ns X Y
	local x=(ip netns exec "$X")
	ip -n "$X" link add dummy0 type dummy
	check_receive_hooks "$X" 0 "with nothing configured"
	expect_ok "${x[@]}" "$IOAMCTL" namespace add 1
	check_receive_hooks "$X" 1 "with a namespace"
	check_receive_hooks "$Y" 0 "(another network namespace)"
	expect_ok "${x[@]}" "$IOAMCTL" namespace add 2
	expect_ok "${x[@]}" "$IOAMCTL" namespace del 1
	check_receive_hooks "$X" 1 "with one namespace left"
	expect_err "namespace 2 already exists" "${x[@]}" "$IOAMCTL" namespace add 2
	expect_ok "${x[@]}" "$IOAMCTL" namespace del 2
	check_receive_hooks "$X" 0 "after the last namespace"
	expect_err "namespace 3 does not exist" "${x[@]}" "$IOAMCTL" namespace del 3
	check_receive_hooks "$X" 0 "after a failed del"
	expect_ok "${x[@]}" "$IOAMCTL" interface enable lo
	expect_ok "${x[@]}" "$IOAMCTL" interface enable dummy0
	check_receive_hooks "$X" 1 "with interfaces switched on"
	expect_ok "${x[@]}" "$IOAMCTL" interface disable lo
	check_receive_hooks "$X" 1 "with one interface switched on"
	ip -n "$X" link del dummy0
	check_receive_hooks "$X" 0 "after its interface was deleted"
	# The kernel's own switch gives the module no work.
	ip netns exec "$X" sysctl -qw net.ipv6.conf.lo.ioam6_enabled=1
	check_receive_hooks "$X" 0 "with only the kernel's ioam6_enabled"
	expect_ok "${x[@]}" "$IOAMCTL" namespace add 1
	check_receive_hooks "$X" 1 "with a namespace again"
	# Going away with the hook registered; then the module with it registered elsewhere.
	ip netns del "$X"
	expect_ok ip netns exec "$Y" "$IOAMCTL" namespace add 1
	unload_module
}

run_test "load and unload 20 times" test_load_unload
run_test "namespace add, show, del" test_namespace_add_show_del
run_test "namespace errors" test_namespace_errors
run_test "schema add, show, del" test_schema_add_show_del
run_test "schema errors" test_schema_errors
run_test "schema binding is 1:1" test_schema_binding
run_test "unprivileged caller gets EPERM" test_unprivileged_eperm
run_test "network namespace isolation" test_netns_isolation
run_test "1000 namespaces, multi-part dump" test_many_namespaces
run_test "limits for a user-namespace owner" test_userns_limits
run_test "memory accounting for a user-namespace owner" test_userns_memory_accounting
run_test "rmmod with state present" test_rmmod_with_state
run_test "receive hook only where the module has work" test_receive_hook_follows_work
run_test "module of another kernel release refused" test_foreign_module_refused
run_test "ioamctl without the module" test_ioamctl_without_module
