// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores with eight tokens (all of the mma's N), signed
// 4-bit codes interleaved in AWQ's word order (the activations enter B as
// loaded: no prmt), f16 scales per channel and an f16 result.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: prmt
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w4a16(%x: tensor<8x1024xf16>,
                 %w: tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
                 %s: tensor<64x1xf16>) -> tensor<8x64xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = f16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512],
                                              warp = [16, 16], mma = [16, 8, 16], mma_type = f16,
                                              stages = 4>}
      : (tensor<8x1024xf16>,
         tensor<64x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
         tensor<64x1xf16>) -> tensor<8x64xf16>
  return %y : tensor<8x64xf16>
}
