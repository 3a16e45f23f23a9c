#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/dkms-install.sh refuses a kernel it cannot build for with one line saying why and what
# to install, before DKMS is touched. Runs as root in the Debian 13 build root
# (scripts/debian-root.sh run selftests/host/dkms_preflight.sh), with fake kernel headers.
set -euo pipefail
cd "$(dirname "$0")/../.."

failures=0
fakes=()
cleanup() { rm -rf "${fakes[@]/#//lib/modules/}"; }
trap cleanup EXIT

# fake_kernel RELEASE CONFIG_LINE...: headers whose .config holds these lines.
fake_kernel() {
	local rel=$1
	shift
	fakes+=("$rel")
	mkdir -p "/lib/modules/$rel/build"
	printf '%s\n' "$@" >"/lib/modules/$rel/build/.config"
	: >"/lib/modules/$rel/build/Module.symvers"
}

# refused NAME RELEASE TEXT: dkms-install.sh must fail, print TEXT, and leave DKMS as it was.
refused() {
	local name=$1 rel=$2 text=$3 out rc=0 before after
	before=$(dkms status 2>&1)
	out=$(scripts/dkms-install.sh --kernel "$rel" 2>&1) || rc=$?
	after=$(dkms status 2>&1)
	if [ $rc -eq 0 ]; then
		echo "not ok: $name: dkms-install.sh succeeded"
	elif [[ "$out" != *"$text"* ]] || [ "$(wc -l <<<"$out")" -ne 1 ]; then
		echo "not ok: $name: expected one line with '$text', got: $out"
	elif [ "$before" != "$after" ] || dkms status -k "$rel" 2>&1 | grep -qF "$rel"; then
		echo "not ok: $name: DKMS changed: '$before' -> '$after'"
	else
		echo "ok: $name: $out"
		return 0
	fi
	failures=$((failures + 1))
}

rustc_text=$(rustc --version)
fake_kernel 9.9.1-norust CONFIG_IPV6=y CONFIG_LWTUNNEL=y CONFIG_NETFILTER=y
refused "kernel without Rust" 9.9.1-norust "built without Rust support (CONFIG_RUST)"
fake_kernel 9.9.2-otherrust CONFIG_RUST=y CONFIG_IPV6=y CONFIG_LWTUNNEL=y CONFIG_NETFILTER=y \
	'CONFIG_RUSTC_VERSION_TEXT="rustc 1.99.0 (0123456789 2027-01-01)"'
refused "other rustc" 9.9.2-otherrust "was built with 'rustc 1.99.0 (0123456789 2027-01-01)', but rustc here is '$rustc_text'"
fake_kernel 9.9.3-nolwt CONFIG_RUST=y CONFIG_IPV6=y CONFIG_NETFILTER=y "CONFIG_RUSTC_VERSION_TEXT=\"$rustc_text\""
refused "kernel without lightweight tunnels" 9.9.3-nolwt "built without CONFIG_LWTUNNEL"
fake_kernel 9.9.4-nosource CONFIG_RUST=y CONFIG_IPV6=y CONFIG_LWTUNNEL=y CONFIG_NETFILTER=y \
	"CONFIG_RUSTC_VERSION_TEXT=\"$rustc_text\""
refused "no linux-source" 9.9.4-nosource "install linux-source-9.9"
refused "no headers" 9.9.5-absent "no kernel headers for 9.9.5-absent: install linux-headers-9.9.5-absent"
[ $failures -eq 0 ]
