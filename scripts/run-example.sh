#!/usr/bin/env bash
# Takes docs/examples/w4a16-matmul.mlir through the passes that exist and says
# what each did.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
opt=${1:-$root/build/bin/lowbit-opt}
example=$root/docs/examples/w4a16-matmul.mlir

echo
echo "== example: $example"
echo "   W4A16 (4-bit weights, bf16 scales and 4-bit zero points per group of 128), 4096 -> 11008"
"$opt" "$example" -o /dev/null
echo "-- parsed and verified: $(grep -oE '= lowbit\.[a-z_]+' "$example" | wc -l) lowbit ops"
for chip in sm_80 sm_89 sm_90a; do
  echo "-- lowbit-select-kernel-config target=$chip:"
  "$opt" "$example" --lowbit-select-kernel-config=target=$chip |
    awk '/func.func @/ { name = $2; sub(/\(.*/, "", name) } /lowbit_gpu.config/ {
           match($0, /#lowbit_gpu.config<[^>]*>/); print "   " name " " substr($0, RSTART, RLENGTH) }'
done
echo "-- canonicalize: the offline prepack (unpack + pack) becomes"
"$opt" "$example" --canonicalize | grep -o 'lowbit.relayout.*' | sed 's/^/   /'
