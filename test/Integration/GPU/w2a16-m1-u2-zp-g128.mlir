// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// 2-bit weights (W2A16) decode: unsigned codes packed four per byte with
// 2-bit zero points, f16 scales per group of 128, one f16 token. A 16-byte
// chunk holds 64 codes; each becomes a float by the exponent trick (code |
// 0x4B000000) as the 4-bit ones do.
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: or.b32 {{.*}}1258291200
// MANIFEST: "bits": 2,
// MANIFEST-NEXT: "code": "i2",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w2a16(%x: tensor<1x2048xf16>, %w: tensor<256x2048xi2, #lowbit.layout<packed>>,
                 %s: tensor<256x16xf16>, %z: tensor<256x16xi2>) -> tensor<1x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i2, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<1x2048xf16>, tensor<256x2048xi2, #lowbit.layout<packed>>,
         tensor<256x16xf16>, tensor<256x16xi2>) -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
