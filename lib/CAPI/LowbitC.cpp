//===- LowbitC.cpp - the lowbit C API --------------------------------------===//
//
// A thin layer over the JIT driver, the CUDA runtime and the quantization
// library: C types in, C++ calls, errors kept on the context as text.
//
//===----------------------------------------------------------------------===//
#include "lowbit-c/lowbit.h"

#include "lowbit/JIT/Driver.h"
#include "lowbit/JIT/Spec.h"
#include "lowbit/JIT/Tuner.h"
#include "lowbit/Quant/BitPlanes.h"
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Quant/Quantize.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/KernelManifest.h"
#include "lowbit/Support/ArrayBytes.h"

#include "llvm/Support/FormatVariadic.h"

#include <map>
#include <mutex>

#ifndef LOWBIT_VERSION
#define LOWBIT_VERSION "unknown"
#endif

using namespace mlir::lowbit;

struct lowbitContextImpl {
  std::unique_ptr<jit::Driver> driver;
  std::string arch;
  std::mutex mutex;
  /// The last call's error ("" after a success), under its own lock:
  /// several threads may call on one context (`mutex` is held across
  /// launches, during which a failing call must still record its error).
  std::string error;
  std::mutex errorMutex;
  void setError(std::string message) {
    std::lock_guard<std::mutex> lock(errorMutex);
    error = std::move(message);
  }
  /// lowbitContextSetProgrammaticLaunches: given to each device as it opens.
  bool programmaticLaunches = false;
  /// A loaded module, and for kernels whose blocks share a workspace in
  /// it (stream-K's partial sums: their launches must not overlap) an
  /// event after the last launch (null before the first), which the next
  /// one waits for.
  struct Module {
    void *module = nullptr;
    void *lastLaunch = nullptr;
  };
  /// A device that launches went to (the device of their stream), opened
  /// at its first launch, and the modules loaded on it.
  struct Device {
    std::unique_ptr<runtime::CudaDevice> device;
    std::map<std::string, Module> modules; // by kernel key or image
  };
  std::map<int, Device> devices; // by ordinal
  /// Waits for the work on the devices it launched on, then frees its
  /// events and unloads its modules (code and stream-K workspaces): a
  /// service that makes and drops contexts would keep them all otherwise.
  ~lowbitContextImpl() {
    for (auto &[ordinal, open] : devices) {
      llvm::consumeError(open.device->synchronize());
      for (auto &[key, loaded] : open.modules) {
        open.device->destroyEvent(loaded.lastLaunch);
        open.device->unloadModule(loaded.module);
      }
    }
  }
};

struct lowbitKernelImpl {
  std::shared_ptr<const jit::Kernel> kernel;
};

namespace {
int fail(lowbitContext context, const std::string &message) {
  if (context)
    context->setError(message);
  return 1;
}

/// A call's success: it clears the context's error.
int succeed(lowbitContext context) {
  if (context)
    context->setError("");
  return 0;
}

int fail(lowbitContext context, llvm::Error error) {
  return fail(context, llvm::toString(std::move(error)));
}

lowbitKernel wrap(std::shared_ptr<const jit::Kernel> kernel) {
  return new lowbitKernelImpl{std::move(kernel)};
}

/// The weight scheme of a spec's `w=` field, as the quantization library's.
llvm::Expected<quant::Scheme> schemeOf(const char *text, int64_t rows, int64_t cols) {
  if (!text)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "no scheme");
  // One field's value: other spec fields pasted in would pass unchecked.
  if (llvm::StringRef(text).find_first_of(" \t\n=") != llvm::StringRef::npos)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + std::string(text) +
                                       "' is not a weight scheme (like u4:g128:zp)");
  if (rows < 1 || cols < 1)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "a [" + std::to_string(rows) + ", " + std::to_string(cols) +
                                       "] weight: rows and columns must be positive");
  auto spec = jit::parseSpec(llvm::formatv("matmul m=1 n={0} k={1} a=f16 w={2}", rows,
                                           cols, text)
                                 .str());
  if (!spec)
    return spec.takeError();
  quant::Scheme scheme(*quant::CodeType::parse(spec->weightCodeType()));
  if (spec->weight == "nf4")
    scheme.codebook = std::vector<double>(quant::nf4Codebook().begin(),
                                          quant::nf4Codebook().end());
  if (spec->zeroPoints)
    scheme.zeroPoint = quant::ZeroPoint::Integer;
  if (spec->weightScales == "per_channel") {
    scheme.granularity = quant::Granularity::PerChannel;
    scheme.axis = 0;
  } else if (spec->weightScales == "group") {
    scheme.granularity = quant::Granularity::PerGroup;
    scheme.axis = 1;
    scheme.groupSize = spec->groupSize;
  }
  return scheme;
}
/// How many scales (and zero points) `scheme` has for a rows x cols matrix.
llvm::Expected<int64_t> scaleCount(const quant::Scheme &scheme, int64_t rows, int64_t cols) {
  auto shape = scheme.scaleShape({rows, cols});
  if (!shape)
    return shape.takeError();
  return (*shape)[0] * (*shape)[1];
}
} // namespace

extern "C" {

const char *lowbitVersion(void) { return LOWBIT_VERSION; }

lowbitContext lowbitContextCreate(const char *arch, const char *cacheDir) {
  auto *context = new (std::nothrow) lowbitContextImpl();
  if (!context)
    return nullptr;
  jit::DriverOptions options;
  options.arch = arch && *arch ? arch : "sm_90a";
  if (cacheDir) {
    options.diskCache = *cacheDir != '\0';
    if (options.diskCache)
      options.cacheDir = cacheDir;
  }
  context->arch = options.arch;
  context->driver = std::make_unique<jit::Driver>(options);
  return context;
}

void lowbitContextDestroy(lowbitContext context) { delete context; }

const char *lowbitContextError(lowbitContext context) {
  if (!context)
    return "no context";
  // A copy per thread: another thread's call may replace the context's.
  thread_local std::string copy;
  std::lock_guard<std::mutex> lock(context->errorMutex);
  copy = context->error;
  return copy.c_str();
}

int lowbitCompileSpec(lowbitContext context, const char *spec, const char *config,
                      lowbitKernel *kernel) {
  if (!context || !spec || !kernel)
    return fail(context, "lowbitCompileSpec: null argument");
  static const std::vector<std::string> known = {"sm_80", "sm_86", "sm_89", "sm_90",
                                                 "sm_90a"};
  if (std::find(known.begin(), known.end(), context->arch) == known.end())
    return fail(context, "unknown arch '" + context->arch +
                             "'; expected sm_80, sm_86, sm_89, sm_90 or sm_90a");
  std::string chosen = config ? config : "";
  auto result = chosen == "tune" ? jit::getOrTune(*context->driver, spec)
                                 : context->driver->get(spec, chosen);
  if (!result)
    return fail(context, result.takeError());
  *kernel = wrap(std::move(*result));
  return succeed(context);
}

int lowbitCompileMLIR(lowbitContext context, const char *source, lowbitKernel *kernel) {
  if (!context || !source || !kernel)
    return fail(context, "lowbitCompileMLIR: null argument");
  jit::CompileOptions options;
  options.arch = context->arch;
  options.cubin = context->driver->options().preferCubin;
  auto compiled = jit::compileSource(source, options);
  if (!compiled)
    return fail(context, compiled.takeError());
  *kernel = wrap(std::make_shared<jit::Kernel>(
      jit::Kernel::fromCompiled(std::move(*compiled), context->arch)));
  return succeed(context);
}

void lowbitKernelDestroy(lowbitKernel kernel) { delete kernel; }

const void *lowbitKernelImage(lowbitKernel kernel, size_t *size, int *isCubin) {
  if (!kernel) {
    if (size)
      *size = 0;
    return nullptr;
  }
  if (size)
    *size = kernel->kernel->image.size();
  if (isCubin)
    *isCubin = kernel->kernel->cubin;
  return kernel->kernel->image.data();
}

const char *lowbitKernelManifest(lowbitKernel kernel) {
  if (!kernel)
    return nullptr;
  return kernel->kernel->manifestText.c_str();
}

const char *lowbitKernelSource(lowbitKernel kernel) {
  if (!kernel)
    return nullptr;
  switch (kernel->kernel->source) {
  case jit::Kernel::Source::Memory:
    return "memory";
  case jit::Kernel::Source::Disk:
    return "disk";
  case jit::Kernel::Source::Compiled:
    return "compiled";
  }
  return "compiled";
}

void lowbitKernelCompileTimes(lowbitKernel kernel, double *mlir, double *llvm,
                              double *ptxas) {
  if (!kernel)
    return;
  if (mlir)
    *mlir = kernel->kernel->mlirSeconds;
  if (llvm)
    *llvm = kernel->kernel->llvmSeconds;
  if (ptxas)
    *ptxas = kernel->kernel->ptxasSeconds;
}

int lowbitKernelLaunch(lowbitContext context, lowbitKernel kernel, void *const *args,
                       size_t numArgs, void *stream) {
  return lowbitKernelLaunchOnDevice(context, kernel, args, numArgs, stream, -1);
}

int lowbitKernelLaunchOnDevice(lowbitContext context, lowbitKernel kernel, void *const *args,
                               size_t numArgs, void *stream, int deviceOrdinal) {
  if (!context || !kernel || (!args && numArgs))
    return fail(context, "lowbitKernelLaunch: null argument");
  if (deviceOrdinal < -1)
    return fail(context, "lowbitKernelLaunchOnDevice: device " + std::to_string(deviceOrdinal) +
                             " is neither an ordinal nor -1 (the stream's)");
  const llvm::json::Array *kernels = kernel->kernel->manifest.getArray("kernels");
  if (!kernels || kernels->size() != 1)
    return fail(context, "lowbitKernelLaunch: the kernel image holds " +
                             std::to_string(kernels ? kernels->size() : 0) +
                             " kernels; launch needs exactly one");
  const llvm::json::Object &entry = *(*kernels)[0].getAsObject();
  const llvm::json::Array *params = entry.getArray("params");
  if (!params || params->size() != numArgs)
    return fail(context, "kernel " + entry.getString("name").value_or("").str() + " takes " +
                             std::to_string(params ? params->size() : 0) + " pointers, got " +
                             std::to_string(numArgs));
  // On the stream's device, opened at its first launch (without touching
  // the caller's current context: lowbit.h).
  auto ordinal = runtime::CudaDevice::ordinalOfStream(stream, deviceOrdinal);
  if (!ordinal)
    return fail(context, ordinal.takeError());
  std::lock_guard<std::mutex> lock(context->mutex);
  lowbitContextImpl::Device &open = context->devices[*ordinal];
  if (!open.device) {
    auto device = runtime::CudaDevice::open(*ordinal, /*makeCurrent=*/false);
    if (!device) {
      context->devices.erase(*ordinal);
      return fail(context, device.takeError());
    }
    open.device = std::move(*device);
    open.device->setProgrammaticLaunches(context->programmaticLaunches);
  }
  runtime::CudaDevice &device = *open.device;
  const std::string &image = kernel->kernel->image;
  std::string moduleKey = kernel->kernel->key.empty() ? image : kernel->kernel->key;
  lowbitContextImpl::Module &loaded = open.modules[moduleKey];
  if (!loaded.module) {
    auto module = device.loadModule(image);
    if (!module) {
      open.modules.erase(moduleKey);
      return fail(context, module.takeError());
    }
    loaded.module = *module;
  }
  // A kernel whose blocks share a workspace in the module waits for its
  // previous launch, whatever the stream (on the same stream the wait is
  // free; a stream handle may name different streams over time). Not while
  // the stream is captured into a CUDA graph: there the wait would tie the
  // graph to a launch outside it (an error), and an event recorded in a
  // capture cannot be waited for outside it; the graph orders its own
  // launches, and the caller its replays (lowbit.h).
  bool serialize = entry.getBoolean("shared_workspace").value_or(false);
  if (serialize) {
    auto capturing = device.isCapturing(stream);
    if (!capturing)
      return fail(context, capturing.takeError());
    serialize = !*capturing;
  }
  if (serialize && loaded.lastLaunch)
    if (llvm::Error e = device.waitForEvent(stream, loaded.lastLaunch))
      return fail(context, std::move(e));
  std::string name = entry.getString("name").value_or("").str();
  auto shape = runtime::parseLaunchShape(entry, "lowbitKernelLaunch", name);
  if (!shape)
    return fail(context, shape.takeError());
  std::vector<runtime::DevicePtr> pointers;
  for (size_t i = 0; i < numArgs; ++i)
    pointers.push_back(reinterpret_cast<runtime::DevicePtr>(args[i]));
  // Tensor maps hold the pointers of this call: encoded on every launch (a
  // host call, no GPU work).
  auto specs = runtime::parseTensorMaps(entry, numArgs, "lowbitKernelLaunch", name);
  if (!specs)
    return fail(context, specs.takeError());
  auto maps = runtime::encodeTensorMaps(device, *specs, pointers);
  if (!maps)
    return fail(context, maps.takeError());
  if (llvm::Error e = device.enqueue(loaded.module, name, *shape, pointers, stream, *maps))
    return fail(context, std::move(e));
  if (serialize) {
    auto markLaunch = [&]() -> llvm::Error {
      if (!loaded.lastLaunch) {
        auto event = device.createEvent();
        if (!event)
          return event.takeError();
        loaded.lastLaunch = *event;
      }
      return device.recordEvent(loaded.lastLaunch, stream);
    };
    if (llvm::Error e = markLaunch()) {
      // Launched, but unmarked: wait for it here, so that no later launch
      // overlaps it.
      llvm::consumeError(device.synchronize());
      return fail(context, "the kernel was launched and has finished, but ordering later "
                           "launches after it failed: " +
                               llvm::toString(std::move(e)));
    }
  }
  return succeed(context);
}

int lowbitContextSetProgrammaticLaunches(lowbitContext context, int on) {
  if (!context)
    return fail(context, "lowbitContextSetProgrammaticLaunches: null context");
  std::lock_guard<std::mutex> lock(context->mutex);
  context->programmaticLaunches = on != 0;
  for (auto &[ordinal, open] : context->devices)
    open.device->setProgrammaticLaunches(context->programmaticLaunches);
  return succeed(context);
}

int lowbitScaleCount(lowbitContext context, const char *scheme, int64_t rows, int64_t cols,
                     int64_t *count) {
  if (!count)
    return fail(context, "lowbitScaleCount: null argument");
  auto parsed = schemeOf(scheme, rows, cols);
  if (!parsed)
    return fail(context, parsed.takeError());
  auto scales = scaleCount(*parsed, rows, cols);
  if (!scales)
    return fail(context, scales.takeError());
  *count = *scales;
  return succeed(context);
}

int lowbitQuantize(lowbitContext context, const char *scheme, const float *values,
                   int64_t rows, int64_t cols, uint8_t *codes, float *scales,
                   float *zeroPoints) {
  if (!values || !codes || !scales)
    return fail(context, "lowbitQuantize: null argument");
  auto parsed = schemeOf(scheme, rows, cols);
  if (!parsed)
    return fail(context, parsed.takeError());
  if (parsed->zeroPoint == quant::ZeroPoint::Integer && !zeroPoints)
    return fail(context, "lowbitQuantize: scheme " + std::string(scheme) +
                             " has zero points; pass a buffer for them");
  llvm::ArrayRef<float> input(values, rows * cols);
  auto calibration = quant::calibrate({rows, cols}, input, *parsed);
  if (!calibration)
    return fail(context, calibration.takeError());
  auto quantized = quant::quantize({rows, cols}, input, *parsed,
                                   {calibration->scales, calibration->zeroPoints, {}});
  if (!quantized)
    return fail(context, quantized.takeError());
  std::copy(quantized->begin(), quantized->end(), codes);
  std::copy(calibration->scales.begin(), calibration->scales.end(), scales);
  if (zeroPoints)
    std::copy(calibration->zeroPoints.begin(), calibration->zeroPoints.end(), zeroPoints);
  return succeed(context);
}

int lowbitDequantize(lowbitContext context, const char *scheme, const uint8_t *codes,
                     int64_t rows, int64_t cols, const float *scales,
                     const float *zeroPoints, float *values) {
  if (!codes || !scales || !values)
    return fail(context, "lowbitDequantize: null argument");
  auto parsed = schemeOf(scheme, rows, cols);
  if (!parsed)
    return fail(context, parsed.takeError());
  auto count = scaleCount(*parsed, rows, cols);
  if (!count)
    return fail(context, count.takeError());
  bool zp = parsed->zeroPoint == quant::ZeroPoint::Integer;
  if (zp && !zeroPoints)
    return fail(context, "lowbitDequantize: scheme has zero points; pass them");
  auto real = quant::dequantize(
      {rows, cols}, llvm::ArrayRef<uint8_t>(codes, rows * cols), *parsed,
      {llvm::ArrayRef<float>(scales, *count),
       zp ? llvm::ArrayRef<float>(zeroPoints, *count) : llvm::ArrayRef<float>(), {}});
  if (!real)
    return fail(context, real.takeError());
  std::copy(real->begin(), real->end(), values);
  return succeed(context);
}

/// rows x cols codes of `bits` bits packed in `layout` into `packed`;
/// errors name `function`.
static int packCodesIn(lowbitContext context, const char *function, const quant::Layout &layout,
                       const uint8_t *codes, int64_t rows, int64_t cols, int bits,
                       uint8_t *packed) {
  std::string name = function;
  if (!codes || !packed)
    return fail(context, name + ": null argument");
  if (rows < 0 || cols < 0)
    return fail(context, name + ": negative size");
  if (bits < 1 || bits > 8)
    return fail(context, name + ": codes of " + std::to_string(bits) + " bits; expected 1 to 8");
  // The packers size their output from these products: wrapped, they
  // would write past it.
  if (!arrayBytes({rows, cols, bits}, 1))
    return fail(context, name + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                             " codes of " + std::to_string(bits) + " bits overflow 64 bits");
  llvm::ArrayRef<uint8_t> values(codes, rows * cols);
  // Packing keeps the low bits: a wider code would come back as another.
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] >> bits)
      return fail(context, name + ": code " + std::to_string(values[i]) + " at (" +
                               std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                               ") does not fit " + std::to_string(bits) + " bits");
  auto bytes = quant::packCodes(layout, {rows, cols, unsigned(bits)}, values);
  if (!bytes)
    return fail(context, name + ": " + llvm::toString(bytes.takeError()));
  std::copy(bytes->begin(), bytes->end(), packed);
  return succeed(context);
}

int lowbitPackCodes(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                    int bits, uint8_t *packed) {
  return packCodesIn(context, "lowbitPackCodes", quant::Layout(), codes, rows, cols, bits, packed);
}

int lowbitPackInterleaved(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                          int bits, const int64_t *order, int64_t positions, uint8_t *packed) {
  if (!order || positions <= 0)
    return fail(context, "lowbitPackInterleaved: no order");
  // At most four words of 1-bit codes: read before the packer checks it.
  if (positions > 128)
    return fail(context, "lowbitPackInterleaved: " + std::to_string(positions) +
                             " positions; a group is at most 128 codes (four words)");
  quant::Layout layout;
  layout.kind = quant::LayoutKind::Interleave;
  layout.order.assign(order, order + positions);
  return packCodesIn(context, "lowbitPackInterleaved", layout, codes, rows, cols, bits, packed);
}

int lowbitPackSignMagnitude(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                            uint8_t *packed) {
  quant::Layout layout;
  layout.kind = quant::LayoutKind::SignMagnitude;
  return packCodesIn(context, "lowbitPackSignMagnitude", layout, codes, rows, cols, 4, packed);
}

int lowbitPack4(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                uint8_t *packed) {
  return lowbitPackCodes(context, codes, rows, cols, 4, packed);
}

int64_t lowbitBitRowBytes(int64_t k) {
  // Past 2^56 bits the padded size no longer fits (it came out negative).
  return k < 0 || k > (int64_t(1) << 56) ? -1 : quant::bitRowBytes(k);
}

int lowbitPackBits(lowbitContext context, const uint8_t *bits, int64_t rows, int64_t k,
                   uint8_t *packed) {
  if (!bits || !packed)
    return fail(context, "lowbitPackBits: null argument");
  if (rows < 0 || k < 0)
    return fail(context, "lowbitPackBits: negative size");
  if (k > (int64_t(1) << 56) || !arrayBytes({rows, k}, 1) ||
      !arrayBytes({rows, quant::bitRowBytes(k)}, 1))
    return fail(context, "lowbitPackBits: " + std::to_string(rows) + " x " + std::to_string(k) +
                             " bits overflow 64 bits");
  auto bytes = quant::packBitRows(llvm::ArrayRef<uint8_t>(bits, rows * k), rows, k);
  if (!bytes)
    return fail(context, bytes.takeError());
  std::copy(bytes->begin(), bytes->end(), packed);
  return succeed(context);
}

} // extern "C"
