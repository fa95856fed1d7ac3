// RUN: lowbit-opt %s --lowbit-select-kernel-config=target=sm_80 --lowbit-lower-matmul-to-gpu | FileCheck %s

// W2A2 bit planes: the kernel's operands are rows of K bits padded to 16
// bytes (1000 bits -> 128 bytes), every plane of a block's rows staged per
// ring slot, one 1-bit and.popc MMA per plane pair; the slot's 16-byte
// chunks (read again as vector<4xi32>) counted by the block's threads, each
// row's four counts summed over a quad into shared memory after the ring
// (73728 + 384 rows x 4 bytes).
// CHECK: lowbit.bitplane_matmul {{.*}}lowbit_gpu.kernel = {block = array<i64: 256, 1, 1>, grid = array<i64: 8, 1, 1>, name = "w2a2_bitplane0", params = ["input", "weight", "result"], shared_memory = 75264 : i64, tensor_maps = [], zero_result = false}
// CHECK: gpu.func @w2a2_bitplane0(%{{.*}}: memref<400x128xi8>, %{{.*}}: memref<272x128xi8>, %{{.*}}: memref<200x136xi32>) kernel
// CHECK: memref.view {{.*}} to memref<3x128x64xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<3x256x64xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<3x128x4xvector<4xi32>, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<3x256x4xvector<4xi32>, #gpu.address_space<workgroup>>
// CHECK: memref.view %{{.*}}[%c73728{{.*}} to memref<384xi32, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy {{.*}}, 16, %{{.*}} {bypassL1} : memref<400x128xi8>
// CHECK: scf.for
// CHECK: nvgpu.ldmatrix {{.*}} -> vector<4x4xi8>
// CHECK: nvvm.mma.sync {{.*}}b1Op = #nvvm.mma_b1op<and_popc>{{.*}}multiplicandAPtxType = #nvvm.mma_type<b1>, multiplicandBPtxType = #nvvm.mma_type<b1>, shape = #nvvm.shape<m = 16, n = 8, k = 256>
// CHECK: memref.load {{.*}} : memref<3x128x4xvector<4xi32>, #gpu.address_space<workgroup>>
// CHECK-COUNT-4: llvm.intr.ctpop
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: memref.store {{.*}} : memref<384xi32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: gpu.shuffle
// CHECK-COUNT-32: memref.store {{.*}} : memref<200x136xi32>
func.func @w2a2(%a: tensor<2x200x1000xi1>, %w: tensor<2x136x1000xi1>) -> tensor<200x136xi32> {
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x200x1000xi1>, tensor<2x136x1000xi1> -> tensor<200x136xi32>
  return %c : tensor<200x136xi32>
}
