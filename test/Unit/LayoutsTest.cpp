//===- LayoutsTest.cpp - byte formats of the layouts ----------------------===//
#include "lowbit/Quant/Layouts.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

using namespace mlir::lowbit::quant;

namespace {

std::vector<uint8_t> pack(const Layout &layout, CodeMatrix m,
                          std::vector<uint8_t> codes) {
  auto bytes = packCodes(layout, m, codes);
  EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  return bytes ? *bytes : std::vector<uint8_t>{};
}

TEST(Layouts, GoldenBytes) {
  Layout packed;
  EXPECT_EQ(pack(packed, {1, 4, 4}, {1, 2, 3, 4}),
            (std::vector<uint8_t>{0x21, 0x43}));
  // 3-bit codes cross byte boundaries: 111 000 101.
  EXPECT_EQ(pack(packed, {1, 3, 3}, {7, 0, 5}),
            (std::vector<uint8_t>{0x47, 0x01}));

  Layout interleave{LayoutKind::Interleave, {}, {0, 2, 4, 6, 1, 3, 5, 7}, {}, {}};
  EXPECT_EQ(pack(interleave, {1, 8, 4}, {0, 1, 2, 3, 4, 5, 6, 7}),
            (std::vector<uint8_t>{0x20, 0x64, 0x31, 0x75}));
  // A group of two words: 8-bit codes 0..7 as 4, 0, 5, 1 | 6, 2, 7, 3.
  Layout twoWords{LayoutKind::Interleave, {}, {4, 0, 5, 1, 6, 2, 7, 3}, {}, {}};
  EXPECT_EQ(pack(twoWords, {1, 8, 8}, {10, 11, 12, 13, 14, 15, 16, 17}),
            (std::vector<uint8_t>{14, 10, 15, 11, 16, 12, 17, 13}));

  Layout planes{LayoutKind::BitPlanes, {}, {}, {}, {}};
  EXPECT_EQ(pack(planes, {1, 3, 2}, {1, 2, 3}),
            (std::vector<uint8_t>{0x05, 0, 0, 0, 0x06, 0, 0, 0}));

  Layout split{LayoutKind::Split4_2, {}, {}, {}, {}};
  EXPECT_EQ(pack(split, {1, 2, 6}, {0x3a, 0x15}),
            (std::vector<uint8_t>{0x5a, 0x07})); // low nibbles a, 5; high bits 3, 1

  Layout mixed{LayoutKind::Mixed4_8, {}, {}, {1, 2}, {}};
  // Block 1 fits in 4 bits (-1, 7), block 2 does not (100).
  EXPECT_EQ(pack(mixed, {1, 4, 8}, {0xff, 7, 100, 1}),
            (std::vector<uint8_t>{4, 0x7f, 8, 100, 1}));

  Layout permute{LayoutKind::ChannelPermute, {}, {}, {}, {2, 0, 1}};
  EXPECT_EQ(pack(permute, {1, 3, 8}, {10, 11, 12}),
            (std::vector<uint8_t>{12, 10, 11}));

  // sign_magnitude: codes 0 (-3) and 16 (-5) are byte 0 of word 0's low
  // and high registers (0x83, 0x85), the high one stored rotated left by 4:
  // its magnitude at bits 4..6, its sign at bit 3 of byte 1. Code 19 (-1,
  // byte 3 of the high register) wraps its sign into bit 3 of byte 0;
  // code 31 (-7) does so in word 3.
  Layout signMagnitude{LayoutKind::SignMagnitude, {}, {}, {}, {}};
  std::vector<uint8_t> codes(32, 0);
  for (auto [col, code] : {std::pair{0, -3}, {16, -5}, {19, -1}, {20, 7}, {31, -7}})
    codes[col] = uint8_t(code & 0xF);
  EXPECT_EQ(pack(signMagnitude, {1, 32, 4}, codes),
            (std::vector<uint8_t>{0xdb, 0x08, 0x00, 0x10, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x08, 0x00, 0x00, 0x70}));
}

// Property: unpack(pack(codes)) == codes for every layout, width and shape.
TEST(Layouts, RoundTripIsTheIdentity) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 320; ++trial) {
    Layout layout;
    unsigned bits = 1 + rng() % 8;
    int64_t rows = 1 + rng() % 6, cols = 8 * (1 + rng() % 6);
    switch (trial % 8) {
    case 0:
      layout.kind = LayoutKind::Packed;
      cols = 1 + rng() % 40;
      break;
    case 1: {
      layout.kind = LayoutKind::Interleave;
      bits = std::vector<unsigned>{2, 4, 8}[rng() % 3];
      // Groups of one, two or four words.
      layout.order.resize((32 << rng() % 3) / bits);
      std::iota(layout.order.begin(), layout.order.end(), 0);
      std::shuffle(layout.order.begin(), layout.order.end(), rng);
      cols = int64_t(layout.order.size()) * (1 + rng() % 4);
      break;
    }
    case 2:
      layout.kind = LayoutKind::BitPlanes;
      break;
    case 3:
      layout.kind = LayoutKind::Split4_2;
      bits = 6;
      break;
    case 4:
      layout.kind = LayoutKind::MMAFragment;
      bits = rng() % 2 ? 4 : 8;
      layout.mma = {16, 8, rng() % 2 ? 16 : 32};
      layout.tile = {16 * int64_t(1 + rng() % 2), int64_t(256 / bits)};
      rows = layout.tile[0] * int64_t(1 + rng() % 2);
      cols = layout.tile[1] * int64_t(1 + rng() % 3);
      break;
    case 5:
      layout.kind = LayoutKind::Mixed4_8;
      bits = 8;
      layout.block = {1, 4};
      break;
    case 6:
      layout.kind = LayoutKind::ChannelPermute;
      layout.permutation.resize(cols);
      std::iota(layout.permutation.begin(), layout.permutation.end(), 0);
      std::shuffle(layout.permutation.begin(), layout.permutation.end(), rng);
      break;
    case 7:
      layout.kind = LayoutKind::SignMagnitude;
      bits = 4;
      cols = 32 * (1 + rng() % 3);
      break;
    }
    CodeMatrix m{rows, cols, bits};
    std::vector<uint8_t> codes(rows * cols);
    for (uint8_t &c : codes)
      c = uint8_t(rng() % (1u << bits));
    // Mixed blocks: make some blocks narrow.
    if (layout.kind == LayoutKind::Mixed4_8)
      for (size_t i = 0; i < codes.size(); i += 8)
        for (size_t j = i; j < std::min(i + 4, codes.size()); ++j)
          codes[j] = uint8_t(int8_t(rng() % 16) - 8);
    // Sign and magnitude hold -7..7: -8 (0b1000) becomes -7.
    if (layout.kind == LayoutKind::SignMagnitude)
      for (uint8_t &c : codes)
        c = c == 8 ? 9 : c;
    auto bytes = packCodes(layout, m, codes);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    auto back = unpackCodes(layout, m, *bytes);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(*back, codes) << "trial " << trial;
    // Dense formats use exactly the bits they need.
    if (layout.kind == LayoutKind::Packed) {
      EXPECT_EQ(bytes->size(), size_t((rows * cols * bits + 7) / 8));
    }
  }
}

// mma_fragment: lane 4 g + t's 16 bytes of a chunk are its A fragments of
// mma.sync, registers a0..a3 in order, as the PTX ISA lists them: a0 row g,
// a1 row g + 8, a2 row g and a3 row g + 8 in the step's second half of K.
TEST(Layouts, FragmentsAreOneLoadPerLane) {
  auto codeAt = [](int64_t row, int64_t col, unsigned bits) {
    return uint8_t((row * 7 + col * 3) % (1u << bits));
  };
  for (auto [bits, k] : {std::pair<unsigned, int64_t>{4, 16}, {4, 32}, {8, 16}, {8, 32}}) {
    int64_t cols = 2 * 256 / bits; // two chunks per row band
    CodeMatrix m{32, cols, bits};
    std::vector<uint8_t> codes(m.rows * m.cols);
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c)
        codes[r * m.cols + c] = codeAt(r, c, bits);
    Layout layout{LayoutKind::MMAFragment, {16, cols}, {}, {}, {}, {16, 8, k}};
    std::vector<uint8_t> bytes = pack(layout, m, codes);
    ASSERT_EQ(bytes.size(), size_t(32 * cols * bits / 8));
    // Codes per 32-bit register of the widened operand, per lane and step.
    int64_t perRegister = k / 8, stepsPerChunk = 256 / bits / k;
    for (int64_t band = 0; band < 2; ++band)
      for (int64_t chunk = 0; chunk < 2; ++chunk)
        for (int64_t lane = 0; lane < 32; ++lane) {
          const uint8_t *load = &bytes[((band * 2 + chunk) * 32 + lane) * 16];
          int64_t g = lane / 4, t = lane % 4, code = 0;
          for (int64_t step = 0; step < stepsPerChunk; ++step)
            for (int64_t reg = 0; reg < 4; ++reg)
              for (int64_t j = 0; j < perRegister; ++j, ++code) {
                int64_t row = 16 * band + g + 8 * (reg % 2);
                int64_t col =
                    chunk * (256 / bits) + step * k + perRegister * t + j + (k / 2) * (reg / 2);
                uint8_t got = bits == 8 ? load[code] : (load[code / 2] >> (4 * (code % 2))) & 0xf;
                EXPECT_EQ(got, codeAt(row, col, bits))
                    << bits << "-bit k" << k << " lane " << lane << " step " << step << " a" << reg
                    << " code " << j;
              }
          EXPECT_EQ(code * bits, 128) << "16 bytes per lane";
        }
  }
}

// The same against the PTX ISA's figures themselves, for lane 5 (groupID
// 1, threadID_in_group 1): m16n8k16's a0..a3 hold (row, col) (1, 2) (1, 3),
// (9, 2) (9, 3), (1, 10) (1, 11), (9, 10) (9, 11); m16n8k32's hold columns
// 4..7 of rows 1, 9, then 20..23 of rows 1, 9. Codes are their row in one
// matrix and their column in the other; 8-bit codes, so bytes are codes.
TEST(Layouts, FragmentsMatchThePtxFigures) {
  auto lane5 = [](int64_t k, bool rowCodes) {
    CodeMatrix m{16, 32, 8};
    std::vector<uint8_t> codes(16 * 32);
    for (int64_t r = 0; r < 16; ++r)
      for (int64_t c = 0; c < 32; ++c)
        codes[r * 32 + c] = uint8_t(rowCodes ? r : c);
    Layout layout{LayoutKind::MMAFragment, {16, 32}, {}, {}, {}, {16, 8, k}};
    std::vector<uint8_t> bytes = pack(layout, m, codes);
    return std::vector<uint8_t>(bytes.begin() + 5 * 16, bytes.begin() + 5 * 16 + 8);
  };
  EXPECT_EQ(lane5(16, true), (std::vector<uint8_t>{1, 1, 9, 9, 1, 1, 9, 9}));
  EXPECT_EQ(lane5(16, false), (std::vector<uint8_t>{2, 3, 2, 3, 10, 11, 10, 11}));
  EXPECT_EQ(lane5(32, true), (std::vector<uint8_t>{1, 1, 1, 1, 9, 9, 9, 9}));
  EXPECT_EQ(lane5(32, false), (std::vector<uint8_t>{4, 5, 6, 7, 4, 5, 6, 7}));
  // Tiles in row-major order: the first [16, 64] tile's 512 bytes hold
  // columns 0..63 only (codes: the column's 16-wide group).
  CodeMatrix m{16, 128, 4};
  std::vector<uint8_t> codes(16 * 128);
  for (int64_t i = 0; i < 16 * 128; ++i)
    codes[i] = uint8_t((i % 128) / 16);
  Layout layout{LayoutKind::MMAFragment, {16, 64}, {}, {}, {}, {16, 8, 16}};
  std::vector<uint8_t> bytes = pack(layout, m, codes);
  ASSERT_EQ(bytes.size(), 1024u);
  for (size_t b = 0; b < bytes.size(); ++b)
    for (uint8_t code : {uint8_t(bytes[b] & 0xf), uint8_t(bytes[b] >> 4)})
      EXPECT_EQ(code / 4, b / 512) << "byte " << b;
}

TEST(Layouts, BadInputIsAnError) {
  Layout interleave{LayoutKind::Interleave, {}, {0, 1, 2, 3}, {}, {}};
  auto r = packCodes(interleave, {1, 8, 4}, std::vector<uint8_t>(8));
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), "interleave order of 4 positions holds 16 bits of 4-bit "
                                           "codes, not one, two or four 32-bit words");
  Layout packed;
  auto shortData = unpackCodes(packed, {4, 4, 4}, std::vector<uint8_t>(3));
  ASSERT_FALSE(bool(shortData));
  EXPECT_EQ(llvm::toString(shortData.takeError()),
            "packed data is shorter than the layout needs");
  Layout mixed{LayoutKind::Mixed4_8, {}, {}, {1, 2}, {}};
  auto badHeader = unpackCodes(mixed, {1, 2, 8}, std::vector<uint8_t>{5, 0});
  ASSERT_FALSE(bool(badHeader));
  EXPECT_EQ(llvm::toString(badHeader.takeError()),
            "mixed_4_8 block header is 5, not 4 or 8");
  Layout permute{LayoutKind::ChannelPermute, {}, {}, {}, {0, 0, 1}};
  auto badPerm = packCodes(permute, {1, 3, 8}, std::vector<uint8_t>(3));
  ASSERT_FALSE(bool(badPerm));
  EXPECT_EQ(llvm::toString(badPerm.takeError()),
            "channel permutation is not a permutation");
  // sign_magnitude has no -8, takes 4-bit codes and whole groups of 32.
  Layout signMagnitude{LayoutKind::SignMagnitude, {}, {}, {}, {}};
  std::vector<uint8_t> minusEight(64, 1);
  minusEight[32 + 21] = 8;
  auto noCode = packCodes(signMagnitude, {2, 32, 4}, minusEight);
  ASSERT_FALSE(bool(noCode));
  EXPECT_EQ(llvm::toString(noCode.takeError()),
            "sign_magnitude holds codes -7..7; code -8 at row 1, column 21");
  auto wide = packCodes(signMagnitude, {1, 32, 8}, std::vector<uint8_t>(32));
  ASSERT_FALSE(bool(wide));
  EXPECT_EQ(llvm::toString(wide.takeError()),
            "sign_magnitude holds signed 4-bit codes, not 8-bit ones");
  auto ragged = packCodes(signMagnitude, {1, 48, 4}, std::vector<uint8_t>(48));
  ASSERT_FALSE(bool(ragged));
  EXPECT_EQ(llvm::toString(ragged.takeError()), "sign_magnitude needs cols to be a multiple of 32");
  auto truncated = unpackCodes(signMagnitude, {2, 32, 4}, std::vector<uint8_t>(31));
  ASSERT_FALSE(bool(truncated));
  EXPECT_EQ(llvm::toString(truncated.takeError()), "packed data is shorter than the layout needs");
}

TEST(Layouts, OutlierSplit) {
  std::vector<float> x = {0.1f, 9.0f, -0.2f, 0.3f, //
                          0.5f, 0.1f, -7.5f, 0.0f};
  OutlierSplit split = splitOutliers(x, 2, 4, 6.0f);
  EXPECT_EQ(split.columns, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(split.outliers, (std::vector<float>{9.0f, -0.2f, 0.1f, -7.5f}));
  EXPECT_EQ(split.dense, (std::vector<float>{0.1f, 0, 0, 0.3f, 0.5f, 0, 0, 0.0f}));
}

TEST(Layouts, FragmentRules) {
  EXPECT_EQ(mmaFragmentRuleViolation({16, 8, 16}, {16, 64}, 4), "");
  EXPECT_EQ(mmaFragmentRuleViolation({16, 8, 32}, {32, 32}, 8), "");
  EXPECT_NE(mmaFragmentRuleViolation({16, 8, 8}, {16, 64}, 4), "");
  EXPECT_NE(mmaFragmentRuleViolation({8, 8, 16}, {16, 64}, 4), "");
  EXPECT_EQ(mmaFragmentRuleViolation({16, 8, 16}, {8, 64}, 4),
            "mma_fragment tile must be [16 x a, 64 x b] for 4-bit codes (bands of 16 rows, 16 "
            "bytes per lane)");
  EXPECT_NE(mmaFragmentRuleViolation({16, 8, 16}, {16, 16}, 8), "");
  Layout layout{LayoutKind::MMAFragment, {16, 64}, {}, {}, {}, {16, 8, 16}};
  auto packed = packCodes(layout, {16, 64, 3}, std::vector<uint8_t>(16 * 64));
  ASSERT_FALSE(bool(packed));
  EXPECT_EQ(llvm::toString(packed.takeError()),
            "mma_fragment holds 4- or 8-bit codes, not 3-bit ones");
}

} // namespace
