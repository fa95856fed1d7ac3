// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=ld.shared.b8 < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with the weights interleaved in the half-fragment order:
// a thread reads two K steps' codes of a row with one 32-bit load and
// masks each of its four registers out of the word shifted by 0, 4, 8 or
// 12 bits into the mantissas of 128.0 (bf16). The packed twin's case,
// wgmma-w4a16-m200-n320-k640-u4-zp-g128: u4 codes, zero points and bf16
// scales per group of 128, M = 200, N = 320, K = 640 (2.5 K tiles). No
// byte loads (the packed path's).
// PTX-DAG: ld.shared.b32
// PTX-DAG: shr.u32 {{%r[0-9]+}}, {{%r[0-9]+}}, 12;
// PTX-DAG: sub.rn.bf16x2
// PTX-DAG: mul.rn.bf16x2
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<200x640xbf16>, %w: tensor<320x640xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, %s: tensor<320x5xbf16>, %z: tensor<320x5xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true>}
      : (tensor<200x640xbf16>, tensor<320x640xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>, tensor<320x5xbf16>, tensor<320x5xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
