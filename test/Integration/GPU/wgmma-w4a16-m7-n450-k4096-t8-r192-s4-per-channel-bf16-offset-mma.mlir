// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Config offset_mma on signed codes without zero points (offset 8),
// bf16 per-channel scales, packed weights, an 8-token tile of 192 rows.
// M = 7, N = 450, K = 4096 (stream-K); f32 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<7x4096xbf16>, %w: tensor<450x4096xi4, #lowbit.layout<packed>>,
                 %s: tensor<450x1xbf16>) -> tensor<7x450xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = bf16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 192, 256], warp = [8, 64], mma = [8, 64, 16], mma_type = bf16, stages = 4, persistent = true, stream_k = true, offset_mma = true>}
      : (tensor<7x4096xbf16>, tensor<450x4096xi4, #lowbit.layout<packed>>,
         tensor<450x1xbf16>) -> tensor<7x450xf32>
  return %y : tensor<7x450xf32>
}
