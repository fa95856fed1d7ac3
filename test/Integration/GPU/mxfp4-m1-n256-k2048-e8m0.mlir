// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// MXFP4 weight-only decode (OCP MX: e2m1 codes, one e8m0 power-of-two scale
// per block of 32 along K), one bf16 token: on sm_90a tma_gemv on CUDA cores
// (the weights streamed by TMA through a ring in shared memory; K in 2 on
// these 16 blocks). Codes and scale bytes are both looked up in
// shared-memory copies of their values (16 and 256 entries).
// mxfp4-m2-n256-k2048-e8m0.mlir: the same on the split-K GEMV.
// PTX: .global .align 4 .b8 mxfp4_tma_gemv0_code_values[64]
// PTX: .global .align 4 .b8 mxfp4_tma_gemv0_scale_values[1024]
// PTX-DAG: cp.async.bulk.tensor
// PTX-DAG: ld.shared.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 4], mma = [1, 1, 1], mma_type = bf16, stages = 4, split_k = 2>"
// MANIFEST: "code": "f8E8M0FNU",
// MANIFEST-NEXT: "dtype": "u1",
// MANIFEST-NEXT: "role": "weight_scales",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @mxfp4(%x: tensor<1x2048xbf16>, %w: tensor<256x2048xf4E2M1FN, #lowbit.layout<packed>>,
                 %s: tensor<256x64xf8E8M0FNU>) -> tensor<1x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1,
                                  group_size = 32, scale_type = f8E8M0FNU>
      weight_scales(%s)
      : (tensor<1x2048xbf16>, tensor<256x2048xf4E2M1FN, #lowbit.layout<packed>>,
         tensor<256x64xf8E8M0FNU>) -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
