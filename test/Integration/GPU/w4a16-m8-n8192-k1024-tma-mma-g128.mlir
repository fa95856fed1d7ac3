// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores at eight tokens with u4 codes, zero points and
// f16 scales per group of 128, on enough rows (512 blocks of 16, 101 KiB of
// ring each: two per SM) that blocks start where others have run.
// MANIFEST: "grid": [
// MANIFEST-NEXT: 512,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<8x1024xf16>, %w: tensor<8192x1024xi4, #lowbit.layout<packed>>,
                 %s: tensor<8192x8xf16>, %z: tensor<8192x8xi4>) -> tensor<8x8192xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512],
                                              warp = [16, 16], mma = [16, 8, 16], mma_type = f16,
                                              stages = 4>}
      : (tensor<8x1024xf16>, tensor<8192x1024xi4, #lowbit.layout<packed>>, tensor<8192x8xf16>,
         tensor<8192x8xi4>) -> tensor<8x8192xf32>
  return %y : tensor<8x8192xf32>
}
