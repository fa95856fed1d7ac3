// The W3A16 layer a 3-bit GPTQ checkpoint becomes (lowbit-import's output).
func.func @layer(%x: tensor<2x256xf16>, %w: tensor<32x256xi3>, %s: tensor<32x4xf16>,
                 %z: tensor<32x4xi3>) -> tensor<2x32xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i3, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 64>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<2x256xf16>, tensor<32x256xi3>, tensor<32x4xf16>, tensor<32x4xi3>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}
