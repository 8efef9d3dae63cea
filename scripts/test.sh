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
cargo test --workspace
