//===- CudaDriver.cpp - the CUDA driver, loaded at run time ---------------===//
#include "lowbit/Runtime/CudaDriver.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <mutex>

using namespace mlir::lowbit::runtime;

const char *const mlir::lowbit::runtime::kHoldQueuePtx = R"(.version 7.0
.target sm_70
.address_size 64
.visible .entry lowbit_hold_queue() {
  .reg .u64 %start, %now, %elapsed;
  .reg .pred %waiting;
  mov.u64 %start, %globaltimer;
SPIN:
  mov.u64 %now, %globaltimer;
  sub.u64 %elapsed, %now, %start;
  setp.lt.u64 %waiting, %elapsed, 100000;
  @%waiting bra SPIN;
  ret;
}
)";

namespace {
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUdeviceptr = unsigned long long;
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;
// cuTensorMapEncodeTiled's enums (cuda.h), passed as ints.
constexpr int kTensorMapUint8 = 0;         // CU_TENSOR_MAP_DATA_TYPE_UINT8
constexpr int kTensorMapInterleaveNone = 0; // CU_TENSOR_MAP_INTERLEAVE_NONE
constexpr int kTensorMapSwizzle64B = 2;     // CU_TENSOR_MAP_SWIZZLE_64B
constexpr int kTensorMapSwizzle128B = 3;   // CU_TENSOR_MAP_SWIZZLE_128B
constexpr int kTensorMapL2Promotion128B = 2; // CU_TENSOR_MAP_L2_PROMOTION_L2_128B
constexpr int kTensorMapOobFillNone = 0;   // CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE
// cuLaunchKernelEx's configuration (cuda.h's CUlaunchConfig and
// CUlaunchAttribute, whose value is a 64-byte union) and the one attribute
// lowbit sets.
constexpr int kLaunchAttributeProgrammaticStreamSerialization = 6;
constexpr int kMaxDynamicSharedSizeBytes = 8; // CU_FUNC_ATTRIBUTE_...
struct alignas(8) LaunchAttribute {
  int id;
  char pad[8 - sizeof(int)];
  union {
    char bytes[64];
    int programmaticStreamSerializationAllowed;
  } value;
};
struct LaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
  CUstream stream;
  LaunchAttribute *attrs;
  unsigned numAttrs;
};
// cuda.h's layouts (x86-64 and aarch64).
static_assert(sizeof(LaunchAttribute) == 72 && offsetof(LaunchAttribute, value) == 8);
static_assert(sizeof(LaunchConfig) == 56 && offsetof(LaunchConfig, stream) == 32 &&
              offsetof(LaunchConfig, attrs) == 40 && offsetof(LaunchConfig, numAttrs) == 48);
} // namespace

/// The driver entry points lowbit uses, resolved by name.
struct CudaDevice::Api {
  void *library = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuDevicePrimaryCtxGetState)(CUdevice, unsigned *, int *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxPushCurrent)(CUcontext);
  CUresult (*cuCtxPopCurrent)(CUcontext *);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxGetDevice)(CUdevice *);
  CUresult (*cuStreamGetCtx)(CUstream, CUcontext *);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuFuncGetAttribute)(int *, int, CUfunction);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuLaunchKernelEx)(const LaunchConfig *, CUfunction, void **, void **) = nullptr;
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuStreamIsCapturing)(CUstream, int *);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuOccupancyMaxActiveBlocksPerMultiprocessor)(int *, CUfunction, int, size_t);
  /// Shared memory of each programmatic launch so far, by function and
  /// number of blocks (programmaticSharedBytes asks the driver ~20 times).
  std::map<std::pair<CUfunction, int64_t>, int64_t> programmaticShared;
  // CUDA 12 and later only: null on older drivers, an error when used.
  CUresult (*cuTensorMapEncodeTiled)(void *tensorMap, int dataType, uint32_t rank,
                                     void *globalAddress, const uint64_t *globalDim,
                                     const uint64_t *globalStrides,
                                     const uint32_t *boxDim,
                                     const uint32_t *elementStrides, int interleave,
                                     int swizzle, int l2Promotion, int oobFill) = nullptr;

  llvm::Error check(CUresult result, const char *what) const {
    if (result == 0)
      return llvm::Error::success();
    const char *message = nullptr;
    if (cuGetErrorString)
      cuGetErrorString(result, &message);
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        std::string("CUDA: ") + what + " failed: " +
            (message ? message : "error " + std::to_string(result)));
  }
};

int64_t
mlir::lowbit::runtime::programmaticSharedBytes(int64_t sharedBytes, int64_t maxSharedBytes,
                                               int64_t blocks, int64_t multiprocessors,
                                               llvm::function_ref<int64_t(int64_t)> blocksPerSM) {
  if (blocks <= 0 || multiprocessors <= 0 || maxSharedBytes <= sharedBytes)
    return sharedBytes;
  int64_t needed = llvm::divideCeil(blocks, multiprocessors);
  if (blocksPerSM(sharedBytes) <= needed || blocksPerSM(maxSharedBytes) > needed)
    return sharedBytes;
  // blocksPerSM(fits) > needed >= blocksPerSM(capped): bisect.
  int64_t fits = sharedBytes, capped = maxSharedBytes;
  while (capped - fits > 1) {
    int64_t middle = fits + (capped - fits) / 2;
    (blocksPerSM(middle) <= needed ? capped : fits) = middle;
  }
  // Never a size at which no block fits.
  return blocksPerSM(capped) > 0 ? capped : sharedBytes;
}

llvm::Error mlir::lowbit::runtime::checkRegisterPool(const std::string &kernel,
                                                     const LaunchShape &shape,
                                                     int64_t registersPerThread) {
  constexpr int64_t kWarpThreads = 32, kRegisterGranule = 8;
  int64_t warps = llvm::divideCeil(shape.threads(), kWarpThreads);
  int64_t perThread = llvm::alignTo(registersPerThread, kRegisterGranule);
  int64_t pool = perThread * kWarpThreads * warps;
  if (pool >= shape.registerPool)
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "kernel " + kernel + " was compiled to " + std::to_string(registersPerThread) +
          " registers per thread, " + std::to_string(pool) + " for its block of " +
          std::to_string(shape.threads()) + " threads, but its warpgroups take " +
          std::to_string(shape.registerPool) +
          " with setmaxnreg: the launch would hang (was it compiled with a register limit, "
          "such as ptxas --maxrregcount?)");
}

namespace {
/// Makes a context current on the calling thread for the scope's life and
/// then puts back the thread's own: a library call leaves the caller's
/// current context (the CUDA runtime's current device) as it found it.
class ContextScope {
public:
  ContextScope(const CudaDevice::Api &api, CUcontext context) : api(api) {
    pushResult = api.cuCtxPushCurrent(context);
    pushed = pushResult == 0;
  }
  /// Why the context could not be made current (the calls in the scope
  /// would run in whatever context is).
  llvm::Error takeError() const { return api.check(pushResult, "cuCtxPushCurrent"); }
  ~ContextScope() {
    CUcontext popped;
    if (pushed)
      api.cuCtxPopCurrent(&popped);
  }

private:
  const CudaDevice::Api &api;
  CUresult pushResult;
  bool pushed;
};
} // namespace

/// The driver's entry points, bound and initialized.
static llvm::Expected<std::unique_ptr<CudaDevice::Api>> loadDriver() {
  auto api = std::make_unique<CudaDevice::Api>();
  api->library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!api->library)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "no CUDA driver on this machine (libcuda.so.1 cannot be loaded)");
  bool missing = false;
  std::string missingName;
  auto bind = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        dlsym(api->library, name));
    if (!fn && !missing) {
      missing = true;
      missingName = name;
    }
  };
  bind(api->cuInit, "cuInit");
  bind(api->cuDeviceGetCount, "cuDeviceGetCount");
  bind(api->cuDeviceGet, "cuDeviceGet");
  bind(api->cuDeviceGetName, "cuDeviceGetName");
  bind(api->cuDeviceGetAttribute, "cuDeviceGetAttribute");
  bind(api->cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  bind(api->cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
  bind(api->cuDevicePrimaryCtxGetState, "cuDevicePrimaryCtxGetState");
  bind(api->cuCtxSetCurrent, "cuCtxSetCurrent");
  bind(api->cuCtxPushCurrent, "cuCtxPushCurrent_v2");
  bind(api->cuCtxPopCurrent, "cuCtxPopCurrent_v2");
  bind(api->cuCtxGetCurrent, "cuCtxGetCurrent");
  bind(api->cuCtxGetDevice, "cuCtxGetDevice");
  bind(api->cuStreamGetCtx, "cuStreamGetCtx");
  bind(api->cuCtxSynchronize, "cuCtxSynchronize");
  bind(api->cuMemAlloc, "cuMemAlloc_v2");
  bind(api->cuMemFree, "cuMemFree_v2");
  bind(api->cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  bind(api->cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  bind(api->cuMemsetD8, "cuMemsetD8_v2");
  bind(api->cuMemcpyDtoD, "cuMemcpyDtoD_v2");
  bind(api->cuModuleLoadData, "cuModuleLoadData");
  bind(api->cuModuleUnload, "cuModuleUnload");
  bind(api->cuModuleGetFunction, "cuModuleGetFunction");
  bind(api->cuFuncSetAttribute, "cuFuncSetAttribute");
  bind(api->cuFuncGetAttribute, "cuFuncGetAttribute");
  bind(api->cuLaunchKernel, "cuLaunchKernel");
  bind(api->cuEventCreate, "cuEventCreate");
  bind(api->cuEventRecord, "cuEventRecord");
  bind(api->cuEventSynchronize, "cuEventSynchronize");
  bind(api->cuEventElapsedTime, "cuEventElapsedTime_v2");
  bind(api->cuEventDestroy, "cuEventDestroy_v2");
  bind(api->cuStreamWaitEvent, "cuStreamWaitEvent");
  bind(api->cuStreamIsCapturing, "cuStreamIsCapturing");
  bind(api->cuGetErrorString, "cuGetErrorString");
  bind(api->cuOccupancyMaxActiveBlocksPerMultiprocessor,
       "cuOccupancyMaxActiveBlocksPerMultiprocessor");
  if (missing)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the CUDA driver lacks " + missingName);
  // Optional: kernels without tensor maps run on drivers that predate it.
  api->cuTensorMapEncodeTiled =
      reinterpret_cast<decltype(api->cuTensorMapEncodeTiled)>(
          dlsym(api->library, "cuTensorMapEncodeTiled"));
  // Optional too: programmatic launches (setProgrammaticLaunches) need it.
  api->cuLaunchKernelEx =
      reinterpret_cast<decltype(api->cuLaunchKernelEx)>(dlsym(api->library, "cuLaunchKernelEx"));
  if (llvm::Error e = api->check(api->cuInit(0), "cuInit"))
    return std::move(e);
  return api;
}

llvm::Expected<std::unique_ptr<CudaDevice>> CudaDevice::open(int ordinal, bool makeCurrent) {
  auto api = loadDriver();
  if (!api)
    return api.takeError();
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  device->api = std::move(*api);
  if (llvm::Error e = device->openDevice(ordinal, makeCurrent))
    return std::move(e);
  return device;
}

llvm::Error CudaDevice::openDevice(int ordinal, bool makeCurrent) {
  int count = 0;
  if (llvm::Error e = api->check(api->cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return e;
  if (ordinal < 0 || ordinal >= count)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no CUDA device " + std::to_string(ordinal) + " (" +
                                       std::to_string(count) + " found)");
  if (llvm::Error e = api->check(api->cuDeviceGet(&device, ordinal), "cuDeviceGet"))
    return e;
  if (llvm::Error e =
          api->check(api->cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain"))
    return e;
  if (makeCurrent)
    return api->check(api->cuCtxSetCurrent(context), "cuCtxSetCurrent");
  return llvm::Error::success();
}

llvm::Expected<int> CudaDevice::ordinalOfStream(void *stream, int defaultStreamOrdinal) {
  // The driver, loaded once for the process (a device's own copy is
  // loaded when it opens), or why it cannot be, for every call; and the
  // primary context of each device asked about (retained for the process).
  struct Loaded {
    std::unique_ptr<Api> api;
    std::string error;
    std::mutex mutex;
    std::map<int, CUcontext> primaries;
  };
  static Loaded driver;
  static const bool loaded = [] {
    if (auto api = loadDriver())
      driver.api = std::move(*api);
    else
      driver.error = llvm::toString(api.takeError());
    return true;
  }();
  (void)loaded;
  if (!driver.api)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), driver.error);
  const Api &api = *driver.api;
  // The default streams (null, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD)
  // belong to the context current when a call uses them: the named
  // device's primary context (the CUDA runtime's default stream there; an
  // ordinal past the devices is refused when the device opens), or else
  // the current one.
  bool defaultStream = reinterpret_cast<uintptr_t>(stream) <= 2;
  if (defaultStream && defaultStreamOrdinal >= 0)
    return defaultStreamOrdinal;
  CUcontext context = nullptr;
  if (defaultStream) {
    if (llvm::Error e = api.check(api.cuCtxGetCurrent(&context), "cuCtxGetCurrent"))
      return std::move(e);
    if (!context)
      return 0; // no current context: the CUDA runtime's default device
  } else if (llvm::Error e = api.check(api.cuStreamGetCtx(static_cast<CUstream>(stream), &context),
                                       "cuStreamGetCtx")) {
    return std::move(e);
  }
  CUdevice device = 0;
  {
    ContextScope scope(api, context);
    if (llvm::Error e = scope.takeError())
      return std::move(e);
    if (llvm::Error e = api.check(api.cuCtxGetDevice(&device), "cuCtxGetDevice"))
      return std::move(e);
  }
  int count = 0;
  if (llvm::Error e = api.check(api.cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return std::move(e);
  int ordinal = 0;
  for (; ordinal < count; ++ordinal) {
    CUdevice candidate = 0;
    if (api.cuDeviceGet(&candidate, ordinal) == 0 && candidate == device)
      break;
  }
  if (ordinal == count)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the stream's device is not among the CUDA devices");
  // lowbit launches in the device's primary context (the CUDA runtime's,
  // which torch uses): a stream of another context, or that context's
  // default stream, would not be ordered with the caller's work there.
  // (An inactive primary context cannot be the stream's: not retained
  // then, which would create it.)
  std::lock_guard<std::mutex> lock(driver.mutex);
  CUcontext &primary = driver.primaries[ordinal];
  unsigned flags = 0;
  int active = 0;
  if (!primary && api.cuDevicePrimaryCtxGetState(device, &flags, &active) == 0 && active)
    if (llvm::Error e =
            api.check(api.cuDevicePrimaryCtxRetain(&primary, device), "cuDevicePrimaryCtxRetain"))
      return std::move(e);
  if (context != primary)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        std::string(defaultStream ? "the default stream of the current context"
                                  : "the stream belongs to a context that") +
            " is not device " + std::to_string(ordinal) +
            "'s primary context (the CUDA runtime's): lowbit launches on streams of primary "
            "contexts only");
  if (defaultStreamOrdinal >= 0 && defaultStreamOrdinal != ordinal)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the stream is device " + std::to_string(ordinal) +
                                       "'s, not device " + std::to_string(defaultStreamOrdinal) +
                                       "'s");
  return ordinal;
}

CudaDevice::~CudaDevice() {
  if (api && context)
    api->cuDevicePrimaryCtxRelease(device);
}

std::string CudaDevice::name() const {
  char buffer[256] = {0};
  api->cuDeviceGetName(buffer, sizeof(buffer) - 1, device);
  return buffer;
}

int CudaDevice::computeCapability() const {
  int major = 0, minor = 0;
  api->cuDeviceGetAttribute(&major, kComputeCapabilityMajor, device);
  api->cuDeviceGetAttribute(&minor, kComputeCapabilityMinor, device);
  return major * 10 + minor;
}

llvm::Expected<DevicePtr> CudaDevice::alloc(size_t bytes) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  CUdeviceptr ptr = 0;
  if (llvm::Error e = api->check(api->cuMemAlloc(&ptr, bytes ? bytes : 1), "cuMemAlloc"))
    return std::move(e);
  return DevicePtr(ptr);
}

llvm::Error CudaDevice::copyToDevice(DevicePtr dst, const void *src, size_t bytes) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuMemcpyHtoD(dst, src, bytes), "cuMemcpyHtoD");
}

llvm::Error CudaDevice::copyToHost(void *dst, DevicePtr src, size_t bytes) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuMemcpyDtoH(dst, src, bytes), "cuMemcpyDtoH");
}

llvm::Error CudaDevice::copyOnDevice(DevicePtr dst, DevicePtr src, size_t bytes) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuMemcpyDtoD(dst, src, bytes), "cuMemcpyDtoD");
}

llvm::Error CudaDevice::fill(DevicePtr dst, size_t bytes, uint8_t value) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuMemsetD8(dst, value, bytes), "cuMemsetD8");
}

void CudaDevice::free(DevicePtr ptr) {
  ContextScope scope(*api, context);
  api->cuMemFree(ptr);
}

llvm::Expected<void *> CudaDevice::loadModule(const std::string &image) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  CUmodule module = nullptr;
  if (llvm::Error e = api->check(api->cuModuleLoadData(&module, image.c_str()),
                                 "cuModuleLoadData"))
    return std::move(e);
  return module;
}

void CudaDevice::unloadModule(void *module) {
  ContextScope scope(*api, context);
  if (!module || scope.takeError())
    return;
  api->cuModuleUnload(static_cast<CUmodule>(module));
  // Its functions' handles may come back for another module's.
  api->programmaticShared.clear();
}

ScopedModule::~ScopedModule() {
  llvm::consumeError(device.synchronize());
  device.unloadModule(module);
}

ScopedBuffers::~ScopedBuffers() {
  if (buffers.empty())
    return;
  llvm::consumeError(device.synchronize());
  for (DevicePtr buffer : buffers)
    device.free(buffer);
}

llvm::Expected<DevicePtr> ScopedBuffers::alloc(size_t bytes) {
  auto buffer = device.alloc(bytes);
  if (buffer)
    buffers.push_back(*buffer);
  return buffer;
}

llvm::Expected<DevicePtr> ScopedBuffers::upload(llvm::ArrayRef<uint8_t> bytes) {
  auto buffer = alloc(bytes.size());
  if (!buffer)
    return buffer.takeError();
  if (llvm::Error e = device.copyToDevice(*buffer, bytes.data(), bytes.size()))
    return std::move(e);
  return *buffer;
}

llvm::Expected<TensorMap> CudaDevice::encodeTensorMap(DevicePtr base, uint64_t rows,
                                                      uint64_t rowBytes, uint32_t boxRows,
                                                      uint32_t boxBytes, uint32_t swizzle) {
  // The driver checks the address against the current context.
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  auto invalid = [&](const std::string &why) {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "tensor map of " + std::to_string(rows) + " x " + std::to_string(rowBytes) +
            " bytes in " + std::to_string(boxRows) + " x " + std::to_string(boxBytes) +
            " boxes: " + why);
  };
  if (!api->cuTensorMapEncodeTiled)
    return invalid("the CUDA driver lacks cuTensorMapEncodeTiled (CUDA 12 or later "
                   "is needed)");
  // The driver's own checks answer only CUDA_ERROR_INVALID_VALUE; these say
  // which of its rules for this encoding is broken.
  if (rows == 0 || rowBytes == 0 || boxRows == 0 || boxBytes == 0)
    return invalid("every size must be positive");
  if (rows > (uint64_t(1) << 32) || rowBytes > (uint64_t(1) << 32))
    return invalid("a dimension exceeds 2^32");
  if (rowBytes % 16 || base % 16)
    return invalid("the row stride and the base address must be multiples of 16 bytes");
  if (swizzle != 128 && swizzle != 64)
    return invalid("the swizzle must be 128 or 64 bytes, not " + std::to_string(swizzle));
  if (boxBytes > swizzle || boxBytes % 16)
    return invalid("a box row must be a multiple of 16 bytes within the " +
                   std::to_string(swizzle) + "-byte swizzle");
  if (boxRows > 256)
    return invalid("a box holds at most 256 rows");
  uint64_t globalDim[2] = {rowBytes, rows};
  uint64_t globalStrides[1] = {rowBytes};
  uint32_t boxDim[2] = {boxBytes, boxRows};
  uint32_t elementStrides[2] = {1, 1};
  TensorMap map;
  if (llvm::Error e =
          api->check(api->cuTensorMapEncodeTiled(
                         map.bytes, kTensorMapUint8, 2, reinterpret_cast<void *>(base), globalDim,
                         globalStrides, boxDim, elementStrides, kTensorMapInterleaveNone,
                         swizzle == 64 ? kTensorMapSwizzle64B : kTensorMapSwizzle128B,
                         kTensorMapL2Promotion128B, kTensorMapOobFillNone),
                     "cuTensorMapEncodeTiled"))
    return std::move(e);
  return map;
}

llvm::Expected<int64_t> CudaDevice::programmaticShared(void *function, const LaunchShape &shape) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  CUfunction f = static_cast<CUfunction>(function);
  int64_t blocks = shape.grid[0] * shape.grid[1] * shape.grid[2];
  auto known = api->programmaticShared.find({f, blocks});
  if (known != api->programmaticShared.end())
    return known->second;
  // Where the driver cannot say, the launch keeps the manifest's size: the
  // cap is a matter of speed only.
  int64_t bytes = shape.sharedBytes;
  constexpr int kMultiprocessorCount = 16, kMaxSharedPerBlockOptin = 97; // CU_DEVICE_ATTRIBUTE_...
  constexpr int kStaticSharedBytes = 1;                                  // CU_FUNC_ATTRIBUTE_...
  int multiprocessors = 0, optin = 0, staticBytes = 0;
  bool limitsKnown =
      api->cuDeviceGetAttribute(&multiprocessors, kMultiprocessorCount, device) == 0 &&
      api->cuDeviceGetAttribute(&optin, kMaxSharedPerBlockOptin, device) == 0 &&
      api->cuFuncGetAttribute(&staticBytes, kStaticSharedBytes, f) == 0;
  int64_t maxDynamic = int64_t(optin) - staticBytes;
  // Occupancy at sizes past the function's opt-in counts no blocks: opt in
  // to the most for the search, then back to what launches use.
  if (limitsKnown && maxDynamic > shape.sharedBytes &&
      api->cuFuncSetAttribute(f, kMaxDynamicSharedSizeBytes, int(maxDynamic)) == 0) {
    auto blocksPerSM = [&](int64_t size) -> int64_t {
      int count = 0;
      // A failed query counts as a full SM: the launch keeps its own size.
      if (api->cuOccupancyMaxActiveBlocksPerMultiprocessor(&count, f, int(shape.threads()),
                                                           size_t(size)) != 0)
        return INT64_MAX;
      return count;
    };
    // At least the manifest's size.
    bytes = programmaticSharedBytes(shape.sharedBytes, maxDynamic, blocks, multiprocessors,
                                    blocksPerSM);
    // Back to what launches need: enqueue raises it to each launch's size
    // past 48 KiB (a plain launch after a padded one keeps the larger
    // opt-in, which only permits).
    if (llvm::Error e =
            api->check(api->cuFuncSetAttribute(f, kMaxDynamicSharedSizeBytes,
                                               int(std::max<int64_t>(bytes, 48 * 1024))),
                       "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
      return std::move(e);
  }
  api->programmaticShared[{f, blocks}] = bytes;
  return bytes;
}

llvm::Error CudaDevice::enqueue(void *module, const std::string &kernel, const LaunchShape &shape,
                                llvm::ArrayRef<DevicePtr> args, void *stream,
                                llvm::ArrayRef<TensorMap> tensorMaps) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  // Fault injection for tests of what callers do when the GPU goes away:
  // LOWBIT_CUDA_FAIL_AFTER_LAUNCHES=N makes every launch after the N-th fail
  // as a lost device would.
  static const long failAfter = [] {
    const char *env = std::getenv("LOWBIT_CUDA_FAIL_AFTER_LAUNCHES");
    return env && *env ? std::atol(env) : -1L;
  }();
  static std::atomic<long> launches{0};
  if (failAfter >= 0 && launches++ >= failAfter)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cuLaunchKernel: the device is gone (injected by "
                                   "LOWBIT_CUDA_FAIL_AFTER_LAUNCHES)");
  CUfunction function = nullptr;
  if (llvm::Error e = api->check(
          api->cuModuleGetFunction(&function, module, kernel.c_str()),
          ("cuModuleGetFunction(" + kernel + ")").c_str()))
    return e;
  bool programmatic = programmaticLaunches && shape.dependentLaunch;
  if (programmatic && !api->cuLaunchKernelEx)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "programmatic launches need cuLaunchKernelEx, which this "
                                   "CUDA driver lacks");
  int64_t sharedBytes = shape.sharedBytes;
  if (programmatic) {
    auto bytes = programmaticShared(function, shape);
    if (!bytes)
      return bytes.takeError();
    sharedBytes = *bytes;
  }
  // Above 48 KiB, dynamic shared memory must be opted into per function.
  if (sharedBytes > 48 * 1024)
    if (llvm::Error e = api->check(
            api->cuFuncSetAttribute(function, kMaxDynamicSharedSizeBytes, int(sharedBytes)),
            "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
      return e;
  if (shape.registerPool > 0) {
    constexpr int kNumRegs = 4; // CU_FUNC_ATTRIBUTE_NUM_REGS
    int registers = 0;
    if (llvm::Error e = api->check(api->cuFuncGetAttribute(&registers, kNumRegs, function),
                                   "cuFuncGetAttribute(NUM_REGS)"))
      return e;
    if (llvm::Error e = checkRegisterPool(kernel, shape, registers))
      return e;
  }
  std::vector<DevicePtr> values(args.begin(), args.end());
  std::vector<void *> params;
  for (DevicePtr &value : values)
    params.push_back(&value);
  // Tensor maps follow the pointers, by value: the driver copies the 128
  // bytes each entry points at when the launch is queued.
  for (const TensorMap &map : tensorMaps)
    params.push_back(const_cast<uint8_t *>(map.bytes));
  const int64_t *grid = shape.grid, *block = shape.block;
  if (programmatic) {
    LaunchAttribute serialization{};
    serialization.id = kLaunchAttributeProgrammaticStreamSerialization;
    serialization.value.programmaticStreamSerializationAllowed = 1;
    LaunchConfig config{unsigned(grid[0]),     unsigned(grid[1]),
                        unsigned(grid[2]),     unsigned(block[0]),
                        unsigned(block[1]),    unsigned(block[2]),
                        unsigned(sharedBytes), static_cast<CUstream>(stream),
                        &serialization,        1};
    return api->check(api->cuLaunchKernelEx(&config, function, params.data(), nullptr),
                      "cuLaunchKernelEx");
  }
  return api->check(api->cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1],
                                        block[2], shape.sharedBytes, static_cast<CUstream>(stream),
                                        params.data(), nullptr),
                    "cuLaunchKernel");
}

llvm::Expected<void *> CudaDevice::createEvent() {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  constexpr unsigned kDisableTiming = 2; // CU_EVENT_DISABLE_TIMING
  CUevent event = nullptr;
  if (llvm::Error e = api->check(api->cuEventCreate(&event, kDisableTiming), "cuEventCreate"))
    return std::move(e);
  return static_cast<void *>(event);
}

void CudaDevice::destroyEvent(void *event) {
  ContextScope scope(*api, context);
  if (event)
    api->cuEventDestroy(static_cast<CUevent>(event));
}

llvm::Error CudaDevice::recordEvent(void *event, void *stream) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuEventRecord(static_cast<CUevent>(event), static_cast<CUstream>(stream)),
                    "cuEventRecord");
}

llvm::Error CudaDevice::waitForEvent(void *stream, void *event) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(
      api->cuStreamWaitEvent(static_cast<CUstream>(stream), static_cast<CUevent>(event), 0),
      "cuStreamWaitEvent");
}

llvm::Expected<bool> CudaDevice::isCapturing(void *stream) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  enum { kNone = 0, kActive = 1 }; // CUstreamCaptureStatus; 2: invalidated
  int status = kNone;
  if (llvm::Error e = api->check(api->cuStreamIsCapturing(static_cast<CUstream>(stream), &status),
                                 "cuStreamIsCapturing"))
    return std::move(e);
  if (status != kNone && status != kActive)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the stream's CUDA graph capture was invalidated by an "
                                   "earlier error");
  return status == kActive;
}

llvm::Error CudaDevice::synchronize() {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return e;
  return api->check(api->cuCtxSynchronize(), "kernel execution");
}

llvm::Error CudaDevice::launch(void *module, const std::string &kernel, const LaunchShape &shape,
                               llvm::ArrayRef<DevicePtr> args,
                               llvm::ArrayRef<TensorMap> tensorMaps) {
  if (llvm::Error e = enqueue(module, kernel, shape, args, /*stream=*/nullptr, tensorMaps))
    return e;
  return synchronize();
}

llvm::Expected<float>
CudaDevice::timeRegion(llvm::function_ref<llvm::Error()> work) {
  ContextScope scope(*api, context);
  if (llvm::Error e = scope.takeError())
    return std::move(e);
  CUevent start, stop;
  if (llvm::Error e = api->check(api->cuEventCreate(&start, 0), "cuEventCreate"))
    return std::move(e);
  if (llvm::Error e = api->check(api->cuEventCreate(&stop, 0), "cuEventCreate"))
    return std::move(e);
  api->cuEventRecord(start, nullptr);
  llvm::Error error = work();
  api->cuEventRecord(stop, nullptr);
  api->cuEventSynchronize(stop);
  float ms = 0;
  api->cuEventElapsedTime(&ms, start, stop);
  api->cuEventDestroy(start);
  api->cuEventDestroy(stop);
  if (error)
    return std::move(error);
  if (llvm::Error e = synchronize())
    return std::move(e);
  return ms;
}
