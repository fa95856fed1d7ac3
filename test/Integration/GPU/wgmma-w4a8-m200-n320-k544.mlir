// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 on wgmma with the weights swapped in as the A operand: packed s4
// weights (TMA, 128 bytes = 256 K per row) read by each consumer thread from
// the swizzled tile, widened in registers to s8 bytes of 16 x code (each
// code in its byte's high half: shift, prmt 0x5140, mask) and fed as wgmma's
// register A; int8 activations (two 128-byte K halves) as B through
// descriptors; the s32 sums times 1/16 in the epilogue. N = 320 and M = 200
// are not multiples of the 128 x 128 tile; K = 544 ends inside a K tile.
// PTX-DAG: ld.shared.b16
// PTX-DAG: prmt.b32 {{.*}}, 0x5140U;
// PTX-DAG: and.b32 {{.*}}, -252645136;
// PTX-DAG: mul.rn.f32 {{.*}}, 0f3D800000;
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {{.*}}}, {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, p;
// PTX-DAG: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 232
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-3 --atol=0.5
func.func @w4a8(%x: tensor<200x544xi8>, %xs: tensor<200x1xf32>, %w: tensor<320x544xi4, #lowbit.layout<packed>>, %s: tensor<320x1xf16>) -> tensor<200x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true>}
      : (tensor<200x544xi8>, tensor<320x544xi4, #lowbit.layout<packed>>, tensor<320x1xf16>, tensor<200x1xf32>) -> tensor<200x320xf32>
  return %y : tensor<200x320xf32>
}
