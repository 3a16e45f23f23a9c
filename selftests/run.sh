#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the ioam_rs selftests inside the test kernel (see scripts/vm-run.sh) and prints
# kselftest TAP, ending with "N passed, N failed, N skipped".
#   selftests/run.sh [TEST_FILE...]     default: every selftests/test_*.sh
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "selftests/run.sh must run as root (inside the test VM)"; exit 1; }
[ -f "$MODULE_KO" ] || { echo "no $MODULE_KO: run make first"; exit 1; }
[ -x "$IOAMCTL" ] || { echo "no $IOAMCTL: run cargo build --release -p ioamctl first"; exit 1; }

# On a distribution kernel the module may need others (the project's kernels build them in):
# insmod, which the tests use, does not load them.
for dep in $(modinfo -F depends "$MODULE_KO" | tr , ' '); do
	modprobe "$dep" || { echo "cannot load $dep, which ioam_rs needs"; exit 1; }
done

files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$SELFTEST_DIR"/test_*.sh)

echo "TAP version 13"
for f in "${files[@]}"; do
	echo "# $(basename "$f")"
	# shellcheck disable=SC1090
	. "$f"
done
echo "1..$TESTS_RUN"
unload_module 2>/dev/null
echo "$TESTS_PASSED passed, $TESTS_FAILED failed, $TESTS_SKIPPED skipped"
[ "$TESTS_FAILED" -eq 0 ]
