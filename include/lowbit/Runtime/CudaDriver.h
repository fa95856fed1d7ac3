//===- CudaDriver.h - the CUDA driver, loaded at run time -----------------===//
//
// lowbit builds and runs its CPU parts without CUDA: the driver library
// (libcuda.so.1) is opened with dlopen when a GPU is first needed. A missing
// driver or device is an error saying so, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_CUDADRIVER_H
#define LOWBIT_RUNTIME_CUDADRIVER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mlir::lowbit::runtime {

/// A device buffer (freed by the owning CudaDevice's destructor or free()).
using DevicePtr = uint64_t;

class CudaDevice {
public:
  /// Opens the driver, device `ordinal` and its primary context.
  static llvm::Expected<std::unique_ptr<CudaDevice>> open(int ordinal = 0);
  ~CudaDevice();

  std::string name() const;
  /// Compute capability as major * 10 + minor.
  int computeCapability() const;

  llvm::Expected<DevicePtr> alloc(size_t bytes);
  llvm::Error copyToDevice(DevicePtr dst, const void *src, size_t bytes);
  llvm::Error copyToHost(void *dst, DevicePtr src, size_t bytes);
  /// Queues a device-to-device copy.
  llvm::Error copyOnDevice(DevicePtr dst, DevicePtr src, size_t bytes);
  /// Sets every byte of [dst, dst + bytes) to `value`.
  llvm::Error fill(DevicePtr dst, size_t bytes, uint8_t value);
  void free(DevicePtr ptr);

  /// Loads PTX (JIT-compiled by the driver) or a cubin; returns a module id.
  llvm::Expected<void *> loadModule(const std::string &image);
  /// Launches `kernel` of `module` with pointer arguments and waits for it.
  llvm::Error launch(void *module, const std::string &kernel,
                     const int64_t grid[3], const int64_t block[3],
                     size_t sharedBytes, llvm::ArrayRef<DevicePtr> args);
  /// Queues a launch on `stream` (a CUstream; null: the default stream)
  /// without waiting for it.
  llvm::Error enqueue(void *module, const std::string &kernel,
                      const int64_t grid[3], const int64_t block[3],
                      size_t sharedBytes, llvm::ArrayRef<DevicePtr> args,
                      void *stream = nullptr);
  llvm::Error synchronize();
  /// Milliseconds between events recorded around the GPU work `enqueue`
  /// queues.
  llvm::Expected<float> timeRegion(llvm::function_ref<llvm::Error()> enqueue);

  struct Api;

private:
  CudaDevice() = default;
  std::unique_ptr<Api> api;
  int device = 0;
  void *context = nullptr;
};

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_CUDADRIVER_H
