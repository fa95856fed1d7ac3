//===- NpyTest.cpp - .npy files, values and comparisons -------------------===//
#include "lowbit/Support/Npy.h"
#include "lowbit/Support/ArrayBytes.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

using namespace mlir::lowbit;

namespace {

TEST(Npy, WriteReadRoundTrip) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-npy", dir));
  std::string path = dir.str().str() + "/a.npy";
  NpyArray array{"i4", {2, 3}, {}};
  for (int32_t v : {1, -2, 3, -4, 5, -6})
    array.data.insert(array.data.end(), reinterpret_cast<uint8_t *>(&v),
                      reinterpret_cast<uint8_t *>(&v) + 4);
  ASSERT_FALSE(bool(writeNpy(path, array)));
  auto back = readNpy(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->dtype, "i4");
  EXPECT_EQ(back->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->data, array.data);
  auto values = numericValues(*back);
  ASSERT_TRUE(bool(values));
  EXPECT_EQ(*values, (std::vector<double>{1, -2, 3, -4, 5, -6}));
}

TEST(Npy, HalfAndBf16Values) {
  // 1.5 is 0x3e00 in f16 and 0x3fc0 in bf16; -2 is 0xc000 and 0xc000.
  NpyArray f16{"f2", {2}, {0x00, 0x3e, 0x00, 0xc0}};
  NpyArray bf16{"V2", {2}, {0xc0, 0x3f, 0x00, 0xc0}};
  EXPECT_EQ(*numericValues(f16), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(*numericValues(bf16), (std::vector<double>{1.5, -2.0}));
  NpyArray raw{"V1", {1}, {0}};
  auto bad = numericValues(raw);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()), "cannot read values of dtype 'V1'");
}

// Each dtype numericValues reads, from its little-endian bytes.
TEST(Npy, EveryDtypeDecodes) {
  auto bytesOf = [](auto... values) {
    std::vector<uint8_t> bytes;
    (bytes.insert(bytes.end(), reinterpret_cast<const uint8_t *>(&values),
                  reinterpret_cast<const uint8_t *>(&values) + sizeof(values)),
     ...);
    return bytes;
  };
  NpyArray f4{"f4", {2}, bytesOf(0.25f, -3.5f)};
  NpyArray f8{"f8", {2}, bytesOf(1e-300, -7.0)};
  NpyArray i1{"i1", {3}, {0x80, 0x7f, 0xff}};
  NpyArray u1{"u1", {2}, {0x80, 0xff}};
  NpyArray b1{"b1", {2}, {0, 1}};
  NpyArray i8{"i8", {2}, bytesOf(int64_t(-5), int64_t(1) << 40)};
  EXPECT_EQ(*numericValues(f4), (std::vector<double>{0.25, -3.5}));
  EXPECT_EQ(*numericValues(f8), (std::vector<double>{1e-300, -7.0}));
  EXPECT_EQ(*numericValues(i1), (std::vector<double>{-128, 127, -1}));
  EXPECT_EQ(*numericValues(u1), (std::vector<double>{128, 255}));
  EXPECT_EQ(*numericValues(b1), (std::vector<double>{0, 1}));
  EXPECT_EQ(*numericValues(i8), (std::vector<double>{-5, double(int64_t(1) << 40)}));
  // An unknown dtype is an error even without elements.
  NpyArray empty{"V3", {0}, {}};
  auto bad = numericValues(empty);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()), "cannot read values of dtype 'V3'");
}

TEST(Npy, Comparison) {
  Comparison c = compareValues({1.0, 2.5, NAN}, {1.0, 2.0, 3.0}, 0.1, 0.0);
  EXPECT_EQ(c.count, 3);
  EXPECT_EQ(c.outside, 2); // 0.5 > 0.2, and NaN against a number
  EXPECT_TRUE(std::isinf(c.maxAbs));
  Comparison same = compareValues({1.0, -2.0}, {1.0, -2.0}, 0, 0);
  EXPECT_EQ(same.outside, 0);
  EXPECT_EQ(same.relativeL2, 0.0);

  // A non-finite expected value matches only itself: its tolerance
  // (atol + rtol * inf, or NaN) matched anything.
  Comparison nonFinite =
      compareValues({0.0, 1.0, -5.0, 7.0}, {NAN, INFINITY, -INFINITY, 7.0}, 0.1, 1.0);
  EXPECT_EQ(nonFinite.outside, 3);
  EXPECT_TRUE(std::isinf(nonFinite.relativeL2));
  EXPECT_TRUE(std::isinf(nonFinite.maxRel));
  Comparison matching =
      compareValues({NAN, INFINITY, -INFINITY, 7.0}, {NAN, INFINITY, -INFINITY, 7.0}, 0, 0);
  EXPECT_EQ(matching.outside, 0);
  EXPECT_EQ(matching.relativeL2, 0.0);
  EXPECT_FALSE(std::isnan(matching.maxRel));
  EXPECT_EQ(compareValues({INFINITY}, {-INFINITY}, 0.1, 1.0).outside, 1);
}

// A header whose shape's bytes wrap around 64 bits (2^62 f4 elements
// "need" 0 bytes) is refused, not read as an empty array.
TEST(Npy, ShapeOverflowingSixtyFourBits) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-npy", dir));
  std::string path = dir.str().str() + "/huge.npy";
  NpyArray array{"f4", {int64_t(1) << 32, int64_t(1) << 30}, {}};
  ASSERT_FALSE(bool(writeNpy(path, array)));
  auto back = readNpy(path);
  ASSERT_FALSE(bool(back));
  EXPECT_NE(llvm::toString(back.takeError()).find("more bytes than 64 bits count"),
            std::string::npos);
  EXPECT_EQ(arrayBytes({3, 0, int64_t(1) << 62}, 4), 0u);
  EXPECT_EQ(arrayBytes({2, 3}, 4), 24u);
  EXPECT_EQ(arrayBytes({-1, 3}, 4), std::nullopt);
}

// Tolerances that could not fail a comparison are refused.
TEST(Npy, Tolerances) {
  EXPECT_FALSE(bool(checkTolerances(1e-3, 0.5, -1)));
  EXPECT_FALSE(bool(checkTolerances(0, 0, 2e-3)));
  for (auto [rtol, atol, l2] : {std::tuple<double, double, double>{NAN, 0, -1},
                                {0, INFINITY, -1},
                                {0, -1, -1},
                                {-0.5, 0, -1},
                                {0, 0, NAN}}) {
    llvm::Error error = checkTolerances(rtol, atol, l2);
    EXPECT_TRUE(bool(error)) << rtol << " " << atol << " " << l2;
    llvm::consumeError(std::move(error));
  }
}

} // namespace

// The bit-level decoders agree with APFloat on every 16-bit pattern.
TEST(Npy, HalfDecodersMatchAPFloatEverywhere) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    double half = llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits))
                      .convertToDouble();
    double bf16 = llvm::APFloat(llvm::APFloat::BFloat(), llvm::APInt(16, bits))
                      .convertToDouble();
    double fastHalf = halfToDouble(uint16_t(bits)), fastBf16 = bf16ToDouble(uint16_t(bits));
    if (std::isnan(half)) {
      EXPECT_TRUE(std::isnan(fastHalf)) << bits;
    } else {
      EXPECT_EQ(std::signbit(half), std::signbit(fastHalf)) << bits;
      EXPECT_EQ(half, fastHalf) << bits;
    }
    if (std::isnan(bf16)) {
      EXPECT_TRUE(std::isnan(fastBf16)) << bits;
    } else {
      EXPECT_EQ(bf16, fastBf16) << bits;
    }
  }
}

// doubleToHalf and doubleToBf16 invert the decoders on every pattern but
// NaNs, and round a double once (ties to even, past the largest finite
// value to infinity).
TEST(Npy, DoubleToHalfRoundsOnce) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    double half = halfToDouble(uint16_t(bits)), bf16 = bf16ToDouble(uint16_t(bits));
    if (!std::isnan(half))
      EXPECT_EQ(doubleToHalf(half), bits) << bits;
    if (!std::isnan(bf16))
      EXPECT_EQ(doubleToBf16(bf16), bits) << bits;
  }
  EXPECT_EQ(doubleToHalf(1.0 + 0x1p-11), 0x3C00);     // a tie, to the even 1.0
  EXPECT_EQ(doubleToHalf(1.0 + 3 * 0x1p-11), 0x3C02); // a tie, up to the even
  EXPECT_EQ(doubleToHalf(65520.0), 0x7C00);           // past 65504: infinity
  EXPECT_EQ(doubleToHalf(-0.75 * 0x1p-24), 0x8001);   // the smallest subnormal
  // Just above bf16's tie between 1 and 1 + 2^-7: rounded to a float first,
  // it would be the tie itself, and go to 1.
  EXPECT_EQ(doubleToBf16(1.0 + 0x1p-8 + 0x1p-30), 0x3F81);
}

// floatToBf16 rounds as APFloat does (nearest, ties to even) on finite floats.
TEST(Npy, FloatToBf16MatchesAPFloat) {
  uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;
    uint32_t bits = state;
    if (((bits >> 23) & 0xff) == 0xff) // not finite
      continue;
    float value;
    memcpy(&value, &bits, 4);
    llvm::APFloat f(value);
    bool lost;
    f.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven, &lost);
    uint16_t expected = uint16_t(f.bitcastToAPInt().getZExtValue());
    // (Floats near the top round up to infinity: the same in both.)
    EXPECT_EQ(floatToBf16(value), expected) << bits;
  }
}

// Outputs go through a temporary file renamed into place; a symbolic link
// is followed (its target replaced, the link kept), and a folder is an
// error rather than a rename attempt.
TEST(Npy, AtomicWritesFollowLinksAndRefuseFolders) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-write", dir));
  std::string target = (dir + "/target.txt").str(), link = (dir + "/link.txt").str();
  ASSERT_FALSE(mlir::lowbit::writeFileAtomically(target, [](llvm::raw_ostream &os) { os << "a"; }));
  ASSERT_FALSE(llvm::sys::fs::create_link(target, link));
  ASSERT_FALSE(mlir::lowbit::writeFileAtomically(link, [](llvm::raw_ostream &os) { os << "bc"; }));
  EXPECT_TRUE(llvm::sys::fs::is_symlink_file(link));
  auto bytes = llvm::MemoryBuffer::getFile(target);
  ASSERT_TRUE(bool(bytes));
  EXPECT_EQ((*bytes)->getBuffer(), "bc");
  llvm::Error folder =
      mlir::lowbit::writeFileAtomically(dir.str().str(), [](llvm::raw_ostream &os) { os << "x"; });
  ASSERT_TRUE(bool(folder));
  EXPECT_NE(llvm::toString(std::move(folder)).find("cannot write: is a folder"), std::string::npos);
}
