// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma in clusters of two blocks along N ([1, 2]) with the staged
// epilogue: transposed (weights are the kernel's rows), the pair shares its
// activation tile through multicast, and each consumer stores its 64 weight
// rows for the tile's 128 tokens as one TMA box (640-byte result rows). N =
// 320 is three 128-row tiles (the second pair's second tile is past N, its
// box left out by TMA), M = 200 and K = 640 are not multiples of the tile.
// PTX: .reqnctapercluster 2, 1, 1
// PTX-DAG: multicast::cluster
// PTX-DAG: mbarrier.arrive.shared::cluster.b64
// PTX-DAG: st.shared.b16
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<200x640xbf16>, %w: tensor<320x640xi4, #lowbit.layout<packed>>, %s: tensor<320x5xbf16>, %z: tensor<320x5xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, cluster = [1, 2], persistent = true>}
      : (tensor<200x640xbf16>, tensor<320x640xi4, #lowbit.layout<packed>>, tensor<320x5xbf16>, tensor<320x5xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
