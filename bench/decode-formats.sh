#!/usr/bin/env bash
# Writes decode benchmark cases of the weight formats beyond integers as .mlir
# into folder $1: one bf16 token (f32 result) on 8192 x 8192 and 28672 x 8192
# with NF4 (QLoRA's codebook, bf16 scales per 64), MXFP4 (e2m1 codes, e8m0
# scales per 32), FP8 e4m3 weight-only (f32 per-channel scales), W2A16
# (u2 codes with zero points, bf16 scales per 64), W3A16 (GPTQ's 3-bit: u3
# codes with zero points, bf16 scales per 128), W5A16 and W6A16 (the same
# with 5- and 6-bit codes) and FP6 e3m2 (bf16 per-channel scales).
# lowbit-bench times them against cuBLAS bf16 on the dequantized weights.
set -euo pipefail
out=$1
mkdir -p "$out"
nf4="-1.0, -0.6961928, -0.52507305, -0.39491749, -0.28444138, -0.18477343, -0.091050036, 0.0, 0.07958030, 0.16093020, 0.24611230, 0.33791524, 0.44070983, 0.56261700, 0.72295684, 1.0"
for shape in 8192x8192 28672x8192; do
  n=${shape%x*}; k=${shape#*x}
  write() { # name, weight element, weight layout, scale shape cols, scale type, scheme, zero points?
    local name=$1 elem=$2 layout=$3 cols=$4 stype=$5 scheme=$6 zp=$7
    local w="tensor<${n}x${k}x${elem}${layout}>" s="tensor<${n}x${cols}x${stype}>"
    local args="%x: tensor<1x${k}xbf16>, %w: $w, %s: $s" types="tensor<1x${k}xbf16>, $w, $s"
    local tail="weight_scales(%s)"
    if [ -n "$zp" ]; then
      args="$args, %z: tensor<${n}x${cols}x${elem}>"; types="$types, tensor<${n}x${cols}x${elem}>"
      tail="$tail weight_zero_points(%z)"
    fi
    cat > "$out/$name-m1-n$n-k$k.mlir" <<MLIR
func.func @decode($args) -> tensor<1x${n}xf32> {
  %y = lowbit.matmul %x, %w weight_scheme $scheme $tail
      : ($types) -> tensor<1x${n}xf32>
  return %y : tensor<1x${n}xf32>
}
MLIR
  }
  write nf4 i4 ", #lowbit.layout<packed>" $((k / 64)) bf16 \
    "#lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 64, scale_type = bf16, codebook = [$nf4]>" ""
  write mxfp4 f4E2M1FN ", #lowbit.layout<packed>" $((k / 32)) f8E8M0FNU \
    "#lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>" ""
  write fp8w f8E4M3FN "" 1 f32 \
    "#lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>" ""
  write w2a16 i2 ", #lowbit.layout<packed>" $((k / 64)) bf16 \
    "#lowbit.quant<storage = i2, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 64, scale_type = bf16>" zp
  for bits in 3 5 6; do
    write w${bits}a16 i$bits ", #lowbit.layout<packed>" $((k / 128)) bf16 \
      "#lowbit.quant<storage = i$bits, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>" zp
  done
  write fp6 f6E3M2FN ", #lowbit.layout<packed>" 1 bf16 \
    "#lowbit.quant<storage = f6E3M2FN, granularity = per_channel, axis = 0, scale_type = bf16>" ""
done
