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

// Weights packed in the byte-fragment order: lane q's word of each 16-byte
// group widens to the e4m3 bytes of (code + 8) / 512 for K 4q .. 4q + 3
// (low register) and 16 + 4q .. 16 + 4q + 3 (high register), exactly,
// whatever the other bytes hold.
TEST(Widening, ByteFragmentWordsBecomeBiasedE4m3) {
  CodeType e4m3 = CodeType::floating(FloatFormat::E4M3FN);
  Layout order{LayoutKind::Interleave, {}, {}, {}, {}};
  order.order.assign(std::begin(kByteFragmentOrder), std::end(kByteFragmentOrder));
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> codes(32);
    for (uint8_t &c : codes)
      c = uint8_t(rng() % 16);
    auto bytes = packCodes(order, {1, 32, 4}, codes);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    for (int q = 0; q < 4; ++q) {
      uint32_t word = 0;
      for (int b = 0; b < 4; ++b)
        word |= uint32_t((*bytes)[4 * q + b]) << (8 * b);
      uint32_t regs[2] = {widening::biasedE4m3Low(word), widening::biasedE4m3High(word)};
      for (int half = 0; half < 2; ++half)
        for (int j = 0; j < 4; ++j) {
          int code = codes[4 * q + j + 16 * half];
          code = code >= 8 ? code - 16 : code;
          double value = e4m3.decode(uint8_t(regs[half] >> (8 * j)));
          ASSERT_EQ(value * widening::kBiasedE4m3Scale - widening::kBiasedE4m3Offset, code)
              << "trial " << trial << " word " << q << " half " << half << " byte " << j;
        }
    }
  }
}

} // namespace
