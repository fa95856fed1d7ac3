//===- CodeType.cpp - low-bit code formats --------------------------------===//
#include "lowbit/Quant/CodeType.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::lowbit::quant;

namespace {
struct FloatLayout {
  unsigned exponentBits, mantissaBits;
  int bias;
  bool hasSign;
  enum { NoSpecials, IEEE, AllOnesNaN, ExponentOnesNaN } specials;
  const char *name;
};

FloatLayout layoutOf(FloatFormat format) {
  switch (format) {
  case FloatFormat::E4M3FN:
    return {4, 3, 7, true, FloatLayout::AllOnesNaN, "f8E4M3FN"};
  case FloatFormat::E5M2:
    return {5, 2, 15, true, FloatLayout::IEEE, "f8E5M2"};
  case FloatFormat::E2M3FN:
    return {2, 3, 1, true, FloatLayout::NoSpecials, "f6E2M3FN"};
  case FloatFormat::E3M2FN:
    return {3, 2, 3, true, FloatLayout::NoSpecials, "f6E3M2FN"};
  case FloatFormat::E2M1FN:
    return {2, 1, 1, true, FloatLayout::NoSpecials, "f4E2M1FN"};
  case FloatFormat::E8M0FNU:
    return {8, 0, 127, false, FloatLayout::ExponentOnesNaN, "f8E8M0FNU"};
  }
  return {};
}

double decodeFloat(FloatFormat format, uint8_t raw) {
  FloatLayout l = layoutOf(format);
  unsigned mantissa = raw & ((1u << l.mantissaBits) - 1);
  unsigned exponent = (raw >> l.mantissaBits) & ((1u << l.exponentBits) - 1);
  bool negative = l.hasSign && ((raw >> (l.mantissaBits + l.exponentBits)) & 1);
  unsigned allOnes = (1u << l.exponentBits) - 1;
  double nan = std::numeric_limits<double>::quiet_NaN();
  switch (l.specials) {
  case FloatLayout::AllOnesNaN:
    if (exponent == allOnes && mantissa == (1u << l.mantissaBits) - 1)
      return nan;
    break;
  case FloatLayout::IEEE:
    if (exponent == allOnes)
      return mantissa ? nan : (negative ? -INFINITY : INFINITY);
    break;
  case FloatLayout::ExponentOnesNaN:
    if (exponent == allOnes)
      return nan;
    return std::ldexp(1.0, int(exponent) - l.bias);
  case FloatLayout::NoSpecials:
    break;
  }
  double magnitude =
      exponent == 0
          ? std::ldexp(double(mantissa), 1 - l.bias - int(l.mantissaBits))
          : std::ldexp(1.0 + double(mantissa) / (1u << l.mantissaBits),
                       int(exponent) - l.bias);
  return negative ? -magnitude : magnitude;
}
} // namespace

CodeType::CodeType(CodeKind kind, unsigned bits, bool isSigned,
                   FloatFormat format)
    : kind_(kind), bits_(bits), isSigned_(isSigned), format_(format) {
  values_.resize(numCodes());
  for (unsigned raw = 0; raw < numCodes(); ++raw) {
    double value = decode(uint8_t(raw));
    values_[raw] = std::isfinite(value)
                       ? value
                       : std::numeric_limits<double>::quiet_NaN();
  }
}

CodeType CodeType::integer(unsigned bits, bool isSigned) {
  assert(bits >= 1 && bits <= 8 && "integer codes have 1 to 8 bits");
  return CodeType(CodeKind::Int, bits, isSigned, FloatFormat::E4M3FN);
}

CodeType CodeType::floating(FloatFormat format) {
  FloatLayout l = layoutOf(format);
  return CodeType(CodeKind::Float, l.exponentBits + l.mantissaBits + l.hasSign,
                  l.hasSign, format);
}

CodeType CodeType::bipolar(unsigned bits) {
  assert(bits >= 1 && bits <= 8 && "bipolar codes have 1 to 8 bits");
  return CodeType(CodeKind::Bipolar, bits, true, FloatFormat::E4M3FN);
}

std::optional<CodeType> CodeType::parse(const std::string &name) {
  static const std::pair<const char *, FloatFormat> floats[] = {
      {"f8E4M3FN", FloatFormat::E4M3FN}, {"f8E5M2", FloatFormat::E5M2},
      {"f6E2M3FN", FloatFormat::E2M3FN}, {"f6E3M2FN", FloatFormat::E3M2FN},
      {"f4E2M1FN", FloatFormat::E2M1FN}, {"f8E8M0FNU", FloatFormat::E8M0FNU}};
  for (auto &[spelling, format] : floats)
    if (name == spelling)
      return floating(format);
  auto parseBits = [&](size_t prefix) -> std::optional<unsigned> {
    if (name.size() <= prefix || name.size() > prefix + 1)
      return std::nullopt;
    char digit = name[prefix];
    if (digit < '1' || digit > '8')
      return std::nullopt;
    return unsigned(digit - '0');
  };
  if (name.rfind("bipolar", 0) == 0)
    if (auto bits = parseBits(7))
      return bipolar(*bits);
  if (!name.empty() && (name[0] == 'i' || name[0] == 'u'))
    if (auto bits = parseBits(1))
      return integer(*bits, name[0] == 'i');
  return std::nullopt;
}

std::string CodeType::name() const {
  switch (kind_) {
  case CodeKind::Int:
    return (isSigned_ ? "i" : "u") + std::to_string(bits_);
  case CodeKind::Bipolar:
    return "bipolar" + std::to_string(bits_);
  case CodeKind::Float:
    return layoutOf(format_).name;
  }
  return "";
}

double CodeType::decode(uint8_t raw) const {
  raw &= uint8_t(numCodes() - 1);
  switch (kind_) {
  case CodeKind::Int:
    if (isSigned_ && (raw >> (bits_ - 1)) & 1)
      return double(int(raw) - int(numCodes()));
    return double(raw);
  case CodeKind::Bipolar: {
    // sum_i 2^i * (2 x_i - 1) = 2 * raw - (2^bits - 1)
    return 2.0 * raw - double(numCodes() - 1);
  }
  case CodeKind::Float:
    return decodeFloat(format_, raw);
  }
  return 0;
}

bool CodeType::isFinite(uint8_t raw) const {
  return std::isfinite(decode(raw));
}

double CodeType::minValue() const {
  double lo = INFINITY;
  for (double v : values_)
    if (std::isfinite(v))
      lo = std::min(lo, v);
  return lo;
}

double CodeType::maxValue() const {
  double hi = -INFINITY;
  for (double v : values_)
    if (std::isfinite(v))
      hi = std::max(hi, v);
  return hi;
}

uint8_t CodeType::encode(double value) const {
  if (kind_ == CodeKind::Int) {
    double rounded = std::nearbyint(value); // round half to even
    rounded = std::clamp(rounded, minValue(), maxValue());
    return uint8_t(int64_t(rounded) & (numCodes() - 1));
  }
  return nearestCode(values_, value);
}

uint8_t mlir::lowbit::quant::nearestCode(const std::vector<double> &values,
                                   double value) {
  // Non-finite inputs have no nearest value; saturate them to the range ends.
  if (std::isnan(value))
    value = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  value = std::clamp(value, lo, hi);
  int best = -1;
  double bestDistance = 0;
  for (unsigned code = 0; code < values.size(); ++code) {
    if (!std::isfinite(values[code]))
      continue;
    double distance = std::fabs(values[code] - value);
    bool better = best < 0 || distance < bestDistance ||
                  (distance == bestDistance &&
                   ((code & 1) < (unsigned(best) & 1)));
    if (better) {
      best = int(code);
      bestDistance = distance;
    }
  }
  assert(best >= 0 && "a code table with no finite value");
  return uint8_t(best);
}
