//===- RegisterWidening.h - 4-bit codes widened in registers ----*- C++ -*-===//
//
// The constants of the register sequences the GPU kernel generators emit to
// widen packed 4-bit weight codes (lib/Conversion/LowBitToGPU), and host
// emulations of those sequences, so that unit tests check every input
// against the quantization library's numerics without a GPU. Plain C++: no
// MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_CONVERSION_REGISTERWIDENING_H
#define LOWBIT_CONVERSION_REGISTERWIDENING_H

#include "lowbit/Quant/Layouts.h"

#include <cstdint>

namespace mlir::lowbit::widening {

/// `prmt.b32 d, lo, hi, select` (default mode): byte i of d is byte
/// (nibble i of `select`) & 7 of the pair {hi, lo} (bytes 0-3 from `lo`),
/// or, where that nibble's bit 3 is set, the selected byte's sign bit
/// replicated over the byte.
constexpr uint32_t prmt(uint32_t lo, uint32_t hi, uint32_t select) {
  uint64_t pool = (uint64_t(hi) << 32) | lo;
  uint32_t result = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t nibble = (select >> (4 * i)) & 0xF;
    uint32_t byte = uint32_t(pool >> (8 * (nibble & 7))) & 0xFF;
    if (nibble & 8)
      byte = (byte & 0x80) ? 0xFF : 0x00;
    result |= byte << (8 * i);
  }
  return result;
}

/// Selects the sign bits of four packed codes (bits 3, 7, 11, 15 of a word)
/// in sign mode: they are bit 7 of bytes 0 and 1 of `word << 4` (codes 0
/// and 2) and of `word` (codes 1 and 3).
constexpr uint32_t kSignMaskSelect = 0xD9C8;
/// Values of the low three bits of a code, one byte each: 0..7 as s8, as
/// e4m3 (codes 0..7), and as e4m3 of the negative codes 8..15 (-8..-1).
constexpr uint32_t kS8Low[2] = {0x03020100, 0x07060504};
constexpr uint32_t kE4m3Positive[2] = {0x44403800, 0x4E4C4A48};
constexpr uint32_t kE4m3Negative[2] = {0xCACCCED0, 0xB8C0C4C8};
/// The latter halved: the e4m3 encodings of all integers in [-8, 7] are
/// even, so halves keep them whole below each byte's sign bit.
constexpr uint32_t kE4m3NegativeHalved[2] = {(kE4m3Negative[0] >> 1) & 0x7F7F7F7Fu,
                                             (kE4m3Negative[1] >> 1) & 0x7F7F7F7Fu};
/// Flips the sign bit of four packed codes (bit 3 of each nibble).
constexpr uint32_t kCodeSignBits = 0x8888;

/// 0xFF in byte i where packed code i (low 16 bits of `word`) is negative.
constexpr uint32_t signMask(uint32_t word) {
  return prmt(word << 4, word, kSignMaskSelect);
}

/// Four packed signed 4-bit codes (low 16 bits, lowest nibble first) as
/// four s8 (lowest byte first): one lookup, negative codes OR 0xF8.
constexpr uint32_t s4ToS8(uint32_t word) {
  return prmt(kS8Low[0], kS8Low[1], word & 0x7777) | (signMask(word) & 0xF8F8F8F8u);
}

/// The same codes times 16 as four s8 (each code in the high half of its
/// byte, lowest first): bytes 0 and 1 of `word << 4` hold codes 0 and 2
/// there, those of `word` codes 1 and 3; one `prmt` interleaves them and
/// a mask clears the low halves. Three operations against s4ToS8's six,
/// for products 16 times larger.
constexpr uint32_t kInterleaveLowBytes = 0x5140;
constexpr uint32_t s4ToS8Times16(uint32_t word) {
  return prmt(word << 4, word, kInterleaveLowBytes) & 0xF0F0F0F0u;
}

/// The same codes as four e4m3 bytes, from two lookups whose sign mode
/// zeroes the bytes they do not own: the codes themselves select the
/// values of codes 0..7 (a negative code's selector has bit 3 set and picks
/// the sign of a positive value's byte: 0), the codes with their sign bits
/// flipped the halved values of -8..-1 (zero for the non-negative codes the
/// same way). Each byte then comes from one lookup: the sum of the first
/// and twice the second, with no carry between bytes.
constexpr uint32_t s4ToE4m3(uint32_t word) {
  uint32_t nonNegative = prmt(kE4m3Positive[0], kE4m3Positive[1], word);
  uint32_t negativeHalved =
      prmt(kE4m3NegativeHalved[0], kE4m3NegativeHalved[1], word ^ kCodeSignBits);
  return nonNegative + (negativeHalved << 1);
}

/// W4A16: a byte's two codes (low nibble first) OR-ed into the mantissas of
/// a pair of 1024.0 (f16) or 128.0 (bf16): the 16-bit halves hold exactly
/// the bias plus the code (unsigned) or plus code + 8 (signed codes, whose
/// sign bit is flipped on the way).
constexpr int64_t codeBias(bool bf16) { return bf16 ? 128 : 1024; }
constexpr uint32_t codeMagic(bool bf16, bool signedCodes) {
  uint32_t magic = bf16 ? 0x43004300u : 0x64006400u;
  return signedCodes ? magic ^ 0x00080008u : magic;
}
constexpr uint32_t biasedCodePair(uint32_t byte, bool bf16, bool signedCodes) {
  return ((byte * 0x1001u) & 0x000F000Fu) ^ codeMagic(bf16, signedCodes);
}

/// W4A16 with f16 activations on `wgmma` reads a weight row's bytes for a
/// K step as two words (one 8-byte load): each lane of a quad takes byte
/// `lane` (0..3) of each word, its two codes. One `prmt` copies that byte
/// into bytes 0 and 2, one LOP3 masks the low code (bits 0..3) into the
/// mantissa of 1024.0 and the high code (bits 20..23: bits 4..7 of the
/// high half) into that of 64.0, whose mantissa steps by 1/16: the halves
/// hold exactly 1024 + code and 64 + code (+ 8 for signed codes, flipped
/// on the way). Two operations per pair and a quarter of the loads of
/// biasedCodePair's byte loads; bf16's 7-bit mantissa has no room for a
/// code at bits 4..7.
constexpr uint32_t kSpreadSelect = 0x4040; // + 0x0101 * lane
constexpr uint32_t kSpreadMask = 0x00F0000F;
constexpr int64_t kSpreadBias[2] = {1024, 64}; // low half, high half
constexpr uint32_t spreadMagic(bool signedCodes) { return signedCodes ? 0x54806408u : 0x54006400u; }
constexpr uint32_t spreadCodePair(uint32_t word, unsigned lane, bool signedCodes) {
  return (prmt(word, 0, kSpreadSelect + 0x0101u * lane) & kSpreadMask) ^ spreadMagic(signedCodes);
}

/// Signed 4-bit codes in the sign_magnitude layout (quant::kSignMagnitudeMask):
/// register `high` (0 or 1) of a lane's word, the e4m3 bytes of code / 512,
/// is a mask of the word or of the word rotated right by 4. Three
/// operations per eight codes, exact, no activation sums.
constexpr uint32_t signMagnitudeE4m3(uint32_t word, bool high) {
  return (high ? llvm::rotr(word, quant::kSignMagnitudeRotation) : word) &
         quant::kSignMagnitudeMask;
}

/// 4-bit codes in the half-fragment order (quant::kHalfFragmentOrder):
/// register j (0..3) of a lane's word, the pair of codes in nibbles j and
/// j + 4, OR-ed into the mantissas of a pair of biases: one load for four
/// registers. bf16 shifts the word by 4j and masks bits 0..3 of each half
/// into 128.0 (seven operations per four registers, against four byte loads
/// and eight operations with biasedCodePair). f16 shifts by 8 for registers
/// 2 and 3 only: its odd registers mask bits 4..7 of each half into 64.0,
/// whose mantissa steps by 1/16, as spreadCodePair's high half (five
/// operations, against spreadCodePair's two 8-byte loads and eight). Each half holds
/// exactly halfFragmentBias + code (+ 8 for signed codes, flipped on the
/// way).
constexpr bool halfFragmentHighNibbles(unsigned reg, bool bf16) { return !bf16 && reg % 2; }
constexpr unsigned halfFragmentShift(unsigned reg, bool bf16) {
  return bf16 ? 4 * reg : 8 * (reg / 2);
}
constexpr uint32_t halfFragmentMask(unsigned reg, bool bf16) {
  return halfFragmentHighNibbles(reg, bf16) ? 0x00F000F0u : 0x000F000Fu;
}
constexpr uint32_t halfFragmentMagic(unsigned reg, bool bf16, bool signedCodes) {
  if (!halfFragmentHighNibbles(reg, bf16))
    return codeMagic(bf16, signedCodes);
  return signedCodes ? 0x54805480u : 0x54005400u;
}
constexpr int64_t halfFragmentBias(unsigned reg, bool bf16) {
  return halfFragmentHighNibbles(reg, bf16) ? 64 : codeBias(bf16);
}
constexpr uint32_t halfFragmentPair(uint32_t word, unsigned reg, bool bf16, bool signedCodes) {
  return ((word >> halfFragmentShift(reg, bf16)) & halfFragmentMask(reg, bf16)) ^
         halfFragmentMagic(reg, bf16, signedCodes);
}

/// The GEMVs' 4-bit chunks (16 bytes, 32 codes, 4 words): the decoders pair
/// nibbles q and q + 4 of word j (pair q of word j). Which codes those are
/// depends on the order the codes are packed in, and so does where the
/// activations that multiply them are gathered from.
enum class ChunkOrder {
  Packed,       // nibble s of word j: code 8j + s
  Awq,          // quant::kAwqOrder in each word: code 8j + 2 (s % 4) + s / 4
  HalfFragment, // quant::kHalfFragmentOrder: code 2j + 8 (s % 4) + s / 4
  // quant's sign_magnitude layout: no nibble holds a code (each code's sign
  // bit sits apart from its magnitude); a word's two registers of e4m3
  // bytes (signMagnitudeE4m3) hold codes 4j .. 4j + 3 and 16 + 4j ..
  // 16 + 4j + 3, and pair q is bytes 2 (q % 2) and the next of register
  // q / 2 (pairCode).
  SignMagnitude,
};
constexpr int chunkCode(ChunkOrder order, int word, int nibble) {
  switch (order) {
  case ChunkOrder::Packed:
    return 8 * word + nibble;
  case ChunkOrder::Awq:
    return 8 * word + 2 * (nibble % 4) + nibble / 4;
  case ChunkOrder::HalfFragment:
    return 2 * word + 8 * (nibble % 4) + nibble / 4;
  case ChunkOrder::SignMagnitude:
    return -1; // no nibbles: pairCode
  }
  return -1;
}
/// The code that element `half` (0 or 1) of pair q of word j holds: nibble
/// q + 4 half of the word, or sign_magnitude's byte 2 (q % 2) + half of
/// register q / 2.
constexpr int pairCode(ChunkOrder order, int word, int pair, int half) {
  if (order == ChunkOrder::SignMagnitude)
    return 16 * (pair / 2) + 4 * word + 2 * (pair % 2) + half;
  return chunkCode(order, word, pair + 4 * half);
}

/// f16/bf16 activations of the interleaved orders' pairs, consecutive
/// codes: the 32-bit word of the chunk's activations (16 words: four
/// 16-byte vectors of four) that pair q of word j multiplies as loaded.
constexpr int pairActivationWord(ChunkOrder order, int word, int pair) {
  return order == ChunkOrder::Awq ? 4 * word + pair : 4 * pair + word;
}

/// A `prmt` over two of a chunk's eight words of byte activations (int8 or
/// e4m3): bytes of words `lo` and `hi`, selected by `select` (default mode,
/// four selector nibbles).
struct ByteGather {
  int lo, hi;
  uint32_t select;
};
/// The two bytes of pair q of word j into bytes 0 and 1 (e4m3, converted
/// as a pair) or 0 and 2 (int8, `spread`) of the result.
constexpr ByteGather pairBytes(ChunkOrder order, int word, int pair, bool spread) {
  int first = pair, second = pair + 4, lo = 2 * word, hi = 2 * word + 1;
  if (order == ChunkOrder::Awq) {
    first = 2 * pair;
    second = first + 1;
  } else if (order == ChunkOrder::HalfFragment) {
    lo = hi = 2 * pair + word / 2;
    first = 2 * (word % 2);
    second = first + 1;
  } else if (order == ChunkOrder::SignMagnitude) {
    lo = hi = word + 4 * (pair / 2);
    first = 2 * (pair % 2);
    second = first + 1;
  }
  return {lo, hi, uint32_t(spread ? first | second << 8 : first | second << 4)};
}
/// The four bytes of word j's even nibbles (`odd` false: nibbles 0, 2, 4, 6)
/// or odd ones, in that order (s8 tensor cores: an A register of 16 x code
/// bytes and its B register of activations).
constexpr ByteGather nibbleBytes(ChunkOrder order, int word, bool odd) {
  switch (order) {
  case ChunkOrder::Packed:
    return {2 * word, 2 * word + 1, odd ? 0x7531u : 0x6420u};
  case ChunkOrder::Awq:
    return {2 * word, 2 * word + 1, odd ? 0x7362u : 0x5140u};
  case ChunkOrder::HalfFragment:
    return {2 * odd + word / 2, 4 + 2 * odd + word / 2, word % 2 ? 0x7362u : 0x5140u};
  case ChunkOrder::SignMagnitude:
    break; // s8 tensor cores do not read sign_magnitude codes
  }
  return {0, 0, 0};
}

} // namespace mlir::lowbit::widening

#endif // LOWBIT_CONVERSION_REGISTERWIDENING_H
