// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// W8A8: int8 codes on both sides, per-token activation scales, per-channel
// weight scales; M = 200 is not a multiple of the 128-row tile.
// PTX: cp.async.cg.shared.global
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// (Exact int32 accumulation here, f32 in the reference: the absolute
// tolerance covers its rounding at these magnitudes.)
// The mma_sync strategy (sm_90a takes wgmma): on the H100 as an sm_90 kernel.
// GPU-ARCH: sm_90
// GPU-COMPARE: --rtol=1e-3 --atol=1
func.func @w8a8(%x: tensor<200x512xi8>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<200x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<200x1xf32>) -> tensor<200x256xf32>
  return %y : tensor<200x256xf32>
}
