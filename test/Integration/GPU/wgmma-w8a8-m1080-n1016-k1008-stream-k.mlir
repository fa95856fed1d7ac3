// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// wgmma W8A8 with stream-K after whole waves: 17 x 16 tiles of 64 x 64
// (M = 1080, N = 1016: the last row and column of tiles are partial) on
// 132 SMs are 2.06 waves. The first wave's 132 tiles go one per block; the
// other 140 tiles (8 K tiles each, K = 1008 ends inside the last) are 1120
// K tiles in 132 ranges of 8 or 9, so that a block's range mostly ends
// inside a tile and the next block's starts there: s32 sums handed on, then
// the staged bf16 epilogue.
// GRID: "grid": [
// GRID-NEXT: 132,
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a8(%x: tensor<1080x1008xi8>, %w: tensor<1016x1008xi8>, %s: tensor<1016x1xf32>, %xs: tensor<1080x1xf32>) -> tensor<1080x1016xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, 64, 128], warp = [64, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>}
      : (tensor<1080x1008xi8>, tensor<1016x1008xi8>, tensor<1016x1xf32>, tensor<1080x1xf32>) -> tensor<1080x1016xbf16>
  return %y : tensor<1080x1016xbf16>
}
