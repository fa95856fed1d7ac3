// Functions whose result is not their matmul's on their arguments as they
// are: lowbit-run --gpu would compare the kernel with something else.
func.func @scaled_result(%x: tensor<16x256xf16>, %w: tensor<64x256xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<16x64xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<16x64xf32>
  %r = arith.addf %y, %y : tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

func.func @negated_input(%x: tensor<16x256xf16>, %w: tensor<64x256xi4, #lowbit.layout<packed>>, %s: tensor<64x1xf16>) -> tensor<16x64xf32> {
  %n = arith.negf %x : tensor<16x256xf16>
  %y = lowbit.matmul %n, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4, #lowbit.layout<packed>>, tensor<64x1xf16>) -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// Another lowbit op's result beside a matmul whose result goes unused.
func.func @dequantized_weight(%x: tensor<16x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x1xf16>) -> tensor<64x256xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4>, tensor<64x1xf16>) -> tensor<16x64xf32>
  %d = lowbit.dequantize %w as #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> scales(%s) : (tensor<64x256xi4>, tensor<64x1xf16>) -> tensor<64x256xf16>
  return %d : tensor<64x256xf16>
}
