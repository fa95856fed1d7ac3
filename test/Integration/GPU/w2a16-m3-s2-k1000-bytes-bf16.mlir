// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// Signed 2-bit codes (-2..1) with bf16 per-channel scales, three bf16
// tokens; K = 1000 gives rows of 250 bytes: the byte GEMV, four codes per
// byte, each sign-extended from its two bits.
// PTX-DAG: ld.global.s8
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @w2a16(%x: tensor<3x1000xbf16>, %w: tensor<72x1000xi2, #lowbit.layout<packed>>,
                 %s: tensor<72x1xbf16>) -> tensor<3x72xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i2, granularity = per_channel, axis = 0, scale_type = bf16>
      weight_scales(%s)
      : (tensor<3x1000xbf16>, tensor<72x1000xi2, #lowbit.layout<packed>>, tensor<72x1xbf16>)
        -> tensor<3x72xf32>
  return %y : tensor<3x72xf32>
}
