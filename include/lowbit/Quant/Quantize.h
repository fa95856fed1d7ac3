//===- Quantize.h - reference quantization for every lowbit scheme --------===//
//
// The C++ twin of `#lowbit.quant` and of lowbit.quantize / dequantize, written
// from the definitions in docs/LowBitDialect.md and independent of MLIR, so
// that tests can check the MLIR reference lowering against it.
//
// Tensors are row-major; codes are raw bit patterns, one per byte.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_QUANT_QUANTIZE_H
#define LOWBIT_QUANT_QUANTIZE_H

#include "lowbit/Quant/CodeType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir::lowbit::quant {

enum class ZeroPoint { None, Integer, Float };
enum class Granularity { PerTensor, PerChannel, PerGroup, PerBlock, MXBlock };

struct Scheme {
  CodeType code;
  ZeroPoint zeroPoint = ZeroPoint::None;
  Granularity granularity = Granularity::PerTensor;
  int64_t axis = -1;
  int64_t groupSize = 0;
  std::vector<int64_t> block;  // per_block: [rows, cols]
  bool twoLevel = false;       // outer per-channel scales times group scales
  std::vector<double> codebook; // codes index it when not empty

  explicit Scheme(CodeType code) : code(code) {}

  /// Extent of the block of elements sharing one scale, per dimension.
  llvm::Expected<std::vector<int64_t>>
  blockShape(llvm::ArrayRef<int64_t> shape) const;
  /// Shape of the scales (and zero points) for a tensor of `shape`.
  llvm::Expected<std::vector<int64_t>>
  scaleShape(llvm::ArrayRef<int64_t> shape) const;
  /// Shape of the outer scales of a two-level scheme.
  std::vector<int64_t> outerScaleShape(llvm::ArrayRef<int64_t> shape) const;
  /// Real value of code `raw` before scaling (codebook entry, integer, float
  /// or bipolar value).
  double codeValue(uint8_t raw) const;
};

/// The NF4 codebook of QLoRA (Dettmers et al. 2023): the 16 quantiles of a
/// normal distribution scaled to [-1, 1], with an exact zero.
llvm::ArrayRef<double> nf4Codebook();

/// The scale operands of a scheme; `zeroPoints` hold zero-point values (for
/// integer zero points, decoded codes), `outerScales` is empty for one-level
/// schemes.
struct ScaleOperands {
  llvm::ArrayRef<float> scales;
  llvm::ArrayRef<float> zeroPoints;
  llvm::ArrayRef<float> outerScales;
};

/// q = nearest code to x / (s * outer) + z (round half to even, saturating).
llvm::Expected<std::vector<uint8_t>> quantize(llvm::ArrayRef<int64_t> shape,
                                              llvm::ArrayRef<float> values,
                                              const Scheme &scheme,
                                              const ScaleOperands &operands);

/// x = (value(q) - z) * s * outer.
llvm::Expected<std::vector<float>> dequantize(llvm::ArrayRef<int64_t> shape,
                                              llvm::ArrayRef<uint8_t> codes,
                                              const Scheme &scheme,
                                              const ScaleOperands &operands);

/// Scales (and integer zero points, for schemes that have them) chosen from
/// the values of each block of a rank-2 tensor: the block's largest magnitude
/// maps to the code's largest magnitude (symmetric), or its [min, max] range
/// to the code range with a rounded zero point (asymmetric). Blocks of zeros
/// get scale 1. Unsigned integer codes without zero points hold no negative
/// value: a block with one is an error, as is a NaN or infinite value.
struct Calibration {
  std::vector<float> scales, zeroPoints; // zeroPoints: decoded code values
};
llvm::Expected<Calibration> calibrate(llvm::ArrayRef<int64_t> shape,
                                      llvm::ArrayRef<float> values,
                                      const Scheme &scheme);

/// Number of elements of a shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::lowbit::quant

#endif // LOWBIT_QUANT_QUANTIZE_H
