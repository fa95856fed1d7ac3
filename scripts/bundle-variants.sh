#!/usr/bin/env bash
# Adds variants of kernels to device-bundle/bench/ for side-by-side timings
# on the GPU machine: `lowbit-bench device-bundle/bench/*/manifest.json`
# times them in one process, beside the kernels as built. Each line of the
# file given names a variant, its source and how it differs:
#
#   NAME | SOURCE | CONFIG | PTX-EDIT
#
# - SOURCE: a benchmark case that scripts/device-bundle.sh wrote into the
#   build folder's device-bench-src/ (e.g. w4a16-m1-n8192-k8192), or a path
#   to a .mlir file.
# - CONFIG: a #lowbit_gpu.config that lowbit-compile takes with --config
#   for every matmul (empty: the default config).
# - PTX-EDIT: the rest of the line, a sed expression (extended regular
#   expressions) applied to the kernel's PTX (empty: none), for bounds
#   measured on hand-edited kernels; lowbit-bench refuses to time a kernel
#   whose output is then wrong unless given --time-wrong-results.
#
# Blank lines and lines starting with '#' are skipped. Every variant must
# compile, its edit must change the PTX, and where ptxas is installed
# (/usr/local/cuda or CUDA_HOME) ptxas must take it: otherwise the script
# stops with an error naming the line. LOWBIT_VARIANTS_OUT sets the folder
# (default device-bundle/bench), LOWBIT_COMPILE the compiler (default the
# build folder's), LOWBIT_DEVICE_ARCH the target (default sm_90a).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bundle-variants.sh VARIANTS-FILE" >&2; exit 1; }
list=$1
[ -f "$list" ] || { echo "bundle-variants.sh: no file '$list'" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LOWBIT_BUILD_DIR:-$root/build}
compile=${LOWBIT_COMPILE:-$build/bin/lowbit-compile}
out=${LOWBIT_VARIANTS_OUT:-$root/device-bundle/bench}
arch=${LOWBIT_DEVICE_ARCH:-sm_90a}
ptxas=${CUDA_HOME:-/usr/local/cuda}/bin/ptxas
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<< "$1"; }
fail() { echo "bundle-variants.sh: $list:$number: $*" >&2; exit 1; }
number=0
while IFS= read -r line || [ -n "$line" ]; do
  number=$((number + 1))
  [[ -z $(trim "$line") || $(trim "$line") == \#* ]] && continue
  IFS='|' read -r name source config edit <<< "$line"
  name=$(trim "$name")
  source=$(trim "${source:-}")
  config=$(trim "${config:-}")
  edit=$(trim "${edit:-}")
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || fail "'$name' is not a folder name"
  [ -n "$source" ] || fail "no source"
  file=$source
  [ -f "$file" ] || file=$build/device-bench-src/$source.mlir
  [ -f "$file" ] || fail "no source '$source' (a .mlir path, or a case in $build/device-bench-src)"
  dir=$out/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  args=("$file" --arch="$arch" -o "$dir/kernel.ptx" --manifest="$dir/manifest.json")
  [ -n "$config" ] && args+=(--config="$config")
  "$compile" "${args[@]}" > /dev/null || fail "lowbit-compile failed"
  sed -i "s|\"image\": \".*\"|\"image\": \"kernel.ptx\"|" "$dir/manifest.json"
  if [ -n "$edit" ]; then
    cp "$dir/kernel.ptx" "$dir/kernel.ptx.orig"
    sed -i -E -e "$edit" "$dir/kernel.ptx" || fail "the edit is not a sed expression"
    cmp -s "$dir/kernel.ptx" "$dir/kernel.ptx.orig" && fail "the edit changes nothing"
    rm "$dir/kernel.ptx.orig"
  fi
  if [ -x "$ptxas" ]; then
    "$ptxas" -arch="$arch" "$dir/kernel.ptx" -o /dev/null || fail "ptxas refuses the variant"
  fi
  echo "$name"
done < "$list"
