//===- CuBlas.h - cuBLAS, loaded at run time, as the vendor baseline ------===//
//
// lowbit-bench times its kernels against cuBLAS in the same process. The
// library is opened with dlopen (libcublas.so.13, .12, or $LOWBIT_CUBLAS), so
// nothing links against CUDA at build time. The FP8 baseline is cuBLASLt,
// opened the same way ($LOWBIT_CUBLASLT, libcublasLt next to the cuBLAS that
// was loaded, libcublasLt.so.13, .12) at the first linearFp8 call, so that a
// missing cuBLASLt fails that call only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_CUBLAS_H
#define LOWBIT_RUNTIME_CUBLAS_H

#include "lowbit/Runtime/CudaDriver.h"

namespace mlir::lowbit::runtime {

class CuBlas {
public:
  /// `device` (optional) allocates linearFp8's cuBLASLt workspace and frees
  /// it when this object goes: it must outlive the CuBlas.
  static llvm::Expected<std::unique_ptr<CuBlas>> open(CudaDevice *device = nullptr);
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
  /// Queues y[M, N] (bf16) = x[M, K] * w[N, K]^T with e4m3 operands, all
  /// row-major, f32 accumulation and unit scales (cuBLASLt, what
  /// torch._scaled_mm runs for FP8 W8A8, scales left out). cuBLASLt FP8 needs
  /// sm_89 or later, K a multiple of 16 and N of 8. The first call for an
  /// (M, N, K) loads cuBLASLt if needed and picks the algorithm (heuristic,
  /// 32 MiB workspace); later calls only queue cublasLtMatmul. Needs the
  /// device given to open().
  llvm::Error linearFp8(int64_t m, int64_t n, int64_t k, DevicePtr x,
                        DevicePtr w, DevicePtr y);
  /// The cuBLASLt library linearFp8 loaded (empty before then).
  const std::string &ltLibrary() const { return ltPath; }

  struct Api;

private:
  CuBlas() = default;
  llvm::Error openLt();
  std::unique_ptr<Api> api;
  void *handle = nullptr;
  std::string path, ltPath;
  CudaDevice *device = nullptr;
};

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_CUBLAS_H
