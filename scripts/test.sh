#!/usr/bin/env bash
# The whole test suite: host-side unit tests, warning-free module builds, then the selftests
# in guests under QEMU, two at a time: every selftest file on Debian's stock kernel (the module
# built for it through DKMS), a cross-section on the other kernels the module supports, the
# reference kernel's slot test and benchmark smoke run, and the debug kernel's cross-section.
# Provisions what it needs.
#   scripts/test.sh [SELFTEST_FILE...]     these files only, on Debian's stock kernel
# Ends with "N passed, N failed, N skipped" over every guest; exits non-zero if anything failed.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

hold_cargo_cache
kdir=$(scripts/build-all.sh)
# The guests below run side by side and must not rebuild what is built here.
export IOAM_RS_PREBUILT=$kdir
# Debian's stock kernel and ioam_rs.ko built for it by DKMS (scripts/debian-kernel.sh).
stock=$(scripts/debian-kernel.sh "$DEBIAN_KERNEL")
stock_image=$(sed -n 1p <<<"$stock") stock_ko=$(sed -n 2p <<<"$stock")
# A hung guest must not hang CI (90 minutes): each guest is bounded well below it.
export IOAM_RS_VM_TIMEOUT=${IOAM_RS_VM_TIMEOUT:-4800}
# One vCPU per guest, two guests at a time: on two cores, two guests of two vCPUs each ran 3 to
# 4 times slower than one alone when each vCPU had a QEMU thread of its own (a vCPU spins on
# IPIs and stop_machine() while its sibling's thread waits for the host CPU; vm-run.sh now runs
# a guest's vCPUs on one thread), two of one vCPU each 1.1 to 1.4 times.
export IOAM_RS_GUEST_CPUS=${IOAM_RS_GUEST_CPUS:-1}

# on_stock LOGNAME [SELFTEST_FILE...]: selftests in Debian's stock kernel.
on_stock() {
	local name=$1
	shift
	scripts/vm-run.sh -k "$stock_image" -l "$REPO_ROOT/logs/$name" -- \
		env IOAM_RS_KO="$stock_ko" IOAM_RS_FOREIGN_KO="$REPO_ROOT/ioam_rs.ko" selftests/run.sh "$@"
}

if [ $# -gt 0 ]; then
	log "VM: $* on Debian's $DEBIAN_KERNEL"
	on_stock stock "$@"
	exit
fi

# The guests' jobs. Each job's output goes to logs/jobs/NAME.out and is shown when it ends.
job_names=() job_cmds=()
job() { # job NAME COMMAND...
	job_names+=("$1")
	shift
	job_cmds+=("$(printf '%q ' "$@")")
}

# The debug kernel (KASAN, KMEMLEAK, lockdep, UBSAN): a cross-section; `make check-debug` runs
# everything. Building that kernel takes about 18 minutes, which a first run on a fresh machine
# cannot add within CI's 90: then the cross-section waits until the debug kernel exists. It
# starts early, so that where the rest is cached it is built beside the other guests.
debug_cross_section() {
	if scripts/build-kernel.sh --cached debug >/dev/null || [ $SECONDS -lt $((25 * 60)) ]; then
		scripts/check-debug.sh --quick
	else
		log "debug kernel: not built yet and no time left for it in this run; skipped (make check-debug)"
	fi
}

# Every selftest file on Debian's stock kernel, one guest each (each with its own time limit).
# The reliability file runs with two vCPUs, its races need them (the other guest then runs
# slower for a while); its three longest loops smaller: a quarter of the load cycles and
# network namespaces, 4 of the 10 IPv6 disable cycles (REL_* in the environment overrides that).
stock_reliability() {
	export REL_LOAD_CYCLES=${REL_LOAD_CYCLES:-25} REL_NETNS_ROUNDS=${REL_NETNS_ROUNDS:-10} \
		REL_IDEV_CYCLES=${REL_IDEV_CYCLES:-4}
	export IOAM_RS_GUEST_CPUS=2
	on_stock stock-reliability selftests/test_reliability.sh
}

# The reference kernel, whose built-in IOAM holds the lightweight-tunnel slot: ioam_rs.ko must
# refuse to load there; then the benchmark harness, briefly (the figures come from make bench).
reference_checks() {
	local refkdir refko
	refkdir=$(scripts/build-kernel.sh reference)
	refko=$(scripts/build-module.sh "$refkdir")
	scripts/vm-run.sh -k "$refkdir" -l "$REPO_ROOT/logs/reference" -- \
		env IOAM_RS_KO="$refko" selftests/run.sh selftests/reference/test_slot.sh
	scripts/bench.sh --smoke
}

# The other kernels the module is built for: Debian's previous series through DKMS, and the
# project's own kernel (rustup's compiler): the cross-section.
previous_debian() {
	local prev status
	prev=$(scripts/debian-kernel.sh "$DEBIAN_KERNEL_PREV")
	# Installing for one kernel keeps the module of the others (scripts/dkms-install.sh).
	status=$(scripts/debian-root.sh run dkms status -m ioam-rs)
	grep -q "^ioam-rs/[^,]*, $DEBIAN_KERNEL, .*: installed" <<<"$status" ||
		die "installing for $DEBIAN_KERNEL_PREV dropped $DEBIAN_KERNEL's module: $status"
	scripts/vm-run.sh -k "$(sed -n 1p <<<"$prev")" -l "$REPO_ROOT/logs/debian-prev" -- \
		env IOAM_RS_KO="$(sed -n 2p <<<"$prev")" IOAM_RS_FUZZ_COUNT=500 IOAM_RS_TEST_FILTER="$CROSS_SECTION" selftests/run.sh
}

# Longest first (as measured here), so that the two guests end together.
job debug debug_cross_section
job stock-reliability stock_reliability
job stock-transit on_stock stock-transit selftests/test_transit.sh
job reference reference_checks
job stock-encap on_stock stock-encap selftests/test_encap.sh
job stock-campaign on_stock stock-campaign selftests/test_campaign.sh
job debian-prev previous_debian
job stock-control on_stock stock-control selftests/test_control.sh
job project-kernel scripts/vm-run.sh -k "$kdir" -l "$REPO_ROOT/logs/project" -- \
	env IOAM_RS_FUZZ_COUNT=500 IOAM_RS_TEST_FILTER="$CROSS_SECTION" selftests/run.sh

jobdir="$REPO_ROOT/logs/jobs"
rm -rf "$jobdir" && mkdir -p "$jobdir"
max=${IOAM_RS_GUESTS:-2}
declare -A running=() started=()
next=0 passed=0 failed=0 skipped=0 failed_jobs=()

# start_job: the next job, in the background.
start_job() {
	(eval "${job_cmds[$next]}") >"$jobdir/${job_names[$next]}.out" 2>&1 </dev/null &
	running[$!]=$next started[$next]=$SECONDS
	log "started: ${job_names[$next]}"
	next=$((next + 1))
}

# kill_tree PID: PID and every process under it (a guest is vng, QEMU and virtiofsd).
kill_tree() {
	local child
	for child in $(ps -o pid= --ppid "$1"); do kill_tree "$child"; done
	kill "$1" 2>/dev/null || true
}
# Whatever ends this script early leaves no guest running.
trap 'for pid in "${!running[@]}"; do kill_tree "$pid"; done' EXIT

# The longest job runs beside the host checks, which leave a core idle most of the time.
start_job

log "host: cargo test"
cargo test --quiet --workspace 2>&1

log "host: selftest tools (python3 -m unittest)"
(cd selftests && python3 -m unittest discover -q -s tests_host -t . 2>&1)

log "host: fuzzing the packet-format crate (bounded)"
scripts/fuzz.sh "${IOAM_RS_FUZZ_SECONDS:-30}"

log "host: rustfmt (the workspace; the module with the kernel's .rustfmt.toml)"
cargo fmt --all --check
mapfile -t module_sources < <(find src -path src/wire -prune -o -name '*.rs' ! -name bindings_generated.rs -print | sort)
rustfmt --check --edition 2021 --config-path "$(kernel_src_dir)/.rustfmt.toml" "${module_sources[@]}"

log "host: shellcheck (scripts/, scripts/guest/, selftests/; .shellcheckrc)"
shellcheck scripts/*.sh scripts/guest/* selftests/*.sh selftests/*/*.sh

log "host: the module's import graph has no cycle (scripts/import_graph.py)"
scripts/import_graph.py >/dev/null

log "host: cargo clippy"
cargo clippy --quiet --workspace --all-targets -- -D warnings

log "host: DKMS preflight checks (in the Debian 13 root)"
scripts/debian-root.sh run selftests/host/dkms_preflight.sh

log "host: ioamctl and ioam-exporter with Debian 13's cargo, as users install them"
scripts/debian-root.sh run env CARGO_TARGET_DIR="$CACHE_DIR/debian-root/target" \
	CARGO_HOME="$CACHE_DIR/debian-root/cargo-home" cargo build --quiet --locked --release \
	-p ioamctl -p ioam-exporter

log "module: rebuilding for the project's kernel with CLIPPY=1; any warning fails"
make -s KDIR="$kdir" clean >/dev/null
out=$(make -s KDIR="$kdir" CLIPPY=1 2>&1) || { printf '%s\n' "$out"; die "module build failed"; }
if grep -qiE 'warning|error' <<<"$out"; then
	printf '%s\n' "$out"
	die "the module build printed warnings"
fi

while [ $next -lt ${#job_names[@]} ] || [ ${#running[@]} -gt 0 ]; do
	while [ ${#running[@]} -lt "$max" ] && [ $next -lt ${#job_names[@]} ]; do start_job; done
	rc=0
	wait -n -p pid "${!running[@]}" || rc=$?
	i=${running[$pid]}
	unset "running[$pid]"
	name=${job_names[$i]}
	log "=== $name: status $rc after $((SECONDS - started[$i])) s"
	cat "$jobdir/$name.out"
	counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$jobdir/$name.out" | tail -n 1 || true)
	if [ -n "$counts" ]; then
		read -r p _ f _ s _ <<<"${counts//,/}"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	fi
	if [ "$rc" -ne 0 ]; then
		failed_jobs+=("$name")
		# A job that failed without a failed test (a build, a kernel report, the benchmark) counts.
		[ -n "$counts" ] && [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
	fi
done
log "suite finished in $SECONDS s${failed_jobs[*]:+; failed: ${failed_jobs[*]}}"
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#failed_jobs[@]} -eq 0 ]
