// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with f16: signed s4 codes, f16 scales per group of 64 (four
// groups per 256-K tile), 64-token tiles (4 stages), f32 result.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16_f16(%x: tensor<64x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x8xf16>) -> tensor<64x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 16], mma_type = f16, stages = 4, persistent = true>}
      : (tensor<64x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x8xf16>) -> tensor<64x256xf32>
  return %y : tensor<64x256xf32>
}
