// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)
// (sm_90 keeps mma.sync: on sm_90a 4-bit weights take the wgmma strategy.)
// GPU-ARCH: sm_90

// W4A16 prefill at M = 1024: s4 codes, group 64, bf16 activations, f32
// result. bf16 weights after dequantization: one bf16 rounding per product.
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16_bf16(%x: tensor<1024x256xbf16>, %w: tensor<128x256xi4, #lowbit.layout<packed>>,
                      %s: tensor<128x4xbf16>) -> tensor<1024x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64,
                                  scale_type = bf16>
      weight_scales(%s)
      : (tensor<1024x256xbf16>, tensor<128x256xi4, #lowbit.layout<packed>>, tensor<128x4xbf16>)
        -> tensor<1024x128xf32>
  return %y : tensor<1024x128xf32>
}
