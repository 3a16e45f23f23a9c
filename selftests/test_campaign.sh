# SPDX-License-Identifier: GPL-2.0
# Malformed-packet campaign: 100,000 crafted and randomly mutated IPv6 packets with Hop-by-Hop
# IOAM options (ioam_send.py --fuzz: every 8th a seed case, the rest mutations) into a transit
# node, once with the module's own switch (the kernel then checks alignment only: the module's
# parser is the line of defence) and once with the kernel's ioam6_enabled. Every packet must be
# filled, passed or dropped exactly as ioam_send.py's model of a transit node predicts, every
# drop counted; the node stays responsive; the kernel log stays clean (checked by the runner).
# Uses malformed_seeds from chain.sh. Sourced by selftests/run.sh.
# IOAM_RS_FUZZ_SEED replays a run; IOAM_RS_FUZZ_COUNT changes its size.
# shellcheck shell=bash

FUZZ_COUNT=${IOAM_RS_FUZZ_COUNT:-100000}
FUZZ_SEED=${IOAM_RS_FUZZ_SEED:-$(date +%s)}

test_campaign_module() {
	echo "seed $FUZZ_SEED (IOAM_RS_FUZZ_SEED=$FUZZ_SEED replays it)"
	malformed_seeds module prerouting --fuzz "$FUZZ_COUNT" --seed "$FUZZ_SEED"
}

test_campaign_sysctl() {
	echo "seed $FUZZ_SEED (IOAM_RS_FUZZ_SEED=$FUZZ_SEED replays it)"
	malformed_seeds sysctl inline --fuzz "$FUZZ_COUNT" --seed "$FUZZ_SEED"
}

run_test "campaign: $FUZZ_COUNT mutated IOAM packets, module switch" test_campaign_module
run_test "campaign: $FUZZ_COUNT mutated IOAM packets, kernel sysctl" test_campaign_sysctl
