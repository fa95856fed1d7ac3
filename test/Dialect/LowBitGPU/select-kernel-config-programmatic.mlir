// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a | FileCheck %s
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config="target=sm_90a programmatic-launch=true" | FileCheck %s --check-prefix=OPTION

// Launched plainly (no attribute, no option): one e4m3 token keeps 2 slots,
// which run 1.02-1.06x faster there. With the option the pass records it on
// the module and takes 4.
// CHECK-NOT: programmatic_launch
// CHECK-LABEL: func @plain
// CHECK: mma_type = f16, stages = 2>
// OPTION: module attributes {lowbit_gpu.programmatic_launch
// OPTION: func @plain
// OPTION: mma_type = f16, stages = 4>
func.func @plain(%x1: tensor<1x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x1xf32>) -> tensor<1x8192xf32> {
  %e = lowbit.matmul %x1, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xf32>
  return %e : tensor<1x8192xf32>
}

// -----

// Kernels that will be launched programmatically (the module's
// lowbit_gpu.programmatic_launch, or the pass option): one e4m3 token takes
// tma_gemv with 4 ring slots instead of 2, on packed and sign_magnitude
// weights; 8 e4m3 tokens and one int8 or bf16 token keep their rings.
// CHECK-LABEL: module attributes {lowbit_gpu.programmatic_launch
// CHECK: func @programmatic
// CHECK: mma_type = f16, stages = 4>
// CHECK: mma_type = f16, stages = 4>
// CHECK: mma_type = f16, stages = 3>
// CHECK: mma_type = i8, stages = 2>
// CHECK: mma_type = bf16, stages = 2>
module attributes {lowbit_gpu.programmatic_launch} {
func.func @programmatic(%x1: tensor<1x8192xf8E4M3FN>, %x8: tensor<8x8192xf8E4M3FN>, %xi: tensor<1x8192xi8>, %xb: tensor<1x8192xbf16>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %wsm: tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<8192x1xf32>, %sb: tensor<8192x1xbf16>) -> (tensor<1x8192xf32>, tensor<1x8192xf32>, tensor<8x8192xf32>, tensor<1x8192xf32>, tensor<1x8192xbf16>) {
  %e = lowbit.matmul %x1, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xf32>
  %esm = lowbit.matmul %x1, %wsm weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<sign_magnitude>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xf32>
  %e8 = lowbit.matmul %x8, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<8x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<8x8192xf32>
  %i = lowbit.matmul %xi, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xi8>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xf32>
  %b = lowbit.matmul %xb, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16> weight_scales(%sb) : (tensor<1x8192xbf16>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xbf16>) -> tensor<1x8192xbf16>
  return %e, %esm, %e8, %i, %b : tensor<1x8192xf32>, tensor<1x8192xf32>, tensor<8x8192xf32>, tensor<1x8192xf32>, tensor<1x8192xbf16>
}
}

// -----

// The attribute on an enclosing module counts for the modules inside it.
// CHECK-LABEL: func @nested
// CHECK: mma_type = f16, stages = 4>
module attributes {lowbit_gpu.programmatic_launch} {
module {
func.func @nested(%x1: tensor<1x8192xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<8192x8192xi4, #lowbit.layout<packed>>, %s: tensor<8192x1xf32>) -> tensor<1x8192xf32> {
  %e = lowbit.matmul %x1, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x8192xf8E4M3FN>, tensor<8192x8192xi4, #lowbit.layout<packed>>, tensor<8192x1xf32>, tensor<1x1xf32>) -> tensor<1x8192xf32>
  return %e : tensor<1x8192xf32>
}
}
}
