// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// Signed 3-bit codes (symmetric, no zero points), bf16 scales per output
// channel, five bf16 tokens, N = 200 (the last block of 32 rows has 8),
// f32 result. The sign bits of the codes, two of
// which straddle words, are flipped in each word before the codes are
// taken apart (a bias of 4 then subtracted).
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "code": "i3",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w3a16_signed(%x: tensor<5x1024xbf16>, %w: tensor<200x1024xi3, #lowbit.layout<packed>>,
                        %s: tensor<200x1xbf16>) -> tensor<5x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i3, granularity = per_channel, axis = 0,
                                  scale_type = bf16>
      weight_scales(%s)
      : (tensor<5x1024xbf16>, tensor<200x1024xi3, #lowbit.layout<packed>>,
         tensor<200x1xbf16>) -> tensor<5x200xf32>
  return %y : tensor<5x200xf32>
}
