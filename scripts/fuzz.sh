#!/usr/bin/env bash
# Fuzz the packet-format crate (src/wire) for a bounded time: builds the cargo-fuzz targets in
# fuzz/ (libFuzzer, no sanitizer: this works on the stable toolchain) and runs each for SECONDS
# (default 30), starting from the seed corpus committed in fuzz/corpus/TARGET/.
#   scripts/fuzz.sh [SECONDS]
# New inputs go to fuzz/target/corpus/TARGET/ (kept between runs), libFuzzer's output to
# logs/fuzz/TARGET.log, a crashing input to fuzz/artifacts/TARGET/; exits non-zero on a crash.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

secs=${1:-30}
[[ $secs =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/fuzz.sh [SECONDS] (a positive integer)"

if ! cargo fuzz --version >/dev/null 2>&1; then
	log "cargo install cargo-fuzz (about 2 minutes; scripts/provision.sh does the same)"
	cargo install --locked --quiet cargo-fuzz
fi

log "building the fuzz targets ($(cargo fuzz --version), $(rustc --version | awk '{print $1, $2}'))"
cargo fuzz build -s none >&2

mkdir -p logs/fuzz
# fuzz_one TARGET: run it for $secs seconds; its execution count goes to logs/fuzz/TARGET.execs.
fuzz_one() {
	local target=$1 work="fuzz/target/corpus/$1" out="logs/fuzz/$1.log" crash execs rate units
	[ -d "fuzz/corpus/$target" ] || die "no seed corpus fuzz/corpus/$target"
	mkdir -p "$work"
	log "fuzzing $target for ${secs}s (seeds: $(find "fuzz/corpus/$target" -type f | wc -l) files; log: $out)"
	# The first corpus directory receives the new inputs: the committed seeds stay as they are.
	if ! cargo fuzz run -s none "$target" "$work" "fuzz/corpus/$target" -- \
		-max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$out" 2>&1; then
		grep -E -A 3 "panicked at" "$out" | head -n 8 >&2 || tail -n 30 "$out" >&2
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$out" | tail -n 1)
		[ -n "$crash" ] || die "$target failed without a crashing input: see $out"
		die "$target crashed on $crash; reproduce with: cargo fuzz run -s none $target $crash"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out")
	units=$(find "$work" -type f | wc -l)
	[ -n "$execs" ] || die "$target: no execution count in $out"
	log "$target: $execs executions in ${secs}s ($rate/s), no crash; corpus $units inputs"
	echo "$execs" >"logs/fuzz/$target.execs"
}

# The targets side by side: libFuzzer runs on one core.
pids=() targets=()
for target in $(cargo fuzz list); do
	rm -f "logs/fuzz/$target.execs"
	fuzz_one "$target" &
	pids+=($!) targets+=("$target")
done
total=0 failed=0
for i in "${!pids[@]}"; do
	if wait "${pids[$i]}"; then
		total=$((total + $(cat "logs/fuzz/${targets[$i]}.execs")))
	else
		failed=1
	fi
done
[ $failed = 0 ] || die "fuzzing found a crash or failed (above)"
log "fuzzing done: $total executions in all, no crash"
