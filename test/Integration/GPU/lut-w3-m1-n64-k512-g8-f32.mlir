// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// One f32 token, full tables of 256 entries (groups of 8 activations), three
// bipolar planes of 8-bit indices, per-channel f32 scales.
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-4 --atol=1e-3
func.func @lut(%t: tensor<1x64x256xf32>, %w: tensor<3x64x64xi8>, %s: tensor<64x1xf32>)
    -> tensor<1x64xf32> {
  %y = lowbit.lut_matmul %t, %w
      weight_scheme #lowbit.quant<storage = !lowbit.bipolar<3>, granularity = per_channel,
                                  axis = 0, scale_type = f32>
      scales(%s) {group_size = 8}
      : (tensor<1x64x256xf32>, tensor<3x64x64xi8>, tensor<64x1xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
