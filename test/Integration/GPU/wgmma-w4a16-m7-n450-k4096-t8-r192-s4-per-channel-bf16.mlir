// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=POOL < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with an 8-token tile of 192 weight rows: three consumer
// warpgroups (512 threads; 40 registers for the producer, 152 for each
// consumer). Signed codes, bf16 per-channel scales, M = 7, N = 450 (three
// tiles, the last of 66 rows), K = 4096 (16 K tiles: stream-K splits each
// tile in two), f32 results.
// The registers the runtime checks the compiled kernel holds: (40 + 3 x 152) x 128, within the 128 x 512 launched.
// POOL: "register_pool": 63488
// PTX: .maxntid 512, 1, 1
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 152
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16
// PTX-DAG: ld.acquire.gpu.global.u32
// PTXAS: Used 128 registers
// GPU-COMPARE: --rtol=2e-3 --atol=0.05
func.func @w4a16(%x: tensor<7x4096xbf16>, %w: tensor<450x4096xi4, #lowbit.layout<packed>>,
                 %s: tensor<450x1xbf16>) -> tensor<7x450xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = bf16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [8, 192, 256], warp = [8, 64], mma = [8, 64, 16], mma_type = bf16, stages = 4, persistent = true, stream_k = true>}
      : (tensor<7x4096xbf16>, tensor<450x4096xi4, #lowbit.layout<packed>>,
         tensor<450x1xbf16>) -> tensor<7x450xf32>
  return %y : tensor<7x450xf32>
}
