// A function that returns part of its matmul's result: lowbit-run --gpu
// compares the kernel's result with the function's, so this is an error.
func.func @sliced(%x: tensor<16x256xf16>, %w: tensor<64x256xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<4x64xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<16x64xf32>
  %r = tensor.extract_slice %y[0, 0] [4, 64] [1, 1] : tensor<16x64xf32> to tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}
