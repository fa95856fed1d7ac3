//===- ReferenceAgreementTest.cpp - MLIR reference vs. C++ library --------===//
//
// Property tests: for random schemes, shapes and data (fixed seeds), the MLIR
// reference path (lowbit-run: convert-lowbit-to-linalg, JIT on the CPU) and
// the independent C++ quantization library compute the same codes and values.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/BitPlanes.h"
#include "lowbit/Quant/Quantize.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

using namespace mlir::lowbit;
using namespace mlir::lowbit::quant;

namespace {

//===----------------------------------------------------------------------===//
// Running lowbit-run
//===----------------------------------------------------------------------===//

NpyArray floats(std::vector<int64_t> shape, const std::vector<float> &values) {
  NpyArray array{"f4", std::move(shape), {}};
  array.data.resize(values.size() * 4);
  memcpy(array.data.data(), values.data(), array.data.size());
  return array;
}

NpyArray bytes(std::vector<int64_t> shape, const std::vector<uint8_t> &values) {
  return NpyArray{"u1", std::move(shape), values};
}

std::vector<float> asFloats(const NpyArray &array) {
  EXPECT_EQ(array.dtype, "f4");
  std::vector<float> values(array.numElements());
  memcpy(values.data(), array.data.data(), values.size() * 4);
  return values;
}

/// Runs the single function of `mlir` on `inputs` and returns its results.
std::vector<NpyArray> runReference(const std::string &mlir,
                                   const std::vector<NpyArray> &inputs,
                                   size_t numResults) {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-agree", dir));
  std::string base = dir.str().str() + "/";
  {
    std::ofstream(base + "f.mlir") << mlir;
  }
  std::vector<std::string> args = {LOWBIT_RUN_PATH, base + "f.mlir"};
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string path = base + "in" + std::to_string(i) + ".npy";
    EXPECT_FALSE(bool(writeNpy(path, inputs[i])));
    args.push_back("--input=" + path);
  }
  for (size_t i = 0; i < numResults; ++i)
    args.push_back("--output=" + base + "out" + std::to_string(i) + ".npy");
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(LOWBIT_RUN_PATH, argRefs, std::nullopt,
                                     {std::nullopt, std::string(base + "log"),
                                      std::string(base + "log")},
                                     0, 0, &message);
  std::vector<NpyArray> results;
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(base + "log");
    ADD_FAILURE() << "lowbit-run failed (" << rc << ") " << message << "\n"
                  << (log ? (*log)->getBuffer().str() : "") << "\n" << mlir;
    return results;
  }
  for (size_t i = 0; i < numResults; ++i) {
    auto array = readNpy(base + "out" + std::to_string(i) + ".npy");
    if (!array) {
      ADD_FAILURE() << llvm::toString(array.takeError());
      return {};
    }
    results.push_back(std::move(*array));
  }
  llvm::sys::fs::remove_directories(base);
  return results;
}

//===----------------------------------------------------------------------===//
// Schemes in both spellings
//===----------------------------------------------------------------------===//

struct TestScheme {
  std::string mlirType;  // storage, e.g. "i4" or "f8E4M3FN"
  std::string attr;      // the #lowbit.quant<...> text
  std::string scaleType; // "f32" or "f8E8M0FNU" (MX)
  Scheme scheme;
};

std::string shapeText(const std::vector<int64_t> &shape,
                      const std::string &element) {
  std::string text = "tensor<";
  for (int64_t d : shape)
    text += std::to_string(d) + "x";
  return text + element + ">";
}

TestScheme randomScheme(std::mt19937 &rng, int64_t cols) {
  int kind = rng() % 9;
  auto groupOf = [&]() -> int64_t {
    int64_t options[] = {8, 16, 32};
    int64_t g = options[rng() % 3];
    return cols % g == 0 ? g : cols;
  };
  if (kind <= 2) { // integers, symmetric or with zero points
    unsigned bits = std::vector<unsigned>{2, 3, 4, 5, 6, 8}[rng() % 6];
    bool asymmetric = kind == 1;
    TestScheme t{"i" + std::to_string(bits), "", "f32",
                 Scheme(CodeType::integer(bits, !asymmetric))};
    int64_t g = groupOf();
    t.scheme.granularity = Granularity::PerGroup;
    t.scheme.axis = 1;
    t.scheme.groupSize = g;
    t.attr = "#lowbit.quant<storage = " + t.mlirType +
             (asymmetric ? ", signedness = unsigned, zero_point = int" : "") +
             ", granularity = per_group, axis = 1, group_size = " +
             std::to_string(g) + ", scale_type = f32>";
    if (asymmetric)
      t.scheme.zeroPoint = ZeroPoint::Integer;
    if (kind == 2) { // per-channel instead
      t.scheme.granularity = Granularity::PerChannel;
      t.scheme.axis = 0;
      t.scheme.groupSize = 0;
      t.attr = "#lowbit.quant<storage = " + t.mlirType +
               ", granularity = per_channel, axis = 0, scale_type = f32>";
    }
    return t;
  }
  if (kind <= 5) { // small floats, per channel
    const char *names[] = {"f8E4M3FN", "f8E5M2", "f6E2M3FN", "f6E3M2FN",
                           "f4E2M1FN"};
    std::string name = names[rng() % 5];
    TestScheme t{name, "", "f32", Scheme(*CodeType::parse(name))};
    t.scheme.granularity = Granularity::PerChannel;
    t.scheme.axis = 0;
    t.attr = "#lowbit.quant<storage = " + name +
             ", granularity = per_channel, axis = 0, scale_type = f32>";
    return t;
  }
  if (kind == 6) { // MXFP4
    TestScheme t{"f4E2M1FN", "", "f8E8M0FNU",
                 Scheme(CodeType::floating(FloatFormat::E2M1FN))};
    int64_t g = groupOf();
    t.scheme.granularity = Granularity::MXBlock;
    t.scheme.axis = 1;
    t.scheme.groupSize = g;
    t.attr = "#lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = "
             "1, group_size = " +
             std::to_string(g) + ", scale_type = f8E8M0FNU>";
    return t;
  }
  if (kind == 7) { // NF4 codebook
    TestScheme t{"i4", "", "f32", Scheme(CodeType::integer(4, false))};
    t.scheme.codebook = {-1.0,    -0.6962, -0.5251, -0.3949, -0.2844, -0.1848,
                         -0.0911, 0.0,     0.0796,  0.1609,  0.2461,  0.3379,
                         0.4407,  0.5626,  0.7230,  1.0};
    t.scheme.granularity = Granularity::PerChannel;
    t.scheme.axis = 0;
    std::ostringstream book;
    book << std::scientific << std::setprecision(9);
    for (size_t i = 0; i < 16; ++i)
      book << (i ? ", " : "") << t.scheme.codebook[i];
    t.attr = "#lowbit.quant<storage = i4, signedness = unsigned, granularity = "
             "per_channel, axis = 0, scale_type = f32, codebook = [" +
             book.str() + "]>";
    // The MLIR table holds f32 entries: use exactly those values.
    for (double &v : t.scheme.codebook)
      v = float(v);
    return t;
  }
  unsigned bits = 1 + rng() % 4; // bipolar
  TestScheme t{"!lowbit.bipolar<" + std::to_string(bits) + ">", "", "f32",
               Scheme(CodeType::bipolar(bits))};
  t.scheme.granularity = Granularity::PerChannel;
  t.scheme.axis = 0;
  t.attr = "#lowbit.quant<storage = " + t.mlirType +
           ", granularity = per_channel, axis = 0, scale_type = f32>";
  return t;
}

/// Random scales (and zero points) for `scheme` over `shape`, as the C++
/// library wants them and as .npy inputs.
struct ScaleData {
  std::vector<int64_t> shape;
  std::vector<float> scales, zeros;
  std::vector<NpyArray> inputs;
  std::string params, types, operands;
};

ScaleData randomScales(const TestScheme &t, const std::vector<int64_t> &shape,
                       std::mt19937 &rng) {
  ScaleData d;
  d.shape = *t.scheme.scaleShape(shape);
  int64_t n = numElements(d.shape);
  double range = t.scheme.code.maxValue() - t.scheme.code.minValue();
  if (!t.scheme.codebook.empty())
    range = 2.0;
  std::uniform_real_distribution<float> jitter(0.5f, 1.5f);
  if (t.scaleType == "f8E8M0FNU") {
    std::vector<uint8_t> exps(n);
    for (int64_t i = 0; i < n; ++i) {
      exps[i] = uint8_t(125 + rng() % 4); // 2^-2 .. 2^1
      d.scales.push_back(std::ldexp(1.0f, int(exps[i]) - 127));
    }
    d.inputs.push_back(bytes(d.shape, exps));
  } else {
    for (int64_t i = 0; i < n; ++i)
      d.scales.push_back(float(4.0 / range) * jitter(rng));
    d.inputs.push_back(floats(d.shape, d.scales));
  }
  d.params = ", %s: " + shapeText(d.shape, t.scaleType);
  d.types = ", " + shapeText(d.shape, t.scaleType);
  d.operands = " scales(%s)";
  if (t.scheme.zeroPoint == ZeroPoint::Integer) {
    std::vector<uint8_t> raw(n);
    for (int64_t i = 0; i < n; ++i) {
      raw[i] = uint8_t(rng() % t.scheme.code.numCodes());
      d.zeros.push_back(float(t.scheme.code.decode(raw[i])));
    }
    d.inputs.push_back(bytes(d.shape, raw));
    d.params += ", %z: " + shapeText(d.shape, t.mlirType);
    d.types += ", " + shapeText(d.shape, t.mlirType);
    d.operands += " zero_points(%z)";
  }
  return d;
}

/// Codes may differ only where x / s sits on a rounding boundary up to float
/// rounding: then both codes are (nearly) equally close.
bool equallyGood(const TestScheme &t, uint8_t a, uint8_t b, double target) {
  double da = std::fabs(t.scheme.codeValue(a) - target);
  double db = std::fabs(t.scheme.codeValue(b) - target);
  return std::fabs(da - db) <= 1e-5 * (1 + std::fabs(target));
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

TEST(ReferenceAgreement, QuantizeAndDequantize) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 80; ++trial) {
    std::vector<int64_t> shape = {int64_t(1 + rng() % 6),
                                  int64_t(32 * (1 + rng() % 3))};
    TestScheme t = randomScheme(rng, shape[1]);
    ScaleData s = randomScales(t, shape, rng);
    std::uniform_real_distribution<float> dist(-2.5f, 2.5f);
    std::vector<float> x(numElements(shape));
    for (float &v : x)
      v = dist(rng);
    std::string codes = shapeText(shape, t.mlirType),
                reals = shapeText(shape, "f32");
    std::string mlir =
        "func.func @f(%x: " + reals + s.params + ") -> (" + codes + ", " +
        reals + ") {\n  %q = lowbit.quantize %x as " + t.attr + s.operands +
        " : (" + reals + s.types + ") -> " + codes +
        "\n  %d = lowbit.dequantize %q as " + t.attr + s.operands + " : (" +
        codes + s.types + ") -> " + reals + "\n  return %q, %d : " + codes +
        ", " + reals + "\n}\n";
    std::vector<NpyArray> inputs = {floats(shape, x)};
    inputs.insert(inputs.end(), s.inputs.begin(), s.inputs.end());
    std::vector<NpyArray> results = runReference(mlir, inputs, 2);
    ASSERT_EQ(results.size(), 2u) << "trial " << trial;

    ScaleOperands ops{s.scales, s.zeros, {}};
    auto expected = quantize(shape, x, t.scheme, ops);
    ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());
    unsigned mask = t.scheme.code.numCodes() - 1;
    std::vector<uint8_t> got(results[0].data.size());
    for (size_t i = 0; i < got.size(); ++i)
      got[i] = results[0].data[i] & mask;
    auto scaleIndex = [&](size_t i) {
      int64_t r = i / shape[1], c = i % shape[1];
      std::vector<int64_t> block = *t.scheme.blockShape(shape);
      return (r / block[0]) * s.shape[1] + c / block[1];
    };
    int mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] == (*expected)[i])
        continue;
      int64_t si = scaleIndex(i);
      double target = x[i] / s.scales[si] + (s.zeros.empty() ? 0 : s.zeros[si]);
      if (!equallyGood(t, got[i], (*expected)[i], target) && ++mismatches <= 3)
        ADD_FAILURE() << "trial " << trial << " " << t.attr << " element " << i
                      << ": x = " << x[i] << " got code " << int(got[i])
                      << ", library " << int((*expected)[i]);
    }
    auto values = dequantize(shape, got, t.scheme, ops);
    ASSERT_TRUE(bool(values));
    std::vector<float> mlirValues = asFloats(results[1]);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(mlirValues[i], (*values)[i], 1e-6 * (1 + std::fabs((*values)[i])))
          << "trial " << trial << " " << t.attr << " element " << i;
  }
}

TEST(ReferenceAgreement, MatmulOverFormatPairs) {
  std::mt19937 rng(11);
  struct Pair {
    const char *name, *act, *weight, *actAttr, *weightAttr;
  } pairs[] = {
      {"W4A16", nullptr, "i4", nullptr,
       "#lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32, scale_type = f32>"},
      {"W8A8", "i8", "i8",
       "#lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>",
       "#lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>"},
      {"W4A8-int", "i8", "i4",
       "#lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32>",
       "#lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32, scale_type = f32>"},
      {"W4A8-fp8", "f8E4M3FN", "i4",
       "#lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0, scale_type = f32>",
       "#lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 32, scale_type = f32>"},
      {"FP8", "f8E4M3FN", "f8E4M3FN",
       "#lowbit.quant<storage = f8E4M3FN, scale_type = f32>",
       "#lowbit.quant<storage = f8E4M3FN, scale_type = f32>"},
      {"W4A4", "i4", "i4",
       "#lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>",
       "#lowbit.quant<storage = i4, granularity = per_channel, axis = 0, scale_type = f32>"},
      {"FP4xFP4", "f4E2M1FN", "f4E2M1FN",
       "#lowbit.quant<storage = f4E2M1FN, granularity = per_channel, axis = 0, scale_type = f32>",
       "#lowbit.quant<storage = f4E2M1FN, granularity = per_channel, axis = 0, scale_type = f32>"},
  };
  auto schemeOf = [](const char *type, const char *attr) {
    TestScheme t{type, attr, "f32", Scheme(*CodeType::parse(type))};
    std::string a = attr;
    if (a.find("per_group") != std::string::npos) {
      t.scheme.granularity = Granularity::PerGroup;
      t.scheme.axis = 1;
      t.scheme.groupSize = 32;
    } else if (a.find("per_channel") != std::string::npos) {
      t.scheme.granularity = Granularity::PerChannel;
      t.scheme.axis = 0;
    }
    return t;
  };
  for (const Pair &pair : pairs) {
    for (int trial = 0; trial < 2; ++trial) {
      int64_t m = 1 + rng() % 5, n = 8 * (1 + rng() % 3), k = 64;
      TestScheme w = schemeOf(pair.weight, pair.weightAttr);
      std::vector<int64_t> wShape = {n, k}, aShape = {m, k};
      // Random finite codes.
      auto randomCodes = [&](const CodeType &type, int64_t count) {
        std::vector<uint8_t> codes(count);
        for (uint8_t &c : codes)
          do
            c = uint8_t(rng() % type.numCodes());
          while (!type.isFinite(c));
        return codes;
      };
      std::vector<uint8_t> wCodes = randomCodes(w.scheme.code, n * k);
      ScaleData ws = randomScales(w, wShape, rng);
      std::vector<float> wReal = *dequantize(wShape, wCodes, w.scheme,
                                             {ws.scales, ws.zeros, {}});
      std::vector<NpyArray> inputs;
      std::vector<float> aReal;
      std::string actType, params, types, actScales, actScheme;
      if (pair.act) {
        TestScheme a = schemeOf(pair.act, pair.actAttr);
        std::vector<uint8_t> aCodes = randomCodes(a.scheme.code, m * k);
        ScaleData as = randomScales(a, aShape, rng);
        aReal = *dequantize(aShape, aCodes, a.scheme, {as.scales, {}, {}});
        inputs.push_back(bytes(aShape, aCodes));
        actType = pair.act;
        params = ", %as: " + shapeText(as.shape, "f32");
        types = ", " + shapeText(as.shape, "f32");
        actScales = " input_scales(%as)";
        actScheme = std::string(" input_scheme ") + pair.actAttr;
        inputs.push_back(as.inputs[0]);
      } else {
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        aReal.resize(m * k);
        for (float &v : aReal)
          v = dist(rng);
        inputs.push_back(floats(aShape, aReal));
        actType = "f32";
      }
      inputs.push_back(bytes(wShape, wCodes));
      inputs.insert(inputs.end(), ws.inputs.begin(), ws.inputs.end());
      std::string wParams = ws.params, wTypes = ws.types;
      // ScaleData names weight scales %s; keep them after the activations.
      std::string mlir =
          "func.func @f(%x: " + shapeText(aShape, actType) + params +
          ", %w: " + shapeText(wShape, pair.weight) + wParams + ") -> " +
          shapeText({m, n}, "f32") + " {\n  %y = lowbit.matmul %x, %w weight_scheme " +
          pair.weightAttr + actScheme + " weight_scales(%s)" + actScales +
          " : (" + shapeText(aShape, actType) + ", " +
          shapeText(wShape, pair.weight) + wTypes + types + ") -> " +
          shapeText({m, n}, "f32") + "\n  return %y : " +
          shapeText({m, n}, "f32") + "\n}\n";
      std::vector<NpyArray> results = runReference(mlir, inputs, 1);
      ASSERT_EQ(results.size(), 1u) << pair.name;
      std::vector<float> got = asFloats(results[0]);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c) {
          double expect = 0, magnitude = 0;
          for (int64_t i = 0; i < k; ++i) {
            expect += double(aReal[r * k + i]) * wReal[c * k + i];
            magnitude += std::fabs(double(aReal[r * k + i]) * wReal[c * k + i]);
          }
          EXPECT_NEAR(got[r * n + c], expect, 1e-5 * (1 + magnitude))
              << pair.name << " trial " << trial << " at " << r << "," << c;
        }
    }
  }
}

TEST(ReferenceAgreement, BitplanesAndLookupTables) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 4; ++trial) {
    unsigned p = 1 + rng() % 3, q = 1 + rng() % 4;
    int64_t m = 1 + rng() % 4, n = 4 + rng() % 5, k = 32;
    std::vector<uint8_t> a(m * k), w(n * k);
    for (uint8_t &v : a)
      v = uint8_t(rng() % (1u << p));
    for (uint8_t &v : w)
      v = uint8_t(rng() % (1u << q));
    std::string aType = shapeText({m, k}, "!lowbit.bipolar<" + std::to_string(p) + ">");
    std::string wType = shapeText({n, k}, "!lowbit.bipolar<" + std::to_string(q) + ">");
    std::string ap = shapeText({int64_t(p), m, k}, "i1"),
                wp = shapeText({int64_t(q), n, k}, "i1");
    std::string out = shapeText({m, n}, "i32");
    std::string mlir = "func.func @f(%a: " + aType + ", %w: " + wType +
                       ") -> " + out + " {\n  %ap = lowbit.bitplane_decompose %a : " +
                       aType + " -> " + ap + "\n  %wp = lowbit.bitplane_decompose %w : " +
                       wType + " -> " + wp + "\n  %c = lowbit.bitplane_matmul %ap, %wp : " +
                       ap + ", " + wp + " -> " + out + "\n  return %c : " + out + "\n}\n";
    std::vector<NpyArray> results =
        runReference(mlir, {bytes({m, k}, a), bytes({n, k}, w)}, 1);
    ASSERT_EQ(results.size(), 1u);
    std::vector<int32_t> got(m * n);
    memcpy(got.data(), results[0].data.data(), got.size() * 4);
    std::vector<int32_t> expected =
        bitplaneMatmul(bitplaneDecompose(a, p), bitplaneDecompose(w, q), p, q,
                       m, n, k);
    EXPECT_EQ(got, expected) << "trial " << trial;

    // LUT: the same bipolar weights through tables, symmetric or not.
    bool symmetric = trial % 2;
    int64_t g = 4, groups = k / g, entries = symmetric ? 8 : 16;
    std::vector<float> x(m * k), scales(n);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float &v : x)
      v = dist(rng);
    for (float &v : scales)
      v = 0.5f + float(rng() % 100) / 100.0f;
    std::vector<uint8_t> indices = lutWeightIndices(w, q, n, k, g);
    std::string xType = shapeText({m, k}, "f32");
    std::string tType = shapeText({m, groups, entries}, "f32");
    std::string iType = shapeText({int64_t(q), n, groups}, "i4");
    std::string sType = shapeText({n, 1}, "f32"), yType = shapeText({m, n}, "f32");
    std::string attrs = std::string("{group_size = 4") + (symmetric ? ", symmetric}" : "}");
    std::string lut =
        "func.func @f(%x: " + xType + ", %w: " + iType + ", %s: " + sType +
        ") -> (" + tType + ", " + yType + ") {\n  %t = lowbit.lut_build %x " +
        attrs + " : " + xType + " -> " + tType +
        "\n  %y = lowbit.lut_matmul %t, %w weight_scheme #lowbit.quant<storage = "
        "!lowbit.bipolar<" + std::to_string(q) +
        ">, granularity = per_channel, axis = 0, scale_type = f32> scales(%s) " +
        attrs + " : (" + tType + ", " + iType + ", " + sType + ") -> " + yType +
        "\n  return %t, %y : " + tType + ", " + yType + "\n}\n";
    results = runReference(lut, {floats({m, k}, x), bytes({int64_t(q), n, groups}, indices),
                                 floats({n, 1}, scales)}, 2);
    ASSERT_EQ(results.size(), 2u);
    std::vector<float> table = lutBuild(x, m, k, g, symmetric);
    std::vector<float> gotTable = asFloats(results[0]);
    for (size_t i = 0; i < table.size(); ++i)
      EXPECT_NEAR(gotTable[i], table[i], 1e-5) << "table entry " << i;
    std::vector<float> y = lutMatmul(table, indices, m, n, groups, q, g, symmetric,
                                     [&](int64_t col, int64_t) { return scales[col]; });
    std::vector<float> gotY = asFloats(results[1]);
    CodeType bipolar = CodeType::bipolar(q);
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        // Also against the direct product with the bipolar weight values.
        double direct = 0;
        for (int64_t i = 0; i < k; ++i)
          direct += double(x[r * k + i]) * bipolar.decode(w[c * k + i]);
        direct *= scales[c];
        EXPECT_NEAR(gotY[r * n + c], y[r * n + c], 1e-4 * (1 + std::fabs(direct)));
        EXPECT_NEAR(gotY[r * n + c], direct, 1e-4 * (1 + std::fabs(direct)));
      }
  }
}

} // namespace
