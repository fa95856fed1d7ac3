// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// One bf16 token, u4 codes with zero points and bf16 scales per group of
// 128: tma_gemv on tensor cores, 32 rows per block and warp, 2 slots (the
// sm_90a default on layers of 4224 rows or more, written out: here it takes
// 16-row blocks), K split in two (7 row blocks, f32 result). Each nibble is shifted down and OR-ed into bf16 128.0, one
// bf16x2 subtract leaves code - zero point exactly; mma.sync m16n8k16 on
// bf16. N = 200 leaves 24 rows of the last block past N; K = 1536 ends
// inside the second K tile.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1124090624, 106;
// PTX-DAG: sub.{{(rn.)?}}bf16x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: atom.global.add.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = bf16, stages = 2, split_k = 2>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @decode(%x: tensor<1x1536xbf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                  %s: tensor<200x12xbf16>, %z: tensor<200x12xi4>) -> tensor<1x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = bf16,
                                              stages = 2, split_k = 2>}
      : (tensor<1x1536xbf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x12xbf16>,
         tensor<200x12xi4>) -> tensor<1x200xf32>
  return %y : tensor<1x200xf32>
}
