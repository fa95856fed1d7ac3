//===- Passes.h - lowbit conversion passes --------------------------------===//
#ifndef LOWBIT_CONVERSION_PASSES_H
#define LOWBIT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith {
class ArithDialect;
} // namespace arith
namespace gpu {
class GPUDialect;
} // namespace gpu
namespace memref {
class MemRefDialect;
} // namespace memref
namespace scf {
class SCFDialect;
} // namespace scf
namespace vector {
class VectorDialect;
} // namespace vector
namespace linalg {
class LinalgDialect;
} // namespace linalg
namespace math {
class MathDialect;
} // namespace math
namespace tensor {
class TensorDialect;
} // namespace tensor
namespace nvgpu {
class NVGPUDialect;
} // namespace nvgpu
namespace NVVM {
class NVVMDialect;
} // namespace NVVM
namespace LLVM {
class LLVMDialect;
} // namespace LLVM
namespace ub {
class UBDialect;
} // namespace ub
} // namespace mlir

namespace mlir::lowbit {

#define GEN_PASS_DECL
#include "lowbit/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lowbit/Conversion/Passes.h.inc"

} // namespace mlir::lowbit

#endif // LOWBIT_CONVERSION_PASSES_H
