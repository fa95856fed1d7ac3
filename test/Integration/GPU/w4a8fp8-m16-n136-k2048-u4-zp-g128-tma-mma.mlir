// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode with e4m3 activations on the tensor-core tma_gemv (the
// default on layers of 4224 rows or more, written out: here it takes 16-row
// blocks): 16 tokens (two mma token tiles) with bf16 scales per token, u4
// codes with zero points and bf16 scales per group of 128, a bf16 result.
// Pairs of e4m3 activations become f16 pairs with cvt.rn.f16x2.e4m3x2
// (exact). N = 136 leaves 24 rows of the last block past N.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-2 --atol=1.0 --max-rel-l2=4e-3
func.func @decode(%x: tensor<16x2048xf8E4M3FN>, %xs: tensor<16x1xbf16>,
                  %w: tensor<136x2048xi4, #lowbit.layout<packed>>,
                  %s: tensor<136x16xbf16>, %z: tensor<136x16xi4>) -> tensor<16x136xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0,
                                 scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2>}
      : (tensor<16x2048xf8E4M3FN>, tensor<136x2048xi4, #lowbit.layout<packed>>,
         tensor<136x16xbf16>, tensor<136x16xi4>, tensor<16x1xbf16>) -> tensor<16x136xbf16>
  return %y : tensor<16x136xbf16>
}
