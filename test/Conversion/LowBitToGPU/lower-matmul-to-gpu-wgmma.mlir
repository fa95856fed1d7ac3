// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90a --lowbit-lower-matmul-to-gpu | FileCheck %s

// The wgmma kernel of a W8A8 product on sm_90a: the launch with its two
// tensor maps (activations in 128 x 128-byte boxes, weights in 256 x 128),
// 3 warpgroups per block (setmaxnreg leaves the producer 40 registers per
// thread and gives each consumer 232: a pool of 128 x 504), a 4-slot ring of 48 KiB stages plus barriers and
// alignment slack; the producer warpgroup (TMA into the `full` barriers after
// waiting on `empty`), the consumers (wgmma from shared memory, one arrival
// per warp on `empty`). The blocks set up before they wait for the grid
// before them, then let the next launch (`dependent_launch`: programmatic
// launches may overlap them).
// CHECK-LABEL: func.func @w8a8
// CHECK: lowbit_gpu.kernel = {block = array<i64: 384, 1, 1>, dependent_launch, grid = array<i64: 4, 1, 1>, name = "w8a8_wgmma0", params = ["input", "weight", "weight_scales", "input_scales", "result"], register_pool = 64512 : i64, shared_memory = 197696 : i64, tensor_maps = [array<i64: 0, 200, 512, 128, 128, 128>, array<i64: 1, 320, 512, 256, 128, 128>], zero_result = false}
// CHECK: gpu.func @w8a8_wgmma0(%{{.*}}: memref<200x512xi8>, %{{.*}}: memref<320x512xi8>, %{{.*}}: memref<320x1xf32>, %{{.*}}: memref<200x1xf32>, %{{.*}}: memref<200x320xf32>, %[[MAPA:.*]]: !llvm.ptr, %[[MAPB:.*]]: !llvm.ptr) kernel
// CHECK-SAME: lowbit_gpu.tensor_map_args = array<i32: 5, 6>
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK-COUNT-8: nvvm.mbarrier.init
// CHECK: nvvm.fence.mbarrier.init
// CHECK: gpu.barrier
// Thread 0 pulls the weights (B here: the operands are not swapped) of its
// first run's first K tiles into L2 before the wait, and reads nothing.
// CHECK-NOT: {{memref.load|llvm.load}}
// CHECK: nvvm.cp.async.bulk.tensor.prefetch %[[MAPB]]
// CHECK-NOT: {{memref.load|llvm.load}}
// CHECK: llvm.inline_asm has_side_effects "griddepcontrol.wait;", "~{memory}"
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK: nvvm.setmaxregister  decrease 40
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c49152_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[MAPA]], %{{.*}}, box
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[MAPB]], %{{.*}}, box
// CHECK: nvvm.setmaxregister  increase 232
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 32>, D[<s32>, <one>], A[<s8>, <one>, <row>], B[<s8>, <one>, <col>]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: nvvm.mbarrier.arrive
func.func @w8a8(%x: tensor<200x512xi8>, %w: tensor<320x512xi8>, %s: tensor<320x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<200x512xi8>, tensor<320x512xi8>, tensor<320x1xf32>, tensor<200x1xf32>) -> tensor<200x320xf32>
  return %y : tensor<200x320xf32>
}

// -----

// Persistent: 32 x 32 tiles of 128 x 256 on sm_90a's 132 SMs launch 132
// blocks, each walking tiles block, block + grid, ... with the ring position
// carried across tiles.
// CHECK-LABEL: func.func @w8a8_persistent
// CHECK: lowbit_gpu.kernel = {block = array<i64: 384, 1, 1>, dependent_launch, grid = array<i64: 132, 1, 1>, name = "w8a8_persistent_wgmma0"
// CHECK: gpu.func @w8a8_persistent_wgmma0
// CHECK: %[[GRID:.*]] = gpu.grid_dim x
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1024{{.*}} step %[[GRID]]
func.func @w8a8_persistent(%x: tensor<4096x256xi8>, %w: tensor<8192x256xi8>, %s: tensor<8192x1xf32>, %xs: tensor<4096x1xf32>) -> tensor<4096x8192xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<4096x256xi8>, tensor<8192x256xi8>, tensor<8192x1xf32>, tensor<4096x1xf32>) -> tensor<4096x8192xbf16>
  return %y : tensor<4096x8192xbf16>
}

// -----

// 4-bit weights swap in as wgmma's A (rows of the kernel's frame): their
// tensor map comes first ([320 rows, 272 bytes] in 128 x 128-byte boxes),
// the activations' second; the consumers read the weights with ld.shared and
// issue register-A wgmma as PTX (inline assembly). Those ld.shared reads
// are ordered before the TMA refill of their slot: every thread fences the
// proxies and the warp meets before its arrival on `empty`.
// CHECK-LABEL: func.func @w4a8
// CHECK: tensor_maps = [array<i64: 1, 320, 272, 128, 128, 128>, array<i64: 0, 200, 544, 128, 128, 128>]
// CHECK: gpu.func @w4a8_wgmma0(%{{.*}}: memref<200x544xi8>, %{{.*}}: memref<320x272xi8>{{.*}}, %[[MAPA:[^:]*]]: !llvm.ptr, %[[MAPB:[^:]*]]: !llvm.ptr)
// Before the grid wait thread 0 prefetches the weights, A here, into L2.
// CHECK: nvvm.cp.async.bulk.tensor.prefetch %[[MAPA]]
// CHECK-NOT: nvvm.cp.async.bulk.tensor.prefetch
// CHECK: llvm.inline_asm has_side_effects "griddepcontrol.wait;"
// CHECK: llvm.load {{.*}} : !llvm.ptr<3> -> i16
// CHECK: nvvm.prmt <default>
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: nvvm.bar.warp.sync
// CHECK: nvvm.mbarrier.arrive
func.func @w4a8(%x: tensor<200x544xi8>, %xs: tensor<200x1xf32>, %w: tensor<320x544xi4, #lowbit.layout<packed>>, %s: tensor<320x1xf16>) -> tensor<200x320xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_channel, axis = 0>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true>}
      : (tensor<200x544xi8>, tensor<320x544xi4, #lowbit.layout<packed>>, tensor<320x1xf16>, tensor<200x1xf32>) -> tensor<200x320xf32>
  return %y : tensor<200x320xf32>
}

// -----

// W4A16: bf16 activations (tensor map of 1280-byte rows: 640 bf16), u4
// weights with zero points per group of 128 (parameters input, weight,
// scales, zero points, result); the weights dequantized in registers: each
// byte's two codes spread into the mantissas of 128.0 (x 0x1001, mask,
// XOR 0x43004300), then (pair - bias - zero point) * scale in bf16 pairs.
// Mask and magic number in one lop3.b32 ((a & b) ^ c: 0x6A), where ptxas
// left `and` and `xor` with two constants two LOP3s.
// The bf16 result is stored through shared memory by TMA (a third tensor
// map: 640-byte rows, boxes of 128 tokens by 64 columns).
// CHECK-LABEL: func.func @w4a16
// CHECK: params = ["input", "weight", "weight_scales", "weight_zero_points", "result"]
// CHECK-SAME: tensor_maps = [array<i64: 1, 320, 320, 128, 128, 128>, array<i64: 0, 200, 1280, 128, 128, 128>, array<i64: 4, 200, 640, 128, 128, 128>]
// CHECK: gpu.func @w4a16_wgmma0(%{{.*}}: memref<200x640xbf16>, %{{.*}}: memref<320x320xi8>, %{{.*}}: memref<320x5xbf16>, %{{.*}}: memref<320x5xi8>, %{{.*}}: memref<200x320xbf16>
// CHECK: llvm.load {{.*}} : !llvm.ptr<3> -> i8
// CHECK: arith.constant 4097 : i32
// CHECK: llvm.inline_asm "lop3.b32 $0, $1, 983055, 1124090624, 106;"
// CHECK: vector.bitcast {{.*}} : vector<1xi32> to vector<2xbf16>
// CHECK: arith.subf {{.*}} : vector<2xbf16>
// CHECK: arith.mulf {{.*}} : vector<2xbf16>
// CHECK: llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
func.func @w4a16(%x: tensor<200x640xbf16>, %w: tensor<320x640xi4, #lowbit.layout<packed>>, %s: tensor<320x5xbf16>, %z: tensor<320x5xi4>) -> tensor<200x320xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128, scale_type = bf16>
      weight_scales(%s) weight_zero_points(%z)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 16], mma_type = bf16, stages = 2, persistent = true>}
      : (tensor<200x640xbf16>, tensor<320x640xi4, #lowbit.layout<packed>>, tensor<320x5xbf16>, tensor<320x5xi4>) -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
