// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma: u4 codes with zero points and bf16 scales per group of
// 128, dequantized to bf16 pairs in registers (codes OR-ed into the mantissa
// of 128.0, then (pair - 128 - zero point) * scale with bf16x2 arithmetic)
// and fed as the register A operand; bf16 activations as B (four 128-byte K parts per
// 256-K tile); f32 sums.
// M = 200, N = 320, K = 640 (2.5 K tiles) are not multiples of the tile.
// PTX-DAG: ld.shared.b8
// PTX-DAG: sub.rn.bf16x2
// PTX-DAG: mul.rn.bf16x2
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}}, {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, p, 1, 1, 0;
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<200x640xbf16>, %w: tensor<320x640xi4, #lowbit.layout<packed>>, %s: tensor<320x5xbf16>, %z: tensor<320x5xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true>}
      : (tensor<200x640xbf16>, tensor<320x640xi4, #lowbit.layout<packed>>, tensor<320x5xbf16>, tensor<320x5xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
