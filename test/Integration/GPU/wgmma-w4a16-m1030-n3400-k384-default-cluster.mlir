// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 with the default config from M = 1024: 256 tokens by 128 K, blocks
// paired along the weight rows in clusters sharing the token tile by
// multicast, no stream-K (135 tiles, at least one per SM of the H100 and
// H200). 1030 tokens (a partial fifth token tile), 3400 weight rows (27
// weight tiles, the last partial: the last pair of each token tile is half
// empty; more pairs than the grid's 66 clusters, so some walk a second),
// K = 384, u4 codes with zero points, bf16 scales per group of 128.
// MANIFEST: cluster = [1, 2], persistent = true>
// PTX-DAG: .reqnctapercluster 2, 1, 1
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
// PTX-DAG: multicast::cluster
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16_cluster(%x: tensor<1030x384xbf16>, %w: tensor<3400x384xi4, #lowbit.layout<packed>>, %s: tensor<3400x3xbf16>, %z: tensor<3400x3xi4>) -> tensor<1030x3400xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<1030x384xbf16>, tensor<3400x384xi4, #lowbit.layout<packed>>, tensor<3400x3xbf16>, tensor<3400x3xi4>) -> tensor<1030x3400xbf16>
  return %y : tensor<1030x3400xbf16>
}
