// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores with bf16 activations and s4 codes in the
// half-fragment order (pairs of consecutive codes, activations used as
// loaded), f32 scales per channel, a bf16 result: five tokens, 32 rows per
// block and per warp, three slots; the twin of
// w4a16-m5-n96-k2048-bf16-awq-tma-mma.
// PTX: .visible .entry decode_tma_gemv0(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-NOT: prmt
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.1
func.func @decode(%x: tensor<5x2048xbf16>, %w: tensor<96x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                  %s: tensor<96x1xf32>) -> tensor<5x96xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = bf16,
                                              stages = 3>}
      : (tensor<5x2048xbf16>, tensor<96x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<96x1xf32>) -> tensor<5x96xbf16>
  return %y : tensor<5x96xbf16>
}
