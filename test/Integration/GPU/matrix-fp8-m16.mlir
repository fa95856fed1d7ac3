// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// GPU matrix case: FP8 e4m3 x e4m3, per-tensor x per-channel scales, M = 16, N = 256, K = 512, f32 result.
// PTX: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=4
func.func @fp8_m16(%x: tensor<16x512xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<256x512xf8E4M3FN>, %s: tensor<256x1xf32>) -> tensor<16x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<16x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<256x1xf32>, tensor<1x1xf32>) -> tensor<16x256xf32>
  return %y : tensor<16x256xf32>
}
