//===- lowbit-gpu-run.cpp - run compiled kernels on the GPU ---------------===//
//
//   lowbit-gpu-run MANIFEST.json --input=A.npy ... --output=Y.npy
//                  [--expect=REF.npy --rtol=R --atol=A] [--time=N]
//
// Loads the PTX a `lowbit-compile --manifest` run wrote, packs the inputs
// into the layouts the kernel reads (logical codes in, one per byte, as
// lowbit-run takes them), launches the kernel through the CUDA driver and
// writes the result; with --expect it compares it with a reference (e.g.
// lowbit-run's output) and exits 1 when any element is outside tolerance.
// Needs no LLVM/MLIR at run time: this is what runs on the GPU machine.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::lowbit;
namespace cl = llvm::cl;

static cl::opt<std::string> manifestFile(cl::Positional,
                                         cl::desc("<manifest.json>"),
                                         cl::Required);
static cl::opt<std::string> kernelName("kernel",
                                       cl::desc("Kernel (default: the only one)"),
                                       cl::init(""));
static cl::list<std::string> inputs("input",
                                    cl::desc("Operands in parameter order (.npy)"));
static cl::opt<std::string> outputFile("output", cl::desc("Result (.npy)"),
                                       cl::init(""));
static cl::opt<std::string> expectFile("expect",
                                       cl::desc("Reference result (.npy)"),
                                       cl::init(""));
static cl::opt<double> relTolerance("rtol", cl::init(1e-3));
static cl::opt<double> absTolerance("atol", cl::init(1e-3));
static cl::opt<int> timeRuns("time", cl::desc("Also time N launches"),
                             cl::init(0));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-gpu-run: " << message << "\n";
  return 1;
}

namespace {
struct Param {
  std::string role, dtype, layout;
  std::vector<int64_t> shape;
  int64_t bits = 0;
};

std::vector<int64_t> shapeOf(const llvm::json::Array *array) {
  std::vector<int64_t> shape;
  if (array)
    for (const llvm::json::Value &d : *array)
      shape.push_back(d.getAsInteger().value_or(-1));
  return shape;
}

/// The bytes the kernel reads for one operand.
llvm::Expected<std::vector<uint8_t>> deviceBytes(const Param &param,
                                                 const NpyArray &array) {
  if (param.layout != "packed" || param.bits == 8)
    return array.data;
  quant::Layout packed;
  quant::CodeMatrix matrix{param.shape[0], param.shape[1], unsigned(param.bits)};
  return quant::packCodes(packed, matrix, array.data);
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "lowbit GPU kernel runner\n");

  auto text = llvm::MemoryBuffer::getFile(manifestFile);
  if (!text)
    return fail(manifestFile + ": cannot read: " + text.getError().message());
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*text)->getBuffer());
  if (!json)
    return fail(manifestFile + ": " + llvm::toString(json.takeError()));
  const llvm::json::Object *manifest = json->getAsObject();
  const llvm::json::Array *kernels = manifest ? manifest->getArray("kernels") : nullptr;
  std::optional<llvm::StringRef> ptxName = manifest ? manifest->getString("ptx") : std::nullopt;
  if (!kernels || !ptxName)
    return fail(manifestFile + ": not a lowbit-compile manifest");
  const llvm::json::Object *kernel = nullptr;
  for (const llvm::json::Value &k : *kernels) {
    const llvm::json::Object *object = k.getAsObject();
    if (!object)
      continue;
    if (kernelName.empty() ? !kernel : object->getString("name") == kernelName) {
      if (kernel && kernelName.empty())
        return fail("several kernels; choose one with --kernel");
      kernel = object;
    }
  }
  if (!kernel)
    return fail("no kernel '" + kernelName + "' in " + manifestFile);
  std::string name = kernel->getString("name").value_or("").str();
  std::vector<int64_t> grid = shapeOf(kernel->getArray("grid"));
  std::vector<int64_t> block = shapeOf(kernel->getArray("block"));
  if (grid.size() != 3 || block.size() != 3)
    return fail(manifestFile + ": kernel " + name + " lacks grid or block");
  std::vector<Param> params;
  if (const llvm::json::Array *list = kernel->getArray("params"))
    for (const llvm::json::Value &v : *list) {
      const llvm::json::Object *p = v.getAsObject();
      if (!p)
        return fail(manifestFile + ": malformed parameter");
      params.push_back({p->getString("role").value_or("").str(),
                        p->getString("dtype").value_or("").str(),
                        p->getString("layout").value_or("").str(),
                        shapeOf(p->getArray("shape")),
                        p->getInteger("bits").value_or(0)});
    }
  if (params.empty() || params.back().role != "result")
    return fail(manifestFile + ": kernel " + name + " has no result parameter");
  if (inputs.size() != params.size() - 1)
    return fail("kernel " + name + " takes " + llvm::Twine(params.size() - 1) +
                " inputs, got " + llvm::Twine(inputs.size()));

  llvm::SmallString<256> ptxPath(*ptxName);
  if (!llvm::sys::path::is_absolute(ptxPath) && !llvm::sys::fs::exists(ptxPath)) {
    ptxPath = llvm::sys::path::parent_path(manifestFile);
    llvm::sys::path::append(ptxPath, llvm::sys::path::filename(*ptxName));
  }
  auto ptx = llvm::MemoryBuffer::getFile(ptxPath);
  if (!ptx)
    return fail(ptxPath + ": cannot read: " + ptx.getError().message());

  // Read and pack every operand before touching the GPU, so that bad input
  // is reported the same way on any machine.
  std::vector<std::vector<uint8_t>> operands;
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    auto array = readNpy(inputs[i]);
    if (!array)
      return fail(llvm::toString(array.takeError()));
    const Param &p = params[i];
    bool rawOk = p.dtype == "u1" && (array->dtype == "i1" || array->dtype == "V1");
    if ((array->dtype != p.dtype && !rawOk) || array->shape != p.shape)
      return fail(inputs[i] + ": the kernel's " + p.role + " needs dtype '" +
                  p.dtype + "' and the manifest's shape");
    auto bytes = deviceBytes(p, *array);
    if (!bytes)
      return fail(llvm::toString(bytes.takeError()));
    operands.push_back(std::move(*bytes));
  }

  auto device = runtime::CudaDevice::open();
  if (!device)
    return fail(llvm::toString(device.takeError()));
  llvm::outs() << "device: " << (*device)->name() << " (sm_"
               << (*device)->computeCapability() << ")\n";
  auto module = (*device)->loadModule((*ptx)->getBuffer().str());
  if (!module)
    return fail(llvm::toString(module.takeError()));

  std::vector<runtime::DevicePtr> args;
  for (const std::vector<uint8_t> &bytes : operands) {
    auto ptr = (*device)->alloc(bytes.size());
    if (!ptr)
      return fail(llvm::toString(ptr.takeError()));
    if (llvm::Error e = (*device)->copyToDevice(*ptr, bytes.data(), bytes.size()))
      return fail(llvm::toString(std::move(e)));
    args.push_back(*ptr);
  }
  NpyArray result{params.back().dtype, params.back().shape, {}};
  result.data.resize(result.numElements() * result.elementSize());
  auto out = (*device)->alloc(result.data.size());
  if (!out)
    return fail(llvm::toString(out.takeError()));
  args.push_back(*out);
  // Split-K kernels accumulate into a zeroed result; the others get it
  // poisoned (all-ones bytes are NaN in every float type), so that an element
  // the kernel fails to write cannot pass the comparison.
  bool zeroResult = kernel->getBoolean("zero_result").value_or(false);
  if (llvm::Error e = (*device)->fill(*out, result.data.size(), zeroResult ? 0 : 0xff))
    return fail(llvm::toString(std::move(e)));
  if (llvm::Error e = (*device)->launch(*module, name, grid.data(), block.data(),
                                        0, args))
    return fail(llvm::toString(std::move(e)));
  if (llvm::Error e =
          (*device)->copyToHost(result.data.data(), *out, result.data.size()))
    return fail(llvm::toString(std::move(e)));
  llvm::outs() << "ran " << name << " grid [" << grid[0] << ", " << grid[1]
               << ", " << grid[2] << "] block [" << block[0] << ", " << block[1]
               << ", " << block[2] << "]\n";
  if (!outputFile.empty())
    if (llvm::Error e = writeNpy(outputFile, result))
      return fail(llvm::toString(std::move(e)));

  int status = 0;
  if (!expectFile.empty()) {
    auto expected = readNpy(expectFile);
    if (!expected)
      return fail(llvm::toString(expected.takeError()));
    if (expected->shape != result.shape)
      return fail(expectFile + ": shape differs from the result");
    auto a = numericValues(result);
    auto b = numericValues(*expected);
    if (!a || !b)
      return fail(llvm::toString(a ? b.takeError() : a.takeError()));
    Comparison c = compareValues(*a, *b, relTolerance, absTolerance);
    llvm::outs() << "compare: " << c.summary(relTolerance, absTolerance) << "\n";
    status = c.outside ? 1 : 0;
  }
  if (timeRuns > 0) {
    auto ms = (*device)->time(*module, name, grid.data(), block.data(), 0, args,
                              /*warmup=*/3, timeRuns);
    if (!ms)
      return fail(llvm::toString(ms.takeError()));
    llvm::outs() << "time: " << llvm::format("%.2f", *ms * 1000.0 / timeRuns)
                 << " us per launch (" << timeRuns << " launches, same buffers)\n";
  }
  return status;
}
