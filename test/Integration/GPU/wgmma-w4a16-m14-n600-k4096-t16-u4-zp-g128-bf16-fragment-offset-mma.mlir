// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Config offset_mma: the code pairs stay biased (no subtraction) and a
// second wgmma per K step adds the negated offsets (bias + zero point)
// times the activations into the same sums. bf16 activations and scales,
// half-fragment weights, unsigned codes with zero points in groups of 128,
// a 16-token tile of 128 rows (in 192 rows, three consumers, ptxas 13.0
// spills 8 bytes), stream-K. M = 14, N = 600
// (the last tile of 88 rows), K = 4096; bf16 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16
// PTX-NOT: sub.{{(rn.)?}}bf16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<14x4096xbf16>, %w: tensor<600x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<600x32xbf16>, %z: tensor<600x32xi4>) -> tensor<14x600xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = bf16, stages = 4, persistent = true, stream_k = true, offset_mma = true>}
      : (tensor<14x4096xbf16>, tensor<600x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<600x32xbf16>, tensor<600x32xi4>) -> tensor<14x600xbf16>
  return %y : tensor<14x600xbf16>
}
