// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx --manifest=%t.sm80.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.sm80.json
// CHECK: 1 kernel(s)

// One token of NF4 with f32 activations, which tma_gemv does not take: the
// split-K GEMV's default for table codes there (and before sm_90) is four
// rows per warp with four chunks in flight, the codes looked up in the
// shared copy of the codebook. 520 rows leave a partial block.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 64], warp = [16, 32], {{.*}}stages = 4
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @nf4(%x: tensor<1x2048xf32>, %w: tensor<520x2048xi4, #lowbit.layout<packed>>,
               %s: tensor<520x32xf32>) -> tensor<1x520xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group,
                                  axis = 1, group_size = 64, scale_type = f32,
                                  codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0,
                                              0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]>
      weight_scales(%s)
      : (tensor<1x2048xf32>, tensor<520x2048xi4, #lowbit.layout<packed>>, tensor<520x32xf32>)
        -> tensor<1x520xf32>
  return %y : tensor<1x520xf32>
}
