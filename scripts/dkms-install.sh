#!/usr/bin/env bash
# Install ioam_rs.ko with DKMS for an installed Debian kernel (default: the running one), so
# that kernel upgrades rebuild it. Run as root on Debian 13 with the packages README.md lists.
#   scripts/dkms-install.sh [--kernel KERNELRELEASE] [--print-module]
# --print-module: print the path of the installed module on stdout.
# The preflight checks (scripts/kbuild-prepare.sh --check) run before DKMS is touched: a
# kernel without Rust or a rustc that does not match stops here, with nothing added.
set -euo pipefail

log() { printf 'ioam-rs: %s\n' "$*" >&2; }
die() { printf 'ioam-rs: error: %s\n' "$*" >&2; exit 1; }

src_dir=$(cd "$(dirname "$0")/.." && pwd)
kver=$(uname -r) print_module=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kver=$2; shift 2 ;;
	--print-module) print_module=1; shift ;;
	*) die "dkms-install.sh: unknown argument '$1' (usage: dkms-install.sh [--kernel KERNELRELEASE] [--print-module])" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "dkms-install.sh must run as root"
command -v dkms >/dev/null || die "dkms not found: apt install dkms"

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$src_dir/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src_dir/dkms.conf")
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$src_dir/Cargo.toml" | head -n 1)
[ "$version" = "$cargo_version" ] || die "dkms.conf says version $version but Cargo.toml $cargo_version"

"$src_dir/scripts/kbuild-prepare.sh" --check "$kver"

# The kernels that have the module (any version) installed keep it: it is rebuilt for them
# from this source, as a package upgrade would. (dkms status, DKMS 3: "NAME/VERSION, KERNEL,
# ARCH: installed".)
status=$(dkms status -m "$name" 2>/dev/null || true)
mapfile -t others < <(awk -F', ' -v k="$kver" '/: installed/ && $2 != k { print $2 }' <<<"$status" | sort -u)
mapfile -t old_versions < <(awk -F', ' '{ v = $1; sub(/^[^\/]*\//, "", v); sub(/:.*/, "", v); if (v != "") print v }' <<<"$status" | sort -u)

# What the module build reads, and nothing else, for DKMS's source directory: staged first, so
# that a kernel that has the module built from the very same source keeps it (a second run is
# quick; every install rebuilds all kernels that keep the module, so theirs is this source).
dest=/usr/src/$name-$version
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/scripts"
cp -a "$src_dir/dkms.conf" "$src_dir/Makefile" "$src_dir/Kbuild" "$src_dir/Cargo.toml" "$stage/"
cp -a "$src_dir/scripts/kbuild-prepare.sh" "$src_dir/scripts/common.sh" "$stage/scripts/"
rsync -a --exclude target --exclude '*.o' --exclude '.*.cmd' --exclude 'bindings_generated.rs*' \
	"$src_dir/src" "$src_dir/uapi" "$stage/"
# installed_module: the installed ioam_rs of $kver (modinfo finds it once depmod has indexed
# the kernel's modules, the kernel image installed); nothing, and success, when there is none
# (on a fresh machine not even the directory exists).
installed_module() {
	modinfo -k "$kver" -n ioam_rs 2>/dev/null && return
	find "/lib/modules/$kver/updates" -name 'ioam_rs.ko*' 2>/dev/null | head -n 1 || true
}
ko=$(installed_module)
if grep -q "^$name/$version, $kver, [^:]*: installed" <<<"$status" && [ -n "$ko" ] &&
	diff -r -q "$stage" "$dest" >/dev/null 2>&1; then
	log "already installed for $kver from this source: $ko"
	[ $print_module = 0 ] || echo "$ko"
	exit 0
fi

for v in "${old_versions[@]}" "$version"; do dkms remove "$name/$v" --all >/dev/null 2>&1 || true; done
rm -rf "$dest" && mkdir -p "$dest"
cp -a "$stage/." "$dest/"

undo() {
	dkms remove "$name/$version" --all >/dev/null 2>&1 || true
	rm -rf "$dest"
	[ ${#others[@]} -eq 0 ] || log "no longer installed for ${others[*]} either"
}
dkms add "$name/$version" >&2 || { undo; die "dkms add failed"; }
if ! dkms build "$name/$version" -k "$kver" >&2; then
	log "build log: $(ls /var/lib/dkms/"$name/$version"/build/make.log 2>/dev/null)"
	tail -n 30 "/var/lib/dkms/$name/$version/build/make.log" >&2 2>/dev/null || true
	undo
	die "dkms build of $name $version for $kver failed"
fi
dkms install "$name/$version" -k "$kver" >&2 || { undo; die "dkms install failed"; }
ko=$(installed_module)
[ -n "$ko" ] || die "dkms install left no ioam_rs module for $kver"
log "installed $ko; 'ip -6 route ... encap ioam6' loads it (or: modprobe ioam_rs)"
for k in "${others[@]}"; do
	if ! why=$("$src_dir/scripts/kbuild-prepare.sh" --check "$k" 2>&1); then
		log "not reinstalled for $k, which had it: $(tail -n 1 <<<"$why")"
	elif dkms build "$name/$version" -k "$k" >&2 && dkms install "$name/$version" -k "$k" >&2; then
		log "reinstalled for $k"
	else
		log "not reinstalled for $k, which had it: dkms build or install failed"
	fi
done
[ $print_module = 0 ] || echo "$ko"
