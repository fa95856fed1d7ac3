// RUN: lowbit-opt %s --lowbit-reference-pipeline | FileCheck %s

// The whole reference path ends in the LLVM dialect with a C interface.
// CHECK-NOT: lowbit.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK: llvm.func @w4a16(
// CHECK: llvm.func @_mlir_ciface_w4a16(
func.func @w4a16(%x: tensor<?x256xbf16>, %w: tensor<64x256xi4, #lowbit.layout<packed>>, %s: tensor<64x2xbf16>, %z: tensor<64x2xi4>) -> tensor<?x64xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16> weight_scales(%s) weight_zero_points(%z) : (tensor<?x256xbf16>, tensor<64x256xi4, #lowbit.layout<packed>>, tensor<64x2xbf16>, tensor<64x2xi4>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
