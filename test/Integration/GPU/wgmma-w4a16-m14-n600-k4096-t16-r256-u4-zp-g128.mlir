// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=POOL < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with a 16-token tile of 256 weight rows: four consumer
// warpgroups (640 threads), whose registers setmaxnreg shares out of the
// 96 per thread the block is launched with (24 for the producer, 112 for
// each consumer). Unsigned codes with zero points, f16 scales per group of
// 128, M = 14, N = 600 (three tiles, the last of 88 rows), K = 4096 (16 K
// tiles: stream-K splits each tile in two), f16 results.
// The registers the runtime checks the compiled kernel holds: (24 + 4 x 112) x 128, within the 96 x 640 launched.
// POOL: "register_pool": 60416
// PTX: .maxntid 640, 1, 1
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 112
// PTX-DAG: setmaxnreg.dec.sync.aligned.u32 24
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16
// PTX-DAG: ld.acquire.gpu.global.u32
// PTXAS: Used 96 registers
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<14x4096xf16>, %w: tensor<600x4096xi4, #lowbit.layout<packed>>,
                 %s: tensor<600x32xf16>, %z: tensor<600x32xi4>) -> tensor<14x600xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 256, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>}
      : (tensor<14x4096xf16>, tensor<600x4096xi4, #lowbit.layout<packed>>,
         tensor<600x32xf16>, tensor<600x32xi4>) -> tensor<14x600xf16>
  return %y : tensor<14x600xf16>
}
