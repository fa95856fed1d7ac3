//===- CuBlas.cpp - cuBLAS, loaded at run time ----------------------------===//
#include "lowbit/Runtime/CuBlas.h"

#include <cstdlib>
#include <dlfcn.h>

using namespace mlir::lowbit::runtime;

namespace {
// cuBLAS enums, from cublas_api.h / library_types.h.
constexpr int kOpN = 0, kOpT = 1;
constexpr int kBf16 = 14;       // CUDA_R_16BF
constexpr int kInt8 = 3;        // CUDA_R_8I
constexpr int kInt32 = 10;      // CUDA_R_32I
constexpr int kCompute32F = 68; // CUBLAS_COMPUTE_32F
constexpr int kCompute32I = 72; // CUBLAS_COMPUTE_32I
constexpr int kGemmDefault = -1;
} // namespace

struct CuBlas::Api {
  void *library = nullptr;
  int (*create)(void **);
  int (*destroy)(void *);
  int (*gemmEx)(void *, int, int, int, int, int, const void *, const void *, int,
                int, const void *, int, int, const void *, void *, int, int, int,
                int);
};

llvm::Expected<std::unique_ptr<CuBlas>> CuBlas::open() {
  std::unique_ptr<CuBlas> blas(new CuBlas());
  blas->api = std::make_unique<Api>();
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("LOWBIT_CUBLAS"); env && *env)
    candidates.push_back(env);
  candidates.insert(candidates.end(), {"libcublas.so.13", "libcublas.so.12", "libcublas.so"});
  for (const std::string &name : candidates) {
    blas->api->library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (blas->api->library) {
      blas->path = name;
      break;
    }
  }
  if (!blas->api->library)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "cuBLAS cannot be loaded (tried $LOWBIT_CUBLAS, libcublas.so.13, .12)");
  Api &api = *blas->api;
  api.create = reinterpret_cast<decltype(api.create)>(dlsym(api.library, "cublasCreate_v2"));
  api.destroy = reinterpret_cast<decltype(api.destroy)>(dlsym(api.library, "cublasDestroy_v2"));
  api.gemmEx = reinterpret_cast<decltype(api.gemmEx)>(dlsym(api.library, "cublasGemmEx"));
  if (!api.create || !api.destroy || !api.gemmEx)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   blas->path + " lacks cublasCreate_v2 or cublasGemmEx");
  if (int status = api.create(&blas->handle))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cublasCreate failed: status " + std::to_string(status));
  return blas;
}

CuBlas::~CuBlas() {
  if (api && handle)
    api->destroy(handle);
}

llvm::Error CuBlas::linearBf16(int64_t m, int64_t n, int64_t k, DevicePtr x,
                               DevicePtr w, DevicePtr y) {
  // Column-major view: y^T[N, M] = w^T... i.e. C(N x M) = op(W)(N x K) * X(K x M)
  // with W stored as K x N column-major (row-major [N, K]) transposed.
  float alpha = 1.0f, beta = 0.0f;
  int status = api->gemmEx(handle, kOpT, kOpN, int(n), int(m), int(k), &alpha,
                           reinterpret_cast<void *>(w), kBf16, int(k),
                           reinterpret_cast<void *>(x), kBf16, int(k), &beta,
                           reinterpret_cast<void *>(y), kBf16, int(n), kCompute32F,
                           kGemmDefault);
  if (status)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cublasGemmEx failed: status " + std::to_string(status));
  return llvm::Error::success();
}

llvm::Error CuBlas::linearInt8(int64_t m, int64_t n, int64_t k, DevicePtr x,
                               DevicePtr w, DevicePtr y) {
  // The same column-major view as linearBf16, on s8 with s32 results.
  int32_t alpha = 1, beta = 0;
  int status = api->gemmEx(handle, kOpT, kOpN, int(n), int(m), int(k), &alpha,
                           reinterpret_cast<void *>(w), kInt8, int(k),
                           reinterpret_cast<void *>(x), kInt8, int(k), &beta,
                           reinterpret_cast<void *>(y), kInt32, int(n), kCompute32I,
                           kGemmDefault);
  if (status)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cublasGemmEx (int8) failed: status " +
                                       std::to_string(status));
  return llvm::Error::success();
}
