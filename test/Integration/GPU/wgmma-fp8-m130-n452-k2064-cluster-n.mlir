// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma FP8 in clusters of two blocks along N ([1, 2]): the pair's tiles
// share their activation tile (multicast, half from each block). N = 452
// is three 192-column tiles, so the second pair's second tile lies past N
// and every store is checked against N; M = 130 and K = 2064 are not
// multiples of the tile either.
// PTX: .reqnctapercluster 2, 1, 1
// PTX: mbarrier.arrive.shared::cluster.b64
// PTX: multicast::cluster
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=1e-3
func.func @fp8(%x: tensor<130x2064xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<452x2064xf8E4M3FN>, %s: tensor<452x1xbf16>) -> tensor<130x452xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 192, 128], warp = [64, 192], mma = [64, 192, 32], mma_type = f8E4M3FN, stages = 5, cluster = [1, 2], persistent = true>}
      : (tensor<130x2064xf8E4M3FN>, tensor<452x2064xf8E4M3FN>, tensor<452x1xbf16>, tensor<1x1xf32>) -> tensor<130x452xbf16>
  return %y : tensor<130x452xbf16>
}
