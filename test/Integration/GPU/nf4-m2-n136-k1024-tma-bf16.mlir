// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// NF4 on tma_gemv: the codebook's 16 values are staged at the start of the
// dynamic shared memory and the ring after them (aligned to 1024 bytes);
// bf16 activations and scales per group of 64, f32 products, two tokens
// loaded a K tile ahead, N = 136 (the last 24-row block has 16 rows past N).
// MANIFEST: "shared_memory": 74912,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @nf4(%x: tensor<2x1024xbf16>, %w: tensor<136x1024xi4, #lowbit.layout<packed>>,
               %s: tensor<136x16xbf16>) -> tensor<2x136xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group,
                                  axis = 1, group_size = 64, scale_type = bf16,
                                  codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0,
                                              0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 24, 512],
                                              warp = [16, 6], mma = [1, 1, 1], mma_type = f32,
                                              stages = 6>}
      : (tensor<2x1024xbf16>, tensor<136x1024xi4, #lowbit.layout<packed>>, tensor<136x16xbf16>)
      -> tensor<2x136xf32>
  return %y : tensor<2x136xf32>
}
