// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// W8A16: int8 codes, one f32 scale per output channel, bf16 activations.
func.func @w8a16(%x: tensor<8x1024xbf16>, %w: tensor<768x1024xi8>, %s: tensor<768x1xf32>) -> tensor<8x768xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) : (tensor<8x1024xbf16>, tensor<768x1024xi8>, tensor<768x1xf32>) -> tensor<8x768xf32>
  return %y : tensor<8x768xf32>
}
