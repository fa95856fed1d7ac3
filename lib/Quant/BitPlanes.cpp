//===- BitPlanes.cpp - bipolar bit planes and lookup tables ---------------===//
#include "lowbit/Quant/BitPlanes.h"

using namespace mlir::lowbit::quant;

std::vector<uint8_t> mlir::lowbit::quant::bitplaneDecompose(llvm::ArrayRef<uint8_t> codes,
                                                      unsigned bits) {
  std::vector<uint8_t> planes(bits * codes.size());
  for (unsigned p = 0; p < bits; ++p)
    for (size_t i = 0; i < codes.size(); ++i)
      planes[p * codes.size() + i] = (codes[i] >> p) & 1;
  return planes;
}

std::vector<int32_t> mlir::lowbit::quant::bitplaneMatmul(
    llvm::ArrayRef<uint8_t> input, llvm::ArrayRef<uint8_t> weight, int64_t p,
    int64_t q, int64_t m, int64_t n, int64_t k) {
  // Rebuild the bipolar values and multiply them directly: an independent
  // route to the plane-by-plane sum the op defines.
  auto values = [&](llvm::ArrayRef<uint8_t> planes, int64_t count,
                    int64_t rows) {
    std::vector<int64_t> v(rows * k, 0);
    for (int64_t plane = 0; plane < count; ++plane)
      for (int64_t i = 0; i < rows * k; ++i)
        v[i] += (planes[plane * rows * k + i] ? 1 : -1) * (int64_t(1) << plane);
    return v;
  };
  std::vector<int64_t> a = values(input, p, m), w = values(weight, q, n);
  std::vector<int32_t> result(m * n);
  for (int64_t row = 0; row < m; ++row)
    for (int64_t col = 0; col < n; ++col) {
      int64_t acc = 0;
      for (int64_t i = 0; i < k; ++i)
        acc += a[row * k + i] * w[col * k + i];
      result[row * n + col] = int32_t(acc);
    }
  return result;
}

llvm::Expected<std::vector<uint8_t>>
mlir::lowbit::quant::packBitRows(llvm::ArrayRef<uint8_t> bits, int64_t rows, int64_t k) {
  if (int64_t(bits.size()) != rows * k)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "bit planes: %zu values for %lld rows of %lld bits",
                                   bits.size(), (long long)rows, (long long)k);
  int64_t rowBytes = bitRowBytes(k);
  std::vector<uint8_t> packed(rows * rowBytes, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i) {
      uint8_t bit = bits[r * k + i];
      if (bit > 1)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "bit planes: value %u at row %lld, column %lld "
                                       "is not 0 or 1",
                                       unsigned(bit), (long long)r, (long long)i);
      packed[r * rowBytes + i / 8] |= uint8_t(bit << (i % 8));
    }
  return packed;
}

std::vector<int32_t> mlir::lowbit::quant::bitplaneMatmulPacked(
    llvm::ArrayRef<uint8_t> input, llvm::ArrayRef<uint8_t> weight, int64_t p,
    int64_t q, int64_t m, int64_t n, int64_t k) {
  int64_t rowBytes = bitRowBytes(k);
  auto row = [&](llvm::ArrayRef<uint8_t> planes, int64_t index) {
    return planes.slice(index * rowBytes, rowBytes);
  };
  auto popcount = [](llvm::ArrayRef<uint8_t> a) {
    uint32_t count = 0;
    for (uint8_t byte : a)
      count += __builtin_popcount(byte);
    return count;
  };
  // Sa[m] = sum_i 2^i popc(a_i[m]), Sw[n] likewise.
  auto weightedCounts = [&](llvm::ArrayRef<uint8_t> planes, int64_t count, int64_t rows) {
    std::vector<uint32_t> sums(rows, 0);
    for (int64_t plane = 0; plane < count; ++plane)
      for (int64_t r = 0; r < rows; ++r)
        sums[r] += popcount(row(planes, plane * rows + r)) << plane;
    return sums;
  };
  std::vector<uint32_t> sa = weightedCounts(input, p, m), sw = weightedCounts(weight, q, n);
  uint32_t maxA = (1u << p) - 1, maxW = (1u << q) - 1;
  std::vector<int32_t> result(m * n);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < n; ++c) {
      uint32_t pairs = 0;
      for (int64_t i = 0; i < p; ++i)
        for (int64_t j = 0; j < q; ++j) {
          llvm::ArrayRef<uint8_t> a = row(input, i * m + r), w = row(weight, j * n + c);
          uint32_t count = 0;
          for (int64_t byte = 0; byte < rowBytes; ++byte)
            count += __builtin_popcount(a[byte] & w[byte]);
          pairs += count << (i + j);
        }
      uint32_t v = 4 * pairs - 2 * maxW * sa[r] - 2 * maxA * sw[c] +
                   uint32_t(k) * maxA * maxW;
      result[r * n + c] = int32_t(v);
    }
  return result;
}

std::vector<float> mlir::lowbit::quant::lutBuild(llvm::ArrayRef<float> x, int64_t m,
                                           int64_t k, int64_t group,
                                           bool symmetric) {
  int64_t groups = k / group;
  int64_t entries = int64_t(1) << (symmetric ? group - 1 : group);
  int64_t offset = symmetric ? int64_t(1) << (group - 1) : 0;
  std::vector<float> table(m * groups * entries);
  for (int64_t row = 0; row < m; ++row)
    for (int64_t j = 0; j < groups; ++j)
      for (int64_t t = 0; t < entries; ++t) {
        double sum = 0;
        for (int64_t b = 0; b < group; ++b) {
          double v = x[row * k + j * group + b];
          sum += ((t + offset) >> b) & 1 ? v : -v;
        }
        table[(row * groups + j) * entries + t] = float(sum);
      }
  return table;
}

std::vector<uint8_t> mlir::lowbit::quant::lutWeightIndices(llvm::ArrayRef<uint8_t> codes,
                                                     unsigned planes, int64_t n,
                                                     int64_t k, int64_t group) {
  int64_t groups = k / group;
  std::vector<uint8_t> indices(planes * n * groups, 0);
  for (unsigned p = 0; p < planes; ++p)
    for (int64_t row = 0; row < n; ++row)
      for (int64_t j = 0; j < groups; ++j) {
        uint8_t index = 0;
        for (int64_t b = 0; b < group; ++b)
          index |= uint8_t(((codes[row * k + j * group + b] >> p) & 1) << b);
        indices[(p * n + row) * groups + j] = index;
      }
  return indices;
}
