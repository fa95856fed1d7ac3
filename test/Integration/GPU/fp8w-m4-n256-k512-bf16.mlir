// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// FP8 (e4m3) weight-only decode: bf16 activations, f32 per-channel scales;
// the 256 e4m3 values (NaN for the two NaN codes, which random codes avoid)
// copied to shared memory by the block's 128 threads in two rounds.
// PTX: .global .align 4 .b8 fp8w_gemv0_code_values[1024]
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: ld.shared.b32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @fp8w(%x: tensor<4x512xbf16>, %w: tensor<256x512xf8E4M3FN>,
                %s: tensor<256x1xf32>) -> tensor<4x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s)
      : (tensor<4x512xbf16>, tensor<256x512xf8E4M3FN>, tensor<256x1xf32>) -> tensor<4x256xf32>
  return %y : tensor<4x256xf32>
}
