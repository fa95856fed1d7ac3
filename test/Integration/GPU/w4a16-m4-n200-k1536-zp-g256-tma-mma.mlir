// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MMA < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Four f16 tokens, u4 codes with zero points and f16 scales per group of
// 256 (two quads share a scale): the sm_90a default on layers of 4224 rows or more (written out: here it
// takes 16-row blocks), tma_gemv on tensor cores with 32 rows per block and
// warp, 3 slots, K split in two. Nibbles 0
// and 2 of each half-word are masked into f16 1024 + code, nibbles 1 and 3
// in place as 1024 + 16 x code (lop3 with 0x000F000F and 0x00F000F0), and
// one f16x2 subtract (FMA by 1/16 for the second kind) per pair leaves code
// - zero point exactly; 16 mma.sync per quad and warp (two row tiles).
// N = 200 leaves 24 rows of the last block past N; K = 1536 ends inside the
// second K tile (zeroed activations there).
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1677747200, 106;
// PTX-DAG: lop3.b32 {{.*}}, 15728880, 1677747200, 106;
// PTX-DAG: sub.rn.f16x2
// PTX-DAG: fma.rn.f16x2
// PTX-DAG: atom.global.add.f32
// MMA-COUNT-32: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MMA-NOT: mma.sync
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3, split_k = 2>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<4x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x6xf16>, %z: tensor<200x6xi4>) -> tensor<4x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 256>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3, split_k = 2>}
      : (tensor<4x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x6xf16>,
         tensor<200x6xi4>) -> tensor<4x200xf32>
  return %y : tensor<4x200xf32>
}
