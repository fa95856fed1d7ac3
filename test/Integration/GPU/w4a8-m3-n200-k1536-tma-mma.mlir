// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode on the tensor-core tma_gemv through f16 (the default takes
// s8 for this format: w4a8-m3-n200-k1536-tma-s8-mma.mlir): three tokens of
// int8 activations with f32 scales per token, s4 weights with f16 scales per
// channel. Each activation byte goes into an f16 with prmt and lop3 (1024 +
// 128 + x, less 1152: exact), the codes as for W4A16; the f32 sums take the
// token's scale when stored. N = 200 leaves 24 rows of the last block past
// N; K = 1536 is one and a half K tiles, split in two (f32 atomics).
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: cp.async.bulk.tensor.2d
// PTX-DAG: prmt.b32
// PTX-DAG: lop3.b32 {{.*}}, 16711935, 1686135936, 106;
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MANIFEST: "role": "input_scales"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5 --max-rel-l2=1e-5
func.func @decode(%x: tensor<3x1536xi8>, %xs: tensor<3x1xf32>,
                  %w: tensor<200x1536xi4, #lowbit.layout<packed>>,
                  %s: tensor<200x1xf16>) -> tensor<3x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512],
                                              warp = [16, 32], mma = [16, 8, 16], mma_type = f16,
                                              stages = 3, split_k = 2>}
      : (tensor<3x1536xi8>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x1xf16>,
         tensor<3x1xf32>) -> tensor<3x200xf32>
  return %y : tensor<3x200xf32>
}
