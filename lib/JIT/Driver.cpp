//===- Driver.cpp - kernels by spec, compiled once and cached --------------===//
#include "lowbit/JIT/Driver.h"

#include "Support.h"

#include "lowbit/JIT/Spec.h"
#include "lowbit/Support/Ptxas.h"

#include "llvm/Support/FormatVariadic.h"

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

llvm::Expected<std::pair<std::string, std::string>>
Driver::keyOf(const std::string &specText, const std::string &config) const {
  llvm::Expected<MatmulSpec> spec = parseSpec(specText);
  if (!spec)
    return spec.takeError();
  if (llvm::Error error = spec->checkArch(opts.arch))
    return std::move(error);
  // The canonical spec fixes the module (and so its PTX features); the key
  // adds the chip, the image kind and the config.
  std::string canonical = spec->str();
  CacheKey parts{canonical, opts.arch, opts.preferCubin ? "cubin" : "ptx", config};
  return std::make_pair(canonical, parts.hash());
}

void Kernel::setManifest(llvm::json::Object object) {
  manifest = std::move(object);
  manifestText = llvm::formatv("{0}", llvm::json::Value(llvm::json::Object(manifest))).str();
}

Kernel Kernel::fromCompiled(CompiledModule compiled, std::string arch) {
  Kernel kernel;
  kernel.arch = std::move(arch);
  llvm::json::Object manifest = compiled.manifest("");
  manifest.erase("image");
  kernel.setManifest(std::move(manifest));
  kernel.cubin = !compiled.cubin.empty();
  kernel.image = kernel.cubin ? std::move(compiled.cubin) : std::move(compiled.ptx);
  kernel.source = Source::Compiled;
  kernel.mlirSeconds = compiled.mlirSeconds;
  kernel.llvmSeconds = compiled.llvmSeconds;
  kernel.ptxasSeconds = compiled.ptxasSeconds;
  return kernel;
}

static std::string requestOf(const std::string &spec, const std::string &config) {
  return spec + '\0' + config;
}

std::shared_ptr<const Kernel> Driver::cacheInMemory(const std::string &request,
                                                    std::shared_ptr<const Kernel> kernel) {
  auto hit = std::make_shared<Kernel>(*kernel);
  hit->source = Kernel::Source::Memory;
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, inserted] = memory.emplace(kernel->key, Cached{kernel, hit});
  if (!inserted && it->second.kernel != kernel)
    it->second = Cached{kernel, hit};
  requests[request] = it->second;
  return it->second.kernel;
}

std::shared_ptr<const Kernel> Driver::find(const std::string &specText,
                                           const std::string &config) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = requests.find(requestOf(specText, config));
    if (it != requests.end())
      return it->second.asHit;
  }
  auto key = keyOf(specText, config);
  if (!key) {
    llvm::consumeError(key.takeError());
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = memory.find(key->second);
    if (it != memory.end()) {
      requests[requestOf(specText, config)] = it->second;
      return it->second.asHit;
    }
  }
  if (!opts.diskCache)
    return nullptr;
  std::string problem;
  std::optional<CacheEntry> entry = cache.lookup(key->second, &problem);
  if (!problem.empty())
    note(problem);
  if (!entry)
    return nullptr;
  auto kernel = std::make_shared<Kernel>();
  kernel->key = key->second;
  kernel->spec = entry->spec;
  kernel->arch = entry->arch;
  kernel->setManifest(std::move(entry->manifest));
  kernel->image = std::move(entry->image);
  kernel->cubin = entry->cubin;
  kernel->source = Kernel::Source::Disk;
  return cacheInMemory(requestOf(specText, config), kernel);
}

std::shared_ptr<const Kernel> Driver::remember(const std::string &specText,
                                               const std::string &config, Kernel kernel) {
  auto key = keyOf(specText, config);
  if (!key) {
    llvm::consumeError(key.takeError());
    return nullptr;
  }
  kernel.key = key->second;
  kernel.spec = key->first;
  auto shared = std::make_shared<Kernel>(std::move(kernel));
  if (opts.diskCache) {
    CacheEntry stored{shared->key, shared->spec, shared->arch, shared->manifest,
                      shared->image, shared->cubin};
    if (llvm::Error e = cache.store(stored))
      note("kernel not cached: " + llvm::toString(std::move(e)));
  }
  return cacheInMemory(requestOf(specText, config), shared);
}

llvm::Expected<std::shared_ptr<const Kernel>> Driver::get(const std::string &specText,
                                                          const std::string &config) {
  auto key = keyOf(specText, config);
  if (!key)
    return key.takeError();
  if (std::shared_ptr<const Kernel> cached = find(specText, config))
    return cached;
  // The tuner's name is not a config to compile.
  if (config == kTunedConfig)
    return jitError(key->first + ": no tuned kernel is cached for it (config '" + config +
                    "' names the tuner's cached choice; config 'tune' tunes the shape, as "
                    "lowbit-tune does)");
  CompileOptions options;
  options.arch = opts.arch;
  options.cubin = opts.preferCubin;
  options.config = config;
  llvm::Expected<CompiledModule> compiled =
      compileSource(parseSpec(specText)->toMLIR(), options);
  if (!compiled)
    return jitError(key->first + ": " + llvm::toString(compiled.takeError()));
  return remember(specText, config, Kernel::fromCompiled(std::move(*compiled), opts.arch));
}
