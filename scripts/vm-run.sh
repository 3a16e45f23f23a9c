#!/usr/bin/env bash
# Run a command inside a test kernel under QEMU TCG (virtme-ng), then check the guest's
# kernel log. The guest sees this machine's filesystem; LOGDIR is writable from it.
#   scripts/vm-run.sh [-k KDIR|IMAGE] [-l LOGDIR] -- COMMAND [ARG...]
# KDIR: a kernel build directory; IMAGE: a kernel image whose modules are in /lib/modules
# (Debian's kernel, scripts/debian-kernel.sh).
# Exit status: the command's, or 1 if the guest kernel logged a warning, bug or splat.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir='' logdir="$REPO_ROOT/logs"
# A hung guest must not hang CI: the whole run is bounded.
vm_timeout=${IOAM_RS_VM_TIMEOUT:-1800}
while [ $# -gt 0 ]; do
	case $1 in
	-k) kdir=$2; shift 2 ;;
	-l) logdir=$2; shift 2 ;;
	--) shift; break ;;
	*) die "vm-run.sh: unknown option $1" ;;
	esac
done
[ $# -gt 0 ] || die "usage: vm-run.sh [-k KDIR|IMAGE] [-l LOGDIR] -- COMMAND [ARG...]"
[ -n "$kdir" ] || kdir=$("$REPO_ROOT/scripts/build-kernel.sh" test)
image=$kdir
[ -f "$image" ] || image="$kdir/arch/x86/boot/bzImage"
[ -f "$image" ] || die "no kernel image: $kdir"
command -v vng >/dev/null || die "vng not found: run scripts/provision.sh"

mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)
dmesg_log="$logdir/guest-dmesg.log"
# The kernel log as it is written, for a guest that dies before it can save dmesg.
live_log="$logdir/guest-kmsg-live.log"
rm -f "$dmesg_log" "$live_log"

# The guest does not inherit this environment: the suite's own settings (IOAM_RS_*, REL_*)
# are passed on.
forward=(env)
while IFS= read -r name; do
	forward+=("$name=${!name}")
done < <(compgen -e | grep -E '^(IOAM_RS_|REL_)' || true)
# The command runs from the repository root; the guest's kernel log is saved at the end. A
# marker in that log separates boot from the command's run.
marker='ioam-rs: guest command starts'
guest_cmd="echo '$marker' >/dev/kmsg; (cat /dev/kmsg >$(printf %q "$live_log") 2>/dev/null &); cd $(printf %q "$REPO_ROOT") && $(printf '%q ' "${forward[@]}" "$@"); rc=\$?; dmesg > $(printf %q "$dmesg_log"); exit \$rc"
# The init's PATH starts with scripts/guest (kernel parameters it does not know reach init as
# its environment; the initramfs of a modular kernel needs the usual directories after it).
guest_path="$REPO_ROOT/scripts/guest:/usr/sbin:/usr/bin:/sbin:/bin"
[[ "$guest_path" != *[[:space:]]* ]] || die "vm-run.sh: the repository's path must not contain white space"
# vng needs a standard input (CI has none) and TCG: this machine's KVM cannot boot a guest.
# Its output goes through a pipe: given a regular file, it is reopened and truncated.
# IOAM_RS_GUEST_CPUS: the guest's vCPUs (2). IOAM_RS_VNG_ARGS: more vng options (the
# benchmarks' QEMU instruction counting).
# The kernel log is read once, at the end: log_buf_len keeps a long run's log from wrapping.
# The serial console is shown (--verbose) at loglevel 1: only an oops or a panic, which raise
# the console's level themselves, reach it, so a guest that dies leaves why in the output
# (a panic ends QEMU at once: no kernel log is saved, vng's status is 255). What it prints
# before the kernel reads its loglevel (the early console's replay of the boot so far), the
# lines its KASLR writes there directly, and its power-down line, are left out (console_filter).
# The vCPUs take turns on one host thread (thread=single): Debian 12's QEMU 7.2, when vCPUs run
# on threads of their own, can run stale code after the kernel patches itself (seen: an oops on
# the int3 of a netfilter static key flipped as a hook was registered under traffic: the fault
# MPTCP's selftests met, which QEMU 8.1 fixed, commit deba78709a). Races are still run: the
# kernel is preempted between the vCPUs.
run_guest() {
	# shellcheck disable=SC2086
	timeout --kill-after=30 "$vm_timeout" vng --run "$image" --disable-kvm --user root --cpus "${IOAM_RS_GUEST_CPUS:-2}" --memory 2G \
		--qemu-opts=-accel --qemu-opts=tcg,thread=single \
		--verbose --append loglevel=1 --append log_buf_len=4M --append "PATH=$guest_path" --rwdir "$logdir" \
		${IOAM_RS_VNG_ARGS:-} --exec "$guest_cmd" </dev/null 2>&1 | console_filter
}
# Holds the output back until the early console's line (the boot before it is dropped); without
# that line, nothing is dropped.
console_filter() {
	awk '!booted { held = held $0 "\n"; if (/bootconsole \[earlyser0\] enabled/) { booted = 1; held = "" }; next }
		/reboot: Power down\r?$|^(Memory|Poking) KASLR using / { next }
		{ print; fflush() }
		END { printf "%s", held }'
}
# A guest that ends within a minute, failing, before the command started (it creates the live
# log first) never booted: vng itself failed to start it (seen once, with status 255 and no
# output, as another guest started beside it). Nothing of the module ran: it is started again,
# once; a kernel that cannot boot fails both times.
for attempt in 1 2; do
	rc=0 started=$SECONDS
	run_guest || rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ] || [ -e "$live_log" ] || [ -s "$dmesg_log" ] ||
		[ $((SECONDS - started)) -ge 60 ] || [ $attempt = 2 ]; then
		break
	fi
	log "the guest did not start (vng exit status $rc after $((SECONDS - started)) s): starting it again"
	sleep 2
done

[ "$rc" -ne 124 ] || log "the guest did not finish within ${vm_timeout} s (IOAM_RS_VM_TIMEOUT)"
if [ ! -s "$dmesg_log" ]; then
	log "the guest left no kernel log (boot failure or crash: a panic shows above); vng exit status $rc"
	if [ -s "$live_log" ]; then
		log "the last lines it logged (all of them in $live_log):"
		tail -n 40 "$live_log" >&2
	fi
	exit $((rc ? rc : 1))
fi
rm -f "$live_log"
# Any of these in the guest's log fails the run, whatever the tests said.
# (kmemleak reports, not its start-up lines, which debug kernels print; work the module queued
# where the kernel says it must not any more.)
splat='WARNING:|BUG:|Oops|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|possible recursive locking|circular locking dependency|suspicious RCU usage|INFO: task .* blocked|rcu_.*detected stall|Kernel panic|general protection fault|Call Trace:|\[ioam_rs\] enqueued on deprecated workqueue'
# A report during boot, before the command ran, cannot involve the module (not loaded yet): it
# is shown, not counted. (The one seen, KASAN's false wild access under 5-level paging, is
# avoided by scripts/check-debug.sh's no5lvl; this keeps another such upstream report from
# failing a run of hours.)
# Without the marker (the log was cleared or overrun), the whole log counts as the command's.
start=$(grep -n -m1 -F "$marker" "$dmesg_log" | cut -d: -f1 || true)
if [ -z "$start" ]; then
	log "the guest's kernel log lacks the start marker: all of it is checked as the command's"
	start=1
elif head -n "$start" "$dmesg_log" | grep -Eq "$splat"; then
	log "the guest kernel logged a report during boot, before the guest command ran (not counted):"
	head -n "$start" "$dmesg_log" | grep -E -B2 -A12 "$splat" | head -n 30 >&2
	cp "$dmesg_log" "$logdir/guest-dmesg-boot-report.log"
	log "kept in $logdir/guest-dmesg-boot-report.log"
fi
if tail -n "+$start" "$dmesg_log" | grep -Eq "$splat"; then
	log "the guest kernel logged a report:"
	tail -n "+$start" "$dmesg_log" | grep -E -B2 -A20 "$splat" | head -n 60 >&2
	log "full guest kernel log: $dmesg_log"
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	log "guest command failed (status $rc); guest kernel log kept in $dmesg_log"
else
	rm -f "$dmesg_log"
fi
exit "$rc"
