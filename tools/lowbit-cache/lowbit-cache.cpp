//===- lowbit-cache.cpp - look after the kernel cache ---------------------===//
//
//   lowbit-cache list | clear | prune [--max-size=BYTES] [--dir=DIR]
//                | get --spec="matmul ..." [--arch=sm_90a]
//
// The folder is $LOWBIT_CACHE_DIR, else $XDG_CACHE_HOME/lowbit, else
// ~/.cache/lowbit (lowbit/JIT/Cache.h). `get` goes through the JIT driver:
// it says whether the kernel came from the cache or was compiled, and how
// long that took.
//
//===----------------------------------------------------------------------===//
#include "lowbit/JIT/Cache.h"
#include "lowbit/JIT/Driver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir::lowbit::jit;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-cache options");
static cl::opt<std::string> command(cl::Positional, cl::cat(toolOptions),
                                    cl::desc("list | clear | prune | get"), cl::Required);
static cl::opt<std::string> dir("dir", cl::cat(toolOptions), cl::desc("Cache folder"),
                                cl::init(""));
static cl::opt<uint64_t> maxSize("max-size", cl::cat(toolOptions),
                                 cl::desc("prune: keep at most this many bytes"),
                                 cl::init(uint64_t(1) << 30));
static cl::opt<std::string> spec("spec", cl::cat(toolOptions), cl::desc("get: the op spec"),
                                 cl::init(""));
static cl::opt<std::string> arch("arch", cl::cat(toolOptions), cl::desc("get: target chip"),
                                 cl::init("sm_90a"));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-cache: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit kernel cache\n");
  std::string folder = dir.empty() ? defaultCacheDir() : dir.getValue();
  if (folder.empty())
    return fail("no cache folder: give --dir, or set LOWBIT_CACHE_DIR or HOME");
  KernelCache cache(folder);
  if (command == "list") {
    auto listing = cache.list();
    if (!listing)
      return fail(llvm::toString(listing.takeError()));
    uint64_t total = 0;
    for (const CacheListing &item : *listing) {
      total += item.bytes;
      llvm::outs() << item.key.substr(0, 16) << "  " << llvm::format("%8llu", item.bytes)
                   << "  " << (item.valid ? item.arch + "  " + item.spec
                                          : std::string("damaged (prune removes it)"))
                   << "\n";
    }
    llvm::outs() << listing->size() << " kernel(s), " << total << " bytes in " << folder
                 << "\n";
    return 0;
  }
  if (command == "clear" || command == "prune") {
    auto removed = command == "clear" ? cache.clear() : cache.prune(maxSize);
    if (!removed)
      return fail(llvm::toString(removed.takeError()));
    llvm::outs() << "removed " << *removed << " file(s) from " << folder << "\n";
    return 0;
  }
  if (command == "get") {
    DriverOptions options;
    options.arch = arch;
    options.cacheDir = folder;
    Driver driver(options);
    auto start = std::chrono::steady_clock::now();
    auto kernel = driver.get(spec);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    for (const std::string &note : driver.notes())
      llvm::errs() << "lowbit-cache: note: " << note << "\n";
    if (!kernel)
      return fail(llvm::toString(kernel.takeError()));
    const char *source = (*kernel)->source == Kernel::Source::Disk ? "disk cache" : "compiled";
    llvm::outs() << (*kernel)->spec << ": " << source << ", "
                 << ((*kernel)->cubin ? "cubin" : "PTX") << " of "
                 << (*kernel)->image.size() << " bytes, " << llvm::format("%.2f ms", ms);
    if ((*kernel)->source == Kernel::Source::Compiled)
      llvm::outs() << llvm::format(" (MLIR %.1f, LLVM %.1f, ptxas %.1f ms)",
                                   (*kernel)->mlirSeconds * 1e3, (*kernel)->llvmSeconds * 1e3,
                                   (*kernel)->ptxasSeconds * 1e3);
    llvm::outs() << "\n";
    return 0;
  }
  return fail("unknown command '" + command + "' (list, clear, prune or get)");
}
