#!/usr/bin/env bash
# Runs inside the test kernel (scripts/demo.sh): load ioam_rs, register IOAM namespaces
# and a schema with ioamctl, and show them.
set -euo pipefail
cd "$(dirname "$0")/.."
ioamctl=target/release/ioamctl

run() {
	echo "\$ $*"
	"$@"
}

run insmod ioam_rs.ko
run modinfo -F version ioam_rs.ko
run "$ioamctl" namespace add 123 data 0xdeadbeef wide 0xcafec0caf00dc0de
run "$ioamctl" namespace add 1000
run "$ioamctl" schema add 777 "sometext"
run "$ioamctl" namespace set 123 schema 777
run "$ioamctl" namespace show
run "$ioamctl" schema show
run "$ioamctl" -j namespace show
run rmmod ioam_rs
