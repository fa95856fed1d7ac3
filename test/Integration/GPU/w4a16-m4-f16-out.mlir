// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json
// RUN: FileCheck %s < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK-NOT: atom.global
// CHECK: cvt.rn.f16.f32
// MANIFEST: "zero_result": false

// An f16 result with a tuned config of one K split (plain stores), 4 tokens,
// products in f16x2: the tolerance of an f16 GEMV (relative L2 5.9e-4 on the
// H200).
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16_f16(%x: tensor<4x4096xf16>, %w: tensor<640x4096xi4, #lowbit.layout<packed>>,
                     %s: tensor<640x32xf16>, %z: tensor<640x32xi4>) -> tensor<4x640xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 64, 128],
                                              warp = [16, 8], mma = [16, 8, 16], mma_type = f16,
                                              stages = 4>}
      : (tensor<4x4096xf16>, tensor<640x4096xi4, #lowbit.layout<packed>>, tensor<640x32xf16>,
         tensor<640x32xi4>) -> tensor<4x640xf16>
  return %y : tensor<4x640xf16>
}
