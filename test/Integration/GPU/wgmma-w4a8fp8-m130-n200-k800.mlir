// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=TILE < %t.ptx
// RUN: FileCheck %s --check-prefix=TABLES < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma: packed s4 weights turned into e4m3
// in registers (two prmt table lookups, one selected by the codes with their
// sign bits flipped (XOR 0x8888), the second's halved values added twice:
// every integer in [-8, 7] is exact in e4m3) and fed as the register A
// operand, activations as B; f32 sums promoted from the tensor cores' per K
// tile (256 K). The K tile's 32 A registers (four per K step) are widened,
// then fenced once and its eight wgmmas issued back to back, one set per K
// tile: nothing spills at the 232-register cap, where widening the next
// tile under this one's wgmmas spilled 20 to 24 bytes; nor does ptxas
// serialize the wgmmas. M = 130,
// N = 200 and K = 800 are not multiples of the 128 x 128 x 256 tile (the
// default on sm_90a, written out here).
// PTX-DAG: xor.b32 {{.*}}, 34952;
// PTX-DAG: prmt.b32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {{.*}}}, {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, p, 1, 1;
// PTX-DAG: add.rn.f32
// The two lookup tables' low words (0x44403800, 0x65666768) are stored
// once per lane in shared memory and loaded into registers by every
// consumer thread, so that ptxas keeps them there: as immediates (or one
// shared copy, which it moves to a uniform register) it copies them into a
// register before each prmt. The high words stay immediates.
// TABLES: st.shared.b64 [{{%rd[0-9]+}}+{{[0-9]+}}], 7306641142974527488;
// TABLES: ld.shared.b32 [[LOW:%r[0-9]+]],
// TABLES: prmt.b32 {{%r[0-9]+}}, [[LOW]], 1313622600,
// TABLES-NOT: 1145059328
// TILE: wgmma.fence.sync.aligned
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// TILE-NOT: wgmma.fence
// TILE: wgmma.commit_group.sync.aligned
// PTXAS-NOT: serialized
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// Tolerance as for the FP8 wgmma cases (matrix-fp8-m1024.mlir): relative L2
// and elements within 3% of the output RMS (~5e3).
// GPU-COMPARE: --rtol=1e-2 --atol=150 --max-rel-l2=1e-3
func.func @w4a8fp8(%x: tensor<130x800xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<200x800xi4, #lowbit.layout<packed>>, %s: tensor<200x1xbf16>) -> tensor<130x200xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 4, persistent = true>}
      : (tensor<130x800xf8E4M3FN>, tensor<200x800xi4, #lowbit.layout<packed>>, tensor<200x1xbf16>, tensor<1x1xf32>) -> tensor<130x200xf32>
  return %y : tensor<130x200xf32>
}
