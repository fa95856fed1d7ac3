// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_80 | FileCheck %s --check-prefix=SM80
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_89 | FileCheck %s --check-prefix=SM89
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a | FileCheck %s --check-prefix=SM90A

// The default kernel config per target, checked without a GPU.

// Prefill W4A16 (dynamic M): mma.sync pipelines on every target (sm_90a too:
// wgmma's tensor maps need M, and takes packed 4-bit weights; see
// @w4a16_packed). The 4-bit weight is widened to bf16.
// SM80-LABEL: func @w4a16_prefill
// SM80: lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM89-LABEL: func @w4a16_prefill
// SM89: lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM90A-LABEL: func @w4a16_prefill
// SM90A: lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = bf16, stages = 4>
func.func @w4a16_prefill(%x: tensor<?x4096xbf16>, %w: tensor<11008x4096xi4>, %s: tensor<11008x32xbf16>) -> tensor<?x11008xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<?x4096xbf16>, tensor<11008x4096xi4>, tensor<11008x32xbf16>) -> tensor<?x11008xbf16>
  return %y : tensor<?x11008xbf16>
}

// -----

// Decode (M = 1): split-K streaming with 32-row blocks. K splits meet through
// f32 atomics, so this f16 result gets one split (see @decode_f32_result).
// SM80-LABEL: func @w4a16_decode
// SM80: #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>
// SM89-LABEL: func @w4a16_decode
// SM89: #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>
// SM90A-LABEL: func @w4a16_decode
// SM90A: #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>
func.func @w4a16_decode(%x: tensor<1x8192xf16>, %w: tensor<8192x8192xi4>, %s: tensor<8192x64xf16>) -> tensor<1x8192xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x8192xf16>, tensor<8192x8192xi4>, tensor<8192x64xf16>) -> tensor<1x8192xf16>
  return %y : tensor<1x8192xf16>
}

// -----

// An f32 result: splits until about two blocks per SM (8192 / 32 = 256 row
// tiles; 108 SMs on sm_80 -> no split, 132 on sm_90a -> 2).
// SM80-LABEL: func @decode_f32_result
// SM80: #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>
// SM90A-LABEL: func @decode_f32_result
// SM90A: #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4, split_k = 2>
func.func @decode_f32_result(%x: tensor<1x8192xf16>, %w: tensor<8192x8192xi4>, %s: tensor<8192x64xf16>) -> tensor<1x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x8192xf16>, tensor<8192x8192xi4>, tensor<8192x64xf16>) -> tensor<1x8192xf32>
  return %y : tensor<1x8192xf32>
}

// -----

// W8A8 int8: s8 MMA, K tiles twice as long as for 16-bit operands. sm_90a
// takes the TMA + wgmma GEMM: 128 x 256 tiles of 128-byte K rows, 4 stages.
// SM80-LABEL: func @w8a8
// SM80: #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], warp = [64, 64], mma = [16, 8, 32], mma_type = i8, stages = 4>
// SM90A-LABEL: func @w8a8
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>
func.func @w8a8(%x: tensor<4096x8192xi8>, %xs: tensor<4096x1xf32>, %w: tensor<8192x8192xi8>, %s: tensor<8192x1xf32>) -> tensor<4096x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<4096x8192xi8>, tensor<8192x8192xi8>, tensor<8192x1xf32>, tensor<4096x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}

// -----

// W8A8 with f32 results: the same tile, stored from registers, without
// stream-K (its exchange beside 128 sums stored from registers spills).
// SM90A-LABEL: func @w8a8_f32
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, persistent = true>
func.func @w8a8_f32(%x: tensor<4096x8192xi8>, %xs: tensor<4096x1xf32>, %w: tensor<8192x8192xi8>, %s: tensor<8192x1xf32>) -> tensor<4096x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<4096x8192xi8>, tensor<8192x8192xi8>, tensor<8192x1xf32>, tensor<4096x1xf32>) -> tensor<4096x8192xf32>
  return %y : tensor<4096x8192xf32>
}

// -----

// W4A4: native s4 MMA on sm_80 and sm_89; Hopper has no INT4 tensor cores, so
// both operands are widened to s8, in narrower warp tiles (twice the fragment
// registers). K tiles are 64 bytes of activations: 128 codes.
// SM80-LABEL: func @w4a4
// SM80: #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 128], warp = [64, 64], mma = [16, 8, 64], mma_type = i4, stages = 4>
// SM89-LABEL: func @w4a4
// SM89: mma = [16, 8, 64], mma_type = i4
// SM90A-LABEL: func @w4a4
// SM90A: #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 128], warp = [64, 32], mma = [16, 8, 32], mma_type = i8, stages = 4>
func.func @w4a4(%x: tensor<1024x4096xi4>, %xs: tensor<1024x1xf16>, %w: tensor<4096x4096xi4>, %s: tensor<4096x1xf16>) -> tensor<1024x4096xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%xs) : (tensor<1024x4096xi4>, tensor<4096x4096xi4>, tensor<4096x1xf16>, tensor<1024x1xf16>) -> tensor<1024x4096xf16>
  return %y : tensor<1024x4096xf16>
}

// -----

// Narrow N shrinks the block tile to a power of two that divides N (48 -> 16);
// f32 activations run on tf32.
// SM80-LABEL: func @narrow_f32
// SM80: #lowbit_gpu.config<strategy = mma_sync, block = [128, 16, 16], warp = [64, 16], mma = [16, 8, 8], mma_type = tf32, stages = 4>
// SM90A-LABEL: func @narrow_f32
// SM90A: #lowbit_gpu.config<strategy = mma_sync, block = [128, 16, 16], warp = [64, 16], mma = [16, 8, 8], mma_type = tf32, stages = 4>
func.func @narrow_f32(%x: tensor<512x256xf32>, %w: tensor<48x256xi8>, %s: tensor<48x1xf16>) -> tensor<512x48xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<512x256xf32>, tensor<48x256xi8>, tensor<48x1xf16>) -> tensor<512x48xf32>
  return %y : tensor<512x48xf32>
}

// -----

// MXFP4 x MXFP4: e2m1 widens exactly to e4m3 from sm_89 on, to f16 before.
// SM80-LABEL: func @mxfp4
// SM80: mma = [16, 8, 16], mma_type = f16
// SM89-LABEL: func @mxfp4
// SM89: mma = [16, 8, 32], mma_type = f8E4M3FN
func.func @mxfp4(%x: tensor<256x512xf4E2M1FN>, %xs: tensor<256x16xf8E8M0FNU>, %w: tensor<128x512xf4E2M1FN>, %s: tensor<128x16xf8E8M0FNU>) -> tensor<256x128xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> input_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> weight_scales(%s) input_scales(%xs) : (tensor<256x512xf4E2M1FN>, tensor<128x512xf4E2M1FN>, tensor<128x16xf8E8M0FNU>, tensor<256x16xf8E8M0FNU>) -> tensor<256x128xf32>
  return %y : tensor<256x128xf32>
}

// -----

// Bit-plane and LUT products get their own strategies. Two by three planes
// make four sets of bit-plane sums: 32 x 32 warp tiles keep them in 128
// registers.
// SM90A-LABEL: func @bitplane_and_lut
// SM90A: lowbit.bitplane_matmul {{.*}} {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 128, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// SM90A: lowbit.lut_matmul {{.*}} {group_size = 4 : i64, lowbit_gpu.config = #lowbit_gpu.config<strategy = lut, block = [16, 128, 4096], warp = [16, 32], mma = [1, 1, 4], mma_type = f16>, symmetric}
func.func @bitplane_and_lut(%a: tensor<2x64x1024xi1>, %w: tensor<3x512x1024xi1>, %t: tensor<16x1024x8xf16>, %idx: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) -> (tensor<64x512xi32>, tensor<16x512xf16>) {
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x64x1024xi1>, tensor<3x512x1024xi1> -> tensor<64x512xi32>
  %y = lowbit.lut_matmul %t, %idx weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return %c, %y : tensor<64x512xi32>, tensor<16x512xf16>
}

// -----

// Quantized activations go to the tensor cores even at decode M, in 64-row
// tiles (one consumer warpgroup on sm_90a): the streaming GEMV takes real
// activations only.
// SM80-LABEL: func @w8a8_decode
// SM80: #lowbit_gpu.config<strategy = mma_sync, block = [64, 128, 64], warp = [32, 64], mma = [16, 8, 32], mma_type = i8, stages = 4>
// SM90A-LABEL: func @w8a8_decode
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [64, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 5, persistent = true>
func.func @w8a8_decode(%x: tensor<1x8192xi8>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi8>, %s: tensor<8192x1xf32>) -> tensor<1x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xi8>, tensor<8192x8192xi8>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xbf16>
  return %y : tensor<1x8192xbf16>
}

// -----

// A config already there (from the tuner) is kept.
// SM80-LABEL: func @keeps_tuned_config
// SM80: lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [64, 64, 32], warp = [32, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
func.func @keeps_tuned_config(%x: tensor<256x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) -> tensor<256x64xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [64, 64, 32], warp = [32, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>} : (tensor<256x256xf16>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<256x64xf16>
  return %y : tensor<256x64xf16>
}

// -----

// Packed 4-bit weights with a static M on sm_90a: the wgmma GEMM computing
// the product transposed (weights as wgmma's register A, 128 weight rows per
// block, 64 per consumer warpgroup; tokens as its N). W4A16 takes 256 tokens
// by 128 K from M = 256; bf16 activations take 256 bytes per token row of a
// K tile: 3 stages of 72 KiB fit. From M = 1024 the blocks are paired in
// clusters sharing the token tile, without stream-K.
// SM80-LABEL: func @w4a16_packed
// SM80: strategy = mma_sync
// SM90A-LABEL: func @w4a16_packed
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [256, 128, 128], warp = [256, 64], mma = [64, 64, 16], mma_type = bf16, stages = 3, cluster = [1, 2], persistent = true>
func.func @w4a16_packed(%x: tensor<1024x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>, %z: tensor<8192x64xi4>) -> tensor<1024x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) weight_zero_points(%z) : (tensor<1024x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xbf16>, tensor<8192x64xi4>) -> tensor<1024x8192xbf16>
  return %y : tensor<1024x8192xbf16>
}

// -----

// No clusters below M = 1024, nor with fewer tiles than SMs (1024 tokens by
// 1024 weight rows: 32 tiles) or a single weight tile: stream-K instead.
// SM90A-LABEL: func @w4a16_packed_1023_tokens
// SM90A-NOT: cluster
// SM90A: block = [256, 128, 128]{{.*}}stream_k = true
// SM90A-LABEL: func @w4a16_packed_32_tiles
// SM90A-NOT: cluster
// SM90A: block = [256, 128, 128]{{.*}}stream_k = true
// SM90A-LABEL: func @w4a16_packed_one_weight_tile
// SM90A-NOT: cluster
// SM90A: block = [256, 128, 128]{{.*}}stream_k = true
func.func @w4a16_packed_1023_tokens(%x: tensor<1023x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>) -> tensor<1023x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1023x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<1023x8192xbf16>
  return %y : tensor<1023x8192xbf16>
}
func.func @w4a16_packed_32_tiles(%x: tensor<1024x1024xbf16>, %w: tensor<1024x1024xi4, #lowbit.layout<packed>>, %s: tensor<1024x8xbf16>) -> tensor<1024x1024xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1024x1024xbf16>, tensor<1024x1024xi4, #lowbit.layout<packed>>, tensor<1024x8xbf16>) -> tensor<1024x1024xbf16>
  return %y : tensor<1024x1024xbf16>
}
func.func @w4a16_packed_one_weight_tile(%x: tensor<65536x1024xbf16>, %w: tensor<128x1024xi4, #lowbit.layout<packed>>, %s: tensor<128x8xbf16>) -> tensor<65536x128xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<65536x1024xbf16>, tensor<128x1024xi4, #lowbit.layout<packed>>, tensor<128x8xbf16>) -> tensor<65536x128xbf16>
  return %y : tensor<65536x128xbf16>
}

// -----

// Below M = 256, W4A16 takes 128 tokens by 256 K (2 stages of 80 KiB); from
// 256, 256 tokens by 128 K (at 256 with stream-K, not in clusters: one row
// of tiles).
// SM90A-LABEL: func @w4a16_packed_128_tokens
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true, stream_k = true>
// SM90A-LABEL: func @w4a16_packed_256_tokens
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [256, 128, 128], warp = [256, 64], mma = [64, 64, 16], mma_type = bf16, stages = 3, persistent = true, stream_k = true>
func.func @w4a16_packed_128_tokens(%x: tensor<128x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>) -> tensor<128x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<128x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<128x8192xbf16>
  return %y : tensor<128x8192xbf16>
}
func.func @w4a16_packed_256_tokens(%x: tensor<256x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>) -> tensor<256x8192xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<256x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<256x8192xbf16>
  return %y : tensor<256x8192xbf16>
}

// -----

// Groups of 384 codes are three of the 128-code K tiles wgmma takes from
// M = 256; below, they would straddle its 256-code K tiles: mma_sync.
// SM90A-LABEL: func @w4a16_groups_of_384
// SM90A: strategy = wgmma, block = [256, 128, 128]
// SM90A-LABEL: func @w4a16_groups_of_384_short
// SM90A: strategy = mma_sync
func.func @w4a16_groups_of_384(%x: tensor<1024x1152xbf16>, %w: tensor<512x1152xi4, #lowbit.layout<packed>>, %s: tensor<512x3xbf16>) -> tensor<1024x512xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 384, scale_type = bf16> weight_scales(%s) : (tensor<1024x1152xbf16>, tensor<512x1152xi4, #lowbit.layout<packed>>, tensor<512x3xbf16>) -> tensor<1024x512xbf16>
  return %y : tensor<1024x512xbf16>
}
func.func @w4a16_groups_of_384_short(%x: tensor<255x1152xbf16>, %w: tensor<512x1152xi4, #lowbit.layout<packed>>, %s: tensor<512x3xbf16>) -> tensor<255x512xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 384, scale_type = bf16> weight_scales(%s) : (tensor<255x1152xbf16>, tensor<512x1152xi4, #lowbit.layout<packed>>, tensor<512x3xbf16>) -> tensor<255x512xbf16>
  return %y : tensor<255x512xbf16>
}

// -----

// W4A8 (packed s4 weights, int8 activations), M = 40: 64-token tiles, 4
// stages, stream-K (32 tiles of 128 rows, K in 2 parts). Decode-sized M
// with quantized activations stays on tensor cores.
// SM90A-LABEL: func @w4a8_short
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>
func.func @w4a8_short(%x: tensor<40x4096xi8>, %xs: tensor<40x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x1xf32>) -> tensor<40x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<40x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf32>, tensor<40x1xf32>) -> tensor<40x4096xbf16>
  return %y : tensor<40x4096xbf16>
}

// -----

// W4A8 with 9 to 32 tokens on sm_90a: the wgmma kernel with the smallest
// token tile of 16 or 32 that holds them (m64n16k32, m64n32k32), 128 weight
// rows, 6 stages and stream-K, where its grid fills nearly every SM: at 16
// tokens on 8192 x 8192 (64 tiles, K split in 2: 128 blocks on 132 SMs),
// not on 4096 x 4096 (32 tiles, K of 16 tiles split in 2: 64 blocks),
// which keeps tma_gemv, as do 8 tokens; at 32 tokens on any layer.
// SM90A-LABEL: func @w4a8_short_tiles
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv
// SM90A: #lowbit_gpu.config<strategy = tma_gemv
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [32, 128, 256], warp = [32, 64], mma = [32, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true>
func.func @w4a8_short_tiles(%x16: tensor<16x8192xi8>, %xs16: tensor<16x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x1xf16>,
                            %x8: tensor<8x8192xi8>, %xs8: tensor<8x1xf32>,
                            %y16: tensor<16x4096xi8>, %ys16: tensor<16x1xf32>, %v: tensor<4096x4096xi4, #lowbit.layout<packed>>, %t: tensor<4096x1xf16>,
                            %y32: tensor<32x4096xi8>, %ys32: tensor<32x1xf32>)
    -> (tensor<16x8192xf32>, tensor<8x8192xf32>, tensor<16x4096xf32>, tensor<32x4096xf32>) {
  %a = lowbit.matmul %x16, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs16) : (tensor<16x8192xi8>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf16>, tensor<16x1xf32>) -> tensor<16x8192xf32>
  %b = lowbit.matmul %x8, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs8) : (tensor<8x8192xi8>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf16>, tensor<8x1xf32>) -> tensor<8x8192xf32>
  %c = lowbit.matmul %y16, %v weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%t) input_scales(%ys16) : (tensor<16x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf16>, tensor<16x1xf32>) -> tensor<16x4096xf32>
  %d = lowbit.matmul %y32, %v weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%t) input_scales(%ys32) : (tensor<32x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf16>, tensor<32x1xf32>) -> tensor<32x4096xf32>
  return %a, %b, %c, %d : tensor<16x8192xf32>, tensor<8x8192xf32>, tensor<16x4096xf32>, tensor<32x4096xf32>
}

// -----

// W4A8 decode (1 to 16 tokens of int8 or e4m3 activations with per-token
// scales, 4-bit integer weights; past 8 tokens on sm_90a only where the
// wgmma kernel's 16-token tiles would leave SMs idle, above): tma_gemv on
// tensor cores from sm_90 on,
// on s8 for int8 activations and signed codes without zero points, else
// the activations widened to f16 (mma_type = f16); mma.sync before sm_90.
// 4096 rows make 128 blocks of 32 for 132 SMs: blocks of 16 rows instead.
// (e4m3: select-kernel-config-fp8.mlir.)
// SM80-LABEL: func @w4a8_decode
// SM80: strategy = mma_sync
// SM90A-LABEL: func @w4a8_decode
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 32], mma_type = i8, stages = 2>
func.func @w4a8_decode(%x: tensor<1x4096xi8>, %xs: tensor<1x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x1xf16>) -> tensor<1x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf16>, tensor<1x1xf32>) -> tensor<1x4096xbf16>
  return %y : tensor<1x4096xbf16>
}
// Signed codes with scale groups shorter than a quad: through f16.
// SM90A-LABEL: func @w4a8_decode_short_groups
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2>
func.func @w4a8_decode_short_groups(%x: tensor<1x4096xi8>, %xs: tensor<1x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x64xf16>) -> tensor<1x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x64xf16>, tensor<1x1xf32>) -> tensor<1x4096xbf16>
  return %y : tensor<1x4096xbf16>
}
// Zero points: through f16.
// SM90A-LABEL: func @w4a8_decode_zero_points
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 3>
func.func @w4a8_decode_zero_points(%x: tensor<4x4096xi8>, %xs: tensor<4x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x32xf16>, %z: tensor<4096x32xi4>) -> tensor<4x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) weight_zero_points(%z) input_scales(%xs) : (tensor<4x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x32xf16>, tensor<4096x32xi4>, tensor<4x1xf32>) -> tensor<4x4096xbf16>
  return %y : tensor<4x4096xbf16>
}
// -----

// What wgmma does not widen stays on mma.sync: W4A8 with zero points on
// the weights, and 4-bit weights whose K is not a multiple of 32.
// SM90A-LABEL: func @w4a8_zero_points
// SM90A: strategy = mma_sync
func.func @w4a8_zero_points(%x: tensor<256x4096xi8>, %xs: tensor<256x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x1xf32>, %z: tensor<4096x1xi4>) -> tensor<256x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) weight_zero_points(%z) input_scales(%xs) : (tensor<256x4096xi8>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf32>, tensor<4096x1xi4>, tensor<256x1xf32>) -> tensor<256x4096xbf16>
  return %y : tensor<256x4096xbf16>
}
// SM90A-LABEL: func @w4a16_k_not_32
// SM90A: strategy = mma_sync
func.func @w4a16_k_not_32(%x: tensor<256x4112xbf16>, %w: tensor<4096x4112xi4, #lowbit.layout<packed>>, %s: tensor<4096x1xbf16>) -> tensor<256x4096xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16> weight_scales(%s) : (tensor<256x4112xbf16>, tensor<4096x4112xi4, #lowbit.layout<packed>>, tensor<4096x1xbf16>) -> tensor<256x4096xbf16>
  return %y : tensor<256x4096xbf16>
}
// SM90A-LABEL: func @w4a16_m256
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [256, 128, 128], warp = [256, 64], mma = [64, 64, 16], mma_type = f16, stages = 3, persistent = true, stream_k = true>
func.func @w4a16_m256(%x: tensor<256x4096xf16>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x32xf16>) -> tensor<256x4096xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<256x4096xf16>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x32xf16>) -> tensor<256x4096xf16>
  return %y : tensor<256x4096xf16>
}

// -----

// Bit-plane warp tiles shrink as the plane pairs' sets of sums grow (one set
// per weight 2^(i+j)); blocks have up to 2 x 4 warps, fewer where M or N is
// short, and as many ring slots as the chip's shared memory holds (every
// plane of both operands per slot).
// SM80-LABEL: func @bitplane_tiles
// SM80: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [128, 256, 512], warp = [64, 64], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// SM80: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [128, 128, 512], warp = [64, 32], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// SM80: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [64, 64, 512], warp = [32, 16], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// SM80: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [16, 64, 512], warp = [16, 16], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// SM80: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [32, 64, 512], warp = [16, 16], mma = [16, 8, 256], mma_type = i1, stages = 3>}
// Eight planes a side take 48 KiB a slot: two fit sm_89's 99 KiB.
// SM89-LABEL: func @bitplane_tiles
// SM89-COUNT-4: lowbit.bitplane_matmul {{.*}}stages = 3>}
// SM89: lowbit.bitplane_matmul {{.*}}config<strategy = bitplane, block = [32, 64, 512], warp = [16, 16], mma = [16, 8, 256], mma_type = i1, stages = 2>}
func.func @bitplane_tiles(%a1: tensor<1x4096x4096xi1>, %w1: tensor<1x4096x4096xi1>,
                          %a2: tensor<2x4096x4096xi1>, %w1b: tensor<1x4096x4096xi1>,
                          %a3: tensor<3x4096x4096xi1>, %w4: tensor<4x4096x4096xi1>,
                          %a8: tensor<8x1x4096xi1>, %w2: tensor<2x256x4096xi1>,
                          %a8b: tensor<8x4096x4096xi1>, %w8: tensor<8x4096x4096xi1>)
    -> (tensor<4096x4096xi32>, tensor<4096x4096xi32>, tensor<4096x4096xi32>, tensor<1x256xi32>, tensor<4096x4096xi32>) {
  %c1 = lowbit.bitplane_matmul %a1, %w1 : tensor<1x4096x4096xi1>, tensor<1x4096x4096xi1> -> tensor<4096x4096xi32>
  %c2 = lowbit.bitplane_matmul %a2, %w1b : tensor<2x4096x4096xi1>, tensor<1x4096x4096xi1> -> tensor<4096x4096xi32>
  %c3 = lowbit.bitplane_matmul %a3, %w4 : tensor<3x4096x4096xi1>, tensor<4x4096x4096xi1> -> tensor<4096x4096xi32>
  %c4 = lowbit.bitplane_matmul %a8, %w2 : tensor<8x1x4096xi1>, tensor<2x256x4096xi1> -> tensor<1x256xi32>
  %c5 = lowbit.bitplane_matmul %a8b, %w8 : tensor<8x4096x4096xi1>, tensor<8x4096x4096xi1> -> tensor<4096x4096xi32>
  return %c1, %c2, %c3, %c4, %c5 : tensor<4096x4096xi32>, tensor<4096x4096xi32>, tensor<4096x4096xi32>, tensor<1x256xi32>, tensor<4096x4096xi32>
}

// -----

// Decode of packed 4-bit weights on sm_90a: 2 to 16 tokens of f16 with
// scale groups of whole 16-byte chunks take tma_gemv on tensor cores (32
// rows per block and per warp; 3 slots up to 8 tokens, 2 past that); with groups of 16 codes
// (not whole 16-byte chunks) 3 tokens keep the split-K GEMV and 16 take the
// wgmma kernel (measured faster than the GEMV on an H200 at 4, 8 and 16
// tokens) with a 16-token tile (m64n16k16), 128 weight rows per tile, 4
// stages and stream-K. 16 tokens with a scale per 128 codes take that
// kernel too on 28672 x 8192 (2^27 weights or more), in tiles of 192 rows
// (three consumers), not on 8192 x 8192. Other chips keep the GEMV.
// SM90A-LABEL: func @four_bit_decode
// SM90A: strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>
// SM90A: strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>
// SM90A: strategy = wgmma, block = [16, 192, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>
// SM90A: strategy = splitk_gemv
// SM90A: strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>
// SM90A: strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM89-LABEL: func @four_bit_decode
// SM89-COUNT-6: strategy = splitk_gemv
func.func @four_bit_decode(%x3: tensor<3x8192xf16>, %x4: tensor<4x8192xf16>, %x16: tensor<16x8192xf16>,
                           %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xf16>,
                           %wl: tensor<28672x8192xi4, #lowbit.layout<packed>>, %sl: tensor<28672x64xf16>,
                           %sg: tensor<28672x512xf16>)
    -> (tensor<3x8192xf32>, tensor<4x8192xf32>, tensor<16x28672xf32>, tensor<3x28672xf32>, tensor<16x28672xf32>, tensor<16x8192xf32>) {
  %a = lowbit.matmul %x3, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<3x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xf16>) -> tensor<3x8192xf32>
  %b = lowbit.matmul %x4, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<4x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xf16>) -> tensor<4x8192xf32>
  %c = lowbit.matmul %x16, %wl weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 128> weight_scales(%sl) : (tensor<16x8192xf16>, tensor<28672x8192xi4, #lowbit.layout<packed>>, tensor<28672x64xf16>) -> tensor<16x28672xf32>
  %d = lowbit.matmul %x3, %wl weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 16> weight_scales(%sg) : (tensor<3x8192xf16>, tensor<28672x8192xi4, #lowbit.layout<packed>>, tensor<28672x512xf16>) -> tensor<3x28672xf32>
  %e = lowbit.matmul %x16, %wl weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 16> weight_scales(%sg) : (tensor<16x8192xf16>, tensor<28672x8192xi4, #lowbit.layout<packed>>, tensor<28672x512xf16>) -> tensor<16x28672xf32>
  %f = lowbit.matmul %x16, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xf16>) -> tensor<16x8192xf32>
  return %a, %b, %c, %d, %e, %f : tensor<3x8192xf32>, tensor<4x8192xf32>, tensor<16x28672xf32>, tensor<3x28672xf32>, tensor<16x28672xf32>, tensor<16x8192xf32>
}

// -----

// Decode with f16 activations, packed 4-bit integer codes and f16 group
// scales: before sm_90 the GEMV's f16x2 path, four rows per warp with two
// chunks of each in flight, for up to two tokens (sm_90 and newer take
// tma_gemv on tensor cores from one token on).
// SM90A-LABEL: func @packed_w4a16_decode
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>
// SM80-LABEL: func @packed_w4a16_decode
// SM80: warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
func.func @packed_w4a16_decode(%x: tensor<2x8192xf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xf16>) -> tensor<2x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<2x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xf16>) -> tensor<2x8192xf32>
  return %y : tensor<2x8192xf32>
}

// -----

// Groups of 64 codes scale the decoded codes in the activations' type on
// tensor cores: with f16 scales they take tma_gemv, with f32 scales (which
// f16 could not hold) the 64-token wgmma kernel.
// SM90A-LABEL: func @short_groups_scale_type
// SM90A: strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>
// SM90A: strategy = wgmma
func.func @short_groups_scale_type(%x: tensor<4x8192xf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>,
                                   %s16: tensor<8192x128xf16>, %s32: tensor<8192x128xf32>)
    -> (tensor<4x8192xf32>, tensor<4x8192xf32>) {
  %a = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64> weight_scales(%s16) : (tensor<4x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x128xf16>) -> tensor<4x8192xf32>
  %b = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, scale_type = f32> weight_scales(%s32) : (tensor<4x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x128xf32>) -> tensor<4x8192xf32>
  return %a, %b : tensor<4x8192xf32>, tensor<4x8192xf32>
}

// -----

// One token from sm_90 on: tma_gemv on tensor cores, 32 rows per block and
// warp through a 2-slot ring, 16 where 32-row blocks would be fewer than the
// SMs (28672 / 32 = 896 blocks; 2048 / 32 = 64 on 132 SMs: 128 of 16). K
// splits only below a quarter of the SMs (@tma_gemv_row_blocks). Older
// chips keep the register-streaming GEMV.
// SM90A-LABEL: func @packed_w4a16_one_token
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM89-LABEL: func @packed_w4a16_one_token
// SM89-COUNT-2: strategy = splitk_gemv
func.func @packed_w4a16_one_token(%x: tensor<1x8192xf16>, %w: tensor<28672x8192xi4, #lowbit.layout<packed>>, %s: tensor<28672x64xf16>,
                                  %ws: tensor<2048x8192xi4, #lowbit.layout<packed>>, %ss: tensor<2048x64xf16>) -> (tensor<1x28672xf32>, tensor<1x2048xf32>) {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x8192xf16>, tensor<28672x8192xi4, #lowbit.layout<packed>>, tensor<28672x64xf16>) -> tensor<1x28672xf32>
  %z = lowbit.matmul %x, %ws weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%ss) : (tensor<1x8192xf16>, tensor<2048x8192xi4, #lowbit.layout<packed>>, tensor<2048x64xf16>) -> tensor<1x2048xf32>
  return %y, %z : tensor<1x28672xf32>, tensor<1x2048xf32>
}

// -----

// The row-block boundary on sm_90a's 132 SMs: 4224 rows make 132 blocks of
// 32 rows, 4192 only 131 (16-row blocks then). 16 tokens keep 32-row
// blocks while they give half the SMs one (4096 rows: 128 blocks), not on
// 1024 rows (32). K splits (f32 results) only where the blocks leave more
// than three quarters of the SMs idle: 256 rows (16 blocks) in 9, at most
// one per K tile (4 on K = 4096, 2 on K = 1536); and from 9 tokens on
// blocks fewer than the SMs with K of 8 tiles or more (4096 x 14336: 14).
// SM90A-LABEL: func @tma_gemv_row_blocks
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2, split_k = 4>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 2, split_k = 2>
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2, split_k = 2>
func.func @tma_gemv_row_blocks(%x: tensor<1x4096xf16>, %w: tensor<4224x4096xi4, #lowbit.layout<packed>>, %s: tensor<4224x32xf16>,
                               %v: tensor<4192x4096xi4, #lowbit.layout<packed>>, %t: tensor<4192x32xf16>,
                               %x16: tensor<16x4096xf16>, %u: tensor<4096x4096xi4, #lowbit.layout<packed>>, %us: tensor<4096x32xf16>,
                               %q: tensor<1024x4096xi4, #lowbit.layout<packed>>, %qs: tensor<1024x32xf16>,
                               %r: tensor<256x4096xi4, #lowbit.layout<packed>>, %rs: tensor<256x32xf16>,
                               %x3: tensor<1x1536xf16>, %o: tensor<256x1536xi4, #lowbit.layout<packed>>, %os: tensor<256x12xf16>,
                               %xl: tensor<16x14336xf16>, %l: tensor<4096x14336xi4, #lowbit.layout<packed>>, %ls: tensor<4096x112xf16>)
    -> (tensor<1x4224xf16>, tensor<1x4192xf16>, tensor<16x4096xf32>, tensor<16x1024xf32>, tensor<1x256xf32>, tensor<1x256xf32>, tensor<16x4096xf32>) {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x4096xf16>, tensor<4224x4096xi4, #lowbit.layout<packed>>, tensor<4224x32xf16>) -> tensor<1x4224xf16>
  %z = lowbit.matmul %x, %v weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%t) : (tensor<1x4096xf16>, tensor<4192x4096xi4, #lowbit.layout<packed>>, tensor<4192x32xf16>) -> tensor<1x4192xf16>
  %a = lowbit.matmul %x16, %u weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%us) : (tensor<16x4096xf16>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x32xf16>) -> tensor<16x4096xf32>
  %b = lowbit.matmul %x16, %q weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%qs) : (tensor<16x4096xf16>, tensor<1024x4096xi4, #lowbit.layout<packed>>, tensor<1024x32xf16>) -> tensor<16x1024xf32>
  %c = lowbit.matmul %x, %r weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%rs) : (tensor<1x4096xf16>, tensor<256x4096xi4, #lowbit.layout<packed>>, tensor<256x32xf16>) -> tensor<1x256xf32>
  %d = lowbit.matmul %x3, %o weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%os) : (tensor<1x1536xf16>, tensor<256x1536xi4, #lowbit.layout<packed>>, tensor<256x12xf16>) -> tensor<1x256xf32>
  %e = lowbit.matmul %xl, %l weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%ls) : (tensor<16x14336xf16>, tensor<4096x14336xi4, #lowbit.layout<packed>>, tensor<4096x112xf16>) -> tensor<16x4096xf32>
  return %y, %z, %a, %b, %c, %d, %e : tensor<1x4224xf16>, tensor<1x4192xf16>, tensor<16x4096xf32>, tensor<16x1024xf32>, tensor<1x256xf32>, tensor<1x256xf32>, tensor<16x4096xf32>
}

// -----

// Three tokens, bf16 activations, groups of 16 codes or K not a multiple of
// 32 keep one row per warp (f32 products).
// SM80-LABEL: func @three_tokens
// SM80: warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4
func.func @three_tokens(%x: tensor<3x8192xf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xf16>) -> tensor<3x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<3x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xf16>) -> tensor<3x8192xf32>
  return %y : tensor<3x8192xf32>
}

// -----

// SM80-LABEL: func @bf16_activations
// SM80: warp = [16, 8], mma = [16, 8, 16], mma_type = bf16, stages = 4
func.func @bf16_activations(%x: tensor<1x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>) -> tensor<1x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<1x8192xf32>
  return %y : tensor<1x8192xf32>
}

// -----

// SM80-LABEL: func @groups_of_16
// SM80: warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4
func.func @groups_of_16(%x: tensor<1x4096xf16>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x256xf16>) -> tensor<1x4096xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 16> weight_scales(%s) : (tensor<1x4096xf16>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x256xf16>) -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

// SM80-LABEL: func @k_1000
// SM80: warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4
func.func @k_1000(%x: tensor<1x1000xf16>, %w: tensor<512x1000xi4, #lowbit.layout<packed>>, %s: tensor<512x1xf16>) -> tensor<1x512xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<1x1000xf16>, tensor<512x1000xi4, #lowbit.layout<packed>>, tensor<512x1xf16>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// -----

// A layer of fewer than 32 rows at one token before sm_90: a 16-row block,
// one row per warp (four rows per warp would not divide it).
// SM80-LABEL: func @n_16
// SM80: strategy = splitk_gemv, block = [16, 16, 128], warp = [16, 8]
func.func @n_16(%x: tensor<1x128xf16>, %w: tensor<16x128xi4, #lowbit.layout<packed>>, %s: tensor<1x1xf16>) -> tensor<1x16xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_tensor> weight_scales(%s) : (tensor<1x128xf16>, tensor<16x128xi4, #lowbit.layout<packed>>, tensor<1x1xf16>) -> tensor<1x16xf16>
  return %y : tensor<1x16xf16>
}

// -----

// One token of 2-, 3-, 5- or 6-bit codes: four rows per warp on every
// target, no K split where the 32-row tiles cover the SMs (8192 rows: 256
// tiles), 4 chunks in flight for 2-bit rows and 2 for the others; two
// tokens keep one row per warp (and on sm_90a's 132 SMs a split in 2);
// a layer of 2048 rows (64 tiles) keeps its split.
// SM80-LABEL: func @odd_width_decode
// SM80: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 2>
// SM80: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM80: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM80: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 2, split_k = 4>
// SM90A-LABEL: func @odd_width_decode
// SM90A: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 2>
// SM90A: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM90A: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = bf16, stages = 4, split_k = 2>
// SM90A: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 2, split_k = 5>
func.func @odd_width_decode(%x: tensor<1x8192xbf16>, %x2: tensor<2x8192xbf16>, %w3: tensor<8192x8192xi3, #lowbit.layout<packed>>, %w2: tensor<8192x8192xi2, #lowbit.layout<packed>>, %s: tensor<8192x64xbf16>, %w5: tensor<2048x8192xi5, #lowbit.layout<packed>>, %s5: tensor<2048x64xbf16>) -> (tensor<1x8192xf32>, tensor<1x8192xf32>, tensor<2x8192xf32>, tensor<1x2048xf32>) {
  %a = lowbit.matmul %x, %w3 weight_scheme #lowbit.quant<storage = i3, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1x8192xbf16>, tensor<8192x8192xi3, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<1x8192xf32>
  %b = lowbit.matmul %x, %w2 weight_scheme #lowbit.quant<storage = i2, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1x8192xbf16>, tensor<8192x8192xi2, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<1x8192xf32>
  %c = lowbit.matmul %x2, %w3 weight_scheme #lowbit.quant<storage = i3, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<2x8192xbf16>, tensor<8192x8192xi3, #lowbit.layout<packed>>, tensor<8192x64xbf16>) -> tensor<2x8192xf32>
  %d = lowbit.matmul %x, %w5 weight_scheme #lowbit.quant<storage = i5, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s5) : (tensor<1x8192xbf16>, tensor<2048x8192xi5, #lowbit.layout<packed>>, tensor<2048x64xbf16>) -> tensor<1x2048xf32>
  return %a, %b, %c, %d : tensor<1x8192xf32>, tensor<1x8192xf32>, tensor<2x8192xf32>, tensor<1x2048xf32>
}

// -----

// One token of table codes (NF4 here): from sm_90 on tma_gemv on CUDA cores
// (32 rows per block, a quarter per warp, 4 slots); before, the split-K
// GEMV with four rows per warp and 4 chunks in flight, no K split.
// SM80-LABEL: func @nf4_decode
// SM80: strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 4>
// SM90A-LABEL: func @nf4_decode
// SM90A: strategy = tma_gemv, block = [16, 32, 512], warp = [16, 8], mma = [1, 1, 1], mma_type = bf16, stages = 4>
func.func @nf4_decode(%x: tensor<1x8192xbf16>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x128xbf16>) -> tensor<1x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 64, scale_type = bf16, codebook = [-1.0, -0.6961928, -0.52507305, -0.39491749, -0.28444138, -0.18477343, -0.091050036, 0.0, 0.07958030, 0.16093020, 0.24611230, 0.33791524, 0.44070983, 0.56261700, 0.72295684, 1.0]> weight_scales(%s) : (tensor<1x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x128xbf16>) -> tensor<1x8192xf32>
  return %y : tensor<1x8192xf32>
}

// -----

// 4-bit weights interleaved in the half-fragment order take the configs
// packed ones take: the GEMVs read the order as they read AWQ's (pairs of
// consecutive codes), the wgmma kernels with one load per two K steps. One
// bf16 token: tma_gemv's tensor cores on sm_90a; the split-K GEMV before,
// whose CUDA-core bf16 path the generator then refuses with a diagnostic
// (test/Conversion/LowBitToGPU/lower-matmul-to-gpu-invalid.mlir).
// SM80-LABEL: func @w4a16_half_fragment_order
// SM80: strategy = splitk_gemv
// SM89-LABEL: func @w4a16_half_fragment_order
// SM90A-LABEL: func @w4a16_half_fragment_order
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = bf16, stages = 2>
func.func @w4a16_half_fragment_order(%x: tensor<1x4096xbf16>, %w: tensor<4096x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<4096x32xbf16>) -> tensor<1x4096xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) : (tensor<1x4096xbf16>, tensor<4096x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<4096x32xbf16>) -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

// 9 to 16 f16 or bf16 tokens on half-fragment weights take wgmma's 16-token
// tiles on layers of 8192 x 8192 or more, where tma_gemv reads the order
// more slowly than packed weights (which stay there on 8192 x 8192).
// SM90A-LABEL: func @w4a16_half_fragment_m16
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>
func.func @w4a16_half_fragment_m16(%x: tensor<16x8192xf16>, %w: tensor<8192x8192xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<8192x64xf16>, %z: tensor<8192x64xi4>) -> tensor<16x8192xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = f16> weight_scales(%s) weight_zero_points(%z) : (tensor<16x8192xf16>, tensor<8192x8192xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<8192x64xf16>, tensor<8192x64xi4>) -> tensor<16x8192xf32>
  return %y : tensor<16x8192xf32>
}

// -----

// Narrower layers (not timed) stay on tma_gemv.
// SM90A-LABEL: func @w4a16_half_fragment_m16_narrow
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512]
func.func @w4a16_half_fragment_m16_narrow(%x: tensor<16x4096xf16>, %w: tensor<4096x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<4096x32xf16>, %z: tensor<4096x32xi4>) -> tensor<16x4096xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = f16> weight_scales(%s) weight_zero_points(%z) : (tensor<16x4096xf16>, tensor<4096x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<4096x32xf16>, tensor<4096x32xi4>) -> tensor<16x4096xf32>
  return %y : tensor<16x4096xf32>
}
