// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=RELEASE < %t.ptx
// RUN: FileCheck %s --check-prefix=BARRIER < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores (mma = [16, 8, 16]): the producer warp streams
// 16 rows x 512 bytes per K tile (TMA) and each token's 1024 activations of
// the tile (a bulk copy each; the last tile's stop at K) into a 3-slot
// ring; each consumer warp takes two 128-code quads of it, decodes u4
// codes with zero points to f16 pairs and runs mma.sync m16n8k16 with the
// three tokens as N; per-quad sums are scaled in f32 and the four warps'
// sums meet in shared memory behind a block barrier (not a named barrier
// of the 128 consumer threads, which the producer warp's exited threads
// may complete early: results raced on the H200 with one). N = 200 leaves
// 8 rows of the last block past N; K = 1536 ends in the middle of the
// second K tile (its last quads multiply zeroed activations); K splits in
// two through f32 atomics.
// BARRIER-NOT: bar.sync 1,
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-DAG: cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1677747200, 106;
// PTX-DAG: atom.global.add.f32
// MANIFEST: "grid": [
// MANIFEST-NEXT: 13,
// MANIFEST-NEXT: 2,
// MANIFEST: "shared_memory": 46128,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// A consumer's reads of a slot (generic proxy) are fenced from its refill
// (async proxy) before the consumer releases it: without the fence the
// results raced on an H200.
// RELEASE: fence.proxy.async.shared::cta;
// RELEASE-NOT: ld.shared
// RELEASE: mbarrier.arrive.shared.b64
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<3x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x12xf16>, %z: tensor<200x12xi4>) -> tensor<3x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512],
                                              warp = [16, 16], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3, split_k = 2>}
      : (tensor<3x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x12xf16>,
         tensor<200x12xi4>) -> tensor<3x200xf32>
  return %y : tensor<3x200xf32>
}
