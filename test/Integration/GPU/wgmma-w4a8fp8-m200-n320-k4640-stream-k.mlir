// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma with stream-K: the s4 weights widened
// to e4m3 in registers, the tile's sum promoted to f32 per K tile; 6 tiles
// of 128 weight rows x 128 tokens, each split along K into 2 parts of its
// 19 K tiles of 256 (K = 4640 ends inside one); f32 sums handed on, bf16
// results staged (one box per tile; their rounding alone is a relative L2
// error near 1e-3).
// GRID: "grid": [
// GRID-NEXT: 12,
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<200x4640xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<320x4640xi4, #lowbit.layout<packed>>, %s: tensor<320x1xbf16>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true, stream_k = true>}
      : (tensor<200x4640xf8E4M3FN>, tensor<320x4640xi4, #lowbit.layout<packed>>, tensor<320x1xbf16>, tensor<1x1xf32>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
