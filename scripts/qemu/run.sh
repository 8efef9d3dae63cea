#!/usr/bin/env bash
# The QEMU test: boots Debian 12's kernel (linux-image-amd64, 6.1) under QEMU software emulation with
# a busybox initramfs holding the static lkm binary, Debian's kmod as the reference, a subset of
# Debian's modules with a dependency chain, and the repository's example modules built against
# linux-headers-amd64. The guest (guest/init, guest/steps.sh) runs the same steps with kmod's tools
# and with lkm's under kmod's names; this script compares stdout, stderr, exit status, /proc/modules
# and the new dmesg lines of every step and prints the differences.
#
#   scripts/qemu/run.sh [OUT]      results under OUT (default $WORK/out): OUT/res/{kmod,lkm,info,bench}
#
# Exit status: 0 when every step is the same (or a documented difference), 1 on a difference, 2 when the
# harness itself failed (no kernel, no result). Knobs (environment): WORK (a cache reused by later runs,
# default /var/tmp/lkm-qemu), LKM_BIN (a static lkm; default: built here with cargo, crt-static),
# KVER, QEMU, TIMEOUT (seconds per boot, default 300), PVH (1: boot the uncompressed vmlinux, faster;
# default 1), BENCH_RUNS (default 20); KERNEL, MODDIR, KBUILD for a kernel unpacked elsewhere (default
# /boot/vmlinuz-$KVER, /lib/modules/$KVER, $MODDIR/build). KVM is never used: it hangs here.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-/var/tmp/lkm-qemu}
OUT=${1:-$WORK/out}
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${TIMEOUT:-300}
PVH=${PVH:-1}
BENCH_RUNS=${BENCH_RUNS:-20}

log() { printf 'qemu-test: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# ------------------------------------------------------------------------------ prerequisites --
if [ -z "${KVER:-}" ]; then
    KVER=$(cd /boot 2>/dev/null && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n1 || true)
fi
[ -n "$KVER" ] || die "no /boot/vmlinuz-* (apt-get install linux-image-amd64)"
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
MODDIR=${MODDIR:-/lib/modules/$KVER}
KBUILD=${KBUILD:-$MODDIR/build}
GM=/lib/modules/$KVER # in the guest
[ -r "$KERNEL" ] || die "$KERNEL is not readable"
[ -d "$MODDIR/kernel" ] || die "$MODDIR has no modules"
[ -d "$KBUILD" ] || die "$KBUILD missing (apt-get install linux-headers-amd64)"
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install --no-install-recommends qemu-system-x86)"
for t in cpio gzip xz zstd make gcc kmod timeout dpkg-deb apt-get base64 tar; do
    command -v $t >/dev/null || die "$t not found"
done
log "kernel $KVER, $("$QEMU" --version | head -n1)"
mkdir -p "$WORK/debs"
# WORK keeps what later runs reuse (busybox, the static build, the vmlinux); what one run builds is in
# OUT, so that runs with different OUTs do not disturb each other.
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && [ ! -d "$OUT/stage" ] && [ ! -d "$OUT/res" ]; then
    die "$OUT exists and holds something else than this script's results"
fi
rm -rf "$OUT"
mkdir -p "$OUT/stage" "$OUT/build"

# -------------------------------------------------------------------------------- the binaries --
# busybox-static conflicts with Debian's busybox package (initramfs-tools pulls it in): never
# install it, unpack it.
BB=$WORK/debs/bbx/bin/busybox
if [ ! -x "$BB" ]; then
    log "fetching busybox-static (apt-get download, dpkg-deb -x)"
    (cd "$WORK/debs" && apt-get download busybox-static >/dev/null 2>&1) || die "apt-get download busybox-static failed"
    dpkg-deb -x "$(ls "$WORK"/debs/busybox-static_*.deb | head -n1)" "$WORK/debs/bbx"
fi
if [ -z "${LKM_BIN:-}" ]; then
    log "building the static lkm (cargo build --release, crt-static; target dir $WORK/target)"
    (cd "$REPO" && RUSTFLAGS='-C target-feature=+crt-static' CARGO_TARGET_DIR="$WORK/target" \
        cargo build --quiet --release -p lkm --target x86_64-unknown-linux-gnu) || die "static build failed"
    LKM_BIN=$WORK/target/x86_64-unknown-linux-gnu/release/lkm
fi
case "$(LC_ALL=C ldd "$LKM_BIN" 2>&1 || true)" in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) die "$LKM_BIN is not statically linked" ;;
esac
log "lkm: $LKM_BIN ($(stat -c %s "$LKM_BIN") bytes, static)  [$(elapsed) s]"

# ---------------------------------------------------- modules built against the kernel headers --
for ex in hello params export chardev; do cp -r "$REPO/examples/$ex" "$OUT/build/$ex"; done
cp -r "$HERE/modules/noexit" "$OUT/build/noexit"
for d in "$OUT"/build/*; do
    extra=()
    # examples/chardev uses Linux 6.4's class_create(name); see compat-6.1.h.
    [ "$(basename "$d")" = chardev ] && [ "${KVER%%.*}" = 6 ] && [ "$(echo "$KVER" | cut -d. -f2)" -lt 4 ] &&
        extra=("KCFLAGS=-include $HERE/compat-6.1.h -Wno-error=incompatible-pointer-types")
    # BTF for modules needs pahole; loading does not (6.1's headers skip it anyway, having no vmlinux).
    command -v pahole >/dev/null || extra+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
    make -C "$KBUILD" M="$d" "${extra[@]}" modules >"$d.log" 2>&1 &
done
for d in "$OUT"/build/*/; do
    wait -n || true
done
for d in "$OUT"/build/*/; do
    ls "$d"*.ko >/dev/null 2>&1 || { tail -n 20 "${d%/}.log" >&2; die "building $d failed"; }
done
log "built the examples and noexit.ko against $KBUILD  [$(elapsed) s]"

# --------------------------------------------------------------------------------- initramfs --
R=$OUT/stage/root
mkdir -p "$R"/{bin,sbin,proc,sys,dev,tmp,etc,test,opt/lkm,opt/kmod}
cp "$BB" "$R/bin/busybox"
for app in $("$BB" --list); do [ -e "$R/bin/$app" ] || ln -s busybox "$R/bin/$app"; done
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
cp "$LKM_BIN" "$R/opt/lkm/lkm"
KM=$(command -v kmod)
cp "$KM" "$R/opt/kmod/kmod"
for lib in $(ldd "$KM" | grep -oE '/[^ ]+\.so[^ ]*'); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done
# Debian's modules: a dependency chain (llc <- stp <- garp, mrp <- 8021q), modules with parameters,
# and libcrc32c, whose init makes the kernel request crypto-crc32c (crc32c_generic) through modprobe.
MODS="drivers/net/dummy drivers/block/loop net/llc/llc net/802/stp net/802/garp net/802/mrp
      net/8021q/8021q crypto/crc32c_generic lib/libcrc32c"
for m in $MODS; do
    src=$(ls "$MODDIR/kernel/$m.ko"* 2>/dev/null | head -n1 || true)
    [ -n "$src" ] || die "module $m not found under $MODDIR/kernel"
    mkdir -p "$R$GM/kernel/$(dirname "$m")"
    case "$src" in
        *.ko) cp "$src" "$R$GM/kernel/$m.ko" ;;
        *.ko.xz) xz -dc "$src" >"$R$GM/kernel/$m.ko" ;;
        *.ko.zst) zstd -qdc "$src" >"$R$GM/kernel/$m.ko" ;;
    esac
done
cp "$MODDIR"/modules.builtin "$MODDIR"/modules.builtin.modinfo "$MODDIR"/modules.order "$R$GM/"
mkdir -p "$R$GM/extra"
cp "$OUT"/build/*/*.ko "$R$GM/extra/"
depmod -b "$R" "$KVER"
# Inputs for insmod's error and compression steps.
D=$R$GM/kernel/drivers/net/dummy.ko
xz --check=crc32 -c "$D" >"$R/test/dummy.ko.xz"
zstd -q -c "$D" >"$R/test/dummy.ko.zst"
gzip -c "$D" >"$R/test/dummy.ko.gz"
printf 'this is not a kernel module\n' >"$R/test/text.ko"
printf 'abc' >"$R/test/short.ko"
cp "$HERE/guest/steps.sh" "$R/test/steps.sh"
{ echo '#!/bin/sh'; echo "KVER=$KVER BENCH_RUNS=$BENCH_RUNS"; tail -n +2 "$HERE/guest/init"; } >"$R/init"
chmod 755 "$R/init"
INITRD=$OUT/initramfs.cpio.gz
(cd "$R" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -1) >"$INITRD"
log "initramfs: $(du -h "$INITRD" | cut -f1)  [$(elapsed) s]"

# ----------------------------------------------------------------------------------------- boot --
BOOTK=$KERNEL
if [ "$PVH" = 1 ]; then
    # The vmlinux inside Debian's bzImage has the PVH note (CONFIG_PVH=y): QEMU enters it directly and
    # the emulated CPU skips ~4 s of decompressing it. The payload is xz (Debian 12) or zstd.
    V=$WORK/vmlinux-$KVER
    if [ ! -s "$V" ] || [ "$V" -ot "$KERNEL" ]; then
        set +o pipefail
        off=$(LC_ALL=C grep -abo -m1 $'\xfd''7zXZ' "$KERNEL" | head -n1 | cut -d: -f1)
        if [ -n "$off" ]; then
            tail -c +$((off + 1)) "$KERNEL" | xz -dc --single-stream >"$V" 2>/dev/null || true
        else
            off=$(LC_ALL=C grep -abo -m1 $'\x28\xb5\x2f\xfd' "$KERNEL" | head -n1 | cut -d: -f1)
            [ -n "$off" ] && { tail -c +$((off + 1)) "$KERNEL" | zstd -qdc >"$V" 2>/dev/null || true; }
        fi
        set -o pipefail
    fi
    if [ "$(head -c4 "$V" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
        BOOTK=$V
    else
        log "no vmlinux in $KERNEL; booting the bzImage"
    fi
fi
CONSOLE=$OUT/console.log
SERIAL=$OUT/results.b64
log "booting (-accel tcg, timeout ${TIMEOUT}s; console in $CONSOLE)"
tb=$(date +%s.%N)
set +e
timeout "$TIMEOUT" "$QEMU" -accel tcg -m 512 -smp 1 -display none -monitor none -no-reboot -nic none \
    -kernel "$BOOTK" -initrd "$INITRD" -append "console=ttyS0 panic=-1 quiet" \
    -serial "file:$CONSOLE" -serial "file:$SERIAL" </dev/null &
qpid=$!
# The guest's progress lines, as they come.
tail -n +1 -F --pid=$qpid "$CONSOLE" 2>/dev/null | grep -a --line-buffered 'LKMQ ' |
    sed -u -e 's/\r$//' -e 's/.*LKMQ /qemu-test: guest: /' >&2
wait $qpid
qrc=$?
set -e
BOOT_S=$(awk -v a="$tb" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
[ $qrc = 124 ] && die "the guest did not finish within ${TIMEOUT}s (console: $CONSOLE)"
tr -d '\r' <"$SERIAL" | sed -n '/^LKMQ-RESULTS-BEGIN$/,/^LKMQ-RESULTS-END$/p' | sed '1d;$d' | base64 -d | tar -C "$OUT" -xz \
    || die "no results from the guest (qemu exit $qrc; console: $CONSOLE)"
{ echo "boot_seconds=$BOOT_S"; echo "qemu=$("$QEMU" --version | head -n1)"; } >>"$OUT/res/info"
if grep -q '^CONFIG_MODULE_FORCE_UNLOAD=y' "$(dirname "$KERNEL")/config-$KVER" 2>/dev/null; then
    echo "force_unload=yes" >>"$OUT/res/info"
else
    echo "force_unload=no" >>"$OUT/res/info"
fi
log "guest finished: qemu wall time ${BOOT_S}s  [$(elapsed) s]"

# ------------------------------------------------------------------------------------ compare --
same=0 differ=0 documented=0
for k in "$OUT"/res/kmod/*/; do
    step=$(basename "$k")
    l=$OUT/res/lkm/$step
    flags=$(cat "$k/flags")
    diffs=""
    for f in out err rc modules dmesg; do
        if ! cmp -s "$k/$f" "$l/$f"; then
            diffs="$diffs$(diff -u --label "kmod $step/$f" --label "lkm $step/$f" "$k/$f" "$l/$f" || true)"$'\n'
        fi
    done
    if [ -z "$diffs" ]; then
        echo "STEP $step: same"
        same=$((same + 1))
    elif [ "$flags" = d ]; then
        echo "STEP $step: documented difference"
        printf '%s' "$diffs" | sed 's/^/    /'
        documented=$((documented + 1))
    else
        echo "STEP $step: DIFFERENT"
        printf '%s' "$diffs" | sed 's/^/    /'
        differ=$((differ + 1))
    fi
done
sed 's/^/BENCH /' "$OUT/res/bench"
echo "SUMMARY same=$same different=$differ documented=$documented boot_seconds=$BOOT_S total_seconds=$(elapsed)"
[ $differ = 0 ]
