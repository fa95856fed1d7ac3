#!/usr/bin/env bash
# Writes the W4A8 decode benchmark cases (s4 codes with f16 scales per
# channel, 8-bit activations with f32 scales per token, f32 results) as
# .mlir into folder $1: the LLM shapes of ../shared/reference/h100-measured.md
# at M = 1, 4, 16 and 32. lowbit-bench times the s4 cases against W8A8 of
# the same shape (cuBLAS int8, cuBLASLt FP8) and the -g128 ones (zero
# points, groups) against cuBLAS bf16 on the dequantized weights.
#   mM             int8 activations, the default config (sm_90: tma_gemv on
#                  s8 tensor cores, mma = [16, 8, 32]; on sm_90a at M = 16
#                  where its grid fills the SMs, and at M = 32, the wgmma
#                  kernel with a 16- or 32-token tile)
#   mM-fp8         e4m3 activations, the default config (tma_gemv on tensor
#                  cores, the activations widened to f16; wgmma as above)
#   mM-fp8-g128    e4m3 activations, u4 codes with zero points and f16
#                  scales per group of 128 (a format wgmma does not take)
#   mM[-fp8]-wgmma the wgmma kernel at 64 tokens (128 weight rows per tile,
#                  4 stages), the sm_90a default before
#   mM[-fp8]-short-rR the wgmma kernel with an M-token tile of R weight
#                  rows: R / 64 consumer warpgroups, 6 stages, stream-K;
#                  -claimC: ranges of C K tiles claimed at run time
#                  (claim_k = C) instead of stream-K's fixed shares
#   mM-f16         int8 activations widened to f16 on tma_gemv's tensor
#                  cores (mma = [16, 8, 16]; the default's tiles: 32 rows per
#                  block and warp, 3 slots from M = 2 to 8, 2 otherwise).
#                  Results named -s8 in bench/results are the s8 default
#                  written out, before it was the default.
#   mM-fp8[-short-rR]-sm the weights in the sign_magnitude layout (codes
#                  -7..7 as e4m3 bytes; the default: tma_gemv's tensor cores
#                  up to 8 tokens, as packed weights)
#   mM-fp8-t8-sm   the same weights on wgmma's 8-token tile (128 rows, 6
#                  stages, stream-K), their default before tma_gemv read them
#   mM[-fp8]-t8    packed weights on that tile (2 to 8 tokens: against
#                  tma_gemv, the default there)
#   mM-fp8-prog[-sm] the module marked lowbit_gpu.programmatic_launch (the
#                  JIT's `launch=programmatic`): the config chosen for
#                  kernels launched behind the one before (one e4m3 token:
#                  4 slots)
#   mM[-fp8]-r32-kK on the narrow layers (4096 x 4096, 1024 x 4096,
#                  4096 x 14336, 4096 x 11008; defaults and these only): 32-row blocks
#                  with K splits K (1: none); with the split that tma_gemv's
#                  rule gave them, the default before 2026-12-03
set -euo pipefail
source "$(dirname "$0")/narrow-layers.sh"
out=$1
mkdir -p "$out"
for shape in 8192x8192 28672x8192 8192x28672 4096x4096 1024x4096 4096x14336 4096x11008; do
  n=${shape%x*}; k=${shape#*x}
  variants="m1 m4 m16 m32 m1-fp8 m4-fp8 m16-fp8 m32-fp8 m1-fp8-g128 m16-fp8-g128 m1-wgmma
            m16-wgmma m1-fp8-wgmma m16-fp8-wgmma m1-f16 m4-f16 m16-f16 m16-short-r128
            m16-short-r192 m16-short-r256 m16-fp8-short-r128 m16-fp8-short-r192
            m16-fp8-short-r256 m16-short-r128-claim4 m16-short-r128-claim8
            m16-fp8-short-r128-claim4 m16-fp8-short-r128-claim8
            m16-short-r128-claim16 m16-fp8-short-r128-claim16 m1-fp8-sm m4-fp8-sm m16-fp8-sm
            m16-fp8-short-r192-sm m1-fp8-t8-sm m4-fp8-t8-sm
            m2 m8 m2-fp8 m8-fp8 m2-fp8-sm m8-fp8-sm m2-t8 m4-t8 m8-t8 m2-fp8-t8 m4-fp8-t8
            m8-fp8-t8 m2-fp8-t8-sm m8-fp8-t8-sm m1-fp8-prog m1-fp8-prog-sm"
  if narrow_layer "$n"; then
    old=$(old_narrow_split "$n")
    variants="m1 m16 m1-fp8 m16-fp8 m1-r32-k$old m16-r32-k$old m1-fp8-r32-k$old m16-fp8-r32-k$old
              m16-r32-k1 m16-fp8-r32-k1"
  fi
  for variant in $variants; do
    m=${variant%%-*}; m=${m#m}
    act=i8 wscheme="granularity = per_channel, axis = 0" g=1
    [[ $variant == *-fp8* ]] && act=f8E4M3FN
    zp_arg="" zp_type="" zp_use=""
    if [[ $variant == *-g128 ]]; then
      g=$((k / 128))
      wscheme="signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128"
      zp_arg=", %z: tensor<${n}x${g}xi4>"; zp_type=", tensor<${n}x${g}xi4>"
      zp_use="weight_zero_points(%z)"
    fi
    layout=packed
    [[ $variant == *-sm ]] && layout=sign_magnitude
    config=""
    slots=$([ "$m" -ge 2 ] && [ "$m" -le 8 ] && echo 3 || echo 2)
    [[ $variant == *-f16 ]] && config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = $slots>}"
    if [[ $variant == *-r32-k* ]]; then
      mma="[16, 8, 32], mma_type = i8"
      [ "$act" = i8 ] || mma="[16, 8, 16], mma_type = f16"
      config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = $mma, stages = $slots, split_k = ${variant##*-k}>}"
    fi
    if [[ $variant == *-short-r* ]]; then
      r=${variant##*-r}; r=${r%%-*}
      claim=""; [[ $variant == *-claim* ]] && claim=", claim_k = ${variant##*-claim}"
      config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [$m, $r, 256], warp = [$m, 64], mma = [$m, 64, 32], mma_type = $act, stages = 6, persistent = true, stream_k = true$claim>}"
    fi
    [[ $variant == *-t8 || $variant == *-t8-sm ]] && config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 128, 256], warp = [8, 64], mma = [8, 64, 32], mma_type = $act, stages = 6, persistent = true, stream_k = true>}"
    [[ $variant == *-wgmma ]] && config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 32], mma_type = $act, stages = 4, persistent = true>}"
    open="" close=""
    [[ $variant == *-prog* ]] && open="module attributes {lowbit_gpu.programmatic_launch} {" close="}"
    cat > "$out/w4a8-$variant-n$n-k$k.mlir" <<MLIR
$open
func.func @decode(%x: tensor<${m}x${k}x${act}>, %xs: tensor<${m}x1xf32>,
                  %w: tensor<${n}x${k}xi4, #lowbit.layout<$layout>>,
                  %s: tensor<${n}x${g}xf16>${zp_arg}) -> tensor<${m}x${n}xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, ${wscheme}>
      input_scheme #lowbit.quant<storage = ${act}, granularity = per_channel, axis = 0,
                                 scale_type = f32>
      weight_scales(%s) ${zp_use} input_scales(%xs) $config
      : (tensor<${m}x${k}x${act}>, tensor<${n}x${k}xi4, #lowbit.layout<$layout>>,
         tensor<${n}x${g}xf16>${zp_type}, tensor<${m}x1xf32>) -> tensor<${m}x${n}xf32>
  return %y : tensor<${m}x${n}xf32>
}
$close
MLIR
  done
done
