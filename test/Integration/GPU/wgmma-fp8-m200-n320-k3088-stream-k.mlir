// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma FP8 with stream-K: 4 tiles of 128 x 192 (M = 200, N = 320), less
// than a wave, each split along K into 3 parts of 8 or 9 of its 25 K tiles
// (K = 3088 ends inside one; parts of at least 8): 12 blocks, each tile's
// first adds the f32 sums the other two hand on through the module's
// workspace. Its explicit 5-stage ring leaves room for one staging buffer
// per consumer (the default, 4 stages, has two).
// GRID: "grid": [
// GRID-NEXT: 12,
// PTX-DAG: .global .align 16 .b8 fp8_wgmma0_partials[1179648];
// PTX-DAG: .global .align 16 .b8 fp8_wgmma0_partial_flags[96];
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=1e-3
func.func @fp8(%x: tensor<200x3088xf8E4M3FN>, %xs: tensor<200x1xf32>, %w: tensor<320x3088xf8E4M3FN>, %s: tensor<320x1xbf16>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 192, 128], warp = [64, 192], mma = [64, 192, 32], mma_type = f8E4M3FN, stages = 5, persistent = true, stream_k = true>}
      : (tensor<200x3088xf8E4M3FN>, tensor<320x3088xf8E4M3FN>, tensor<320x1xbf16>, tensor<200x1xf32>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
