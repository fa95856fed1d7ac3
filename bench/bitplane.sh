#!/usr/bin/env bash
# Writes the bit-plane benchmark cases as .mlir into folder $1: bipolar
# W1A1, W2A2 and W4A4 (planes on both sides) at M = 4096 and W2A2 at M =
# 8192 on 8192 x 8192, default configs (the bitplane strategy). lowbit-bench
# times them against cuBLAS int8 on the same bipolar values.
set -euo pipefail
out=$1
mkdir -p "$out"
bitplane() {
  local planes=$1 m=$2 n=$3 k=$4
  cat > "$out/bitplane-w${planes}a${planes}-m$m-n$n-k$k.mlir" <<MLIR
func.func @w${planes}a${planes}(%a: tensor<${planes}x${m}x${k}xi1>, %w: tensor<${planes}x${n}x${k}xi1>)
    -> tensor<${m}x${n}xi32> {
  %c = lowbit.bitplane_matmul %a, %w
      : tensor<${planes}x${m}x${k}xi1>, tensor<${planes}x${n}x${k}xi1> -> tensor<${m}x${n}xi32>
  return %c : tensor<${m}x${n}xi32>
}
MLIR
}
for planes in 1 2 4; do
  bitplane $planes 4096 8192 8192
done
bitplane 2 8192 8192 8192
