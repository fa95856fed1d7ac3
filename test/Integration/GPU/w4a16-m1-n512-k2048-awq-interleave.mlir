// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-run %s --seed=3 | FileCheck %s --check-prefix=REFERENCE
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// The codes' pairs follow the activations: no permutation.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1677747200, 106;
// PTX-DAG: fma.rn.f16x2
// PTX-NOT: prmt
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 8], mma = [1, 1, 1], mma_type = f16, stages = 4
// MANIFEST: "layout": "interleave",
// MANIFEST-NEXT: "order": [
// MANIFEST-NEXT: 0,
// MANIFEST-NEXT: 2,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// REFERENCE: result 0: tensor<1x512xf32>

// Decode W4A16 with the 4-bit codes of each 32-bit word interleaved in AWQ's
// order [0, 2, 4, 6, 1, 3, 5, 7]: the f16x2 path's code pairs are then pairs
// of consecutive codes, which multiply the activations as loaded (16
// registers and 16 prmt per chunk fewer than the `packed` layout). The
// host packs the words in the manifest's order. Passed on an NVIDIA H200
// on the split-K GEMV (2026-12-02, relative L2 5.6e-4) and on tma_gemv's
// CUDA cores (written out here), which read the same words from their
// shared-memory ring; tensor cores, the sm_90a default now, take this
// order too (w4a16-m8-n64-k1024-tma-mma-awq).
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<1x2048xf16>, %w: tensor<512x2048xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
                 %s: tensor<512x16xf16>, %z: tensor<512x16xi4>) -> tensor<1x512xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 8], mma = [1, 1, 1], mma_type = f16,
                                              stages = 4, split_k = 2>}
      : (tensor<1x2048xf16>, tensor<512x2048xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
         tensor<512x16xf16>, tensor<512x16xi4>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}
