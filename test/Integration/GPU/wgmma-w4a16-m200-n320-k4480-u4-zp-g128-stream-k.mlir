// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 on wgmma (transposed: 128 weight rows x 128 tokens per tile) with
// stream-K: 6 tiles, less than a wave, each split along K into 2 parts of
// 9 of its 18 K tiles of 256 (K = 4480 ends inside one): the second part's
// group scales and zero points (g128) are those of the K tiles it runs.
// GRID: "grid": [
// GRID-NEXT: 12,
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// The bf16 results of K = 4480 dequantized products err up to 4 (one bf16
// unit at 512) and 2.5e-3 in relative L2, with or without stream-K (both
// ran on an H200).
// GPU-COMPARE: --rtol=1e-2 --atol=4 --max-rel-l2=5e-3
func.func @w4a16(%x: tensor<200x4480xbf16>, %w: tensor<320x4480xi4, #lowbit.layout<packed>>, %s: tensor<320x35xbf16>, %z: tensor<320x35xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true, stream_k = true>}
      : (tensor<200x4480xbf16>, tensor<320x4480xi4, #lowbit.layout<packed>>, tensor<320x35xbf16>, tensor<320x35xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
