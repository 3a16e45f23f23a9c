#!/usr/bin/env bash
# The main job: set everything up, build, boot the test kernel and show ioam_rs at work.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

hold_cargo_cache
kdir=$(scripts/build-all.sh)
log "booting the test kernel (QEMU TCG) for the demo"
scripts/vm-run.sh -k "$kdir" -- scripts/demo-guest.sh
