// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma W8A8 in clusters of two blocks along M ([2, 1]): the pair's tiles
// share their weight tile, which each block loads half of with a multicast
// TMA copy into both blocks; each consumer warp frees a ring slot in both
// blocks (mapa + a remote mbarrier arrive). M = 300 is three 128-row tiles:
// the second pair's second tile lies wholly past M (zeros in, nothing out).
// PTX: .reqnctapercluster 2, 1, 1
// PTX: barrier.cluster.arrive
// PTX: barrier.cluster.wait
// A cluster's blocks load boxes of a shared tile per rank: no L2 prefetch of
// the weights before the grid wait (WgmmaKernel.cpp, prefetchFirstWeights).
// PTX-NOT: cp.async.bulk.prefetch.tensor
// PTX: griddepcontrol.wait;
// PTX: mapa.shared::cluster
// PTX: mbarrier.arrive.shared::cluster.b64
// PTX: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a8(%x: tensor<300x528xi8>, %w: tensor<320x528xi8>, %s: tensor<320x1xf32>, %xs: tensor<300x1xf32>) -> tensor<300x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, cluster = [2, 1], persistent = true>}
      : (tensor<300x528xi8>, tensor<320x528xi8>, tensor<320x1xf32>, tensor<300x1xf32>) -> tensor<300x320xbf16>
  return %y : tensor<300x320xbf16>
}
