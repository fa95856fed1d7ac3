// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma W8A8 (the default config: 128 x 256 tiles) with stream-K after a
// whole wave: 9 x 16 tiles (M = 1100, N = 4000: the last row and column of
// tiles are partial) on 132 SMs are 1.09 waves. The first 132 tiles go one
// per block; the other 12 are split along K into 2 parts of 8 of their 16
// K tiles, run by blocks 0 to 23 after their whole tile: s32 sums handed
// on, then the staged bf16 epilogue.
// GRID: "config": "#lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>"
// GRID: "grid": [
// GRID-NEXT: 132,
// PTX-DAG: .global .align 16 .b8 w8a8_wgmma0_partials[3145728];
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Results reach 1e6 (scales in [-1, 1)); where a row's products cancel,
// the reference, which sums dequantized products in floating point, is off
// by up to 0.26 (the kernel's s32 sums are exact; checked on an H200).
// GPU-COMPARE: --rtol=1e-2 --atol=1
func.func @w8a8(%x: tensor<1100x2048xi8>, %w: tensor<4000x2048xi8>, %s: tensor<4000x1xf32>, %xs: tensor<1100x1xf32>) -> tensor<1100x4000xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<1100x2048xi8>, tensor<4000x2048xi8>, tensor<4000x1xf32>, tensor<1100x1xf32>) -> tensor<1100x4000xbf16>
  return %y : tensor<1100x4000xbf16>
}
