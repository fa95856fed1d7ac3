// The register sequences that widen packed 4-bit weight codes in the GPU
// kernels (include/lowbit/Conversion/RegisterWidening.h), emulated on the
// host for every input and compared with the quantization library's codes.
#include "lowbit/Conversion/RegisterWidening.h"
#include "lowbit/Quant/CodeType.h"
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Support/Npy.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir::lowbit;
using namespace mlir::lowbit::quant;

namespace {

/// Signed 4-bit code `i` of `word` (lowest nibble first).
int codeOf(uint32_t word, int i) {
  int nibble = (word >> (4 * i)) & 0xF;
  return nibble >= 8 ? nibble - 16 : nibble;
}

TEST(Widening, PrmtPicksBytesAndReplicatesSigns) {
  // Bytes of {hi, lo} by index, and sign mode (bit 3) on 0x80 / 0x7F bytes.
  EXPECT_EQ(widening::prmt(0x33221100, 0x77665544, 0x7531), 0x77553311u);
  EXPECT_EQ(widening::prmt(0x0000807F, 0, 0x9898), 0xFF00FF00u);
}

TEST(Widening, EveryS4WordBecomesItsS8Bytes) {
  for (uint32_t word = 0; word < 0x10000; ++word) {
    uint32_t widened = widening::s4ToS8(word);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(int8_t(widened >> (8 * i)), codeOf(word, i)) << std::hex << word;
  }
}

TEST(Widening, EveryS4WordBecomesSixteenTimesItsS8Bytes) {
  for (uint32_t word = 0; word < 0x10000; ++word) {
    uint32_t widened = widening::s4ToS8Times16(word);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(int8_t(widened >> (8 * i)), 16 * codeOf(word, i)) << std::hex << word;
  }
}

TEST(Widening, EveryS4WordBecomesExactE4m3Bytes) {
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  for (uint32_t word = 0; word < 0x10000; ++word) {
    uint32_t widened = widening::s4ToE4m3(word);
    for (int i = 0; i < 4; ++i) {
      uint8_t byte = widened >> (8 * i);
      ASSERT_EQ(byte, e4m3.encode(codeOf(word, i))) << std::hex << word;
      ASSERT_EQ(e4m3.decode(byte), codeOf(word, i)) << std::hex << word;
    }
  }
}

TEST(Widening, CodePairsAreExactBiasedHalves) {
  for (bool bf16 : {false, true})
    for (bool signedCodes : {false, true})
      for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t pair = widening::biasedCodePair(byte, bf16, signedCodes);
        for (int half = 0; half < 2; ++half) {
          uint16_t bits = pair >> (16 * half);
          double value = bf16 ? bf16ToDouble(bits) : halfToDouble(bits);
          int code = (byte >> (4 * half)) & 0xF;
          if (signedCodes)
            code = code >= 8 ? code - 16 : code;
          // The kernels subtract the bias (+ 8 for signed codes) exactly.
          EXPECT_EQ(value - widening::codeBias(bf16) - (signedCodes ? 8 : 0), code)
              << "byte " << byte << (bf16 ? " bf16" : " f16");
        }
      }
}

TEST(Widening, SpreadCodePairsAreExactBiasedF16Halves) {
  for (bool signedCodes : {false, true})
    for (unsigned lane = 0; lane < 4; ++lane)
      for (uint32_t byte = 0; byte < 256; ++byte) {
        // The other lanes' bytes must not leak into this lane's pair.
        uint32_t word = (0xA5C3E1F0u & ~(0xFFu << (8 * lane))) | (byte << (8 * lane));
        uint32_t pair = widening::spreadCodePair(word, lane, signedCodes);
        for (int half = 0; half < 2; ++half) {
          double value = halfToDouble(uint16_t(pair >> (16 * half)));
          int code = (byte >> (4 * half)) & 0xF;
          if (signedCodes)
            code = code >= 8 ? code - 16 : code;
          EXPECT_EQ(value - widening::kSpreadBias[half] - (signedCodes ? 8 : 0), code)
              << "byte " << byte << " lane " << lane;
        }
      }
}

/// A random group of 32 4-bit codes (0..15) and the four 32-bit words that
/// quant::packCodes makes of it in the interleave `order`.
struct PackedGroup {
  std::vector<uint8_t> codes;
  uint32_t words[4];
};
PackedGroup packRandomGroup(const int64_t (&order)[32], std::mt19937 &rng) {
  Layout layout{LayoutKind::Interleave, {}, {}, {}, {}};
  layout.order.assign(std::begin(order), std::end(order));
  PackedGroup group{std::vector<uint8_t>(32), {}};
  for (uint8_t &c : group.codes)
    c = uint8_t(rng() % 16);
  auto bytes = packCodes(layout, {1, 32, 4}, group.codes);
  EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  for (int q = 0; q < 4; ++q) {
    group.words[q] = 0;
    for (int b = 0; bytes && b < 4; ++b)
      group.words[q] |= uint32_t((*bytes)[4 * q + b]) << (8 * b);
  }
  return group;
}

// Weights packed sign_magnitude: lane q's word of each 16-byte group,
// masked as it is and rotated right by 4, is the e4m3 bytes of code / 512
// for K 4q .. 4q + 3 and 16 + 4q .. 16 + 4q + 3, exactly, for every code
// -7..7; and any word unpacks to codes that pack back to the same widened
// registers (a byte 0x80, -0, is code 0).
TEST(Widening, SignMagnitudeWordsBecomeExactE4m3) {
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  Layout layout{LayoutKind::SignMagnitude, {}, {}, {}, {}};
  std::mt19937 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> codes(32);
    for (uint8_t &c : codes)
      c = uint8_t((int(rng() % 15) - 7) & 0xF);
    auto bytes = packCodes(layout, {1, 32, 4}, codes);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    for (int q = 0; q < 4; ++q) {
      uint32_t word = 0;
      for (int b = 0; b < 4; ++b)
        word |= uint32_t((*bytes)[4 * q + b]) << (8 * b);
      for (int high = 0; high < 2; ++high) {
        uint32_t reg = widening::signMagnitudeE4m3(word, high);
        for (int j = 0; j < 4; ++j) {
          int code = codes[4 * q + j + 16 * high];
          code = code >= 8 ? code - 16 : code;
          double value = e4m3.decode(uint8_t(reg >> (8 * j)));
          ASSERT_EQ(value * kSignMagnitudeScale, code)
              << "trial " << trial << " word " << q << " high " << high << " byte " << j;
          // tma_gemv's pairs: pair 2 high + j / 2 of word q, element j % 2.
          ASSERT_EQ(
              widening::pairCode(widening::ChunkOrder::SignMagnitude, q, 2 * high + j / 2, j % 2),
              4 * q + j + 16 * high);
        }
      }
    }
  }
  // Random words (every bit pattern, -0 included) unpack and repack to
  // words that widen to the same values.
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bytes(16);
    for (uint8_t &b : bytes)
      b = uint8_t(rng());
    auto codes = unpackCodes(layout, {1, 32, 4}, bytes);
    ASSERT_TRUE(bool(codes)) << llvm::toString(codes.takeError());
    auto again = packCodes(layout, {1, 32, 4}, *codes);
    ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
    for (int q = 0; q < 4; ++q) {
      uint32_t words[2] = {0, 0};
      for (int b = 0; b < 4; ++b) {
        words[0] |= uint32_t(bytes[4 * q + b]) << (8 * b);
        words[1] |= uint32_t((*again)[4 * q + b]) << (8 * b);
      }
      for (int high = 0; high < 2; ++high)
        for (int j = 0; j < 4; ++j)
          ASSERT_EQ(e4m3.decode(uint8_t(widening::signMagnitudeE4m3(words[0], high) >> (8 * j))),
                    e4m3.decode(uint8_t(widening::signMagnitudeE4m3(words[1], high) >> (8 * j))))
              << "trial " << trial << " word " << q;
    }
  }
}

// Weights packed in the half-fragment order: register j of lane q's word
// of each 16-byte group holds the biased codes of K 2q + 8j and 2q + 8j + 1
// (K step j / 2, registers a0 / a2 of wgmma's and mma.sync's 16-bit A),
// exactly, whatever the other nibbles hold.
TEST(Widening, HalfFragmentWordsBecomeExactBiasedHalves) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 2000; ++trial) {
    auto [codes, words] = packRandomGroup(kHalfFragmentOrder, rng);
    for (int q = 0; q < 4; ++q) {
      uint32_t word = words[q];
      for (bool bf16 : {false, true})
        for (bool signedCodes : {false, true})
          for (unsigned reg = 0; reg < 4; ++reg) {
            uint32_t pair = widening::halfFragmentPair(word, reg, bf16, signedCodes);
            for (int half = 0; half < 2; ++half) {
              uint16_t bits = pair >> (16 * half);
              double value = bf16 ? bf16ToDouble(bits) : halfToDouble(bits);
              int code = codes[2 * q + 8 * reg + half];
              if (signedCodes)
                code = code >= 8 ? code - 16 : code;
              ASSERT_EQ(value - widening::halfFragmentBias(reg, bf16) - (signedCodes ? 8 : 0), code)
                  << "trial " << trial << " word " << q << " register " << reg << " half " << half
                  << (bf16 ? " bf16" : " f16") << (signedCodes ? " signed" : "");
            }
          }
    }
  }
}

// The GEMVs' chunk orders: chunkCode matches the layouts' orders, and every
// gather of activations picks the activations of the codes it is paired
// with. Activations are stood for by their indices (byte b of word w holds
// 4w + b), so a gathered byte is the index of the activation it carries.
TEST(Widening, ChunkGathersPickTheActivationsOfTheirCodes) {
  using widening::ChunkOrder;
  for (int j = 0; j < 4; ++j)
    for (int s = 0; s < 8; ++s) {
      EXPECT_EQ(widening::chunkCode(ChunkOrder::Awq, j, s), 8 * j + kAwqOrder[s]);
      EXPECT_EQ(widening::chunkCode(ChunkOrder::HalfFragment, j, s), kHalfFragmentOrder[8 * j + s]);
    }
  // Each order's pairs hold each of a chunk's 32 codes once.
  for (ChunkOrder order :
       {ChunkOrder::Packed, ChunkOrder::Awq, ChunkOrder::HalfFragment, ChunkOrder::SignMagnitude}) {
    std::vector<int> seen(32, 0);
    for (int j = 0; j < 4; ++j)
      for (int q = 0; q < 4; ++q)
        for (int h = 0; h < 2; ++h)
          ++seen.at(widening::pairCode(order, j, q, h));
    EXPECT_EQ(seen, std::vector<int>(32, 1)) << int(order);
  }
  uint32_t words[8];
  for (int w = 0; w < 8; ++w)
    words[w] = 0x03020100u + 0x04040404u * w;
  auto byteOf = [](uint32_t word, int b) { return int((word >> (8 * b)) & 0xFF); };
  for (ChunkOrder order :
       {ChunkOrder::Packed, ChunkOrder::Awq, ChunkOrder::HalfFragment, ChunkOrder::SignMagnitude})
    for (int j = 0; j < 4; ++j) {
      for (int q = 0; q < 4; ++q) {
        int first = widening::pairCode(order, j, q, 0), second = widening::pairCode(order, j, q, 1);
        if (order != ChunkOrder::SignMagnitude) {
          EXPECT_EQ(second, widening::chunkCode(order, j, q + 4));
        }
        if (order == ChunkOrder::Awq || order == ChunkOrder::HalfFragment) {
          // f16/bf16 activations as loaded: word w holds activations 2w, 2w + 1.
          EXPECT_EQ(first % 2, 0);
          EXPECT_EQ(second, first + 1);
          EXPECT_EQ(widening::pairActivationWord(order, j, q), first / 2);
        }
        for (bool spread : {false, true}) {
          widening::ByteGather g = widening::pairBytes(order, j, q, spread);
          uint32_t gathered = widening::prmt(words[g.lo], words[g.hi], g.select);
          EXPECT_EQ(byteOf(gathered, 0), first) << int(order) << " " << j << " " << q;
          EXPECT_EQ(byteOf(gathered, spread ? 2 : 1), second) << int(order) << " " << j << " " << q;
        }
      }
      for (bool odd : {false, true}) {
        if (order == ChunkOrder::SignMagnitude)
          continue; // not on s8 tensor cores
        widening::ByteGather g = widening::nibbleBytes(order, j, odd);
        uint32_t gathered = widening::prmt(words[g.lo], words[g.hi], g.select);
        for (int i = 0; i < 4; ++i)
          EXPECT_EQ(byteOf(gathered, i), widening::chunkCode(order, j, 2 * i + odd))
              << int(order) << " word " << j << (odd ? " odd" : " even") << " byte " << i;
      }
    }
}

} // namespace
