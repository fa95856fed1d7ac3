// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=GRID < %t.json
// RUN: FileCheck %s --check-prefix=STORES < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// CHECK: 1 kernel(s)

// W4A8 with e4m3 activations on wgmma in 192-token tiles (the default from
// M = 4096), 3 stages, stream-K: the tile's sum and the running f32 sum are
// 2 x 96 registers per consumer thread. The producer keeps 24 registers and
// the two consumers take 240 (WgmmaProblem::wideConsumers): at 232 ptxas
// 13.0 spilled 24 bytes here and 4 to 36 in the benchmark shapes, some in
// the K loop. The register pool is the launch's 168 x 384 exactly
// (GRID below).
// PTX-DAG: setmaxnreg.dec.sync.aligned.u32 24;
// PTX-DAG: setmaxnreg.inc.sync.aligned.u32 240;
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// 200 tokens leave the second tile 8 rows; 6 tiles of 128
// weight rows x 192 tokens, each split along K into 2 parts of its 19 K
// tiles of 256 (K = 4640 ends inside one). The result is staged through
// shared memory in boxes of 48 tokens, two buffers per consumer (the whole
// tile's 192 do not fit beside the ring): four TMA stores per tile.
// GRID: "grid": [
// GRID-NEXT: 12,
// GRID: "register_pool": 64512,
// GRID: "shared_memory": 222512,
// GRID: "box_rows": 48,
// GRID-NEXT: "param": 4,
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3
// PTX-DAG: ld.acquire.gpu.global.u32
// PTX-DAG: st.release.gpu.global.u32
// STORES-COUNT-4: cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group
// STORES-NOT: cp.async.bulk.tensor.2d.global.shared
// Tolerance: see matrix-fp8-m1024.mlir (FP8 wgmma accumulation).
// GPU-COMPARE: --rtol=1e-2 --atol=1000 --max-rel-l2=2e-3
func.func @w4a8fp8(%x: tensor<200x4640xf8E4M3FN>, %xs: tensor<1x1xf32>, %w: tensor<320x4640xi4, #lowbit.layout<packed>>, %s: tensor<320x1xbf16>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = bf16>
      input_scheme #lowbit.quant<storage = f8E4M3FN, granularity = per_tensor, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 3, persistent = true, stream_k = true>}
      : (tensor<200x4640xf8E4M3FN>, tensor<320x4640xi4, #lowbit.layout<packed>>, tensor<320x1xbf16>, tensor<1x1xf32>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
