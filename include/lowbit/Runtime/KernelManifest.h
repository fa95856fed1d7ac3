//===- KernelManifest.h - what lowbit-compile says about its kernels ------===//
//
// The JSON manifest lowbit-compile writes next to its PTX, read back: entry,
// grid, block, parameters. Also what every host-side runner needs around it:
// the operand bytes in the layout the kernel reads, and random operands.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_KERNELMANIFEST_H
#define LOWBIT_RUNTIME_KERNELMANIFEST_H

#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Support/Npy.h"
#include "llvm/Support/JSON.h"

#include <random>
#include <string>
#include <vector>

namespace mlir::lowbit::runtime {

struct KernelParam {
  std::string role;   // input, weight, weight_scales, weight_zero_points, result
  std::string dtype;  // .npy dtype of one logical element
  // codes: packed, interleave (with `order`), sign_magnitude (s4 codes of
  // -7..7 as e4m3 bytes) or bytes; bit planes: bits (rows of K bits)
  std::string layout;
  // interleave: the code each bit field of a 32-bit word holds
  // (quant::Layout's `order`).
  std::vector<int64_t> order;
  std::vector<int64_t> shape;
  int64_t bits = 0;
  // Quantized operands: the code type (i8, i4, f8E4M3FN, ...).
  std::string code;
  // The argument of the compiled function the operand is (-1: not one).
  int64_t funcArg = -1;
  // Weights only: the scheme's signedness and scale granularity.
  bool isSigned = true;
  std::string granularity;
  int64_t axis = -1, groupSize = 0;
  // Codebook weights (NF4-style): the value each code indexes.
  std::vector<double> codebook;
};

/// A TMA tensor map the host encodes for a pointer parameter (see
/// CudaDevice::encodeTensorMap): the operand as a row-major [rows, rowBytes]
/// byte matrix read in [boxRows, boxBytes] boxes, with the 128- or 64-byte
/// swizzle.
struct TensorMapSpec {
  int64_t param; // index into KernelManifest::params
  int64_t rows, rowBytes, boxRows, boxBytes;
  int64_t swizzle = 128; // bytes of the swizzle span: 128 or 64
};

struct KernelManifest {
  std::string name, imagePath /* PTX or cubin */, target;
  /// The `#lowbit_gpu.config` the kernel was generated from (for reports;
  /// empty in manifests without it).
  std::string config;
  LaunchShape launch;
  bool zeroResult = false;
  std::vector<KernelParam> params; // the last one is the result
  /// Kernel parameters after the pointers, by value, in this order.
  std::vector<TensorMapSpec> tensorMaps;

  /// Reads `path`; `kernel` selects one when the manifest holds several.
  static llvm::Expected<KernelManifest> load(const std::string &path,
                                             const std::string &kernel = "");
  /// The same from a parsed manifest (`path` names it in errors; an image
  /// path relative to it is resolved against its folder).
  static llvm::Expected<KernelManifest> fromJson(const llvm::json::Object &manifest,
                                                 const std::string &path,
                                                 const std::string &kernel = "");
  const KernelParam &result() const { return params.back(); }
};

/// The bytes the kernel reads for a logical operand (codes one per byte are
/// packed into the parameter's layout).
llvm::Expected<std::vector<uint8_t>> deviceBytes(const KernelParam &param,
                                                 const NpyArray &array);

/// A kernel entry's grid, block, "shared_memory" and "register_pool" (0 when
/// absent); `path` and `kernel` name the entry in errors.
llvm::Expected<LaunchShape> parseLaunchShape(const llvm::json::Object &kernel,
                                             const std::string &path,
                                             const std::string &kernelName);

/// A kernel entry's "tensor_maps" (none when absent: manifests before them),
/// checked against its `numParams` pointer parameters, the last being the
/// result; `path` and `kernel` name the entry in errors.
llvm::Expected<std::vector<TensorMapSpec>>
parseTensorMaps(const llvm::json::Object &kernel, size_t numParams,
                const std::string &path, const std::string &kernelName);

/// The tensor maps a launch of `manifest`'s kernel passes after `args` (its
/// pointer parameters in manifest order, result included). Encoding is a
/// host call: cheap, but redo it whenever a pointer changes.
llvm::Expected<std::vector<TensorMap>>
encodeTensorMaps(CudaDevice &device, const KernelManifest &manifest,
                 llvm::ArrayRef<DevicePtr> args);
/// The same for specs read by parseTensorMaps.
llvm::Expected<std::vector<TensorMap>>
encodeTensorMaps(CudaDevice &device, llvm::ArrayRef<TensorMapSpec> specs,
                 llvm::ArrayRef<DevicePtr> args);

/// Runs `manifest`'s kernel from `module`: uploads `operands` (bytes in
/// the kernel's layouts, parameter order, result excluded), launches on a
/// fresh result (zeroed for kernels that accumulate into it, else poisoned
/// with all-ones bytes, NaN in every float type, so an element the kernel
/// fails to write cannot pass a comparison), waits, and returns the result.
/// With `launches` > 1, launches that many times, each on a fresh result,
/// and returns the last: kernels that leave state in their module for the
/// next launch (stream-K's workspace) are checked on it.
llvm::Expected<NpyArray> runKernel(CudaDevice &device, void *module, const KernelManifest &manifest,
                                   llvm::ArrayRef<std::vector<uint8_t>> operands,
                                   unsigned launches = 1);

/// Random values for a parameter: reals uniform in [-1, 1), scales in
/// [0.5, 1.5) / 64, codes uniform over their bits (fp8 codes over their
/// finite values).
NpyArray randomOperand(const KernelParam &param, std::mt19937 &rng);

/// Uniform codes for a code parameter (one byte per code), drawn on up to 16
/// cores (a 28672 x 8192 weight is 235 M codes): splitmix64 streams seeded
/// per 1 Mi-code chunk, so the result depends only on `seed`, not on the
/// number of threads. Non-finite float codes (e4m3's NaNs, e5m2's
/// infinities and NaNs) become the largest finite code below them.
NpyArray randomCodes(const KernelParam &param, uint64_t seed);

/// The benchmarks' and the tuner's operands: randomCodes (with `seed`) for
/// code operands (weights, zero points, quantized activations: one byte per
/// code), randomOperand (from `rng`) for reals and scales, 8-bit float
/// scales among them, whose codes must stay near 1.
NpyArray randomArgument(const KernelParam &param, std::mt19937 &rng, uint64_t seed);

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_KERNELMANIFEST_H
