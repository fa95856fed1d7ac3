// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores with 64 rows per block: each consumer warp owns
// 16 rows and all eight 128-code quads of a K tile, so it stores its own
// sums (no shared-memory reduction, no block barrier); sixteen tokens are
// two mma.sync N tiles of 8 sharing each A fragment. A ring slot is 32 KiB
// of weights and 32 KiB of activations. N = 200 leaves 56 rows of the last
// block past N, K = 1536 ends inside the second K tile, and K splits in two
// through f32 atomics.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX: bar.sync 0;
// PTX-COUNT-128: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: bar.sync
// PTX: atom.global.add.f32
// MANIFEST: "grid": [
// MANIFEST-NEXT: 4,
// MANIFEST-NEXT: 2,
// MANIFEST: "shared_memory": 197680,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<16x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x12xf16>, %z: tensor<200x12xi4>) -> tensor<16x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 16], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3, split_k = 2>}
      : (tensor<16x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x12xf16>,
         tensor<200x12xi4>) -> tensor<16x200xf32>
  return %y : tensor<16x200xf32>
}
