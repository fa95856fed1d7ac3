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
#include <vector>

namespace mlir::lowbit::runtime {

/// A device buffer, freed by CudaDevice::free() or a ScopedBuffers that owns
/// it. (~CudaDevice releases the primary context, which frees its buffers
/// only where no one else, such as a host program's CUDA runtime, retains
/// it.)
using DevicePtr = uint64_t;

/// An encoded TMA descriptor (the driver's opaque CUtensorMap). Kernels take
/// it by value as a parameter; the driver encodes only into 64-byte aligned
/// storage.
struct alignas(64) TensorMap {
  uint8_t bytes[128];
};

/// How a kernel is launched, besides its arguments (a manifest entry's grid,
/// block, shared_memory and register_pool).
struct LaunchShape {
  int64_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
  /// Dynamic shared memory per block, in bytes.
  int64_t sharedBytes = 0;
  /// Registers the block's warps hold at once after `setmaxnreg` has moved
  /// them between warpgroups (0: the kernel moves none).
  int64_t registerPool = 0;
  /// The kernel waits for the grid before it (`griddepcontrol.wait`) before
  /// it reads anything but its weights or writes anything (a manifest's
  /// "dependent_launch"): CudaDevice may launch it programmatically, behind
  /// a kernel that does not write its weights.
  bool dependentLaunch = false;

  int64_t threads() const { return block[0] * block[1] * block[2]; }
};

/// Whether a block of `shape` compiled to `registersPerThread` registers
/// holds its register pool. `setmaxnreg.inc` waits until the block's pool
/// has the registers it asks for: a kernel compiled to fewer (a register
/// limit, another ptxas) would hang, so it is an error naming `kernel`.
/// Registers are given to warps 8 per thread at a time.
llvm::Error checkRegisterPool(const std::string &kernel, const LaunchShape &shape,
                              int64_t registersPerThread);

/// Dynamic shared memory for a programmatic launch of `blocks` blocks on
/// `multiprocessors` SMs: the least number of bytes from `sharedBytes` up to
/// `maxSharedBytes` at which `blocksPerSM(bytes)` (the driver's occupancy for
/// that much shared memory, non-increasing in it) is at most
/// ceil(blocks / multiprocessors), or `sharedBytes` where no amount gets there.
///
/// Why: a programmatically launched grid's blocks become resident, waiting,
/// in whatever room the grid before it leaves. Where an SM takes more blocks
/// than the grid needs per SM, the SMs with room fill first and the grid ends
/// up unevenly spread (on the H100, W4A16 decode at 3 blocks per SM for a grid
/// of 256 took 10% longer than launched plainly). Capped, its blocks take
/// the place of the grid before it's as those exit.
int64_t programmaticSharedBytes(int64_t sharedBytes, int64_t maxSharedBytes, int64_t blocks,
                                int64_t multiprocessors,
                                llvm::function_ref<int64_t(int64_t)> blocksPerSM);

class CudaDevice {
public:
  /// Opens the driver, device `ordinal` and its primary context. Every call
  /// below makes that context current for its duration and then restores
  /// the calling thread's; `makeCurrent` also leaves it current on the
  /// opening thread (for tools that call the CUDA runtime, such as cuBLAS,
  /// on the same device). A library embedded in a host program passes
  /// false, so as not to change the program's current device.
  static llvm::Expected<std::unique_ptr<CudaDevice>> open(int ordinal = 0, bool makeCurrent = true);
  /// The ordinal of the device `stream` (a CUstream) runs on: its context's
  /// device, which must be its primary context; for the default streams
  /// (null, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD) `defaultStreamOrdinal`
  /// where it is given (>= 0; a stream of another device is then an error),
  /// else the current context's device (its primary context), device 0
  /// without one.
  static llvm::Expected<int> ordinalOfStream(void *stream, int defaultStreamOrdinal = -1);
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
  /// Unloads a module of loadModule; no kernel of it may still run (the
  /// caller synchronizes first).
  void unloadModule(void *module);
  /// A TMA descriptor for the row-major [rows, rowBytes] byte matrix at
  /// `base`, copied in [boxRows, boxBytes] boxes with the 128- or 64-byte
  /// swizzle (`swizzle` bytes; rows and bytes past the end read as zeros).
  /// rowBytes must be a multiple of 16 and `base` 16-byte aligned; boxBytes
  /// at most the swizzle span and boxRows at most 256. An error when the
  /// driver has no cuTensorMapEncodeTiled (before CUDA 12) or rejects the
  /// shape.
  llvm::Expected<TensorMap> encodeTensorMap(DevicePtr base, uint64_t rows, uint64_t rowBytes,
                                            uint32_t boxRows, uint32_t boxBytes,
                                            uint32_t swizzle = 128);
  /// Launches `kernel` of `module` with pointer arguments, then tensor maps
  /// passed by value, and waits for it. A kernel with a register pool is
  /// checked against the registers it was compiled to (checkRegisterPool).
  llvm::Error launch(void *module, const std::string &kernel, const LaunchShape &shape,
                     llvm::ArrayRef<DevicePtr> args, llvm::ArrayRef<TensorMap> tensorMaps = {});
  /// Queues a launch on `stream` (a CUstream; null: the default stream)
  /// without waiting for it. Parameters as for launch(); the driver copies
  /// them at the call, so `args` and `tensorMaps` need not outlive it.
  llvm::Error enqueue(void *module, const std::string &kernel, const LaunchShape &shape,
                      llvm::ArrayRef<DevicePtr> args, void *stream = nullptr,
                      llvm::ArrayRef<TensorMap> tensorMaps = {});
  /// From now on, launch kernels whose shape says they wait for the grid
  /// before them (LaunchShape::dependentLaunch) with programmatic stream
  /// serialization: their blocks may start while that grid finishes (off
  /// by default). Such launches get the shared memory of
  /// programmaticSharedBytes.
  void setProgrammaticLaunches(bool on) { programmaticLaunches = on; }
  llvm::Error synchronize();
  /// An event that orders work across streams (no timing); destroyEvent
  /// frees it.
  llvm::Expected<void *> createEvent();
  void destroyEvent(void *event);
  /// Marks `event` at the end of the work queued so far on `stream`.
  llvm::Error recordEvent(void *event, void *stream);
  /// Makes the work queued on `stream` from now on wait for `event`.
  llvm::Error waitForEvent(void *stream, void *event);
  /// Whether `stream` is being captured into a CUDA graph (its work is
  /// recorded, not run); an error where the capture was invalidated.
  llvm::Expected<bool> isCapturing(void *stream);
  /// Milliseconds between events recorded around the GPU work `enqueue`
  /// queues.
  llvm::Expected<float> timeRegion(llvm::function_ref<llvm::Error()> enqueue);

  struct Api;

private:
  CudaDevice() = default;
  llvm::Error openDevice(int ordinal, bool makeCurrent);
  /// Dynamic shared memory for a programmatic launch of `function`
  /// (programmaticSharedBytes with this device's SMs and occupancy).
  llvm::Expected<int64_t> programmaticShared(void *function, const LaunchShape &shape);
  std::unique_ptr<Api> api;
  int device = 0;
  void *context = nullptr;
  bool programmaticLaunches = false;
};

/// A module of a CudaDevice, unloaded when this goes out of scope, after the
/// work queued on the device: a process whose context outlives a loop over
/// kernels (the tuner, lowbit-bench) would otherwise keep every one loaded.
class ScopedModule {
public:
  ScopedModule(CudaDevice &device, void *module) : device(device), module(module) {}
  ScopedModule(const ScopedModule &) = delete;
  ScopedModule &operator=(const ScopedModule &) = delete;
  ~ScopedModule();
  void *get() const { return module; }

private:
  CudaDevice &device;
  void *module;
};

/// Device buffers freed together when this goes out of scope, after the
/// work queued on the device (for the same reason: the tuner's operand sets
/// are up to 120 MiB per tuned spec, lowbit-bench's 200 MiB per kernel).
class ScopedBuffers {
public:
  explicit ScopedBuffers(CudaDevice &device) : device(device) {}
  ScopedBuffers(const ScopedBuffers &) = delete;
  ScopedBuffers &operator=(const ScopedBuffers &) = delete;
  ~ScopedBuffers();
  llvm::Expected<DevicePtr> alloc(size_t bytes);
  /// A fresh buffer holding a copy of `bytes`.
  llvm::Expected<DevicePtr> upload(llvm::ArrayRef<uint8_t> bytes);

private:
  CudaDevice &device;
  std::vector<DevicePtr> buffers;
};

/// PTX of `kHoldQueueKernel`: one thread spinning on %globaltimer for 100
/// us. Queued before a timed region, it holds the GPU long enough for the
/// host to record the start event, launch the calls and record the stop
/// event while it runs, so that the GPU goes from it to the calls without
/// waiting for the host (as in a serving loop; nvbench blocks its stream
/// the same way). It touches no memory: a device copy in its place left L2
/// full of dirty lines whose write-back the calls then paid for (decode
/// 1.03-1.10x slower on the large shapes on the H200).
extern const char *const kHoldQueuePtx;
inline constexpr const char *kHoldQueueKernel = "lowbit_hold_queue";

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_CUDADRIVER_H
