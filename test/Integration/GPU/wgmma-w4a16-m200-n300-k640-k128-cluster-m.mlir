// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with 128-code K tiles in clusters of two blocks along M
// ([2, 1]): the pair's tiles share their weight tile, each block loading
// one 64-row box of its 64-byte rows (the 64-byte swizzle) and multicasting
// it to both. M = 200 is two 128-token tiles (the second partial), N = 300
// three 128-row tiles, K = 640 five K tiles; u4 codes, zero points, bf16
// scales per group of 128.
// PTX: .reqnctapercluster 2, 1, 1
// PTX: multicast::cluster
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<200x640xbf16>, %w: tensor<300x640xi4, #lowbit.layout<packed>>, %s: tensor<300x5xbf16>, %z: tensor<300x5xi4>) -> tensor<200x300xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 128], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, cluster = [2, 1], persistent = true>}
      : (tensor<200x640xbf16>, tensor<300x640xi4, #lowbit.layout<packed>>, tensor<300x5xbf16>, tensor<300x5xi4>) -> tensor<200x300xbf16>
  return %y : tensor<200x300xbf16>
}
