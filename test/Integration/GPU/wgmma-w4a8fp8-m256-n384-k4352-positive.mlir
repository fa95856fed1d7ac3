// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma (the default config) on activations
// that are all non-negative, where sums do not cancel: the tensor cores sum
// e4m3 products with fewer bits than f32, so each K tile's sum (256 codes)
// is promoted into an f32 one; K = 4352 is 17 K tiles. (Promoting every two
// tiles raised the error of wgmma-w4a8fp8-m200-n320-k4640-stream-k from
// 0.00103 to 0.00122 on an H100 and ran no faster:
// bench/results/2026-12-05-h100-half-fragment-and-w4a8-promotion.md.)
// PTX: wgmma.mma_async.sync.aligned.m64n{{[0-9]+}}k32.f32.e4m3.e4m3 {{.*}}, p, 1, 1;
// PTX: add.rn.f32
// Tolerance as for the FP8 wgmma cases (matrix-fp8-m1024.mlir).
// GPU-INPUTS: --nonnegative=0
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<256x4352xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<384x4352xi4, #lowbit.layout<packed>>, %s: tensor<384x1xbf16>) -> tensor<256x384xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<256x4352xf8E4M3FN>, tensor<384x4352xi4, #lowbit.layout<packed>>, tensor<384x1xbf16>, tensor<1x1xf32>) -> tensor<256x384xbf16>
  return %y : tensor<256x384xbf16>
}
