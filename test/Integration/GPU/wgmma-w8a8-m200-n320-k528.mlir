// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// wgmma W8A8 on a shape no tile divides: M = 200 (128-row tiles), N = 320
// (256-column tiles), K = 528 (128-byte K tiles: five, so the 4-slot ring
// wraps). TMA zero-fills past every edge; the epilogue stores inside [M, N].
// PTX: .param .align 64 .b8 {{.*}}[128]
// PTX: .maxntid 384, 1, 1
// PTX: mbarrier.init.shared.b64
// PTX: setmaxnreg.inc.sync.aligned.u32 232
// PTX: mbarrier.try_wait.parity.shared.b64
// PTX: wgmma.fence.sync.aligned
// PTX: wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8
// PTX: wgmma.commit_group.sync.aligned
// PTX: wgmma.wait_group.sync.aligned 0
// PTX: mbarrier.arrive.shared.b64
// PTX: setmaxnreg.dec.sync.aligned.u32 40
// PTX: mbarrier.arrive.expect_tx.shared.b64
// PTX: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// (bf16 result: the random scales of lowbit-run reach past f16's range.)
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a8(%x: tensor<200x528xi8>, %w: tensor<320x528xi8>, %s: tensor<320x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<200x528xi8>, tensor<320x528xi8>, tensor<320x1xf32>, tensor<200x1xf32>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
