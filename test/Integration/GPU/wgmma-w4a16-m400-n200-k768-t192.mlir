// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t.json
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 in 192-token tiles (the default on sm_90a from M = 4096; 2 stages
// of 112 KiB): M = 400 is two full tiles and a partial one, N = 200 a full and
// a partial 128-row tile, K = 768 three 256-K tiles, each multiplied in two
// halves. u4 codes, zero points and bf16 scales per group of 128.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true, stream_k = true>"
// PTX: wgmma.mma_async.sync.aligned.m64n192k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16(%x: tensor<400x768xbf16>, %w: tensor<200x768xi4, #lowbit.layout<packed>>, %s: tensor<200x6xbf16>, %z: tensor<200x6xi4>) -> tensor<400x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true, stream_k = true>}
      : (tensor<400x768xbf16>, tensor<200x768xi4, #lowbit.layout<packed>>, tensor<200x6xbf16>, tensor<200x6xi4>) -> tensor<400x200xbf16>
  return %y : tensor<400x200xbf16>
}
