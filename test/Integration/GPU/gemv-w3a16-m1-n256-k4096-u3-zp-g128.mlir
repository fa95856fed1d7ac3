// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// 3-bit weights (GPTQ's 3-bit layers, as lowbit-import writes them) in
// decode: unsigned codes with 3-bit zero points, f16 scales per group of
// 128, one f16 token. A lane's chunk is three words of 32 codes, loaded
// one by one (12-byte chunks are only word-aligned); the 11th and 22nd
// codes straddle two words and take their high bits from the next one.
// Each code becomes a float by the exponent trick (code | 0x4B000000).
// The straddling codes are funnel shifts of their two words: the 11th
// (bits 30-32) by 2, the 22nd (bits 63-65) by 1.
// PTX-DAG: ld.global.b32
// PTX-DAG: shf.l.wrap.b32 {{.*}}, 2;
// PTX-DAG: shf.l.wrap.b32 {{.*}}, 1;
// PTX-DAG: or.b32 {{.*}}1258291200
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "bits": 3,
// MANIFEST-NEXT: "code": "i3",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w3a16(%x: tensor<1x4096xf16>, %w: tensor<256x4096xi3, #lowbit.layout<packed>>,
                 %s: tensor<256x32xf16>, %z: tensor<256x32xi3>) -> tensor<1x256xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i3, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<1x4096xf16>, tensor<256x4096xi3, #lowbit.layout<packed>>,
         tensor<256x32xf16>, tensor<256x32xi3>) -> tensor<1x256xf16>
  return %y : tensor<1x256xf16>
}
