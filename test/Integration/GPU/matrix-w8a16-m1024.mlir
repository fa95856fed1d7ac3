// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// GPU matrix case: W8A16 (int8 codes, per-channel scales, f16 activations),
// M = 1024, N = 256, K = 512, f32 result; weights rounded to f16 in registers.
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=1
func.func @w8a16_m1024(%x: tensor<1024x512xf16>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<1024x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) : (tensor<1024x512xf16>, tensor<256x512xi8>, tensor<256x1xf32>) -> tensor<1024x256xf32>
  return %y : tensor<1024x256xf32>
}
