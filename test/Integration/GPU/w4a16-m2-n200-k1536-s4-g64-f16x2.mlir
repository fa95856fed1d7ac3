// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.80.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.80.ptx -o %t.80.cubin %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// PTX: .visible .entry w4a16_gemv0(
// Codes masked into f16 pairs with their sign bits flipped by the same
// lop3 ((w & mask) ^ (0x6400 | sign bits) per half), products in f16x2.
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1678271496, 106;
// PTX-DAG: lop3.b32 {{.*}}, 15728880, 1686135936, 106;
// PTX-DAG: prmt.b32 {{.*}}, 0x7632U;
// PTX-DAG: fma.rn.f16x2
// PTX-DAG: cvt.f32.f16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Decode of two tokens with symmetric signed 4-bit codes and f16 scales per
// group of 64 on the f16x2 path (the default for f16 activations before
// sm_90, written out: sm_90 takes tma_gemv on tensor cores): both tokens'
// activations permuted once per chunk for all rows of a warp.
// N = 200 is not a multiple of the 32-row block. Products and a chunk's
// sums in f16: the tolerance of an f16 GEMV.
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<2x1536xf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                 %s: tensor<200x24xf16>) -> tensor<2x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64,
                                  scale_type = f16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2, split_k = 12>}
      : (tensor<2x1536xf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x24xf16>)
      -> tensor<2x200xf32>
  return %y : tensor<2x200xf32>
}
