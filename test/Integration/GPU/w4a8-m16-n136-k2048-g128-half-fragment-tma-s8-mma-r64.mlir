// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode on tma_gemv's s8 tensor cores with 16 tokens, s4 codes in the
// half-fragment order: word j's even nibbles are codes 2j, 2j + 16, 2j + 1,
// 2j + 17, whose activations one prmt gathers from words j / 2 and
// 4 + j / 2 of the chunk (0x5140 for even j, 0x7362 for odd), its odd ones
// the codes 8 on (words 2 + j / 2 and 6 + j / 2). The twin of
// w4a8-m16-n136-k2048-g128-awq-tma-s8-mma-r64: bf16 scales per group of
// 128, a per-tensor input scale, 64 rows per block, a bf16 result.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: prmt.b32 {{.*}}, 0x5140U;
// PTX-DAG: prmt.b32 {{.*}}, 0x7362U;
// PTX-DAG: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-2 --atol=64 --max-rel-l2=4e-3
func.func @decode(%x: tensor<16x2048xi8>, %xs: tensor<1x1xf32>, %w: tensor<136x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                  %s: tensor<136x16xbf16>) -> tensor<16x136xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 32], mma = [16, 8, 32], mma_type = i8,
                                              stages = 2>}
      : (tensor<16x2048xi8>, tensor<136x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<136x16xbf16>, tensor<1x1xf32>)
        -> tensor<16x136xbf16>
  return %y : tensor<16x136xbf16>
}
