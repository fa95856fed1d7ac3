#!/usr/bin/env bash
# Writes the prefill benchmark cases as .mlir into folder $1, on the LLM
# shapes of ../shared/reference/h100-measured.md: W8A8 int8 (per-token x
# per-channel scales) and FP8 e4m3 x e4m3 (per-tensor) at M = 4096 and 8192
# on all three shapes (the wgmma strategy on sm_90a); W4A16 (u4, zero points,
# group 128, bf16; wgmma with 4-bit weights as its register A on sm_90a) at
# M = 256, 1024, 4096 and 8192 on 8192x8192 and at M = 1024 and 4096 on
# 28672x8192 and 8192x28672; W4A8 (s4 weights, int8 activations, wgmma) at
# M = 4096 on 8192x8192; W4A4 (packed s4 both sides, widened to s8,
# mma_sync) at M = 4096 on 8192x8192; W4A8 with e4m3 activations (wgmma;
# 192 tokens per tile from M = 4096, else 128) at M = 1024, 4096 and 8192 on
# the three shapes (timed against cuBLASLt FP8 W8A8 of the same shape), also
# with the weights in the sign_magnitude layout (w4a8fp8-wgmma-sign-magnitude-*:
# codes -7..7 as e4m3 bytes, widened by masks and a rotate; -t128 at M = 4096
# and 8192: 128-token tiles, 4 stages, instead of the default 192 and 3;
# -c12 / -c21: the default's tiles in clusters of two along N / M instead of
# stream-K), and
# W4A16 with the weights interleaved in the half-fragment order
# (w4a16-fragment-*: two K steps' codes per 32-bit load, widened by masks);
# at M = 1024 on 8192 x 8192 also with scales per group of 64 and 32.
# All with the default config.
set -euo pipefail
out=$1
mkdir -p "$out"
w8a8() {
  local m=$1 n=$2 k=$3
  cat > "$out/w8a8-m$m-n$n-k$k.mlir" <<MLIR
func.func @w8a8(%x: tensor<${m}x${k}xi8>, %w: tensor<${n}x${k}xi8>, %s: tensor<${n}x1xf32>,
                %xs: tensor<${m}x1xf32>) -> tensor<${m}x${n}xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<${m}x${k}xi8>, tensor<${n}x${k}xi8>, tensor<${n}x1xf32>, tensor<${m}x1xf32>)
        -> tensor<${m}x${n}xbf16>
  return %y : tensor<${m}x${n}xbf16>
}
MLIR
}
fp8() {
  local m=$1 n=$2 k=$3
  cat > "$out/fp8-m$m-n$n-k$k.mlir" <<MLIR
func.func @fp8(%x: tensor<${m}x${k}xf8E4M3FN>, %w: tensor<${n}x${k}xf8E4M3FN>,
               %s: tensor<1x1xf32>, %xs: tensor<1x1xf32>) -> tensor<${m}x${n}xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<${m}x${k}xf8E4M3FN>, tensor<${n}x${k}xf8E4M3FN>, tensor<1x1xf32>, tensor<1x1xf32>)
        -> tensor<${m}x${n}xbf16>
  return %y : tensor<${m}x${n}xbf16>
}
MLIR
}
for m in 4096 8192; do
  for shape in 8192x8192 28672x8192 8192x28672; do
    w8a8 $m "${shape%x*}" "${shape#*x}"
    fp8 $m "${shape%x*}" "${shape#*x}"
  done
done
# quant::kHalfFragmentOrder as an interleave layout.
half_fragment="#lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>"
# W4A16 u4 + zero points, g128, bf16: $1 = M, $2 = N, $3 = K, $4 = a name
# suffix and $5 the weights' layout (default packed).
w4a16() {
  local m=$1 n=$2 k=$3 name=${4:-} layout=${5:-#lowbit.layout<packed>} group=${6:-128}
  local groups=$((k / group))
  cat > "$out/w4a16$name-m$m-n$n-k$k.mlir" <<MLIR
func.func @w4a16(%x: tensor<${m}x${k}xbf16>, %w: tensor<${n}x${k}xi4, $layout>,
                 %s: tensor<${n}x${groups}xbf16>, %z: tensor<${n}x${groups}xi4>) -> tensor<${m}x${n}xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = $group, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<${m}x${k}xbf16>, tensor<${n}x${k}xi4, $layout>,
         tensor<${n}x${groups}xbf16>, tensor<${n}x${groups}xi4>) -> tensor<${m}x${n}xbf16>
  return %y : tensor<${m}x${n}xbf16>
}
MLIR
}
for m in 256 1024 4096 8192; do
  w4a16 $m 8192 8192
  w4a16 $m 8192 8192 -fragment "$half_fragment"
done
# Scales per group of 64 and 32, packed and in the half-fragment order
# (w4a16[-fragment]-gG-*), at M = 1024 on 8192 x 8192.
for group in 64 32; do
  w4a16 1024 8192 8192 "-g$group" "#lowbit.layout<packed>" "$group"
  w4a16 1024 8192 8192 "-fragment-g$group" "$half_fragment" "$group"
done
for m in 1024 4096; do
  for shape in 28672x8192 8192x28672; do
    w4a16 $m "${shape%x*}" "${shape#*x}"
    w4a16 $m "${shape%x*}" "${shape#*x}" -fragment "$half_fragment"
  done
done
cat > "$out/w4a8-m4096-n8192-k8192.mlir" <<MLIR
func.func @w4a8(%x: tensor<4096x8192xi8>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>,
                %s: tensor<8192x1xf32>, %xs: tensor<4096x1xf32>) -> tensor<4096x8192xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<4096x8192xi8>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>,
         tensor<4096x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}
MLIR
cat > "$out/w4a4-m4096-n8192-k8192.mlir" <<MLIR
func.func @w4a4(%x: tensor<4096x8192xi4, #lowbit.layout<packed>>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>,
                %s: tensor<8192x1xf32>, %xs: tensor<4096x1xf32>) -> tensor<4096x8192xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<4096x8192xi4, #lowbit.layout<packed>>, tensor<8192x8192xi4, #lowbit.layout<packed>>,
         tensor<8192x1xf32>, tensor<4096x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}
MLIR
w4a8fp8_wgmma() {
  local m=$1 n=$2 k=$3 layout=${4:-packed} variant=${5:-} name=w4a8fp8-wgmma config=""
  [ "$layout" = packed ] || name=$name-${layout//_/-}
  # The default's token tile and stages (SelectKernelConfig), then the
  # variant's change: t128 (128-token tiles, 4 stages) or c12 / c21
  # (clusters of two along N / M instead of stream-K).
  local tokens=$([ "$m" -ge 4096 ] && echo 192 || echo 128) schedule="stream_k = true"
  case $variant in
    t128) tokens=128 ;;
    c12) schedule="cluster = [1, 2]" ;;
    c21) schedule="cluster = [2, 1]" ;;
  esac
  local stages=$([ "$tokens" = 192 ] && echo 3 || echo 4)
  if [ -n "$variant" ]; then
    name=$name-$variant
    config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [$tokens, 128, 256], warp = [$tokens, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = $stages, persistent = true, $schedule>}"
  fi
  cat > "$out/$name-m$m-n$n-k$k.mlir" <<MLIR
func.func @w4a8(%x: tensor<${m}x${k}xf8E4M3FN>, %w: tensor<${n}x${k}xi4, #lowbit.layout<$layout>>,
                %s: tensor<${n}x1xf32>, %xs: tensor<1x1xf32>) -> tensor<${m}x${n}xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs) $config
      : (tensor<${m}x${k}xf8E4M3FN>, tensor<${n}x${k}xi4, #lowbit.layout<$layout>>, tensor<${n}x1xf32>,
         tensor<1x1xf32>) -> tensor<${m}x${n}xbf16>
  return %y : tensor<${m}x${n}xbf16>
}
MLIR
}
for m in 1024 4096 8192; do
  for shape in 8192x8192 28672x8192 8192x28672; do
    w4a8fp8_wgmma $m "${shape%x*}" "${shape#*x}"
    w4a8fp8_wgmma $m "${shape%x*}" "${shape#*x}" sign_magnitude
    [ "$m" = 1024 ] || w4a8fp8_wgmma $m "${shape%x*}" "${shape#*x}" sign_magnitude t128
    w4a8fp8_wgmma $m "${shape%x*}" "${shape#*x}" sign_magnitude c12
    w4a8fp8_wgmma $m "${shape%x*}" "${shape#*x}" sign_magnitude c21
  done
done
