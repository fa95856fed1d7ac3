// RUN: lowbit-opt %s | lowbit-opt | FileCheck %s
// RUN: lowbit-opt %s -mlir-print-op-generic | lowbit-opt | FileCheck %s

// CHECK: module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90a", features = "+ptx80">}
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90a", features = "+ptx80">} {
  // CHECK-LABEL: func @configs
  // CHECK-DAG: a = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256], mma = [64, 256, 16], mma_type = bf16, stages = 4, cluster = [2, 1], persistent = true>
  // CHECK-DAG: b = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, stages = 3>
  // CHECK-DAG: c = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 64, 256], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, split_k = 8>
  // CHECK-DAG: d = #lowbit_gpu.config<strategy = bitplane, block = [128, 128, 512], warp = [64, 64], mma = [16, 8, 256], mma_type = i1, stages = 3>
  // CHECK-DAG: e = #lowbit_gpu.config<strategy = lut, block = [16, 128, 4096], warp = [16, 32], mma = [1, 1, 4], mma_type = f16>
  // CHECK-DAG: f = #lowbit_gpu.target<chip = "sm_80">
  // CHECK-DAG: g = #lowbit_gpu.config<strategy = wgmma, block = [128, 192, 128], warp = [64, 192], mma = [64, 192, 32], mma_type = f8E4M3FN, stages = 5, persistent = true, stream_k = true>
  // CHECK-DAG: h = #lowbit_gpu.config<strategy = wgmma, block = [16, 192, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true, claim_k = 4>
  // CHECK-DAG: i = #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 3, persistent = true, stream_k = true, producer_registers = 24>
  func.func @configs() attributes {
      a = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256], mma = [64, 256, 16], mma_type = bf16, stages = 4, cluster = [2, 1], persistent = true>,
      b = #lowbit_gpu.config<mma_type = f16, strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], stages = 3, split_k = 1>,
      c = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 64, 256], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, split_k = 8>,
      d = #lowbit_gpu.config<strategy = bitplane, block = [128, 128, 512], warp = [64, 64], mma = [16, 8, 256], mma_type = i1, stages = 3>,
      e = #lowbit_gpu.config<strategy = lut, block = [16, 128, 4096], warp = [16, 32], mma = [1, 1, 4], mma_type = f16>,
      f = #lowbit_gpu.target<chip = "sm_80">,
      g = #lowbit_gpu.config<strategy = wgmma, block = [128, 192, 128], warp = [64, 192], mma = [64, 192, 32], mma_type = f8E4M3FN, stages = 5, persistent = true, stream_k = true>,
      h = #lowbit_gpu.config<strategy = wgmma, block = [16, 192, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = true, stream_k = true, claim_k = 4>,
      i = #lowbit_gpu.config<strategy = wgmma, block = [192, 128, 256], warp = [192, 64], mma = [64, 64, 32], mma_type = f8E4M3FN, stages = 3, persistent = true, stream_k = true, producer_registers = 24>} {
    return
  }
}
