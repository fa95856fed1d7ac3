// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// RUN: lowbit-compile %s --arch=sm_89 -o %t.sm89.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_89 %t.sm89.ptx -o %t.sm89.cubin %}
// CHECK: 1 kernel(s)

// FP8 x FP8 (e4m3, sm_89+): per-tensor activation scale, per-channel weight
// scales, f32 result. Codes span all finite e4m3 values (up to 448), so
// results reach ~1e5 and the absolute tolerance is scaled to match.
// PTX: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// The mma_sync strategy (sm_90a takes wgmma): on the H100 as an sm_90 kernel.
// GPU-ARCH: sm_90
// GPU-COMPARE: --rtol=1e-3 --atol=2
func.func @fp8(%x: tensor<100x256xf8E4M3FN>, %w: tensor<128x256xf8E4M3FN>, %s: tensor<128x1xf32>, %xs: tensor<1x1xf32>) -> tensor<100x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<100x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<128x1xf32>, tensor<1x1xf32>) -> tensor<100x128xf32>
  return %y : tensor<100x128xf32>
}
