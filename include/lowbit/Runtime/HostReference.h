//===- HostReference.h - what a matmul kernel should compute, on the host --===//
//
// From a manifest and the logical operands a runner drew: the real
// activations and weights the kernel multiplies (codes decoded and scaled
// with the quantization library), and float64 products of chosen rows. The
// benchmark and the autotuner check kernels against these.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_HOSTREFERENCE_H
#define LOWBIT_RUNTIME_HOSTREFERENCE_H

#include "lowbit/Quant/Quantize.h"
#include "lowbit/Runtime/KernelManifest.h"

namespace mlir::lowbit::runtime {

/// The code type of a quantized parameter (from the manifest's `code`, else
/// an integer of `bits`).
llvm::Expected<quant::CodeType> codeTypeOf(const KernelParam &param);

struct RealOperands {
  int64_t m = 0, n = 0, k = 0;
  std::vector<float> x, w; // row-major [M, K] and [N, K]
};

/// The real values behind `logical` (one array per parameter but the result,
/// in manifest order).
llvm::Expected<RealOperands> realOperands(const KernelManifest &manifest,
                                          llvm::ArrayRef<NpyArray> logical);

/// Rows a check covers: all of them for small products, else 16 spread over
/// M (first and last included).
std::vector<int64_t> checkedRows(int64_t m, int64_t n, int64_t k);
/// float64 x * w^T on `rows`, row after row.
std::vector<double> referenceRows(const RealOperands &real, llvm::ArrayRef<int64_t> rows);
/// The `rows` of a row-major [M, N] array, as their own array: decode only
/// the checked rows (a whole output has up to hundreds of millions of
/// elements).
NpyArray pickRows(const NpyArray &array, llvm::ArrayRef<int64_t> rows, int64_t n);

} // namespace mlir::lowbit::runtime

#endif // LOWBIT_RUNTIME_HOSTREFERENCE_H
