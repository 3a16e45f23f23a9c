# SPDX-License-Identifier: GPL-2.0
# Runs on the reference kernel (CONFIG_IPV6_IOAM6_LWTUNNEL=y), whose built-in IOAM owns the
# LWTUNNEL_ENCAP_IOAM6 slot: ioam_rs.ko must refuse to load, with one clear log line.
# Sourced by selftests/run.sh (scripts/test.sh runs it with IOAM_RS_KO set).
# shellcheck shell=bash

test_slot_taken() {
	! module_loaded || fail "ioam_rs is already loaded"
	local out rc=0 before after
	# Count, not clear: the run's kernel log is checked for reports at the end (vm-run.sh).
	before=$(dmesg | grep -c "CONFIG_IPV6_IOAM6_LWTUNNEL" || true)
	out=$(insmod "$MODULE_KO" 2>&1) || rc=$?
	[ $rc -ne 0 ] || { rmmod ioam_rs; fail "insmod succeeded although the slot is taken"; }
	[[ "$out" == *"Device or resource busy"* ]] || fail "insmod failed otherwise: $out"
	module_loaded && fail "module loaded"
	after=$(dmesg | grep -c "CONFIG_IPV6_IOAM6_LWTUNNEL" || true)
	check_eq "new log lines naming the option" 1 $((after - before))
	dmesg | grep "CONFIG_IPV6_IOAM6_LWTUNNEL" | tail -n 1
	# The kernel's own implementation keeps working.
	setup_ns A
	ip -n "$A" link add dummy0 type dummy
	ip -n "$A" link set dummy0 up
	expect_ok ip -n "$A" -6 route add 2001:db8::/64 encap ioam6 trace prealloc type 0x800000 ns 1 size 4 dev dummy0
}

run_test "reference kernel: ioam_rs refuses the taken lwtunnel slot" test_slot_taken
