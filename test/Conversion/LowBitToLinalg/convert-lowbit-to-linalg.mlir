// RUN: lowbit-opt %s -split-input-file --convert-lowbit-to-linalg | FileCheck %s

// Integer dequantize: (q - z) * s per element, group scales through floordiv.
// CHECK: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 128)>
// CHECK-LABEL: func @dequantize_u4
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[GROUP]], #[[GROUP]], #[[ID]]]
// CHECK: arith.uitofp %{{.*}} : i4 to f32
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.uitofp %{{.*}} : i4 to f32
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @dequantize_u4(%q: tensor<8x256xi4>, %s: tensor<8x2xf16>, %z: tensor<8x2xi4>) -> tensor<8x256xbf16> {
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<8x256xi4>, tensor<8x2xf16>, tensor<8x2xi4>) -> tensor<8x256xbf16>
  return %d : tensor<8x256xbf16>
}

// -----

// Integer quantize: clamp(roundeven(x / s)) into [-8, 7].
// CHECK-LABEL: func @quantize_s4
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.fptosi
// CHECK: arith.trunci %{{.*}} : i32 to i4
func.func @quantize_s4(%x: tensor<8x256xf32>, %s: tensor<8x1xf32>) -> tensor<8x256xi4> {
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32> scales(%s) : (tensor<8x256xf32>, tensor<8x1xf32>) -> tensor<8x256xi4>
  return %q : tensor<8x256xi4>
}

// -----

// Small-float codes: nearest entry of a 16-value table by a reduction over
// codes, then the winning bits become the code type.
// CHECK-LABEL: func @quantize_fp4
// CHECK: arith.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 6.000000e+00, -0.000000e+00, -5.000000e-01, -1.000000e+00, -1.500000e+00, -2.000000e+00, -3.000000e+00, -4.000000e+00, -6.000000e+00]> : tensor<16xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.select
// CHECK: arith.bitcast %{{.*}} : i4 to f4E2M1FN
func.func @quantize_fp4(%x: tensor<4x64xf32>, %s: tensor<4x1xf32>) -> tensor<4x64xf4E2M1FN> {
  %q = lowbit.quantize %x as #lowbit.quant<storage = f4E2M1FN, granularity = per_channel, axis = 0, scale_type = f32> scales(%s) : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf4E2M1FN>
  return %q : tensor<4x64xf4E2M1FN>
}

// -----

// Layouts vanish: the encoding is dropped and pack/relayout/unpack are
// identities on logical codes.
// CHECK-LABEL: func @layouts
// CHECK-SAME: (%[[Q:.*]]: tensor<8x64xi4>) -> tensor<8x64xi4>
// CHECK-NEXT: return %[[Q]]
func.func @layouts(%q: tensor<8x64xi4, #lowbit.layout<packed>>) -> tensor<8x64xi4, #lowbit.layout<bit_planes>> {
  %r = lowbit.relayout %q : tensor<8x64xi4, #lowbit.layout<packed>> -> tensor<8x64xi4, #lowbit.layout<bit_planes>>
  return %r : tensor<8x64xi4, #lowbit.layout<bit_planes>>
}

// -----

// Bipolar codes become integers of their width.
// CHECK-LABEL: func @bipolar
// CHECK-SAME: tensor<8x64xi3>
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i1
func.func @bipolar(%w: tensor<8x64x!lowbit.bipolar<3>>) -> tensor<3x8x64xi1> {
  %p = lowbit.bitplane_decompose %w : tensor<8x64x!lowbit.bipolar<3>> -> tensor<3x8x64xi1>
  return %p : tensor<3x8x64xi1>
}

// -----

// Matmul: both operands dequantized to f32, one contraction, then the result type.
// CHECK-LABEL: func @matmul
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul(%x: tensor<?x64xf16>, %w: tensor<16x64xi8>, %s: tensor<16x1xf16>) -> tensor<?x16xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<?x64xf16>, tensor<16x64xi8>, tensor<16x1xf16>) -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}
