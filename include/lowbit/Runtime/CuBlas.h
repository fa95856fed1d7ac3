//===- CuBlas.h - cuBLAS, loaded at run time, as the vendor baseline ------===//
//
// lowbit-bench times its kernels against cuBLAS in the same process. The
// library is opened with dlopen (libcublas.so.13, .12, or $LOWBIT_CUBLAS), so
// nothing links against CUDA at build time.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_CUBLAS_H
#define LOWBIT_RUNTIME_CUBLAS_H

#include "lowbit/Runtime/CudaDriver.h"

namespace mlir::lowbit::runtime {

class CuBlas {
public:
  static llvm::Expected<std::unique_ptr<CuBlas>> open();
  ~CuBlas();
  /// Which library was loaded.
  const std::string &library() const { return path; }

  /// Queues y[M, N] = x[M, K] * w[N, K]^T, all bf16 and row-major, f32
  /// accumulation (what torch.nn.functional.linear runs).
  llvm::Error linearBf16(int64_t m, int64_t n, int64_t k, DevicePtr x,
                         DevicePtr w, DevicePtr y);
  /// Queues y[M, N] = x[M, K] * w[N, K]^T with s8 operands and an s32
  /// result (what torch._int_mm runs). cuBLAS needs K and N multiples of 4.
  llvm::Error linearInt8(int64_t m, int64_t n, int64_t k, DevicePtr x,
                         DevicePtr w, DevicePtr y);

  struct Api;

private:
  CuBlas() = default;
  std::unique_ptr<Api> api;
  void *handle = nullptr;
  std::string path;
};

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_CUBLAS_H
