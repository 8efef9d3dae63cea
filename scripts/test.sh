#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests, and the differential tests
# against kmod on Debian's real module tree (prepared once by scripts/corpus.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== corpus: Debian 12's kernel modules, plain and compressed (first run downloads ~70 MB)" >&2
scripts/corpus.sh >&2
echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run (cargo prints one per test binary, the last often a doc-test run
# with nothing in it).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
