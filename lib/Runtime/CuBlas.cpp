//===- CuBlas.cpp - cuBLAS, loaded at run time ----------------------------===//
#include "lowbit/Runtime/CuBlas.h"

#include <array>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <type_traits>

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

// cuBLASLt, from NVIDIA's library_types.h (cudaDataType_t) and cublasLt.h
// (cublasLtMatmulDescAttributes_t, cublasLtMatmulPreferenceAttributes_t,
// cublasLtMatmulAlgo_t, cublasLtMatmulHeuristicResult_t). These are ABI
// values: later CUDA releases only append to the enums.
constexpr int kFloat32 = 0;      // CUDA_R_32F
constexpr int kFp8E4M3 = 28;     // CUDA_R_8F_E4M3
constexpr int kDescTransA = 3;   // CUBLASLT_MATMUL_DESC_TRANSA (int32_t)
constexpr int kDescTransB = 4;   // CUBLASLT_MATMUL_DESC_TRANSB (int32_t)
constexpr int kPrefMaxWorkspace = 1; // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES (uint64_t)
constexpr size_t kLtWorkspaceBytes = size_t(32) << 20;

struct LtAlgo { // cublasLtMatmulAlgo_t
  uint64_t data[8];
};
struct LtHeuristicResult { // cublasLtMatmulHeuristicResult_t
  LtAlgo algo;
  size_t workspaceSize;
  int state; // cublasStatus_t
  float wavesCount;
  int reserved[4];
};

/// Descriptors and algorithm of one linearFp8 shape, made once.
struct Fp8Plan {
  void *desc = nullptr;                  // cublasLtMatmulDesc_t
  void *a = nullptr, *b = nullptr, *d = nullptr; // cublasLtMatrixLayout_t
  LtAlgo algo{};
};

llvm::Error blasError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

struct CuBlas::Api {
  void *library = nullptr;
  int (*create)(void **);
  int (*destroy)(void *);
  int (*gemmEx)(void *, int, int, int, int, int, const void *, const void *, int,
                int, const void *, int, int, const void *, void *, int, int, int,
                int);

  // cuBLASLt, loaded by the first linearFp8 (prototypes from cublasLt.h;
  // handles and descriptors are pointers, enums int).
  bool ltTried = false;
  std::string ltError; // why cuBLASLt cannot run, once known
  void *ltLibrary = nullptr;
  void *ltHandle = nullptr;
  DevicePtr workspace = 0;
  int (*ltCreate)(void **) = nullptr;
  int (*ltDestroy)(void *) = nullptr;
  const char *(*ltStatusName)(int) = nullptr; // optional
  int (*descCreate)(void **, int, int) = nullptr;
  int (*descDestroy)(void *) = nullptr;
  int (*descSetAttribute)(void *, int, const void *, size_t) = nullptr;
  int (*layoutCreate)(void **, int, uint64_t, uint64_t, int64_t) = nullptr;
  int (*layoutDestroy)(void *) = nullptr;
  int (*prefCreate)(void **) = nullptr;
  int (*prefDestroy)(void *) = nullptr;
  int (*prefSetAttribute)(void *, int, const void *, size_t) = nullptr;
  int (*heuristic)(void *, void *, void *, void *, void *, void *, void *, int,
                   LtHeuristicResult *, int *) = nullptr;
  int (*matmul)(void *, void *, const void *, const void *, void *, const void *,
                void *, const void *, const void *, void *, void *, void *,
                const LtAlgo *, void *, size_t, void *) = nullptr;
  std::map<std::array<int64_t, 3>, Fp8Plan> fp8Plans;

  std::string status(int code) const {
    std::string text = "status " + std::to_string(code);
    if (ltStatusName)
      if (const char *name = ltStatusName(code))
        text += std::string(" (") + name + ")";
    return text;
  }
  void destroyPlan(Fp8Plan &plan) {
    if (plan.desc)
      descDestroy(plan.desc);
    for (void *layout : {plan.a, plan.b, plan.d})
      if (layout)
        layoutDestroy(layout);
    plan = Fp8Plan();
  }
};

llvm::Expected<std::unique_ptr<CuBlas>> CuBlas::open(CudaDevice *device) {
  std::unique_ptr<CuBlas> blas(new CuBlas());
  blas->device = device;
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
  if (!api)
    return;
  for (auto &entry : api->fp8Plans)
    api->destroyPlan(entry.second);
  if (api->ltHandle)
    api->ltDestroy(api->ltHandle);
  if (api->workspace && device)
    device->free(api->workspace);
  if (handle)
    api->destroy(handle);
}

namespace {
/// y[M, N] = x[M, K] * w[N, K]^T through cublasGemmEx: in cuBLAS's
/// column-major view C(N x M) = op(W)(N x K) * X(K x M), W being the
/// row-major [N, K] weights read as K x N column-major and transposed.
llvm::Error linear(CuBlas::Api &api, void *handle, int64_t m, int64_t n, int64_t k,
                   DevicePtr x, DevicePtr w, DevicePtr y, int abType, int cType,
                   int compute, const void *alpha, const void *beta, const char *what) {
  int status = api.gemmEx(handle, kOpT, kOpN, int(n), int(m), int(k), alpha,
                          reinterpret_cast<void *>(w), abType, int(k),
                          reinterpret_cast<void *>(x), abType, int(k), beta,
                          reinterpret_cast<void *>(y), cType, int(n), compute,
                          kGemmDefault);
  if (status)
    return blasError(std::string(what) + " failed: status " + std::to_string(status));
  return llvm::Error::success();
}
} // namespace

llvm::Error CuBlas::linearBf16(int64_t m, int64_t n, int64_t k, DevicePtr x,
                               DevicePtr w, DevicePtr y) {
  float alpha = 1.0f, beta = 0.0f;
  return linear(*api, handle, m, n, k, x, w, y, kBf16, kBf16, kCompute32F, &alpha, &beta,
                "cublasGemmEx");
}

llvm::Error CuBlas::linearInt8(int64_t m, int64_t n, int64_t k, DevicePtr x,
                               DevicePtr w, DevicePtr y) {
  // s8 operands, s32 results and alpha/beta.
  int32_t alpha = 1, beta = 0;
  return linear(*api, handle, m, n, k, x, w, y, kInt8, kInt32, kCompute32I, &alpha, &beta,
                "cublasGemmEx (int8)");
}

llvm::Error CuBlas::openLt() {
  Api &a = *api;
  if (a.ltTried)
    return a.ltError.empty() ? llvm::Error::success() : blasError(a.ltError);
  a.ltTried = true;
  auto failure = [&](const std::string &message) {
    a.ltError = message;
    return blasError(message);
  };
  if (!device)
    return failure("cuBLASLt FP8 needs the CudaDevice passed to CuBlas::open "
                   "(for its workspace)");
  // $LOWBIT_CUBLASLT, then the cuBLASLt beside the cuBLAS loaded (libcublas
  // needs it, so that one is usually loaded already), then by soname.
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("LOWBIT_CUBLASLT"); env && *env)
    candidates.push_back(env);
  size_t slash = path.rfind('/');
  size_t nameAt = slash == std::string::npos ? 0 : slash + 1;
  if (path.compare(nameAt, 12, "libcublas.so") == 0) {
    // libcublas.so.12.8.4.1 -> libcublasLt.so.12.8.4.1, then libcublasLt.so.12.
    std::string dir = path.substr(0, nameAt), suffix = path.substr(nameAt + 9);
    std::string major = suffix.substr(0, suffix.find('.', 4));
    candidates.push_back(dir + "libcublasLt" + suffix);
    if (major != suffix) {
      candidates.push_back(dir + "libcublasLt" + major);
      candidates.push_back("libcublasLt" + major);
    }
  }
  candidates.insert(candidates.end(),
                    {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"});
  for (const std::string &name : candidates) {
    a.ltLibrary = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (a.ltLibrary) {
      ltPath = name;
      break;
    }
  }
  if (!a.ltLibrary)
    return failure("cuBLASLt cannot be loaded (tried $LOWBIT_CUBLASLT, "
                   "libcublasLt beside " + path + ", libcublasLt.so.13, .12)");
  auto load = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(a.ltLibrary, name));
    return fn != nullptr;
  };
  load(a.ltStatusName, "cublasLtGetStatusName");
  const char *missing = nullptr;
  for (auto [ok, name] :
       {std::pair{load(a.ltCreate, "cublasLtCreate"), "cublasLtCreate"},
        {load(a.ltDestroy, "cublasLtDestroy"), "cublasLtDestroy"},
        {load(a.descCreate, "cublasLtMatmulDescCreate"), "cublasLtMatmulDescCreate"},
        {load(a.descDestroy, "cublasLtMatmulDescDestroy"), "cublasLtMatmulDescDestroy"},
        {load(a.descSetAttribute, "cublasLtMatmulDescSetAttribute"),
         "cublasLtMatmulDescSetAttribute"},
        {load(a.layoutCreate, "cublasLtMatrixLayoutCreate"), "cublasLtMatrixLayoutCreate"},
        {load(a.layoutDestroy, "cublasLtMatrixLayoutDestroy"), "cublasLtMatrixLayoutDestroy"},
        {load(a.prefCreate, "cublasLtMatmulPreferenceCreate"),
         "cublasLtMatmulPreferenceCreate"},
        {load(a.prefDestroy, "cublasLtMatmulPreferenceDestroy"),
         "cublasLtMatmulPreferenceDestroy"},
        {load(a.prefSetAttribute, "cublasLtMatmulPreferenceSetAttribute"),
         "cublasLtMatmulPreferenceSetAttribute"},
        {load(a.heuristic, "cublasLtMatmulAlgoGetHeuristic"),
         "cublasLtMatmulAlgoGetHeuristic"},
        {load(a.matmul, "cublasLtMatmul"), "cublasLtMatmul"}})
    if (!ok && !missing)
      missing = name;
  if (missing)
    return failure(ltPath + " lacks " + missing);
  if (int status = a.ltCreate(&a.ltHandle)) {
    a.ltHandle = nullptr;
    return failure("cublasLtCreate failed: " + a.status(status));
  }
  auto workspace = device->alloc(kLtWorkspaceBytes);
  if (!workspace)
    return failure("cannot allocate the cuBLASLt workspace: " +
                   llvm::toString(workspace.takeError()));
  a.workspace = *workspace;
  return llvm::Error::success();
}

llvm::Error CuBlas::linearFp8(int64_t m, int64_t n, int64_t k, DevicePtr x,
                              DevicePtr w, DevicePtr y) {
  if (llvm::Error e = openLt())
    return e;
  Api &a = *api;
  std::string shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  auto found = a.fp8Plans.find({m, n, k});
  if (found == a.fp8Plans.end()) {
    // cuBLASLt FP8 (sm_89/sm_90) takes only TN: in column-major terms
    // y^T[N, M] = op(A)[N, K] * B[K, M] with A = w (K x N column-major, ld
    // K) transposed, B = x (K x M column-major, ld K), D = y^T (N x M, ld N,
    // bf16; C the same layout, unused with beta = 0). No scale pointers: a
    // null A/B/D scale is 1.
    Fp8Plan plan;
    auto fail = [&](const std::string &what, int status) {
      a.destroyPlan(plan);
      return blasError("cuBLASLt FP8 " + shape + ": " + what + " failed: " +
                       a.status(status));
    };
    if (int status = a.descCreate(&plan.desc, kCompute32F, kFloat32))
      return fail("cublasLtMatmulDescCreate", status);
    int32_t transA = kOpT, transB = kOpN;
    if (int status = a.descSetAttribute(plan.desc, kDescTransA, &transA, sizeof(transA)))
      return fail("setting TRANSA", status);
    if (int status = a.descSetAttribute(plan.desc, kDescTransB, &transB, sizeof(transB)))
      return fail("setting TRANSB", status);
    if (int status = a.layoutCreate(&plan.a, kFp8E4M3, uint64_t(k), uint64_t(n), k))
      return fail("cublasLtMatrixLayoutCreate (A)", status);
    if (int status = a.layoutCreate(&plan.b, kFp8E4M3, uint64_t(k), uint64_t(m), k))
      return fail("cublasLtMatrixLayoutCreate (B)", status);
    if (int status = a.layoutCreate(&plan.d, kBf16, uint64_t(n), uint64_t(m), n))
      return fail("cublasLtMatrixLayoutCreate (D)", status);
    void *pref = nullptr;
    if (int status = a.prefCreate(&pref))
      return fail("cublasLtMatmulPreferenceCreate", status);
    uint64_t maxWorkspace = kLtWorkspaceBytes;
    int prefStatus = a.prefSetAttribute(pref, kPrefMaxWorkspace, &maxWorkspace,
                                        sizeof(maxWorkspace));
    LtHeuristicResult result{};
    int count = 0;
    int heuristicStatus =
        prefStatus ? 0
                   : a.heuristic(a.ltHandle, plan.desc, plan.a, plan.b, plan.d, plan.d,
                                 pref, 1, &result, &count);
    a.prefDestroy(pref);
    if (prefStatus)
      return fail("setting MAX_WORKSPACE_BYTES", prefStatus);
    if (heuristicStatus)
      return fail("cublasLtMatmulAlgoGetHeuristic (e4m3 needs sm_89+, K % 16 == 0, "
                  "N % 8 == 0)",
                  heuristicStatus);
    if (count < 1 || result.state) {
      a.destroyPlan(plan);
      return blasError("cuBLASLt has no e4m3 x e4m3 -> bf16 algorithm for " + shape +
                       " on this device (it needs sm_89+, K % 16 == 0, N % 8 == 0)");
    }
    plan.algo = result.algo;
    found = a.fp8Plans.emplace(std::array<int64_t, 3>{m, n, k}, plan).first;
  }
  const Fp8Plan &plan = found->second;
  float alpha = 1.0f, beta = 0.0f;
  void *out = reinterpret_cast<void *>(y);
  int status = a.matmul(a.ltHandle, plan.desc, &alpha, reinterpret_cast<void *>(w), plan.a,
                        reinterpret_cast<void *>(x), plan.b, &beta, out, plan.d, out,
                        plan.d, &plan.algo, reinterpret_cast<void *>(a.workspace),
                        kLtWorkspaceBytes, /*stream=*/nullptr);
  if (status)
    return blasError("cublasLtMatmul (fp8 " + shape + ") failed: " + a.status(status));
  return llvm::Error::success();
}
