//===- CodeType.h - low-bit code formats, decoded and encoded -------------===//
//
// The value of every low-bit code, independent of MLIR: integers of 1 to 8 bits
// (signed or unsigned), the OCP/NVIDIA small floats (fp8 e4m3fn and e5m2, fp6
// e2m3fn and e3m2fn, fp4 e2m1fn, the e8m0 scale format) and bipolar-INT.
//
// A code is held as its raw bit pattern in the low `bits` bits of a uint8_t.
// Encoding rounds to the nearest finite value, ties to the code whose lowest
// bit is 0 (round-to-nearest-even for floats), and saturates to the largest
// finite magnitude (PTX's `.satfinite`).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_QUANT_CODETYPE_H
#define LOWBIT_QUANT_CODETYPE_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::lowbit::quant {

enum class CodeKind { Int, Float, Bipolar };

enum class FloatFormat { E4M3FN, E5M2, E2M3FN, E3M2FN, E2M1FN, E8M0FNU };

class CodeType {
public:
  static CodeType integer(unsigned bits, bool isSigned);
  static CodeType floating(FloatFormat format);
  static CodeType bipolar(unsigned bits);
  /// Parses the MLIR spelling: `i4`, `u4` (unsigned i4), `f8E4M3FN`, `f8E5M2`,
  /// `f6E2M3FN`, `f6E3M2FN`, `f4E2M1FN`, `f8E8M0FNU`, `bipolar3`.
  static std::optional<CodeType> parse(const std::string &name);

  CodeKind kind() const { return kind_; }
  unsigned bits() const { return bits_; }
  bool isSigned() const { return isSigned_; }
  FloatFormat floatFormat() const { return format_; }
  std::string name() const;
  /// Number of bit patterns, 2^bits.
  unsigned numCodes() const { return 1u << bits_; }

  /// The real value of a raw code (NaN for NaN and infinity patterns).
  double decode(uint8_t raw) const;
  /// Whether `raw` decodes to a finite value.
  bool isFinite(uint8_t raw) const;
  /// The code nearest to `value` (see the file comment for ties and range).
  uint8_t encode(double value) const;
  /// decode() of every raw code, indexed by code; NaN where not finite.
  const std::vector<double> &values() const { return values_; }
  /// Smallest and largest finite values.
  double minValue() const;
  double maxValue() const;

private:
  CodeType(CodeKind kind, unsigned bits, bool isSigned, FloatFormat format);
  CodeKind kind_;
  unsigned bits_;
  bool isSigned_;
  FloatFormat format_;
  // decode() of every raw code, NaN where not finite.
  std::vector<double> values_;
};

/// Nearest entry of `values` (indexed by code) to `value`; ties go to the
/// code whose lowest bit is 0, then to the smaller code. Non-finite entries
/// are never chosen. Shared by small floats, bipolar codes and codebooks.
uint8_t nearestCode(const std::vector<double> &values, double value);

} // namespace mlir::lowbit::quant

#endif // LOWBIT_QUANT_CODETYPE_H
