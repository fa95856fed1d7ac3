#!/usr/bin/env bash
# Writes the W4A16 decode benchmark cases (u4 codes with zero points, f16
# group-128 scales, f16 activations, f32 results) as .mlir into folder $1:
# the LLM shapes of ../shared/reference/h100-measured.md, M = 1 and 16 with
# the default config, M = 1 with four rows per warp (warp = [16, 32], two
# chunks in flight per row; the default's K splits: 2 for 8192 rows, none
# for 28672), M = 4 and 8 with the default config, and M = 4, 8 and 16 on
# the tensor cores: the wgmma kernel at 64 tokens (64 weight rows per tile on
# 8192 rows, 128 on 28672; 2 stages), which the autotuner also tries on
# sm_90a.
set -euo pipefail
out=$1
mkdir -p "$out"
for shape in 8192x8192 28672x8192 8192x28672; do
  n=${shape%x*}; k=${shape#*x}; g=$((k / 128))
  split=$([ "$n" = 8192 ] && echo ", split_k = 2" || echo "")
  rows=$([ "$n" = 8192 ] && echo 64 || echo 128)
  for variant in m1 m16 m1-rows4 m4 m8 m4-wgmma m8-wgmma m16-wgmma; do
    m=${variant%%-*}; m=${m#m}
    config=""
    [ "$variant" = m1-rows4 ] && config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2$split>}"
    [[ "$variant" = *-wgmma ]] && config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, $rows, 256], warp = [64, 64], mma = [64, 64, 16], mma_type = f16, stages = 2, persistent = true>}"
    cat > "$out/w4a16-$variant-n$n-k$k.mlir" <<MLIR
func.func @decode(%x: tensor<${m}x${k}xf16>, %w: tensor<${n}x${k}xi4, #lowbit.layout<packed>>,
                  %s: tensor<${n}x${g}xf16>, %z: tensor<${n}x${g}xi4>) -> tensor<${m}x${n}xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z) $config
      : (tensor<${m}x${k}xf16>, tensor<${n}x${k}xi4, #lowbit.layout<packed>>,
         tensor<${n}x${g}xf16>, tensor<${n}x${g}xi4>) -> tensor<${m}x${n}xf32>
  return %y : tensor<${m}x${n}xf32>
}
MLIR
  done
done
