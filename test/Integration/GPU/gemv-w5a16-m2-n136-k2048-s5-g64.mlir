// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// 5-bit signed codes with 5-bit zero points, f16 scales per group of 64
// (one group per two 32-code chunks), two f16 tokens, N = 136: chunks of
// five words, four of whose 32 codes (from bits 30, 60, 95 and 125)
// straddle two.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "code": "i5",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w5a16(%x: tensor<2x2048xf16>, %w: tensor<136x2048xi5, #lowbit.layout<packed>>,
                 %s: tensor<136x32xf16>, %z: tensor<136x32xi5>) -> tensor<2x136xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i5, zero_point = int, granularity = per_group,
                                  axis = 1, group_size = 64>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<2x2048xf16>, tensor<136x2048xi5, #lowbit.layout<packed>>,
         tensor<136x32xf16>, tensor<136x32xi5>) -> tensor<2x136xf16>
  return %y : tensor<2x136xf16>
}
