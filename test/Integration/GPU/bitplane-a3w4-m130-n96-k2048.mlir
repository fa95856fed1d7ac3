// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_86 -o %t.sm86.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_86 -v %t.sm86.ptx -o %t.sm86.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// Three activation planes by four weight planes: six sets of sums (weights
// 1 to 32), so 32 x 16 warp tiles keep them in 96 registers. Four K tiles
// through a three-slot ring; M = 130 and N = 96 leave partial block tiles.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = bitplane, block = [64, 64, 512], warp = [32, 16], mma = [16, 8, 256], mma_type = i1, stages = 3>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=0 --atol=0
func.func @a3w4(%a: tensor<3x130x2048xi1>, %w: tensor<4x96x2048xi1>) -> tensor<130x96xi32> {
  %c = lowbit.bitplane_matmul %a, %w
      : tensor<3x130x2048xi1>, tensor<4x96x2048xi1> -> tensor<130x96xi32>
  return %c : tensor<130x96xi32>
}
