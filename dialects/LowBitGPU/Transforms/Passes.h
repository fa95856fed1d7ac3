//===- Passes.h - lowbit_gpu passes ---------------------------------------===//
#ifndef LOWBITGPU_TRANSFORMS_PASSES_H
#define LOWBITGPU_TRANSFORMS_PASSES_H

#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lowbit::gpu {

#define GEN_PASS_DECL
#include "LowBitGPU/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "LowBitGPU/Transforms/Passes.h.inc"

} // namespace mlir::lowbit::gpu

#endif // LOWBITGPU_TRANSFORMS_PASSES_H
