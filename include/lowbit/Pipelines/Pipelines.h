//===- Pipelines.h - lowbit pass pipelines --------------------------------===//
//
// Pipelines are functions over an OpPassManager, so that lowbit-opt (as a
// registered pipeline), lowbit-run and later the C API and the JIT build the
// same thing.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_PIPELINES_PIPELINES_H
#define LOWBIT_PIPELINES_PIPELINES_H

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
class Operation;
} // namespace mlir

namespace mlir::lowbit {

/// lowbit ops -> linalg reference semantics -> bufferized loops -> LLVM
/// dialect, ready for MLIR's ExecutionEngine on the CPU. Public functions get
/// a C interface (`_mlir_ciface_<name>`).
void buildReferencePipeline(OpPassManager &pm);

/// The GPU target of a compilation.
struct GPUTarget {
  std::string chip = "sm_90a";
  std::string features = "+ptx80";
};

/// The PTX ISA feature `module`'s kernels need: PTX 8.4 (CUDA 12.4) where an
/// FP8 product runs on `mma.sync`, PTX 8.1 (CUDA 12.1) where a config given
/// before the pipeline claims K ranges (`claim_k`: `red.v4.f32`; the
/// selector never picks it), else PTX 8.0 (CUDA 12.0).
std::string requiredPtxFeatures(Operation *module);

/// lowbit ops -> kernel configs for `target` -> kernels in
/// `gpu.module @lowbit_kernels` -> NVVM -> PTX, held by a `gpu.binary`: the
/// two halves below.
void buildGPUKernelPipeline(OpPassManager &pm, const GPUTarget &target);
/// The MLIR half: configs, kernel generation, NVVM (LLVM dialect).
void buildGPUKernelLoweringPipeline(OpPassManager &pm, const GPUTarget &target);
/// The LLVM half: NVPTX code generation into a `gpu.binary` of PTX.
void buildGPUBinaryPipeline(OpPassManager &pm);

/// Registers `lowbit-reference-pipeline` with the pass registry.
void registerPipelines();

/// The external models (bufferization, LLVM IR translation) the reference
/// pipeline and its execution need.
void registerReferenceExtensions(DialectRegistry &registry);

/// The dialects and external models the GPU kernel pipeline needs (GPU,
/// NVVM, their LLVM conversions and the NVVM target).
void registerGPUExtensions(DialectRegistry &registry);

} // namespace mlir::lowbit

#endif // LOWBIT_PIPELINES_PIPELINES_H
