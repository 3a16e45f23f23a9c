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
#   make clean

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
KDIR ?= $(shell $(ROOT)scripts/build-kernel.sh test)
RUST_LIB_SRC ?= $(shell source $(ROOT)scripts/common.sh && rust_lib_src_dir)
LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
# Where the module sources are (scripts/build-module.sh builds a copy elsewhere).
MODDIR ?= $(ROOT)
# LLVM=-19 for a clang-built kernel (the debug variant).
KMAKE_ARGS ?= $(shell source $(ROOT)scripts/common.sh && kernel_make_args $(KDIR))
KMAKE = $(MAKE) -C $(KDIR) M=$(MODDIR) RUST_LIB_SRC=$(RUST_LIB_SRC) LIBCLANG_PATH=$(LIBCLANG_PATH) $(KMAKE_ARGS)

.PHONY: default modules kernel clean test demo rust-analyzer ioamctl bench bench-smoke check-debug

default: modules

modules:
	@test -n "$(KDIR)" || { echo "ioam-rs: no kernel build directory (run scripts/provision.sh, or pass KDIR=)"; exit 1; }
	+$(KMAKE) modules

kernel:
	@$(ROOT)scripts/build-kernel.sh test

ioamctl:
	cargo build --release -p ioamctl

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
	rm -f $(ROOT)src/bindings_generated.rs
