// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// tma_gemv on tensor cores with 64 rows per warp (four mma row tiles) and
// per block: the four warps split each K tile's quads, so every activation
// byte in the ring is read once per block; sixteen tokens (two token
// tiles), u4 codes with zero points and f16 scales per group of 128, on
// enough rows (128 blocks) that every SM streams.
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-COUNT-128: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: bar.sync 0;
// MANIFEST: "grid": [
// MANIFEST-NEXT: 128,
// MANIFEST-NEXT: 1,
// GPU-COMPARE: --rtol=1e-3 --atol=0.05
func.func @w4a16(%x: tensor<16x1024xf16>, %w: tensor<8192x1024xi4, #lowbit.layout<packed>>,
                 %s: tensor<8192x8xf16>, %z: tensor<8192x8xi4>) -> tensor<16x8192xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 64, 512],
                                              warp = [16, 64], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3>}
      : (tensor<16x1024xf16>, tensor<8192x1024xi4, #lowbit.layout<packed>>, tensor<8192x8xf16>,
         tensor<8192x8xi4>) -> tensor<16x8192xf32>
  return %y : tensor<16x8192xf32>
}
