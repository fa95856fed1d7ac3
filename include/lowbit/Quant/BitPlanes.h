//===- BitPlanes.h - bipolar bit planes and lookup tables -----------------===//
//
// The C++ twins of lowbit.bitplane_decompose / bitplane_matmul and
// lut_build / lut_matmul (definitions in docs/LowBitDialect.md).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_QUANT_BITPLANES_H
#define LOWBIT_QUANT_BITPLANES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir::lowbit::quant {

/// planes[p][i] = bit p of codes[i], for `bits` planes.
std::vector<uint8_t> bitplaneDecompose(llvm::ArrayRef<uint8_t> codes,
                                       unsigned bits);

/// The exact product A x W^T of bipolar matrices given as planes:
/// input [P, M, K], weight [Q, N, K] -> [M, N].
std::vector<int32_t> bitplaneMatmul(llvm::ArrayRef<uint8_t> input,
                                    llvm::ArrayRef<uint8_t> weight, int64_t p,
                                    int64_t q, int64_t m, int64_t n, int64_t k);

/// Bytes of one row of K bits in the GPU layout of bit planes: bit k % 8 of
/// byte k / 8, padded with zero bits to a multiple of 16 bytes (one cp.async
/// chunk), so that every row starts aligned.
inline int64_t bitRowBytes(int64_t k) { return (k + 127) / 128 * 16; }

/// `rows` rows of K bits given one per byte (0 or 1; any other value is an
/// error) packed into that layout.
llvm::Expected<std::vector<uint8_t>> packBitRows(llvm::ArrayRef<uint8_t> bits,
                                                 int64_t rows, int64_t k);

/// A x W^T from planes packed by packBitRows ([P * M] and [Q * N] rows), the
/// way the `bitplane` GPU kernel computes it: popcounts of every plane pair
/// ANDed, weighted 2^(i+j), and the bipolar correction from the rows'
/// popcounts, all in wrapping 32-bit arithmetic. The host twin of the
/// kernel's arithmetic; bitplaneMatmul is the definition.
std::vector<int32_t> bitplaneMatmulPacked(llvm::ArrayRef<uint8_t> input,
                                          llvm::ArrayRef<uint8_t> weight, int64_t p,
                                          int64_t q, int64_t m, int64_t n, int64_t k);

/// Tables of signed sums of groups of `group` activations: [M, K] ->
/// [M, K / group, entries], entries = 2^group (2^(group-1) if symmetric).
std::vector<float> lutBuild(llvm::ArrayRef<float> x, int64_t m, int64_t k,
                            int64_t group, bool symmetric);

/// Groups `group` consecutive bits of each bipolar weight plane into table
/// indices: codes [N, K] of `planes` bits -> [planes, N, K / group].
std::vector<uint8_t> lutWeightIndices(llvm::ArrayRef<uint8_t> codes,
                                      unsigned planes, int64_t n, int64_t k,
                                      int64_t group);

/// result[m, n] = sum_p 2^p sum_j T[m, j, idx[p, n, j]] * scale(n, j * group),
/// with `scaleOf(n, k)` giving the weight scale of element (n, k).
template <typename ScaleFn>
std::vector<float> lutMatmul(llvm::ArrayRef<float> table,
                             llvm::ArrayRef<uint8_t> indices, int64_t m,
                             int64_t n, int64_t groups, unsigned planes,
                             int64_t group, bool symmetric, ScaleFn scaleOf) {
  int64_t entries = int64_t(1) << (symmetric ? group - 1 : group);
  int64_t half = int64_t(1) << (group - 1), mask = (int64_t(1) << group) - 1;
  std::vector<float> result(m * n, 0.0f);
  for (int64_t row = 0; row < m; ++row)
    for (int64_t col = 0; col < n; ++col) {
      double acc = 0;
      for (unsigned p = 0; p < planes; ++p)
        for (int64_t j = 0; j < groups; ++j) {
          int64_t index = indices[(p * n + col) * groups + j];
          double sign = 1;
          if (symmetric) {
            if (index >= half)
              index -= half;
            else
              index = (index ^ mask) - half, sign = -1;
          }
          acc += sign * table[(row * groups + j) * entries + index] *
                 double(int64_t(1) << p) * scaleOf(col, j * group);
        }
      result[row * n + col] = float(acc);
    }
  return result;
}

} // namespace mlir::lowbit::quant

#endif // LOWBIT_QUANT_BITPLANES_H
