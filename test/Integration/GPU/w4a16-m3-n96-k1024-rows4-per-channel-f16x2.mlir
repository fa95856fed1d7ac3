// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// PTX: .visible .entry w4a16_gemv0(
// PTX-DAG: fma.rn.f16x2
// PTX-DAG: cvt.rn.f16.f32
// PTX-NOT: atom.global
// MANIFEST: "zero_result": false
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Three tokens on the f16x2 path with four rows per warp: past two tokens the
// permuted activations are reloaded for each row (L1 hits) rather than kept.
// u4 codes with per-channel zero points and scales, an f16 result (one K
// split, plain stores). Products and a chunk's sums in f16.
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<3x1024xf16>, %w: tensor<96x1024xi4, #lowbit.layout<packed>>,
                 %s: tensor<96x1xf16>, %z: tensor<96x1xi4>) -> tensor<3x96xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_channel, axis = 0, scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 2>}
      : (tensor<3x1024xf16>, tensor<96x1024xi4, #lowbit.layout<packed>>, tensor<96x1xf16>,
         tensor<96x1xi4>) -> tensor<3x96xf16>
  return %y : tensor<3x96xf16>
}
