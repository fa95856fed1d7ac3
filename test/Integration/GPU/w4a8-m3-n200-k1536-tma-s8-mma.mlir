// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// W4A8 decode on tma_gemv's s8 tensor cores (mma = [16, 8, 32], mma_type =
// i8; the default for this format on sm_90 with 4224 rows or more, written
// out: here it takes 16-row blocks): three tokens of int8 activations with
// f32 scales per token, s4 weights with f16 scales per channel. Each word's even and odd nibbles
// become s8 bytes of 16 x code (a shift and a mask: no table), the
// activations of those codes are gathered with one prmt per register, and
// the s32 sums of each 128-code quad are scaled in f32 (with 1/16). N = 200
// leaves 24 rows of the last block past N; K = 1536 is one and a half K
// tiles (the tail's activations are zeroed), split in two.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: cp.async.bulk.tensor.2d
// PTX-DAG: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTX-NOT: mma.sync.aligned.m16n8k16
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 32], mma_type = i8, stages = 3, split_k = 2>"
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
                                              warp = [16, 32], mma = [16, 8, 32], mma_type = i8,
                                              stages = 3, split_k = 2>}
      : (tensor<3x1536xi8>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x1xf16>,
         tensor<3x1xf32>) -> tensor<3x200xf32>
  return %y : tensor<3x200xf32>
}
