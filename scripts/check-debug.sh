#!/usr/bin/env bash
# The selftests on the debug kernel (KASAN, KMEMLEAK, lockdep with PROVE_LOCKING and PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, DEBUG_NET, UBSAN: selftests/config.debug), with a kmemleak scan after the
# module is unloaded. Any report in the guest's kernel log fails the run (scripts/vm-run.sh).
#   scripts/check-debug.sh                  every selftest file, the 100,000-packet campaign included
#   scripts/check-debug.sh --quick          a subset that fits in CI's time (see README.md)
#   scripts/check-debug.sh FILE...          these selftest files (IOAM_RS_TEST_FILTER=REGEX: these tests)
# The whole run takes about six hours under TCG: README.md says how it is run in parts.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

# Everything takes several times longer on this kernel: so may the tests' waits.
env_args=("IOAM_RS_WAIT_SCALE=${IOAM_RS_WAIT_SCALE:-4}")
if [ "${1:-}" = --quick ]; then
	shift
	# The cross-section (scripts/common.sh) fits in CI (tests take 3 to 8 times longer on this
	# kernel, the packet campaign far more); then the module is unloaded and kmemleak scans, as
	# after the full run.
	env_args+=(IOAM_RS_FUZZ_COUNT=500 IOAM_RS_TEST_FILTER="$CROSS_SECTION")
fi
hold_cargo_cache
"$REPO_ROOT/scripts/build-all.sh" >/dev/null
kdir=$(scripts/build-kernel.sh debug)
# KASAN reports only its first finding unless told otherwise: one report must not silence the
# rest of the run. no5lvl: with 5-level paging (QEMU's "max" CPU has it), KASAN reports false
# wild accesses from interrupts taken while identify_cpu() has the boot CPU's LA57 feature bit
# cleared (the shadow range check then assumes 4-level addresses); with multi-shot, enough of
# them to stall the boot.
export IOAM_RS_VNG_ARGS="${IOAM_RS_VNG_ARGS:-} --append kasan_multi_shot --append no5lvl"
ko=$(scripts/build-module.sh "$kdir")
log "debug kernel: selftests with KASAN, KMEMLEAK, lockdep, PROVE_RCU, UBSAN"
IOAM_RS_VM_TIMEOUT=${IOAM_RS_VM_TIMEOUT:-5400} scripts/vm-run.sh -k "$kdir" -l "$REPO_ROOT/logs/debug" -- \
	env IOAM_RS_KO="$ko" "${env_args[@]}" selftests/debug-run.sh "$@"
