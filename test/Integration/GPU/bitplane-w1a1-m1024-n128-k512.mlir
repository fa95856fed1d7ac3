// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// Binary (one plane each side): one set of sums, 64 x 64 warp tiles (4 x 8
// MMAs per K step, two steps per K tile), whole tiles in M, N and K (one K
// tile: the ring's prologue holds all of it).
// PTX-COUNT-64: mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc
// PTX-NOT: mma.sync
// MANIFEST: "config": "#lowbit_gpu.config<strategy = bitplane, block = [128, 128, 512], warp = [64, 64], mma = [16, 8, 256], mma_type = i1, stages = 3>"
// MANIFEST: "grid": [
// MANIFEST-NEXT: 8,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=0 --atol=0
func.func @w1a1(%a: tensor<1x1024x512xi1>, %w: tensor<1x128x512xi1>) -> tensor<1024x128xi32> {
  %c = lowbit.bitplane_matmul %a, %w
      : tensor<1x1024x512xi1>, tensor<1x128x512xi1> -> tensor<1024x128xi32>
  return %c : tensor<1024x128xi32>
}
