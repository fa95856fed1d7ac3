// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Sixteen tokens on tma_gemv's tensor cores with 32 rows per block and warp
// and K split in two: the sm_90a default for 9 to 16 tokens on layers of
// 66 x 32 to 132 x 32 rows with K of 8 tiles or more (4096 x 14336), here on
// a small N. Two row tiles and two token tiles per warp; the halves of K meet
// through f32 atomics into the cleared result. N = 136 leaves 24 rows of the
// last block past N; K = 4096 is four K tiles per split.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: atom.global.add.f32
// MANIFEST: "grid": [
// MANIFEST-NEXT: 5,
// MANIFEST-NEXT: 2,
// MANIFEST: "zero_result": true
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<16x4096xf16>, %w: tensor<136x4096xi4, #lowbit.layout<packed>>,
                 %s: tensor<136x32xf16>, %z: tensor<136x32xi4>) -> tensor<16x136xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2, split_k = 2>}
      : (tensor<16x4096xf16>, tensor<136x4096xi4, #lowbit.layout<packed>>, tensor<136x32xf16>,
         tensor<136x32xi4>) -> tensor<16x136xf32>
  return %y : tensor<16x136xf32>
}
