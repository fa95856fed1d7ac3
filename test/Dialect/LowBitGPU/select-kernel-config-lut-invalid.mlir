// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a -verify-diagnostics -o /dev/null

// The lut strategy's config covers every token and all of K: a LUT product
// of dynamic shape has none (the selector says so, not an invalid config).
func.func @dynamic_tokens(%t: tensor<?x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<64x1xf16>) -> tensor<?x64xf16> {
  // expected-error @+1 {{the lut strategy needs static shapes}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<?x64x8xf16>, tensor<2x64x64xi4>, tensor<64x1xf16>) -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// -----

func.func @dynamic_scales(%t: tensor<4x64x8xf16>, %w: tensor<2x64x64xi4>, %s: tensor<?x1xf16>) -> tensor<4x64xf16> {
  // expected-error @+1 {{the lut strategy needs static shapes}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<4x64x8xf16>, tensor<2x64x64xi4>, tensor<?x1xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}
