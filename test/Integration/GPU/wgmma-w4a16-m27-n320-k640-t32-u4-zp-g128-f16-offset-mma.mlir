// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// Config offset_mma on packed weights with f16 activations (code pairs
// spread by prmt, each half with its own bias): a 32-token tile, unsigned
// codes with zero points, f16 scales per group of 128. M = 27, N = 320,
// K = 640 (the last K tile short); f16 results.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n32k16.f32.f16.f16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=2e-3 --atol=0.2
func.func @w4a16(%x: tensor<27x640xf16>, %w: tensor<320x640xi4, #lowbit.layout<packed>>,
                 %s: tensor<320x5xf16>, %z: tensor<320x5xi4>) -> tensor<27x320xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128,
                                  scale_type = f16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [32, 128, 256], warp = [32, 64], mma = [32, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true, offset_mma = true>}
      : (tensor<27x640xf16>, tensor<320x640xi4, #lowbit.layout<packed>>,
         tensor<320x5xf16>, tensor<320x5xi4>) -> tensor<27x320xf16>
  return %y : tensor<27x320xf16>
}
