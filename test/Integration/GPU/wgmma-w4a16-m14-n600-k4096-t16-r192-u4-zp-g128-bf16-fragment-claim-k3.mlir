// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Claimed runs on W4A16's 16-token tile of 192 rows (three consumers),
// bf16 activations and results (staged), half-fragment weights with zero
// points and group-128 scales: N = 600 is 4 tiles (the last of 24 rows),
// K = 4096 sixteen K tiles in six ranges of 2 or 3, 24 ranges for 24
// blocks. f32 sums added four at a time with red.v4.f32 (PTX 8.1, which
// the config asks for); launched three times.
// MANIFEST: "grid": [
// MANIFEST-NEXT: 24,
// PTX-DAG: .version 8.1
// PTX-DAG: red.relaxed.gpu.global.add.v4.f32
// PTX-DAG: atom.acq_rel.gpu.global.add.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2 --launches=3
func.func @w4a16(%x: tensor<14x4096xbf16>, %w: tensor<600x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
                 %s: tensor<600x32xbf16>, %z: tensor<600x32xi4>) -> tensor<14x600xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [16, 192, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = bf16, stages = 4, persistent = true, stream_k = true, claim_k = 3>}
      : (tensor<14x4096xbf16>, tensor<600x4096xi4, #lowbit.layout<interleave, order = [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31]>>,
         tensor<600x32xbf16>, tensor<600x32xi4>) -> tensor<14x600xbf16>
  return %y : tensor<14x600xbf16>
}
