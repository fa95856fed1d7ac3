// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)
// (The sm_80-sm_89 default, written out: on sm_90 decode takes tma_gemv.)
// GPU-ARCH: sm_90

// W4A8 (QServe-style int8 path): signed 4-bit weights widened to s8 in
// registers, int8 activations with per-token scales, per-channel weight
// scales; M = 16.
// PTX: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// (Exact int32 accumulation here, f32 in the reference: the absolute
// tolerance covers its rounding at these magnitudes.)
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @w4a8(%x: tensor<16x512xi8>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>, %xs: tensor<16x1xf32>) -> tensor<16x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = mma_sync, block = [64, 128, 64],
                                              warp = [32, 64], mma = [16, 8, 32], mma_type = i8,
                                              stages = 4>}
      : (tensor<16x512xi8>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>, tensor<16x1xf32>) -> tensor<16x256xf32>
  return %y : tensor<16x256xf32>
}
