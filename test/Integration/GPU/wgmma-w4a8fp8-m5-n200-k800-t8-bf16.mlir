// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma with an 8-token tile (m64n8k32) and
// one consumer warpgroup (64 weight rows): M = 5, N = 200 (four tiles, the
// last of 8 rows) and K = 800 (4 K tiles, the last short); f32 sums
// promoted per K tile; bf16 results staged through shared memory and
// stored by TMA.
// GRID: "grid": [
// GRID-NEXT: 4,
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3
// PTX-DAG: add.rn.f32
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<5x800xf8E4M3FN>, %xs: tensor<5x1xf32>, %w: tensor<200x800xi4, #lowbit.layout<packed>>, %s: tensor<200x1xf32>) -> tensor<5x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 64, 256], warp = [8, 64], mma = [8, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true>}
      : (tensor<5x800xf8E4M3FN>, tensor<200x800xi4, #lowbit.layout<packed>>, tensor<200x1xf32>, tensor<5x1xf32>) -> tensor<5x200xbf16>
  return %y : tensor<5x200xbf16>
}
