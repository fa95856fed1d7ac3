// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Decode W4A16 on the split-K GEMV's f16x2 path (sm_80's default: four
// rows per warp, K in 14) with the codes in the half-fragment order, which
// the wgmma kernels read with one load per two K steps: nibbles q and
// q + 4 of word j of a chunk are then codes 2j + 8q and the next, so the
// pairs multiply the activations as loaded (word j of the q-th 16-byte
// vector), no prmt, as with AWQ's order. The host packs the words in the
// manifest's order.
// PTX: .visible .entry w4a16_gemv0(
// PTX-DAG: fma.rn.f16x2
// PTX-NOT: prmt
// MANIFEST: "layout": "interleave",
// MANIFEST-NEXT: "order": [
// MANIFEST-NEXT: 0,
// MANIFEST-NEXT: 8,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<1x2048xf16>, %w: tensor<512x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<512x16xf16>, %z: tensor<512x16xi4>) -> tensor<1x512xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2, split_k = 14>}
      : (tensor<1x2048xf16>, tensor<512x2048xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<512x16xf16>, tensor<512x16xi4>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}
