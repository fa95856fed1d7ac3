// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// The sm_90a default for 33 to 64 tokens of 4-bit weights: the 64-token
// tile (rows 40..63 read as zeros by TMA and never stored), 128 weight rows,
// 4 stages, stream-K: N = 1000 is 8 tiles, the last short, each split into
// 2 parts of its 19 K tiles of 256 (K = 4640 ends inside one). W4A16 with
// u4 codes, zero points and f16 scales per group of 32 (groups that divide
// the K tile); f32 results.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = wgmma, block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>"
// MANIFEST: "grid": [
// MANIFEST-NEXT: 16,
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// PTX-DAG: ld.acquire.gpu.global.u32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<40x4640xf16>, %w: tensor<1000x4640xi4, #lowbit.layout<packed>>,
                 %s: tensor<1000x145xf16>, %z: tensor<1000x145xi4>) -> tensor<40x1000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 32,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<40x4640xf16>, tensor<1000x4640xi4, #lowbit.layout<packed>>,
         tensor<1000x145xf16>, tensor<1000x145xi4>) -> tensor<40x1000xf32>
  return %y : tensor<40x1000xf32>
}
