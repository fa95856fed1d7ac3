// The products of lowbit-run's dynamic-results.test, each twice: with static
// result shapes and with every result dim dynamic (?x?), so that the sizes
// come from the operands. Their N is not their K, nor their M. Every
// product also compiles for the GPU.
#w4g128 = #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                        granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
#bipolar = #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1,
                         group_size = 128>

func.func @matmul_static(%x: tensor<3x256xbf16>, %w: tensor<48x256xi4, #lowbit.layout<packed>>, %s: tensor<48x2xbf16>,
                         %z: tensor<48x2xi4>) -> tensor<3x48xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #w4g128 weight_scales(%s) weight_zero_points(%z)
      : (tensor<3x256xbf16>, tensor<48x256xi4, #lowbit.layout<packed>>, tensor<48x2xbf16>, tensor<48x2xi4>)
      -> tensor<3x48xf32>
  return %y : tensor<3x48xf32>
}
func.func @matmul_dynamic(%x: tensor<3x256xbf16>, %w: tensor<48x256xi4, #lowbit.layout<packed>>, %s: tensor<48x2xbf16>,
                          %z: tensor<48x2xi4>) -> tensor<?x?xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #w4g128 weight_scales(%s) weight_zero_points(%z)
      : (tensor<3x256xbf16>, tensor<48x256xi4, #lowbit.layout<packed>>, tensor<48x2xbf16>, tensor<48x2xi4>)
      -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Input planes [P, M, K], weight planes [Q, N, K].
func.func @bitplane_static(%a: tensor<2x5x64xi1>, %w: tensor<3x24x64xi1>) -> tensor<5x24xi32> {
  %y = lowbit.bitplane_matmul %a, %w : tensor<2x5x64xi1>, tensor<3x24x64xi1> -> tensor<5x24xi32>
  return %y : tensor<5x24xi32>
}
func.func @bitplane_dynamic(%a: tensor<2x5x64xi1>, %w: tensor<3x24x64xi1>) -> tensor<?x?xi32> {
  %y = lowbit.bitplane_matmul %a, %w : tensor<2x5x64xi1>, tensor<3x24x64xi1> -> tensor<?x?xi32>
  return %y : tensor<?x?xi32>
}

// Tables [M, K / g, 2^(g-1)], weight indices [P, N, K / g].
func.func @lut_static(%t: tensor<4x64x8xf16>, %w: tensor<2x40x64xi4>, %s: tensor<40x2xf16>)
    -> tensor<4x40xf16> {
  %y = lowbit.lut_matmul %t, %w weight_scheme #bipolar scales(%s) {group_size = 4, symmetric}
      : (tensor<4x64x8xf16>, tensor<2x40x64xi4>, tensor<40x2xf16>) -> tensor<4x40xf16>
  return %y : tensor<4x40xf16>
}
func.func @lut_dynamic(%t: tensor<4x64x8xf16>, %w: tensor<2x40x64xi4>, %s: tensor<40x2xf16>)
    -> tensor<?x?xf16> {
  %y = lowbit.lut_matmul %t, %w weight_scheme #bipolar scales(%s) {group_size = 4, symmetric}
      : (tensor<4x64x8xf16>, tensor<2x40x64xi4>, tensor<40x2xf16>) -> tensor<?x?xf16>
  return %y : tensor<?x?xf16>
}

// Tables [M, K / g, 2^(g-1)] and bit planes [P, ...] (not kernels: no
// manifest entries).
func.func @lut_build_static(%x: tensor<3x64xf16>) -> tensor<3x16x8xf16> {
  %t = lowbit.lut_build %x {group_size = 4, symmetric} : tensor<3x64xf16> -> tensor<3x16x8xf16>
  return %t : tensor<3x16x8xf16>
}
func.func @lut_build_dynamic(%x: tensor<3x64xf16>) -> tensor<?x?x?xf16> {
  %t = lowbit.lut_build %x {group_size = 4, symmetric} : tensor<3x64xf16> -> tensor<?x?x?xf16>
  return %t : tensor<?x?x?xf16>
}

func.func @decompose_static(%w: tensor<5x64x!lowbit.bipolar<3>>) -> tensor<3x5x64xi1> {
  %p = lowbit.bitplane_decompose %w : tensor<5x64x!lowbit.bipolar<3>> -> tensor<3x5x64xi1>
  return %p : tensor<3x5x64xi1>
}
func.func @decompose_dynamic(%w: tensor<?x64x!lowbit.bipolar<3>>) -> tensor<3x?x64xi1> {
  %p = lowbit.bitplane_decompose %w : tensor<?x64x!lowbit.bipolar<3>> -> tensor<3x?x64xi1>
  return %p : tensor<3x?x64xi1>
}
