#!/usr/bin/env bash
# Compiles every GPU case (test/Integration/GPU/*.mlir, each for its
# GPU-ARCH or sm_90a) and every benchmark case that scripts/device-bundle.sh
# wrote into the build folder's device-bench-src/ to PTX in folder $1, with
# the build folder's lowbit-compile. Run it before and after a change that
# should not alter the generated code (a refactor of a kernel generator),
# then `diff -r BEFORE AFTER`: identical PTX needs no GPU run. Cases that
# fail to compile (the `unsupported` case must) are listed in
# $1/failures.txt, which should match too. LOWBIT_SNAPSHOT_FILTER=REGEX keeps
# the files whose names match.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: ptx-snapshot.sh OUT-DIR" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LOWBIT_BUILD_DIR:-$root/build}
out=$1
mkdir -p "$out"
: > "$out/failures.txt"
shopt -s nullglob
for file in "$root"/test/Integration/GPU/*.mlir "$build"/device-bench-src/*.mlir; do
  name=$(basename "$file" .mlir)
  [[ $name =~ ${LOWBIT_SNAPSHOT_FILTER:-.} ]] || continue
  arch=$(sed -n 's|^// GPU-ARCH: *||p' "$file")
  "$build/bin/lowbit-compile" "$file" --arch="${arch:-sm_90a}" -o "$out/$name.ptx" \
    > /dev/null 2>&1 || echo "$name" >> "$out/failures.txt"
done
echo "$(ls "$out" | grep -c '\.ptx$') kernels in $out ($(wc -l < "$out/failures.txt") failed)"
