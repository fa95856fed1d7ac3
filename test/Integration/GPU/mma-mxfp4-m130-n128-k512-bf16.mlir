// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// MXFP4 weight-only prefill on mma.sync: e2m1 codes and e8m0 block scales
// (one per 32 codes along K, a K tile's worth) both looked up in shared
// memory, the product rounded to bf16 for the MMA. M = 130.
// PTX: .global .align 4 .b8 mxfp4_mma0_code_values[64]
// PTX: .global .align 4 .b8 mxfp4_mma0_scale_values[1024]
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// e2m1 values times powers of two are exact in bf16: only the f32 sums'
// order differs from the reference (a host emulation of the kernel's
// rounding on these inputs: max error 0.005 on values up to 8e3).
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @mxfp4(%x: tensor<130x512xbf16>, %w: tensor<128x512xf4E2M1FN, #lowbit.layout<packed>>,
                 %s: tensor<128x16xf8E8M0FNU>) -> tensor<130x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1,
                                  group_size = 32, scale_type = f8E8M0FNU>
      weight_scales(%s)
      : (tensor<130x512xbf16>, tensor<128x512xf4E2M1FN, #lowbit.layout<packed>>,
         tensor<128x16xf8E8M0FNU>) -> tensor<130x128xf32>
  return %y : tensor<130x128xf32>
}
