// RUN: lowbit-opt %s -canonicalize -split-input-file | FileCheck %s

// Layout changes are exact and fold; quantization is lossy and never does.

// CHECK-LABEL: func @unpack_of_pack
// CHECK-SAME: (%[[Q:.*]]: tensor<64x128xi4>)
// CHECK-NEXT: return %[[Q]]
func.func @unpack_of_pack(%q: tensor<64x128xi4>) -> tensor<64x128xi4> {
  %p = lowbit.pack %q : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<packed>>
  %u = lowbit.unpack %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4>
  return %u : tensor<64x128xi4>
}

// -----

// CHECK-LABEL: func @pack_of_unpack
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<bit_planes>>)
// CHECK-NEXT: return %[[P]]
func.func @pack_of_unpack(%p: tensor<64x128xi4, #lowbit.layout<bit_planes>>) -> tensor<64x128xi4, #lowbit.layout<bit_planes>> {
  %u = lowbit.unpack %p : tensor<64x128xi4, #lowbit.layout<bit_planes>> -> tensor<64x128xi4>
  %r = lowbit.pack %u : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
  return %r : tensor<64x128xi4, #lowbit.layout<bit_planes>>
}

// -----

// Re-packing into another layout is a relayout, not a no-op.
// CHECK-LABEL: func @pack_of_unpack_other_layout
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<bit_planes>>)
// CHECK-NEXT: %[[R:.*]] = lowbit.relayout %[[P]] : tensor<64x128xi4, #lowbit.layout<bit_planes>> -> tensor<64x128xi4, #lowbit.layout<packed>>
// CHECK-NEXT: return %[[R]]
func.func @pack_of_unpack_other_layout(%p: tensor<64x128xi4, #lowbit.layout<bit_planes>>) -> tensor<64x128xi4, #lowbit.layout<packed>> {
  %u = lowbit.unpack %p : tensor<64x128xi4, #lowbit.layout<bit_planes>> -> tensor<64x128xi4>
  %r = lowbit.pack %u : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<packed>>
  return %r : tensor<64x128xi4, #lowbit.layout<packed>>
}

// -----

// CHECK-LABEL: func @relayout_same_layout
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<packed>>)
// CHECK-NEXT: return %[[P]]
func.func @relayout_same_layout(%p: tensor<64x128xi4, #lowbit.layout<packed>>) -> tensor<64x128xi4, #lowbit.layout<packed>> {
  %r = lowbit.relayout %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<packed>>
  return %r : tensor<64x128xi4, #lowbit.layout<packed>>
}

// -----

// CHECK-LABEL: func @relayout_chain
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<packed>>)
// CHECK-NEXT: %[[R:.*]] = lowbit.relayout %[[P]] : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
// CHECK-NEXT: return %[[R]]
func.func @relayout_chain(%p: tensor<64x128xi4, #lowbit.layout<packed>>) -> tensor<64x128xi4, #lowbit.layout<bit_planes>> {
  %a = lowbit.relayout %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>
  %b = lowbit.relayout %a : tensor<64x128xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
  return %b : tensor<64x128xi4, #lowbit.layout<bit_planes>>
}

// -----

// CHECK-LABEL: func @relayout_round_trip
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<packed>>)
// CHECK-NEXT: return %[[P]]
func.func @relayout_round_trip(%p: tensor<64x128xi4, #lowbit.layout<packed>>) -> tensor<64x128xi4, #lowbit.layout<packed>> {
  %a = lowbit.relayout %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
  %b = lowbit.relayout %a : tensor<64x128xi4, #lowbit.layout<bit_planes>> -> tensor<64x128xi4, #lowbit.layout<packed>>
  return %b : tensor<64x128xi4, #lowbit.layout<packed>>
}

// -----

// CHECK-LABEL: func @relayout_of_pack
// CHECK-SAME: (%[[Q:.*]]: tensor<64x128xi4>)
// CHECK-NEXT: %[[P:.*]] = lowbit.pack %[[Q]] : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
// CHECK-NEXT: return %[[P]]
func.func @relayout_of_pack(%q: tensor<64x128xi4>) -> tensor<64x128xi4, #lowbit.layout<bit_planes>> {
  %p = lowbit.pack %q : tensor<64x128xi4> -> tensor<64x128xi4, #lowbit.layout<packed>>
  %r = lowbit.relayout %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
  return %r : tensor<64x128xi4, #lowbit.layout<bit_planes>>
}

// -----

// CHECK-LABEL: func @unpack_of_relayout
// CHECK-SAME: (%[[P:.*]]: tensor<64x128xi4, #lowbit.layout<packed>>)
// CHECK-NEXT: %[[U:.*]] = lowbit.unpack %[[P]] : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4>
// CHECK-NEXT: return %[[U]]
func.func @unpack_of_relayout(%p: tensor<64x128xi4, #lowbit.layout<packed>>) -> tensor<64x128xi4> {
  %r = lowbit.relayout %p : tensor<64x128xi4, #lowbit.layout<packed>> -> tensor<64x128xi4, #lowbit.layout<bit_planes>>
  %u = lowbit.unpack %r : tensor<64x128xi4, #lowbit.layout<bit_planes>> -> tensor<64x128xi4>
  return %u : tensor<64x128xi4>
}

// -----

// A permutation must match to cancel.
// CHECK-LABEL: func @permuted_pack_unpack
// CHECK-SAME: (%[[Q:.*]]: tensor<8x16xi8>, %[[P1:.*]]: tensor<16xi32>, %[[P2:.*]]: tensor<16xi32>)
// CHECK: %[[PK:.*]] = lowbit.pack %[[Q]] permutation(%[[P1]]
// CHECK: %[[U:.*]] = lowbit.unpack %[[PK]] permutation(%[[P2]]
// CHECK: return %[[Q]], %[[U]]
func.func @permuted_pack_unpack(%q: tensor<8x16xi8>, %p1: tensor<16xi32>, %p2: tensor<16xi32>) -> (tensor<8x16xi8>, tensor<8x16xi8>) {
  %p = lowbit.pack %q permutation(%p1 : tensor<16xi32>) : tensor<8x16xi8> -> tensor<8x16xi8, #lowbit.layout<channel_permute, outliers = 4>>
  %same = lowbit.unpack %p permutation(%p1 : tensor<16xi32>) : tensor<8x16xi8, #lowbit.layout<channel_permute, outliers = 4>> -> tensor<8x16xi8>
  %other = lowbit.unpack %p permutation(%p2 : tensor<16xi32>) : tensor<8x16xi8, #lowbit.layout<channel_permute, outliers = 4>> -> tensor<8x16xi8>
  return %same, %other : tensor<8x16xi8>, tensor<8x16xi8>
}

// -----

// dequantize(quantize(x)) rounds x to the code grid: never folded.
// CHECK-LABEL: func @no_fold_quantize_roundtrip
// CHECK: %[[Q:.*]] = lowbit.quantize
// CHECK: %[[D:.*]] = lowbit.dequantize %[[Q]]
// CHECK: return %[[D]]
func.func @no_fold_quantize_roundtrip(%x: tensor<64x128xf16>, %s: tensor<64x1xf16>) -> tensor<64x128xf16> {
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> scales(%s) : (tensor<64x128xf16>, tensor<64x1xf16>) -> tensor<64x128xi4>
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> scales(%s) : (tensor<64x128xi4>, tensor<64x1xf16>) -> tensor<64x128xf16>
  return %d : tensor<64x128xf16>
}

// -----

// Unused pure ops are removed.
// CHECK-LABEL: func @dead_matmul
// CHECK-NOT: lowbit.matmul
func.func @dead_matmul(%x: tensor<16x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}
