// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Decode on the tensor cores: 16 tokens in a 64-token tile (rows 16..63 of
// the activation tiles read as zeros by TMA and never stored), 64 weight
// rows per tile (N = 320: five tiles), u4 codes with zero points, f16 scales
// per group of 128, f32 result, 3 stages (4 spill 8 bytes here): one of the
// autotuner's decode candidates on sm_90a, like the M = 16 wgmma benchmark
// cases of bench/decode-w4a16.sh.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// PTX-DAG: cp.async.bulk.tensor
// MANIFEST: "grid": [
// MANIFEST-NEXT: 5,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @decode(%x: tensor<16x1024xf16>, %w: tensor<320x1024xi4, #lowbit.layout<packed>>,
                  %s: tensor<320x8xf16>, %z: tensor<320x8xi4>) -> tensor<16x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [64, 64, 256], warp = [64, 64], mma = [64, 64, 16], mma_type = f16, stages = 3, persistent = true>}
      : (tensor<16x1024xf16>, tensor<320x1024xi4, #lowbit.layout<packed>>,
         tensor<320x8xf16>, tensor<320x8xi4>) -> tensor<16x320xf32>
  return %y : tensor<16x320xf32>
}
