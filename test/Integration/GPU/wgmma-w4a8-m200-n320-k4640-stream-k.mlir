// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 (s4 x int8) on wgmma with stream-K: 6 tiles of 128 weight rows x
// 128 tokens, each split along K into 2 parts of its 19 K tiles of 256
// (K = 4640 ends inside one: parts of 9 and 10); s32 sums handed on; f32
// results stored from registers.
// GRID: "grid": [
// GRID-NEXT: 12,
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @w4a8(%x: tensor<200x4640xi8>, %xs: tensor<200x1xf32>, %w: tensor<320x4640xi4, #lowbit.layout<packed>>, %s: tensor<320x1xf16>) -> tensor<200x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>}
      : (tensor<200x4640xi8>, tensor<320x4640xi4, #lowbit.layout<packed>>, tensor<320x1xf16>, tensor<200x1xf32>) -> tensor<200x320xf32>
  return %y : tensor<200x320xf32>
}
