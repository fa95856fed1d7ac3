// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// NVFP4-style weight-only decode: e2m1 codes with an e4m3 scale per group
// of 16 (groups shorter than a 32-code chunk: the byte GEMV), two f16
// tokens. The per-tensor second-level scale of NVFP4 is not modelled.
// PTX: .global .align 4 .b8 nvfp4_gemv0_code_values[64]
// PTX: .global .align 4 .b8 nvfp4_gemv0_scale_values[1024]
// MANIFEST: "code": "f8E4M3FN",
// MANIFEST-NEXT: "dtype": "u1",
// MANIFEST-NEXT: "role": "weight_scales",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=1
func.func @nvfp4(%x: tensor<2x512xf16>, %w: tensor<128x512xf4E2M1FN, #lowbit.layout<packed>>,
                 %s: tensor<128x32xf8E4M3FN>) -> tensor<2x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = per_group, axis = 1,
                                  group_size = 16, scale_type = f8E4M3FN>
      weight_scales(%s)
      : (tensor<2x512xf16>, tensor<128x512xf4E2M1FN, #lowbit.layout<packed>>,
         tensor<128x32xf8E4M3FN>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}
