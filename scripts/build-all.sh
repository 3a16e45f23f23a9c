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
# Cargo's build products (the workspace's and the fuzz targets') are cached like the kernels:
# a clean checkout (CI) links to them instead of compiling every dependency again.
for dir in target fuzz/target; do
	if [ ! -e "$REPO_ROOT/$dir" ] && [ ! -L "$REPO_ROOT/$dir" ]; then
		mkdir -p "$CACHE_DIR/cargo/$dir"
		ln -s "$CACHE_DIR/cargo/$dir" "$REPO_ROOT/$dir"
	fi
done
kdir=$("$REPO_ROOT/scripts/build-kernel.sh" test)
log "building ioam_rs.ko against $kdir"
# objtool's warnings come from this build only (a CLIPPY=1 build compiles differently).
out=$(make -C "$REPO_ROOT" -s KDIR="$kdir" 2>&1) || { printf '%s\n' "$out" >&2; die "module build failed"; }
[ -z "$out" ] || printf '%s\n' "$out" >&2
if grep -qiE 'warning|error' <<<"$out"; then die "the module build printed warnings"; fi
log "building ioamctl"
(cd "$REPO_ROOT" && cargo build --quiet --release -p ioamctl -p ioam-exporter) >&2
echo "$kdir"
