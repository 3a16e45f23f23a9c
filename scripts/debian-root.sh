#!/usr/bin/env bash
# A Debian 13 (trixie) build root, made once with debootstrap and cached: the compiler Debian's
# Rust-enabled kernels are built with (trixie's rustc 1.85.1) does not run on Debian 12.
#   scripts/debian-root.sh            prints the root's path (made if missing)
#   scripts/debian-root.sh run CMD... runs CMD inside it, as root, with the repository and the
#                                     cache directory mounted at the same paths as here
# Nothing is installed on this machine but debootstrap itself.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ROOT_DIR="$CACHE_DIR/debian-root/trixie"
MIRROR=http://deb.debian.org/debian
# What scripts/kbuild-prepare.sh and DKMS need to build ioam_rs.ko for a Debian kernel.
ROOT_PACKAGES=(
	build-essential make flex bison bc cpio kmod rsync xz-utils libelf-dev libssl-dev python3
	rustc rust-src bindgen libclang-dev dkms openssl cargo ca-certificates
)

make_root() {
	local marker="$ROOT_DIR/.ioam-rs-complete"
	[ -f "$marker" ] && [ "$(cat "$marker")" = "${ROOT_PACKAGES[*]}" ] && return
	[ "$(id -u)" = 0 ] || die "debian-root.sh must run as root (debootstrap)"
	if [ ! -f "$marker" ]; then
		command -v debootstrap >/dev/null || {
			log "installing debootstrap"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
		}
		log "debootstrap trixie into $ROOT_DIR (a few minutes)"
		rm -rf "$ROOT_DIR" && mkdir -p "$ROOT_DIR"
		debootstrap --variant=minbase trixie "$ROOT_DIR" "$MIRROR" >"$CACHE_DIR/debian-root/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$CACHE_DIR/debian-root/debootstrap.log" >&2; die "debootstrap trixie failed"; }
		cat >"$ROOT_DIR/etc/apt/sources.list" <<-EOT
		deb $MIRROR trixie main
		deb $MIRROR trixie-updates main
		deb $MIRROR trixie-backports main
		deb http://deb.debian.org/debian-security trixie-security main
		EOT
	fi
	in_root apt-get update -qq
	log "installing the build tools in the trixie root: ${ROOT_PACKAGES[*]}"
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${ROOT_PACKAGES[@]}" >/dev/null
	echo "${ROOT_PACKAGES[*]}" >"$marker"
	log "trixie root ready: $(in_root rustc --version)"
}

# in_root CMD...: run CMD in the root, in a private mount namespace (nothing stays mounted).
in_root() {
	local setup
	setup="mount -t proc proc '$ROOT_DIR/proc' && mount --rbind /dev '$ROOT_DIR/dev' && mount --rbind /sys '$ROOT_DIR/sys'"
	for dir in "$REPO_ROOT" "$CACHE_DIR"; do
		mkdir -p "$ROOT_DIR$dir"
		setup+=" && mount --bind '$dir' '$ROOT_DIR$dir'"
	done
	cp -L /etc/resolv.conf "$ROOT_DIR/etc/resolv.conf" 2>/dev/null || true
	# The root trusts what this machine trusts (a local proxy's CA, say) for cargo's downloads.
	cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT_DIR/etc/ssl/host-ca-certificates.crt" 2>/dev/null || true
	unshare --mount --propagation private -- sh -c "$setup && exec chroot '$ROOT_DIR' \"\$@\"" sh \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		SSL_CERT_FILE=/etc/ssl/host-ca-certificates.crt CARGO_HTTP_CAINFO=/etc/ssl/host-ca-certificates.crt "$@"
}

make_root
if [ "${1:-}" = run ]; then
	shift
	# shellcheck disable=SC2016 # expanded by the root's shell
	in_root bash -c 'cd "$0" && exec "$@"' "$PWD" "$@"
else
	echo "$ROOT_DIR"
fi
