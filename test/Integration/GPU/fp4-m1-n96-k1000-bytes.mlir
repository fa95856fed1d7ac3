// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// FP4 (e2m1) weight-only decode with f16 per-channel scales. K = 1000 makes
// rows of 500 bytes, not whole 16-byte chunks: the byte GEMV, two codes per
// byte, each looked up in the shared copy of the 16 e2m1 values.
// PTX: .global .align 4 .b8 fp4_gemv0_code_values[64]
// PTX-DAG: ld.global.b8
// PTX-DAG: ld.shared.b32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @fp4(%x: tensor<1x1000xf16>, %w: tensor<96x1000xf4E2M1FN, #lowbit.layout<packed>>,
               %s: tensor<96x1xf16>) -> tensor<1x96xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = per_channel, axis = 0>
      weight_scales(%s)
      : (tensor<1x1000xf16>, tensor<96x1000xf4E2M1FN, #lowbit.layout<packed>>, tensor<96x1xf16>)
        -> tensor<1x96xf32>
  return %y : tensor<1x96xf32>
}
