// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Four f16 tokens, u4 codes with zero points and f16 scales per group of
// 64: two scales per 128-code quad, so the tensor-core tma_gemv (the
// default) multiplies each lane's decoded pairs by its chunk's scale in
// f16 (as the f16x2 path does) rather than the quad's f32 sums. 16 rows per
// block and warp (136 rows): N = 136 leaves 8 rows of the last block past
// N; K is one K tile (no K split).
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: mul.{{(rn.)?}}f16x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 3>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=2e-3
func.func @decode(%x: tensor<4x1024xf16>, %w: tensor<136x1024xi4, #lowbit.layout<packed>>,
                  %s: tensor<136x16xf16>, %z: tensor<136x16xi4>) -> tensor<4x136xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 64>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<4x1024xf16>, tensor<136x1024xi4, #lowbit.layout<packed>>, tensor<136x16xf16>,
         tensor<136x16xi4>) -> tensor<4x136xf32>
  return %y : tensor<4x136xf32>
}
