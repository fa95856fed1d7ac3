// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with a single K tile (no tile after the first to
// dequantize ahead: the last part yields the registers it just freed),
// signed s4 codes with per-channel bf16 scales, 72 tokens (a partial
// token tile) and 192 weight rows (a partial row tile).
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// PTX-DAG: wgmma.wait_group.sync.aligned{{[[:space:]]+}}1;
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-2 --atol=0.5
func.func @w4a16_per_channel(%x: tensor<72x256xbf16>, %w: tensor<192x256xi4, #lowbit.layout<packed>>, %s: tensor<192x1xbf16>) -> tensor<72x192xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true>}
      : (tensor<72x256xbf16>, tensor<192x256xi4, #lowbit.layout<packed>>, tensor<192x1xbf16>) -> tensor<72x192xbf16>
  return %y : tensor<72x192xbf16>
}
