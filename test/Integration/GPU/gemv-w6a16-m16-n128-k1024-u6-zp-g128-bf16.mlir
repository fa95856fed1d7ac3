// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// 6-bit unsigned codes with zero points, bf16 scales per group of 128,
// 16 bf16 tokens (the most a GEMV takes), bf16 result: chunks of six
// words, 32 codes, the ones from bits 30, 60, 126 and 156 straddling two.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "code": "i6",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w6a16(%x: tensor<16x1024xbf16>, %w: tensor<128x1024xi6, #lowbit.layout<packed>>,
                 %s: tensor<128x8xbf16>, %z: tensor<128x8xi6>) -> tensor<16x128xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i6, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<16x1024xbf16>, tensor<128x1024xi6, #lowbit.layout<packed>>,
         tensor<128x8xbf16>, tensor<128x8xi6>) -> tensor<16x128xbf16>
  return %y : tensor<16x128xbf16>
}
