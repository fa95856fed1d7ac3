//===- LowBitGPUDialect.h - lowbit_gpu dialect and attributes -------------===//
#ifndef LOWBITGPU_IR_LOWBITGPUDIALECT_H
#define LOWBITGPU_IR_LOWBITGPUDIALECT_H

#include "lowbit/Support/AsmHelpers.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "LowBitGPU/IR/LowBitGPUDialect.h.inc"
#include "LowBitGPU/IR/LowBitGPUEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "LowBitGPU/IR/LowBitGPUAttrs.h.inc"

namespace mlir::lowbit::gpu {

/// Whether the wgmma strategy stores a result of `resultBits`-bit elements
/// in rows of `n` through shared memory with TMA (16-bit results whose rows
/// are whole 16 bytes, TMA's stride rule); others are stored from
/// registers. The kernel generator, the config selector and the tuner
/// agree through this.
inline bool wgmmaStagesResults(unsigned resultBits, int64_t n) {
  return resultBits == 16 && (n * 2) % 16 == 0;
}

/// Whether stream-K spills on this wgmma tile: beside its exchange of
/// partial sums, an int8 128 x 256 tile whose 128 sums per thread are
/// stored from registers runs out of registers.
inline bool wgmmaStreamKSpills(Type mmaType, int64_t blockM, int64_t blockN,
                               bool stagedResults) {
  return mmaType.isInteger(8) && blockM == 128 && blockN == 256 && !stagedResults;
}

/// The wgmma kernel's token tile (wgmma's n) for `m` tokens of a product
/// with 4-bit weights (computed transposed, the tokens as the instruction's
/// n) where a tile under 64 holds them: 8, 16 or 32, the config naming it
/// as its mma's first extent (mma = [T, 64, k]); 0 past 32 tokens.
inline int64_t wgmmaShortTokenTile(int64_t m) {
  for (int64_t tile : {8, 16, 32})
    if (m <= tile)
      return tile;
  return 0;
}
/// Whether `tokens` is one of those tiles.
inline bool isWgmmaShortTokenTile(int64_t tokens) {
  return tokens > 0 && wgmmaShortTokenTile(tokens) == tokens;
}

/// Fewest K tiles per part of a tile that the wgmma kernel's stream-K
/// splits: below that, the partial sums its blocks exchange cost more than
/// the balance gains.
constexpr int64_t kWgmmaMinStreamKIters = 8;

/// The parts stream-K splits each of `rest` tiles (those past the last
/// whole wave) of `kTiles` K tiles into over `slots` blocks (SMs, or
/// clusters); below 2, none.
inline int64_t wgmmaStreamKParts(int64_t rest, int64_t slots, int64_t kTiles) {
  return rest ? std::min(slots / rest, kTiles / kWgmmaMinStreamKIters) : 0;
}

/// The GEMVs' chunk of a weight row, what a lane loads as one: 16 bytes of
/// 2-, 4- or 8-bit codes, or `bits` words (32 codes) of 3-, 5- or 6-bit
/// codes, some of which straddle two words. The generator (Gemv.h) and the
/// config selector's mirror of it both size chunks here.
inline int64_t gemvChunkBytes(unsigned bits) { return 32 % bits == 0 ? 16 : 4 * bits; }
inline int64_t gemvChunkCodes(unsigned bits) { return 8 * gemvChunkBytes(bits) / bits; }

/// Fails, with a diagnostic on `op`, where one of its operands or results
/// is a tensor with a static dimension of 0 (no GPU kernel is built for an
/// empty product: its grid would be empty, and the config rules divide by
/// its tile counts), a dimension of 2^32 or more (TMA's limit), or more
/// than 2^40 elements (byte sizes and offsets would overflow). The config
/// selector and the kernel generators both check.
LogicalResult verifyKernelOperandSizes(Operation *op);

} // namespace mlir::lowbit::gpu

#endif // LOWBITGPU_IR_LOWBITGPUDIALECT_H
