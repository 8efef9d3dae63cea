#!/usr/bin/env bash
# scripts/bench-fuse.sh — read throughput of a sandbox device through the FUSE mount, side by side
# with the host's /dev/zero.
#
# Usage: scripts/bench-fuse.sh [--quick]      (runnable from any directory)
#
# Builds target/release/lkm and the test module lkmpipe (crates/lkm/tests/modules/cdev_basic:
# its /dev/lkmzero is /dev/zero's read side, clear_user() of the whole request), boots a sandbox
# kernel under a private state directory with `lkm boot --mount`, loads the module, and times with
# hyperfine, in one run:
#   dd if=/dev/zero        of=/dev/null bs=64k count=N     (the host kernel's device)
#   dd if=MNT/dev/lkmzero  of=/dev/null bs=64k count=N     (the sandbox's, through FUSE)
# N blocks of 64 KiB make 1 GiB (256 MiB with --quick). Each read goes dd → FUSE → one of the
# mount's threads → the driver's read with a user window → the reply.
# Output: <target>/bench/fuse.md (printed at the end) and fuse.json (hyperfine's).
# LKM_BIN=/path/to/lkm: time that binary instead of building target/release/lkm.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

. scripts/bench-common.sh

runs=10
count=16384
while (($#)); do
    case $1 in
        --quick) runs=5; count=4096 ;;
        -h | --help) bench_usage; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--quick])" ;;
    esac
    shift
done
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is needed for the summary"
[[ -e /dev/fuse ]] || die "/dev/fuse is missing: FUSE is not available here"

bench_lkm
out_dir=$target_dir/bench
work=$out_dir/fuse-work
rm -rf "$work"
mkdir -p "$work/mod"
export LKM_SDK_CACHE=$out_dir/sdk-cache
cp crates/lkm/tests/modules/cdev_basic/lkmpipe.c "$work/mod/"
echo 'obj-m := lkmpipe.o' >"$work/mod/Kbuild"
"$lkm" build "$work/mod" >"$work/build.log" 2>&1 || die "building lkmpipe.ko failed: $(tail -n 5 "$work/build.log")"

state=$(mktemp -d /tmp/lkm-bench.XXXXXX)
mnt=$state/mnt
mkdir -p "$mnt"
L=("$lkm" --state "$state")
cleanup() {
    "${L[@]}" halt >/dev/null 2>&1 || true
    umount -l "$mnt" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT
"${L[@]}" boot --mount "$mnt" >/dev/null || die "lkm boot --mount failed (is FUSE permitted here?)"
"${L[@]}" insmod "$work/mod/lkmpipe.ko" 2>/dev/null || die "lkm insmod lkmpipe.ko failed"
[[ -e $mnt/dev/lkmzero ]] || die "$mnt/dev/lkmzero did not appear"

bytes=$((count * 65536))
log "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $((bytes >> 20)) MiB per run, $runs runs"
hyperfine --style basic -N --warmup 2 --runs "$runs" --export-json "$out_dir/fuse.json" \
    -n "host /dev/zero" "dd if=/dev/zero of=/dev/null bs=64k count=$count" \
    -n "sandbox /dev/lkmzero via FUSE" "dd if=$mnt/dev/lkmzero of=/dev/null bs=64k count=$count"

python3 - "$out_dir" "$bytes" <<'PY' | tee "$out_dir/fuse.md"
import json, os, sys
out_dir, nbytes = sys.argv[1], int(sys.argv[2])
res = json.load(open(os.path.join(out_dir, "fuse.json")))["results"]
print("| reader (dd, 64 KiB blocks) | mean | throughput |")
print("|---|---|---|")
for r in res:
    print(f"| {r['command']} | {r['mean'] * 1000:.1f} ms | {nbytes / r['mean'] / 1e9:.2f} GB/s |")
host, fuse = res[0]["mean"], res[1]["mean"]
print(f"\nFUSE device / host /dev/zero: {host / fuse:.2f}× the host's throughput "
      f"({nbytes / fuse / 1e9:.2f} GB/s; goal ≥ 1 GB/s)")
PY
