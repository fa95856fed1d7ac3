// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 on tma_gemv's s8 tensor cores with 16 rows per block and warp and
// two tokens: one row tile and one token tile per warp, so each quad's four
// mma steps alternate between two accumulator chains; s4 codes with f32
// scales per group of 128, f32 scales per token, an f16 result.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=16 --max-rel-l2=2e-3
func.func @decode(%x: tensor<2x2048xi8>, %xs: tensor<2x1xf32>,
                  %w: tensor<96x2048xi4, #lowbit.layout<packed>>,
                  %s: tensor<96x16xf32>) -> tensor<2x96xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512],
                                              warp = [16, 16], mma = [16, 8, 32], mma_type = i8,
                                              stages = 4>}
      : (tensor<2x2048xi8>, tensor<96x2048xi4, #lowbit.layout<packed>>, tensor<96x16xf32>,
         tensor<2x1xf32>) -> tensor<2x96xf16>
  return %y : tensor<2x96xf16>
}
