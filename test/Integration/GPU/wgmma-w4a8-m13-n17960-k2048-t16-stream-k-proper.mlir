// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// The sm_90a default for 9 to 16 int8 tokens on a layer of more 128-row
// tiles than SMs: N = 17960 is 141 tiles (the last of 40 rows), 9 past the
// first wave of 132, too many to split each over the idle SMs with 8 K
// tiles (K = 2048). The 16-token tile streams each weight once, so the 141
// tiles' K tiles are cut into 132 equal ranges, one per block, that start
// anywhere in a tile (8 or 9 K tiles: the tail of one tile, the start of
// the next); s32 sums handed on.
// MANIFEST: "config": "#lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true>"
// MANIFEST: "grid": [
// MANIFEST-NEXT: 132,
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k32.s32.s8.s8
// PTX-DAG: ld.acquire.gpu.global.u32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @w4a8(%x: tensor<13x2048xi8>, %xs: tensor<13x1xf32>, %w: tensor<17960x2048xi4, #lowbit.layout<packed>>, %s: tensor<17960x1xf16>) -> tensor<13x17960xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<13x2048xi8>, tensor<17960x2048xi4, #lowbit.layout<packed>>, tensor<17960x1xf16>, tensor<13x1xf32>) -> tensor<13x17960xf32>
  return %y : tensor<13x17960xf32>
}
