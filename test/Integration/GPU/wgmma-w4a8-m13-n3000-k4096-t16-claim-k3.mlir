// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=PREWAIT < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Claimed runs (claim_k) on W4A8-int8's 16-token tile: N = 3000 is 24
// tiles of 128 rows (the last of 56), K = 4096 sixteen K tiles, cut into
// six ranges each (2 or 3 K tiles): 144 ranges that the 132 blocks claim
// from a global counter; each range adds its s32 sums into its tile's
// workspace, and the one that completes the tile's count of K tiles
// stores it. Launched three times: each launch must leave the counters
// and the workspace clear for the next.
// MANIFEST: "grid": [
// MANIFEST-NEXT: 132,
// Claimed runs are known only at run time: no L2 prefetch of the weights
// before the grid wait.
// PREWAIT: .entry w4a8_wgmma0(
// PREWAIT-NOT: cp.async.bulk.prefetch.tensor
// PREWAIT: griddepcontrol.wait;
// PTX-DAG: .global .align 16 .b8 w4a8_wgmma0_claims[8];
// PTX-DAG: atom.relaxed.gpu.global.add.u32
// PTX-DAG: red.relaxed.gpu.global.add.s32
// PTX-DAG: atom.acq_rel.gpu.global.add.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k32.s32.s8.s8
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5 --launches=3
func.func @w4a8(%x: tensor<13x4096xi8>, %xs: tensor<13x1xf32>, %w: tensor<3000x4096xi4, #lowbit.layout<packed>>, %s: tensor<3000x1xf16>) -> tensor<13x3000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true, claim_k = 3>}
      : (tensor<13x4096xi8>, tensor<3000x4096xi4, #lowbit.layout<packed>>, tensor<3000x1xf16>, tensor<13x1xf32>) -> tensor<13x3000xf32>
  return %y : tensor<13x3000xf32>
}
