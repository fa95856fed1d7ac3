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
#include <unordered_map>
#include <memory>
#include <mutex>

namespace mlir::lowbit::jit {

struct Kernel {
  enum class Source { Memory, Disk, Compiled };
  std::string key, spec, arch;
  llvm::json::Object manifest; // as lowbit-compile writes it, "image" unset
  std::string image;           // PTX text or cubin bytes
  std::string manifestText;    // `manifest` as JSON text
  bool cubin = false;
  Source source = Source::Compiled;
  /// Where it came from this time, and for a compile its stage times.
  double mlirSeconds = 0, llvmSeconds = 0, ptxasSeconds = 0;

  /// Sets `manifest` and `manifestText` together.
  void setManifest(llvm::json::Object object);
  /// A kernel just compiled for `arch`: the module's cubin when it has one,
  /// else its PTX, its manifest and its stage times.
  static Kernel fromCompiled(CompiledModule compiled, std::string arch);
};

struct DriverOptions {
  std::string arch = "sm_90a";
  std::string cacheDir = defaultCacheDir();
  /// Cubins through ptxas when there is one; PTX otherwise.
  bool preferCubin = true;
  /// Off: nothing is read from or written to disk.
  bool diskCache = true;
};

/// The config name the tuner caches its choice under (Tuner.h): `get` with
/// it returns the tuned kernel, or an error saying none is cached.
inline constexpr const char *kTunedConfig = "tuned";

class Driver {
public:
  explicit Driver(DriverOptions options);

  /// The kernel for `spec` (see Spec.h) with the default config, or with
  /// `config` (a #lowbit_gpu.config, or kTunedConfig) when given.
  llvm::Expected<std::shared_ptr<const Kernel>> get(const std::string &spec,
                                                    const std::string &config = "");
  /// The cached kernel (memory, then disk) for `spec` under `config` (a
  /// config, or a label such as "tuned"), without compiling.
  std::shared_ptr<const Kernel> find(const std::string &spec, const std::string &config);
  /// Caches `kernel` for `spec` under `config` (memory and disk).
  std::shared_ptr<const Kernel> remember(const std::string &spec, const std::string &config,
                                         Kernel kernel);

  /// What the driver noticed and worked around (damaged cache entries,
  /// cache writes that failed, no ptxas), oldest first.
  std::vector<std::string> notes() const;
  const DriverOptions &options() const { return opts; }

private:
  DriverOptions opts;
  KernelCache cache;
  mutable std::mutex mutex;
  /// By cache key: the kernel as first obtained, and the same kernel marked
  /// as a memory hit (made once, so hits copy nothing).
  struct Cached {
    std::shared_ptr<const Kernel> kernel, asHit;
  };
  std::map<std::string, Cached> memory;
  /// By request text (spec and config as given): hits skip parsing and
  /// hashing.
  std::unordered_map<std::string, Cached> requests;
  std::shared_ptr<const Kernel> cacheInMemory(const std::string &request,
                                              std::shared_ptr<const Kernel> kernel);
  std::vector<std::string> noted;
public:
  void note(std::string text);

private:
  /// Canonical spec and cache key, or the spec's error.
  llvm::Expected<std::pair<std::string, std::string>> keyOf(const std::string &spec,
                                                            const std::string &config) const;
};

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_DRIVER_H
