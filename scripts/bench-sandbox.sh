#!/usr/bin/env bash
# scripts/bench-sandbox.sh — the sandbox kernel's boot, load and unload times.
#
# Usage: scripts/bench-sandbox.sh [--quick]      (runnable from any directory)
#
# Builds target/release/lkm and the bench program crates/sandbox/examples/sandbox_bench.rs, builds
# examples/hello against lkm's SDK (an SDK cache under <target>/bench, so $HOME is not touched),
# runs a sandbox kernel under a private state directory and measures:
#
#  (a) boot: `lkm boot` until the kernel answers on its socket (hyperfine -N, each run preceded by
#      `lkm halt`), and `lkm halt` until the process is gone (each run preceded by `lkm boot`).
#  (b) insmod → init latency, measured inside the kernel: the loader times every successful load
#      from the request's receipt (the image read whole from the control socket) to the module's
#      init returning, and init alone; `lkm status` shows the last one
#      ("last load: hello in 98 us (init 27 us)"; the raw status line is `last_load hello 98 27`).
#      Collected over repeated `lkm insmod` / `lkm status` / `lkm rmmod` commands, and per cycle
#      by the bench program.
#  (c) an insmod+rmmod cycle of hello:
#      - as commands: `lkm insmod hello.ko && lkm rmmod hello` (hyperfine, through sh; hyperfine
#        subtracts the shell's start-up), and each command alone (hyperfine -N);
#      - through the client API (sandbox_bench client: SandboxKernel::init_module/delete_module on
#        the running kernel, one connection per request as the CLI makes);
#      - in-process (sandbox_bench inproc: lkm_sandbox::kernel::boot() in the bench process, then
#        loader::load_module/delete_module on hello's bytes), median and p99 per cycle.
#  For scale, /bin/true is timed too: starting any process is the floor of every command.
#  The peer: there is no VM here to time Linux's insmod against, so the sandbox numbers stand alone.
#  Where a same-input comparison exists it is given as a ratio: `lkm modinfo hello.ko` against
#  kmod's `modinfo hello.ko` (outputs compared first).
#
# Output: <target>/bench/sandbox.md (printed at the end) and the raw files beside it
# (sandbox-*.json from hyperfine, sandbox-bench-*.md from the bench program).
# --quick: fewer runs (30 per hyperfine benchmark, 50 CLI latency samples, 500 API cycles;
#          default 100, 200, 5000).
# LKM_BIN=/path/to/lkm: time that binary (the bench program is still built).
set -euo pipefail
export LC_ALL=C
PATH="$PATH:/usr/sbin:/sbin"

cd "$(dirname "$0")/.."

. scripts/bench-common.sh

runs=100
cli_samples=200
api_cycles=5000
quick=
while (($#)); do
    case $1 in
        --quick) runs=30; cli_samples=50; api_cycles=500; quick=" (--quick)" ;;
        -h | --help) bench_usage; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--quick])" ;;
    esac
    shift
done

command -v python3 >/dev/null || die "python3 is needed for the summary"
for tool in make gcc; do
    command -v "$tool" >/dev/null ||
        die "$tool is needed to build the hello module (apt-get install build-essential)"
done
if ! command -v hyperfine >/dev/null; then
    [[ $(id -u) == 0 ]] || die "hyperfine is missing: sudo apt-get install -y hyperfine"
    log "installing hyperfine"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi

# --- builds --------------------------------------------------------------------------------
bench_lkm
log "cargo build --release -p lkm-sandbox --example sandbox_bench"
cargo build --release -p lkm-sandbox --example sandbox_bench ||
    die "building the bench program failed (see above)"
bench=$target_dir/release/examples/sandbox_bench

out_dir=$target_dir/bench
work=$out_dir/sandbox-work
rm -rf "$work"
mkdir -p "$work/hello"
export LKM_SDK_CACHE=$out_dir/sdk-cache
sdk=$("$lkm" sdk) || die "lkm sdk failed"
cp examples/hello/hello.c examples/hello/Makefile "$work/hello/"
make -s -C "$work/hello" KDIR="$sdk" >"$work/make.log" 2>&1 ||
    die "building hello.ko failed: $(tail -n 5 "$work/make.log")"
ko=$work/hello/hello.ko
[[ -f $ko ]] || die "make did not produce $ko"

# The state directory holds the control socket: keep its path short (sun_path is 108 bytes).
state=$(mktemp -d /tmp/lkm-bench.XXXXXX)
L=("$lkm" --state "$state")
cleanup() {
    "${L[@]}" halt >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

q() { printf '%q' "$1"; }
ql=$(q "$lkm")
qs=$(q "$state")
qko=$(q "$ko")
lkm_s="$ql --state $qs"

log "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $(hyperfine --version)"

# hf NAME HYPERFINE-ARGS...: one hyperfine run exported as sandbox-NAME.{json,md}.
hf() {
    local name=$1
    shift
    hyperfine --style basic --export-json "$out_dir/sandbox-$name.json" \
        --export-markdown "$out_dir/sandbox-$name.md" "$@"
}

# --- the floor: starting any process on this machine ----------------------------------------
true_bin=$(command -v true)
if [[ $true_bin != /* ]]; then true_bin=/bin/true; fi
log "process start-up floor: $true_bin, $runs runs"
hf floor -N --warmup 5 --runs "$runs" -n "$true_bin (process start-up floor)" "$true_bin"

# --- (a) boot and halt ------------------------------------------------------------------
"${L[@]}" halt >/dev/null
log "(a) boot: $runs runs, each after a halt"
hf boot -N --warmup 3 --runs "$runs" --prepare "$lkm_s halt" --cleanup "$lkm_s halt" \
    -n "lkm boot (until the kernel answers)" "$lkm_s boot"
log "(a) halt: $runs runs, each after a boot"
hf halt -N --warmup 3 --runs "$runs" --prepare "$lkm_s boot" \
    -n "lkm halt (until the process is gone)" "$lkm_s halt"

# --- (c) commands ------------------------------------------------------------------------
"${L[@]}" boot >/dev/null
log "(c) lkm insmod + lkm rmmod: $runs runs"
hf pair --warmup 5 --runs "$runs" \
    -n "lkm insmod hello.ko && lkm rmmod hello" "$lkm_s insmod $qko 2>/dev/null && $lkm_s rmmod hello 2>/dev/null"
# Alone: the other half runs before each timing run (so hello is loaded for rmmod, gone for insmod).
"${L[@]}" insmod "$ko" 2>/dev/null
log "(c) lkm insmod alone: $runs runs"
hf insmod -N --warmup 5 --runs "$runs" --prepare "$lkm_s rmmod hello" \
    -n "lkm insmod hello.ko" "$lkm_s insmod $qko"
"${L[@]}" rmmod hello 2>/dev/null
log "(c) lkm rmmod alone: $runs runs"
hf rmmod -N --warmup 5 --runs "$runs" --prepare "$lkm_s insmod $qko" \
    -n "lkm rmmod hello" "$lkm_s rmmod hello"
"${L[@]}" rmmod hello 2>/dev/null || true

# --- (b) insmod → init, measured in the kernel, over CLI commands -------------------------
log "(b) in-kernel load time over $cli_samples lkm insmod commands"
: >"$out_dir/sandbox-cli-latency.txt"
for ((i = 0; i < cli_samples; i++)); do
    "${L[@]}" insmod "$ko" 2>/dev/null || die "lkm insmod failed (sample $i)"
    "${L[@]}" status | sed -n 's/^  last load: hello in \([0-9]*\) us (init \([0-9]*\) us)$/\1 \2/p' \
        >>"$out_dir/sandbox-cli-latency.txt"
    "${L[@]}" rmmod hello 2>/dev/null || die "lkm rmmod failed (sample $i)"
done
n=$(wc -l <"$out_dir/sandbox-cli-latency.txt")
((n == cli_samples)) || die "lkm status gave $n load timings for $cli_samples loads"

# --- (b)+(c) client API and in-process cycles --------------------------------------------
log "(b,c) client API: $api_cycles cycles"
"$bench" client "$state" "$ko" "$api_cycles" >"$out_dir/sandbox-bench-client.md" ||
    die "sandbox_bench client failed"
rss=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$(cat "$state/kernel.pid")/status")
"${L[@]}" halt >/dev/null
log "(b,c) in-process: $api_cycles cycles (the module's console lines in $work/inproc-console.log)"
"$bench" inproc "$ko" "$api_cycles" >"$out_dir/sandbox-bench-inproc.md" 2>"$work/inproc-console.log" ||
    die "sandbox_bench inproc failed: $(tail -n 3 "$work/inproc-console.log")"

# --- peer comparison: modinfo on the same .ko ----------------------------------------------
modinfo_json=
if kmod_modinfo=$(command -v modinfo); then
    a=$("$kmod_modinfo" "$ko") || die "kmod's modinfo failed on $ko"
    b=$("$lkm" modinfo "$ko") || die "lkm modinfo failed on $ko"
    [[ $a == "$b" ]] || log "WARNING: lkm modinfo's output differs from kmod's on hello.ko"
    log "modinfo hello.ko, kmod and lkm: $runs runs"
    hf modinfo -N --warmup 5 --runs "$runs" \
        -n "kmod modinfo hello.ko" "$(q "$kmod_modinfo") $qko" \
        -n "lkm modinfo hello.ko" "$ql modinfo $qko"
    modinfo_json=$out_dir/sandbox-modinfo.json
else
    log "kmod's modinfo is not installed: no peer comparison"
fi

# --- summary -------------------------------------------------------------------------------
python3 - "$out_dir" "$quick" "$rss" "$(nproc)" "$modinfo_json" <<'EOF'
import json, math, os, sys

out_dir, quick, rss, cores, modinfo_json = sys.argv[1:6]

def hf(name):
    return json.load(open(os.path.join(out_dir, f"sandbox-{name}.json")))["results"]

def pct(xs, p):
    xs = sorted(xs)
    return xs[max(1, math.ceil(p * len(xs))) - 1]

def ms(s):
    return f"{s * 1e3:.2f} ms"

def hf_row(r):
    t = r["times"]
    return (f"| {r['command']} | {len(t)} | {ms(pct(t, 0.5))} | {ms(pct(t, 0.99))} | "
            f"{ms(r['mean'])} ± {ms(r['stddev'] or 0.0)} | {ms(min(t))} |")

lines = [f"# Sandbox kernel benchmark{quick}", "",
         f"{cores} cores; hello = examples/hello (two printk lines in init, two in exit).", ""]

lines += ["## (a) boot and halt, (c) commands (hyperfine)", "",
          "| command | runs | median | p99 | mean ± σ | min |", "|---|---|---|---|---|---|"]
for name in ["floor", "boot", "halt", "pair", "insmod", "rmmod"]:
    lines += [hf_row(r) for r in hf(name)]
lines += ["", "`lkm insmod && lkm rmmod` runs through sh (hyperfine subtracts the shell's start-up); "
          "the others run without a shell, the other half of the cycle as `--prepare`. "
          "The first row is the cost of starting any process here: every `lkm` command pays it "
          "(`lkm boot` twice: the command and the kernel process).", ""]

samples = [tuple(map(int, l.split())) for l in open(os.path.join(out_dir, "sandbox-cli-latency.txt"))]
tot = [s[0] for s in samples]
ini = [s[1] for s in samples]
lines += ["## (b) insmod → init, measured in the kernel", "",
          "Request receipt (image read from the socket) to init's return, as `lkm status` reports "
          "the last load (`last load: hello in N us (init M us)`).", "",
          "| path | n | median | p99 | min | max |", "|---|---|---|---|---|---|",
          f"| `lkm insmod` commands: receipt → init return (µs) | {len(tot)} | {pct(tot, .5)} | "
          f"{pct(tot, .99)} | {min(tot)} | {max(tot)} |",
          f"| `lkm insmod` commands: init alone (µs) | {len(ini)} | {pct(ini, .5)} | "
          f"{pct(ini, .99)} | {min(ini)} | {max(ini)} |", ""]

lines += ["## (b, c) per-cycle times: client API and in-process (sandbox_bench)", ""]
for name, title in [("client", "Client API (`SandboxKernel`, one connection per request, kernel "
                     "in its own process)"),
                    ("inproc", "In-process (`kernel::boot()` in the bench, `loader::load_module` / "
                     "`delete_module`)")]:
    lines += [f"{title}:", ""]
    lines += [l.rstrip("\n") for l in open(os.path.join(out_dir, f"sandbox-bench-{name}.md"))]
    lines += [""]
lines += [f"Kernel process VmRSS after the client-API cycles: {rss}.", ""]

if modinfo_json:
    kmod, lkm = json.load(open(modinfo_json))["results"][:2]
    ratio = kmod["mean"] / lkm["mean"]
    verdict = f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"
    lines += ["## Peer comparison", "",
              "No VM here to time Linux's own insmod/rmmod; the same-input comparison is modinfo on "
              "hello.ko.", "",
              "| command | kmod mean | lkm mean | kmod/lkm |", "|---|---|---|---|",
              f"| modinfo hello.ko | {ms(kmod['mean'])} ± {ms(kmod['stddev'] or 0.0)} | "
              f"{ms(lkm['mean'])} ± {ms(lkm['stddev'] or 0.0)} | {verdict} |", ""]

# The goal: one load under 1 ms.
cli = next(r for r in hf("insmod"))
goal = [("in-kernel (receipt → init return), median", pct(tot, .5) / 1e3),
        ("in-kernel, p99", pct(tot, .99) / 1e3),
        ("whole `lkm insmod` command, median", pct(cli["times"], .5) * 1e3)]
lines += ["## Goal: one load under 1 ms", "", "| measure | ms | under 1 ms |", "|---|---|---|"]
lines += [f"| {m} | {v:.3f} | {'yes' if v < 1 else 'no'} |" for m, v in goal]
lines += [""]

path = os.path.join(out_dir, "sandbox.md")
open(path, "w").write("\n".join(lines))
print("\n".join(lines))
print(f"(also in {path})")
EOF
