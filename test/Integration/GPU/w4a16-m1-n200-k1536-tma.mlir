// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=RELEASE < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: not lowbit-compile %s --arch=sm_80 -o %t.80.ptx 2>&1 | FileCheck %s --check-prefix=SM80
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// SM80: error: 'lowbit.matmul' op the tma_gemv strategy needs TMA (sm_90 or newer), the target is sm_80

// W4A16 decode on the tma_gemv strategy: a producer warp copies 512 bytes
// of each of the block's 32 rows per K tile into a ring of 3 slots (four
// 128-byte swizzled TMA boxes, mbarriers `full` and `empty` per slot); four
// warps of 8 rows each fold the codes with f16x2 products. N = 200 leaves
// the last block 8 rows past N (TMA reads them as zeros; they are not
// stored); K = 1536 is 1.5 K tiles (the second tile's chunks past the row
// get a zero scale).
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: mbarrier.init.shared.b64
// PTX-DAG: mbarrier.arrive.expect_tx.shared.b64
// PTX-DAG: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-DAG: mbarrier.try_wait.parity.shared.b64
// PTX-DAG: ld.shared.v4.b32
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1677747200, 106;
// PTX-DAG: fma.rn.f16x2
// MANIFEST: "block": [
// MANIFEST-NEXT: 160,
// MANIFEST: "shared_memory": 50224,
// MANIFEST: "tensor_maps": [
// MANIFEST-NEXT: {
// MANIFEST-NEXT: "box_bytes": 128,
// MANIFEST-NEXT: "box_rows": 32,
// MANIFEST-NEXT: "param": 1,
// MANIFEST-NEXT: "row_bytes": 768,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// A consumer's reads of a slot (generic proxy) are fenced from its refill
// (async proxy) before the consumer releases it: without the fence the
// results raced on an H200.
// RELEASE: fence.proxy.async.shared::cta;
// RELEASE-NOT: ld.shared
// RELEASE: mbarrier.arrive.shared.b64
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<1x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x12xf16>, %z: tensor<200x12xi4>) -> tensor<1x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 8], mma = [1, 1, 1], mma_type = f16,
                                              stages = 3>}
      : (tensor<1x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x12xf16>,
         tensor<200x12xi4>) -> tensor<1x200xf32>
  return %y : tensor<1x200xf32>
}
