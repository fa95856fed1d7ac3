// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_89 | FileCheck %s --check-prefix=SM89
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a | FileCheck %s --check-prefix=SM90A
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_80 -verify-diagnostics -o /dev/null

// W4A8 with fp8 activations: e4m3 MMA from sm_89 on; sm_80 has no FP8 tensor
// cores and says so.
// SM89-LABEL: func @w4a8_fp8
// SM89: #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], warp = [64, 32], mma = [16, 8, 32], mma_type = f8E4M3FN, stages = 4>
// SM90A-LABEL: func @w4a8_fp8
// SM90A: #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], warp = [64, 32], mma = [16, 8, 32], mma_type = f8E4M3FN, stages = 4>
func.func @w4a8_fp8(%x: tensor<1024x8192xf8E4M3FN>, %xs: tensor<1024x1xf32>, %w: tensor<8192x8192xi4>, %s: tensor<8192x64xf16>) -> tensor<1024x8192xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1024x8192xf8E4M3FN>, tensor<8192x8192xi4>, tensor<8192x64xf16>, tensor<1024x1xf32>) -> tensor<1024x8192xbf16>
  return %y : tensor<1024x8192xbf16>
}

// -----

// W4A8 decode with e4m3 activations (1 to 16 tokens): tma_gemv on tensor
// cores from sm_90 on, the activations widened to f16 (mma_type = f16), u4
// codes with zero points and groups of 128 included.
// SM90A-LABEL: func @w4a8_fp8_decode_groups
// SM90A: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
func.func @w4a8_fp8_decode_groups(%x: tensor<16x4096xf8E4M3FN>, %xs: tensor<16x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x32xf16>, %z: tensor<4096x32xi4>) -> tensor<16x4096xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) weight_zero_points(%z) input_scales(%xs) : (tensor<16x4096xf8E4M3FN>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x32xf16>, tensor<4096x32xi4>, tensor<16x1xf32>) -> tensor<16x4096xbf16>
  return %y : tensor<16x4096xbf16>
}

// -----

// Past 16 tokens: the wgmma kernel.
// SM90A-LABEL: func @w4a8_fp8_17_tokens
// SM90A: strategy = wgmma
func.func @w4a8_fp8_17_tokens(%x: tensor<17x4096xf8E4M3FN>, %xs: tensor<17x1xf32>, %w: tensor<4096x4096xi4, #lowbit.layout<packed>>, %s: tensor<4096x1xf16>) -> tensor<17x4096xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<17x4096xf8E4M3FN>, tensor<4096x4096xi4, #lowbit.layout<packed>>, tensor<4096x1xf16>, tensor<17x1xf32>) -> tensor<17x4096xbf16>
  return %y : tensor<17x4096xbf16>
}

// -----

// Packed s4 weights with e4m3 activations on sm_90a: 128 tokens per tile at
// M = 1024, 192 (3 stages: 64 KiB per stage) from M = 4096.
// SM90A-LABEL: func @w4a8_fp8_wgmma_1024_tokens
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, stream_k = true>
func.func @w4a8_fp8_wgmma_1024_tokens(%x: tensor<1024x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x1xf32>) -> tensor<1024x8192xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1024x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1024x8192xbf16>
  return %y : tensor<1024x8192xbf16>
}

// -----

// SM90A-LABEL: func @w4a8_fp8_wgmma_4096_tokens
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 3, persistent = true, stream_k = true>
func.func @w4a8_fp8_wgmma_4096_tokens(%x: tensor<4096x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x1xf32>) -> tensor<4096x8192xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<4096x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}

// -----

// FP8 on sm_90a: 128 x 192 tiles, 4 stages beside two staging buffers per
// consumer, stream-K. sm_89 runs it on mma_sync.
// SM89-LABEL: func @fp8_prefill
// SM89: strategy = mma_sync
// SM90A-LABEL: func @fp8_prefill
// SM90A: #lowbit_gpu.config<strategy = wgmma, block = [128, 192, 128], warp = [64, 192], mma = [64, 192, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, stream_k = true>
func.func @fp8_prefill(%x: tensor<4096x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xf8E4M3FN>, %s: tensor<1x1xf32>) -> tensor<4096x8192xbf16> {
  // expected-error @+1 {{fp8 activations need sm_89 or newer, target is sm_80}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<4096x8192xf8E4M3FN>, tensor<8192x8192xf8E4M3FN>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}

