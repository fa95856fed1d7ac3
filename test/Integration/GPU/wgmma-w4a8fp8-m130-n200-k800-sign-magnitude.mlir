// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX --implicit-check-not=prmt.b32 --implicit-check-not=ld.shared.b16 < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma, weights in the sign_magnitude
// layout: codes -7..7 stored as the e4m3 bytes of code / 512, so that a
// K step's four A registers are two 32-bit loads, each masked as it is and
// rotated by 4 (LLVM emits the rotate as shf.l.wrap by 28), with no lookup
// tables (no prmt) and no activation sums; the sums are multiplied by 512
// in the epilogue. M = 130, N = 200 and K = 800 are not multiples of the
// 128 x 128 x 256 tile (the default on sm_90a). Two 32-bit loads per K
// step, 16 per K tile, and no 16-bit ones (packed weights take 32).
// PTX-COUNT-16: ld.shared.b32 {{%r[0-9]+}}, [{{%rd[0-9]+}}{{(\+[0-9]+)?}}];
// PTX-DAG: and.b32 {{.*}}, -2021161081;
// PTX-DAG: shf.l.wrap.b32 {{%r[0-9]+}}, [[W:%r[0-9]+]], [[W]], 28;
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// PTX-DAG: mul.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0f44000000;
// The host packs the weights sign-magnitude (lib/Quant/Layouts.cpp).
// MANIFEST: "layout": "sign_magnitude"
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=150 --max-rel-l2=1e-3
func.func @w4a8fp8(%x: tensor<130x800xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<200x800xi4, #lowbit.layout<sign_magnitude>>, %s: tensor<200x1xbf16>) -> tensor<130x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<130x800xf8E4M3FN>, tensor<200x800xi4, #lowbit.layout<sign_magnitude>>, tensor<200x1xbf16>, tensor<1x1xf32>) -> tensor<130x200xf32>
  return %y : tensor<130x200xf32>
}
