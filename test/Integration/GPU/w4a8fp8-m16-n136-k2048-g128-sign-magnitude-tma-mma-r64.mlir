// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Sign_magnitude weights on tma_gemv's tensor cores with 16 tokens (two
// token tiles sharing each widened weight pair), f32 scales per group of
// 128 (each 128-code quad's f32 sums take its scale: no product of a scale
// and code / 512 is rounded in f16), a per-tensor input scale, 64 rows per
// block in two row groups of 32, whose two warps each split the K tile,
// and a bf16 result. A weight word's four pairs are bytes 0-1 and 2-3 of
// its two registers: the activations of consecutive codes.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: shf.l.wrap.b32 {{.*}}, 28;
// PTX-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-2 --atol=1.0 --max-rel-l2=4e-3
func.func @decode(%x: tensor<16x2048xf8E4M3FN>, %xs: tensor<1x1xf32>,
                  %w: tensor<136x2048xi4, #lowbit.layout<sign_magnitude>>,
                  %s: tensor<136x16xf32>) -> tensor<16x136xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2>}
      : (tensor<16x2048xf8E4M3FN>, tensor<136x2048xi4, #lowbit.layout<sign_magnitude>>,
         tensor<136x16xf32>, tensor<1x1xf32>) -> tensor<16x136xbf16>
  return %y : tensor<16x136xbf16>
}
