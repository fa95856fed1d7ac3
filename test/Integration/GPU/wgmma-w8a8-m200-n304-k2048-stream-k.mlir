// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: FileCheck %s --check-prefix=WORKSPACE < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W8A8 with the default config on sm_90a (128 x 256 tiles, two consumers,
// 128 s32 sums per thread, two staging buffers each, stream-K): 2 x 2 tiles
// (M = 200, N = 304), less than a wave, each split along K into 2 parts of
// 8 of its 16 K tiles. The sums handed on and added beside the staged
// epilogue's registers stay out of local memory (storing them from
// registers instead spills: such results keep stream-K off by default).
// GRID: "config": "#lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true>"
// GRID: "grid": [
// GRID-NEXT: 8,
// The registers setmaxnreg hands the warpgroups (40 + 2 x 232 per thread
// of a warpgroup): the runtime refuses to launch a kernel compiled to fewer,
// which would wait forever; ptxas gives it 168 x 384 threads.
// WORKSPACE: "register_pool": 64512
// The runtime orders launches of a kernel whose blocks share its module's
// workspace (lowbitKernelLaunch).
// WORKSPACE: "shared_workspace": true
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k32.s32.s8.s8
// PTX-DAG: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// PTXAS-NEXT: Used 168 registers
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w8a8(%x: tensor<200x2048xi8>, %w: tensor<304x2048xi8>, %s: tensor<304x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x304xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<200x2048xi8>, tensor<304x2048xi8>, tensor<304x1xf32>, tensor<200x1xf32>) -> tensor<200x304xbf16>
  return %y : tensor<200x304xbf16>
}
