#!/usr/bin/env bash
# Benchmarks: ioam_rs.ko against the kernel's own IOAM (the reference kernel: same source, same
# configuration but CONFIG_IPV6_IOAM6_LWTUNNEL=y), same scenarios, same machine, same run.
#   scripts/bench.sh            full run: IOAM_RS_BENCH_ROUNDS rounds (default 5) of
#                               IOAM_RS_BENCH_PACKETS packets (default 200000) per scenario and
#                               kernel, the kernels alternating, then an allocation audit of
#                               IOAM_RS_BENCH_AUDIT_PACKETS packets (default 1000000) per
#                               scenario and kernel
#   scripts/bench.sh --smoke    one short round and a short audit: checks the harness only
#   scripts/bench.sh --quick SCENARIO...
#                               one run of IOAM_RS_BENCH_QUICK_PACKETS packets (default
#                               100000) of each scenario on the module's kernel alone, after
#                               a run of baseline: thousands of instructions a packet, and
#                               what each scenario costs beyond plain forwarding; for
#                               comparing two builds of the module (run it on each)
#   scripts/bench.sh --profile [SCENARIO...]
#                               where the instructions go: a perf profile of each scenario
#                               (default: all) on both kernels, and the module's hottest
#                               functions instruction by instruction, for optimising
# Results: bench/results/DATE/ (raw CSV, results.csv, results.md, results.png); the latest
# full run is copied to bench/latest.* and its table into README.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

smoke=0 profile=0 quick=0
case ${1:-} in
--smoke) smoke=1 ;;
--profile) profile=1; shift; export IOAM_RS_BENCH_SCENARIOS="$*" ;;
--quick)
	quick=1; shift
	[ $# -gt 0 ] || die "--quick needs the scenarios to run"
	# Baseline first: runs of one build differ by up to 0.03 k instructions a packet from one
	# boot to the next, in every scenario alike, so a scenario is read against its own run's
	# baseline.
	export IOAM_RS_BENCH_SCENARIOS="baseline $*"
	;;
esac
if [ $smoke = 1 ]; then
	rounds=1 packets=5000 audit_packets=5000
else
	rounds=${IOAM_RS_BENCH_ROUNDS:-5} packets=${IOAM_RS_BENCH_PACKETS:-200000}
	audit_packets=${IOAM_RS_BENCH_AUDIT_PACKETS:-1000000}
fi

hold_cargo_cache
kdir=$(scripts/build-all.sh)
# The quick runs need no reference kernel (a build of its own where it is not cached yet).
[ $quick = 1 ] || refkdir=$(scripts/build-kernel.sh reference)
out="$REPO_ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)$([ $smoke = 0 ] || echo -smoke)$([ $profile = 0 ] || echo -profile)$([ $quick = 0 ] || echo -quick)"
mkdir -p "$out"
# One vCPU (pktgen and the whole forwarding chain run on it), and QEMU counting instructions:
# guest time advances by 1 ns per instruction, so packets per guest second measure the cost in
# instructions, whatever the host's load.
export IOAM_RS_GUEST_CPUS=1 IOAM_RS_VNG_ARGS="--qemu-opts=-icount --qemu-opts=shift=0,sleep=off"

run() { # run KERNEL PACKETS [audit]
	local k=$kdir vng=$IOAM_RS_VNG_ARGS
	[ "$1" = ioam-rs ] || k=$refkdir
	# Counting allocations needs no instruction counting, which slows QEMU down.
	[ "${3:-}" != audit ] || vng=
	IOAM_RS_VNG_ARGS=$vng scripts/vm-run.sh -k "$k" -l "$out" -- scripts/bench-guest.sh "$1" "$2" "$out" ${3:+"$3"} ||
		die "benchmark run on $1 failed"
}
if [ $quick = 1 ]; then
	run ioam-rs "${IOAM_RS_BENCH_QUICK_PACKETS:-100000}"
	# speed.csv: kernel, scenario, packets sent, received, elapsed, busy and work ns.
	awk -F, 'BEGIN { printf "%-32s %15s %16s\n", "scenario", "k insns/packet", "beyond baseline" }
		{ k = $4 > 0 ? $7 / $4 / 1000 : 0 }
		$2 == "baseline" { base = k }
		{ printf "%-32s %15.3f %+16.3f\n", $2, k, k - base }' "$out/speed.csv"
	log "raw figures: $out/speed.csv"
	exit 0
fi
if [ $profile = 1 ]; then
	run ioam-rs "$packets" profile
	run upstream "$packets" profile
	twin=$(scripts/build-module.sh "$kdir" debuginfo)
	for f in "$out"/offsets-ioam-rs-*.txt; do
		python3 scripts/bench-annotate.py "$f" ioam_rs.ko >"${f/offsets-/annotate-}"
		python3 scripts/bench-inline.py --packets "$packets" "$f" ioam_rs.ko "$twin" \
			>"${f/offsets-/inline-}"
	done
	log "profiles: $out/profile-*.txt; the module's hottest functions by instruction: $out/annotate-*.txt; by source function, inlined ones included: $out/inline-*.txt"
	exit 0
fi
for r in $(seq "$rounds"); do
	log "round $r of $rounds"
	if [ $((r % 2)) = 1 ]; then
		run ioam-rs "$packets"; run upstream "$packets"
	else
		run upstream "$packets"; run ioam-rs "$packets"
	fi
done
log "allocation audit ($audit_packets packets per scenario)"
run ioam-rs "$audit_packets" audit
run upstream "$audit_packets" audit

python3 scripts/bench-report.py "$out" --date "$(date -u +%Y-%m-%d)" --rounds "$rounds" --packets "$packets"
if [ $smoke = 0 ]; then
	for f in results.md results.csv results.png; do cp "$out/$f" "bench/latest.${f#results.}"; done
	python3 scripts/bench-report.py "$out" --update-readme README.md
fi
log "results: $out/results.md"
cat "$out/results.md"
