// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Claimed runs of one K tile each on W4A8-e4m3's 32-token tile: N = 520
// is 5 tiles of 128 rows (the last of 8), K = 1056 five K tiles (the last
// of 32 codes), 25 ranges for 25 blocks; the promoted f32 sums added with
// red, bf16 results staged. Launched three times.
// MANIFEST: "grid": [
// MANIFEST-NEXT: 25,
// PTX-DAG: red.relaxed.gpu.global.add.v4.f32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n32k32.f32.e4m3.e4m3
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3 --launches=3
func.func @w4a8fp8(%x: tensor<24x1056xf8E4M3FN>, %xs: tensor<24x1xf32>, %w: tensor<520x1056xi4, #lowbit.layout<packed>>, %s: tensor<520x1xf32>) -> tensor<24x520xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [32, 128, 256], warp = [32, 64], mma = [32, 64, 32], mma_type = f8E4M3FN, stages = 6, persistent = true, stream_k = true, claim_k = 1>}
      : (tensor<24x1056xf8E4M3FN>, tensor<520x1056xi4, #lowbit.layout<packed>>, tensor<520x1xf32>, tensor<24x1xf32>) -> tensor<24x520xbf16>
  return %y : tensor<24x520xbf16>
}
