//===- QuantTest.cpp - the quantization library ---------------------------===//
#include "lowbit/Quant/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir::lowbit::quant;

namespace {

/// A scheme of `code` with a scale per group of `groupSize` along K.
Scheme groupScheme(CodeType code, int64_t groupSize) {
  Scheme scheme(code);
  scheme.granularity = Granularity::PerGroup;
  scheme.axis = 1;
  scheme.groupSize = groupSize;
  return scheme;
}

std::vector<double> finiteValues(const CodeType &type) {
  std::vector<double> values;
  for (double v : type.values())
    if (std::isfinite(v))
      values.push_back(v);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

TEST(CodeType, SmallFloatRangesMatchTheirSpecifications) {
  struct Case {
    const char *name;
    double max, minSubnormal;
    size_t distinct; // distinct finite values (+0 and -0 count once)
  } cases[] = {
      {"f8E4M3FN", 448.0, std::ldexp(1.0, -9), 253},
      {"f8E5M2", 57344.0, std::ldexp(1.0, -16), 247},
      {"f6E2M3FN", 7.5, 0.125, 63},
      {"f6E3M2FN", 28.0, 0.0625, 63},
      {"f4E2M1FN", 6.0, 0.5, 15},
  };
  for (const Case &c : cases) {
    auto type = CodeType::parse(c.name);
    ASSERT_TRUE(type) << c.name;
    EXPECT_EQ(type->maxValue(), c.max) << c.name;
    EXPECT_EQ(type->minValue(), -c.max) << c.name;
    std::vector<double> values = finiteValues(*type);
    EXPECT_EQ(values.size(), c.distinct) << c.name;
    double smallestPositive = *std::upper_bound(values.begin(), values.end(), 0.0);
    EXPECT_EQ(smallestPositive, c.minSubnormal) << c.name;
  }
}

TEST(CodeType, Fp4HasTheOcpValues) {
  CodeType fp4 = CodeType::floating(FloatFormat::E2M1FN);
  double expected[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (unsigned raw = 0; raw < 8; ++raw) {
    EXPECT_EQ(fp4.decode(raw), expected[raw]);
    EXPECT_EQ(fp4.decode(raw | 8), -expected[raw]);
  }
}

TEST(CodeType, SpecialPatterns) {
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  EXPECT_TRUE(std::isnan(e4m3.decode(0x7f)));
  EXPECT_TRUE(std::isnan(e4m3.decode(0xff)));
  EXPECT_EQ(e4m3.decode(0x7e), 448.0);
  CodeType e5m2 = CodeType::floating(FloatFormat::E5M2);
  EXPECT_TRUE(std::isinf(e5m2.decode(0x7c)));
  EXPECT_FALSE(e5m2.isFinite(0x7c));
  CodeType e8m0 = CodeType::floating(FloatFormat::E8M0FNU);
  EXPECT_EQ(e8m0.decode(127), 1.0);
  EXPECT_EQ(e8m0.decode(0), std::ldexp(1.0, -127));
  EXPECT_TRUE(std::isnan(e8m0.decode(255)));
}

TEST(CodeType, IntegersAndBipolar) {
  CodeType s4 = CodeType::integer(4, true), u4 = CodeType::integer(4, false);
  EXPECT_EQ(s4.minValue(), -8);
  EXPECT_EQ(s4.maxValue(), 7);
  EXPECT_EQ(u4.maxValue(), 15);
  EXPECT_EQ(s4.decode(0xf), -1);
  EXPECT_EQ(u4.decode(0xf), 15);
  EXPECT_EQ(s4.encode(2.5), 2);  // half to even
  EXPECT_EQ(s4.encode(3.5), 4);
  EXPECT_EQ(s4.decode(s4.encode(-100)), -8); // saturates
  CodeType b3 = CodeType::bipolar(3);
  std::vector<double> values = finiteValues(b3);
  EXPECT_EQ(values, (std::vector<double>{-7, -5, -3, -1, 1, 3, 5, 7}));
  // Bits x_i weigh +-2^i.
  for (unsigned raw = 0; raw < 8; ++raw) {
    double sum = 0;
    for (int i = 0; i < 3; ++i)
      sum += std::ldexp(1.0, i) * (((raw >> i) & 1) ? 1 : -1);
    EXPECT_EQ(b3.decode(raw), sum);
  }
}

TEST(CodeType, FloatEncodingRoundsToNearestEvenAndSaturates) {
  CodeType fp4 = CodeType::floating(FloatFormat::E2M1FN);
  EXPECT_EQ(fp4.decode(fp4.encode(2.5)), 2.0);  // tie 2|3 -> even mantissa
  EXPECT_EQ(fp4.decode(fp4.encode(3.5)), 4.0);  // tie 3|4 -> 4
  EXPECT_EQ(fp4.decode(fp4.encode(5.0)), 4.0);  // tie 4|6 -> 4
  EXPECT_EQ(fp4.decode(fp4.encode(100.0)), 6.0);
  EXPECT_EQ(fp4.decode(fp4.encode(-INFINITY)), -6.0);
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  EXPECT_EQ(e4m3.decode(e4m3.encode(1000.0)), 448.0);
  EXPECT_EQ(e4m3.decode(e4m3.encode(1.0625)), 1.0); // tie 1|1.125 -> 1
  // Every finite value encodes to itself.
  for (const char *name : {"f8E4M3FN", "f8E5M2", "f6E2M3FN", "f6E3M2FN", "f4E2M1FN"}) {
    CodeType type = *CodeType::parse(name);
    for (unsigned raw = 0; raw < type.numCodes(); ++raw)
      if (type.isFinite(raw))
        EXPECT_EQ(type.decode(type.encode(type.decode(raw))), type.decode(raw))
            << name << " code " << raw;
  }
}

TEST(CodeType, ParseRejectsUnknownNames) {
  for (const char *name : {"i0", "i9", "i16", "u", "f16", "bipolar0", "bipolar9", ""})
    EXPECT_FALSE(CodeType::parse(name)) << name;
}

// Property: for random shapes, schemes and data, dequantize(quantize(x)) is
// within half a code step of x inside the representable range, and
// quantize(dequantize(q)) == q.
TEST(Quantize, RoundTripWithinTheSchemeBound) {
  std::mt19937 rng(20261125);
  const char *codeNames[] = {"i2", "i3", "i4", "u4", "i5", "i6", "i8", "u8"};
  for (int trial = 0; trial < 200; ++trial) {
    int64_t rows = 1 + rng() % 8, groups = 1 + rng() % 4;
    int64_t groupSize = int64_t(1) << (rng() % 6);
    std::vector<int64_t> shape = {rows, groups * groupSize};
    Scheme scheme = groupScheme(*CodeType::parse(codeNames[rng() % 8]), groupSize);
    bool asymmetric = !scheme.code.isSigned();
    if (asymmetric)
      scheme.zeroPoint = ZeroPoint::Integer;
    std::vector<int64_t> scaleShape = *scheme.scaleShape(shape);
    int64_t n = numElements(shape), ns = numElements(scaleShape);
    std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
    std::vector<float> x(n), scales(ns), zeros(ns);
    for (float &v : x)
      v = dist(rng);
    double levels = scheme.code.maxValue() - scheme.code.minValue();
    for (int64_t i = 0; i < ns; ++i) {
      scales[i] = float(6.0 / levels) * (0.5f + float(rng() % 100) / 100.0f);
      zeros[i] = asymmetric ? float(std::round(levels / 2)) : 0.0f;
    }
    ScaleOperands ops{scales, zeros, {}};
    auto codes = quantize(shape, x, scheme, ops);
    ASSERT_TRUE(bool(codes)) << llvm::toString(codes.takeError());
    auto back = dequantize(shape, *codes, scheme, ops);
    ASSERT_TRUE(bool(back));
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = (i / shape[1]) * scaleShape[1] + (i % shape[1]) / groupSize;
      double lo = (scheme.code.minValue() - zeros[s]) * scales[s];
      double hi = (scheme.code.maxValue() - zeros[s]) * scales[s];
      double clamped = std::clamp(double(x[i]), lo, hi);
      EXPECT_LE(std::fabs((*back)[i] - clamped), scales[s] * 0.5 * (1 + 1e-6))
          << "trial " << trial << " element " << i;
    }
    auto again = quantize(shape, *back, scheme, ops);
    ASSERT_TRUE(bool(again));
    EXPECT_EQ(*again, *codes) << "trial " << trial;
  }
}

// Tensors past a million elements are (de)quantized on several threads:
// every element still gets its own group's scale and zero point, and the
// round trip holds, across the threads' boundaries too.
TEST(Quantize, LargeTensorsMatchElementwise) {
  std::mt19937 rng(7);
  std::vector<int64_t> shape = {523, 4096}; // 2.1 M elements, rows not a power of two
  Scheme scheme = groupScheme(*CodeType::parse("u4"), 128);
  scheme.zeroPoint = ZeroPoint::Integer;
  std::vector<int64_t> scaleShape = *scheme.scaleShape(shape);
  int64_t n = numElements(shape), ns = numElements(scaleShape);
  std::vector<uint8_t> codes(n);
  for (uint8_t &c : codes)
    c = uint8_t(rng() % 16);
  std::vector<float> scales(ns), zeros(ns);
  for (int64_t i = 0; i < ns; ++i) {
    scales[i] = 0.01f * float(1 + rng() % 100);
    zeros[i] = float(rng() % 16);
  }
  ScaleOperands ops{scales, zeros, {}};
  auto values = dequantize(shape, codes, scheme, ops);
  ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
  for (int64_t i = 0; i < n; ++i) {
    int64_t s = (i / shape[1]) * scaleShape[1] + (i % shape[1]) / scheme.groupSize;
    ASSERT_EQ((*values)[i], float((double(codes[i]) - zeros[s]) * scales[s])) << i;
  }
  auto again = quantize(shape, *values, scheme, ops);
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(*again, codes);
}

TEST(Quantize, ScaleShapesFollowTheGranularity) {
  Scheme scheme(CodeType::integer(4, true));
  std::vector<int64_t> shape = {64, 256};
  EXPECT_EQ(*scheme.scaleShape(shape), (std::vector<int64_t>{1, 1}));
  scheme.granularity = Granularity::PerChannel;
  scheme.axis = 0;
  EXPECT_EQ(*scheme.scaleShape(shape), (std::vector<int64_t>{64, 1}));
  scheme.granularity = Granularity::PerGroup;
  scheme.axis = 1;
  scheme.groupSize = 128;
  EXPECT_EQ(*scheme.scaleShape(shape), (std::vector<int64_t>{64, 2}));
  scheme.granularity = Granularity::PerBlock;
  scheme.block = {32, 64};
  EXPECT_EQ(*scheme.scaleShape(shape), (std::vector<int64_t>{2, 4}));
  scheme.block = {48, 64};
  auto bad = scheme.scaleShape(shape);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "group size 48 does not divide dimension 0 of size 64");
}

TEST(Quantize, CodebookAndTwoLevelAndFloatCodes) {
  // NF4-like codebook: quantize picks the nearest entry.
  Scheme nf(CodeType::integer(2, false));
  nf.codebook = {-1.0, -0.25, 0.5, 1.0};
  std::vector<int64_t> shape = {1, 4};
  std::vector<float> x = {-0.9f, -0.2f, 0.3f, 0.8f}, scale = {1.0f};
  auto codes = quantize(shape, x, nf, {scale, {}, {}});
  ASSERT_TRUE(bool(codes));
  EXPECT_EQ(*codes, (std::vector<uint8_t>{0, 1, 2, 3}));

  // QServe two-level: value = (q - z) * s_group * s_channel.
  Scheme qs = groupScheme(CodeType::integer(4, false), 2);
  qs.zeroPoint = ZeroPoint::Integer;
  qs.twoLevel = true;
  std::vector<int64_t> shape2 = {2, 4};
  std::vector<uint8_t> q = {0, 15, 8, 9, 1, 2, 3, 4};
  std::vector<float> s = {2, 3, 1, 4}, z = {8, 8, 0, 1}, outer = {0.5f, 0.25f};
  auto v = dequantize(shape2, q, qs, {s, z, outer});
  ASSERT_TRUE(bool(v));
  std::vector<float> expected = {(0 - 8) * 2 * 0.5f,  (15 - 8) * 2 * 0.5f,
                                 (8 - 8) * 3 * 0.5f,  (9 - 8) * 3 * 0.5f,
                                 (1 - 0) * 1 * 0.25f, (2 - 0) * 1 * 0.25f,
                                 (3 - 1) * 4 * 0.25f, (4 - 1) * 4 * 0.25f};
  EXPECT_EQ(*v, expected);

  // MX fp4: e8m0 scales are powers of two, so every fp4 value times the
  // scale dequantizes exactly.
  Scheme mx(CodeType::floating(FloatFormat::E2M1FN));
  mx.granularity = Granularity::MXBlock;
  mx.axis = 1;
  mx.groupSize = 4;
  std::vector<float> y = {0.25f, -1.5f, 12.0f, 100.0f}, ms = {0.5f};
  auto fc = quantize(shape, y, mx, {ms, {}, {}});
  ASSERT_TRUE(bool(fc));
  auto fv = dequantize(shape, *fc, mx, {ms, {}, {}});
  EXPECT_EQ(*fv, (std::vector<float>{0.25f, -1.5f, 3.0f, 3.0f}));
}

TEST(Quantize, BadOperandsAreErrorsNotCrashes) {
  Scheme scheme = groupScheme(CodeType::integer(4, true), 4);
  std::vector<int64_t> shape = {2, 8};
  std::vector<float> x(16, 1.0f), scales(3, 1.0f);
  auto r = quantize(shape, x, scheme, {scales, {}, {}});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), "expected 4 scales, got 3");
  scheme.axis = 2;
  auto r2 = quantize(shape, x, scheme, {scales, {}, {}});
  ASSERT_FALSE(bool(r2));
  EXPECT_EQ(llvm::toString(r2.takeError()),
            "scheme axis 2 is out of range for a rank-2 tensor");
}

// Unsigned integer codes without zero points stand for values >= 0: a
// negative weight became code 0 (the block's largest magnitude still set
// the scale). Calibration refuses such blocks.
TEST(Quantize, UnsignedCodesWithoutZeroPointsRefuseNegativeValues) {
  Scheme scheme = groupScheme(CodeType::integer(4, false), 4);
  std::vector<int64_t> shape = {2, 8};
  std::vector<float> x = {0.5f, 1, 2, 3, 0, 0, 1, 1, 2, 2, 2, 2, 1, -0.25f, 3, 0};
  auto refused = calibrate(shape, x, scheme);
  ASSERT_FALSE(bool(refused));
  EXPECT_EQ(llvm::toString(refused.takeError()),
            "unsigned u4 codes without zero points hold no negative values; block 3 has "
            "-0.250000 (use signed codes or integer zero points)");
  // With zero points, or on non-negative data, they calibrate.
  scheme.zeroPoint = ZeroPoint::Integer;
  auto withZero = calibrate(shape, x, scheme);
  EXPECT_TRUE(bool(withZero)) << llvm::toString(withZero.takeError());
  scheme.zeroPoint = ZeroPoint::None;
  x[13] = 0.25f;
  auto nonNegative = calibrate(shape, x, scheme);
  ASSERT_TRUE(bool(nonNegative)) << llvm::toString(nonNegative.takeError());
  EXPECT_FLOAT_EQ(nonNegative->scales[0], 3.0f / 15);
}

TEST(Quantize, NonFiniteValuesAreRefused) {
  Scheme scheme(CodeType::integer(4, true));
  std::vector<int64_t> shape = {2, 4};
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> x = {1, 2, 3, 4, 5, bad, 7, 8};
    auto refused = calibrate(shape, x, scheme);
    ASSERT_FALSE(bool(refused));
    EXPECT_NE(llvm::toString(refused.takeError()).find("at (1, 1) is not finite"),
              std::string::npos);
  }
}

} // namespace

// Every signed 4-bit value is an e4m3 value: W4A8 with e4m3 activations
// turns codes into these bytes (the wgmma kernel's prmt tables, the
// benchmark's FP8 W8A8 baseline).
TEST(CodeType, SignedInt4IsExactInE4m3) {
  CodeType s4 = CodeType::integer(4, /*isSigned=*/true);
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  const uint8_t expected[16] = {0x00, 0x38, 0x40, 0x44, 0x48, 0x4A, 0x4C, 0x4E,
                                0xD0, 0xCE, 0xCC, 0xCA, 0xC8, 0xC4, 0xC0, 0xB8};
  for (unsigned c = 0; c < 16; ++c) {
    uint8_t byte = e4m3.encode(s4.decode(uint8_t(c)));
    EXPECT_EQ(byte, expected[c]) << c;
    EXPECT_EQ(e4m3.decode(byte), s4.decode(uint8_t(c))) << c;
  }
}
