# Shared settings for the ioam-rs scripts. Source it; do not run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # settings used by the scripts that source this file

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything downloaded or built lives here, outside the repository. Not under
# /var/tmp or /var/cache: inside a virtme-ng guest those are empty tmpfs mounts.
CACHE_DIR=${IOAM_RS_CACHE:-/opt/ioam-rs-cache}

# Debian suite that carries linux-source-7.2 and a rust-src matching rustup's rustc.
SOURCE_SUITE=${IOAM_RS_SOURCE_SUITE:-"trixie-backports forky sid"}
KERNEL_SERIES=7.2

LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
export LIBCLANG_PATH
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[ioam-rs] %s\n' "$*" >&2; }
die() { printf '[ioam-rs] error: %s\n' "$*" >&2; exit 1; }

# Cargo's build products are shared by every checkout whose target/ links to the cache
# (scripts/build-all.sh makes the links), and a build in one checkout replaces the binaries
# that another's guests are running (they fail with "Stale file handle"). So one run at a
# time: the lock is taken before building and held until the calling script and everything it
# started end; the runs it starts inherit it (IOAM_RS_CARGO_LOCK).
hold_cargo_cache() {
	[ -z "${IOAM_RS_CARGO_LOCK:-}" ] || return 0
	if [ -e "$REPO_ROOT/target" ] && [ ! -L "$REPO_ROOT/target" ]; then return 0; fi
	mkdir -p "$CACHE_DIR/cargo"
	local fd
	exec {fd}>"$CACHE_DIR/cargo/lock"
	flock -n "$fd" || die "another checkout's run holds the shared cargo cache ($CACHE_DIR/cargo; \
'fuser $CACHE_DIR/cargo/lock' names it): wait for it to end"
	export IOAM_RS_CARGO_LOCK=1
}

# The rustc the kernel and the module are built with (rustup's, on PATH).
rustc_version() { rustc --version | awk '{print $2}'; }

# Source tree and Rust library sources, as unpacked by provision.sh.
kernel_src_dir() { cat "$CACHE_DIR/src/linux-source.path" 2>/dev/null || true; }
rust_lib_src_dir() { echo "$CACHE_DIR/rust-src/$(rustc_version)/usr/src/rustc-$(rustc_version)/library"; }

# The make argument for a clang/LLVM kernel build with Debian's versioned LLVM tools.
llvm_make_arg() {
	echo "LLVM=-${LIBCLANG_PATH#/usr/lib/llvm-}" | sed 's|/lib$||'
}

# Extra make arguments for building modules against kernel build directory $1.
kernel_make_args() {
	if grep -q '^CONFIG_CC_IS_CLANG=y' "$1/.config" 2>/dev/null; then llvm_make_arg; fi
}

# Debian's stock kernel the VM selftests run on (scripts/debian-kernel.sh), and the other
# release of the series before it that the module is built and checked for.
DEBIAN_KERNEL=${IOAM_RS_DEBIAN_KERNEL:-7.3.4+deb13-amd64}
DEBIAN_KERNEL_PREV=${IOAM_RS_DEBIAN_KERNEL_PREV:-7.2.12+deb13-amd64}

# A cross-section of the selftests (IOAM_RS_TEST_FILTER) for the kernels that do not run them
# all: the control plane, encap through its own route, two IOAM options filled by a transit
# node, a short malformed-packet campaign (with IOAM_RS_FUZZ_COUNT=500) and one upstream bug
# class.
CROSS_SECTION='^(namespace add|unprivileged|encap: tundst|transit_two_options|export_batches|campaign: .*module|reliability: regression: NodeLen)'
