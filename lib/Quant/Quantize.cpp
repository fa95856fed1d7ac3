//===- Quantize.cpp - reference quantization ------------------------------===//
#include "lowbit/Quant/Quantize.h"

#include "lowbit/Support/Npy.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

using namespace mlir::lowbit::quant;
using llvm::ArrayRef;
using llvm::Expected;

static llvm::Error error(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

int64_t mlir::lowbit::quant::numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Expected<std::vector<int64_t>>
Scheme::blockShape(ArrayRef<int64_t> shape) const {
  int64_t rank = shape.size();
  std::vector<int64_t> block(shape.begin(), shape.end());
  bool axial = granularity == Granularity::PerChannel ||
               granularity == Granularity::PerGroup ||
               granularity == Granularity::MXBlock;
  if (axial && (axis < 0 || axis >= rank))
    return error("scheme axis " + std::to_string(axis) +
                 " is out of range for a rank-" + std::to_string(rank) +
                 " tensor");
  switch (granularity) {
  case Granularity::PerTensor:
    break;
  case Granularity::PerChannel:
    block[axis] = 1;
    break;
  case Granularity::PerGroup:
  case Granularity::MXBlock:
    std::fill(block.begin(), block.end(), 1);
    block[axis] = groupSize;
    break;
  case Granularity::PerBlock:
    if (rank != 2 || this->block.size() != 2)
      return error("per_block granularity needs a rank-2 tensor and block");
    block = this->block;
    break;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (block[d] <= 0 || shape[d] % block[d] != 0)
      return error("group size " + std::to_string(block[d]) +
                   " does not divide dimension " + std::to_string(d) +
                   " of size " + std::to_string(shape[d]));
  return block;
}

Expected<std::vector<int64_t>>
Scheme::scaleShape(ArrayRef<int64_t> shape) const {
  auto block = blockShape(shape);
  if (!block)
    return block.takeError();
  std::vector<int64_t> result(shape.size());
  for (size_t d = 0; d < shape.size(); ++d)
    result[d] = shape[d] / (*block)[d];
  return result;
}

std::vector<int64_t> Scheme::outerScaleShape(ArrayRef<int64_t> shape) const {
  std::vector<int64_t> outer(shape.begin(), shape.end());
  if (axis >= 0 && axis < int64_t(shape.size()))
    outer[axis] = 1;
  return outer;
}

double Scheme::codeValue(uint8_t raw) const {
  if (!codebook.empty())
    return codebook[raw & (code.numCodes() - 1)];
  return code.decode(raw);
}

namespace {
/// Walks the elements of a row-major tensor and yields, for each, the flat
/// index of its scale and of its outer scale.
struct ScaleIndexer {
  std::vector<int64_t> shape, block, scaleStrides, outerStrides;
  int64_t axis;

  static Expected<ScaleIndexer> create(ArrayRef<int64_t> shape,
                                       const Scheme &scheme,
                                       const ScaleOperands &operands) {
    auto block = scheme.blockShape(shape);
    if (!block)
      return block.takeError();
    ScaleIndexer indexer;
    indexer.shape.assign(shape.begin(), shape.end());
    indexer.block = *block;
    indexer.axis = scheme.axis;
    std::vector<int64_t> scaleShape(shape.size());
    for (size_t d = 0; d < shape.size(); ++d)
      scaleShape[d] = shape[d] / indexer.block[d];
    indexer.scaleStrides = strides(scaleShape);
    indexer.outerStrides = strides(scheme.outerScaleShape(shape));
    int64_t numScales = numElements(scaleShape);
    if (int64_t(operands.scales.size()) != numScales)
      return error("expected " + std::to_string(numScales) + " scales, got " +
                   std::to_string(operands.scales.size()));
    if (scheme.zeroPoint != ZeroPoint::None &&
        int64_t(operands.zeroPoints.size()) != numScales)
      return error("expected " + std::to_string(numScales) +
                   " zero points, got " +
                   std::to_string(operands.zeroPoints.size()));
    if (scheme.twoLevel) {
      int64_t numOuter = numElements(scheme.outerScaleShape(shape));
      if (int64_t(operands.outerScales.size()) != numOuter)
        return error("expected " + std::to_string(numOuter) +
                     " outer scales, got " +
                     std::to_string(operands.outerScales.size()));
    }
    return indexer;
  }

  static std::vector<int64_t> strides(ArrayRef<int64_t> shape) {
    std::vector<int64_t> result(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      result[d] = result[d + 1] * shape[d + 1];
    return result;
  }

  /// Calls `fn(flat, scaleIndex, outerIndex)` for every element. Large
  /// tensors (a benchmark's 28672 x 8192 weight) split the flat range over up
  /// to 16 threads: `fn` must only touch element `flat`, so the result does
  /// not depend on the split.
  template <typename Fn> void forEach(Fn fn) const {
    int64_t total = numElements(shape);
    if (total == 0)
      return;
    auto run = [&](int64_t begin, int64_t end) {
      std::vector<int64_t> index(shape.size(), 0);
      for (int64_t d = int64_t(shape.size()) - 1, rest = begin; d >= 0; --d) {
        index[d] = rest % shape[d];
        rest /= shape[d];
      }
      for (int64_t flat = begin; flat < end; ++flat) {
        int64_t scaleIndex = 0, outerIndex = 0;
        for (size_t d = 0; d < shape.size(); ++d) {
          scaleIndex += index[d] / block[d] * scaleStrides[d];
          if (int64_t(d) != axis)
            outerIndex += index[d] * outerStrides[d];
        }
        fn(flat, scaleIndex, outerIndex);
        for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
          if (++index[d] < shape[d])
            break;
          index[d] = 0;
        }
      }
    };
    constexpr int64_t kPerThread = int64_t(1) << 20;
    int64_t threads = std::clamp<int64_t>(
        std::min<int64_t>(total / kPerThread, std::thread::hardware_concurrency()), 1, 16);
    if (threads == 1)
      return run(0, total);
    int64_t per = (total + threads - 1) / threads;
    std::vector<std::thread> workers;
    for (int64_t t = 0; t < threads; ++t)
      workers.emplace_back(run, t * per, std::min(total, (t + 1) * per));
    for (std::thread &w : workers)
      w.join();
  }
};
} // namespace

Expected<std::vector<uint8_t>>
mlir::lowbit::quant::quantize(ArrayRef<int64_t> shape, ArrayRef<float> values,
                        const Scheme &scheme, const ScaleOperands &operands) {
  if (int64_t(values.size()) != numElements(shape))
    return error("value count does not match the shape");
  auto indexer = ScaleIndexer::create(shape, scheme, operands);
  if (!indexer)
    return indexer.takeError();
  std::vector<double> table;
  if (!scheme.codebook.empty())
    table = scheme.codebook;
  std::vector<uint8_t> codes(values.size());
  indexer->forEach([&](int64_t flat, int64_t s, int64_t o) {
    double scale = operands.scales[s];
    if (scheme.twoLevel)
      scale *= operands.outerScales[o];
    double zero =
        scheme.zeroPoint == ZeroPoint::None ? 0.0 : operands.zeroPoints[s];
    double t = double(values[flat]) / scale + zero;
    codes[flat] = table.empty() ? scheme.code.encode(t) : nearestCode(table, t);
  });
  return codes;
}

Expected<std::vector<float>>
mlir::lowbit::quant::dequantize(ArrayRef<int64_t> shape, ArrayRef<uint8_t> codes,
                          const Scheme &scheme, const ScaleOperands &operands) {
  if (int64_t(codes.size()) != numElements(shape))
    return error("code count does not match the shape");
  auto indexer = ScaleIndexer::create(shape, scheme, operands);
  if (!indexer)
    return indexer.takeError();
  // A byte that holds no code of the scheme (other bits set) would be read
  // as some other code, and an integer zero point that is no code, as a
  // value no kernel can subtract: errors, as packing them is.
  unsigned bits = scheme.code.bits();
  bool signedInts =
      scheme.code.kind() == CodeKind::Int && scheme.code.isSigned() && scheme.codebook.empty();
  if (bits < 8)
    for (size_t i = 0; i < codes.size(); ++i)
      if (signedInts ? !isCodeByte(codes[i], bits) : (codes[i] >> bits) != 0)
        return error("code " + std::to_string(codes[i]) + " at index " + std::to_string(i) +
                     " is not a " + std::to_string(bits) + "-bit code");
  if (scheme.zeroPoint == ZeroPoint::Integer) {
    double lo = signedInts ? -std::ldexp(1.0, bits - 1) : 0.0;
    double hi = signedInts ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    for (size_t i = 0; i < operands.zeroPoints.size(); ++i) {
      double zero = operands.zeroPoints[i];
      if (zero != std::rint(zero) || zero < lo || zero > hi)
        return error("zero point " + std::to_string(zero) + " at index " + std::to_string(i) +
                     " is not a " + std::to_string(bits) + "-bit integer code");
    }
  }
  std::vector<float> values(codes.size());
  indexer->forEach([&](int64_t flat, int64_t s, int64_t o) {
    double zero =
        scheme.zeroPoint == ZeroPoint::None ? 0.0 : operands.zeroPoints[s];
    double scale = operands.scales[s];
    if (scheme.twoLevel)
      scale *= operands.outerScales[o];
    values[flat] = float((scheme.codeValue(codes[flat]) - zero) * scale);
  });
  return values;
}

llvm::ArrayRef<double> mlir::lowbit::quant::nf4Codebook() {
  static const double values[16] = {
      -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
      -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
      0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
      0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0};
  return values;
}

llvm::Expected<Calibration>
mlir::lowbit::quant::calibrate(ArrayRef<int64_t> shape, ArrayRef<float> values,
                               const Scheme &scheme) {
  if (shape.size() != 2)
    return error("calibration takes rank-2 tensors");
  if (int64_t(values.size()) != shape[0] * shape[1])
    return error("value count does not match the shape");
  if (scheme.twoLevel)
    return error("calibration does not handle two-level scales");
  if (!scheme.codebook.empty() && scheme.zeroPoint != ZeroPoint::None)
    return error("codebooks take no zero points");
  auto block = scheme.blockShape(shape);
  if (!block)
    return block.takeError();
  auto scaleShape = scheme.scaleShape(shape);
  if (!scaleShape)
    return scaleShape.takeError();
  int64_t groups = (*scaleShape)[0] * (*scaleShape)[1];
  std::vector<float> lo(groups, 0.0f), hi(groups, 0.0f);
  for (int64_t r = 0; r < shape[0]; ++r)
    for (int64_t c = 0; c < shape[1]; ++c) {
      int64_t g = (r / (*block)[0]) * (*scaleShape)[1] + c / (*block)[1];
      float v = values[r * shape[1] + c];
      // A NaN or infinity would set its block's scale to one too.
      if (!std::isfinite(v))
        return error("value " + std::to_string(v) + " at (" + std::to_string(r) + ", " +
                     std::to_string(c) + ") is not finite");
      lo[g] = std::min(lo[g], v);
      hi[g] = std::max(hi[g], v);
    }
  // Unsigned integer codes without a zero point stand for values >= 0
  // only: negative weights would all become code 0.
  if (scheme.codebook.empty() && scheme.zeroPoint == ZeroPoint::None &&
      scheme.code.kind() == CodeKind::Int && !scheme.code.isSigned())
    if (auto least = std::min_element(lo.begin(), lo.end()); *least < 0)
      return error("unsigned " + scheme.code.name() +
                   " codes without zero points hold no negative values; block " +
                   std::to_string(least - lo.begin()) + " has " + std::to_string(*least) +
                   " (use signed codes or integer zero points)");
  Calibration result;
  double codeMin = scheme.code.minValue(), codeMax = scheme.code.maxValue();
  if (!scheme.codebook.empty()) {
    // Symmetric over the codebook's range: its largest magnitude entry
    // takes the block's largest magnitude.
    auto [least, most] = std::minmax_element(scheme.codebook.begin(), scheme.codebook.end());
    codeMin = *least;
    codeMax = *most;
  }
  bool asymmetric = scheme.zeroPoint == ZeroPoint::Integer;
  for (int64_t g = 0; g < groups; ++g) {
    double scale, zero = 0;
    if (asymmetric) {
      scale = (double(hi[g]) - lo[g]) / (codeMax - codeMin);
      if (scale > 0)
        zero = std::clamp(std::nearbyint(codeMin - lo[g] / scale), codeMin, codeMax);
    } else {
      double magnitude = std::max(-double(lo[g]), double(hi[g]));
      double codeMagnitude = codeMin < 0 ? std::min(-codeMin, codeMax) : codeMax;
      scale = magnitude / codeMagnitude;
    }
    result.scales.push_back(scale > 0 ? float(scale) : 1.0f);
    if (asymmetric)
      result.zeroPoints.push_back(float(zero));
  }
  return result;
}
