// Function names PTX cannot spell: MLIR symbols take any character.
func.func @"my-layer.v2"(%x: tensor<1x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x4xf16>) -> tensor<1x256xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<1x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x4xf16>) -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}

func.func @"7b"(%x: tensor<1x512xf16>, %w: tensor<256x512xi8>, %s: tensor<256x1xf16>) -> tensor<1x256xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<1x512xf16>, tensor<256x512xi8>, tensor<256x1xf16>) -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}
