#!/usr/bin/env bash
# Build (or reuse) a Rust-enabled test kernel.
#   scripts/build-kernel.sh [--cached] [VARIANT]
#                                  VARIANT: test (default), or any NAME with selftests/config.NAME;
#                                  --cached: only if already built (else exit status 1)
# Prints the build directory (usable as KDIR) on stdout. The build is cached under
# $CACHE_DIR/kernels, keyed by kernel version, fragments and toolchain, and is
# rebuilt only when one of those changes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cached_only=0
[ "${1:-}" != --cached ] || { cached_only=1; shift; }
variant=${1:-test}
src=$(kernel_src_dir)
{ [ -n "$src" ] && [ -f "$src/Makefile" ]; } || die "no kernel source: run scripts/provision.sh first"
rust_lib=$(rust_lib_src_dir)
[ -f "$rust_lib/core/src/lib.rs" ] || die "no Rust library sources for rustc $(rustc_version): run scripts/provision.sh"
command -v bindgen >/dev/null || die "bindgen not found: run scripts/provision.sh"

fragments=("$REPO_ROOT/selftests/config")
if [ "$variant" != test ]; then
	[ -f "$REPO_ROOT/selftests/config.$variant" ] || die "unknown kernel variant '$variant' (no selftests/config.$variant)"
	fragments+=("$REPO_ROOT/selftests/config.$variant")
fi

key=$({
	cat "$src/.debian-version"
	cat "${fragments[@]}"
	rustc --version
	bindgen --version
	gcc --version | head -n 1
	# The clang-built debug variant also depends on clang (the gcc-built ones must not: their
	# keys predate clang's installation).
	[ "$variant" != debug ] || "$LIBCLANG_PATH/../bin/clang" --version | head -n 1
	echo "$rust_lib"
} | sha256sum | cut -c1-16)
out="$CACHE_DIR/kernels/$variant-$key"
kmake=(make -C "$src" O="$out" -s RUST_LIB_SRC="$rust_lib" LIBCLANG_PATH="$LIBCLANG_PATH")
# KASAN with Rust needs a clang-built kernel (init/Kconfig: RUST depends on !KASAN || CC_IS_CLANG).
[ "$variant" != debug ] || kmake+=("$(llvm_make_arg)")

if [ -f "$out/.ioam-rs-complete" ]; then
	echo "$out"
	exit 0
fi
[ $cached_only = 0 ] || exit 1

step() { log "kernel $variant: $*"; }
fail() { die "kernel $variant: step '$1' failed (build directory $out)"; }

# A gcc-built variant starts from the test kernel's build when there is one: Kbuild then
# recompiles only what the variant's options touch (the reference kernel: under a minute
# instead of nine).
rm -rf "$out" && mkdir -p "$out"
if [ "$variant" != test ] && [ "$variant" != debug ] && base=$("$0" --cached test); then
	step "starting from the test kernel's build ($base)"
	cp -a "$base/." "$out/" || fail "copy the test kernel's build"
	rm -f "$out/.ioam-rs-complete" "$out/build.log"
fi
step "checking the Rust toolchain"
"${kmake[@]}" rustavailable >/dev/null || fail "make rustavailable"
step "configuring (allnoconfig + ${fragments[*]##*/})"
"${kmake[@]}" allnoconfig >/dev/null || fail "allnoconfig"
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null ||
	fail "merge_config"
"${kmake[@]}" olddefconfig >/dev/null || fail "olddefconfig"
# Every option the fragments ask for (the last fragment wins) must have survived olddefconfig.
missing=$(cat "${fragments[@]}" |
	sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1 \1=\2/p; s/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1 # \1 is not set/p' |
	awk '{ k = $1; sub(/^[^ ]* /, ""); want[k] = $0 } END { for (k in want) print want[k] }' |
	while read -r line; do grep -qxF "$line" "$out/.config" || echo "$line"; done)
[ -z "$missing" ] || die "kernel $variant: options not set as requested (missing dependency?): $(echo "$missing" | tr '\n' ' ')"
step "building bzImage and modules with -j$(($(nproc) + 1)) (about 9 minutes on 2 cores from scratch)"
start=$SECONDS
"${kmake[@]}" -j$(($(nproc) + 1)) bzImage modules >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; fail "make bzImage modules (log: $out/build.log)"; }
touch "$out/.ioam-rs-complete"
step "built in $((SECONDS - start)) s: $out"
echo "$out"
