//===- FakeCuda.cpp - a CUDA driver stand-in for CPU tests ----------------===//
//
// Built as libcuda.so.1 in its own folder: a test that puts the folder on
// LD_LIBRARY_PATH makes lowbit's runtime (which dlopens libcuda.so.1) drive
// this instead of a GPU. It runs no kernel. It keeps what the runtime's logic
// depends on and what the real driver enforces: contexts current per thread
// (pushed and popped), which calls need one (module loads, launches, tensor
// maps), streams that belong to a device's context and may be capturing, and
// the capture rules the H100 enforced (a captured stream cannot wait for an
// event recorded outside the capture, nor an eager one for an event recorded
// in it). Every call the runtime's logic turns on is logged with the device
// of the current context, for the test to read (fakeCudaLog).
//
// Helpers for tests, beside the driver's names: fakeCudaStream(device,
// status) makes a stream (status: 0 idle, 1 capturing, 2 invalidated),
// fakeCudaStreamIn(context, status) one of a given context,
// fakeCudaFailPushes(on) makes cuCtxPushCurrent fail,
// fakeCudaCurrentDevice() the device of the calling thread's current context
// (-1 without one), fakeCudaDepth() how many contexts the thread has pushed
// and not popped, fakeCudaLiveAllocations() how many device buffers are
// allocated and not freed, fakeCudaLog() / fakeCudaClearLog().
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {
enum Result : int {
  kSuccess = 0,
  kInvalidValue = 1,
  kInvalidContext = 201,
  kInvalidHandle = 400,
  kCaptureInvalidated = 901,
  kCaptureIsolation = 905,
  kCapturedEvent = 907,
};

struct Context {
  int device;
};
struct Stream {
  Context *context;
  int status; // CUstreamCaptureStatus
};
struct Function;
struct Module {
  Context *context;
  std::map<std::string, Function *> functions; // one handle per name, as the driver's
};
struct Function {
  Module *module;
};
struct Event {
  Context *context;
  bool recordedInCapture = false;
};

int deviceCount() {
  const char *env = std::getenv("LOWBIT_FAKE_CUDA_DEVICES");
  return env && *env ? std::atoi(env) : 2;
}

Context *primaryContext(int device) {
  static Context primaries[16] = {{0}, {1}, {2},  {3},  {4},  {5},  {6},  {7},
                                  {8}, {9}, {10}, {11}, {12}, {13}, {14}, {15}};
  return device >= 0 && device < 16 ? &primaries[device] : nullptr;
}

// Primary contexts in use (retained, or holding a stream).
bool active[16];
// fakeCudaFailPushes: cuCtxPushCurrent fails.
bool failPushes = false;

// The calling thread's context stack; its top is the current context.
thread_local std::vector<Context *> stack;
thread_local int pushedNotPopped = 0;
// Device buffers allocated and not yet freed.
std::atomic<int> liveAllocations{0};
Context *current() { return stack.empty() ? nullptr : stack.back(); }

std::mutex logMutex;
std::string logText;
void log(const std::string &line) {
  std::lock_guard<std::mutex> lock(logMutex);
  Context *c = current();
  logText += line + " device=" + (c ? std::to_string(c->device) : std::string("none")) + "\n";
}

Context *contextOf(void *stream) {
  return reinterpret_cast<uintptr_t>(stream) <= 2 ? current()
                                                  : static_cast<Stream *>(stream)->context;
}
int statusOf(void *stream) {
  return reinterpret_cast<uintptr_t>(stream) <= 2 ? 0 : static_cast<Stream *>(stream)->status;
}
} // namespace

extern "C" {
// Helpers for tests.
void *fakeCudaStream(int device, int status) {
  active[device] = true;
  return new Stream{primaryContext(device), status};
}
void *fakeCudaStreamIn(void *context, int status) {
  return new Stream{static_cast<Context *>(context), status};
}
void fakeCudaFailPushes(int on) { failPushes = on != 0; }
int fakeCudaCurrentDevice() { return current() ? current()->device : -1; }
int fakeCudaDepth() { return pushedNotPopped; }
int fakeCudaLiveAllocations() { return liveAllocations; }
const char *fakeCudaLog() {
  static std::string copy;
  std::lock_guard<std::mutex> lock(logMutex);
  copy = logText;
  return copy.c_str();
}
void fakeCudaClearLog() {
  std::lock_guard<std::mutex> lock(logMutex);
  logText.clear();
}

// The driver.
int cuInit(unsigned) { return kSuccess; }
int cuDeviceGetCount(int *count) {
  *count = deviceCount();
  return kSuccess;
}
int cuDeviceGet(int *device, int ordinal) {
  if (ordinal < 0 || ordinal >= deviceCount())
    return kInvalidValue;
  *device = ordinal;
  return kSuccess;
}
int cuDeviceGetName(char *name, int length, int device) {
  std::snprintf(name, size_t(length), "Fake GPU %d", device);
  return kSuccess;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  switch (attribute) {
  case 75:
    *value = 9;
    break; // compute capability major
  case 76:
    *value = 0;
    break; // minor
  case 16:
    *value = 132;
    break; // multiprocessors
  case 97:
    *value = 232448;
    break; // shared memory per block, opt-in
  default:
    *value = 0;
  }
  return kSuccess;
}
int cuDevicePrimaryCtxRetain(void **context, int device) {
  *context = primaryContext(device);
  log("retain " + std::to_string(device));
  if (!*context)
    return kInvalidValue;
  active[device] = true;
  return kSuccess;
}
int cuDevicePrimaryCtxGetState(int device, unsigned *flags, int *isActive) {
  *flags = 0;
  *isActive = device >= 0 && device < 16 && active[device];
  return kSuccess;
}
int cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
int cuCtxCreate_v2(void **context, unsigned, int device) {
  auto *c = new Context{device};
  stack.push_back(c);
  *context = c;
  return kSuccess;
}
int cuCtxSetCurrent(void *context) {
  if (stack.empty())
    stack.push_back(static_cast<Context *>(context));
  else
    stack.back() = static_cast<Context *>(context);
  log("set-current");
  return kSuccess;
}
int cuCtxPushCurrent_v2(void *context) {
  if (failPushes || !context)
    return kInvalidContext;
  stack.push_back(static_cast<Context *>(context));
  ++pushedNotPopped;
  return kSuccess;
}
int cuCtxPopCurrent_v2(void **context) {
  if (stack.empty())
    return kInvalidContext;
  if (context)
    *context = stack.back();
  stack.pop_back();
  --pushedNotPopped;
  return kSuccess;
}
int cuCtxGetCurrent(void **context) {
  *context = current();
  return kSuccess;
}
int cuCtxGetDevice(int *device) {
  if (!current())
    return kInvalidContext;
  *device = current()->device;
  return kSuccess;
}
int cuCtxSynchronize() { return current() ? kSuccess : kInvalidContext; }
int cuStreamGetCtx(void *stream, void **context) {
  *context = contextOf(stream);
  return *context ? kSuccess : kInvalidContext;
}
int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  if (!current())
    return kInvalidContext;
  *ptr = reinterpret_cast<uintptr_t>(std::malloc(bytes));
  ++liveAllocations;
  return kSuccess;
}
int cuMemFree_v2(unsigned long long ptr) {
  if (ptr)
    --liveAllocations;
  std::free(reinterpret_cast<void *>(ptr));
  return kSuccess;
}
int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return kSuccess;
}
int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t bytes) {
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return kSuccess;
}
int cuMemcpyDtoD_v2(unsigned long long dst, unsigned long long src, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), bytes);
  return kSuccess;
}
int cuMemsetD8_v2(unsigned long long dst, unsigned char value, size_t bytes) {
  std::memset(reinterpret_cast<void *>(dst), value, bytes);
  return kSuccess;
}
int cuModuleLoadData(void **module, const void *) {
  if (!current())
    return kInvalidContext;
  *module = new Module{current()};
  log("load-module");
  return kSuccess;
}
int cuModuleUnload(void *module) {
  if (!current())
    return kInvalidContext;
  auto *m = static_cast<Module *>(module);
  if (m->context != current())
    return kInvalidHandle;
  log("unload-module");
  for (auto &[name, function] : m->functions)
    delete function;
  delete m;
  return kSuccess;
}
int cuModuleGetFunction(void **function, void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  Function *&f = m->functions[name];
  if (!f)
    f = new Function{m};
  *function = f;
  return kSuccess;
}
int cuFuncSetAttribute(void *, int, int) { return kSuccess; }
int cuFuncGetAttribute(int *value, int attribute, void *) {
  // Registers per thread (as many as setmaxnreg kernels of 384 threads
  // share out); no static shared memory.
  *value = attribute == 4 ? 168 : 0;
  return kSuccess;
}
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, void *, int, size_t) {
  *blocks = 1;
  return kSuccess;
}
int cuTensorMapEncodeTiled(void *, int, unsigned, void *, const uint64_t *, const uint64_t *,
                           const unsigned *, const unsigned *, int, int, int, int) {
  return current() ? kSuccess : kInvalidContext;
}

namespace {
int launch(const char *how, void *function, void *stream) {
  Context *c = current();
  if (!c)
    return kInvalidContext;
  // A function and a stream of another context than the current one.
  if (static_cast<Function *>(function)->module->context != c || contextOf(stream) != c)
    return kInvalidHandle;
  if (statusOf(stream) == 2)
    return kCaptureInvalidated;
  log(std::string(how) + (statusOf(stream) == 1 ? " captured" : ""));
  return kSuccess;
}
} // namespace

int cuLaunchKernel(void *function, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                   unsigned, void *stream, void **, void **) {
  return launch("launch", function, stream);
}
struct LaunchAttribute { // CUlaunchAttribute: an id, then a 64-byte union at byte 8
  int id;
  int pad;
  int value[16];
};
struct LaunchConfig {
  unsigned dims[7];
  void *stream;
  LaunchAttribute *attrs;
  unsigned numAttrs;
};
int cuLaunchKernelEx(const LaunchConfig *config, void *function, void **, void **) {
  // The one attribute lowbit sets: programmatic stream serialization (6), on.
  if (config->numAttrs != 1 || config->attrs[0].id != 6 || config->attrs[0].value[0] != 1)
    return kInvalidValue;
  return launch("launch-programmatic", function, config->stream);
}
int cuEventCreate(void **event, unsigned) {
  if (!current())
    return kInvalidContext;
  *event = new Event{current()};
  return kSuccess;
}
int cuEventDestroy_v2(void *event) {
  delete static_cast<Event *>(event);
  return kSuccess;
}
int cuEventRecord(void *event, void *stream) {
  if (static_cast<Event *>(event)->context != contextOf(stream))
    return kInvalidHandle; // an event and a stream of different contexts
  static_cast<Event *>(event)->recordedInCapture = statusOf(stream) == 1;
  log(statusOf(stream) == 1 ? "record captured" : "record");
  return kSuccess;
}
int cuEventSynchronize(void *) { return kSuccess; }
int cuEventElapsedTime_v2(float *ms, void *, void *) {
  *ms = 0;
  return kSuccess;
}
int cuStreamWaitEvent(void *stream, void *event, unsigned) {
  bool captured = static_cast<Event *>(event)->recordedInCapture;
  if (statusOf(stream) == 1 && !captured)
    return kCaptureIsolation; // a captured stream waiting for work outside the capture
  if (statusOf(stream) != 1 && captured)
    return kCapturedEvent;
  log("wait");
  return kSuccess;
}
int cuStreamIsCapturing(void *stream, int *status) {
  *status = statusOf(stream);
  return kSuccess;
}
int cuGetErrorString(int result, const char **message) {
  static thread_local std::string text;
  text = "fake CUDA error " + std::to_string(result);
  *message = text.c_str();
  return kSuccess;
}
}
