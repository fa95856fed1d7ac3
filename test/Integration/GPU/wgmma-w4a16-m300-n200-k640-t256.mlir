// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma at 256 tokens per tile (a 128-register sum per thread),
// K tiles of 128 codes in 3 stages, with stream-K: 300 tokens
// (a whole and a partial token tile), 200 weight rows, K = 640 (five K
// tiles), u4 codes with zero points, bf16 scales per group of 128. The
// result is stored from registers: the 10 KiB left beside the ring would
// stage it only in 16-token parts, which ran no faster on the H200.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
// PTX-NOT: cp.async.bulk.tensor.2d.global.shared
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16_t256(%x: tensor<300x640xbf16>, %w: tensor<200x640xi4, #lowbit.layout<packed>>, %s: tensor<200x5xbf16>, %z: tensor<200x5xi4>) -> tensor<300x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [256, 128, 128], warp = [256, 64], mma = [64, 64, 16], mma_type = bf16, stages = 3, persistent = true, stream_k = true>}
      : (tensor<300x640xbf16>, tensor<200x640xi4, #lowbit.layout<packed>>, tensor<200x5xbf16>, tensor<200x5xi4>) -> tensor<300x200xbf16>
  return %y : tensor<300x200xbf16>
}
