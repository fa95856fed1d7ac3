// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=SM90 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_89 -o %t.sm89.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=SM89 < %t.sm89.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_89 %t.sm89.ptx -o %t.sm89.cubin %}
// CHECK: 1 kernel(s)

// W4A4: packed signed 4-bit activations (per token) and weights (per
// channel). sm_80 to sm_89 run the s4 MMA; Hopper has no INT4 tensor cores,
// so both operands are widened to s8 in registers there (two s8 MMAs per
// s4 step).
// SM90-NOT: .s4
// SM90: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// SM89: mma.sync.aligned.m16n8k64.row.col.satfinite.s32.s4.s4.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// (Exact int32 accumulation here, f32 in the reference.)
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a4(%x: tensor<128x512xi4, #lowbit.layout<packed>>, %xs: tensor<128x1xf32>,
                %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf32>) -> tensor<128x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<128x512xi4, #lowbit.layout<packed>>, tensor<256x512xi4, #lowbit.layout<packed>>,
         tensor<256x1xf32>, tensor<128x1xf32>) -> tensor<128x256xf32>
  return %y : tensor<128x256xf32>
}
