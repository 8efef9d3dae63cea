#!/bin/sh
# Seeds the `index` fuzz target with the real index files of this machine.
# Usage: fuzz/seed.sh   (from anywhere; the corpus directory is git-ignored)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/corpus/index"
mkdir -p "$corpus"
n=0
for dir in /lib/modules/*/; do
    ver=$(basename "$dir")
    for name in dep alias symbols builtin builtin.alias; do
        f="$dir/modules.$name.bin"
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$ver-modules.$name.bin"
        n=$((n + 1))
    done
done
echo "copied $n index files into $corpus"
