// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a --lowbit-lower-matmul-to-gpu -verify-diagnostics

// What the generators do not handle is an error naming it, never a wrong
// kernel.

func.func @n_not_a_multiple(%x: tensor<256x512xf16>, %w: tensor<1000x512xi8>, %s: tensor<1000x1xf16>) -> tensor<256x1000xf16> {
  // expected-error @+1 {{the mma_sync strategy needs N a multiple of 16, not N = 1000}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<256x512xf16>, tensor<1000x512xi8>, tensor<1000x1xf16>) -> tensor<256x1000xf16>
  return %y : tensor<256x1000xf16>
}

// -----

func.func @n_not_a_multiple_of_the_tile(%x: tensor<256x512xf16>, %w: tensor<48x512xi8>, %s: tensor<48x1xf16>) -> tensor<256x48xf16> {
  // expected-error @+1 {{N = 48 is not a multiple of the block tile's N (32); choose a config whose N divides it}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 32, 32], warp = [64, 32], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<256x512xf16>, tensor<48x512xi8>, tensor<48x1xf16>) -> tensor<256x48xf16>
  return %y : tensor<256x48xf16>
}

// -----

func.func @k_not_a_multiple(%x: tensor<256x1000xf16>, %w: tensor<256x1000xi8>, %s: tensor<256x1xf16>) -> tensor<256x256xf16> {
  // expected-error @+1 {{K = 1000 is not a multiple of the block tile's K (32)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<256x1000xf16>, tensor<256x1000xi8>, tensor<256x1xf16>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

func.func @w4a8_fp8(%x: tensor<256x512xf8E4M3FN>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{the mma_sync strategy does not support weight zero points or weight scales other than per channel or per tensor with quantized activations yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<256x512xf8E4M3FN>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xf16>, tensor<256x1xf32>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

func.func @w4a4(%x: tensor<256x512xi4>, %xs: tensor<256x1xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>) -> tensor<256x256xf16> {
  // expected-error @+1 {{the mma_sync strategy does not support 4-bit activations or weights that are not signed and #lowbit.layout<packed> yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%xs) : (tensor<256x512xi4>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>, tensor<256x1xf16>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

func.func @wgmma_config(%x: tensor<256x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xf16>) -> tensor<256x256xf16> {
  // expected-error @+1 {{wgmma block tile K must be 128 or 256 (64- or 128-byte rows of 4-bit weights) with f16/bf16 activations, not 64}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256], mma = [64, 256, 16], mma_type = f16, stages = 4>} : (tensor<256x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xf16>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

func.func @wgmma_bad_tile(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{wgmma block tile N must be a multiple of 64 up to 256 for this product, not 96}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 96, 128], warp = [64, 96], mma = [64, 96, 32], mma_type = i8, stages = 4>} : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

func.func @wgmma_odd_k(%x: tensor<256x520xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x520xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{K = 520 is not a multiple of 16: TMA needs rows of a multiple of 16 bytes}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4>} : (tensor<256x520xi8>, tensor<256x520xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

func.func @wgmma_w4a16_short_wide(%x: tensor<32x512xf16>, %w: tensor<512x512xi4, #lowbit.layout<packed>>, %s: tensor<512x1xf16>) -> tensor<32x512xf32> {
  // expected-error @+1 {{or 256 on those of 8 or 16, for 4-bit weights, not 256}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [32, 256, 256], warp = [32, 64], mma = [32, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>} : (tensor<32x512xf16>, tensor<512x512xi4, #lowbit.layout<packed>>, tensor<512x1xf16>) -> tensor<32x512xf32>
  return %y : tensor<32x512xf32>
}

// -----

func.func @wgmma_w4a16_five_consumers(%x: tensor<16x512xf16>, %w: tensor<640x512xi4, #lowbit.layout<packed>>, %s: tensor<640x1xf16>) -> tensor<16x640xf32> {
  // expected-error @+1 {{or 256 on those of 8 or 16, for 4-bit weights, not 320}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 320, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>} : (tensor<16x512xf16>, tensor<640x512xi4, #lowbit.layout<packed>>, tensor<640x1xf16>) -> tensor<16x640xf32>
  return %y : tensor<16x640xf32>
}

// -----

func.func @wgmma_w4a8_wide(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{wgmma block tile N (weight rows) must be 64 or 128 (one or two consumer warpgroups), 192 on token tiles of 8, 16 or 32, or 256 on those of 8 or 16, for 4-bit weights, not 256}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 2>} : (tensor<256x512xi8>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

// e4m3 activations keep a second, f32 sum: at most 192 tokens.
func.func @wgmma_w4a8_fp8_too_many_tokens(%x: tensor<256x512xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf32>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{wgmma block tile M (tokens) must be 8, 16, 32 or a multiple of 64 up to 192 for 4-bit weights with these activations, not 256}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [256, 128, 256], warp = [256, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 2>} : (tensor<256x512xf8E4M3FN>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf32>, tensor<1x1xf32>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

// A token tile under 64 names itself as the mma's first extent.
func.func @wgmma_w4a8_short_tile_mma(%x: tensor<16x512xi8>, %xs: tensor<16x1xf32>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf32>) -> tensor<16x256xf32> {
  // expected-error @+1 {{wgmma warp tile must be [16, 64] and mma [16, 64, 32] for 4-bit weights}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [8, 64, 32], mma_type = i8, stages = 4>} : (tensor<16x512xi8>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf32>, tensor<16x1xf32>) -> tensor<16x256xf32>
  return %y : tensor<16x256xf32>
}

// -----

func.func @wgmma_w4a16_short_tile_k128(%x: tensor<16x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xf16>) -> tensor<16x256xf32> {
  // expected-error @+1 {{wgmma token tiles of 8, 16 or 32 take K tiles of 256 codes, not 128}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 128], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4>} : (tensor<16x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xf16>) -> tensor<16x256xf32>
  return %y : tensor<16x256xf32>
}

// -----

// Short token tiles are for 4-bit weights: 8-bit ones are wgmma's B, 64
// activation rows per instruction.
func.func @wgmma_w8a8_short_tile(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{wgmma warp tile must be [64, 128] and mma [64, 128, 32]}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, 128, 128], warp = [64, 128], mma = [16, 128, 32], mma_type = i8, stages = 4>} : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

// W4A16 on wgmma multiplies in the activations' type.
func.func @wgmma_w4a16_wrong_mma_type(%x: tensor<256x512xbf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xbf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{wgmma mma_type must be 'bf16' for this product, not 'f16'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = f16, stages = 2>} : (tensor<256x512xbf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xbf16>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

// Groups must not straddle a 16-K wgmma step.
func.func @wgmma_w4a16_group_8(%x: tensor<256x512xbf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x64xbf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{groups that are not along K in multiples of 16}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 8, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2>} : (tensor<256x512xbf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x64xbf16>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

// Several rows per warp need rows of whole 16-byte chunks (K = 1000 codes
// is 500 bytes).
func.func @gemv_rows_per_warp_bytes(%x: tensor<1x1000xf16>, %w: tensor<64x1000xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{GPU code generation does not support several rows per warp on rows that are not whole 16-byte chunks yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<1x1000xf16>, tensor<64x1000xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// The GEMV's warp tile N counts rows in granules of 8.
func.func @gemv_rows_per_warp_granule(%x: tensor<1x1024xf16>, %w: tensor<48x1024xi4, #lowbit.layout<packed>>, %s: tensor<48x1xf16>) -> tensor<1x48xf32> {
  // expected-error @+1 {{splitk_gemv warp tile N / 8 is the rows a warp streams together: 1 to 8, with the block tile's N (48) a multiple of 4 warps times it; got 12}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 48, 128], warp = [16, 12], mma = [16, 4, 16], mma_type = f16, stages = 4>} : (tensor<1x1024xf16>, tensor<48x1024xi4, #lowbit.layout<packed>>, tensor<48x1xf16>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// tma_gemv: the block's rows are its four warps' rows, a multiple of 8.
func.func @tma_gemv_rows(%x: tensor<1x1024xf16>, %w: tensor<48x1024xi4, #lowbit.layout<packed>>, %s: tensor<48x1xf16>) -> tensor<1x48xf32> {
  // expected-error @+1 {{tma_gemv's warp tile N is the rows a warp computes (up to 16) and its block tile N 4 times that, a multiple of 8; got block N 12, warp N 3}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 12, 512], warp = [16, 3], mma = [1, 1, 1], mma_type = f16, stages = 4>} : (tensor<1x1024xf16>, tensor<48x1024xi4, #lowbit.layout<packed>>, tensor<48x1xf16>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

func.func @tma_gemv_one_stage(%x: tensor<1x1024xf16>, %w: tensor<48x1024xi4, #lowbit.layout<packed>>, %s: tensor<48x1xf16>) -> tensor<1x48xf32> {
  // expected-error @+1 {{tma_gemv needs a ring of at least 2 stages}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 4], mma = [1, 1, 1], mma_type = f16, stages = 1>} : (tensor<1x1024xf16>, tensor<48x1024xi4, #lowbit.layout<packed>>, tensor<48x1xf16>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// On tensor cores a warp computes whole mma tiles of 16 rows.
func.func @tma_gemv_mma_rows(%x: tensor<1x1024xf16>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{tma_gemv on tensor cores computes 16, 32 or 64 rows per warp (warp N) and 1, 2 or 4 times that per block (block N); got block N 32, warp N 8}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<1x1024xf16>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// A ring slot of 64 rows holds 32 KiB of weights and, at 16 tokens, 32 KiB
// of activations: four slots exceed sm_90's 227 KiB.
func.func @tma_gemv_ring_too_large(%x: tensor<16x1024xf16>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<16x64xf32> {
  // expected-error @+1 {{the kernel needs 263232 bytes of shared memory per block, sm_90a has 232448 (fewer stages or smaller tiles)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<16x1024xf16>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// -----

// Groups shorter than a 128-code quad scale the decoded codes in the
// mma type: an f32 scale would be rounded to f16 there.
func.func @tma_gemv_mma_short_groups_f32_scales(%x: tensor<2x1024xf16>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x16xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{but for up to 16 tokens of f16 or bf16 activations (the mma_type) or int8 or e4m3 ones (mma_type f16), 4-bit integer codes and f16, bf16 or f32 scales per tensor, channel or group of a multiple of 128 (of 32 with scales of the mma_type) yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, scale_type = f32> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>} : (tensor<2x1024xf16>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x16xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// The tensor cores decode 4-bit integer codes: 8-bit codes stay on CUDA cores.
func.func @tma_gemv_mma_byte_codes(%x: tensor<1x1024xf16>, %w: tensor<64x1024xi8>, %s: tensor<64x16xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{GPU code generation does not support tma_gemv on tensor cores (mma = [16, 8, 16]) but for up to 16 tokens of f16 or bf16 activations (the mma_type) or int8 or e4m3 ones (mma_type f16), 4-bit integer codes and f16, bf16 or f32 scales per tensor, channel or group of a multiple of 128 (of 32 with scales of the mma_type) yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_group, axis = 1, group_size = 64> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<1x1024xf16>, tensor<64x1024xi8>, tensor<64x16xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// TMA copies whole 16-byte chunks: 1000 4-bit codes per row are not.
func.func @tma_gemv_partial_chunks(%x: tensor<1x1000xf16>, %w: tensor<64x1000xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{GPU code generation does not support the tma_gemv strategy on rows that are not whole 16-byte chunks (or scale groups that split one) yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 4], mma = [1, 1, 1], mma_type = f16, stages = 4>} : (tensor<1x1000xf16>, tensor<64x1000xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

func.func @bad_tile(%x: tensor<256x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xf16>) -> tensor<256x256xf16> {
  // expected-error @+1 {{mma_sync block tile K must be 32 (64 bytes of activations), not 64}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<256x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xf16>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

// f32 activations would run on tf32 (found by the mutation fuzzer: this
// crashed the generator once).
func.func @f32_input(%x: tensor<512x256xf32>, %w: tensor<64x256xi8>, %s: tensor<64x1xf16>) -> tensor<512x64xf32> {
  // expected-error @+1 {{the mma_sync strategy does not support f32 activations yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<512x256xf32>, tensor<64x256xi8>, tensor<64x1xf16>) -> tensor<512x64xf32>
  return %y : tensor<512x64xf32>
}

// -----

// A module whose recorded target is another chip than the one asked for
// is an error naming both (the generators read the module's).
// expected-error @+1 {{the module's lowbit_gpu.target is sm_90, not the sm_90a asked for}}
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90">} {
func.func @target_mismatch(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}
}

// -----

module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90a">} {
func.func @too_much_shared_memory(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{the kernel needs 394368 bytes of shared memory per block, sm_90a has 232448 (fewer stages or smaller tiles)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 8>} : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}
}

// -----

// Bit planes: configs the bitplane generator cannot build, and strategies
// that do not take bit planes.

func.func @bitplane_dynamic_m(%a: tensor<2x?x512xi1>, %w: tensor<2x64x512xi1>) -> tensor<?x64xi32> {
  // expected-error @+1 {{the bitplane strategy needs static shapes, got tensor<2x?x512xi1> and tensor<2x64x512xi1>}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x?x512xi1>, tensor<2x64x512xi1> -> tensor<?x64xi32>
  return %c : tensor<?x64xi32>
}

// -----

func.func @bitplane_too_many_accumulators(%a: tensor<2x64x512xi1>, %w: tensor<2x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{bitplane: 3 plane-pair weights x 64 x 64 / 32 = 384 accumulator registers per thread exceed 128; choose a smaller warp tile}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [64, 64], mma = [16, 8, 256], mma_type = i1, stages = 3>} : tensor<2x64x512xi1>, tensor<2x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_block_k(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{bitplane block tile K must be 512 (64 bytes per row), not 256}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 256], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 3>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_mma_type(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{the bitplane strategy runs mma = [16, 8, 256] on i1}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 32], mma = [16, 8, 32], mma_type = i8, stages = 3>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_warp_n(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{bitplane warp tile [32, 8] must be multiples of 16 that divide the block tile [64, 64]}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 8], mma = [16, 8, 256], mma_type = i1, stages = 3>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_too_many_warps(%a: tensor<1x512x512xi1>, %w: tensor<1x512x512xi1>) -> tensor<512x512xi32> {
  // expected-error @+1 {{the block tile [256, 256] takes 64 warps; a block has at most 32}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [256, 256, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 2>} : tensor<1x512x512xi1>, tensor<1x512x512xi1> -> tensor<512x512xi32>
  return %c : tensor<512x512xi32>
}

// -----

func.func @bitplane_one_stage(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{bitplane needs at least 2 pipeline stages}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 1>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_split_k(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{the bitplane strategy has no split-K or persistent grid}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 2, split_k = 2>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @bitplane_on_mma_sync(%a: tensor<1x64x512xi1>, %w: tensor<1x64x512xi1>) -> tensor<64x64xi32> {
  // expected-error @+1 {{bit planes run on the bitplane strategy, not mma_sync}}
  %c = lowbit.bitplane_matmul %a, %w {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [64, 64, 64], warp = [32, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : tensor<1x64x512xi1>, tensor<1x64x512xi1> -> tensor<64x64xi32>
  return %c : tensor<64x64xi32>
}

// -----

func.func @matmul_on_bitplane(%x: tensor<64x512xi8>, %xs: tensor<64x1xf32>, %w: tensor<64x512xi8>, %s: tensor<64x1xf32>) -> tensor<64x64xf16> {
  // expected-error @+1 {{GPU code generation does not support the bitplane strategy for lowbit.matmul (supported: splitk_gemv, tma_gemv, mma_sync, wgmma)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 2>} : (tensor<64x512xi8>, tensor<64x512xi8>, tensor<64x1xf32>, tensor<64x1xf32>) -> tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}

// -----

// The byte GEMV reads one scale per byte: 2-bit groups must hold whole bytes.
func.func @two_bit_groups_of_six(%x: tensor<1x96xf16>, %w: tensor<64x96xi2, #lowbit.layout<packed>>, %s: tensor<64x16xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{GPU code generation does not support this scale granularity yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i2, granularity = per_group, axis = 1, group_size = 6> weight_scales(%s) : (tensor<1x96xf16>, tensor<64x96xi2, #lowbit.layout<packed>>, tensor<64x16xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// LUT products: decode shapes only, and on their own strategy.
func.func @lut_too_many_tokens(%t: tensor<80x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<80x64xf16> {
  // expected-error @+1 {{the lut strategy does not support 80 tokens}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<80x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<80x64xf16>
  return %y : tensor<80x64xf16>
}

// -----

// The LUT kernel does not split K: asked to, it says so (it ignored it).
func.func @lut_split_k(%t: tensor<4x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{the lut strategy does not support split_k > 1}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric, lowbit_gpu.config = #lowbit_gpu.config<strategy = lut, block = [4, 64, 256], warp = [4, 16], mma = [1, 1, 4], mma_type = f16, split_k = 2>} : (tensor<4x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

// The LUT kernel has no pipeline and takes every token and all of K in one
// block: a config that says otherwise is refused (it was ignored, and cached
// under a config the kernel is not).
func.func @lut_stages(%t: tensor<4x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{the lut strategy takes block = [4, N, 256] (every token and all of K), warp = [4, N / 4], mma = [1, 1, 4], mma_type = 'f16' (the table's) and stages = 1, for a block of N rows; got #lowbit_gpu.config<strategy = lut, block = [4, 64, 256], warp = [4, 16], mma = [1, 1, 4], mma_type = f16, stages = 2>}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric, lowbit_gpu.config = #lowbit_gpu.config<strategy = lut, block = [4, 64, 256], warp = [4, 16], mma = [1, 1, 4], mma_type = f16, stages = 2>} : (tensor<4x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

func.func @lut_k_tile(%t: tensor<4x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{the lut strategy takes block = [4, N, 256]}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric, lowbit_gpu.config = #lowbit_gpu.config<strategy = lut, block = [4, 64, 128], warp = [4, 16], mma = [1, 1, 4], mma_type = f16>} : (tensor<4x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

func.func @lut_on_mma_sync(%t: tensor<4x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{LUT products run on the lut strategy, not mma_sync}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric, lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [64, 64, 32], warp = [32, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>} : (tensor<4x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

// AWQ-interleaved 4-bit words are read only by the GEMV's f16x2 path and
// tma_gemv's tensor cores, not by the register GEMV's f32 products.
func.func @interleave_bf16(%x: tensor<1x1024xbf16>, %w: tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>, %s: tensor<64x8xbf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{does not support the interleave layout except on the f16x2 path}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = bf16, stages = 4>} : (tensor<1x1024xbf16>, tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>, tensor<64x8xbf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// Other interleave orders are not read by any kernel yet.
func.func @interleave_other_order(%x: tensor<1x1024xf16>, %w: tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 1, 2, 3, 4, 5, 6, 7]>>, %s: tensor<64x8xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{GPU kernels read operand #1 row-major, packed or (4-bit weights) interleaved in AWQ's or the half-fragment order or sign_magnitude, not #lowbit.layout<interleave, order = [0, 1, 2, 3, 4, 5, 6, 7]>}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x1024xf16>, tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 1, 2, 3, 4, 5, 6, 7]>>, tensor<64x8xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// The GEMVs take int8 and e4m3 activations on tma_gemv's tensor cores only.
func.func @splitk_gemv_int8_activations(%x: tensor<1x1024xi8>, %xs: tensor<1x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{int8 and e4m3 activations run only on tma_gemv's tensor cores (mma = [16, 8, 16], mma_type = f16; int8 also on mma = [16, 8, 32], mma_type = i8)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<1x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>, tensor<1x1xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// Unsigned int8 activations are not taken.
func.func @tma_gemv_unsigned_activations(%x: tensor<1x1024xi8>, %xs: tensor<1x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{these quantized activations (int8 or e4m3 codes with f16, bf16 or f32 scales per token or tensor run on tma_gemv's tensor cores)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, signedness = unsigned, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>} : (tensor<1x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>, tensor<1x1xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// int8 activations are widened to f16: the mma type must say so.
func.func @tma_gemv_int8_mma_type(%x: tensor<2x1024xi8>, %xs: tensor<2x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<2x64xf32> {
  // expected-error @+1 {{but for up to 16 tokens of f16 or bf16 activations (the mma_type) or int8 or e4m3 ones (mma_type f16)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = i8, stages = 2>} : (tensor<2x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>, tensor<2x1xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// The s8 tensor cores multiply signed codes as bytes: neither unsigned
// codes with zero points, nor signed ones with zero points, nor scale
// groups shorter than a 128-code quad, nor more than 16 tokens.
func.func @tma_gemv_s8_zero_points(%x: tensor<2x1024xi8>, %xs: tensor<2x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x8xf16>, %z: tensor<64x8xi4>) -> tensor<2x64xf32> {
  // expected-error @+1 {{tma_gemv on s8 tensor cores (mma = [16, 8, 32], mma_type = i8) but for up to 16 tokens of int8 activations, signed 4-bit codes without zero points and scales per tensor, channel or group of a multiple of 128 yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) weight_zero_points(%z) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : (tensor<2x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x8xf16>, tensor<64x8xi4>, tensor<2x1xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// e4m3 activations do not run on s8.
func.func @tma_gemv_s8_fp8_activations(%x: tensor<2x1024xf8E4M3FN>, %xs: tensor<2x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<2x64xf32> {
  // expected-error @+1 {{tma_gemv on s8 tensor cores (mma = [16, 8, 32], mma_type = i8) but for up to 16 tokens of int8 activations}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : (tensor<2x1024xf8E4M3FN>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>, tensor<2x1xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

func.func @tma_gemv_s8_signed_zero_points(%x: tensor<2x1024xi8>, %xs: tensor<2x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x8xf16>, %z: tensor<64x8xi4>) -> tensor<2x64xf32> {
  // expected-error @+1 {{tma_gemv on s8 tensor cores (mma = [16, 8, 32], mma_type = i8) but for up to 16 tokens of int8 activations, signed 4-bit codes without zero points}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, zero_point = int, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) weight_zero_points(%z) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : (tensor<2x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x8xf16>, tensor<64x8xi4>, tensor<2x1xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

func.func @tma_gemv_s8_short_groups(%x: tensor<2x1024xi8>, %xs: tensor<2x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x16xf16>) -> tensor<2x64xf32> {
  // expected-error @+1 {{tma_gemv on s8 tensor cores (mma = [16, 8, 32], mma_type = i8) but for up to 16 tokens of int8 activations, signed 4-bit codes without zero points and scales per tensor, channel or group of a multiple of 128}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : (tensor<2x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x16xf16>, tensor<2x1xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

func.func @tma_gemv_s8_17_tokens(%x: tensor<17x1024xi8>, %xs: tensor<17x1xf32>, %w: tensor<64x1024xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<17x64xf32> {
  // expected-error @+1 {{the tma_gemv strategy takes at most 16 tokens (decode), not M = 17}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 2>} : (tensor<17x1024xi8>, tensor<64x1024xi4, #lowbit.layout<packed>>, tensor<64x1xf16>, tensor<17x1xf32>) -> tensor<17x64xf32>
  return %y : tensor<17x64xf32>
}

// -----

// wgmma clusters are pairs of blocks sharing one operand's tile.
func.func @wgmma_cluster_of_four(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{wgmma clusters must be [2, 1] or [1, 2] (two blocks sharing one operand's tile)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, cluster = [2, 2]>} : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

// W4A16 on wgmma: a K tile takes the scales of the groups it holds, so
// groups must divide the K tile or be whole multiples of it (groups of 384
// would straddle the second 256-code K tile).
func.func @wgmma_w4a16_groups_straddle_k_tiles(%x: tensor<256x768xbf16>, %w: tensor<256x768xi4, #lowbit.layout<packed>>, %s: tensor<256x2xbf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{the wgmma strategy does not support scale groups of 384 codes, which neither divide the K tile of 256 nor are multiples of it, yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 384, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2>} : (tensor<256x768xbf16>, tensor<256x768xi4, #lowbit.layout<packed>>, tensor<256x2xbf16>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

// With 128-code K tiles, groups of 256 are whole multiples and 64 divide;
// groups of 96 do neither.
func.func @wgmma_w4a16_groups_straddle_half_k_tiles(%x: tensor<256x768xbf16>, %w: tensor<256x768xi4, #lowbit.layout<packed>>, %s: tensor<256x8xbf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{scale groups of 96 codes, which neither divide the K tile of 128 nor are multiples of it}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 96, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 128], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 4>} : (tensor<256x768xbf16>, tensor<256x768xi4, #lowbit.layout<packed>>, tensor<256x8xbf16>) -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

func.func @gemv_tokens(%x: tensor<17x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>) -> tensor<17x256xf32> {
  // expected-error @+1 {{the splitk_gemv strategy takes at most 16 tokens (decode), not M = 17; longer products run on mma_sync or wgmma}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4>} : (tensor<17x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>) -> tensor<17x256xf32>
  return %y : tensor<17x256xf32>
}

// -----

func.func @empty_m(%x: tensor<0x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>) -> tensor<0x256xf32> {
  // expected-error @+1 {{operand #0 is empty (dimension 0 of 'tensor<0x512xf16>' is 0): GPU kernels need non-empty operands}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>} : (tensor<0x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>) -> tensor<0x256xf32>
  return %y : tensor<0x256xf32>
}

// -----

// The kernels read operands row-major, packed or interleaved: a weight in
// MMA fragment order would be read as if it were row-major.
func.func @fragment_weights(%x: tensor<1x128xf16>, %w: tensor<64x128xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>, %s: tensor<64x1xf16>) -> tensor<1x64xf16> {
  // expected-error @+1 {{GPU kernels read operand #1 row-major, packed or (4-bit weights) interleaved in AWQ's or the half-fragment order or sign_magnitude, not #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]> (not supported yet)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<1x128xf16>, tensor<64x128xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>, tensor<64x1xf16>) -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}

// -----

func.func @channel_permuted_fp8_weights(%x: tensor<256x512xf16>, %w: tensor<256x512xf8E4M3FN, #lowbit.layout<channel_permute, outliers = 4>>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{GPU kernels read operand #1 row-major, packed or (4-bit weights) interleaved in AWQ's or the half-fragment order or sign_magnitude, not #lowbit.layout<channel_permute, outliers = 4>}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) : (tensor<256x512xf16>, tensor<256x512xf8E4M3FN, #lowbit.layout<channel_permute, outliers = 4>>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}

// -----

// A grid CUDA cannot launch: K split 70000 ways on grid.y (at most 65535).
func.func @grid_past_the_limit(%x: tensor<1x512xf16>, %w: tensor<64x512xi8>, %s: tensor<64x1xf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{the kernel's grid [2, 70000, 1] exceeds CUDA's (x up to 2^31 - 1 blocks, y and z up to 65535)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4, split_k = 70000>} : (tensor<1x512xf16>, tensor<64x512xi8>, tensor<64x1xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// 3-, 5- and 6-bit codes straddle words: only splitk_gemv's streaming path
// takes them, in chunks of 32 codes (K a multiple of 32).
func.func @three_bit_k_not_whole_chunks(%x: tensor<1x1000xf16>, %w: tensor<64x1000xi3, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf16> {
  // expected-error @+1 {{does not support 3-bit codes but on splitk_gemv's streaming path (K and the scale group a multiple of 32, activations of whole 16-byte vectors) yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i3, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<1x1000xf16>, tensor<64x1000xi3, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}

// -----

func.func @five_bit_group_splits_a_chunk(%x: tensor<1x1024xf16>, %w: tensor<64x1024xi5, #lowbit.layout<packed>>, %s: tensor<64x64xf16>) -> tensor<1x64xf16> {
  // expected-error @+1 {{does not support 5-bit codes but on splitk_gemv's streaming path}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i5, granularity = per_group, axis = 1, group_size = 16> weight_scales(%s) : (tensor<1x1024xf16>, tensor<64x1024xi5, #lowbit.layout<packed>>, tensor<64x64xf16>) -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}

// -----

func.func @three_bit_on_tma_gemv(%x: tensor<1x1024xf16>, %w: tensor<64x1024xi3, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<1x64xf16> {
  // expected-error @+1 {{does not support 3-bit codes but on splitk_gemv's streaming path}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i3, granularity = per_channel, axis = 0> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 8], mma = [1, 1, 1], mma_type = f16, stages = 4>} : (tensor<1x1024xf16>, tensor<64x1024xi3, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}

// -----

func.func @three_bit_prefill(%x: tensor<64x1024xf16>, %w: tensor<64x1024xi3, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<64x64xf16> {
  // expected-error @+1 {{the mma_sync strategy does not support the weights}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i3, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<64x1024xf16>, tensor<64x1024xi3, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<64x64xf16>
  return %y : tensor<64x64xf16>
}

// -----

// Interleaved 8-bit codes are read by no kernel: an error, not bytes read
// as if row-major (mma_sync's e4m3 weights did not check their layout).
func.func @interleave_fp8_weights(%x: tensor<128x256xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x256xf8E4M3FN, #lowbit.layout<interleave, order = [1, 0, 3, 2]>>, %s: tensor<1x1xf32>) -> tensor<128x128xbf16> {
  // expected-error @+1 {{GPU kernels read operand #1 row-major, packed or (4-bit weights) interleaved in AWQ's or the half-fragment order or sign_magnitude, not #lowbit.layout<interleave, order = [1, 0, 3, 2]> (not supported yet)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], warp = [64, 32], mma = [16, 8, 32], mma_type = f8E4M3FN, stages = 4>} : (tensor<128x256xf8E4M3FN>, tensor<128x256xf8E4M3FN, #lowbit.layout<interleave, order = [1, 0, 3, 2]>>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<128x128xbf16>
  return %y : tensor<128x128xbf16>
}

// -----

// An interleave order no kernel reads (codes 4q + j and 16 + 4q + j of a
// 32-code group in byte 4q + j's nibbles) is an error.
func.func @byte_fragment_order(%x: tensor<256x1024xbf16>, %w: tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31]>>, %s: tensor<128x1xbf16>) -> tensor<256x128xbf16> {
  // expected-error @+1 {{GPU kernels read operand #1 row-major, packed or (4-bit weights) interleaved in AWQ's or the half-fragment order or sign_magnitude, not #lowbit.layout<interleave, order = [0, 16, 1, 17,}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true>} : (tensor<256x1024xbf16>, tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31]>>, tensor<128x1xbf16>) -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}

// -----

// Weights in the half-fragment order are read by the wgmma W4A16 kernels
// and, as AWQ's order, by the GEMVs' f16x2 path and tma_gemv's tensor
// cores; the split-K GEMV's CUDA-core bf16 path refuses them rather than
// reading the words as packed.
func.func @half_fragment_order_gemv(%x: tensor<1x1024xbf16>, %w: tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<64x8xbf16>) -> tensor<1x64xf32> {
  // expected-error @+1 {{does not support the interleave layout except on the f16x2 path}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 16], mma_type = bf16, stages = 4>} : (tensor<1x1024xbf16>, tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<64x8xbf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// mma_sync refuses them too.
func.func @half_fragment_order_mma_sync(%x: tensor<128x1024xbf16>, %w: tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<128x8xbf16>) -> tensor<128x128xbf16> {
  // expected-error @+1 {{the mma_sync strategy does not support the weights}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = bf16, stages = 4>} : (tensor<128x1024xbf16>, tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<128x8xbf16>) -> tensor<128x128xbf16>
  return %y : tensor<128x128xbf16>
}

// -----

// ... and so does W4A8 on wgmma, which reads its weights packed.
func.func @half_fragment_order_w4a8_wgmma(%x: tensor<256x1024xi8>, %xs: tensor<256x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<128x1xf32>) -> tensor<256x128xbf16> {
  // expected-error @+1 {{the wgmma strategy does not support weight layouts other than row-major bytes, packed or (W4A8 e4m3) sign_magnitude yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true>} : (tensor<256x1024xi8>, tensor<128x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<128x1xf32>, tensor<256x1xf32>) -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}

// -----

// The sign_magnitude layout holds e4m3 bytes: W4A8 with int8 activations
// reads its weights packed.
func.func @sign_magnitude_int8_activations(%x: tensor<256x1024xi8>, %xs: tensor<256x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf32>) -> tensor<256x128xbf16> {
  // expected-error @+1 {{the wgmma strategy does not support sign_magnitude weights with activations other than e4m3 yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true>} : (tensor<256x1024xi8>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf32>, tensor<256x1xf32>) -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}

// -----

// Only wgmma and tma_gemv read the layout: the other strategies refuse it
// rather than reading the bytes as packed codes.
func.func @sign_magnitude_gemv(%x: tensor<1x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{sign_magnitude weights are read by the wgmma strategy (W4A8 e4m3 on sm_90a) and tma_gemv's tensor cores (e4m3 activations) only, not by splitk_gemv}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], warp = [16, 8], mma = [16, 8, 32], mma_type = f8E4M3FN, stages = 4>} : (tensor<1x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf32>, tensor<1x1xf32>) -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// tma_gemv's tensor cores read the layout with a scale per 128-code quad:
// groups of 32 would scale code / 512 in f16 (rounded).
func.func @sign_magnitude_tma_gemv_short_groups(%x: tensor<1x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x32xf16>) -> tensor<1x128xf32> {
  // expected-error @+1 {{GPU code generation does not support sign_magnitude weights on the GEMVs but on tma_gemv's tensor cores (mma = [16, 8, 16], mma_type = f16) with e4m3 activations, signed codes without zero points and scales per tensor, channel or group of a multiple of 128 yet}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32, scale_type = f16> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>} : (tensor<1x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x32xf16>, tensor<1x1xf32>) -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// setmaxnreg.dec lowers the producer's registers: it cannot keep more than
// the block is launched with (65536 / 384 threads: 168).
func.func @producer_registers_above_launch(%x: tensor<256x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf32>) -> tensor<256x128xbf16> {
  // expected-error @+1 {{producer_registers = 176 is more than the 168 registers per thread this block is launched with}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, producer_registers = 176>} : (tensor<256x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf32>, tensor<1x1xf32>) -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}

// -----

// Integer activations other than 8 or 4 bits: said as such (the rules built
// a K tile of 512 / 6 codes, and the error blamed the mma shape).
func.func @six_bit_activations(%x: tensor<1x512xi6>, %w: tensor<128x512xi4>, %s: tensor<128x1xf16>, %xs: tensor<1x1xf32>) -> tensor<1x128xf32> {
  // expected-error @+1 {{GPU kernels take integer activations of 8 bits (W8A8, W4A8) or 4 bits (W4A4), not 6}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i6, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x512xi6>, tensor<128x512xi4>, tensor<128x1xf16>, tensor<1x1xf32>) -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// Packed rows that end inside a byte: the error names K (it said the codes
// or the layout were unsupported, and listed packed i2 as supported).
func.func @packed_rows_of_part_bytes(%x: tensor<1x34xf16>, %w: tensor<64x34xi2, #lowbit.layout<packed>>, %s: tensor<1x1xf16>) -> tensor<1x64xf16> {
  // expected-error @+1 {{does not support packed 2-bit rows of K = 34 codes (rows of whole bytes: K a multiple of 4)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i2> weight_scales(%s) : (tensor<1x34xf16>, tensor<64x34xi2, #lowbit.layout<packed>>, tensor<1x1xf16>) -> tensor<1x64xf16>
  return %y : tensor<1x64xf16>
}

// -----

// 4-bit weights without a layout: the error says which layout to give, on
// the GEMV and on mma_sync.
func.func @unpacked_four_bit_decode(%x: tensor<1x256xf16>, %w: tensor<128x256xi4>, %s: tensor<128x2xf16>) -> tensor<1x128xf16> {
  // expected-error @+1 {{does not support 4-bit weights without a layout (give the weight type #lowbit.layout<packed>: codes packed along K)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x256xf16>, tensor<128x256xi4>, tensor<128x2xf16>) -> tensor<1x128xf16>
  return %y : tensor<1x128xf16>
}

// -----

func.func @unpacked_four_bit_prefill(%x: tensor<64x256xf16>, %w: tensor<128x256xi4>, %s: tensor<128x2xf16>) -> tensor<64x128xf16> {
  // expected-error @+1 {{the mma_sync strategy does not support 4-bit weights without a layout (give the weight type #lowbit.layout<packed>: codes packed along K)}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<64x256xf16>, tensor<128x256xi4>, tensor<128x2xf16>) -> tensor<64x128xf16>
  return %y : tensor<64x128xf16>
}

// -----

// A product inside device code has nothing to launch it from (it ended in
// "failed to legalize operation 'func.func'").
module attributes {gpu.container_module} {
  gpu.module @dev {
    func.func @inside_a_gpu_module(%x: tensor<16x256xf16>, %w: tensor<256x256xi8>, %s: tensor<256x1xf16>) -> tensor<16x256xf16> {
      // expected-error @+1 {{is inside gpu.module @dev: lowbit products are host-level ops, each lowered to a kernel of its own}}
      %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<16x256xf16>, tensor<256x256xi8>, tensor<256x1xf16>) -> tensor<16x256xf16>
      return %y : tensor<16x256xf16>
    }
  }
}

// -----

// The kernels' module name is taken (it failed as a redefinition, pointed
// at the product).
module attributes {gpu.container_module} {
  // expected-error @+1 {{the symbol name 'lowbit_kernels' is the module lowbit's GPU kernels go into; rename this gpu.module}}
  gpu.module @lowbit_kernels {
  }
  func.func @kernels_name_taken(%x: tensor<16x256xf16>, %w: tensor<256x256xi8>, %s: tensor<256x1xf16>) -> tensor<16x256xf16> {
    %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<16x256xf16>, tensor<256x256xi8>, tensor<256x1xf16>) -> tensor<16x256xf16>
    return %y : tensor<16x256xf16>
  }
}

// -----

// Dimensions past TMA's 2^32 (M = 2^63 - 1 compiled a kernel whose tensor
// map spanned 2^63 rows, its byte size overflowing 64 bits).
func.func @m_past_two_to_the_32(%x: tensor<9223372036854775807x256xf16>, %w: tensor<256x256xi8>, %s: tensor<256x1xf16>) -> tensor<9223372036854775807x256xf16> {
  // expected-error @+1 {{operand #0 has dimension 0 of 9223372036854775807 ('tensor<9223372036854775807x256xf16>'): GPU kernels take dimensions below 2^32}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<9223372036854775807x256xf16>, tensor<256x256xi8>, tensor<256x1xf16>) -> tensor<9223372036854775807x256xf16>
  return %y : tensor<9223372036854775807x256xf16>
}

// -----

func.func @more_than_two_to_the_40_elements(%x: tensor<1x4294967295xf16>, %w: tensor<65536x4294967295xi8>, %s: tensor<65536x1xf16>) -> tensor<1x65536xf16> {
  // expected-error @+1 {{operand #1 ('tensor<65536x4294967295xi8>') has more than 2^40 elements: too large for a GPU kernel}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<1x4294967295xf16>, tensor<65536x4294967295xi8>, tensor<65536x1xf16>) -> tensor<1x65536xf16>
  return %y : tensor<1x65536xf16>
}
