#!/usr/bin/env bash
# scripts/corpus.sh — build the Debian 12 kernel-module corpus used by lkm's
# differential tests and benchmarks.
#
# Usage:
#   scripts/corpus.sh [DIR]           build (or verify, if already built) the corpus
#   scripts/corpus.sh --check [DIR]   exit 0 only if the corpus is complete; builds nothing
#
# DIR defaults to $LKM_CORPUS, else <repo>/.corpus (git-ignored).
#
# What it makes (every tree is a sysroot for `modinfo -b ROOT -k REL`, `depmod -b ROOT REL`):
#   DIR/debs/      the linux-image-<release> .deb (downloaded with `apt-get download`)
#   DIR/extract/   `dpkg-deb -x` of that .deb — nothing is installed into /lib/modules,
#                  no maintainer script runs, no initramfs is built
#   DIR/release    the kernel release, e.g. 6.1.0-56-amd64
#   DIR/root/      lib/modules/<release>/kernel/**.ko (hardlinks into extract/) plus
#                  modules.order, modules.builtin, modules.builtin.modinfo, then kmod's depmod
#   DIR/root-xz/   same, every module `xz --check=crc32 --lzma2=dict=1MiB` (what the kernel needs)
#   DIR/root-zst/  same, every module `zstd`
#   DIR/root-gz/   same, every module `gzip -n` (level 6, as the kernel's modules_install)
#
# Each step leaves a stamp (DIR/.stamps/<step>, holding the release) so a second run is
# immediate. Trees are built in DIR/<tree>.tmp and renamed when complete, so an interrupted
# run never leaves a half tree behind a stamp. To move to a newer kernel, delete DIR.
#
# Progress goes to stderr; stdout carries only the final line
#   corpus: DIR release=<release> modules=<N>
#
# Environment: LKM_CORPUS (default DIR), LKM_CORPUS_META (meta package to resolve,
# default linux-image-amd64).
set -euo pipefail
export LC_ALL=C
# depmod and modinfo live in /usr/sbin, which a non-root PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"

repo=$(cd "$(dirname "$0")/.." && pwd)
meta=${LKM_CORPUS_META:-linux-image-amd64}
trees=(root root-xz root-zst root-gz)

log() { printf 'corpus: %s\n' "$*" >&2; }
die() { printf 'corpus: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

check=0
dir_arg=
while (($#)); do
    case $1 in
        --check) check=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) [[ -z $dir_arg ]] || die "only one DIR may be given"; dir_arg=$1 ;;
    esac
    shift
done
DIR=${dir_arg:-${LKM_CORPUS:-$repo/.corpus}}

# Elapsed time since the last `tick`, in seconds with one decimal.
tick() { t0=${EPOCHREALTIME/./}; }
elapsed() {
    local us=$(( ${EPOCHREALTIME/./} - t0 ))
    printf '%d.%ds' $((us / 1000000)) $((us / 100000 % 10))
}

# The modules directory inside an extracted .deb: lib/modules (bookworm) or
# usr/lib/modules (merged-/usr packages).
moddir_of() {
    local base=$1 rel=$2 d
    for d in "$base/lib/modules/$rel" "$base/usr/lib/modules/$rel"; do
        [[ -d $d ]] && { printf '%s\n' "$d"; return 0; }
    done
    return 1
}

count_ko() { find "$1" -type f -name "*.ko$2" | wc -l; }

stamp_ok() { [[ -f $DIR/.stamps/$1 && $(<"$DIR/.stamps/$1") == "$release" ]]; }
stamp() { mkdir -p "$DIR/.stamps"; printf '%s\n' "$release" >"$DIR/.stamps/$1"; }

# ---------------------------------------------------------------------------
# --check: everything in place? No output but the final line, no side effects.
if ((check)); then
    [[ -f $DIR/release ]] || { log "not built: $DIR/release missing"; exit 1; }
    release=$(<"$DIR/release")
    for step in extract "${trees[@]}"; do
        stamp_ok "$step" || { log "not built: step $step"; exit 1; }
    done
    for t in "${trees[@]}"; do
        [[ -f $DIR/$t/lib/modules/$release/modules.dep.bin ]] ||
            { log "incomplete: $DIR/$t has no modules.dep.bin"; exit 1; }
    done
    src=$(moddir_of "$DIR/extract" "$release") || { log "incomplete: $DIR/extract"; exit 1; }
    n=$(count_ko "$src" "")
    ((n > 0)) || { log "no modules in $src"; exit 1; }
    echo "corpus: $DIR release=$release modules=$n"
    exit 0
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# Serialise concurrent runs (e.g. several test binaries asking for the corpus at once).
exec 9>"$DIR/.lock"
flock 9

# ---------------------------------------------------------------------------
# Step 1: tools.
is_root() { [[ $(id -u) == 0 ]]; }
updated=0
apt_update() {
    ((updated)) && return 0
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    updated=1
}

for c in dpkg-deb apt-get apt-cache; do
    command -v "$c" >/dev/null ||
        die "'$c' not found: this script needs a Debian-based system (dpkg, apt)"
done
missing=()
for pair in modinfo:kmod depmod:kmod xz:xz-utils zstd:zstd gzip:gzip; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
    is_root || die "missing tools; install them with: sudo apt-get install -y ${pkgs% }"
    apt_update
    log "apt-get install kmod xz-utils zstd gzip (missing: ${pkgs% })"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kmod xz-utils zstd gzip >&2
fi

# ---------------------------------------------------------------------------
# Step 2: the kernel package, extracted (not installed).
release=
if [[ -f $DIR/release ]]; then
    release=$(<"$DIR/release")
    stamp_ok extract || release=
fi

if [[ -z $release ]]; then
    tick
    resolve() {
        apt-cache depends "$meta" 2>/dev/null |
            awk '$1 ~ /^\|?Depends:$/ && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
    }
    pkg=$(resolve)
    if [[ -z $pkg ]] && is_root; then
        apt_update
        pkg=$(resolve)
    fi
    [[ -n $pkg ]] || die "cannot resolve the package behind $meta (apt-cache depends $meta found none; run apt-get update?)"
    release=${pkg#linux-image-}
    ver=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
    log "package: $meta -> $pkg ${ver:-?} (release $release)"

    deb=
    fver=${ver//:/%3a}
    for f in "$DIR/debs/${pkg}_${fver}_"*.deb /var/cache/apt/archives/"${pkg}_${fver}_"*.deb; do
        [[ -f $f ]] && dpkg-deb --info "$f" >/dev/null 2>&1 && { deb=$f; break; }
    done
    if [[ -z $deb ]]; then
        mkdir -p "$DIR/debs"
        log "downloading $pkg=$ver into $DIR/debs"
        if (cd "$DIR/debs" && apt-get download -q "$pkg${ver:+=$ver}" >&2); then
            for f in "$DIR/debs/${pkg}_${fver}_"*.deb; do [[ -f $f ]] && deb=$f; done
            [[ -n $deb ]] || log "apt-get download left no ${pkg}_${fver}_*.deb in $DIR/debs"
        fi
    fi

    rm -rf "$DIR/extract" "$DIR/extract.tmp"
    mkdir -p "$DIR/extract.tmp"
    if [[ -n $deb ]]; then
        log "extracting $(basename "$deb")"
        dpkg-deb -x "$deb" "$DIR/extract.tmp"
    elif [[ -f /lib/modules/$release/modules.order && -f /lib/modules/$release/modules.builtin.modinfo && -d /lib/modules/$release/kernel ]]; then
        # No network: fall back to the installed tree of the same release. A real copy,
        # not hardlinks, so nothing done to the corpus can ever touch the system's modules.
        log "download failed; copying the installed /lib/modules/$release instead"
        dst=$DIR/extract.tmp/lib/modules/$release
        mkdir -p "$dst"
        cp -a "/lib/modules/$release/kernel" "$dst/"
        cp -a "/lib/modules/$release"/modules.{order,builtin,builtin.modinfo} "$dst/"
    else
        die "could not get $pkg (apt-get download failed and /lib/modules/$release is not a full tree)"
    fi

    rels=()
    for d in "$DIR"/extract.tmp/lib/modules/* "$DIR"/extract.tmp/usr/lib/modules/*; do
        [[ -d $d ]] && rels+=("$(basename "$d")")
    done
    ((${#rels[@]} == 1)) || die "expected one lib/modules/<release> in the package, found: ${rels[*]:-none}"
    [[ ${rels[0]} == "$release" ]] || { log "note: package $pkg holds release ${rels[0]}"; release=${rels[0]}; }
    n=$(count_ko "$(moddir_of "$DIR/extract.tmp" "$release")" "")
    ((n > 0)) || die "the package holds NO .ko modules — refusing to build an empty corpus"
    mv "$DIR/extract.tmp" "$DIR/extract"
    printf '%s\n' "$release" >"$DIR/release"
    stamp extract
    log "extract: release $release, $n modules in $(elapsed)"
fi

src=$(moddir_of "$DIR/extract" "$release") || die "$DIR/extract has no modules directory for $release"
total=$(count_ko "$src" "")
((total > 0)) || die "NO .ko modules in $src — the corpus is empty"
log "kernel release $release: $total modules"

# ---------------------------------------------------------------------------
# Step 3: the sysroots.
# build_tree NAME EXT COMPRESSOR-COMMAND...
build_tree() {
    local name=$1 ext=$2
    shift 2
    if stamp_ok "$name"; then
        log "$name: up to date"
        return 0
    fi
    tick
    local tmp=$DIR/$name.tmp
    local mods=$tmp/lib/modules/$release
    rm -rf "$tmp" "${DIR:?}/$name"
    mkdir -p "$mods"
    # Hardlinks into extract/: the compressors below write a new file and unlink the
    # link (hence -f: xz and gzip otherwise skip files with several links), so the
    # extract itself is never modified.
    cp -al "$src/kernel" "$mods/kernel"
    local f
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        if [[ -f $src/$f ]]; then cp "$src/$f" "$mods/$f"; else log "warning: package has no $f"; fi
    done
    if (($#)); then
        find "$mods/kernel" -type f -name '*.ko' -print0 |
            xargs -0 -r -P"$(nproc)" -n 50 "$@" ||
            die "$name: compressing with '$*' failed"
        local left
        left=$(count_ko "$mods/kernel" "")
        ((left == 0)) || die "$name: $left modules were left uncompressed"
    fi
    local n
    n=$(count_ko "$mods/kernel" "$ext")
    ((n == total)) || die "$name: $n modules with .ko$ext, expected $total"
    depmod -b "$tmp" "$release" || die "$name: depmod failed"
    mv "$tmp" "$DIR/$name"
    stamp "$name"
    log "$name: $n modules (.ko$ext) in $(elapsed)"
}

build_tree root ""
build_tree root-xz .xz xz -f --check=crc32 --lzma2=dict=1MiB
build_tree root-zst .zst zstd -q -f --rm
# Debian 12's kmod 30 is built without zlib (-ZLIB in `modinfo --version`), so its depmod
# does not recognise .ko.gz: the modules.dep of root-gz lists nothing. depmod still runs so
# the tree has all its index files; lkm (which reads gzip) is expected to do better here.
# Level 6 (gzip's default, and what the kernel's `make modules_install` uses), not -9:
# -9 is ~7x slower on these ELF files (3 minutes instead of 25 s on 2 cores) for ~1% size.
build_tree root-gz .gz gzip -6 -n -f

echo "corpus: $DIR release=$release modules=$total"
