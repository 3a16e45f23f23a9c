#!/usr/bin/env bash
# Make a kernel build directory that an out-of-tree Rust module can be built against, for an
# installed distribution kernel (Debian 13's Rust-enabled backports kernels).
#   scripts/kbuild-prepare.sh [--check] [KERNELRELEASE]     default: the running kernel
# Prints the build directory on stdout. --check: only the preflight checks.
#
# Debian's linux-headers package has the kernel's .config and Module.symvers but not the
# rust/ build products (the compiled `core`, `kernel` and `macros` crates) a Rust module links
# against. They are made here from the matching linux-source package, the headers' .config and
# the rustc the kernel was built with (Rust symbol names depend on the compiler), and cached
# per kernel release in $IOAM_RS_KBUILD_CACHE (default /var/cache/ioam-rs/kbuild). When the
# headers have them (a kernel built by hand, or a future package), they are used as they are.
set -euo pipefail

log() { printf 'ioam-rs: %s\n' "$*" >&2; }
die() { printf 'ioam-rs: error: %s\n' "$*" >&2; exit 1; }

check_only=0
[ "${1:-}" != --check ] || { check_only=1; shift; }
kver=${1:-$(uname -r)}
headers=/lib/modules/$kver/build
cache=${IOAM_RS_KBUILD_CACHE:-/var/cache/ioam-rs/kbuild}

[ -f "$headers/.config" ] || die "no kernel headers for $kver: install linux-headers-$kver"
config() { sed -n "s/^$1=//p" "$headers/.config"; }

for opt in CONFIG_RUST CONFIG_IPV6 CONFIG_LWTUNNEL CONFIG_NETFILTER; do
	case $(config "$opt") in
	y | m) ;;
	*)
		[ "$opt" != CONFIG_RUST ] || die "kernel $kver is built without Rust support (CONFIG_RUST): ioam_rs needs a Rust-enabled kernel, on Debian 13 the backports one (apt install -t trixie-backports linux-image-amd64 linux-headers-amd64)"
		die "kernel $kver is built without $opt, which ioam_rs needs"
		;;
	esac
done

# The module must be compiled by the very rustc the kernel was built with.
want_rustc=$(config CONFIG_RUSTC_VERSION_TEXT | tr -d '"')
have_rustc=$(rustc --version 2>/dev/null) || die "rustc not found: install the one kernel $kver was built with, '$want_rustc' (on Debian 13: apt install rustc rust-src bindgen libclang-dev)"
[ "$have_rustc" = "$want_rustc" ] ||
	die "kernel $kver was built with '$want_rustc', but rustc here is '$have_rustc' (first on PATH: $(command -v rustc)): install that rustc (on Debian 13: apt install rustc rust-src from trixie) and put it first on PATH"
command -v bindgen >/dev/null || die "bindgen not found: install it (on Debian 13: apt install bindgen libclang-dev)"

# Already complete (a kernel built by hand): nothing to make.
if [ -f "$headers/rust/libkernel.rmeta" ]; then
	[ $check_only = 1 ] || echo "$headers"
	exit 0
fi

sysroot_lib="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
[ -f "$sysroot_lib/core/src/lib.rs" ] || die "the Rust library sources for $have_rustc are missing: install rust-src (on Debian 13: apt install rust-src)"

# The source must be that of the headers' package version: the rust/ crates are compiled
# from it and their symbols must be those the kernel exports.
series=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")
tarball=/usr/src/linux-source-$series.tar.xz
pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || true; }
headers_version=$(pkg_version "linux-headers-$kver")
[ -f "$tarball" ] || die "the rust/ build products of kernel $kver are not packaged: install linux-source-$series${headers_version:+=$headers_version} (from trixie-backports), they are made from it"
source_version=$(pkg_version "linux-source-$series")
if [ -n "$headers_version" ] && [ "$source_version" != "$headers_version" ]; then
	die "linux-source-$series is ${source_version:-not from a package} but linux-headers-$kver is $headers_version: install linux-source-$series=$headers_version"
fi
[ $check_only = 0 ] || exit 0

out="$cache/$kver"
key=$({
	echo "$source_version"
	sha256sum "$headers/.config" "$headers/Module.symvers" "$tarball" | cut -d' ' -f1
	echo "$have_rustc modules_prepare"
	bindgen --version
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)
if [ -f "$out/.ioam-rs-complete" ] && [ "$(cat "$out/.ioam-rs-complete")" = "$key" ]; then
	echo "$out"
	exit 0
fi

log "making the rust/ build products of $kver from linux-source-$series $source_version with $have_rustc (a few minutes)"
rm -rf "$out" && mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1
cp "$headers/.config" "$headers/Module.symvers" "$out/"
kmake=(make -C "$out" -s KERNELRELEASE="$kver")
"${kmake[@]}" olddefconfig >/dev/null
# olddefconfig may only re-derive what depends on the local tools; a lost option means the
# tools here are not the kernel's.
lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$headers/.config" | grep -vE '^CONFIG_(CC|AS|LD|RUSTC|BINDGEN|PAHOLE|GCC|CLANG)_' |
	grep -vxFf "$out/.config" || true)
[ -z "$lost" ] || die "the kernel configuration of $kver changed with the tools here (is this the compiler it was built with?): $(head -n 5 <<<"$lost" | tr '\n' ' ')"
"${kmake[@]}" -j"$(nproc)" modules_prepare >"$out/.ioam-rs-prepare.log" 2>&1 ||
	{ tail -n 20 "$out/.ioam-rs-prepare.log" >&2; die "make modules_prepare failed for $kver (log: $out/.ioam-rs-prepare.log)"; }
[ -f "$out/rust/libkernel.rmeta" ] || die "make modules_prepare made no rust/libkernel.rmeta for $kver"
[ "$(cat "$out/include/config/kernel.release")" = "$kver" ] || die "the prepared tree's release is not $kver"
echo "$key" >"$out/.ioam-rs-complete"
log "kernel build directory for $kver: $out"
echo "$out"
