#!/usr/bin/env bash
# scripts/bench-depmod.sh — lkm's depmod against kmod's depmod, side by side.
#
# Usage: scripts/bench-depmod.sh [--quick]      (runnable from any directory)
#
# What it measures, on the Debian 12 module corpus made by scripts/corpus.sh (4023 modules):
# `depmod -b ROOT REL` over the whole tree, kmod 30 and `lkm depmod` in one hyperfine run per
# tree (plain .ko and .ko.xz; .ko.zst too unless --quick). Each tool works on its own copy of
# lib/modules/REL (modules hardlinked, kbuild inputs copied) under <target>/bench/depmod/, so
# the corpus is never written. A run reads and parses every module (decompressing it), resolves
# symbols, sorts, and writes the ten outputs; the page cache is warm (hyperfine's warm-up).
#
# Second, per tree, the incremental case: `touch` one module (fs/fat/vfat.ko*, a private copy in
# each tree, so the corpus is not touched) before every run, then kmod's depmod (which has no
# cache: a full run) against `lkm depmod` with its warm cache (modules.lkm-cache), which reads the
# touched module again and takes the other 4022 from the cache. One hyperfine run per tree.
#
# Before timing, each pair is run once and every output compared byte for byte: a difference is
# reported as a warning (the timing of a wrong answer means little). The full-run lkm case runs with
# --no-cache, so that it measures reading every module.
#
# "kmod/lkm" in the summary is kmod's mean time divided by lkm's: above 1, lkm is faster.
# Runs on a 2-core machine shared with builds are noisy; compare ratios from one invocation.
#
# Results: <target>/bench/depmod-<tree>.{md,json} and depmod-summary.md.
# --quick: 3 runs per tree after one warm-up (default 10), plain and xz trees only.
# LKM_BIN=/path/to/lkm: time that binary instead of building target/release/lkm.
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

cd "$(dirname "$0")/.."

. scripts/bench-common.sh

runs=10
trees=(root root-xz root-zst)
while (($#)); do
    case $1 in
        --quick) runs=3; trees=(root root-xz) ;;
        -h | --help) bench_usage; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--quick])" ;;
    esac
    shift
done

command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is needed for the summary"
kmod_depmod=$(command -v depmod) || die "kmod's depmod not found (apt-get install kmod)"

bench_lkm

bench_corpus
log "corpus $corpus, release $rel"

out=$target_dir/bench
work=$out/depmod
mkdir -p "$out"
outputs=(modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep
    modules.symbols modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname)

# copy TREE NAME: a private copy of the tree's module directory (vfat.ko* a real copy, the
# other modules hardlinked); prints the root.
copy() {
    local src=$corpus/$1/lib/modules/$rel dst=$work/$2 f
    rm -rf "$dst"
    mkdir -p "$dst/lib/modules/$rel"
    cp -al "$src/kernel" "$dst/lib/modules/$rel/" 2>/dev/null || cp -a "$src/kernel" "$dst/lib/modules/$rel/"
    cp "$src"/modules.{order,builtin,builtin.modinfo} "$dst/lib/modules/$rel/"
    for f in "$dst/lib/modules/$rel"/kernel/fs/fat/vfat.ko*; do
        cp "$f" "$f.copy" && mv "$f.copy" "$f"
    done
    printf '%s\n' "$dst"
}

# ratio JSON LABEL: a summary row from a two-command hyperfine export (kmod first).
ratio() {
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, l = r[0]["mean"], r[1]["mean"]
fmt = lambda s: f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
ratio = k / l
word = f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"
print(f"| {sys.argv[2]} | {fmt(k)} | {fmt(l)} | {word} |")
PY
}

summary=$out/depmod-summary.md
{
    echo "| case | kmod 30 | lkm | kmod/lkm |"
    echo "|---|---|---|---|"
} >"$summary"

for tree in "${trees[@]}"; do
    k=$(copy "$tree" "$tree-kmod")
    l=$(copy "$tree" "$tree-lkm")
    check() {
        for f in "${outputs[@]}"; do
            cmp -s "$k/lib/modules/$rel/$f" "$l/lib/modules/$rel/$f" ||
                log "WARNING: $tree ($1): $f differs from kmod's"
        done
    }
    "$kmod_depmod" -b "$k" "$rel"
    "$lkm" depmod --no-cache -b "$l" "$rel"
    check "full run"
    log "timing depmod on $tree ($runs runs)"
    hyperfine -N --warmup 1 --runs "$runs" \
        --export-markdown "$out/depmod-$tree.md" --export-json "$out/depmod-$tree.json" \
        -n "kmod 30 depmod ($tree)" "$kmod_depmod -b $k $rel" \
        -n "lkm depmod --no-cache ($tree)" "$lkm depmod --no-cache -b $l $rel"
    ratio "$out/depmod-$tree.json" "$tree, full run" >>"$summary"

    # The incremental case: a warm cache, one module touched before each run.
    touch_k=$(printf '%s ' "$k/lib/modules/$rel"/kernel/fs/fat/vfat.ko*)
    touch_l=$(printf '%s ' "$l/lib/modules/$rel"/kernel/fs/fat/vfat.ko*)
    "$lkm" depmod -b "$l" "$rel"
    touch $touch_k $touch_l
    "$kmod_depmod" -b "$k" "$rel"
    stats=$("$lkm" depmod --stats -b "$l" "$rel" 2>&1)
    [[ $stats == *"read 1 of "* ]] || log "WARNING: $tree: expected one module read: $stats"
    check "incremental run"
    log "timing depmod after touching one module on $tree ($runs runs)"
    hyperfine -N --warmup 1 --runs "$runs" \
        --export-markdown "$out/depmod-$tree-incremental.md" \
        --export-json "$out/depmod-$tree-incremental.json" \
        --prepare "touch $touch_k" --prepare "touch $touch_l" \
        -n "kmod 30 depmod, one module touched ($tree)" "$kmod_depmod -b $k $rel" \
        -n "lkm depmod, warm cache, one module touched ($tree)" "$lkm depmod -b $l $rel"
    ratio "$out/depmod-$tree-incremental.json" "$tree, one module touched" >>"$summary"
    rm -rf "$k" "$l"
done
cat "$summary"
