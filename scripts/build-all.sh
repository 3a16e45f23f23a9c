#!/usr/bin/env bash
# Provision, then build the test kernel (cached), ioam_rs.ko and ioamctl.
# Prints the kernel build directory on stdout. Idempotent and quick when nothing changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# scripts/test.sh builds once, then runs guests side by side: they must not rebuild.
if [ -n "${IOAM_RS_PREBUILT:-}" ]; then
	echo "$IOAM_RS_PREBUILT"
	exit 0
fi

"$REPO_ROOT/scripts/provision.sh" >&2
kdir=$("$REPO_ROOT/scripts/build-kernel.sh" test)
log "building ioam_rs.ko against $kdir"
make -C "$REPO_ROOT" -s KDIR="$kdir" >&2
log "building ioamctl"
(cd "$REPO_ROOT" && cargo build --quiet --release -p ioamctl) >&2
echo "$kdir"
