// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with a 16-token tile, whose bf16 per-channel scales
// multiply the f32 sums of each half K tile (WgmmaProblem::scalesInSums)
// rather than each dequantized pair: signed s4 codes, bf16 activations,
// M = 11, N = 300 (three 128-row tiles, the last of 44 rows), K = 1280
// (5 K tiles), stream-K, bf16 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16
// PTX-DAG: fma.rn.f32
// PTX-NOT: mul.rn.bf16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<11x1280xbf16>, %w: tensor<300x1280xi4, #lowbit.layout<packed>>,
                 %s: tensor<300x1xbf16>) -> tensor<11x300xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = bf16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = bf16, stages = 4, persistent = true, stream_k = true>}
      : (tensor<11x1280xbf16>, tensor<300x1280xi4, #lowbit.layout<packed>>,
         tensor<300x1xbf16>) -> tensor<11x300xbf16>
  return %y : tensor<11x300xbf16>
}
