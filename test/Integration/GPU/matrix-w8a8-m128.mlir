// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// GPU matrix case: W8A8 int8, per-token x per-channel scales, M = 128, N = 256, K = 512, f32 result.
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8
// PTX-DAG: setmaxnreg.dec.sync.aligned.u32
// PTX-DAG: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=1
func.func @w8a8_m128(%x: tensor<128x512xi8>, %xs: tensor<128x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<128x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<128x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<128x1xf32>) -> tensor<128x256xf32>
  return %y : tensor<128x256xf32>
}
