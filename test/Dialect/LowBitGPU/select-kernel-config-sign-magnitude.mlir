// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a | FileCheck %s

// Weights in the sign_magnitude layout are read by wgmma's W4A8 e4m3
// kernels only: from one token on, on the 8-token tile (tma_gemv reads
// packed weights), and past that as packed weights would be.
// CHECK-LABEL: func @w4a8_fp8_sign_magnitude
// CHECK: #lowbit_gpu.config<strategy = wgmma, block = [8, 128, 256], warp = [8, 64], mma = [8, 64, 32], mma_type = f8E4M3FN, stages = 6, persistent = true, stream_k = true>
// CHECK: #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, stream_k = true>
func.func @w4a8_fp8_sign_magnitude(%x1: tensor<1x8192xf8E4M3FN>, %x: tensor<1024x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<8192x1xf32>) -> (tensor<1x8192xbf16>, tensor<1024x8192xbf16>) {
  %y1 = lowbit.matmul %x1, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xbf16>
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1024x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1024x8192xbf16>
  return %y1, %y : tensor<1x8192xbf16>, tensor<1024x8192xbf16>
}
