#!/usr/bin/env bash
# scripts/bench-modprobe.sh — lkm's modprobe against kmod's modprobe, side by side.
#
# Usage: scripts/bench-modprobe.sh [--quick]      (runnable from any directory)
#
# What it measures, on the Debian 12 module corpus made by scripts/corpus.sh (4023 modules, indexed):
# short queries, where process start-up and index access dominate, each kmod 30 vs lkm in one
# hyperfine run (-N: no shell):
#   modprobe -d ROOT -S REL --show-depends btrfs      (the headline; goal for lkm: <= 0.5 ms)
#   modprobe -d ROOT -S REL --show-depends snd-hda-intel
#   modprobe -d ROOT -S REL -R <a PCI alias>           (wildcard search of the 1.26 MB alias trie)
#   modprobe -d ROOT -S REL -c > /dev/null             (2 MB of output; skipped with --quick)
# lkm runs through a link named "modprobe" (as installed by `lkm install-links`). Both read the host's
# modprobe.d and /proc/cmdline. Only queries run: nothing is loaded. The corpus is only read.
#
# Before timing, each pair is run once and the outputs compared: a difference is reported as a
# warning (the timing of a wrong answer means little).
#
# "kmod/lkm" in the summary is kmod's mean time divided by lkm's: above 1, lkm is faster.
# Runs on a 2-core machine shared with builds are noisy; compare ratios from one invocation.
#
# Then the work alone, without the process: crates/kmod/examples/modprobe_cost.rs calls
# modprobe::run for --show-depends btrfs 2000 times in one process, next to /bin/true's start-up.
#
# Results: <target>/bench/modprobe-<n>.{md,json} and modprobe-summary.md.
# --quick: 20 runs per command (default 200), without -c.
# LKM_BIN=/path/to/lkm: time that binary instead of building target/release/lkm.
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

cd "$(dirname "$0")/.."

. scripts/bench-common.sh

runs=200
quick=0
while (($#)); do
    case $1 in
        --quick) runs=20; quick=1 ;;
        -h | --help) bench_usage; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--quick])" ;;
    esac
    shift
done

command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is needed for the summary"
kmod_modprobe=$(command -v modprobe) || die "kmod's modprobe not found (apt-get install kmod)"

bench_lkm

bench_corpus
line=$corpus_line
root=$corpus/root
[[ -f $root/lib/modules/$rel/modules.dep.bin && -n $rel ]] ||
    die "no indexed tree at $root for release '$rel' (scripts/corpus.sh output: $line)"
log "corpus $corpus, release $rel"

out=$target_dir/bench
mkdir -p "$out/modprobe-bin"
link=$out/modprobe-bin/modprobe
ln -sfn "$lkm" "$link"

alias=pci:v00008086d00001572sv00008086sd00000000bc02sc00i00
cases=("--show-depends btrfs" "--show-depends snd-hda-intel" "-R $alias")
((quick)) || cases+=("-c")

summary=$out/modprobe-summary.md
{
    echo "| command | kmod 30 | lkm | kmod/lkm |"
    echo "|---|---|---|---|"
} >"$summary"

n=0
for c in "${cases[@]}"; do
    n=$((n + 1))
    # shellcheck disable=SC2086 # the case is a word list on purpose
    if ! cmp -s <("$kmod_modprobe" -d "$root" -S "$rel" $c 2>&1) <("$link" -d "$root" -S "$rel" $c 2>&1); then
        log "WARNING: modprobe $c: lkm's output differs from kmod's"
    fi
    log "timing modprobe $c ($runs runs)"
    hyperfine -N --warmup 10 --runs "$runs" --output=null \
        --export-markdown "$out/modprobe-$n.md" --export-json "$out/modprobe-$n.json" \
        -n "kmod 30 modprobe $c" "$kmod_modprobe -d $root -S $rel $c" \
        -n "lkm modprobe $c" "$link -d $root -S $rel $c"
    python3 - "$out/modprobe-$n.json" "modprobe $c" >>"$summary" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, l = r[0]["mean"], r[1]["mean"]
fmt = lambda s: f"{s * 1000:.2f} ms"
ratio = k / l
word = f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"
print(f"| `{sys.argv[2]}` | {fmt(k)} | {fmt(l)} | {word} |")
PY
done

# The work without the process: modprobe::run in one process, called again and again (each call opens
# the indexes and reads the configuration anew). Starting any process here costs more than the goal.
log "cargo build --release -p lkm-kmod --example modprobe_cost"
cargo build --release -q -p lkm-kmod --example modprobe_cost || die "building modprobe_cost failed"
read -r mean best lines < <("$target_dir/release/examples/modprobe_cost" "$root" "$rel" btrfs 2000) ||
    die "modprobe_cost failed"
hyperfine -N --warmup 10 --runs "$runs" --output=null --style none \
    --export-json "$out/modprobe-floor.json" /bin/true >/dev/null 2>&1 || die "hyperfine /bin/true failed"
floor=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]["mean"]; print("%.2f" % (r * 1000))' \
    "$out/modprobe-floor.json")
{
    echo
    echo "In-process, \`modprobe --show-depends btrfs\` ($lines lines): mean $mean µs, fastest $best µs per call"
    echo "(2000 calls of modprobe::run). Starting any process here: $floor ms (/bin/true)."
} >>"$summary"
cat "$summary"
