// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma with 128-code K tiles (64-byte weight rows per stage,
// loaded with the 64-byte swizzle; 256-byte activation rows in two 128-byte
// parts) and stream-K: 6 tiles of 128 weight rows x 128 tokens, each split
// along K into 4 parts of its 35 K tiles (K = 4480); the parts' group
// scales and zero points (g128: one group per K tile) are those of the K
// tiles they run.
// MANIFEST: "grid": [
// MANIFEST-NEXT: 24,
// MANIFEST: "box_bytes": 64,
// MANIFEST: "swizzle": 64
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance: see wgmma-w4a16-m200-n320-k4480-u4-zp-g128-stream-k.mlir.
// GPU-COMPARE: --rtol=1e-2 --atol=4 --max-rel-l2=5e-3
func.func @w4a16(%x: tensor<200x4480xbf16>, %w: tensor<320x4480xi4, #lowbit.layout<packed>>, %s: tensor<320x35xbf16>, %z: tensor<320x35xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 128], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true, stream_k = true>}
      : (tensor<200x4480xbf16>, tensor<320x4480xi4, #lowbit.layout<packed>>, tensor<320x35xbf16>, tensor<320x35xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
