#!/usr/bin/env bash
# The demo: build lkm, fetch Debian 12's kernel modules (once), and show `lkm modinfo` next to kmod's
# modinfo on them: by name, by alias, on a compressed file, with a field filter.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && ! command -v modinfo >/dev/null; then
    apt-get update -qq && apt-get install -y -qq kmod xz-utils zstd >/dev/null
fi
echo "== building lkm (release)" >&2
cargo build --release -q -p lkm
lkm=target/release/lkm
echo "== preparing Debian's module tree under .corpus (first run downloads ~70 MB)" >&2
scripts/corpus.sh >&2
C=${LKM_CORPUS:-.corpus}
REL=$(cat "$C/release")
show() { printf '\n$ %s\n' "$*"; "$@"; }
show $lkm modinfo -b "$C/root" -k "$REL" loop
show $lkm modinfo -b "$C/root" -k "$REL" -F alias fs-vfat
xzmod=$(find "$C/root-xz/lib/modules/$REL/kernel/fs" -name 'btrfs.ko.xz' | head -n 1)
show $lkm modinfo -p "$xzmod"
echo
echo "== the same three commands through kmod's modinfo, compared byte for byte:"
for args in "-b $C/root -k $REL loop" "-b $C/root -k $REL -F alias fs-vfat" "-p $xzmod"; do
    # shellcheck disable=SC2086
    if cmp -s <(modinfo $args) <($lkm modinfo $args); then
        echo "identical: modinfo $args"
    else
        echo "DIFFERENT: modinfo $args" && exit 1
    fi
done
