// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// NF4 decode (QLoRA's codebook): unsigned 4-bit indices, bf16 scales per
// group of 64, two bf16 tokens, f32 result. The 16 code values live in a
// constant global the block copies to its dynamic shared memory (64 bytes,
// in the launch's size); each code is looked up there (the streaming GEMV,
// 16-byte weight loads).
// PTX-DAG: .global .align 4 .b8 nf4_gemv0_code_values[64]
// PTX-DAG: .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: bar.sync
// PTX-DAG: ld.shared.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = splitk_gemv,
// MANIFEST: "shared_memory": 64,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
func.func @nf4(%x: tensor<2x1024xbf16>, %w: tensor<320x1024xi4, #lowbit.layout<packed>>,
               %s: tensor<320x16xbf16>) -> tensor<2x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group,
                                  axis = 1, group_size = 64, scale_type = bf16,
                                  codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0,
                                              0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1.0]>
      weight_scales(%s)
      : (tensor<2x1024xbf16>, tensor<320x1024xi4, #lowbit.layout<packed>>, tensor<320x16xbf16>)
        -> tensor<2x320xf32>
  return %y : tensor<2x320xf32>
}
