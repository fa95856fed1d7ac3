// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)
// PTX-NOT: ld.global.v4

// K = 1000: rows of 500 bytes are not whole 16-byte chunks, so the kernel
// reads a byte at a time. Per-channel scales, unsigned codes, zero points.
func.func @w4a16_k1000(%x: tensor<2x1000xf16>, %w: tensor<96x1000xi4, #lowbit.layout<packed>>,
                       %s: tensor<96x1xf16>, %z: tensor<96x1xi4>) -> tensor<2x96xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_channel, axis = 0>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<2x1000xf16>, tensor<96x1000xi4, #lowbit.layout<packed>>, tensor<96x1xf16>, tensor<96x1xi4>)
      -> tensor<2x96xf32>
  return %y : tensor<2x96xf32>
}
