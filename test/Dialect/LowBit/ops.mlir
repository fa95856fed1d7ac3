// RUN: lowbit-opt %s | lowbit-opt | FileCheck %s
// RUN: lowbit-opt %s -mlir-print-op-generic | lowbit-opt | FileCheck %s

// Every lowbit op, type and attribute parses, prints and re-parses to the same
// IR, in the pretty and the generic form.

// CHECK-LABEL: func @quantize_int4_groups
// CHECK: lowbit.quantize %{{.*}} as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%{{.*}}) zero_points(%{{.*}}) : (tensor<256x512xf16>, tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<256x512xi4>
// CHECK: lowbit.dequantize %{{.*}} as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%{{.*}}) zero_points(%{{.*}}) : (tensor<256x512xi4>, tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<256x512xbf16>
func.func @quantize_int4_groups(%w: tensor<256x512xf16>, %s: tensor<256x4xf16>, %z: tensor<256x4xi4>) -> tensor<256x512xbf16> {
  %q = lowbit.quantize %w as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<256x512xf16>, tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<256x512xi4>
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<256x512xi4>, tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<256x512xbf16>
  return %d : tensor<256x512xbf16>
}

// CHECK-LABEL: func @schemes
// CHECK-DAG: w8_per_channel = #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
// CHECK-DAG: w8_per_tensor = #lowbit.quant<storage = i8>
// CHECK-DAG: w3_float_zp = #lowbit.quant<storage = i3, zero_point = float, granularity = per_group, axis = 1, group_size = 64>
// CHECK-DAG: w2_blocks = #lowbit.quant<storage = i2, granularity = per_block, block = [32, 32], scale_type = bf16>
// CHECK-DAG: e4m3 = #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
// CHECK-DAG: e5m2 = #lowbit.quant<storage = f8E5M2, scale_type = f32>
// CHECK-DAG: mxfp6_e2m3 = #lowbit.quant<storage = f6E2M3FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>
// CHECK-DAG: mxfp6_e3m2 = #lowbit.quant<storage = f6E3M2FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>
// CHECK-DAG: nvfp4 = #lowbit.quant<storage = f4E2M1FN, granularity = per_group, axis = 1, group_size = 16, scale_type = f8E4M3FN>
// CHECK-DAG: nf4 = #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 64, codebook = [-1.000000e+00,
// CHECK-DAG: qserve = #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16>
// CHECK-DAG: bipolar = #lowbit.quant<storage = !lowbit.bipolar<3>, granularity = per_channel, axis = 0>
// CHECK-DAG: binary = #lowbit.quant<storage = i1>
// CHECK-DAG: int5 = #lowbit.quant<storage = i5, signedness = unsigned, zero_point = int>
// CHECK-DAG: int6 = #lowbit.quant<storage = i6, granularity = per_channel, axis = 1>
func.func @schemes() attributes {
    w8_per_channel = #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>,
    w8_per_tensor = #lowbit.quant<storage = i8>,
    w3_float_zp = #lowbit.quant<storage = i3, zero_point = float, granularity = per_group, axis = 1, group_size = 64>,
    w2_blocks = #lowbit.quant<storage = i2, granularity = per_block, block = [32, 32], scale_type = bf16>,
    e4m3 = #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>,
    e5m2 = #lowbit.quant<storage = f8E5M2, scale_type = f32>,
    mxfp6_e2m3 = #lowbit.quant<storage = f6E2M3FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>,
    mxfp6_e3m2 = #lowbit.quant<storage = f6E3M2FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>,
    nvfp4 = #lowbit.quant<storage = f4E2M1FN, granularity = per_group, axis = 1, group_size = 16, scale_type = f8E4M3FN>,
    nf4 = #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group, axis = 1, group_size = 64,
                        codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0,
                                              0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]>,
    qserve = #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16>,
    bipolar = #lowbit.quant<storage = !lowbit.bipolar<3>, granularity = per_channel, axis = 0>,
    binary = #lowbit.quant<storage = i1>,
    int5 = #lowbit.quant<storage = i5, signedness = unsigned, zero_point = int>,
    int6 = #lowbit.quant<storage = i6, granularity = per_channel, axis = 1>} {
  return
}

// CHECK-LABEL: func @two_level_scales
// CHECK: lowbit.dequantize %{{.*}} as #lowbit.quant<{{.*}}outer_scale_type = f16> scales(%{{.*}}) zero_points(%{{.*}}) outer_scales(%{{.*}})
func.func @two_level_scales(%q: tensor<64x256xi4>, %s: tensor<64x2xi8>, %z: tensor<64x2xi4>, %o: tensor<64x1xf16>) -> tensor<64x256xf16> {
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16> scales(%s) zero_points(%z) outer_scales(%o) : (tensor<64x256xi4>, tensor<64x2xi8>, tensor<64x2xi4>, tensor<64x1xf16>) -> tensor<64x256xf16>
  return %d : tensor<64x256xf16>
}

// CHECK-LABEL: func @mx_and_float_codes
// CHECK: lowbit.quantize %{{.*}} as #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> scales(%{{.*}}) : (tensor<16x128xbf16>, tensor<16x4xf8E8M0FNU>) -> tensor<16x128xf4E2M1FN>
// CHECK: lowbit.quantize %{{.*}} as #lowbit.quant<storage = f8E4M3FN, scale_type = f32> scales(%{{.*}}) : (tensor<16x128xbf16>, tensor<1x1xf32>) -> tensor<16x128xf8E4M3FN>
func.func @mx_and_float_codes(%x: tensor<16x128xbf16>, %e: tensor<16x4xf8E8M0FNU>, %t: tensor<1x1xf32>) -> (tensor<16x128xf4E2M1FN>, tensor<16x128xf8E4M3FN>) {
  %a = lowbit.quantize %x as #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> scales(%e) : (tensor<16x128xbf16>, tensor<16x4xf8E8M0FNU>) -> tensor<16x128xf4E2M1FN>
  %b = lowbit.quantize %x as #lowbit.quant<storage = f8E4M3FN, scale_type = f32> scales(%t) : (tensor<16x128xbf16>, tensor<1x1xf32>) -> tensor<16x128xf8E4M3FN>
  return %a, %b : tensor<16x128xf4E2M1FN>, tensor<16x128xf8E4M3FN>
}

// CHECK-LABEL: func @layouts
// CHECK: lowbit.pack %{{.*}} : tensor<128x256xi4> -> tensor<128x256xi4, #lowbit.layout<packed>>
// CHECK: lowbit.relayout %{{.*}} : tensor<128x256xi4, #lowbit.layout<packed>> -> tensor<128x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>
// CHECK: lowbit.relayout %{{.*}} : tensor<128x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>> -> tensor<128x256xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>
// CHECK: lowbit.relayout %{{.*}} : tensor<128x256xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>> -> tensor<128x256xi4, #lowbit.layout<bit_planes>>
// CHECK: lowbit.unpack %{{.*}} : tensor<128x256xi4, #lowbit.layout<bit_planes>> -> tensor<128x256xi4>
func.func @layouts(%q: tensor<128x256xi4>) -> tensor<128x256xi4> {
  %p = lowbit.pack %q : tensor<128x256xi4> -> tensor<128x256xi4, #lowbit.layout<packed>>
  %m = lowbit.relayout %p : tensor<128x256xi4, #lowbit.layout<packed>> -> tensor<128x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>
  %i = lowbit.relayout %m : tensor<128x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>> -> tensor<128x256xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>
  %b = lowbit.relayout %i : tensor<128x256xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>> -> tensor<128x256xi4, #lowbit.layout<bit_planes>>
  %u = lowbit.unpack %b : tensor<128x256xi4, #lowbit.layout<bit_planes>> -> tensor<128x256xi4>
  return %u : tensor<128x256xi4>
}

// CHECK-LABEL: func @more_layouts
// CHECK: tensor<64x128xf6E3M2FN, #lowbit.layout<split_4_2>>
// CHECK: tensor<64x128xi8, #lowbit.layout<mixed_4_8, block = [16, 64]>>
// CHECK: lowbit.pack %{{.*}} permutation(%{{.*}} : tensor<128xi32>) : tensor<64x128xi8> -> tensor<64x128xi8, #lowbit.layout<channel_permute, outliers = 8>>
// CHECK: lowbit.unpack %{{.*}} permutation(%{{.*}} : tensor<128xi32>) : tensor<64x128xi8, #lowbit.layout<channel_permute, outliers = 8>> -> tensor<64x128xi8>
// CHECK: tensor<64x128xi2, #lowbit.layout<interleave, order = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]>>
// CHECK: tensor<64x128x!lowbit.bipolar<3>, #lowbit.layout<bit_planes>>
// CHECK: tensor<64x128xi4, #lowbit.layout<sign_magnitude>>
func.func @more_layouts(%f6: tensor<64x128xf6E3M2FN>, %a8: tensor<64x128xi8>, %perm: tensor<128xi32>, %w2: tensor<64x128xi2>, %bp: tensor<64x128x!lowbit.bipolar<3>>, %w4: tensor<64x128xi4>) {
  %0 = lowbit.pack %f6 : tensor<64x128xf6E3M2FN> -> tensor<64x128xf6E3M2FN, #lowbit.layout<split_4_2>>
  %1 = lowbit.pack %a8 : tensor<64x128xi8> -> tensor<64x128xi8, #lowbit.layout<mixed_4_8, block = [16, 64]>>
  %2 = lowbit.pack %a8 permutation(%perm : tensor<128xi32>) : tensor<64x128xi8> -> tensor<64x128xi8, #lowbit.layout<channel_permute, outliers = 8>>
  %3 = lowbit.unpack %2 permutation(%perm : tensor<128xi32>) : tensor<64x128xi8, #lowbit.layout<channel_permute, outliers = 8>> -> tensor<64x128xi8>
  %4 = lowbit.pack %w2 : tensor<64x128xi2> -> tensor<64x128xi2, #lowbit.layout<interleave, order = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]>>
  %5 = lowbit.pack %bp : tensor<64x128x!lowbit.bipolar<3>> -> tensor<64x128x!lowbit.bipolar<3>, #lowbit.layout<bit_planes>>
  %6 = lowbit.pack %w4 : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<sign_magnitude>>
  return
}

// CHECK-LABEL: func @w4a16
// CHECK: lowbit.matmul %{{.*}}, %{{.*}} weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%{{.*}}) weight_zero_points(%{{.*}}) : (tensor<?x4096xbf16>, tensor<11008x4096xi4>, tensor<11008x32xbf16>, tensor<11008x32xi4>) -> tensor<?x11008xbf16>
func.func @w4a16(%x: tensor<?x4096xbf16>, %w: tensor<11008x4096xi4>, %s: tensor<11008x32xbf16>, %z: tensor<11008x32xi4>) -> tensor<?x11008xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) weight_zero_points(%z) : (tensor<?x4096xbf16>, tensor<11008x4096xi4>, tensor<11008x32xbf16>, tensor<11008x32xi4>) -> tensor<?x11008xbf16>
  return %y : tensor<?x11008xbf16>
}

// CHECK-LABEL: func @w8a8_w4a8_fp8_w4a4
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%{{.*}}) input_scales(%{{.*}})
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = i4, {{.*}}outer_scale_type = f16> input_scheme #lowbit.quant<storage = i8, {{.*}}> weight_scales(%{{.*}}) weight_zero_points(%{{.*}}) weight_outer_scales(%{{.*}}) input_scales(%{{.*}})
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32>
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
// CHECK: lowbit.matmul {{.*}} weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> input_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>
func.func @w8a8_w4a8_fp8_w4a4(
    %a8: tensor<64x512xi8>, %as: tensor<64x1xf32>, %w8: tensor<128x512xi8>, %ws: tensor<128x1xf32>,
    %w4: tensor<128x512xi4>, %g: tensor<128x4xi8>, %z: tensor<128x4xi4>, %o: tensor<128x1xf16>, %as16: tensor<64x1xf16>,
    %af8: tensor<64x512xf8E4M3FN>, %t: tensor<1x1xf32>, %wf8: tensor<128x512xf8E4M3FN>,
    %w4s: tensor<128x4xf16>, %a4: tensor<64x512xi4>, %w4c: tensor<128x1xf16>,
    %af4: tensor<64x512xf4E2M1FN>, %ae: tensor<64x16xf8E8M0FNU>, %wf4: tensor<128x512xf4E2M1FN>, %we: tensor<128x16xf8E8M0FNU>) {
  %0 = lowbit.matmul %a8, %w8 weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%ws) input_scales(%as) : (tensor<64x512xi8>, tensor<128x512xi8>, tensor<128x1xf32>, tensor<64x1xf32>) -> tensor<64x128xbf16>
  %1 = lowbit.matmul %a8, %w4 weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%g) weight_zero_points(%z) weight_outer_scales(%o) input_scales(%as16) : (tensor<64x512xi8>, tensor<128x512xi4>, tensor<128x4xi8>, tensor<128x4xi4>, tensor<128x1xf16>, tensor<64x1xf16>) -> tensor<64x128xf16>
  %2 = lowbit.matmul %af8, %wf8 weight_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, scale_type = f32> weight_scales(%t) input_scales(%t) : (tensor<64x512xf8E4M3FN>, tensor<128x512xf8E4M3FN>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<64x128xbf16>
  %3 = lowbit.matmul %af8, %w4 weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%w4s) input_scales(%as) : (tensor<64x512xf8E4M3FN>, tensor<128x512xi4>, tensor<128x4xf16>, tensor<64x1xf32>) -> tensor<64x128xbf16>
  %4 = lowbit.matmul %a4, %w4 weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%w4c) input_scales(%as16) : (tensor<64x512xi4>, tensor<128x512xi4>, tensor<128x1xf16>, tensor<64x1xf16>) -> tensor<64x128xf16>
  %5 = lowbit.matmul %af4, %wf4 weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> input_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU> weight_scales(%we) input_scales(%ae) : (tensor<64x512xf4E2M1FN>, tensor<128x512xf4E2M1FN>, tensor<128x16xf8E8M0FNU>, tensor<64x16xf8E8M0FNU>) -> tensor<64x128xf32>
  return
}

// CHECK-LABEL: func @packed_weight_matmul
// CHECK: lowbit.matmul {{.*}} : (tensor<16x256xf16>, tensor<64x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>, tensor<64x2xf16>) -> tensor<16x64xf16>
func.func @packed_weight_matmul(%x: tensor<16x256xf16>, %w: tensor<64x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>, %s: tensor<64x2xf16>) -> tensor<16x64xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return %y : tensor<16x64xf16>
}

// CHECK-LABEL: func @bitplanes
// CHECK: lowbit.bitplane_decompose %{{.*}} : tensor<64x256x!lowbit.bipolar<3>> -> tensor<3x64x256xi1>
// CHECK: lowbit.bitplane_matmul %{{.*}}, %{{.*}} : tensor<2x16x256xi1>, tensor<3x64x256xi1> -> tensor<16x64xi32>
func.func @bitplanes(%a: tensor<16x256x!lowbit.bipolar<2>>, %w: tensor<64x256x!lowbit.bipolar<3>>) -> tensor<16x64xi32> {
  %wp = lowbit.bitplane_decompose %w : tensor<64x256x!lowbit.bipolar<3>> -> tensor<3x64x256xi1>
  %ap = lowbit.bitplane_decompose %a : tensor<16x256x!lowbit.bipolar<2>> -> tensor<2x16x256xi1>
  %c = lowbit.bitplane_matmul %ap, %wp : tensor<2x16x256xi1>, tensor<3x64x256xi1> -> tensor<16x64xi32>
  return %c : tensor<16x64xi32>
}

// CHECK-LABEL: func @lut
// CHECK: lowbit.lut_build %{{.*}} {group_size = 4 : i64, symmetric} : tensor<16x4096xf16> -> tensor<16x1024x8xf16>
// CHECK: lowbit.lut_build %{{.*}} {group_size = 4 : i64} : tensor<16x4096xf16> -> tensor<16x1024x16xf16>
// CHECK: lowbit.lut_matmul %{{.*}}, %{{.*}} weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1, group_size = 128> scales(%{{.*}}) {group_size = 4 : i64, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x32xf16>) -> tensor<16x512xf16>
func.func @lut(%x: tensor<16x4096xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x32xf16>) -> (tensor<16x512xf16>, tensor<16x1024x16xf16>) {
  %t = lowbit.lut_build %x {group_size = 4, symmetric} : tensor<16x4096xf16> -> tensor<16x1024x8xf16>
  %full = lowbit.lut_build %x {group_size = 4} : tensor<16x4096xf16> -> tensor<16x1024x16xf16>
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1, group_size = 128> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x32xf16>) -> tensor<16x512xf16>
  return %y, %full : tensor<16x512xf16>, tensor<16x1024x16xf16>
}
