// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.sm80.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_80 -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_89 -o %t.sm89.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_89 %t.sm89.ptx -o %t.sm89.cubin %}
// CHECK: 1 kernel(s)

// Bipolar W2A2 on 1-bit tensor cores: two planes on each side, four
// and.popc MMAs per K step into three sets of sums (weights 1, 2, 4). No
// dimension is a multiple of its tile: M = 200 (64-row tiles), N = 136
// (128), K = 1100 bits (rows padded to 1152 bits = 144 bytes: of the third
// 64-byte K tile only the first 16-byte chunk is inside the row, the others
// are zero-filled).
// PTX: .visible .entry w2a2_bitplane0(
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc
// PTX-DAG: ld.shared.v4.b32
// PTX-DAG: popc.b32
// PTX-DAG: shfl.sync.bfly.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = bitplane, block = [64, 128, 512], warp = [32, 32], mma = [16, 8, 256], mma_type = i1, stages = 3>"
// MANIFEST: "dtype": "b1",
// MANIFEST-NEXT: "layout": "bits",
// MANIFEST-NEXT: "role": "input",
// MANIFEST: "dtype": "i4",
// MANIFEST-NEXT: "role": "result",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// The result is exact: any difference fails.
// GPU-COMPARE: --rtol=0 --atol=0
func.func @w2a2(%a: tensor<2x200x1100xi1>, %w: tensor<2x136x1100xi1>) -> tensor<200x136xi32> {
  %c = lowbit.bitplane_matmul %a, %w
      : tensor<2x200x1100xi1>, tensor<2x136x1100xi1> -> tensor<200x136xi32>
  return %c : tensor<200x136xi32>
}
