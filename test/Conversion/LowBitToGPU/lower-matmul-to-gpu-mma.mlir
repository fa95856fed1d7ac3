// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_90 --lowbit-lower-matmul-to-gpu | FileCheck %s

// The mma_sync kernel of a W8A8 product: a cp.async ring in dynamic shared
// memory, ldmatrix fragments for both operands, s8 MMAs, and the launch the
// manifest reports (N / 128 x ceil(M / 128) blocks of 4 warps in a grouped
// linear order, 4 stages of 16 KiB).
// CHECK-LABEL: func.func @w8a8
// CHECK: lowbit.matmul
// CHECK-SAME: lowbit_gpu.kernel = {block = array<i64: 128, 1, 1>, grid = array<i64: 4, 1, 1>, name = "w8a8_mma0", params = ["input", "weight", "weight_scales", "input_scales", "result"], shared_memory = 65536 : i64, tensor_maps = [], zero_result = false}
// CHECK: gpu.func @w8a8_mma0(%{{.*}}: memref<200x512xi8>, %{{.*}}: memref<256x512xi8>, %{{.*}}: memref<256x1xf32>, %{{.*}}: memref<200x1xf32>, %{{.*}}: memref<200x256xf32>) kernel
// CHECK: gpu.dynamic_shared_memory
// CHECK: memref.view {{.*}} to memref<4x128x64xi8, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy {{.*}}, 16, %{{.*}} {bypassL1}
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 2
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<4x128x64xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
func.func @w8a8(%x: tensor<200x512xi8>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x256xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>
      weight_scales(%s) input_scales(%xs)
      : (tensor<200x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<200x1xf32>) -> tensor<200x256xf32>
  return %y : tensor<200x256xf32>
}

// -----

// W4A16: the packed 4-bit tile (16 bytes per row) is read per thread and
// dequantized to f16 in registers; activations come through ldmatrix.
// CHECK-LABEL: func.func @w4a16
// CHECK: shared_memory = 40960
// CHECK: gpu.func @w4a16_mma0
// CHECK: memref.view {{.*}} to memref<4x128x32xf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<4x128x16xi8, #gpu.address_space<workgroup>>
// CHECK: nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// CHECK: memref.load {{.*}} : memref<4x128x16xi8, #gpu.address_space<workgroup>>
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
func.func @w4a16(%x: tensor<128x512xf16>, %w: tensor<256x512xi4, #lowbit.layout<packed>>,
                 %s: tensor<256x4xf16>, %z: tensor<256x4xi4>) -> tensor<128x256xf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                                  granularity = per_group, axis = 1, group_size = 128>
      weight_scales(%s) weight_zero_points(%z)
      : (tensor<128x512xf16>, tensor<256x512xi4, #lowbit.layout<packed>>,
         tensor<256x4xf16>, tensor<256x4xi4>) -> tensor<128x256xf16>
  return %y : tensor<128x256xf16>
}
