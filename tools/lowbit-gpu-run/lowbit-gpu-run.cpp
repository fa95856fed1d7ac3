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

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cstring>
#include <random>

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
static cl::opt<int> timeRuns(
    "time",
    cl::desc("Also time N launches, rotating over copies of the operands "
             "larger than the L2 cache together"),
    cl::init(0));
static cl::opt<bool> randomInputs(
    "random-inputs",
    cl::desc("Draw the operands (seed 1): reals uniform in [-1, 1), scales in "
             "[0.5, 1.5) / 64, codes uniform; for timing, nothing to compare"),
    cl::init(false));

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
/// Random operand values (see --random-inputs).
NpyArray randomArray(const Param &p, std::mt19937 &rng) {
  NpyArray array{p.dtype, p.shape, {}};
  std::uniform_real_distribution<float> real(-1.0f, 1.0f), scale(0.5f, 1.5f);
  bool isScale = p.role == "weight_scales";
  int64_t n = array.numElements();
  for (int64_t i = 0; i < n; ++i) {
    float v = isScale ? scale(rng) / 64 : real(rng);
    if (p.dtype == "f4") {
      uint8_t bytes[4];
      memcpy(bytes, &v, 4);
      array.data.insert(array.data.end(), bytes, bytes + 4);
    } else if (p.dtype == "f2" || p.dtype == "V2") {
      llvm::APFloat f(v);
      bool lost;
      f.convert(p.dtype == "f2" ? llvm::APFloat::IEEEhalf() : llvm::APFloat::BFloat(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      uint16_t bits = uint16_t(f.bitcastToAPInt().getZExtValue());
      array.data.push_back(uint8_t(bits & 0xff));
      array.data.push_back(uint8_t(bits >> 8));
    } else {
      unsigned bits = p.bits ? unsigned(p.bits) : 8;
      array.data.push_back(uint8_t(rng() & ((1u << bits) - 1)));
    }
  }
  return array;
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
  if (!randomInputs && inputs.size() != params.size() - 1)
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
  std::mt19937 rng(1);
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    if (randomInputs) {
      auto bytes = deviceBytes(params[i], randomArray(params[i], rng));
      if (!bytes)
        return fail(llvm::toString(bytes.takeError()));
      operands.push_back(std::move(*bytes));
      continue;
    }
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
    // Copies of the operands, together over 2 x 50 MB, so that rotating among
    // them measures memory, not the L2 cache.
    size_t setBytes = result.data.size();
    for (const std::vector<uint8_t> &bytes : operands)
      setBytes += bytes.size();
    int copies = int(std::max<size_t>(1, (100u << 20) / setBytes + 1));
    std::vector<std::vector<runtime::DevicePtr>> sets = {args};
    for (int c = 1; c < copies; ++c) {
      std::vector<runtime::DevicePtr> set;
      for (const std::vector<uint8_t> &bytes : operands) {
        auto ptr = (*device)->alloc(bytes.size());
        if (!ptr)
          return fail(llvm::toString(ptr.takeError()));
        if (llvm::Error e = (*device)->copyToDevice(*ptr, bytes.data(), bytes.size()))
          return fail(llvm::toString(std::move(e)));
        set.push_back(*ptr);
      }
      auto res = (*device)->alloc(result.data.size());
      if (!res)
        return fail(llvm::toString(res.takeError()));
      set.push_back(*res);
      sets.push_back(std::move(set));
    }
    std::vector<float> times;
    for (int run = 0; run < timeRuns; ++run) {
      auto ms = (*device)->time(*module, name, grid.data(), block.data(), 0,
                                sets[run % sets.size()], /*warmup=*/run == 0 ? 3 : 0,
                                /*runs=*/1);
      if (!ms)
        return fail(llvm::toString(ms.takeError()));
      times.push_back(*ms);
    }
    std::sort(times.begin(), times.end());
    double us = times[times.size() / 2] * 1000.0;
    llvm::outs() << "time: median " << llvm::format("%.2f", us) << " us of "
                 << timeRuns << " launches over " << sets.size()
                 << " operand copies; " << llvm::format("%.0f", setBytes / us / 1e3)
                 << " GB/s moving every operand once (" << setBytes << " bytes)\n";
  }
  return status;
}
