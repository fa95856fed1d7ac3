// 8448 = 132 x 64 weight rows: the 8192 x 8192 decode case on a layer whose row tiles divide
// evenly over the H100's 132 SMs (how much the uneven 8192 costs).
func.func @decode(%x: tensor<1x8192xf16>, %w: tensor<8448x8192xi4, #lowbit.layout<packed>>,
                  %s: tensor<8448x64xf16>, %z: tensor<8448x64xi4>) -> tensor<1x8448xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z) 
      : (tensor<1x8192xf16>, tensor<8448x8192xi4, #lowbit.layout<packed>>,
         tensor<8448x64xf16>, tensor<8448x64xi4>) -> tensor<1x8448xf32>
  return %y : tensor<1x8448xf32>
}
