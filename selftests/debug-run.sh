#!/usr/bin/env bash
# In the debug kernel: the selftests, then, with the module unloaded, a kmemleak scan that must
# find nothing (scripts/check-debug.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
leaks=/sys/kernel/debug/kmemleak
# kmemleak's own thread scans all memory every 10 minutes, a CPU's worth of work for minutes
# under TCG: scan once, at the end (what leaks during the run is still unreferenced then).
[ ! -w $leaks ] || echo scan=off >$leaks
selftests/run.sh "$@" || rc=$?
! grep -q '^ioam_rs ' /proc/modules || rmmod ioam_rs || rc=1
if [ -w $leaks ]; then
	# Objects freed through RCU need grace periods before they stop looking unreferenced.
	sleep 5
	echo scan >$leaks
	sleep 5
	echo scan >$leaks
	if [ -s $leaks ]; then
		echo "kmemleak: suspected leaks:"
		head -n 60 $leaks
		rc=1
	else
		echo "kmemleak: no leaks"
	fi
else
	echo "kmemleak: not available"
	rc=1
fi
exit $rc
