// 8448 = 132 x 64 weight rows: the 8192 x 8192 decode case on a layer whose row tiles divide
// evenly over the H100's 132 SMs (how much the uneven 8192 costs).
func.func @decode(%x: tensor<1x8192xi8>, %xs: tensor<1x1xf32>,
                  %w: tensor<8448x8192xi4, #lowbit.layout<packed>>,
                  %s: tensor<8448x1xf16>) -> tensor<1x8448xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0,
                                 scale_type = f32>
      weight_scales(%s)  input_scales(%xs) 
      : (tensor<1x8192xi8>, tensor<8448x8192xi4, #lowbit.layout<packed>>,
         tensor<8448x1xf16>, tensor<1x1xf32>) -> tensor<1x8448xf32>
  return %y : tensor<1x8448xf32>
}
