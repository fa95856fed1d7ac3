//===- Checkpoint.cpp - AWQ and GPTQ checkpoints --------------------------===//
#include "lowbit/Quant/Checkpoint.h"
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Support/Npy.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cstring>
#include <numeric>

using namespace mlir::lowbit;
using namespace mlir::lowbit::quant;

namespace {

llvm::Error error(const SafeTensorsFile &file, const std::string &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 file.path + ": " + what);
}

/// A tensor of the layer, checked for dtype and rank.
llvm::Expected<const SafeTensor &> tensorOf(const SafeTensorsFile &file,
                                            const std::string &name,
                                            const std::string &dtype,
                                            size_t rank) {
  llvm::Expected<const SafeTensor &> tensor = file.get(name);
  if (!tensor)
    return tensor.takeError();
  if (tensor->dtype != dtype || tensor->shape.size() != rank)
    return error(file, "tensor '" + name + "' is " + tensor->dtype + " of rank " +
                           std::to_string(tensor->shape.size()) + ", expected " +
                           dtype + " of rank " + std::to_string(rank));
  return tensor;
}

uint32_t word(const SafeTensor &t, int64_t i) {
  uint32_t w;
  memcpy(&w, &t.data[i * 4], 4);
  return w;
}

float half(const SafeTensor &t, int64_t i) {
  uint16_t bits;
  memcpy(&bits, &t.data[i * 2], 2);
  return float(halfToDouble(bits));
}

/// The tensors both formats have.
struct PackedLayer {
  const SafeTensor &qweight, &qzeros, &scales;

  static llvm::Expected<PackedLayer> read(const SafeTensorsFile &file,
                                          const std::string &prefix) {
    auto qweight = tensorOf(file, prefix + ".qweight", "I32", 2);
    if (!qweight)
      return qweight.takeError();
    auto qzeros = tensorOf(file, prefix + ".qzeros", "I32", 2);
    if (!qzeros)
      return qzeros.takeError();
    auto scales = tensorOf(file, prefix + ".scales", "F16", 2);
    if (!scales)
      return scales.takeError();
    return PackedLayer{*qweight, *qzeros, *scales};
  }
};

/// Checks the shapes shared by both formats (`bits`-bit codes and zero
/// points, the zero points packed along N) and fills n, k, bits, groupSize.
llvm::Error checkShapes(const SafeTensorsFile &file, const std::string &prefix, int64_t k,
                        int64_t n, int bits, const SafeTensor &qzeros, const SafeTensor &scales,
                        QuantizedLinear &out) {
  if (k <= 0 || n <= 0 || n * bits % 32)
    return error(file, prefix + ": N must be a positive multiple of " +
                           std::to_string(32 / std::gcd(bits, 32)));
  int64_t groups = scales.shape[0];
  if (scales.shape[1] != n || groups <= 0 || k % groups)
    return error(file, prefix + ".scales has shape [" +
                           std::to_string(scales.shape[0]) + ", " +
                           std::to_string(scales.shape[1]) +
                           "], which does not fit K = " + std::to_string(k) +
                           ", N = " + std::to_string(n));
  if (qzeros.shape[0] != groups || qzeros.shape[1] != n * bits / 32)
    return error(file, prefix + ".qzeros does not match the scales");
  out.n = n;
  out.k = k;
  out.bits = bits;
  out.groupSize = k / groups;
  out.codes.assign(n * k, 0);
  out.scales.assign(n * groups, 0);
  out.zeros.assign(n * groups, 0);
  return llvm::Error::success();
}

/// Value `index` of a little-endian stream of `bits`-bit values over int32
/// words, the stream's word i being `wordAt(i)`. GPTQ packs 2-, 4- and
/// 8-bit values whole into words and 3-bit ones 32 to 3 words, two of them
/// split across words: the same stream.
template <typename WordAt> uint8_t streamValue(WordAt wordAt, int64_t index, int bits) {
  int64_t bit = index * bits;
  int64_t offset = bit % 32;
  uint64_t window = wordAt(bit / 32) >> offset;
  if (offset + bits > 32)
    window |= uint64_t(wordAt(bit / 32 + 1)) << (32 - offset);
  return uint8_t(window & ((1u << bits) - 1));
}

} // namespace

std::vector<float> QuantizedLinear::dequantize() const {
  std::vector<float> w(n * k);
  int64_t groups = k / groupSize;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col) {
      int64_t g = row * groups + col / groupSize;
      w[row * k + col] =
          (float(codes[row * k + col]) - float(zeros[g])) * scales[g];
    }
  return w;
}

llvm::Expected<QuantizedLinear> mlir::lowbit::quant::loadAWQ(const SafeTensorsFile &file,
                                                       const std::string &prefix) {
  auto packed = PackedLayer::read(file, prefix);
  if (!packed)
    return packed.takeError();
  const SafeTensor &qweight = packed->qweight, &qzeros = packed->qzeros,
                   &scales = packed->scales;
  QuantizedLinear out;
  int64_t k = qweight.shape[0], n = qweight.shape[1] * 8;
  if (llvm::Error e = checkShapes(file, prefix, k, n, /*bits=*/4, qzeros, scales, out))
    return std::move(e);
  int64_t groups = k / out.groupSize;
  for (int64_t row = 0; row < k; ++row)
    for (int64_t w = 0; w < n / 8; ++w) {
      uint32_t packed = word(qweight, row * (n / 8) + w);
      for (int i = 0; i < 8; ++i)
        out.codes[(w * 8 + kAwqOrder[i]) * k + row] = (packed >> (4 * i)) & 0xf;
    }
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t w = 0; w < n / 8; ++w) {
      uint32_t packed = word(qzeros, g * (n / 8) + w);
      for (int i = 0; i < 8; ++i)
        out.zeros[(w * 8 + kAwqOrder[i]) * groups + g] = (packed >> (4 * i)) & 0xf;
    }
    for (int64_t col = 0; col < n; ++col)
      out.scales[col * groups + g] = half(scales, g * n + col);
  }
  return out;
}

llvm::Expected<QuantizedLinear> mlir::lowbit::quant::loadGPTQ(const SafeTensorsFile &file,
                                                        const std::string &prefix,
                                                        int zeroOffset) {
  // The two formats' offsets: anything else makes zero points that fit no
  // code, or (negative) wrap around below 0.
  if (zeroOffset != 0 && zeroOffset != 1)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the GPTQ zero offset is 0 (gptq_v2) or 1 (the original "
                                   "format), not " +
                                       std::to_string(zeroOffset));
  auto packed = PackedLayer::read(file, prefix);
  if (!packed)
    return packed.takeError();
  const SafeTensor &qweight = packed->qweight, &qzeros = packed->qzeros,
                   &scales = packed->scales;
  QuantizedLinear out;
  // The width of the codes is not stored: it is what makes the zero points,
  // one per output channel packed along N, fill their rows.
  int64_t n = qweight.shape[1];
  int64_t zeroBits = n > 0 && qzeros.shape[1] * 32 % n == 0 ? qzeros.shape[1] * 32 / n : 0;
  if (!llvm::is_contained(kGPTQBits, zeroBits))
    return error(file, prefix + ".qzeros has " + std::to_string(qzeros.shape[1]) +
                           " words per group for N = " + std::to_string(n) +
                           ": not 2-, 3-, 4- or 8-bit zero points");
  int bits = int(zeroBits);
  int64_t k = qweight.shape[0] * 32 / bits;
  if (qweight.shape[0] * 32 % bits)
    return error(file, prefix + ".qweight has " + std::to_string(qweight.shape[0]) +
                           " rows, not whole groups of 32 " + std::to_string(bits) + "-bit codes");
  if (llvm::Error e = checkShapes(file, prefix, k, n, bits, qzeros, scales, out))
    return std::move(e);
  int64_t groups = k / out.groupSize;

  // Group of each input channel: g_idx when present (act-order), else k / g.
  std::vector<int64_t> groupOf(k);
  for (int64_t row = 0; row < k; ++row)
    groupOf[row] = row / out.groupSize;
  if (file.tensors.count(prefix + ".g_idx")) {
    auto gIdx = tensorOf(file, prefix + ".g_idx", "I32", 1);
    if (!gIdx)
      return gIdx.takeError();
    if (gIdx->shape[0] != k)
      return error(file, prefix + ".g_idx has " + std::to_string(gIdx->shape[0]) +
                             " entries for K = " + std::to_string(k));
    std::vector<int64_t> perGroup(groups, 0);
    for (int64_t row = 0; row < k; ++row) {
      int32_t g;
      memcpy(&g, &gIdx->data[row * 4], 4);
      if (g < 0 || g >= groups)
        return error(file, prefix + ".g_idx[" + std::to_string(row) + "] = " +
                               std::to_string(g) + " is not a group");
      groupOf[row] = g;
      ++perGroup[g];
    }
    for (int64_t g = 0; g < groups; ++g)
      if (perGroup[g] != out.groupSize)
        return error(file, prefix + ".g_idx puts " + std::to_string(perGroup[g]) +
                               " channels in group " + std::to_string(g) +
                               ", expected " + std::to_string(out.groupSize));
  }
  // Reorder input channels so that each group is contiguous (stable).
  std::vector<int64_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return groupOf[a] < groupOf[b];
  });
  bool identity = true;
  for (int64_t i = 0; i < k; ++i)
    identity &= order[i] == i;
  if (!identity)
    out.inputPermutation = order;

  // qweight [K * bits / 32, N]: each column a stream along K.
  for (int64_t col = 0; col < n; ++col) {
    auto columnWord = [&](int64_t i) { return word(qweight, i * n + col); };
    for (int64_t i = 0; i < k; ++i)
      out.codes[col * k + i] = streamValue(columnWord, order[i], bits);
  }
  // qzeros [groups, N * bits / 32]: each row a stream along N.
  int64_t zeroWords = n * bits / 32;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t col = 0; col < n; ++col) {
      auto rowWord = [&](int64_t i) { return word(qzeros, g * zeroWords + i); };
      int zero = int(streamValue(rowWord, col, bits)) + zeroOffset;
      if (zero >= (1 << bits))
        return error(file, prefix + ": zero point " + std::to_string(zero) + " does not fit " +
                               std::to_string(bits) + " bits (wrong zero offset?)");
      out.zeros[col * groups + g] = uint8_t(zero);
      out.scales[col * groups + g] = half(scales, g * n + col);
    }
  return out;
}
