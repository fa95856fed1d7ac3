// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=ld.shared.b8 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// One f16 token on weights in the half-fragment order on the wgmma
// kernel's 8-token tile (the default is tma_gemv, which reads the order
// too: w4a16-m5-n96-k2048-bf16-half-fragment-tma-mma). Unsigned codes with
// zero points and f16 scales per group of 64, shorter than a part of the
// K tile, so the scales multiply each dequantized pair, and the odd
// registers' offsets are those of bias 64: the even ones' plus (-960, -960)
// (0xE380E380 = -478092416; derived once per part).
// N = 200, K = 1536 (6 K tiles); f32 results.
// PTX-DAG: ld.shared.b32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16
// PTX-DAG: sub.rn.f16x2
// PTX-DAG: mul.rn.f16x2
// PTX-DAG: mov.b32 {{%r[0-9]+}}, -478092416;
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<1x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<200x24xf16>, %z: tensor<200x24xi4>) -> tensor<1x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 64,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 128, 256], warp = [8, 64], mma = [8, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>}
      : (tensor<1x1536xf16>, tensor<200x1536xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<200x24xf16>, tensor<200x24xi4>) -> tensor<1x200xf32>
  return %y : tensor<1x200xf32>
}
