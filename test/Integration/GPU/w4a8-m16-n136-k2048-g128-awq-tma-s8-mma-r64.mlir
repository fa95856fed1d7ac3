// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode on tma_gemv's s8 tensor cores with 16 tokens (two token
// tiles), s4 codes in AWQ's interleaved word order (the activations are
// gathered as codes 0, 4, 1, 5 and 2, 6, 3, 7 of each word), bf16 scales per
// group of 128, a per-tensor input scale, 64 rows per block over two row
// groups of 32 (two warps each, meeting in shared memory), a bf16 result.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: prmt.b32 {{.*}}, 0x5140U;
// PTX-DAG: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-2 --atol=64 --max-rel-l2=4e-3
func.func @decode(%x: tensor<16x2048xi8>, %xs: tensor<1x1xf32>,
                  %w: tensor<136x2048xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
                  %s: tensor<136x16xbf16>) -> tensor<16x136xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 32], mma = [16, 8, 32], mma_type = i8,
                                              stages = 2>}
      : (tensor<16x2048xi8>, tensor<136x2048xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
         tensor<136x16xbf16>, tensor<1x1xf32>) -> tensor<16x136xbf16>
  return %y : tensor<16x136xbf16>
}
