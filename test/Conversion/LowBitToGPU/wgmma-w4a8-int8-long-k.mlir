// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// CHECK: 2 kernel(s)

// W4A8-int8 on wgmma widens its s4 weights to 16 x code (prmt 0x5140 and a
// mask) and scales the s32 sums by 1/16, while the 16-fold sums fit s32:
// |16 x code x activation| <= 128 x 128, so K < 2^17. At K = 2^17 the codes
// are widened themselves (one lookup and the sign mask, prmt 0xD9C8), and
// nothing is scaled. Compiled only: both widenings ran on the H200 in the
// wgmma-w4a8 cases.
// PTX-LABEL: .entry below_wgmma0(
// PTX: prmt.b32 {{.*}}, 0x5140U;
// PTX: wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8
// PTX: mul.rn.f32 {{.*}}, 0f3D800000;
// PTX-LABEL: .entry at_wgmma1(
// PTX-NOT: 0x5140U
// PTX-NOT: 0f3D800000
// PTX: prmt.b32 {{.*}}, 0xd9c8U;
// PTX-NOT: 0x5140U
// PTX-NOT: 0f3D800000
// PTX: wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8
// PTX-NOT: 0x5140U
// PTX-NOT: 0f3D800000
func.func @below(%x: tensor<128x131040xi8>, %xs: tensor<128x1xf32>, %w: tensor<128x131040xi4, #lowbit.layout<packed>>, %s: tensor<128x1xf16>) -> tensor<128x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<128x131040xi8>, tensor<128x131040xi4, #lowbit.layout<packed>>, tensor<128x1xf16>, tensor<128x1xf32>) -> tensor<128x128xf32>
  return %y : tensor<128x128xf32>
}
func.func @at(%x: tensor<128x131072xi8>, %xs: tensor<128x1xf32>, %w: tensor<128x131072xi4, #lowbit.layout<packed>>, %s: tensor<128x1xf16>) -> tensor<128x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<128x131072xi8>, tensor<128x131072xi4, #lowbit.layout<packed>>, tensor<128x1xf16>, tensor<128x1xf32>) -> tensor<128x128xf32>
  return %y : tensor<128x128xf32>
}
