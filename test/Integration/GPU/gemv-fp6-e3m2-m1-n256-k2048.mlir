// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// FP6 e3m2 weights (FP6-LLM's format) packed densely, f16 scales per
// output channel, one f16 token: the 64 code values in shared memory, each
// 6-bit code (four of a chunk's 32 straddling two of its six words) looked
// up there.
// PTX-DAG: .global .align 4 .b8 fp6_gemv0_code_values[256]
// PTX-DAG: ld.shared.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "code": "f6E3M2FN",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @fp6(%x: tensor<1x2048xf16>, %w: tensor<256x2048xf6E3M2FN, #lowbit.layout<packed>>,
               %s: tensor<256x1xf16>) -> tensor<1x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f6E3M2FN, granularity = per_channel, axis = 0>
      weight_scales(%s)
      : (tensor<1x2048xf16>, tensor<256x2048xf6E3M2FN, #lowbit.layout<packed>>,
         tensor<256x1xf16>) -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
