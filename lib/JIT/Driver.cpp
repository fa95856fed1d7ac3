//===- Driver.cpp - kernels by spec, compiled once and cached --------------===//
#include "lowbit/JIT/Driver.h"

#include "lowbit/JIT/Spec.h"
#include "lowbit/Support/Ptxas.h"

using namespace mlir::lowbit::jit;

Driver::Driver(DriverOptions options) : opts(std::move(options)), cache(opts.cacheDir) {
  if (opts.preferCubin && !findPtxas()) {
    opts.preferCubin = false;
    note("no ptxas: kernels are kept as PTX (the CUDA driver compiles them when "
         "they are loaded)");
  }
}

void Driver::note(std::string text) {
  std::lock_guard<std::mutex> lock(mutex);
  noted.push_back(std::move(text));
}

std::vector<std::string> Driver::notes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return noted;
}

llvm::Expected<std::shared_ptr<const Kernel>> Driver::get(const std::string &specText,
                                                          const std::string &config) {
  llvm::Expected<MatmulSpec> spec = parseSpec(specText);
  if (!spec)
    return spec.takeError();
  std::string canonical = spec->str();
  std::string source = spec->toMLIR();
  // The PTX features depend on the module; the key takes the chip and the
  // image kind, and the canonical spec fixes the rest.
  CacheKey parts{canonical, opts.arch, opts.preferCubin ? "cubin" : "ptx", config};
  std::string key = parts.hash();
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = memory.find(key);
    if (it != memory.end()) {
      auto hit = std::make_shared<Kernel>(*it->second);
      hit->source = Kernel::Source::Memory;
      return std::shared_ptr<const Kernel>(std::move(hit));
    }
  }
  auto kernel = std::make_shared<Kernel>();
  std::string problem;
  std::optional<CacheEntry> entry;
  if (opts.diskCache)
    entry = cache.lookup(key, &problem);
  if (!problem.empty())
    note(problem);
  if (entry) {
    kernel->key = key;
    kernel->spec = entry->spec;
    kernel->arch = entry->arch;
    kernel->manifest = std::move(entry->manifest);
    kernel->image = std::move(entry->image);
    kernel->cubin = entry->cubin;
    kernel->source = Kernel::Source::Disk;
  } else {
    CompileOptions options;
    options.arch = opts.arch;
    options.cubin = opts.preferCubin;
    options.config = config;
    llvm::Expected<CompiledModule> compiled = compileSource(source, options);
    if (!compiled)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     canonical + ": " + llvm::toString(compiled.takeError()));
    kernel->key = key;
    kernel->spec = canonical;
    kernel->arch = opts.arch;
    kernel->manifest = compiled->manifest("");
    kernel->manifest.erase("image");
    kernel->cubin = opts.preferCubin;
    kernel->image = kernel->cubin ? std::move(compiled->cubin) : std::move(compiled->ptx);
    kernel->source = Kernel::Source::Compiled;
    kernel->mlirSeconds = compiled->mlirSeconds;
    kernel->llvmSeconds = compiled->llvmSeconds;
    kernel->ptxasSeconds = compiled->ptxasSeconds;
    if (opts.diskCache) {
      CacheEntry stored{key, kernel->spec, kernel->arch, kernel->manifest, kernel->image,
                        kernel->cubin};
      if (llvm::Error e = cache.store(stored))
        note("kernel not cached: " + llvm::toString(std::move(e)));
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, inserted] = memory.emplace(key, kernel);
  return std::shared_ptr<const Kernel>(inserted ? kernel : it->second);
}
