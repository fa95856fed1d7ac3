// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=prmt.b32 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Decode on sign_magnitude weights on wgmma's 8-token tile with stream-K
// (the default for such weights up to 8 tokens before tma_gemv read them:
// w4a8fp8-m3-n1000-k4640-sign-magnitude-tma-mma). N = 1000 and K = 4640
// (18.1 K tiles) end inside tiles.
// PTX: wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<3x4640xf8E4M3FN>, %xs: tensor<3x1xf32>, %w: tensor<1000x4640xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<1000x1xf16>) -> tensor<3x1000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 128, 256], warp = [8, 64], mma = [8, 64, 32], mma_type = f8E4M3FN, stages = 6, persistent = true, stream_k = true>}
      : (tensor<3x4640xf8E4M3FN>, tensor<1000x4640xi4, #lowbit.layout<sign_magnitude>>, tensor<1000x1xf16>, tensor<3x1xf32>) -> tensor<3x1000xf32>
  return %y : tensor<3x1000xf32>
}
