#!/usr/bin/env bash
# Install everything ioam-rs needs on Debian 12, from the package registries only.
# Idempotent: a second run checks and returns in a few seconds.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || die "provision.sh must run as root (it installs Debian packages)"
command -v apt-get >/dev/null || die "apt-get not found: ioam-rs provisions on Debian 12 only"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
mkdir -p "$CACHE_DIR"

APT_PACKAGES=(
	build-essential flex bison bc libelf-dev libssl-dev cpio kmod rsync
	libclang-19-dev clang-19 lld-19 llvm-19
	qemu-system-x86 udev busybox-static iputils-ping tcpdump tshark procps ethtool
	python3-pip libseccomp-dev libcap-ng-dev shellcheck nftables
	pmacct prometheus
)

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	log "apt-get update"
	apt-get update -qq
	apt_updated=1
}

missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

install_apt_packages() {
	local missing
	missing=$(missing_packages "${APT_PACKAGES[@]}")
	[ -z "$missing" ] && return
	apt_update_once
	log "installing: ${missing//$'\n'/ }"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# pmacct and prometheus are here for the exporter's tests, which start their own nfacctd
	# and prometheus: none of their daemons is to run on this machine.
	if grep -qx pmacct <<<"$missing"; then
		systemctl disable --now nfacctd pmacctd sfacctd uacctd >/dev/null 2>&1 || true
	fi
	if grep -qx prometheus <<<"$missing"; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
}

# iproute2 >= 6.12 (tunsrc, ip ioam monitor) comes from bookworm-backports.
install_iproute2() {
	local have
	have=$(ip -V 2>/dev/null | sed -n 's/.*iproute2-\([0-9]*\.[0-9]*\).*/\1/p')
	if [ -n "$have" ] && printf '6.12\n%s\n' "$have" | sort -V -C; then return; fi
	local list=/etc/apt/sources.list.d/ioam-rs-bookworm-backports.sources
	if [ ! -f "$list" ]; then
		cat >"$list" <<-EOT
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOT
		apt_updated=
	fi
	apt_update_once
	log "installing iproute2 from bookworm-backports (have ${have:-none})"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports iproute2 >/dev/null
	have=$(ip -V | sed -n 's/.*iproute2-\([0-9]*\.[0-9]*\).*/\1/p')
	printf '6.12\n%s\n' "$have" | sort -V -C || die "iproute2 $have is older than 6.12 after install"
}

# A private apt configuration for the newer suites: used only to download
# architecture-independent source packages, never to install anything.
PRIVATE_APT="$CACHE_DIR/apt"
private_apt() { # apt-get|apt-cache ARGS...
	local tool=$1
	shift
	"$tool" -qq -o APT::Sandbox::User=root -o Dir::Etc::sourcelist="$PRIVATE_APT/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$PRIVATE_APT/lists" -o Dir::Cache="$PRIVATE_APT/cache" \
		-o Dir::State::status=/dev/null -o APT::Architecture=amd64 "$@"
}
private_apt_update() {
	[ -f "$PRIVATE_APT/updated" ] && [ -z "$(find "$PRIVATE_APT/updated" -mmin +1440)" ] && return
	mkdir -p "$PRIVATE_APT/lists/partial" "$PRIVATE_APT/cache/archives/partial"
	local suite
	: >"$PRIVATE_APT/sources.list"
	for suite in $SOURCE_SUITE; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
			>>"$PRIVATE_APT/sources.list"
	done
	log "apt-get update for $SOURCE_SUITE (private lists under $PRIVATE_APT)"
	private_apt apt-get update
	touch "$PRIVATE_APT/updated"
}
# Newest version of package $1 whose version starts with $2 (empty: any).
private_apt_newest() {
	private_apt apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
		grep -E "^${2//./\\.}" | sort -V | tail -n 1
}
private_apt_fetch() { # package version destdir -> prints the .deb path
	mkdir -p "$3"
	(cd "$3" && private_apt apt-get download "$1=$2" >/dev/null)
	find "$3" -maxdepth 1 -name "${1}_*.deb" | sort | head -n 1
}

install_kernel_source() {
	local cur
	cur=$(kernel_src_dir)
	if [ -n "$cur" ] && [ -f "$cur/Makefile" ] && [ -z "${IOAM_RS_REFRESH:-}" ]; then return; fi
	private_apt_update
	local ver deb dir
	ver=$(private_apt_newest "linux-source-$KERNEL_SERIES" "")
	[ -n "$ver" ] || die "linux-source-$KERNEL_SERIES not found in $SOURCE_SUITE (set IOAM_RS_SOURCE_SUITE)"
	dir="$CACHE_DIR/src/linux-source-$ver"
	if [ ! -f "$dir/Makefile" ]; then
		log "downloading linux-source-$KERNEL_SERIES $ver"
		deb=$(private_apt_fetch "linux-source-$KERNEL_SERIES" "$ver" "$CACHE_DIR/src/deb")
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" --wildcards '*.tar.xz'
		tar -xJf "$dir.tmp"/usr/src/linux-source-*.tar.xz -C "$dir.tmp"
		rm -rf "$dir" && mv "$dir.tmp"/linux-source-$KERNEL_SERIES "$dir" && rm -rf "$dir.tmp" "$CACHE_DIR/src/deb"
	fi
	echo "$dir" >"$CACHE_DIR/src/linux-source.path"
	echo "$ver" >"$dir/.debian-version"
	log "kernel source: $dir ($ver)"
}

install_rust_src() {
	local want lib
	want=$(rustc_version)
	lib=$(rust_lib_src_dir)
	[ -f "$lib/core/src/lib.rs" ] && return
	private_apt_update
	local ver deb
	ver=$(private_apt_newest rust-src "$want+")
	[ -n "$ver" ] || die "no Debian rust-src $want in $SOURCE_SUITE: the kernel needs library sources matching rustc $want"
	log "downloading rust-src $ver (matches rustc $want)"
	deb=$(private_apt_fetch rust-src "$ver" "$CACHE_DIR/rust-src/deb")
	rm -rf "$CACHE_DIR/rust-src/$want" && mkdir -p "$CACHE_DIR/rust-src/$want"
	dpkg-deb -x "$deb" "$CACHE_DIR/rust-src/$want"
	rm -rf "$CACHE_DIR/rust-src/deb"
	[ -f "$lib/core/src/lib.rs" ] || die "rust-src $ver has no library at $lib"
}

install_bindgen() {
	if command -v bindgen >/dev/null; then
		local have
		have=$(bindgen --version | awk '{print $2}')
		printf '0.71.1\n%s\n' "$have" | sort -V -C && return
	fi
	log "cargo install bindgen-cli (about 2 minutes)"
	cargo install --locked --quiet bindgen-cli
}

# The fuzzer of the packet-format crate (scripts/fuzz.sh): libFuzzer through cargo-fuzz, used
# without a sanitizer, so the stable toolchain is enough.
install_cargo_fuzz() {
	cargo fuzz --version >/dev/null 2>&1 && return
	log "cargo install cargo-fuzz (about 2 minutes)"
	cargo install --locked --quiet cargo-fuzz
}

# virtio-fs for the guests' root file system (virtme-ng uses it when it finds the Rust
# virtiofsd, which Debian 12 does not package; QEMU's C one it cannot use). It caches what the
# guest reads: under TCG, starting Python takes 0.5 s instead of 0.8 s over 9p, ioamctl 0.13 s
# instead of 0.32 s.
install_virtiofsd() {
	command -v virtiofsd >/dev/null && return
	log "cargo install virtiofsd (about 2 minutes)"
	cargo install --locked --quiet virtiofsd@1.14.0
}

install_virtme_ng() {
	command -v vng >/dev/null && return
	log "pip install virtme-ng"
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore virtme-ng
	command -v vng >/dev/null || hash -r
	command -v vng >/dev/null || die "vng not on PATH after pip install virtme-ng"
}

# The benchmarks' chart (scripts/bench-report.py).
install_matplotlib() {
	python3 -c 'import matplotlib' 2>/dev/null && return
	log "pip install matplotlib"
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore matplotlib
}

install_apt_packages
install_iproute2
install_kernel_source
install_rust_src
install_bindgen
install_cargo_fuzz
install_virtiofsd
install_virtme_ng
install_matplotlib
log "provisioned: $(ip -V | awk '{print $3}' | tr -d ,), bindgen $(bindgen --version | awk '{print $2}'), $(vng --version 2>&1 | head -1), kernel source $(cat "$(kernel_src_dir)/.debian-version")"
