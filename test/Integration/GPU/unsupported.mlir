// RUN: not lowbit-compile %s --arch=sm_90a -o %t.ptx 2>&1 | FileCheck %s
// RUN: not lowbit-compile %S/w4a16-m4-f16-out.mlir --arch=sm_90 -o %t.ptx --manifest=%t.nodir/x/y.json 2>&1 | FileCheck %s --check-prefix=WRITE

// What this version does not generate yet is an error naming it.
// CHECK: error: 'lowbit.matmul' op GPU code generation does not support the wgmma strategy yet
// WRITE: lowbit-compile: {{.*}}y.json: cannot write
func.func @prefill(%x: tensor<256x1024xf16>, %w: tensor<512x1024xi4, #lowbit.layout<packed>>, %s: tensor<512x8xf16>) -> tensor<256x512xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<256x1024xf16>, tensor<512x1024xi4, #lowbit.layout<packed>>, tensor<512x8xf16>) -> tensor<256x512xf32>
  return %y : tensor<256x512xf32>
}
