//===- Layouts.h - the bytes of every #lowbit.layout ----------------------===//
//
// Packing and unpacking of code matrices to and from the byte formats of the
// layout kinds. Codes come one per byte (raw bits in the low `bits` bits) in
// row-major [rows, cols] order. Multi-byte words are little-endian. The
// formats, which kernels read:
//
// - packed: one dense bit stream over the whole matrix, code i at bit i * bits.
// - interleave(order): each row in groups of E = order.size() consecutive
//   codes that fill one, two or four 32-bit words (E * bits = 32, 64 or
//   128); bits [s * bits, (s + 1) * bits) of a group hold the group's code
//   order[s]. cols must be a multiple of E.
// - bit_planes: for p = 0 .. bits-1, a dense bit stream of bit p of every
//   code, each plane padded to a whole 32-bit word.
// - split_4_2 (6-bit codes): the low 4 bits of every code as a dense 4-bit
//   stream, then the high 2 bits as a dense 2-bit stream.
// - mma_fragment(mma = [16, 8, k], tile): tiles of [tile rows, tile cols] in
//   row-major tile order, as one dense bit stream. Inside a tile, each band
//   of 16 rows in order, its columns in chunks of 256 / bits codes (16
//   bytes per lane of a warp, 512 in all); a chunk holds, lane by lane, the
//   codes of that lane's A fragments of mma.sync m16n8kK for the chunk's K
//   steps, step by step, in PTX's element order: element i of lane
//   4 g + t is row g + 8 ((i / e) % 2), column e t + i % e + (k / 2) (i / (2e))
//   of the step, e = k / 8 the codes of one 32-bit register of the widened
//   operand (k = 16: f16/bf16, e = 2; k = 32: s8/e4m3, e = 4). One 16-byte
//   load per lane then yields its fragments for 4 K steps of 4-bit codes at
//   k = 16 (2 at k = 32 or for 8-bit codes at k = 16, 1 for 8-bit codes at
//   k = 32). Tile rows are a multiple of 16, tile cols of 256 / bits.
// - mixed_4_8(block): for each [block rows, block cols] block in row-major
//   block order, one byte (4 or 8), then the block's codes as a dense 4-bit
//   stream when every code fits in signed 4 bits, else one byte per code.
//   Codes are i8.
// - channel_permute(perm): one byte per code, channel i of each row holding
//   channel perm[i] of the input.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_QUANT_LAYOUTS_H
#define LOWBIT_QUANT_LAYOUTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::lowbit::quant {

enum class LayoutKind {
  Packed,
  MMAFragment,
  Interleave,
  BitPlanes,
  Split4_2,
  Mixed4_8,
  ChannelPermute,
  SignMagnitude
};

/// AWQ's order of the eight 4-bit codes in a 32-bit word: bits [4s, 4s + 4)
/// hold code kAwqOrder[s] (an `interleave` order). Its checkpoints pack so,
/// and the split-K GEMV's f16x2 pairs are then consecutive codes.
inline constexpr int64_t kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

/// 4-bit codes in the order of 16-bit A fragments (mma.sync m16n8k16 and
/// wgmma's register A for f16/bf16): in each group of 32 codes (16 bytes of
/// a row, two K steps of 16), word q holds the eight codes that lane 4g + q
/// holds for a row over both steps, nibble s (bits 4s .. 4s + 3) of the
/// word code 2q + 8 (s % 4) + (s / 4): a register's pair of codes (2q +
/// 8j, 2q + 8j + 1) sits in nibbles j and j + 4, at bits 4j .. 4j + 3 of
/// its two halves. One 32-bit load then gives the four registers of the
/// two steps, each a mask of the word shifted by 4j.
inline constexpr int64_t kHalfFragmentOrder[32] = {0,  8,  16, 24, 1,  9,  17, 25, 2,  10, 18,
                                                   26, 3,  11, 19, 27, 4,  12, 20, 28, 5,  13,
                                                   21, 29, 6,  14, 22, 30, 7,  15, 23, 31};

/// sign_magnitude: signed 4-bit codes of -7..7 as the e4m3 bytes of code /
/// 512 (sign at bit 7, magnitude at bits 0..2: subnormal, exact), split
/// between a word and the word rotated, for wgmma's 8-bit register A. In
/// each group of 32 codes (16 bytes of a row) word q holds the bytes of the
/// two registers of a K step that lane 4g + q holds for a row (a0 / a2 or
/// a1 / a3): codes 4q .. 4q + 3 as `word & kSignMagnitudeMask` and 16 + 4q
/// .. 16 + 4q + 3 as `rotr(word, 4) & kSignMagnitudeMask`, byte j for code
/// j of each. The masks are disjoint, so word = low | rotl(high, 4). One
/// load, one mask, one rotate and one mask widen eight codes (the lookups
/// of packed s4 codes take ten operations for eight); -8 has no encoding.
inline constexpr uint32_t kSignMagnitudeMask = 0x87878787u;
inline constexpr int kSignMagnitudeRotation = 4;
inline constexpr int64_t kSignMagnitudeScale = 512;
/// The e4m3 byte of code / 512 for a code in -7..7.
constexpr uint8_t signMagnitudeByte(int code) {
  return uint8_t((code < 0 ? 0x80 : 0) | (code < 0 ? -code : code));
}
/// The code (-7..7) of such a byte's sign and magnitude bits.
constexpr int signMagnitudeCode(uint8_t byte) {
  return byte & 0x80 ? -int(byte & 7) : int(byte & 7);
}

struct Layout {
  LayoutKind kind = LayoutKind::Packed;
  std::vector<int64_t> tile;        // mma_fragment
  std::vector<int64_t> order;       // interleave
  std::vector<int64_t> block;       // mixed_4_8
  std::vector<int64_t> permutation; // channel_permute
  std::vector<int64_t> mma;         // mma_fragment: [16, 8, 16 or 32]
};

/// mma_fragment's rules: the mma is m16 with K steps of 16 or 32 and codes
/// of 4 or 8 bits; a tile is whole bands of 16 rows and whole 16-byte lane
/// chunks (256 / bits codes) of columns. Empty when they hold, else what
/// breaks them. Shared by the dialect's verifier and the packer.
std::string mmaFragmentRuleViolation(llvm::ArrayRef<int64_t> mma, llvm::ArrayRef<int64_t> tile,
                                     unsigned bits);

/// interleave's rule: `positions` codes of 2, 4 or 8 bits fill one, two or
/// four 32-bit words. Empty when it holds, else what breaks it. Shared by the
/// dialect's verifier and the packer.
std::string interleaveRuleViolation(int64_t positions, unsigned bits);

struct CodeMatrix {
  int64_t rows, cols;
  unsigned bits;
};

llvm::Expected<std::vector<uint8_t>> packCodes(const Layout &layout,
                                               const CodeMatrix &shape,
                                               llvm::ArrayRef<uint8_t> codes);
llvm::Expected<std::vector<uint8_t>> unpackCodes(const Layout &layout,
                                                 const CodeMatrix &shape,
                                                 llvm::ArrayRef<uint8_t> bytes);

/// LLM.int8-style outlier split of a [rows, cols] matrix: the columns holding
/// any |x| >= threshold, and the matrix with those columns set to zero.
struct OutlierSplit {
  std::vector<int64_t> columns;
  std::vector<float> dense;    // [rows, cols], outlier columns zeroed
  std::vector<float> outliers; // [rows, columns.size()]
};
OutlierSplit splitOutliers(llvm::ArrayRef<float> x, int64_t rows,
                           int64_t cols, float threshold);

} // namespace mlir::lowbit::quant

#endif // LOWBIT_QUANT_LAYOUTS_H
