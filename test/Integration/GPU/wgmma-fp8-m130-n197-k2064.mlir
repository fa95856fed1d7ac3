// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma FP8 with f32 promotion per K tile, an odd N (element stores), M past
// one 128-row tile and K = 2064 (17 K tiles: the 6-slot ring wraps twice).
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTX-DAG: add.rn.f32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=1e-3
func.func @fp8(%x: tensor<130x2064xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<197x2064xf8E4M3FN>, %s: tensor<197x1xbf16>) -> tensor<130x197xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<130x2064xf8E4M3FN>, tensor<197x2064xf8E4M3FN>, tensor<197x1xbf16>, tensor<1x1xf32>) -> tensor<130x197xf32>
  return %y : tensor<130x197xf32>
}
