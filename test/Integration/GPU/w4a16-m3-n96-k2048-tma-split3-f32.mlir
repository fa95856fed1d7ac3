// RUN: lowbit-compile %s --arch=sm_90 -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// GPU-ARCH: sm_90
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90
// MANIFEST: "grid": [
// MANIFEST-NEXT: 6,
// MANIFEST-NEXT: 3,
// MANIFEST: "zero_result": true

// tma_gemv with three tokens (activations loaded per K tile, not a tile
// ahead), signed 4-bit codes with f16 scales per channel, f32 products
// (mma_type = f32), 16 rows per block in a 2-slot ring, and K = 2048 (2 K
// tiles) split three ways: the third split is empty and adds zeros.
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w4a16(%x: tensor<3x2048xf16>, %w: tensor<96x2048xi4, #lowbit.layout<packed>>,
                 %s: tensor<96x1xf16>) -> tensor<3x96xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = f16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512],
                                              warp = [16, 4], mma = [1, 1, 1], mma_type = f32,
                                              stages = 2, split_k = 3>}
      : (tensor<3x2048xf16>, tensor<96x2048xi4, #lowbit.layout<packed>>, tensor<96x1xf16>)
      -> tensor<3x96xf32>
  return %y : tensor<3x96xf32>
}
