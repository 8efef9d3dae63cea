#!/usr/bin/env bash
# The demo: the seeds' hello module, unchanged, built with its own out-of-tree Makefile against lkm's
# SDK, loaded into a sandbox kernel (no root, no VM), listed, logged and removed; then installed with
# modules_install and loaded by name with modprobe, as the seeds do. Then lkm modinfo next to kmod's
# on the same file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && { ! command -v make >/dev/null || ! command -v gcc >/dev/null || ! command -v modinfo >/dev/null; }; then
    echo "== installing build-essential and kmod (apt-get)" >&2
    apt-get update -qq && apt-get install -y -qq --no-install-recommends build-essential kmod >/dev/null
fi
for tool in cargo make gcc; do
    command -v "$tool" >/dev/null || { echo "demo: '$tool' not found: install Rust (rustup) and build-essential, then run again" >&2; exit 1; }
done
echo "== building lkm (release)" >&2
cargo build --release -q -p lkm
lkm=$PWD/target/release/lkm
export PATH=$PWD/target/release:$PATH
# The demo's own sandbox kernel, so it never touches one you run yourself.
export LKM_STATE=$PWD/target/demo-state
lkm halt >/dev/null 2>&1 || true
trap 'lkm halt >/dev/null 2>&1 || true' EXIT
show() { printf '\n$ %s\n' "$*"; "$@"; }
cd examples/hello
show lkm boot
# The seed's Makefile sets KDIR to a placeholder; the command line overrides it, as make allows.
show make KDIR="$(lkm sdk)"
show lkm insmod hello.ko
show lkm lsmod
show lkm dmesg
show lkm rmmod hello
show lkm dmesg --level alert
# The seeds' "Execution": installed into the sandbox's module tree, then by name with modprobe.
show make -C "$(lkm sdk)" M="$PWD" modules_install
show lkm modprobe hello
show lkm lsmod
show lkm modprobe -r hello
show lkm modinfo hello.ko
if command -v modinfo >/dev/null; then
    if cmp -s <(modinfo hello.ko) <(lkm modinfo hello.ko); then
        echo "(kmod's modinfo prints the same, byte for byte)"
    else
        echo "DIFFERENT from kmod's modinfo:" && diff <(modinfo hello.ko) <(lkm modinfo hello.ko) && exit 1
    fi
fi
# The seed Makefile has no clean target; Kbuild's is reached directly.
show make -C "$(lkm sdk)" M="$PWD" clean
show lkm halt
