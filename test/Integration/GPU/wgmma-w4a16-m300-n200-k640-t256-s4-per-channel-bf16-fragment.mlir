// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=ld.shared.b8 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 with bf16 activations on weights in the half-fragment order, the
// default config from M = 256: 256-token tiles by K tiles of 128 codes (64
// bytes a row: the 64-byte swizzle). Signed codes (the sign bits flipped
// into 128.0 with the sign: 0x43084308 = 1124614920) with bf16 scales per
// channel; M = 300, N = 200, K = 640 (5 K tiles).
// PTX-DAG: ld.shared.b32
// PTX-DAG: shr.u32 {{%r[0-9]+}}, {{%r[0-9]+}}, 12;
// PTX-DAG: 983055, 1124614920
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
// PTX-DAG: mul.rn.bf16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<300x640xbf16>, %w: tensor<200x640xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<200x1xbf16>) -> tensor<300x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = bf16>
      weight_scales(%s)
      : (tensor<300x640xbf16>, tensor<200x640xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<200x1xbf16>) -> tensor<300x200xbf16>
  return %y : tensor<300x200xbf16>
}
