//===- lowbit-gpu-run.cpp - run compiled kernels on the GPU ---------------===//
//
//   lowbit-gpu-run MANIFEST.json (--input=A.npy ... | --input-dir=DIR)
//                  --output=Y.npy [--expect=REF.npy --rtol=R --atol=A
//                  --max-rel-l2=E] [--device=0]
//
// Loads the PTX a `lowbit-compile --manifest` run wrote, packs the inputs
// into the layouts the kernel reads (logical codes in, one per byte, as
// lowbit-run takes them), launches the kernel through the CUDA driver and
// writes the result; with --expect it compares it with a reference (e.g.
// lowbit-run's output) and exits 1 when any element is outside tolerance
// or, with --max-rel-l2, when the relative L2 error exceeds E (for products
// whose tensor cores accumulate with fewer bits than f32, FP8 wgmma).
// Needs no LLVM/MLIR at run time: this is what runs on the GPU machine.
// Timing is lowbit-bench's job.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/KernelManifest.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::lowbit;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-gpu-run options");
static cl::opt<std::string> manifestFile(cl::Positional, cl::cat(toolOptions),
                                         cl::desc("<manifest.json>"), cl::Required);
static cl::opt<std::string> kernelName("kernel", cl::cat(toolOptions),
                                       cl::desc("Kernel (default: the only one)"), cl::init(""));
static cl::list<std::string> inputs("input", cl::cat(toolOptions),
                                    cl::desc("Operands in parameter order (.npy)"));
static cl::opt<std::string>
    inputDir("input-dir", cl::cat(toolOptions),
             cl::desc("Folder of argN.npy files (lowbit-run --save-inputs): each "
                      "parameter takes the function argument the manifest names"),
             cl::init(""));
static cl::opt<std::string> outputFile("output", cl::cat(toolOptions), cl::desc("Result (.npy)"),
                                       cl::init(""));
static cl::opt<std::string> expectFile("expect", cl::cat(toolOptions),
                                       cl::desc("Reference result (.npy)"), cl::init(""));
static cl::opt<unsigned> launches(
    "launches", cl::cat(toolOptions),
    cl::desc("Launch the kernel this many times, each on a fresh result, and check the last "
             "(kernels that leave state in their module for the next launch)"),
    cl::init(1));
static cl::opt<int> deviceOrdinal("device", cl::cat(toolOptions),
                                  cl::desc("CUDA device to run on (ordinal)"), cl::init(0));
static cl::opt<double> relTolerance("rtol", cl::cat(toolOptions),
                                    cl::desc("Relative tolerance of --expect"), cl::init(1e-3));
static cl::opt<double> absTolerance("atol", cl::cat(toolOptions),
                                    cl::desc("Absolute tolerance of --expect"), cl::init(1e-3));
static cl::opt<double> maxRelativeL2("max-rel-l2", cl::cat(toolOptions),
                                     cl::desc("Also fail when ||y - ref|| / ||ref|| exceeds this"),
                                     cl::init(-1.0));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-gpu-run: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit GPU kernel runner\n");
  if (llvm::Error error = mlir::lowbit::checkTolerances(relTolerance, absTolerance, maxRelativeL2))
    return fail(llvm::toString(std::move(error)));
  if (launches < 1)
    return fail("--launches must be at least 1");
  if (deviceOrdinal < 0)
    return fail("--device must be a device ordinal (0 or more), not " +
                llvm::Twine(deviceOrdinal.getValue()));

  auto manifest = runtime::KernelManifest::load(manifestFile, kernelName);
  if (!manifest)
    return fail(llvm::toString(manifest.takeError()));
  const std::vector<runtime::KernelParam> &params = manifest->params;
  if (!inputDir.empty()) {
    if (!inputs.empty())
      return fail("give --input or --input-dir, not both");
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      if (params[i].funcArg < 0)
        return fail("the manifest does not say which function argument the "
                    "kernel's " + params[i].role + " is; pass --input");
      inputs.push_back(inputDir + "/arg" + std::to_string(params[i].funcArg) + ".npy");
    }
  }
  if (inputs.size() != params.size() - 1)
    return fail("kernel " + manifest->name + " takes " +
                llvm::Twine(params.size() - 1) + " inputs, got " +
                llvm::Twine(inputs.size()));
  auto ptx = llvm::MemoryBuffer::getFile(manifest->imagePath);
  if (!ptx)
    return fail(manifest->imagePath + ": cannot read: " + ptx.getError().message());

  // Read and pack every operand before touching the GPU, so that bad input
  // is reported the same way on any machine.
  std::vector<std::vector<uint8_t>> operands;
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    auto array = readNpy(inputs[i]);
    if (!array)
      return fail(llvm::toString(array.takeError()));
    const runtime::KernelParam &p = params[i];
    bool rawOk = p.dtype == "u1" && (array->dtype == "i1" || array->dtype == "V1");
    if ((array->dtype != p.dtype && !rawOk) || array->shape != p.shape)
      return fail(inputs[i] + ": the kernel's " + p.role + " needs dtype '" +
                  p.dtype + "' and the manifest's shape");
    // Codes narrower than a byte, one per byte: each must be a code of that
    // width (or an int8 one sign-extended from it), as lowbit-run takes
    // them. Other bits would reach the kernel (bytes) or be dropped
    // silently (packed): a wrong result that compares as the reference's.
    if (p.bits > 0 && p.bits < 8 && p.layout != "bits" && array->elementSize() == 1)
      for (size_t e = 0; e < array->data.size(); ++e) {
        uint8_t byte = array->data[e];
        if (!isCodeByte(byte, unsigned(p.bits)))
          return fail(inputs[i] + ": element " + llvm::Twine(e) + " is " +
                      llvm::Twine(unsigned(byte)) + ", not a " + llvm::Twine(p.bits) +
                      "-bit code of the kernel's " + p.role);
      }
    auto bytes = runtime::deviceBytes(p, *array);
    if (!bytes)
      return fail(llvm::toString(bytes.takeError()));
    operands.push_back(std::move(*bytes));
  }

  auto device = runtime::CudaDevice::open(deviceOrdinal);
  if (!device)
    return fail(llvm::toString(device.takeError()));
  llvm::outs() << "device: " << (*device)->name() << " (sm_"
               << (*device)->computeCapability() << ")\n";
  auto module = (*device)->loadModule((*ptx)->getBuffer().str());
  if (!module)
    return fail(llvm::toString(module.takeError()));
  auto result = runtime::runKernel(**device, *module, *manifest, operands, launches);
  if (!result)
    return fail(llvm::toString(result.takeError()));
  const int64_t *grid = manifest->launch.grid, *block = manifest->launch.block;
  llvm::outs() << "ran " << manifest->name
               << (launches > 1 ? " " + std::to_string(launches) + " times," : "") << " grid ["
               << grid[0] << ", " << grid[1] << ", " << grid[2] << "] block [" << block[0] << ", "
               << block[1] << ", " << block[2] << "]\n";
  if (!outputFile.empty())
    if (llvm::Error e = writeNpy(outputFile, *result))
      return fail(llvm::toString(std::move(e)));

  if (expectFile.empty())
    return 0;
  auto expected = readNpy(expectFile);
  if (!expected)
    return fail(llvm::toString(expected.takeError()));
  if (expected->shape != result->shape)
    return fail(expectFile + ": shape differs from the result");
  auto a = numericValues(*result);
  if (!a)
    return fail(llvm::toString(a.takeError()));
  auto b = numericValues(*expected);
  if (!b)
    return fail(llvm::toString(b.takeError()));
  Comparison c = compareValues(*a, *b, relTolerance, absTolerance);
  llvm::outs() << "compare: " << c.summary(relTolerance, absTolerance) << "\n";
  if (c.outside == 0 && !c.passes(maxRelativeL2))
    llvm::outs() << "compare: relative L2 error " << c.relativeL2 << " exceeds "
                 << maxRelativeL2.getValue() << "\n";
  return c.passes(maxRelativeL2) ? 0 : 1;
}
