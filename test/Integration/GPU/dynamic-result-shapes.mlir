// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// CHECK: 1 kernel(s)

// A product whose result type leaves M and N dynamic where its operands fix
// them: the manifest sizes the result from the input's M and the weight's N
// (3 x 48), and the GPU kernel and the CPU reference agree on it.
// MANIFEST: "role": "result",
// MANIFEST-NEXT: "shape": [
// MANIFEST-NEXT: 3,
// MANIFEST-NEXT: 48
// MANIFEST-NEXT: ]
// GPU-COMPARE: --rtol=1e-3 --atol=0.05

#w4g128 = #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                        granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>

func.func @matmul_dynamic(%x: tensor<3x256xbf16>, %w: tensor<48x256xi4, #lowbit.layout<packed>>,
                          %s: tensor<48x2xbf16>, %z: tensor<48x2xi4>) -> tensor<?x?xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #w4g128 weight_scales(%s) weight_zero_points(%z)
      : (tensor<3x256xbf16>, tensor<48x256xi4, #lowbit.layout<packed>>, tensor<48x2xbf16>,
         tensor<48x2xi4>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
