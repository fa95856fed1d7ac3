// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// W8A16 prefill: int8 codes, per-channel f32 scales, bf16 activations, an N
// (192) that takes 64-column tiles and an M (130) just past a tile. Weights
// (codes up to 127 times scales) are rounded to bf16 in registers: results of
// ~1e3 carry errors of a few units (relative L2 ~2e-3, bf16's 2^-9).
// GPU-COMPARE: --rtol=1e-2 --atol=8
func.func @w8a16(%x: tensor<130x384xbf16>, %w: tensor<192x384xi8>, %s: tensor<192x1xf32>) -> tensor<130x192xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) : (tensor<130x384xbf16>, tensor<192x384xi8>, tensor<192x1xf32>) -> tensor<130x192xf32>
  return %y : tensor<130x192xf32>
}
