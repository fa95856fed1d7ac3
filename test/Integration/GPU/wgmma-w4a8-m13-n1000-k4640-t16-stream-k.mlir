// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Decode of W4A8 (s4 x int8) on wgmma with a 16-token tile (m64n16k32;
// rows 13..15 of the activation tile read as zeros by TMA and never
// stored), 128 weight rows per tile: N = 1000 is 8 tiles, the last one
// short, each split by stream-K into 2 parts of its 19 K tiles of 256
// (K = 4640 ends inside one); s32 sums handed on; f32 results. Launched
// three times: each launch must leave the flags clear for the next.
// GRID: "grid": [
// GRID-NEXT: 16,
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k32.s32.s8.s8
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: cp.async.bulk.tensor
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5 --launches=3
func.func @w4a8(%x: tensor<13x4640xi8>, %xs: tensor<13x1xf32>, %w: tensor<1000x4640xi4, #lowbit.layout<packed>>, %s: tensor<1000x1xf16>) -> tensor<13x1000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true>}
      : (tensor<13x4640xi8>, tensor<1000x4640xi4, #lowbit.layout<packed>>, tensor<1000x1xf16>, tensor<13x1xf32>) -> tensor<13x1000xf32>
  return %y : tensor<13x1000xf32>
}
