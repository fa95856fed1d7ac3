// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// One token with eight activation planes (the most the op takes) and two
// weight planes: nine sets of sums in 16 x 16 warp tiles; the block has one
// warp along M. Rows 1..15 of every A fragment are zero-filled.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = bitplane, block = [16, 64, 512], warp = [16, 16], mma = [16, 8, 256], mma_type = i1, stages = 3>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=0 --atol=0
func.func @a8w2(%a: tensor<8x1x4096xi1>, %w: tensor<2x256x4096xi1>) -> tensor<1x256xi32> {
  %c = lowbit.bitplane_matmul %a, %w
      : tensor<8x1x4096xi1>, tensor<2x256x4096xi1> -> tensor<1x256xi32>
  return %c : tensor<1x256xi32>
}
