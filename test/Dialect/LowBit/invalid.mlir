// RUN: lowbit-opt %s -split-input-file -verify-diagnostics

// Every verifier message of the lowbit dialect, one case each.

//===----------------------------------------------------------------------===//
// !lowbit.bipolar
//===----------------------------------------------------------------------===//

// expected-error @+1 {{bipolar width must be 1 to 8 bits, got 9}}
func.func private @bipolar_too_wide(tensor<4x!lowbit.bipolar<9>>)

// -----

// expected-error @+1 {{bipolar width must be 1 to 8 bits, got 0}}
func.func private @bipolar_zero(tensor<4x!lowbit.bipolar<0>>)

//===----------------------------------------------------------------------===//
// #lowbit.quant
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{integer storage must be 1 to 8 bits wide, got 'i9'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i9>}

// -----

// expected-error @+1 {{storage must be a signless integer (signedness is a scheme parameter), got 'ui4'}}
func.func private @f() attributes {s = #lowbit.quant<storage = ui4>}

// -----

// expected-error @+1 {{storage must be i1..i8, f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN or !lowbit.bipolar<b>, got 'f16'}}
func.func private @f() attributes {s = #lowbit.quant<storage = f16>}

// -----

// expected-error @+1 {{signedness applies only to integer storage, got 'f8E4M3FN'}}
func.func private @f() attributes {s = #lowbit.quant<storage = f8E4M3FN, signedness = unsigned>}

// -----

// expected-error @+1 {{zero points need integer storage, got 'f4E2M1FN'}}
func.func private @f() attributes {s = #lowbit.quant<storage = f4E2M1FN, zero_point = float>}

// -----

// expected-error @+1 {{zero points need integer storage, got '!lowbit.bipolar<2>'}}
func.func private @f() attributes {s = #lowbit.quant<storage = !lowbit.bipolar<2>, zero_point = int>}

// -----

// expected-error @+1 {{axis must be non-negative, got -3}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_channel, axis = -3>}

// -----

// expected-error @+1 {{group_size must be positive, got -128}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = -128>}

// -----

// expected-error @+1 {{per_tensor granularity takes no axis}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, axis = 1>}

// -----

// expected-error @+1 {{per_tensor granularity takes no group_size}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, group_size = 32>}

// -----

// expected-error @+1 {{per_tensor granularity takes no block}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, block = [16, 16]>}

// -----

// expected-error @+1 {{per_channel granularity needs an axis}}
func.func private @f() attributes {s = #lowbit.quant<storage = i8, granularity = per_channel>}

// -----

// expected-error @+1 {{per_channel granularity takes no group_size}}
func.func private @f() attributes {s = #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, group_size = 64>}

// -----

// expected-error @+1 {{per_channel granularity takes no block}}
func.func private @f() attributes {s = #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, block = [2, 2]>}

// -----

// expected-error @+1 {{per_group granularity needs an axis}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, group_size = 128>}

// -----

// expected-error @+1 {{per_group granularity needs a positive group_size}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, axis = 1>}

// -----

// expected-error @+1 {{per_group granularity takes no block}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64, block = [1, 64]>}

// -----

// expected-error @+1 {{per_block granularity takes no axis}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_block, axis = 0, block = [16, 16]>}

// -----

// expected-error @+1 {{per_block granularity takes no group_size}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_block, group_size = 8, block = [16, 16]>}

// -----

// expected-error @+1 {{per_block granularity needs a 2-D block of positive sizes}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_block, block = [16, 0]>}

// -----

// expected-error @+1 {{mx_block scales are shared exponents: scale_type must be f8E8M0FNU, got 'f16'}}
func.func private @f() attributes {s = #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1, group_size = 32>}

// -----

// expected-error @+1 {{mx_block storage must be fp8, fp6, fp4 or i8, got 'i4'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>}

// -----

// expected-error @+1 {{mx_block schemes are symmetric}}
func.func private @f() attributes {s = #lowbit.quant<storage = i8, zero_point = int, granularity = mx_block, axis = 1, group_size = 32, scale_type = f8E8M0FNU>}

// -----

// expected-error @+1 {{f8E8M0FNU scales are only for mx_block granularity}}
func.func private @f() attributes {s = #lowbit.quant<storage = f4E2M1FN, granularity = per_group, axis = 1, group_size = 32, scale_type = f8E8M0FNU>}

// -----

// expected-error @+1 {{two-level scales (outer_scale_type) need per_group granularity}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = i8, outer_scale_type = f16>}

// -----

// expected-error @+1 {{outer_scale_type must be f16, bf16 or f32, got 'i8'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = i8>}

// -----

// expected-error @+1 {{two-level scales need i8 group scales (scale_type), got 'f16'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, outer_scale_type = f16>}

// -----

// expected-error @+1 {{scale_type must be f16, bf16, f32 or f8E4M3FN, got 'i8'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, scale_type = i8>}

// -----

// expected-error @+1 {{codebook codes are unsigned integer indices}}
func.func private @f() attributes {s = #lowbit.quant<storage = i2, codebook = [-1.0, 0.0, 0.5, 1.0]>}

// -----

// expected-error @+1 {{a codebook scheme takes no zero points}}
func.func private @f() attributes {s = #lowbit.quant<storage = i2, signedness = unsigned, zero_point = int, codebook = [-1.0, 0.0, 0.5, 1.0]>}

// -----

// expected-error @+1 {{codebook for 'i2' codes needs 4 entries, got 3}}
func.func private @f() attributes {s = #lowbit.quant<storage = i2, signedness = unsigned, codebook = [-1.0, 0.0, 1.0]>}

// -----

// expected-error @+2 {{expected ::mlir::lowbit::Granularity to be one of: per_tensor, per_channel, per_group, per_block, mx_block}}
// expected-error @+1 {{failed to parse LowBit_QuantSchemeAttr parameter 'granularity'}}
func.func private @f() attributes {s = #lowbit.quant<storage = i4, granularity = per_row>}

//===----------------------------------------------------------------------===//
// #lowbit.layout
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{`tile` does not apply to a interleave layout}}
func.func private @f(tensor<8x8xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7], tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment layout needs mma = [m, n, k]}}
func.func private @f(tensor<16x64xi4, #lowbit.layout<mma_fragment, tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment layout needs tile = [rows, cols]}}
func.func private @f(tensor<16x64xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16]>>)

// -----

// expected-error @+1 {{interleave order must list 4, 8, 16, 32 or 64 positions (2-, 4- or 8-bit codes filling one, two or four 32-bit words), got 3}}
func.func private @f(tensor<8x8xi4, #lowbit.layout<interleave, order = [0, 1, 2]>>)

// -----

// expected-error @+1 {{interleave order must be a permutation of 0..3}}
func.func private @f(tensor<8x8xi8, #lowbit.layout<interleave, order = [0, 1, 1, 3]>>)

// -----

// expected-error @+1 {{mixed_4_8 layout needs block = [rows, cols]}}
func.func private @f(tensor<8x8xi8, #lowbit.layout<mixed_4_8, block = [8]>>)

// -----

// expected-error @+1 {{outliers must be non-negative, got -2}}
func.func private @f(tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = -2>>)

// -----

// expected-error @+1 {{#lowbit.layout encodes low-bit codes; 'f32' is not a code type}}
func.func private @f(tensor<8x8xf32, #lowbit.layout<packed>>)

// -----

// expected-error @+1 {{mma_fragment layout holds 4- or 8-bit codes, got 'i3'}}
func.func private @f(tensor<16x64xi3, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment tile [16, 64] does not divide the innermost dimensions [16, 100]}}
func.func private @f(tensor<16x100xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment tile needs a tensor of rank 2 or more}}
func.func private @f(tensor<64xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment takes mma = [16, 8, 16] (f16/bf16 operands) or [16, 8, 32] (s8/e4m3 operands)}}
func.func private @f(tensor<16x64xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 8], tile = [16, 64]>>)

// -----

// expected-error @+1 {{mma_fragment tile must be [16 x a, 32 x b] for 8-bit codes (bands of 16 rows, 16 bytes per lane)}}
func.func private @f(tensor<16x64xi8, #lowbit.layout<mma_fragment, mma = [16, 8, 32], tile = [8, 32]>>)

// -----

// expected-error @+1 {{interleave order of 4 positions holds 16 bits of 4-bit codes, not one, two or four 32-bit words}}
func.func private @f(tensor<8x8xi4, #lowbit.layout<interleave, order = [0, 2, 1, 3]>>)

// -----

// expected-error @+1 {{interleave holds 2-, 4- or 8-bit codes, not 3-bit ones}}
func.func private @f(tensor<8x8xi3, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>)

// -----

// expected-error @+1 {{sign_magnitude layout holds 4-bit integer codes, got 'i8'}}
func.func private @f(tensor<8x64xi8, #lowbit.layout<sign_magnitude>>)

// -----

// expected-error @+1 {{sign_magnitude layout needs the innermost dimension to be a multiple of 32, got 48}}
func.func private @f(tensor<8x48xi4, #lowbit.layout<sign_magnitude>>)

// -----

// expected-error @+1 {{bit_planes layout holds integer or bipolar codes, got 'f8E4M3FN'}}
func.func private @f(tensor<8x8xf8E4M3FN, #lowbit.layout<bit_planes>>)

// -----

// expected-error @+1 {{split_4_2 layout holds 6-bit codes, got 'i4'}}
func.func private @f(tensor<8x8xi4, #lowbit.layout<split_4_2>>)

// -----

// expected-error @+1 {{mixed_4_8 layout holds i8 codes, got 'i4'}}
func.func private @f(tensor<16x64xi4, #lowbit.layout<mixed_4_8, block = [16, 64]>>)

// -----

// expected-error @+1 {{mixed_4_8 block [16, 64] does not divide the innermost dimensions [16, 32]}}
func.func private @f(tensor<16x32xi8, #lowbit.layout<mixed_4_8, block = [16, 64]>>)

// -----

// expected-error @+1 {{channel_permute layout needs a ranked tensor of rank 1 or more}}
func.func private @f(tensor<i8, #lowbit.layout<channel_permute, outliers = 1>>)

// -----

// expected-error @+1 {{16 outlier channels exceed the 8 channels}}
func.func private @f(tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 16>>)

//===----------------------------------------------------------------------===//
// quantize / dequantize
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{result shape [64, 128] differs from input shape [64, 256]}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf16>) -> tensor<64x128xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{result element type 'i8' differs from the scheme's storage 'i4'}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf16>) -> tensor<64x256xi8>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{result must hold logical codes (no encoding); use lowbit.pack for a layout}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf16>) -> tensor<64x256xi4, #lowbit.layout<packed>>
  return
}

// -----

func.func @f(%x: tensor<64x250xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{group size 128 does not divide dimension 1 of size 250}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x250xf16>, tensor<64x2xf16>) -> tensor<64x250xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{scheme axis 2 is out of range for a rank-2 tensor}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 2, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf16>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<4x64x256xf16>, %s: tensor<1x4x16xf16>) {
  // expected-error @+1 {{per_block granularity needs a rank-2 tensor, got rank 3}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_block, block = [16, 16]> scales(%s) : (tensor<4x64x256xf16>, tensor<1x4x16xf16>) -> tensor<4x64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x4xf16>) {
  // expected-error @+1 {{input scales have shape [64, 4] but the scheme needs [64, 2] for a [64, 256] tensor with per_group granularity}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x4xf16>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf32>) {
  // expected-error @+1 {{input scales must be 'f16', got 'f32'}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf32>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>, %z: tensor<64x2xi4>) {
  // expected-error @+1 {{input zero points given for a symmetric scheme}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<64x256xf16>, tensor<64x2xf16>, tensor<64x2xi4>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{input scheme has int zero points but none are given}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xf16>, tensor<64x2xf16>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>, %z: tensor<64x1xi4>) {
  // expected-error @+1 {{input zero points have shape [64, 1] but the scales need [64, 2]}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<64x256xf16>, tensor<64x2xf16>, tensor<64x1xi4>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>, %z: tensor<64x2xi8>) {
  // expected-error @+1 {{input zero points must be 'i4', got 'i8'}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128> scales(%s) zero_points(%z) : (tensor<64x256xf16>, tensor<64x2xf16>, tensor<64x2xi8>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xf16>, %o: tensor<64x1xf16>) {
  // expected-error @+1 {{input outer scales given for a one-level scheme}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) outer_scales(%o) : (tensor<64x256xf16>, tensor<64x2xf16>, tensor<64x1xf16>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xi8>) {
  // expected-error @+1 {{input scheme has two-level scales but no outer scales are given}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16> scales(%s) : (tensor<64x256xf16>, tensor<64x2xi8>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xi8>, %o: tensor<64x2xf16>) {
  // expected-error @+1 {{input outer scales have shape [64, 2] but the scheme needs [64, 1]}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16> scales(%s) outer_scales(%o) : (tensor<64x256xf16>, tensor<64x2xi8>, tensor<64x2xf16>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%x: tensor<64x256xf16>, %s: tensor<64x2xi8>, %o: tensor<64x1xf32>) {
  // expected-error @+1 {{input outer scales must be 'f16', got 'f32'}}
  %q = lowbit.quantize %x as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128, scale_type = i8, outer_scale_type = f16> scales(%s) outer_scales(%o) : (tensor<64x256xf16>, tensor<64x2xi8>, tensor<64x1xf32>) -> tensor<64x256xi4>
  return
}

// -----

func.func @f(%q: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{result shape [64, 255] differs from input shape [64, 256]}}
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<64x255xf16>
  return
}

// -----

func.func @f(%q: tensor<64x256xi8>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{input element type 'i8' differs from the scheme's storage 'i4'}}
  %d = lowbit.dequantize %q as #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> scales(%s) : (tensor<64x256xi8>, tensor<64x2xf16>) -> tensor<64x256xf16>
  return
}

//===----------------------------------------------------------------------===//
// pack / unpack / relayout
//===----------------------------------------------------------------------===//

// -----

func.func @f(%q: tensor<8x8xi4, #lowbit.layout<packed>>) {
  // expected-error @+1 {{source must hold logical codes (no encoding); use lowbit.relayout between layouts}}
  %p = lowbit.pack %q : tensor<8x8xi4, #lowbit.layout<packed>> -> tensor<8x8xi4, #lowbit.layout<bit_planes>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi4>) {
  // expected-error @+1 {{result type needs a #lowbit.layout encoding}}
  %p = lowbit.pack %q : tensor<8x8xi4> -> tensor<8x8xi4>
  return
}

// -----

func.func @f(%q: tensor<8x8xi4>) {
  // expected-error @+1 {{changes only the layout: source and result must have the same shape and code type}}
  %p = lowbit.pack %q : tensor<8x8xi4> -> tensor<8x4xi8, #lowbit.layout<packed>>
  return
}

// -----

func.func @f(%q: tensor<8x8xf16>) {
  // expected-error @+1 {{result type needs a #lowbit.layout encoding}}
  %p = lowbit.pack %q : tensor<8x8xf16> -> tensor<8x8xf16, "other">
  return
}

// -----

func.func @f(%q: tensor<8x8xi8>) {
  // expected-error @+1 {{a channel_permute layout needs a permutation operand}}
  %p = lowbit.pack %q : tensor<8x8xi8> -> tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 2>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi8>, %perm: tensor<8xi32>) {
  // expected-error @+1 {{permutation given but no channel_permute layout is involved}}
  %p = lowbit.pack %q permutation(%perm : tensor<8xi32>) : tensor<8x8xi8> -> tensor<8x8xi8, #lowbit.layout<packed>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi8>, %perm: tensor<6xi32>) {
  // expected-error @+1 {{permutation has 6 entries for 8 channels}}
  %p = lowbit.pack %q permutation(%perm : tensor<6xi32>) : tensor<8x8xi8> -> tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 2>>
  return
}

// -----

// A constant permutation must name each channel once: an index past them
// read outside the tensor in the reference (a crash), a repeated one left a
// channel unwritten.
func.func @f(%q: tensor<2x4xi8>) {
  %perm = arith.constant dense<[0, 1, 2, 2000000000]> : tensor<4xi32>
  // expected-error @+1 {{permutation is not one of its 4 channels: 2000000000 is out of range}}
  %p = lowbit.pack %q permutation(%perm : tensor<4xi32>) : tensor<2x4xi8> -> tensor<2x4xi8, #lowbit.layout<channel_permute>>
  return
}

// -----

func.func @f(%q: tensor<2x4xi8, #lowbit.layout<channel_permute>>) {
  %perm = arith.constant dense<[0, 3, 3, 1]> : tensor<4xi32>
  // expected-error @+1 {{permutation is not one of its 4 channels: 3 appears twice}}
  %u = lowbit.unpack %q permutation(%perm : tensor<4xi32>) : tensor<2x4xi8, #lowbit.layout<channel_permute>> -> tensor<2x4xi8>
  return
}

// -----

func.func @f(%q: tensor<2x4xi8>) {
  %perm = arith.constant dense<[0, -1, 2, 1]> : tensor<4xi32>
  // expected-error @+1 {{permutation is not one of its 4 channels: -1 is out of range}}
  %p = lowbit.pack %q permutation(%perm : tensor<4xi32>) : tensor<2x4xi8> -> tensor<2x4xi8, #lowbit.layout<channel_permute>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi4>) {
  // expected-error @+1 {{source type needs a #lowbit.layout encoding}}
  %u = lowbit.unpack %q : tensor<8x8xi4> -> tensor<8x8xi4>
  return
}

// -----

func.func @f(%q: tensor<8x8xi4, #lowbit.layout<packed>>) {
  // expected-error @+1 {{result must hold logical codes (no encoding)}}
  %u = lowbit.unpack %q : tensor<8x8xi4, #lowbit.layout<packed>> -> tensor<8x8xi4, #lowbit.layout<bit_planes>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi4, #lowbit.layout<packed>>) {
  // expected-error @+1 {{source and result types both need a #lowbit.layout encoding}}
  %r = lowbit.relayout %q : tensor<8x8xi4, #lowbit.layout<packed>> -> tensor<8x8xi4>
  return
}

// -----

func.func @f(%q: tensor<8x8xi8, "foreign">) {
  // expected-error @+1 {{source and result types both need a #lowbit.layout encoding}}
  %r = lowbit.relayout %q : tensor<8x8xi8, "foreign"> -> tensor<8x8xi8, #lowbit.layout<packed>>
  return
}

// -----

func.func @f(%q: tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 2>>, %perm: tensor<8xi32>) {
  // expected-error @+1 {{a relayout between two channel_permute layouts needs two permutations; unpack, then pack}}
  %r = lowbit.relayout %q permutation(%perm : tensor<8xi32>) : tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 2>> -> tensor<8x8xi8, #lowbit.layout<channel_permute, outliers = 4>>
  return
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<2x16x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{expects a [M, K] input, a [N, K] weight and a [M, N] result}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<2x16x256xf16>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x128xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{input K = 128 differs from weight K = 256}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x128xf16>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{result shape [16, 32] differs from [M, N] = [16, 64]}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x32xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf16>, %w: tensor<?x256xi4>, %s: tensor<?x2xf16>) {
  // expected-error @+1 {{weight shape must be static}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf16>, tensor<?x256xi4>, tensor<?x2xf16>) -> tensor<16x?xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf16>, %w: tensor<64x256xi8>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{weight element type 'i8' differs from the weight scheme's storage 'i4'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256xi8>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf16>, %w: tensor<64x256x!lowbit.bipolar<2>>, %s: tensor<64x1xf16>) {
  // expected-error @+1 {{bipolar weights are multiplied with lowbit.bitplane_matmul}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<16x256xf16>, tensor<64x256x!lowbit.bipolar<2>>, tensor<64x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x200xf16>, %w: tensor<64x200xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{group size 128 does not divide dimension 1 of size 200}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x200xf16>, tensor<64x200xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf16>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{real 'f16' activations take no input_scheme or input_scales}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) input_scales(%as) : (tensor<16x256xf16>, tensor<64x256xi4>, tensor<64x2xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf64>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{input must be f16, bf16, f32 or low-bit codes, got 'f64'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xf64>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{quantized 'i8' activations need an input_scheme}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<16x256xi8>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{input element type 'i8' differs from the input scheme's storage 'i4'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi8>, tensor<64x256xi4>, tensor<64x2xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256x!lowbit.bipolar<2>>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{bipolar activations are multiplied with lowbit.bitplane_matmul}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256x!lowbit.bipolar<2>>, tensor<64x256xi4>, tensor<64x2xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{input_scheme must be symmetric and one-level}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, zero_point = int, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi8>, tensor<64x256xi4>, tensor<64x2xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi2>, %s: tensor<64x1xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{codebook weights pair only with real activations}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i2, signedness = unsigned, granularity = per_channel, axis = 0, codebook = [-1.0, -0.5, 0.5, 1.0]> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi8>, tensor<64x256xi2>, tensor<64x1xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>) {
  // expected-error @+1 {{quantized activations need input_scales}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) : (tensor<16x256xi8>, tensor<64x256xi4>, tensor<64x2xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xi4>, %s: tensor<64x2xf16>, %as: tensor<1x1xf16>) {
  // expected-error @+1 {{input scales have shape [1, 1] but the scheme needs [16, 1] for a [16, 256] tensor with per_channel granularity}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi8>, tensor<64x256xi4>, tensor<64x2xf16>, tensor<1x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi8>, %w: tensor<64x256xf8E4M3FN>, %s: tensor<64x1xf32>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{integer activations ('i8') pair only with integer weights, got 'f8E4M3FN'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi8>, tensor<64x256xf8E4M3FN>, tensor<64x1xf32>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xi4>, %w: tensor<64x256xi8>, %s: tensor<64x1xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{weights ('i8') are wider than the activations ('i4')}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xi4>, tensor<64x256xi8>, tensor<64x1xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf8E4M3FN>, %w: tensor<64x256xi8>, %s: tensor<64x1xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{fp8 activations pair with fp8, fp6, fp4 or integer weights of at most 4 bits, got 'i8'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xf8E4M3FN>, tensor<64x256xi8>, tensor<64x1xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

// -----

func.func @f(%x: tensor<16x256xf4E2M1FN>, %w: tensor<64x256xi4>, %s: tensor<64x1xf16>, %as: tensor<16x1xf16>) {
  // expected-error @+1 {{'f4E2M1FN' activations pair only with floating-point weights no wider than themselves, got 'i4'}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = f4E2M1FN, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%as) : (tensor<16x256xf4E2M1FN>, tensor<64x256xi4>, tensor<64x1xf16>, tensor<16x1xf16>) -> tensor<16x64xf16>
  return
}

//===----------------------------------------------------------------------===//
// bitplane_decompose / bitplane_matmul
//===----------------------------------------------------------------------===//

// -----

func.func @f(%w: tensor<64x128x!lowbit.bipolar<3>>) {
  // expected-error @+1 {{expected 3 bit planes for '!lowbit.bipolar<3>' codes, got 4}}
  %p = lowbit.bitplane_decompose %w : tensor<64x128x!lowbit.bipolar<3>> -> tensor<4x64x128xi1>
  return
}

// -----

func.func @f(%w: tensor<64x128x!lowbit.bipolar<3>>) {
  // expected-error @+1 {{each plane must have the input shape [64, 128]}}
  %p = lowbit.bitplane_decompose %w : tensor<64x128x!lowbit.bipolar<3>> -> tensor<3x128x64xi1>
  return
}

// -----

func.func @f(%w: tensor<64x128xi4>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of bipolar-INT code of `bits` bits (APT-LLM) values}}
  %p = lowbit.bitplane_decompose %w : tensor<64x128xi4> -> tensor<4x64x128xi1>
  return
}

// -----

func.func @f(%a: tensor<16x256xi1>, %w: tensor<3x64x256xi1>) {
  // expected-error @+1 {{expects [P, M, K] and [Q, N, K] planes and an [M, N] result}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<16x256xi1>, tensor<3x64x256xi1> -> tensor<16x64xi32>
  return
}

// -----

func.func @f(%a: tensor<9x16x256xi1>, %w: tensor<3x64x256xi1>) {
  // expected-error @+1 {{input must have 1 to 8 bit planes, got 9}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<9x16x256xi1>, tensor<3x64x256xi1> -> tensor<16x64xi32>
  return
}

// -----

func.func @f(%a: tensor<2x16x256xi1>, %w: tensor<?x64x256xi1>) {
  // expected-error @+1 {{the number of weight bit planes must be static}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x16x256xi1>, tensor<?x64x256xi1> -> tensor<16x64xi32>
  return
}

// -----

func.func @f(%a: tensor<2x16x256xi1>, %w: tensor<3x64x128xi1>) {
  // expected-error @+1 {{input K = 256 differs from weight K = 128}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x16x256xi1>, tensor<3x64x128xi1> -> tensor<16x64xi32>
  return
}

// -----

func.func @f(%a: tensor<2x16x256xi1>, %w: tensor<3x64x256xi1>) {
  // expected-error @+1 {{result shape [64, 16] differs from [M, N] = [16, 64]}}
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x16x256xi1>, tensor<3x64x256xi1> -> tensor<64x16xi32>
  return
}

//===----------------------------------------------------------------------===//
// lut_build / lut_matmul
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{LUT group size must be 1 to 8, got 9}}
  %t = lowbit.lut_build %x {group_size = 9} : tensor<16x4096xf16> -> tensor<16x455x512xf16>
  return
}

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{a symmetric table needs a group size of at least 2}}
  %t = lowbit.lut_build %x {group_size = 1, symmetric} : tensor<16x4096xf16> -> tensor<16x4096x1xf16>
  return
}

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{'lowbit.lut_build' op attribute 'group_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %t = lowbit.lut_build %x {group_size = 0} : tensor<16x4096xf16> -> tensor<16x4096x1xf16>
  return
}

// -----

func.func @f(%x: tensor<16x100xf16>) {
  // expected-error @+1 {{LUT group size 3 does not divide K = 100}}
  %t = lowbit.lut_build %x {group_size = 3} : tensor<16x100xf16> -> tensor<16x33x8xf16>
  return
}

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{expects a [M, K] input and a [M, K / group_size, entries] result}}
  %t = lowbit.lut_build %x {group_size = 4} : tensor<16x4096xf16> -> tensor<16x1024xf16>
  return
}

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{result shape [16, 1024, 16] differs from [16, 1024, 8]}}
  %t = lowbit.lut_build %x {group_size = 4, symmetric} : tensor<16x4096xf16> -> tensor<16x1024x16xf16>
  return
}

// -----

func.func @f(%x: tensor<16x4096xf16>) {
  // expected-error @+1 {{table element type must match the input}}
  %t = lowbit.lut_build %x {group_size = 4} : tensor<16x4096xf16> -> tensor<16x1024x16xf32>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{LUT group size must be 1 to 8, got 12}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 12} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{a symmetric table needs a group size of at least 2}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 1, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x8192xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{expects a [M, K / g, entries] table, [P, N, K / g] weight indices and an [M, N] result}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x8192xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x16xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{table has 16 entries; group size 4 (symmetric) needs 8}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x16xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi8>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{weight indices must be i4, got 'i8'}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi8>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1000x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{table has 1000 groups but the weights have 1024}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1000x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{result shape [16, 256] differs from [M, N] = [16, 512]}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x256xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{result element type must match the table}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf32>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{weight_scheme storage must be !lowbit.bipolar<P>, got 'i2'}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = i2, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x1xf16>) {
  // expected-error @+1 {{expected 3 weight bit planes for '!lowbit.bipolar<3>', got 2}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<3>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x1xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x?x1024xi4>, %s: tensor<?x1xf16>) {
  // expected-error @+1 {{weight shape must be static}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_channel, axis = 0> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x?x1024xi4>, tensor<?x1xf16>) -> tensor<16x?xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x43xf16>) {
  // expected-error @+1 {{LUT group size 4 does not divide the scale group size 6}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1, group_size = 6> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x43xf16>) -> tensor<16x512xf16>
  return
}

// -----

func.func @f(%t: tensor<16x1024x8xf16>, %w: tensor<2x512x1024xi4>, %s: tensor<512x16xf16>) {
  // expected-error @+1 {{weight scales have shape [512, 16] but the scheme needs [512, 32] for a [512, 4096] tensor with per_group granularity}}
  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1, group_size = 128> scales(%s) {group_size = 4, symmetric} : (tensor<16x1024x8xf16>, tensor<2x512x1024xi4>, tensor<512x16xf16>) -> tensor<16x512xf16>
  return
}

// -----

// Found by scripts/mutate-ir.py: an encoding on a tensor whose element type
// failed to parse must not be verified against a null type.
// expected-error @+1 {{bipolar width must be 1 to 8 bits, got 9}}
func.func private @f(tensor<8x!lowbit.bipolar<9>, #lowbit.layout<bit_planes>>)

// -----

// Sign and magnitude have no room for an unsigned code.
func.func @sign_magnitude_unsigned(%x: tensor<256x1024xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<128x1xf32>) -> tensor<256x128xbf16> {
  // expected-error @+1 {{a sign_magnitude weight holds signed codes (-7..7), but the weight scheme is unsigned}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<256x1024xf8E4M3FN>, tensor<128x1024xi4, #lowbit.layout<sign_magnitude>>, tensor<128x1xf32>, tensor<1x1xf32>) -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}
