//===- BitPlanesTest.cpp - bit planes in the GPU layout -------------------===//
//
// The `bitplane` GPU kernel reads planes packed by packBitRows and computes
// the product from ANDed popcounts; bitplaneMatmulPacked is that arithmetic
// on the host. Both are checked here against the definition
// (bitplaneMatmul, which ReferenceAgreementTest checks against the MLIR
// reference) on random planes.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/BitPlanes.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir::lowbit::quant;

namespace {

std::vector<uint8_t> randomBits(size_t count, std::mt19937 &rng) {
  std::vector<uint8_t> bits(count);
  for (uint8_t &bit : bits)
    bit = rng() & 1;
  return bits;
}

TEST(BitPlanes, RowsArePaddedToSixteenBytes) {
  EXPECT_EQ(bitRowBytes(1), 16);
  EXPECT_EQ(bitRowBytes(128), 16);
  EXPECT_EQ(bitRowBytes(129), 32);
  EXPECT_EQ(bitRowBytes(1000), 128);
  EXPECT_EQ(bitRowBytes(4096), 512);
}

TEST(BitPlanes, PackedBitsSitLowestFirstWithZeroPadding) {
  std::mt19937 rng(11);
  const int64_t rows = 3, k = 133;
  std::vector<uint8_t> bits = randomBits(rows * k, rng);
  auto packed = packBitRows(bits, rows, k);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  ASSERT_EQ(packed->size(), size_t(rows * 32));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < k; ++i)
      EXPECT_EQ(((*packed)[r * 32 + i / 8] >> (i % 8)) & 1, bits[r * k + i])
          << "row " << r << ", bit " << i;
    // Bits 133..255 of the row are padding.
    EXPECT_EQ((*packed)[r * 32 + 16] >> 5, 0);
    for (int64_t byte = 17; byte < 32; ++byte)
      EXPECT_EQ((*packed)[r * 32 + byte], 0);
  }
}

TEST(BitPlanes, PackingRejectsValuesOtherThanBits) {
  std::vector<uint8_t> bits(2 * 10, 1);
  bits[13] = 2;
  auto packed = packBitRows(bits, 2, 10);
  ASSERT_FALSE(bool(packed));
  EXPECT_EQ(llvm::toString(packed.takeError()),
            "bit planes: value 2 at row 1, column 3 is not 0 or 1");
  auto short_ = packBitRows(std::vector<uint8_t>(7, 0), 2, 4);
  ASSERT_FALSE(bool(short_));
  EXPECT_EQ(llvm::toString(short_.takeError()),
            "bit planes: 7 values for 2 rows of 4 bits");
}

TEST(BitPlanes, PopcountFormulaMatchesTheDefinition) {
  std::mt19937 rng(5);
  struct Case {
    int64_t p, q, m, n, k;
  };
  for (Case c : {Case{1, 1, 5, 7, 1}, Case{2, 2, 9, 6, 100}, Case{3, 4, 4, 5, 256},
                 Case{8, 2, 2, 9, 1000}, Case{8, 8, 3, 3, 129}, Case{1, 5, 6, 2, 4096}}) {
    std::vector<uint8_t> a = randomBits(c.p * c.m * c.k, rng);
    std::vector<uint8_t> w = randomBits(c.q * c.n * c.k, rng);
    auto packedA = packBitRows(a, c.p * c.m, c.k);
    auto packedW = packBitRows(w, c.q * c.n, c.k);
    ASSERT_TRUE(packedA && packedW);
    std::vector<int32_t> expected = bitplaneMatmul(a, w, c.p, c.q, c.m, c.n, c.k);
    std::vector<int32_t> got =
        bitplaneMatmulPacked(*packedA, *packedW, c.p, c.q, c.m, c.n, c.k);
    EXPECT_EQ(got, expected) << "P = " << c.p << ", Q = " << c.q << ", K = " << c.k;
    // Not vacuous: random planes give products of both signs.
    EXPECT_TRUE(std::any_of(expected.begin(), expected.end(),
                            [](int32_t v) { return v != 0; }));
  }
}

} // namespace
