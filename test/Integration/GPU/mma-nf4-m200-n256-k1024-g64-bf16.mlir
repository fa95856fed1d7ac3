// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// NF4 prefill on mma.sync (on sm_90a too: the wgmma strategy takes no
// codebooks): each thread looks its B-fragment codes up in the shared copy
// of the codebook, times the group's scale, rounded to bf16 (one rounding
// per product, as the W4A16 kernels). M = 200 leaves a partial row tile.
// PTX: .global .align 4 .b8 nf4_mma0_code_values[64]
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = mma_sync,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @nf4(%x: tensor<200x1024xbf16>, %w: tensor<256x1024xi4, #lowbit.layout<packed>>,
               %s: tensor<256x16xbf16>) -> tensor<200x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group,
                                  axis = 1, group_size = 64, scale_type = bf16,
                                  codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0,
                                              0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]>
      weight_scales(%s)
      : (tensor<200x1024xbf16>, tensor<256x1024xi4, #lowbit.layout<packed>>, tensor<256x16xbf16>)
        -> tensor<200x256xf32>
  return %y : tensor<200x256xf32>
}
