// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode, int8 activations with one f16 scale for the tensor, s4
// codes in AWQ's interleaved word order with f16 scales per group of 64
// (two per quad: the decoded pairs are scaled in f16), 64 rows per warp and
// block (four row tiles; the four warps split each K tile and meet in
// shared memory), an f16 result. Activations up to 127 make sums of up to
// ~2e4 (f16 spacing 8 or 16 there), and the codes scaled in f16 err by a
// few units on any sum (relative L2 3e-4 on the H200): hence atol 16.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: mul.{{(rn.)?}}f16x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=16 --max-rel-l2=2e-3
func.func @decode(%x: tensor<5x1024xi8>, %xs: tensor<1x1xf16>,
                  %w: tensor<96x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
                  %s: tensor<96x16xf16>) -> tensor<5x96xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64>
      input_scheme #lowbit.quant<storage = i8, granularity = per_tensor, scale_type = f16>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 64], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3>}
      : (tensor<5x1024xi8>, tensor<96x1024xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>,
         tensor<96x16xf16>, tensor<1x1xf16>) -> tensor<5x96xf16>
  return %y : tensor<5x96xf16>
}
