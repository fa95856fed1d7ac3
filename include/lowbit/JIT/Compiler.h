//===- Compiler.h - lowbit ops to a loadable kernel image ------------------===//
//
// What lowbit-compile, the JIT driver and the C API share: a module with
// `lowbit.matmul` ops in, PTX (and, with the CUDA toolkit's ptxas, a cubin)
// plus the launch manifest out, with the time each stage took.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_JIT_COMPILER_H
#define LOWBIT_JIT_COMPILER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace mlir::lowbit::jit {

struct CompileOptions {
  std::string arch = "sm_90a";
  /// Also assemble a cubin with ptxas (an error when there is none).
  bool cubin = false;
  /// A `#lowbit_gpu.config` to put on every matmul instead of the default
  /// (the tuner's candidates); empty for the default.
  std::string config;
};

struct CompiledModule {
  std::string arch, ptx, cubin; // cubin empty unless asked for
  /// Manifest entries, one per kernel (name, grid, block, shared memory,
  /// parameters, and with a cubin ptxas's registers and spill bytes).
  llvm::json::Array kernels;
  int64_t registers = -1, spillBytes = -1;
  /// Seconds in MLIR passes, LLVM NVPTX code generation, and ptxas.
  double mlirSeconds = 0, llvmSeconds = 0, ptxasSeconds = 0;

  /// The manifest lowbit-compile writes, naming `imagePath` as the image.
  llvm::json::Object manifest(const std::string &imagePath) const;
};

/// Compiles `module` in place (it ends up holding the gpu.binary).
/// Diagnostics go to the context's handlers; the error says which stage
/// failed.
llvm::Expected<CompiledModule> compileModule(ModuleOp module,
                                             const CompileOptions &options);

/// Parses and compiles `source` in a fresh context of its own (so that
/// threads can compile in parallel); diagnostics become the error's text.
llvm::Expected<CompiledModule> compileSource(const std::string &source,
                                             const CompileOptions &options);

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_COMPILER_H
