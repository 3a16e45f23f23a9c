#!/usr/bin/env bash
# Build ioam_rs.ko for another kernel build directory than the test kernel's, from a copy of
# the sources, so that the in-tree build (for the test kernel) stays as it is.
#   scripts/build-module.sh KDIR              prints the path of the built ioam_rs.ko
#   scripts/build-module.sh KDIR debuginfo    the same code with debug information, for
#                                             scripts/bench-inline.py (a copy of its own)
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=${1:?usage: build-module.sh KDIR [debuginfo]}
flavour=${2:-}
case $flavour in
'') rustflags= ;;
debuginfo) rustflags=-Cdebuginfo=1 ;;
*) die "unknown flavour '$flavour' (debuginfo)" ;;
esac
out="$CACHE_DIR/modules/$(basename "$kdir")${flavour:+-$flavour}"
mkdir -p "$out"
# Only what Kbuild reads. Files are compared by content and a changed one is written with the
# time of the copy: unchanged sources are not rebuilt, and a change is, even when the copy's
# objects are newer than the source (built from another checkout).
rsync -r --links --perms --checksum --delete --exclude '*.o' --exclude '*.cmd' \
	--exclude 'bindings_generated.rs' "$REPO_ROOT/src" "$REPO_ROOT/uapi" "$out/"
rsync --perms --checksum "$REPO_ROOT/Kbuild" "$REPO_ROOT/Cargo.toml" "$out/"
log "building ioam_rs.ko against $kdir"
make -C "$REPO_ROOT" -s KDIR="$kdir" MODDIR="$out" ${rustflags:+KRUSTFLAGS="$rustflags"} modules >&2
echo "$out/ioam_rs.ko"
