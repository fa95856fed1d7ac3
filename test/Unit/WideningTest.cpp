// The register sequences that widen packed 4-bit weight codes in the GPU
// kernels (include/lowbit/Conversion/RegisterWidening.h), emulated on the
// host for every input and compared with the quantization library's codes.
#include "lowbit/Conversion/RegisterWidening.h"
#include "lowbit/Quant/CodeType.h"
#include "lowbit/Support/Npy.h"

#include <gtest/gtest.h>

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

} // namespace
