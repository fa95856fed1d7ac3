// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Config offset_mma with f16 activations on half-fragment weights, whose
// high-nibble registers carry another bias (the negated offsets of those
// registers are rebiased the same way). Unsigned codes with zero points,
// f16 scales per group of 128, a 16-token tile of 128 rows. M = 16,
// N = 320, K = 2048; f16 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16
// PTX-NOT: sub.{{(rn.)?}}f16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<16x2048xf16>, %w: tensor<320x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<320x16xf16>, %z: tensor<320x16xi4>) -> tensor<16x320xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true, offset_mma = true>}
      : (tensor<16x2048xf16>, tensor<320x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<320x16xf16>, tensor<320x16xi4>) -> tensor<16x320xf16>
  return %y : tensor<16x320xf16>
}
