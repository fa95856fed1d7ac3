// RUN: lowbit-opt %s -split-input-file --lowbit-select-kernel-config -verify-diagnostics | FileCheck %s
// RUN: not lowbit-opt %s -split-input-file --lowbit-select-kernel-config=target=sm_75 2>&1 | FileCheck %s --check-prefix=BADCHIP

// Where the target comes from: the module's lowbit_gpu.target, else an error.
// BADCHIP: unknown chip 'sm_75'; expected sm_80, sm_86, sm_89, sm_90 or sm_90a

// CHECK-LABEL: func @from_module_attribute
// CHECK: strategy = mma_sync, block = [128, 128, 32], warp = [64, 64], mma = [16, 8, 16], mma_type = f16, stages = 4
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90a", features = "+ptx80">} {
  func.func @from_module_attribute(%x: tensor<256x256xf16>, %w: tensor<256x256xi4>, %s: tensor<256x2xf16>) -> tensor<256x256xf16> {
    %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<256x256xf16>, tensor<256x256xi4>, tensor<256x2xf16>) -> tensor<256x256xf16>
    return %y : tensor<256x256xf16>
  }
}

// -----

// CHECK-LABEL: func @sm86_module
// CHECK: strategy = mma_sync
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_86">} {
  func.func @sm86_module(%x: tensor<256x256xf16>, %w: tensor<256x256xi4>, %s: tensor<256x2xf16>) -> tensor<256x256xf16> {
    %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 128> weight_scales(%s) : (tensor<256x256xf16>, tensor<256x256xi4>, tensor<256x2xf16>) -> tensor<256x256xf16>
    return %y : tensor<256x256xf16>
  }
}

// -----

// expected-error @+1 {{no target: pass target=sm_XX to lowbit-select-kernel-config or set a #lowbit_gpu.target as the module's lowbit_gpu.target attribute}}
module {
  func.func @no_target() {
    return
  }
}

// -----

// An empty product has no kernel.
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_80">} {
  func.func @empty_n(%x: tensor<1x16xf16>, %w: tensor<0x16xi4, #lowbit.layout<packed>>, %s: tensor<1x1xf16>) -> tensor<1x0xf16> {
    // expected-error @+1 {{operand #1 is empty (dimension 0 of 'tensor<0x16xi4, #lowbit.layout<packed>>' is 0): GPU kernels need non-empty operands}}
    %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i4, granularity = per_tensor> weight_scales(%s) : (tensor<1x16xf16>, tensor<0x16xi4, #lowbit.layout<packed>>, tensor<1x1xf16>) -> tensor<1x0xf16>
    return %y : tensor<1x0xf16>
  }
}

// -----

// Nor an empty table lookup (K = 0: its K tile would be 0).
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_80">} {
  func.func @empty_lut(%t: tensor<1x0x8xf16>, %idx: tensor<2x8x0xi4>, %s: tensor<8x0xf16>) -> tensor<1x8xf16> {
    // expected-error @+1 {{operand #0 is empty (dimension 1 of 'tensor<1x0x8xf16>' is 0): GPU kernels need non-empty operands}}
    %y = lowbit.lut_matmul %t, %idx weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group, axis = 1, group_size = 32> scales(%s) {group_size = 4, symmetric}
        : (tensor<1x0x8xf16>, tensor<2x8x0xi4>, tensor<8x0xf16>) -> tensor<1x8xf16>
    return %y : tensor<1x8xf16>
  }
}
