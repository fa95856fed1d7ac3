// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// PTX: .target sm_90a
// PTX: .visible .entry w4a16_tma_gemv0(
// PTX-DAG: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-DAG: ld.shared.v4.b32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: atom.global.add.f32
// PTX-DAG: lop3.b32 {{.*}}, 983055, 1677747200, 106;
// PTX-DAG: fma.rn.f16x2
// MANIFEST: "grid": [
// MANIFEST-NEXT: 32,
// MANIFEST-NEXT: 2,
// MANIFEST: "zero_result": true
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Decode W4A16, AWQ-style: u4 codes packed two per byte, u4 zero points,
// f16 group-128 scales; one token; tma_gemv on CUDA cores (the sm_90a
// default until tensor cores took one token; 32 rows per block: 32 blocks,
// so K splits in its two 512-byte tiles and meets through f32 atomics).
// Products in f16x2, a chunk's sums in f16: the tolerance of an f16 GEMV
// (relative L2 5.1e-4 on the H200).
// GPU-COMPARE: --rtol=1e-2 --atol=0.5 --max-rel-l2=1e-3
func.func @w4a16(%x: tensor<1x2048xf16>, %w: tensor<1024x2048xi4, #lowbit.layout<packed>>,
                 %s: tensor<1024x16xf16>, %z: tensor<1024x16xi4>) -> tensor<1x1024xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 8], mma = [1, 1, 1], mma_type = f16,
                                              stages = 4, split_k = 2>}
      : (tensor<1x2048xf16>, tensor<1024x2048xi4, #lowbit.layout<packed>>, tensor<1024x16xf16>,
         tensor<1024x16xi4>) -> tensor<1x1024xf32>
  return %y : tensor<1x1024xf32>
}
