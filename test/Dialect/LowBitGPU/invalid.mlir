// RUN: lowbit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown chip 'sm_70'; expected sm_80, sm_86, sm_89, sm_90 or sm_90a}}
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_70">} {}

// -----

// expected-error @+1 {{block tile must be [M, N, K] of positive sizes}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128], warp = [64, 64], mma = [16, 8, 16], mma_type = f16>}

// -----

// expected-error @+1 {{warp tile must be [M, N] of positive sizes}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 0], mma = [16, 8, 16], mma_type = f16>}

// -----

// expected-error @+1 {{mma shape must be [m, n, k] of positive sizes}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8], mma_type = f16>}

// -----

// expected-error @+1 {{warp tile [48, 64] does not divide block tile [128, 128]}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [48, 64], mma = [16, 8, 16], mma_type = f16>}

// -----

// expected-error @+1 {{mma shape [16, 8, 64] does not divide the warp and K tiles}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 64], mma_type = i4>}

// -----

// expected-error @+1 {{mma_type must be an integer or float type, got 'index'}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = index>}

// -----

// expected-error @+1 {{stages must be 1 to 8, got 0}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, stages = 0>}

// -----

// expected-error @+1 {{split_k must be positive, got 0}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 64, 256], warp = [16, 16], mma = [16, 8, 16], mma_type = f16, split_k = 0>}

// -----

// expected-error @+1 {{cluster must be [x, y] of positive sizes}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256], mma = [64, 256, 16], mma_type = bf16, cluster = [2]>}

// -----

// expected-error @+1 {{wgmma instructions have m = 64 (or, for 4-bit weights, a token tile of 8, 16 or 32), got 24}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [24, 256, 64], warp = [24, 256], mma = [24, 8, 16], mma_type = bf16>}

// -----

// expected-error @+1 {{persistent grids need the wgmma strategy}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 2, persistent = true>}

// -----

// expected-error @+1 {{thread-block clusters need the wgmma strategy}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, cluster = [2, 1]>}

// -----

// expected-error @+1 {{stream_k needs the wgmma strategy, a persistent grid and no cluster}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, stream_k = true>}

// -----

// expected-error @+1 {{stream_k needs the wgmma strategy, a persistent grid and no cluster}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4, cluster = [2, 1], persistent = true, stream_k = true>}

// -----

// expected-error @+1 {{stream_k needs the wgmma strategy, a persistent grid and no cluster}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, persistent = true, stream_k = true>}

// -----

// expected-error @+1 {{claim_k needs stream_k and a token tile of 8, 16 or 32 (mma = [T, 64, k])}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, claim_k = 4>}

// -----

// expected-error @+1 {{claim_k needs stream_k and a token tile of 8, 16 or 32 (mma = [T, 64, k])}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, stream_k = true, claim_k = 4>}

// -----

// expected-error @+1 {{claim_k must not be negative, got -1}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = [16, 64], mma = [16, 64, 32], mma_type = i8, stages = 6, persistent = true, stream_k = true, claim_k = -1>}

// -----

// setmaxnreg takes 24 to 256 registers in steps of 8.
// expected-error @+1 {{producer_registers needs the wgmma strategy and 24 to 256 registers, a multiple of 8, got 20}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, producer_registers = 20>}

// -----

// expected-error @+1 {{producer_registers needs the wgmma strategy and 24 to 256 registers, a multiple of 8, got 36}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true, producer_registers = 36>}

// -----

// expected-error @+1 {{producer_registers needs the wgmma strategy and 24 to 256 registers, a multiple of 8, got 24}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, stages = 4, producer_registers = 24>}

// -----

// expected-error @+2 {{expected ::mlir::lowbit::gpu::Strategy to be one of: mma_sync, wgmma, splitk_gemv, bitplane, lut}}
// expected-error @+1 {{failed to parse LowBitGPU_ConfigAttr parameter 'strategy'}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = tcgen05, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16>}

// -----

// expected-error @+1 {{cluster [1, 1] is the default; leave it out}}
func.func private @f() attributes {c = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256], mma = [64, 256, 16], mma_type = bf16, cluster = [1, 1]>}
