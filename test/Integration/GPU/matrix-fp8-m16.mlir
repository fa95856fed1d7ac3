// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// GPU matrix case: FP8 e4m3 x e4m3, per-tensor x per-channel scales, M = 16, N = 256, K = 512, f32 result.
// PTX: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// wgmma accumulates e4m3 products with fewer bits than f32 within each
// 128-K tile (promoted to f32 between tiles): judged by relative L2 (2.3e-4
// measured on the H100), elements within 3% of the output RMS (~3e4).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=1e-3
func.func @fp8_m16(%x: tensor<16x512xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<256x512xf8E4M3FN>, %s: tensor<256x1xf32>) -> tensor<16x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<16x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<256x1xf32>, tensor<1x1xf32>) -> tensor<16x256xf32>
  return %y : tensor<16x256xf32>
}
