// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode with e4m3 activations widened to f16 (cvt from e4m3x2) on
// tma_gemv's tensor cores, s4 codes in the half-fragment order: the pair of
// nibbles q and q + 4 of word j is codes 2j + 8q and the next, bytes
// 2 (j % 2) and the next of activation word 2q + j / 2, which one prmt
// gathers (0x32 for odd j; for even j, bytes 0 and 1, none is needed). f16 scales per group of 64 (the decoded pairs
// are scaled in f16), 64 rows per warp and block, an f16 result.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: prmt.b32 {{.*}}, 0x32U;
// PTX-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=2 --max-rel-l2=2e-3
func.func @decode(%x: tensor<5x1024xf8E4M3FN>, %xs: tensor<1x1xf16>, %w: tensor<96x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                  %s: tensor<96x16xf16>) -> tensor<5x96xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f16>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 64], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3>}
      : (tensor<5x1024xf8E4M3FN>, tensor<96x1024xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<96x16xf16>, tensor<1x1xf16>)
        -> tensor<5x96xf16>
  return %y : tensor<5x96xf16>
}
