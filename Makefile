# SPDX-License-Identifier: GPL-2.0
# ioam-rs: build ioam_rs.ko against a Rust-enabled kernel build directory (KDIR).
#   make                 build ioam_rs.ko against the cached test kernel (built if needed)
#   make KDIR=DIR        ... against any Rust-enabled kernel build directory
#   make CLIPPY=1        ... with clippy's lints
#   make kernel          build (or reuse) the cached test kernel and print its directory
#   make test            the whole test suite (host and VM), see README.md
#   make bench           benchmarks against the kernel's own IOAM (scripts/bench.sh)
#   make bench-smoke     a short benchmark run that checks the harness
#   make check-debug     the selftests on the debug kernel (KASAN, KMEMLEAK, lockdep, UBSAN)
#   make install         install ioamctl in $(PREFIX)/bin (default /usr/local)
#   make dkms-install    build and install ioam_rs.ko with DKMS for the running (or KVER) kernel
#   make dkms KVER=R     what DKMS runs: ioam_rs.ko for the installed distribution kernel R
#   make clean

SHELL := /bin/bash
# rustup's toolchain builds the project's own kernels; a distribution kernel (DKMS) is built
# with the rustc on the system's PATH, the one it was built with.
ifeq ($(filter dkms dkms-clean dkms-install,$(MAKECMDGOALS))$(IOAM_RS_SYSTEM_RUST),)
export PATH := $(HOME)/.cargo/bin:$(PATH)
endif
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
KDIR ?= $(shell $(ROOT)scripts/build-kernel.sh test)
PREFIX ?= /usr/local
# The Rust library sources the project's kernels are built with (not needed for a module).
RUST_LIB_SRC ?= $(shell source $(ROOT)scripts/common.sh && d=$$(rust_lib_src_dir) && test -d "$$d" && echo "$$d")
LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
# Where the module sources are (scripts/build-module.sh builds a copy elsewhere).
MODDIR ?= $(ROOT)
# LLVM=-19 for a clang-built kernel (the debug variant).
KMAKE_ARGS ?= $(shell source $(ROOT)scripts/common.sh && kernel_make_args $(KDIR))
KMAKE = $(MAKE) -C $(KDIR) M=$(MODDIR) $(if $(RUST_LIB_SRC),RUST_LIB_SRC=$(RUST_LIB_SRC)) LIBCLANG_PATH=$(LIBCLANG_PATH) $(KMAKE_ARGS)

.PHONY: default modules kernel clean test demo rust-analyzer ioamctl ioam-exporter install dkms dkms-clean dkms-install bench bench-smoke check-debug

default: modules

modules:
	@test -n "$(KDIR)" || { echo "ioam-rs: no kernel build directory (run scripts/provision.sh, or pass KDIR=)"; exit 1; }
	+$(KMAKE) modules

kernel:
	@$(ROOT)scripts/build-kernel.sh test

ioamctl:
	cargo build --release -p ioamctl

ioam-exporter:
	cargo build --release -p ioam-exporter

# The exporter's unit runs $(PREFIX)/bin/ioam-exporter with /etc/ioam-exporter.toml (from the
# example): systemd reads units from $(PREFIX)/lib/systemd/system for PREFIX /usr/local.
install: ioamctl ioam-exporter
	install -D -m 0755 $(ROOT)target/release/ioamctl $(DESTDIR)$(PREFIX)/bin/ioamctl
	install -D -m 0644 $(ROOT)ioamctl/README.md $(DESTDIR)$(PREFIX)/share/doc/ioamctl/README.md
	install -D -m 0755 $(ROOT)target/release/ioam-exporter $(DESTDIR)$(PREFIX)/bin/ioam-exporter
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|' $(ROOT)exporter/ioam-exporter.service | \
		install -D -m 0644 /dev/stdin $(DESTDIR)$(PREFIX)/lib/systemd/system/ioam-exporter.service
	install -D -m 0644 $(ROOT)exporter/ioam-exporter.toml.example \
		$(DESTDIR)$(PREFIX)/share/doc/ioam-exporter/ioam-exporter.toml.example
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/doc/ioam-exporter \
		$(ROOT)exporter/nfacctd.conf.example $(ROOT)exporter/prometheus.yml.example \
		$(ROOT)exporter/elements/pmacct-primitives.map

# DKMS builds in a copy of the sources; the kernel build directory comes from the installed
# headers, completed with the Rust build products (scripts/kbuild-prepare.sh).
dkms:
	@test -n "$(KVER)" || { echo "ioam-rs: make dkms needs KVER=KERNELRELEASE"; exit 1; }
	+kdir=$$($(ROOT)scripts/kbuild-prepare.sh $(KVER)) && $(MAKE) -C $(ROOT) KDIR=$$kdir IOAM_RS_SYSTEM_RUST=1 modules

dkms-clean:
	rm -rf $(ROOT)*.ko $(ROOT)*.mod* $(ROOT)src/*.o $(ROOT)src/*/*.o $(ROOT)src/.*.cmd $(ROOT)src/*/.*.cmd $(ROOT).*.cmd $(ROOT)src/net/bindings_generated.rs* \
		$(ROOT)Module.symvers $(ROOT)modules.order

dkms-install:
	$(ROOT)scripts/dkms-install.sh $(if $(KVER),--kernel $(KVER))

rust-analyzer:
	+$(KMAKE) rust-analyzer

test:
	$(ROOT)scripts/test.sh

demo:
	$(ROOT)scripts/demo.sh

bench:
	$(ROOT)scripts/bench.sh

bench-smoke:
	$(ROOT)scripts/bench.sh --smoke

check-debug:
	$(ROOT)scripts/check-debug.sh

clean:
	+$(KMAKE) clean
	rm -f $(ROOT)src/net/bindings_generated.rs
