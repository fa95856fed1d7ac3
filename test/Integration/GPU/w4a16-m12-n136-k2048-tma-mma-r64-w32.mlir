// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores with 64 rows per block and 32 per warp: two row
// groups of 32 (two mma row tiles sharing each quad's activations), each
// split over two warps of four quads, whose sums meet in shared memory
// behind a block barrier. Twelve tokens: the second mma N tile holds
// tokens 8-11 and four clamped copies of token 11, not stored. Signed i4
// codes without zero points, f16 scales per channel, an f16 result; N =
// 136 leaves 56 rows of the last block past N.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-COUNT-128: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: bar.sync 0;
// PTX: st.global.b16
// MANIFEST: "grid": [
// MANIFEST-NEXT: 3,
// MANIFEST-NEXT: 1,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.1
func.func @w4a16(%x: tensor<12x2048xf16>, %w: tensor<136x2048xi4, #lowbit.layout<packed>>,
                 %s: tensor<136x1xf16>) -> tensor<12x136xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3>}
      : (tensor<12x2048xf16>, tensor<136x2048xi4, #lowbit.layout<packed>>, tensor<136x1xf16>)
        -> tensor<12x136xf16>
  return %y : tensor<12x136xf16>
}
