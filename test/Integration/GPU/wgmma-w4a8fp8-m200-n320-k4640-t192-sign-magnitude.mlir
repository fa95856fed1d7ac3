// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=prmt.b32 < %t.ptx
// RUN: FileCheck %s --check-prefix=POOL < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// Sign_magnitude weights in 192-token tiles (the default from M = 4096),
// 3 stages, stream-K, results staged in 48-token boxes, as
// wgmma-w4a8fp8-m200-n320-k4640-t192 on packed weights: a 24-register
// producer, two consumers of 240 registers, no spills.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTX-DAG: setmaxnreg.dec.sync.aligned.u32 24;
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 240;
// POOL: "register_pool": 64512
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<200x4640xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<320x4640xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<320x1xbf16>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 3, persistent = true, stream_k = true>}
      : (tensor<200x4640xf8E4M3FN>, tensor<320x4640xi4, #lowbit.layout<sign_magnitude>>, tensor<320x1xbf16>, tensor<1x1xf32>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
