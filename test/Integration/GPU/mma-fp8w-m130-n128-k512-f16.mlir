// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// FP8 (e4m3) weight-only prefill with f16 activations: codes looked up in
// the shared copy of the 256 e4m3 values, times the channel's f32 scale,
// rounded to f16 for mma.sync. M = 130. The copy sits after the ring in
// dynamic shared memory: 4 x (128 x 64 + 128 x 32) + 1024 bytes, past 48 KiB,
// which the launch opts into.
// PTX: .global .align 4 .b8 fp8w_mma0_code_values[1024]
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// mma_sync kernels (sm_80 on) do not wait for the grid before them: the
// runtime never launches them programmatically.
// MANIFEST: "dependent_launch": false,
// MANIFEST: "shared_memory": 50176,
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=2
func.func @fp8w(%x: tensor<130x512xf16>, %w: tensor<128x512xf8E4M3FN>,
                %s: tensor<128x1xf32>) -> tensor<130x128xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s)
      : (tensor<130x512xf16>, tensor<128x512xf8E4M3FN>, tensor<128x1xf32>) -> tensor<130x128xf32>
  return %y : tensor<130x128xf32>
}
