// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a

// Decode on sign_magnitude weights, the default up to 8 tokens: tma_gemv's
// tensor cores widen each weight word's two registers of e4m3 bytes (a
// mask, and a rotate and a mask) to f16 pairs of code / 512 with
// cvt.rn.f16x2.e4m3x2, as they widen the activations; the stored sums take
// 512 with the token's scale. Three tokens with f32 scales per token, f16
// scales per channel. N = 1000 leaves rows of the last block past N; K =
// 4640 ends inside its fifth K tile, whose stale activation bytes past K are
// zeroed before they are widened.
// PTX: .visible .entry w4a8fp8_tma_gemv0(
// Launched behind another kernel (programmatic dependent launch), thread 0
// loads the weights of the block's first ring slots (TMA, into shared
// memory) before the block waits for that kernel: all but the last of the
// three, which the producer fills after the wait, as the rest; the
// activations come after the wait; the next kernel may launch once every
// block is past the wait (manifest: "dependent_launch").
// PTX: min.u64 {{%rd[0-9]+}}, {{%rd[0-9]+}}, 2;
// PTX: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-NOT: cp.async.bulk.shared::cluster.global
// PTX: griddepcontrol.wait;
// PTX-NEXT: // end inline asm
// PTX-NEXT: griddepcontrol.launch_dependents;
// PTX-DAG: cp.async.bulk.tensor.2d
// PTX-DAG: shf.l.wrap.b32 {{.*}}, 28;
// PTX-DAG: and.b32 {{.*}}, -2021161081;
// PTX-DAG: cvt.rn.f16x2.e4m3x2
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: mul.rn.f32 {{.*}}, 0f44000000;
// MANIFEST: "config": "#lowbit_gpu.config<strategy = tma_gemv,
// MANIFEST: "dependent_launch": true,
// MANIFEST: "layout": "sign_magnitude"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5 --max-rel-l2=1e-5
func.func @w4a8fp8(%x: tensor<3x4640xf8E4M3FN>, %xs: tensor<3x1xf32>, %w: tensor<1000x4640xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<1000x1xf16>) -> tensor<3x1000xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<3x4640xf8E4M3FN>, tensor<1000x4640xi4, #lowbit.layout<sign_magnitude>>, tensor<1000x1xf16>, tensor<3x1xf32>) -> tensor<3x1000xf32>
  return %y : tensor<3x1000xf32>
}
