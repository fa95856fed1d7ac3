// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma FP8 with a bf16 result stored through shared memory: each
// consumer converts 64 columns at a time into a 128-byte-swizzled staging
// buffer (two per consumer beside the default 4-stage ring of 128 x 192
// tiles, the third box reusing the first once its store has read it) and
// stores the 64 x 64 box with TMA, which leaves out the rows past M = 130
// and the columns past N = 200 (the second column tile holds 8). The
// default's stream-K splits its 4 tiles (less than a wave) along K into 2
// parts of its 17 K tiles: 8 blocks.
// GRID: "grid": [
// GRID-NEXT: 8,
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTX-DAG: cp.async.bulk.commit_group
// PTX-DAG: cp.async.bulk.wait_group.read 0
// PTX-DAG: cp.async.bulk.wait_group.read 1
// PTX-DAG: cp.async.bulk.wait_group 0
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTX-DAG: add.rn.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=1e-3
func.func @fp8(%x: tensor<130x2064xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<200x2064xf8E4M3FN>, %s: tensor<200x1xbf16>) -> tensor<130x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<130x2064xf8E4M3FN>, tensor<200x2064xf8E4M3FN>, tensor<200x1xbf16>, tensor<1x1xf32>) -> tensor<130x200xbf16>
  return %y : tensor<130x200xbf16>
}
