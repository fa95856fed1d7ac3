// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a | FileCheck %s

// Weights in the sign_magnitude layout on 8192 x 8192: up to 8 tokens on
// tma_gemv's tensor cores (as packed weights: 2 slots at one token, 3 from
// 2 to 8), 16 tokens on wgmma's 16-token tile where its grid fills the SMs
// (scales per channel) and on tma_gemv with scales per group of 128 (which
// wgmma's W4A8 e4m3 does not take), and past that on wgmma as packed
// weights would be.
// CHECK-LABEL: func @w4a8_fp8_sign_magnitude
// CHECK: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// CHECK: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>
// CHECK: #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = f8E4M3FN, stages = 6, persistent = true, stream_k = true>
// CHECK: #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>
// CHECK: #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, stream_k = true>
func.func @w4a8_fp8_sign_magnitude(%x1: tensor<1x8192xf8E4M3FN>, %x8: tensor<8x8192xf8E4M3FN>, %x16: tensor<16x8192xf8E4M3FN>, %x: tensor<1024x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<8192x1xf32>, %sg: tensor<8192x64xf32>) -> (tensor<1x8192xbf16>, tensor<8x8192xbf16>, tensor<16x8192xbf16>, tensor<16x8192xbf16>, tensor<1024x8192xbf16>) {
  %y1 = lowbit.matmul %x1, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xbf16>
  %y8 = lowbit.matmul %x8, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<8x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<8x8192xbf16>
  %y16 = lowbit.matmul %x16, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<16x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<16x8192xbf16>
  %g16 = lowbit.matmul %x16, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%sg) input_scales(%xs) : (tensor<16x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x64xf32>, tensor<1x1xf32>) -> tensor<16x8192xbf16>
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1024x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1024x8192xbf16>
  return %y1, %y8, %y16, %g16, %y : tensor<1x8192xbf16>, tensor<8x8192xbf16>, tensor<16x8192xbf16>, tensor<16x8192xbf16>, tensor<1024x8192xbf16>
}
