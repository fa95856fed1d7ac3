// RUN: lowbit-compile %s --arch=sm_80 -o %t.ptx | FileCheck %s --check-prefix=COMPILE
// RUN: %if ptxas %{ ptxas -arch=sm_80 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_89 -o %t.89.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_89 %t.89.ptx -o %t.89.cubin %}
// RUN: lowbit-compile %s --arch=sm_90a -o %t.90.ptx --manifest=%t.90.json
// RUN: FileCheck %s --check-prefix=SM90A < %t.90.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.90.ptx -o %t.90.cubin %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_80
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// SM90A: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = bf16, stages = 2>"

// Symmetric signed 4-bit codes (sign-extended nibbles), bf16 activations and
// scales, groups of 64, 16 tokens, N = 1000 (not a multiple of the tile).
// The split-K GEMV on sm_80 and sm_89; on sm_90a (the GPU machine's case)
// tma_gemv on tensor cores, the default there for 2 to 16 tokens (16 rows
// per block: 1000 rows make 32 blocks of 32, a quarter of the 132 SMs; no
// K split: 63 blocks of 16 leave fewer than three quarters idle), whose
// decoded weights are multiplied by their group's scale in bf16 (groups of
// 64 are shorter than its 128-code quads; the tolerance of the bf16 wgmma
// cases, which round the same way).
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16_m16(%x: tensor<16x1536xbf16>, %w: tensor<1000x1536xi4, #lowbit.layout<packed>>,
                     %s: tensor<1000x24xbf16>) -> tensor<16x1000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64,
                                  scale_type = bf16>
      weight_scales(%s)
      : (tensor<16x1536xbf16>, tensor<1000x1536xi4, #lowbit.layout<packed>>, tensor<1000x24xbf16>)
      -> tensor<16x1000xf32>
  return %y : tensor<16x1000xf32>
}
