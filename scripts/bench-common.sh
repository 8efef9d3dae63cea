# scripts/bench-common.sh — sourced by the scripts/bench-*.sh scripts (from the repository's root):
# their messages, the lkm binary they time, and the module corpus.

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# Prints the calling script's header comment (its --help).
bench_usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# Sets target_dir (cargo's) and lkm: $LKM_BIN if set, else a fresh release build.
bench_lkm() {
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
        die "cargo metadata failed: is the workspace in a buildable state?"
    if [[ -n ${LKM_BIN:-} ]]; then
        lkm=$LKM_BIN
        log "timing LKM_BIN=$lkm (no build)"
    else
        log "cargo build --release -p lkm"
        cargo build --release -p lkm || die "cargo build --release -p lkm failed (see above)"
        lkm=$target_dir/release/lkm
    fi
    [[ -x $lkm ]] || die "$lkm does not exist: is the lkm binary target in place yet?"
}

# Sets corpus (its directory), rel (its kernel release) and corpus_line (scripts/corpus.sh's
# output), making the corpus first if needed.
bench_corpus() {
    corpus_line=$(scripts/corpus.sh) || die "scripts/corpus.sh failed"
    corpus=${corpus_line#corpus: }
    corpus=${corpus% release=*}
    rel=${corpus_line##* release=}
    rel=${rel%% *}
    [[ -d $corpus/root && -n $rel ]] || die "cannot parse scripts/corpus.sh's output: $corpus_line"
}
