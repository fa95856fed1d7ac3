// RUN: not lowbit-compile %s --arch=sm_90a -o %t.ptx 2>&1 | FileCheck %s
// RUN: not lowbit-compile %S/w4a16-m4-f16-out.mlir --arch=sm_90 -o %t.ptx --manifest=%t.nodir/x/y.json 2>&1 | FileCheck %s --check-prefix=WRITE

// What this version does not generate yet is an error naming it.
// CHECK: error: 'lowbit.matmul' op the mma_sync strategy does not support 4-bit activations or weights that are not signed and #lowbit.layout<packed> yet
// WRITE: lowbit-compile: {{.*}}y.json: cannot write
func.func @w4a4(%x: tensor<256x512xi4>, %xs: tensor<256x1xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>, %s: tensor<256x1xf16>) -> tensor<256x256xf16> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> input_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0> weight_scales(%s) input_scales(%xs) : (tensor<256x512xi4>, tensor<256x512xi4, #lowbit.layout<packed>>, tensor<256x1xf16>, tensor<256x1xf16>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}
