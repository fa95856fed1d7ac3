// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// GPU matrix case: W4A8: int8 activations, M = 1, N = 256, K = 512, f32 result: the
// tensor-core tma_gemv on s8 (the decode default on sm_90 for signed codes without zero points).
// PTX: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @w4a8_m1(%x: tensor<1x512xi8>, %xs: tensor<1x1xf32>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>) -> tensor<1x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<1x512xi8>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>, tensor<1x1xf32>) -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
