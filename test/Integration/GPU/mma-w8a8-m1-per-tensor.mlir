// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// W8A8 at decode M: quantized activations take the tensor-core strategy at
// any M (64-row tile, rows past M zero-filled); bf16 result.
// The mma_sync strategy (sm_90a takes wgmma): on the H100 as an sm_90 kernel.
// GPU-ARCH: sm_90
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a8_decode(%x: tensor<1x1024xi8>, %w: tensor<512x1024xi8>, %s: tensor<512x1xf32>, %xs: tensor<1x1xf32>) -> tensor<1x512xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<1x1024xi8>, tensor<512x1024xi8>, tensor<512x1xf32>, tensor<1x1xf32>) -> tensor<1x512xbf16>
  return %y : tensor<1x512xbf16>
}
