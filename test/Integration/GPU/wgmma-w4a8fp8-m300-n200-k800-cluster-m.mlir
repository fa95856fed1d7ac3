// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 (s4 weights, e4m3 activations) on wgmma in clusters of two blocks
// along M ([2, 1]): transposed, tokens are the kernel's columns, so the
// pair's tiles share their weight tile (multicast, half from each block;
// the weights are then read from shared memory and widened in registers).
// M = 300 is three 128-token tiles: the second pair's second tile lies past
// M and every store is checked; N = 200 and K = 800 are not multiples of
// the tile either.
// PTX: .reqnctapercluster 2, 1, 1
// PTX: mbarrier.arrive.shared::cluster.b64
// PTX: multicast::cluster
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=150 --max-rel-l2=1e-3
func.func @w4a8fp8(%x: tensor<300x800xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<200x800xi4, #lowbit.layout<packed>>, %s: tensor<200x1xbf16>) -> tensor<300x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, cluster = [2, 1], persistent = true>}
      : (tensor<300x800xf8E4M3FN>, tensor<200x800xi4, #lowbit.layout<packed>>, tensor<200x1xbf16>, tensor<1x1xf32>) -> tensor<300x200xf32>
  return %y : tensor<300x200xf32>
}
