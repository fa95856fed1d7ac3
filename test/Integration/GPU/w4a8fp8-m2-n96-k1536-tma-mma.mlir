// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode with e4m3 activations (the default: 16 rows per block, the
// activations widened to f16 pairs by cvt.rn.f16x2.e4m3x2) over a K of one and a half K tiles: the slot past K
// holds stale bytes, which could be e4m3 NaNs, so the activations there are
// zeroed before they are widened. Two tokens with f16 scales per token, s4
// weights with f32 scales per channel, an f32 result split over K (f32
// atomics).
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, stages = 3, split_k = 2>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5 --max-rel-l2=1e-5
func.func @decode(%x: tensor<2x1536xf8E4M3FN>, %xs: tensor<2x1xf16>,
                  %w: tensor<96x1536xi4, #lowbit.layout<packed>>,
                  %s: tensor<96x1xf32>) -> tensor<2x96xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0,
                                 scale_type = f16>
      weight_scales(%s) input_scales(%xs)
      : (tensor<2x1536xf8E4M3FN>, tensor<96x1536xi4, #lowbit.layout<packed>>,
         tensor<96x1xf32>, tensor<2x1xf16>) -> tensor<2x96xf32>
  return %y : tensor<2x96xf32>
}
