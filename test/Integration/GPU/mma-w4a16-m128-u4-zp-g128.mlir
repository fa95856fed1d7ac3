// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)
// (sm_90 keeps mma.sync: on sm_90a 4-bit weights take the wgmma strategy.)
// GPU-ARCH: sm_90

// W4A16 prefill: u4 codes with zero points, group 128, f16 activations and
// result. Weights are dequantized to f16 in registers (rounded there, hence
// the tolerance: one f16 rounding per product).
// PTX: cp.async.cg.shared.global
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<128x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>,
                 %s: tensor<256x4xf16>, %z: tensor<256x4xi4>) -> tensor<128x256xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<128x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>,
         tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<128x256xf16>
  return %y : tensor<128x256xf16>
}
