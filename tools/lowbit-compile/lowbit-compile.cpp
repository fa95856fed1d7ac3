//===- lowbit-compile.cpp - lowbit ops to PTX or a cubin and a manifest ---===//
//
//   lowbit-compile (FILE.mlir | --spec="matmul m=.. n=.. k=.. a=.. w=..")
//                  --arch=sm_90a -o OUT.ptx|OUT.cubin [--manifest=OUT.json]
//                  [--config=#lowbit_gpu.config<...>] [--timings]
//
// Runs the GPU kernel pipeline (config selection, kernel generation, NVVM,
// PTX) and writes the PTX of all kernels, or (for a .cubin output) their
// cubin from the CUDA toolkit's ptxas, plus a JSON manifest saying, per
// kernel, its entry name, grid, block, dynamic shared memory, config and
// parameters (role, shape, .npy dtype, code type, layout of the bytes, the
// function argument it is); with a cubin also ptxas's registers and spill
// bytes. A one-line spec (lowbit/JIT/Spec.h) stands for a `.mlir` file.
//
//===----------------------------------------------------------------------===//
#include "lowbit/InitAll.h"
#include "lowbit/JIT/Compiler.h"
#include "lowbit/JIT/Spec.h"
#include "lowbit/JIT/Tuner.h"
#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::cat(toolOptions), cl::desc("<file.mlir>"),
                                      cl::init(""));
static cl::opt<std::string> specText("spec", cl::cat(toolOptions),
                                     cl::desc("A one-line op spec instead of a file"),
                                     cl::init(""));
static cl::opt<std::string> arch("arch", cl::cat(toolOptions),
                                 cl::desc("sm_80, sm_86, sm_89, sm_90 or sm_90a"),
                                 cl::init("sm_90a"));
static cl::opt<std::string> outputFile("o", cl::cat(toolOptions),
                                       cl::desc("PTX (.ptx) or cubin (.cubin) output"),
                                       cl::Required);
static cl::opt<std::string> manifestFile("manifest", cl::cat(toolOptions),
                                         cl::desc("JSON launch manifest"), cl::init(""));
static cl::opt<std::string>
    configText("config", cl::cat(toolOptions),
               cl::desc("A #lowbit_gpu.config for every matmul instead of the default"),
               cl::init(""));
static cl::opt<bool>
    autotune("autotune", cl::cat(toolOptions),
             cl::desc("With --spec: the tuned config from the kernel cache, tuned now on GPU 0 "
                      "when missing (the default config without a GPU)"),
             cl::init(false));
static cl::opt<bool> timings("timings", cl::cat(toolOptions),
                             cl::desc("Print the time spent in MLIR, LLVM and ptxas"),
                             cl::init(false));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-compile: " << message << "\n";
  return 1;
}

/// `path` made absolute, without `.` and `..` parts.
static std::string absolutePath(const std::string &path) {
  llvm::SmallString<256> absolute(path);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  return absolute.str().str();
}

/// Writes the image to -o and, with --manifest, the manifest naming it.
static int writeOutputs(const std::string &image, size_t kernels, llvm::json::Object manifest) {
  if (llvm::Error e = mlir::lowbit::writeFileAtomically(
          outputFile, [&](llvm::raw_ostream &os) { os << image; }))
    return fail(llvm::toString(std::move(e)));
  llvm::outs() << "lowbit-compile: " << kernels << " kernel(s) for " << arch << " -> "
               << outputFile << "\n";
  if (manifestFile.empty())
    return 0;
  // Absolute: a path relative to this folder would name another file (or
  // none) wherever the manifest is read from.
  manifest["image"] = absolutePath(outputFile);
  if (llvm::Error e = mlir::lowbit::writeFileAtomically(manifestFile, [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
      }))
    return fail(llvm::toString(std::move(e)));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit GPU compiler\n");
  if (inputFile.empty() == specText.empty())
    return fail("give a .mlir file or --spec, one of them");
  // One regular file for both outputs: the manifest would replace the
  // image (/dev/null may take both).
  if (!manifestFile.empty() && absolutePath(manifestFile) == absolutePath(outputFile) &&
      (!llvm::sys::fs::exists(outputFile) || llvm::sys::fs::is_regular_file(outputFile)))
    return fail("-o and --manifest name the same file, " + outputFile);
  if (autotune) {
    if (specText.empty())
      return fail("--autotune takes --spec");
    if (!configText.empty())
      return fail("--autotune picks the config; drop --config");
    lowbit::jit::DriverOptions driverOptions;
    driverOptions.arch = arch;
    driverOptions.preferCubin = llvm::StringRef(outputFile).ends_with(".cubin");
    lowbit::jit::Driver driver(driverOptions);
    lowbit::jit::TuneReport report;
    auto kernel = lowbit::jit::getOrTune(driver, specText, &report);
    if (!kernel)
      return fail(llvm::toString(kernel.takeError()));
    // The driver falls back to PTX where it has no ptxas: not what a
    // .cubin output asks for.
    if (driverOptions.preferCubin && !(*kernel)->cubin) {
      for (const std::string &note : driver.notes())
        llvm::errs() << "lowbit-compile: " << note << "\n";
      return fail("no cubin for " + outputFile +
                  ": the CUDA toolkit's ptxas was not found "
                  "(set LOWBIT_PTXAS, or write PTX to a .ptx file)");
    }
    if (!report.note.empty())
      llvm::errs() << "lowbit-compile: " << report.note << "\n";
    else if (report.tuned)
      llvm::outs() << llvm::format("lowbit-compile: tuned %d candidates: %.1f us (default "
                                   "%.1f us)\n",
                                   report.candidates, report.bestMicroseconds,
                                   report.defaultMicroseconds);
    return writeOutputs((*kernel)->image, 1, (*kernel)->manifest);
  }

  DialectRegistry registry;
  lowbit::registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the op and say what is wrong; a dump of the generated
  // kernel module would bury that.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (!specText.empty()) {
    auto spec = lowbit::jit::parseSpec(specText);
    if (!spec)
      return fail(llvm::toString(spec.takeError()));
    if (llvm::Error error = spec->checkArch(arch))
      return fail(llvm::toString(std::move(error)));
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(spec->toMLIR(), spec->str()), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  } else {
    auto source = lowbit::readIRFile(inputFile);
    if (!source)
      return fail(llvm::toString(source.takeError()));
    sourceMgr.AddNewSourceBuffer(std::move(*source), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return 1;

  lowbit::jit::CompileOptions options;
  options.arch = arch;
  options.cubin = llvm::StringRef(outputFile).ends_with(".cubin");
  options.config = configText;
  auto compiled = lowbit::jit::compileModule(*module, options);
  if (!compiled)
    return fail(llvm::toString(compiled.takeError()));
  if (int status = writeOutputs(options.cubin ? compiled->cubin : compiled->ptx,
                                compiled->kernels.size(), compiled->manifest(outputFile)))
    return status;
  if (timings)
    llvm::outs() << llvm::format("lowbit-compile: MLIR %.1f ms, LLVM %.1f ms, ptxas %.1f ms\n",
                                 compiled->mlirSeconds * 1e3, compiled->llvmSeconds * 1e3,
                                 compiled->ptxasSeconds * 1e3);
  return 0;
}
