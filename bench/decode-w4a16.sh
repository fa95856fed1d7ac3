#!/usr/bin/env bash
# Writes the W4A16 decode benchmark cases (u4 codes with zero points, f16
# group-128 scales, f16 activations, f32 results) as .mlir into folder $1:
# the LLM shapes of ../shared/reference/h100-measured.md at M = 1, 2, 4, 8, 16
# and 32, and a few variants on narrow layers (4096 x 4096, 1024 x 4096,
# 4096 x 14336, 4096 x 11008).
#   m1, m2, m4, m8, m16 the default config (sm_90a: tma_gemv on tensor
#                       cores, 32 rows per block and per warp, 16 on the
#                       narrow layers but at 16 tokens on 4096 rows, 3 slots
#                       from M = 2 to 8, 2 otherwise; m16 on 28672 x 8192:
#                       the wgmma kernel with a 16-token tile, stream-K)
#   m32                 the default config (sm_90a: the wgmma kernel with a
#                       32-token tile, stream-K)
#   mM-bf16             the default config with bf16 activations and scales
#   mM[-bf16]-g64, -g32 the default config with scales per group of 64 or
#                       32 (on tensor cores: applied to the decoded weights);
#                       m16-wgmma-g64 the wgmma kernel below on them
#   m1-f32              one row per warp, four chunks, products in f32
#                       (mma_type = f32; the default before f16x2 products)
#   m1-awq              the default with the codes of each word interleaved in
#                       AWQ's order (no activation permutation)
#   m1-rR-sS[-kK]       the GEMV with R rows per warp (warp tile N = 8R), S
#                       16-byte chunks per row in flight, K splits K (else
#                       the default's: 2 on 8192 rows, none on 28672)
#   m1-tma-rR-sS[-kK]   the tma_gemv kernel: R rows per block (R / 4 per
#                       warp) streamed by TMA through an S-slot ring, K
#                       splits K (default none)
#   mM-tmamma-sS        tma_gemv on tensor cores: 16 rows per block, the
#                       four warps on quarters of each K tile, mma.sync
#                       m16n8k16 with the M tokens as N (8 per mma), an
#                       S-slot ring
#   mM-tmamma-rR[-wW]-sS[-kK] the same with R rows per block and W per warp
#                       (default 16): R / W groups of W rows, each on 4 W / R
#                       warps that split a K tile between them; K splits K
#   mM-short-rR         the wgmma kernel with an M-token tile (8, 16, 32) of
#                       R weight rows: R / 64 consumer warpgroups (3 or 4
#                       past 128 rows: more warps to hide the dequantization's
#                       latency), 4 stages, stream-K
#   mM-short-rR-claimC[-fragment] the same with ranges of C K tiles claimed
#                       at run time (claim_k = C) instead of stream-K's
#                       fixed shares
#   mM[-bf16][-short-rR]-fragment the weights interleaved in the
#                       half-fragment order (the wgmma kernels read a
#                       thread's codes of two K steps as one word; the GEMVs
#                       read it as AWQ's order): the default config, or the
#                       mM-short-rR config; mM[-bf16]-fragment-g64, -g32 the
#                       default config on those scales
#   mM-wgmma            the wgmma kernel at 64 tokens (64 weight rows per tile
#                       on 8192 rows, 128 on 28672; 2 stages), which the
#                       sm_90a default takes from M = 4 for formats tma_gemv
#                       cannot run on tensor cores, and the tuner tries
set -euo pipefail
source "$(dirname "$0")/narrow-layers.sh"
out=$1
mkdir -p "$out"
gemv() { # rows-per-warp chunks-in-flight splits mma-type
  local rows=$1 stages=$2 splits=$3 type=$4 block=$((32 > 8 * $1 ? 32 : 8 * $1))
  local split=""; [ "$splits" -gt 1 ] && split=", split_k = $splits"
  echo "{lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, $block, 128], warp = [16, $((8 * rows))], mma = [16, 8, 16], mma_type = $type, stages = $stages$split>}"
}
# Narrow layers (Llama-3 8B's attention and down projections, Llama-2 7B's
# down projection): fewer than 132 x 32 rows, where the default takes
# 16-row blocks (at 16 tokens only on 1024 rows). Their variants: 32-row
# blocks with the K split the default took before (kK) or none, 16-row
# blocks with other rings or a K split; -o16: an f16 result (no K split).
narrow="m1 m4 m16 m1-bf16 m1-tmamma-s3 m1-tmamma-s4 m1-tmamma-s2-k2 m16-tmamma-s3 m4-tmamma-s2
        m1-o16 m16-o16 m1-tmamma-r32-w32-s2-o16 m16-tmamma-r32-w32-s2-o16 m16-tmamma-r32-w32-s2"
for shape in 8192x8192 28672x8192 8192x28672 4096x4096 1024x4096 4096x14336 4096x11008; do
  n=${shape%x*}; k=${shape#*x}; g=$((k / 128))
  splits=$([ "$n" = 8192 ] && echo 2 || echo 1)
  rows=$([ "$n" = 8192 ] && echo 64 || echo 128)
  variants="m1 m2 m4 m8 m16 m32 m1-bf16 m4-bf16 m16-bf16 m1-g64 m4-g64 m16-g64 m1-bf16-g64 \
                 m16-wgmma-g64 m1-awq m1-f32 m1-r1-s4 m1-r2-s2-k1 m1-r2-s4-k1 m1-r4-s1-k1 \
                 m1-r4-s2-k1 m1-r4-s4 m1-r8-s1 m1-r8-s1-k1 m4-wgmma m8-wgmma m16-wgmma \
                 m1-tma-r32-s4 m1-tma-r32-s6 m1-tma-r16-s4 m1-tma-r16-s8 m1-tma-r64-s3 \
                 m1-tma-r32-s4-k2 m1-tmamma-s3 m1-tmamma-s4 m1-tmamma-s6 m4-tmamma-s3 \
                 m4-tmamma-s4 m8-tmamma-s2 m8-tmamma-s3 m16-tmamma-s3 m16-tmamma-r32-s3 \
                 m16-tmamma-r64-s2 m16-tmamma-r64-s3 m8-tmamma-r32-s3 m8-tmamma-r64-s3 \
                 m8-tmamma-r64-s4 m4-tmamma-r32-s4 m4-tmamma-r64-s4 m1-tmamma-r64-s4 \
                 m16-tmamma-s2 m16-tmamma-r32-s2 m8-tmamma-r32-s2 m4-tmamma-s2 \
                 m16-tmamma-r64-w64-s3 m16-tmamma-r64-w32-s3 m16-tmamma-r32-w32-s3 \
                 m16-tmamma-r32-w32-s2 m8-tmamma-r64-w64-s3 m8-tmamma-r32-w32-s3 \
                 m8-tmamma-r64-w32-s3 m4-tmamma-r64-w64-s4 m4-tmamma-r32-w32-s4 \
                 m1-tmamma-r32-w32-s4 m1-tmamma-r32-w32-s6 m1-tmamma-r64-w64-s4 \
                 m8-tmamma-r32-w32-s2 m8-tmamma-r32-w32-s4 m4-tmamma-r32-w32-s3 \
                 m4-tmamma-r32-w32-s6 m1-tmamma-r32-w32-s3 m1-tmamma-r32-w32-s2 \
                 m8-short-r128 m8-short-r192 m8-short-r256 m16-short-r128 m16-short-r192 \
                 m16-short-r256 m32-short-r128 m32-short-r192 m1-fragment m4-fragment \
                 m8-fragment m16-fragment m32-fragment m1-bf16-fragment m16-bf16-fragment \
                 m16-short-r128-fragment m16-short-r192-fragment m16-short-r256-fragment \
                 m16-short-r128-claim2-fragment m16-short-r128-claim4-fragment \
                 m16-short-r192-claim4-fragment m16-short-r192-claim8-fragment \
                 m16-short-r192-claim16-fragment \
                 m16-short-r128-claim4 m16-short-r192-claim4 \
                 m1-fragment-g64 m16-fragment-g64 m1-bf16-fragment-g64 m16-bf16-g64 \
                 m16-bf16-fragment-g64 m1-g32 m16-g32 m1-fragment-g32 m16-fragment-g32 \
                 m1-bf16-g32 m1-bf16-fragment-g32 m16-bf16-g32 m16-bf16-fragment-g32 \
                 m16-short-r128-g64 m16-short-r128-fragment-g64 m16-short-r128-g32 \
                 m16-short-r128-fragment-g32 m16-bf16-short-r192-fragment"
  if narrow_layer "$n"; then
    old=$(old_narrow_split "$n")
    variants="$narrow m1-tmamma-r32-w32-s2-k$old m4-tmamma-r32-w32-s3-k$old m16-tmamma-r32-w32-s2-k$old"
  fi
  for variant in $variants; do
    m=${variant%%-*}; m=${m#m}
    config=""
    act=f16 group=128
    [[ $variant == *-bf16* ]] && act=bf16
    [[ $variant == *-g64 ]] && group=64
    [[ $variant == *-g32 ]] && group=32
    g=$((k / group))
    result=f32; [[ $variant == *-o16 ]] && result=f16
    layout="#lowbit.layout<packed>"
    [ "$variant" = m1-awq ] && layout="#lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>"
    # quant::kHalfFragmentOrder.
    [[ $variant == *-fragment || $variant == *-fragment-g* ]] && layout="#lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>"
    case ${variant%-o16} in
      m1-f32) config=$(gemv 1 4 "$splits" f32) ;;
      m*-tmamma-*) s=${variant#*-s}; s=${s%%-*}; r=16; w=16; split=""
                [[ $variant == *-r* ]] && { r=${variant#*-r}; r=${r%%-*}; }
                [[ $variant == *-w* ]] && { w=${variant#*-w}; w=${w%%-*}; }
                [[ $variant == *-k* ]] && { split=${variant##*-k}; split=", split_k = ${split%%-*}"; }
                config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, $r, 512], warp = [16, $w], mma = [16, 8, 16], mma_type = f16, stages = $s$split>}" ;;
      m1-tma-*) spec=${variant#m1-tma-r}; r=${spec%%-*}; s=${spec#*-s}; s=${s%%-*}
                kk=1; [[ $variant == *-k* ]] && kk=${variant##*-k}
                split=""; [ "$kk" -gt 1 ] && split=", split_k = $kk"
                config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, $r, 512], warp = [16, $((r / 4))], mma = [1, 1, 1], mma_type = f16, stages = $s$split>}" ;;
      m1-r*) spec=${variant#m1-r}; r=${spec%%-*}; s=${spec#*-s}; s=${s%%-*}
             kk=$splits; [[ $variant == *-k* ]] && kk=${variant##*-k}
             config=$(gemv "$r" "$s" "$kk" f16) ;;
      m*-short-r*) r=${variant##*-r}; r=${r%%-*}
                claim=""; [[ $variant == *-claim* ]] && { claim=${variant##*-claim}; claim=", claim_k = ${claim%%-*}"; }
                config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [$m, $r, 256], warp = [$m, 64], mma = [$m, 64, 16], mma_type = $act, stages = 4, persistent = true, stream_k = true$claim>}" ;;
      *-wgmma*) config="{lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, $rows, 256], warp = [64, 64], mma = [64, 64, 16], mma_type = f16, stages = 2, persistent = true>}" ;;
    esac
    cat > "$out/w4a16-$variant-n$n-k$k.mlir" <<MLIR
func.func @decode(%x: tensor<${m}x${k}x${act}>, %w: tensor<${n}x${k}xi4, $layout>,
                  %s: tensor<${n}x${g}x${act}>, %z: tensor<${n}x${g}xi4>) -> tensor<${m}x${n}x$result> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = ${group},
                                  scale_type = ${act}>
      weight_scales(%s) weight_zero_points(%z) $config
      : (tensor<${m}x${k}x${act}>, tensor<${n}x${k}xi4, $layout>,
         tensor<${n}x${g}x${act}>, tensor<${n}x${g}xi4>) -> tensor<${m}x${n}x$result>
  return %y : tensor<${m}x${n}x$result>
}
MLIR
  done
done
