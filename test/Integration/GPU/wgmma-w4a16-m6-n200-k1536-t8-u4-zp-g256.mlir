// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with an 8-token tile: u4 codes with zero points, f16
// scales per group of 256 (one per K tile, both halves of a tile scaled by
// it in f32: WgmmaProblem::scalesInSums), M = 6, N = 200 (a 128-row tile
// and one of 72), K = 1536 (6 K tiles), f32 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16
// PTX-DAG: fma.rn.f32
// PTX-NOT: mul.rn.f16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<6x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x6xf16>, %z: tensor<200x6xi4>) -> tensor<6x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 256,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 128, 256], warp = [8, 64], mma = [8, 64, 16], mma_type = f16, stages = 4, persistent = true>}
      : (tensor<6x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>,
         tensor<200x6xf16>, tensor<200x6xi4>) -> tensor<6x200xf32>
  return %y : tensor<6x200xf32>
}
