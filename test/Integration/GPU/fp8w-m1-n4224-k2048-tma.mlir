// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// FP8 (e4m3) weight-only decode of one bf16 token, the sm_90a default:
// tma_gemv on CUDA cores, 16-row blocks (4224 rows: 264 blocks, two per SM
// of an H100 or H200, so no K split), each warp decoding 4 rows through the
// shared-memory table of the 256 e4m3 values, 4 ring slots of 512 bytes per
// row (2048 codes: 4 K tiles).
// PTX: .global .align 4 .b8 fp8w_tma_gemv0_code_values[1024]
// PTX-DAG: cp.async.bulk.tensor
// PTX-DAG: ld.shared.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 4], mma = [1, 1, 1], mma_type = bf16, stages = 4>"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @fp8w(%x: tensor<1x2048xbf16>, %w: tensor<4224x2048xf8E4M3FN>,
                %s: tensor<4224x1xf32>) -> tensor<1x4224xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s)
      : (tensor<1x2048xbf16>, tensor<4224x2048xf8E4M3FN>, tensor<4224x1xf32>) -> tensor<1x4224xf32>
  return %y : tensor<1x4224xf32>
}
