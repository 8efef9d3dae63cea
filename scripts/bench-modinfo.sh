#!/usr/bin/env bash
# scripts/bench-modinfo.sh — lkm's modinfo against kmod's modinfo, side by side.
#
# Usage: scripts/bench-modinfo.sh [--quick]      (runnable from any directory)
#
# What it measures, on the Debian 12 module corpus made by scripts/corpus.sh (4023 modules):
#
#  1. Bulk, one hyperfine run per tree (plain .ko, .ko.xz, .ko.zst):
#        xargs -0 -a LIST modinfo              > /dev/null    (kmod 30)
#        xargs -0 -a LIST target/release/lkm modinfo > /dev/null
#     LIST holds every module file of the tree (made once, so `find` is not timed); xargs
#     packs them into a few command lines, so this is a few processes each reading ~1300
#     module files: it measures ELF parsing, .modinfo/signature extraction, decompression
#     and output formatting, with process start-up a small share.
#     (.ko.gz is left out: Debian's kmod is built without zlib and cannot read it.)
#  2. By name, `hyperfine -N` (no shell): `modinfo -b ROOT -k REL loop` for the plain and
#     the .xz tree: one process that opens modules.alias.bin/modules.dep.bin, finds the
#     module and reads one file, so start-up and index lookup dominate.
#
# Before timing, each pair is run once and the outputs compared: a differing output is
# reported as a warning (the timing of a wrong answer means little).
#
# How to read the summary: "kmod/lkm" is kmod's mean time divided by lkm's. Above 1, lkm
# is faster ("1.83× faster": kmod needs 1.83 times as long); below 1, lkm is slower.
# hyperfine's own "± σ" lines and the exported files give the spread; on a 2-core machine
# shared with builds, runs are noisy — compare ratios from the same invocation only.
#
# Results: <target>/bench/modinfo-<tree>.{md,json}, modinfo-byname-<tree>.{md,json},
# and modinfo-summary.md.
# --quick: 3 runs per bulk benchmark (default 10) and 10 by-name runs (default 50).
# LKM_BIN=/path/to/lkm: time that binary instead of building target/release/lkm.
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

cd "$(dirname "$0")/.."

. scripts/bench-common.sh

runs=10
byname_runs=50
while (($#)); do
    case $1 in
        --quick) runs=3; byname_runs=10 ;;
        -h | --help) bench_usage; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--quick])" ;;
    esac
    shift
done

command -v python3 >/dev/null || die "python3 is needed for the summary"
kmod_modinfo=$(command -v modinfo) || die "kmod's modinfo not found (apt-get install kmod)"

# --- lkm, release build -----------------------------------------------------------------
bench_lkm

# --- corpus ----------------------------------------------------------------------------
bench_corpus
line=$corpus_line
log "corpus $corpus, release $rel, ${line##*modules=} modules"

# Does `lkm modinfo` exist yet? Try it on one plain module before timing anything.
probe=$corpus/root/lib/modules/$rel/kernel/drivers/block/loop.ko
if ! out=$("$lkm" modinfo "$probe" 2>&1) || ! grep -q '^vermagic:' <<<"$out"; then
    printf '%s\n' "$out" | head -n 5 >&2
    die "'$lkm modinfo FILE' does not work yet (subcommand missing or failing; output above)"
fi

# --- hyperfine ---------------------------------------------------------------------------
if ! command -v hyperfine >/dev/null; then
    [[ $(id -u) == 0 ]] || die "hyperfine is missing: sudo apt-get install -y hyperfine"
    log "installing hyperfine"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi

out_dir=$target_dir/bench
mkdir -p "$out_dir"
q() { printf '%q' "$1"; }

# same_output NAME CMD-A CMD-B: run both once (through sh) and compare stdout; warn if they
# differ, keeping both outputs in <target>/bench/check/ for a look.
same_output() {
    local name=$1 a=$2 b=$3 d=$out_dir/check
    mkdir -p "$d"
    sh -c "$a" >"$d/$name.kmod.out" 2>"$d/$name.kmod.err" ||
        die "$name: kmod failed: $(head -n 3 "$d/$name.kmod.err")"
    sh -c "$b" >"$d/$name.lkm.out" 2>"$d/$name.lkm.err" ||
        die "$name: lkm failed: $(head -n 3 "$d/$name.lkm.err")"
    if cmp -s "$d/$name.kmod.out" "$d/$name.lkm.out"; then
        log "$name: outputs identical ($(wc -l <"$d/$name.kmod.out") lines)"
        rm -f "$d/$name".{kmod,lkm}.{out,err}
    else
        local n
        n=$(diff "$d/$name.kmod.out" "$d/$name.lkm.out" | grep -c '^[<>]' || true)
        log "WARNING: $name: lkm's output differs from kmod's ($n lines; diff $d/$name.{kmod,lkm}.out)"
    fi
}

log "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $("$kmod_modinfo" --version | head -n1)"

summary=()
for tree in root root-xz root-zst; do
    root=$corpus/$tree
    list=$out_dir/list-$tree
    find "$root/lib/modules/$rel" -type f -name '*.ko*' -print0 >"$list"
    n=$(tr -cd '\0' <"$list" | wc -c)
    ((n > 0)) || die "no modules in $root"
    kmod_cmd="xargs -0 -a $(q "$list") $(q "$kmod_modinfo")"
    lkm_cmd="xargs -0 -a $(q "$list") $(q "$lkm") modinfo"
    same_output "modinfo-$tree" "$kmod_cmd" "$lkm_cmd"
    log "$tree: $n modules, $runs runs"
    hyperfine --warmup 1 --runs "$runs" \
        --export-markdown "$out_dir/modinfo-$tree.md" \
        --export-json "$out_dir/modinfo-$tree.json" \
        -n "kmod modinfo $tree ($n files)" "$kmod_cmd > /dev/null" \
        -n "lkm modinfo $tree ($n files)" "$lkm_cmd > /dev/null"
    summary+=("$out_dir/modinfo-$tree.json")
done

for tree in root root-xz; do
    root=$corpus/$tree
    kmod_cmd="$(q "$kmod_modinfo") -b $(q "$root") -k $(q "$rel") loop"
    lkm_cmd="$(q "$lkm") modinfo -b $(q "$root") -k $(q "$rel") loop"
    same_output "modinfo-byname-$tree" "$kmod_cmd" "$lkm_cmd"
    log "by name, $tree: $byname_runs runs"
    hyperfine -N --warmup 5 --runs "$byname_runs" \
        --export-markdown "$out_dir/modinfo-byname-$tree.md" \
        --export-json "$out_dir/modinfo-byname-$tree.json" \
        -n "kmod modinfo loop ($tree)" "$kmod_cmd" \
        -n "lkm modinfo loop ($tree)" "$lkm_cmd"
    summary+=("$out_dir/modinfo-byname-$tree.json")
done

# --- summary -----------------------------------------------------------------------------
python3 - "$out_dir/modinfo-summary.md" "${summary[@]}" <<'EOF'
import json, os, sys

def fmt(seconds, sd):
    if seconds >= 1:
        return f"{seconds:.3f} s ± {sd:.3f}"
    return f"{seconds * 1e3:.1f} ms ± {sd * 1e3:.1f}"

rows = []
for path in sys.argv[2:]:
    name = os.path.basename(path)[: -len(".json")]
    kmod, lkm = json.load(open(path))["results"][:2]
    ratio = kmod["mean"] / lkm["mean"]
    verdict = f"{ratio:.2f}× faster" if ratio >= 1 else f"{ratio:.2f} ({1 / ratio:.2f}× slower)"
    rows.append((name, fmt(kmod["mean"], kmod["stddev"] or 0.0),
                 fmt(lkm["mean"], lkm["stddev"] or 0.0), verdict))

head = ("benchmark", "kmod mean", "lkm mean", "kmod/lkm")
w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
print()
print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
print("  ".join("-" * x for x in w))
for r in rows:
    print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
print("\nkmod/lkm above 1: lkm is faster by that factor; below 1: lkm is slower.")

with open(sys.argv[1], "w") as md:
    md.write("| " + " | ".join(head) + " |\n|" + "---|" * 4 + "\n")
    for r in rows:
        md.write("| " + " | ".join(r) + " |\n")
print(f"(also in {sys.argv[1]})")
EOF
