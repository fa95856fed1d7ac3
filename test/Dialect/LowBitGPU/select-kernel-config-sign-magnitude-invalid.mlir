// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a -verify-diagnostics -o /dev/null
// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_89 -verify-diagnostics -o /dev/null

// Where neither wgmma's W4A8 e4m3 kernels nor tma_gemv's tensor cores can
// take sign_magnitude weights the selector says so, rather than picking a
// kernel that refuses them: on sm_89 (every function here), and on sm_90a
// with group scales past 16 tokens (wgmma takes scales per channel or
// tensor, tma_gemv up to 16 tokens),
func.func @groups(%x: tensor<32x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x8xf32>) -> tensor<32x128xbf16> {
  // expected-error @+1 {{sign_magnitude weights run on wgmma's W4A8 e4m3 kernels (sm_90a, a static M, e4m3 activations with per-token or per-tensor scales, weight scales per channel or per tensor without zero points) and, up to 16 tokens, on tma_gemv's tensor cores (sm_90 or newer, also weight scales per group of a multiple of 128): neither takes this product (target sm_}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<32x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x8xf32>, tensor<1x1xf32>) -> tensor<32x128xbf16>
  return %y : tensor<32x128xbf16>
}

// -----

// groups of fewer than 128 codes at any M,
func.func @short_groups(%x: tensor<1x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x32xf16>) -> tensor<1x128xf32> {
  // expected-error @+1 {{sign_magnitude weights run on wgmma's W4A8 e4m3 kernels}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32, scale_type = f16> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<1x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x32xf16>, tensor<1x1xf32>) -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// a dynamic M,
func.func @dynamic_m(%x: tensor<?x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf32>) -> tensor<?x128xbf16> {
  // expected-error @+1 {{sign_magnitude weights run on wgmma's W4A8 e4m3 kernels}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<?x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf32>, tensor<1x1xf32>) -> tensor<?x128xbf16>
  return %y : tensor<?x128xbf16>
}

// -----

// and f16 activations.
func.func @real_activations(%x: tensor<16x1024xf16>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf16>) -> tensor<16x128xf16> {
  // expected-error @+1 {{sign_magnitude weights run on wgmma's W4A8 e4m3 kernels}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<16x1024xf16>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf16>) -> tensor<16x128xf16>
  return %y : tensor<16x128xf16>
}
