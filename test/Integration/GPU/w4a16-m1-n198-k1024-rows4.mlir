// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// PTX: .visible .entry w4a16_gemv0(
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: atom.global.add.f32
// PTX-NOT: f16x2
// MANIFEST: "grid": [
// MANIFEST-NEXT: 7,
// MANIFEST-NEXT: 2,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Decode with four rows per warp (warp tile N = 32 = 4 x 8): each
// activation load and conversion serves four weight rows. N = 198 leaves
// the last block (rows 192..223) partly past N, and one warp straddles it
// (rows 196..199): rows past N are read clamped and not stored. u4 codes
// with zero points, f16 scales per group of 128, two K splits meeting in f32
// atomics, two 16-byte chunks per row in flight. Products in f32
// (`mma_type = f32`): the exact path, which f16 activations otherwise leave
// for f16x2 products.
func.func @w4a16(%x: tensor<1x1024xf16>, %w: tensor<198x1024xi4, #lowbit.layout<packed>>,
                 %s: tensor<198x8xf16>, %z: tensor<198x8xi4>) -> tensor<1x198xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f32,
                                              stages = 2, split_k = 2>}
      : (tensor<1x1024xf16>, tensor<198x1024xi4, #lowbit.layout<packed>>,
         tensor<198x8xf16>, tensor<198x8xi4>) -> tensor<1x198xf32>
  return %y : tensor<1x198xf32>
}
