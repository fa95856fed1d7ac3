// One function per op and format family, static shapes, for lowbit-run --seed.
func.func @quantize_formats(%x: tensor<4x64xf32>, %s: tensor<4x2xf32>, %z: tensor<4x2xi3>,
                            %c: tensor<4x1xf32>, %e: tensor<4x2xf8E8M0FNU>, %g: tensor<4x2xi8>, %o: tensor<4x1xf16>)
    -> (tensor<4x64xi3>, tensor<4x64xf8E5M2>, tensor<4x64xf6E3M2FN>, tensor<4x64xf4E2M1FN>, tensor<4x64xi4>, tensor<4x64x!lowbit.bipolar<2>>, tensor<4x64xi4>) {
  %a = lowbit.quantize %x as #lowbit.quant<storage = i3, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 32, scale_type = f32> scales(%s) zero_points(%z) : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi3>) -> tensor<4x64xi3>
  %b = lowbit.quantize %x as #lowbit.quant<storage = f8E5M2, granularity = per_channel, axis = 0, scale_type = f32> scales(%c) : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf8E5M2>
  %d = lowbit.quantize %x as #lowbit.quant<storage = f6E3M2FN, granularity = per_channel, axis = 0, scale_type = f32> scales(%c) : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf6E3M2FN>
  %f = lowbit.quantize %x as #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> scales(%e) : (tensor<4x64xf32>, tensor<4x2xf8E8M0FNU>) -> tensor<4x64xf4E2M1FN>
  %n = lowbit.quantize %x as #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_channel, axis = 0, scale_type = f32, codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0, 0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]> scales(%c) : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xi4>
  %p = lowbit.quantize %x as #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0, scale_type = f32> scales(%c) : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64x!lowbit.bipolar<2>>
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 32, scale_type = i8, outer_scale_type = f16> scales(%g) outer_scales(%o) : (tensor<4x64xf32>, tensor<4x2xi8>, tensor<4x1xf16>) -> tensor<4x64xi4>
  return %a, %b, %d, %f, %n, %p, %q : tensor<4x64xi3>, tensor<4x64xf8E5M2>, tensor<4x64xf6E3M2FN>, tensor<4x64xf4E2M1FN>, tensor<4x64xi4>, tensor<4x64x!lowbit.bipolar<2>>, tensor<4x64xi4>
}

func.func @block_scales(%q: tensor<64x64xi2>, %s: tensor<2x2xbf16>) -> tensor<64x64xbf16> {
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i2, granularity = per_block, block = [32, 32], scale_type = bf16> scales(%s) : (tensor<64x64xi2>, tensor<2x2xbf16>) -> tensor<64x64xbf16>
  return %d : tensor<64x64xbf16>
}

func.func @comet_w4a8(%x: tensor<8x64xi8, #lowbit.layout<mixed_4_8, block = [8, 32]>>, %xs: tensor<8x1xf16>,
                      %w: tensor<16x64xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>, %ws: tensor<16x1xf16>) -> tensor<8x16xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%ws) input_scales(%xs) : (tensor<8x64xi8, #lowbit.layout<mixed_4_8, block = [8, 32]>>, tensor<16x64xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>, tensor<16x1xf16>, tensor<8x1xf16>) -> tensor<8x16xf16>
  return %y : tensor<8x16xf16>
}

func.func @fp8_bf16(%x: tensor<4x64xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<16x64xf8E4M3FN>, %ws: tensor<1x1xf32>) -> tensor<4x16xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32> weight_scales(%ws) input_scales(%xs) : (tensor<4x64xf8E4M3FN>, tensor<16x64xf8E4M3FN>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<4x16xbf16>
  return %y : tensor<4x16xbf16>
}

func.func @bitplanes_and_lut(%a: tensor<4x64x!lowbit.bipolar<2>>, %w: tensor<8x64x!lowbit.bipolar<3>>, %x: tensor<4x64xbf16>, %idx: tensor<3x8x16xi4>, %s: tensor<8x2xf16>) -> (tensor<4x8xi32>, tensor<4x8xbf16>) {
  %ap = lowbit.bitplane_decompose %a : tensor<4x64x!lowbit.bipolar<2>> -> tensor<2x4x64xi1>
  %wp = lowbit.bitplane_decompose %w : tensor<8x64x!lowbit.bipolar<3>> -> tensor<3x8x64xi1>
  %c = lowbit.bitplane_matmul %ap, %wp : tensor<2x4x64xi1>, tensor<3x8x64xi1> -> tensor<4x8xi32>
  %t = lowbit.lut_build %x {group_size = 4, symmetric} : tensor<4x64xbf16> -> tensor<4x16x8xbf16>
  %y = lowbit.lut_matmul %t, %idx weight_scheme #lowbit.quant<storage = !lowbit.bipolar<3>, granularity = per_group, axis = 1, group_size = 32> scales(%s) {group_size = 4, symmetric} : (tensor<4x16x8xbf16>, tensor<3x8x16xi4>, tensor<8x2xf16>) -> tensor<4x8xbf16>
  return %c, %y : tensor<4x8xi32>, tensor<4x8xbf16>
}

// quantize -> pack -> matmul in one function, against dequantize -> f32 matmul.
func.func @chain(%x: tensor<2x128xf32>, %w: tensor<16x128xf32>, %s: tensor<16x2xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %q = lowbit.quantize %w as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, scale_type = f32> scales(%s) : (tensor<16x128xf32>, tensor<16x2xf32>) -> tensor<16x128xi4>
  %p = lowbit.pack %q : tensor<16x128xi4> -> tensor<16x128xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>
  %y = lowbit.matmul %x, %p weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, scale_type = f32> weight_scales(%s) : (tensor<2x128xf32>, tensor<16x128xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>, tensor<16x2xf32>) -> tensor<2x16xf32>
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, scale_type = f32> scales(%s) : (tensor<16x128xi4>, tensor<16x2xf32>) -> tensor<16x128xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x16xf32>) -> tensor<2x16xf32>
  %ref = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %d : tensor<2x128xf32>, tensor<16x128xf32>) outs(%acc : tensor<2x16xf32>) -> tensor<2x16xf32>
  return %y, %ref : tensor<2x16xf32>, tensor<2x16xf32>
}
