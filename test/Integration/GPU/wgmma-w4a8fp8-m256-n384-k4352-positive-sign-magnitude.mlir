// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=prmt.b32 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// W4A8 e4m3 on sign_magnitude weights (wgmma-w4a8fp8-m130-n200-k800-sign-magnitude)
// on non-negative activations, where sums do not cancel: the products are
// code / 512 x activation, and the scale of 512 is a power of two, so the
// tensor cores' FP8 sums keep the precision of the packed path's
// (wgmma-w4a8fp8-m256-n384-k4352-positive); biased codes, (code + 8) / 512,
// lost it (docs/Roadmap.md). K = 4352 is 17 K tiles.
// PTX: wgmma.mma_async.sync.aligned.m64n{{[0-9]+}}k32.f32.e4m3.e4m3
// GPU-INPUTS: --nonnegative=0
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<256x4352xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<384x4352xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<384x1xbf16>) -> tensor<256x384xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<256x4352xf8E4M3FN>, tensor<384x4352xi4, #lowbit.layout<sign_magnitude>>, tensor<384x1xbf16>, tensor<1x1xf32>) -> tensor<256x384xbf16>
  return %y : tensor<256x384xbf16>
}
