// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W8A16 on tma_gemv: int8 codes (16 per chunk), f32 scales per channel, f16
// activations, f16 result; K = 1008 bytes per row is 63 chunks (the second
// K tile holds 31), 8 rows per block, 4-slot ring.
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a16(%x: tensor<1x1008xf16>, %w: tensor<72x1008xi8>, %s: tensor<72x1xf32>)
    -> tensor<1x72xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 8, 512],
                                              warp = [16, 2], mma = [1, 1, 1], mma_type = f32,
                                              stages = 4>}
      : (tensor<1x1008xf16>, tensor<72x1008xi8>, tensor<72x1xf32>) -> tensor<1x72xf16>
  return %y : tensor<1x72xf16>
}
