// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a %t.ptx -o %t.cubin %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// One bf16 token, s4 codes with bf16 scales per group of 32 (a scale per
// lane's chunk, applied to the decoded bf16 pairs), the default tensor-core
// tma_gemv (16 rows per block and warp: 96 rows); K = 1536 ends inside the second K tile.
// PTX: .visible .entry decode_tma_gemv0(
// PTX-DAG: mul.{{(rn.)?}}bf16x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 16, 512], warp = [16, 16], mma = [16, 8, 16], mma_type = bf16, stages = 2, split_k = 2>"
// GPU-COMPARE: --rtol=5e-2 --atol=0.5 --max-rel-l2=1e-2
func.func @decode(%x: tensor<1x1536xbf16>, %w: tensor<96x1536xi4, #lowbit.layout<packed>>,
                  %s: tensor<96x48xbf16>) -> tensor<1x96xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32,
                                  scale_type = bf16>
      weight_scales(%s)
      : (tensor<1x1536xbf16>, tensor<96x1536xi4, #lowbit.layout<packed>>, tensor<96x48xbf16>)
        -> tensor<1x96xf32>
  return %y : tensor<1x96xf32>
}
