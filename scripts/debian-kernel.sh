#!/usr/bin/env bash
# Debian's own kernel, unmodified, for the selftests: image, modules, and ioam_rs.ko built for
# it through DKMS in the Debian 13 build root (scripts/debian-root.sh), as a user's machine
# builds it. Everything is cached per kernel release.
#   scripts/debian-kernel.sh [KERNELRELEASE]     default: $IOAM_RS_DEBIAN_KERNEL
# Prints two lines: the kernel image, and the built ioam_rs.ko.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

kver=${1:-$DEBIAN_KERNEL}
[ -n "$kver" ] || die "usage: debian-kernel.sh KERNELRELEASE"
"$REPO_ROOT/scripts/debian-root.sh" >/dev/null
dir="$CACHE_DIR/debian-kernels/$kver"
inroot() { "$REPO_ROOT/scripts/debian-root.sh" run "$@"; }

# The image and its modules, as the guest boots them. virtme-ng's guest loads modules with
# the host's kmod from /lib/modules/RELEASE, uncompressed (its insmod cannot read .ko.xz).
if [ ! -f "$dir/.ioam-rs-complete" ]; then
	log "downloading Debian's linux-image-$kver"
	rm -rf "$dir" && mkdir -p "$dir/deb" "$dir/root"
	inroot apt-get update -qq
	pkgs=("linux-image-$kver")
	# Newer Debian kernels split the image package; take what it depends on of the same release.
	while read -r dep; do pkgs+=("$dep"); done < <(inroot apt-cache depends "linux-image-$kver" |
		sed -n "s/^ *Depends: \(linux-[a-z]*-$kver\)\$/\1/p" | sort -u)
	(cd "$dir/deb" && inroot apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]}")
	for deb in "$dir"/deb/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
	# The image lives beside its modules (/usr/lib/modules/RELEASE/vmlinuz) in newer packages.
	moddir=$(find "$dir/root" -maxdepth 4 -type d -path "*/modules/$kver" | head -n 1)
	if [ -z "$moddir" ] || [ ! -f "$moddir/vmlinuz" ]; then die "linux-image-$kver has no vmlinuz or modules"; fi
	find "$moddir" -name '*.ko.xz' -exec xz -d {} +
	mkdir -p "$dir/lib/modules"
	mv "$moddir" "$dir/lib/modules/$kver"
	cp "$dir/lib/modules/$kver/vmlinuz" "$dir/vmlinuz"
	rm -rf "$dir/deb" "$dir/root"
	depmod -b "$dir" "$kver"
	touch "$dir/.ioam-rs-complete"
fi
if [ "$(readlink "/lib/modules/$kver" 2>/dev/null)" != "$dir/lib/modules/$kver" ]; then
	[ ! -e "/lib/modules/$kver" ] || [ -L "/lib/modules/$kver" ] || die "/lib/modules/$kver exists and is not ours"
	mkdir -p /lib/modules && ln -sfn "$dir/lib/modules/$kver" "/lib/modules/$kver"
fi

# ioam_rs.ko, built by DKMS against the kernel's own headers package in the build root, as on
# a user's machine (README.md, "Install on Debian 13"). A changed source is a new build (an
# unchanged one, installed, is kept); the kernel's rust/ products stay cached
# (scripts/kbuild-prepare.sh).
series=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")
headers_version=$(inroot apt-cache policy "linux-headers-$kver" | sed -n 's/^ *Candidate: //p')
if [ -z "$headers_version" ] || [ "$headers_version" = "(none)" ]; then die "Debian has no linux-headers-$kver"; fi
inroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"linux-headers-$kver" "linux-source-$series=$headers_version" >/dev/null
log "building ioam_rs.ko for Debian's $kver with DKMS (in the trixie build root)"
installed=$(inroot scripts/dkms-install.sh --kernel "$kver" --print-module) ||
	die "building or installing ioam_rs.ko for $kver with DKMS failed"
# A warning-free build on this compiler too (scripts/test.sh checks the project's kernel's).
# shellcheck disable=SC2016 # expanded by the root's shell
warnings=$(inroot sh -c 'grep -h -A6 -E "^warning|: warning:" /var/lib/dkms/ioam-rs/*/"$1"/*/log/make.log' sh "$kver" || true)
[ -z "$warnings" ] || { printf '%s\n' "$warnings" >&2; die "the module build for $kver printed warnings"; }
if [[ $installed == *.xz ]]; then
	# shellcheck disable=SC2016 # expanded by the root's shell
	inroot sh -c 'xz -dc "$1" >"$2"' sh "$installed" "$dir/ioam_rs.ko"
else
	inroot cp "$installed" "$dir/ioam_rs.ko"
fi
# Where DKMS puts it on a user's machine, indexed by depmod: the guests can autoload it
# ('ip -6 route ... encap ioam6' asks for rtnl-lwt-IOAM6).
updates=$dir/lib/modules/$kver/updates/dkms
if ! cmp -s "$dir/ioam_rs.ko" "$updates/ioam_rs.ko"; then
	install -D -m 644 "$dir/ioam_rs.ko" "$updates/ioam_rs.ko"
	depmod -b "$dir" "$kver"
fi
echo "$dir/vmlinuz"
echo "$dir/ioam_rs.ko"
