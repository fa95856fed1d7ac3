// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=ld.shared.b8 --implicit-check-not=ld.shared.v2 < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 with f16 activations on weights in the half-fragment order on the
// wgmma kernel's 16-token tile (the default for such a narrow layer is
// tma_gemv), whose per-channel scales multiply the f32 sums. Signed s4 codes; the odd registers mask bits 4..7 of each half
// (0x00F000F0 = 15728880) into 64.0 with the sign bits flipped
// (0x54805480 = 1417696384), the even ones bits 0..3 into 1024.0; only
// registers 2 and 3 shift (by 8). N = 300 (the last tile of 44 rows),
// K = 1280 (5 K tiles). The manifest tells the host the order.
// MANIFEST: "layout": "interleave"
// MANIFEST: "order": [
// PTX-DAG: ld.shared.b32
// PTX-DAG: shr.u32 {{%r[0-9]+}}, {{%r[0-9]+}}, 8;
// PTX-DAG: 15728880, 1417696384
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16
// PTX-DAG: fma.rn.f32
// PTX-NOT: mul.rn.f16x2
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<11x1280xf16>, %w: tensor<300x1280xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<300x1xf16>) -> tensor<11x300xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0,
                                  scale_type = f16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true>}
      : (tensor<11x1280xf16>, tensor<300x1280xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<300x1xf16>) -> tensor<11x300xf16>
  return %y : tensor<11x300xf16>
}
