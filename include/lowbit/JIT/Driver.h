//===- Driver.h - kernels by spec, compiled once and cached ----------------===//
//
// spec -> canonical spec -> key -> memory cache -> disk cache -> compile.
// Without ptxas the driver keeps PTX (the CUDA driver JIT-compiles it at
// load time) and says so in its notes; a cache that cannot be written is a
// note too, never a failed compile.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_JIT_DRIVER_H
#define LOWBIT_JIT_DRIVER_H

#include "lowbit/JIT/Cache.h"
#include "lowbit/JIT/Compiler.h"

#include <map>
#include <memory>
#include <mutex>

namespace mlir::lowbit::jit {

struct Kernel {
  enum class Source { Memory, Disk, Compiled };
  std::string key, spec, arch;
  llvm::json::Object manifest; // as lowbit-compile writes it, "image" unset
  std::string image;           // PTX text or cubin bytes
  bool cubin = false;
  Source source = Source::Compiled;
  /// Where it came from this time, and for a compile its stage times.
  double mlirSeconds = 0, llvmSeconds = 0, ptxasSeconds = 0;
};

struct DriverOptions {
  std::string arch = "sm_90a";
  std::string cacheDir = defaultCacheDir();
  /// Cubins through ptxas when there is one; PTX otherwise.
  bool preferCubin = true;
  /// Off: nothing is read from or written to disk.
  bool diskCache = true;
};

class Driver {
public:
  explicit Driver(DriverOptions options);

  /// The kernel for `spec` (see Spec.h) with the default config, or with
  /// `config` (a #lowbit_gpu.config) when given.
  llvm::Expected<std::shared_ptr<const Kernel>> get(const std::string &spec,
                                                    const std::string &config = "");
  /// What the driver noticed and worked around (damaged cache entries,
  /// cache writes that failed, no ptxas), oldest first.
  std::vector<std::string> notes() const;
  const DriverOptions &options() const { return opts; }

private:
  DriverOptions opts;
  KernelCache cache;
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<const Kernel>> memory;
  std::vector<std::string> noted;
  void note(std::string text);
};

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_DRIVER_H
