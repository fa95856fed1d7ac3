// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma with a 16-token tile of 256 weight
// rows: four consumer warpgroups (640 threads; 24 registers for the
// producer, 112 for each consumer). M = 10, N = 700 (three tiles, the last
// of 188 rows), K = 4096 (16 K tiles: stream-K splits each tile in two), f32
// results.
// PTX: .maxntid 640, 1, 1
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 112
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k32.f32.e4m3.e4m3
// PTX-DAG: ld.acquire.gpu.global.u32
// (ptxas 13.0 spills 8 bytes outside the K loop, beside stream-K.)
// PTXAS: Used 96 registers
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<10x4096xf8E4M3FN>, %xs: tensor<10x1xf32>, %w: tensor<700x4096xi4, #lowbit.layout<packed>>, %s: tensor<700x1xf16>) -> tensor<10x700xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 256, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = f8E4M3FN, stages = 6, persistent = true, stream_k = true>}
      : (tensor<10x4096xf8E4M3FN>, tensor<700x4096xi4, #lowbit.layout<packed>>, tensor<700x1xf16>, tensor<10x1xf32>) -> tensor<10x700xf32>
  return %y : tensor<10x700xf32>
}
