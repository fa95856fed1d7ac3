//===- Wgmma.h - what the wgmma generator knows of one matmul --*- C++ -*-===//
//
// The wgmma strategy's view of a lowbit.matmul (WgmmaKernel.cpp generates
// the kernel from it): the product in the kernel's frame, its tiles, ring
// and shared-memory layout (WgmmaProblem), and the analysis that checks a
// config describes a kernel the generator builds (WgmmaProblem.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_WGMMA_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_WGMMA_H

#include "Kernels.h"

#include "llvm/Support/MathExtras.h"

namespace mlir::lowbit::wgmma {

constexpr int64_t kWarpgroupThreads = 128;
constexpr int64_t kWarpThreads = 32;
/// Rows of one warpgroup's `wgmma` (m64).
constexpr int64_t kWarpgroupRows = 64;
/// Bytes of one row of a K tile: the 128-byte swizzle's row.
constexpr int64_t kRowBytes = 128;
/// K bytes of one `wgmma` (k32 for 8-bit operands).
constexpr int64_t kStepBytes = 32;
/// The 128-byte swizzle repeats every 8 rows; tiles start on this boundary.
constexpr int64_t kSwizzleAtomBytes = 8 * kRowBytes;
/// 16-bit results per 128-byte row of a staging box.
constexpr int64_t kStagingCols = kRowBytes / 2;
/// Dynamic shared memory a block may opt into on sm_90.
constexpr int64_t kMaxSharedBytes = 227 * 1024;
/// Named barriers 1 to 4: each consumer warpgroup's own (its staged
/// epilogue, stream-K's exchange; 0 is __syncthreads').
constexpr int64_t kConsumerBarrier = 1;
/// 32-bit registers of an SM (sm_90), all of them the one block's.
constexpr int64_t kRegistersPerSM = 65536;
/// The most a consumer thread takes (setmaxnreg's limit is 256; CUTLASS's
/// consumers take 232 beside a 40-register producer).
constexpr int64_t kMaxConsumerRegisters = 232;
/// setmaxnreg's most.
constexpr int64_t kSetMaxRegisters = 256;

enum class WgmmaKind {
  Int8,     // s8 x s8 from shared memory
  Fp8,      // e4m3 x e4m3 from shared memory, f32 promotion per K tile
  Int4Int8, // s4 weights widened to s8 in registers (wgmma's A) x s8
  Int4Fp8,  // s4 weights turned into e4m3 in registers (wgmma's A) x e4m3
  Int4Real, // 4-bit weights dequantized to f16/bf16 in registers x f16/bf16
};

/// The product in the kernel's frame, C[rows, cols] = A[rows, K] *
/// B[cols, K]^T: A is wgmma's A operand (64 rows per consumer warpgroup), B
/// its B operand. Normally A is the activations and B the weights; 4-bit
/// weights are swapped in as A, because wgmma takes no 4-bit operand and
/// only A can come from registers, where they are widened.
struct WgmmaProblem {
  int64_t m, n, k;
  int64_t bm, bn, stages; // the config's tile: [M, N] of the product
  bool persistent, streamK;
  /// K tiles per range that blocks claim at run time (config `claim_k`;
  /// 0: stream-K's fixed split).
  int64_t claimK = 0;
  /// Config `producer_registers`: the producer's registers per thread, and
  /// the consumers' cap raised to setmaxnreg's 256 (0: producerRegisters()'
  /// rule, the consumers capped at kMaxConsumerRegisters unless wideConsumers()).
  int64_t producerRegisterOverride = 0;
  /// The config's thread-block cluster: blocks along M and along N.
  int64_t clusterM = 1, clusterN = 1;
  WgmmaKind kind;
  Type scaleType, inputScaleType, resultType;
  int64_t scaleRows, inputScaleRows;

  bool swapped() const {
    return kind == WgmmaKind::Int4Int8 || kind == WgmmaKind::Int4Fp8 || kind == WgmmaKind::Int4Real;
  }
  /// A decode tile of 8, 16 or 32 tokens (4-bit weights only).
  bool shortTokenTile() const { return swapped() && lowbit::gpu::isWgmmaShortTokenTile(bm); }
  /// W4A16: the activations' type (f16 or bf16), the weights' code and
  /// their scales (per channel, or per group of `groupSize` along K).
  Type realType;
  bool unsignedCodes = false, hasZeroPoints = false;
  int64_t groupSize = 0; // 0: per channel or per tensor
  int64_t scaleCols = 1;
  /// Bytes of a weight row per K tile where the weights are 4-bit: 128 (256
  /// codes), or 64 for W4A16 with 128-code K tiles (half the ring slot:
  /// twice the stages); 128 otherwise.
  int64_t aRowBytes = kRowBytes;
  /// W4A16 with weights in the half-fragment order
  /// (LayoutAttr::isHalfFragmentInterleave): a thread reads two K steps'
  /// four A registers of a row with one 32-bit load, each a mask of the word
  /// shifted (widening::halfFragmentPair: five operations per four registers
  /// for f16 and seven for bf16, against eight with two 8-byte loads (f16 up
  /// to 64 tokens) or four byte loads).
  bool halfFragmentWeights = false;
  /// W4A8-e4m3 with weights in the sign_magnitude layout (codes -7..7 as
  /// the e4m3 bytes of code / 512): a thread reads a K step's four A
  /// registers with two 32-bit loads, each a mask of the word and of the
  /// word rotated (three operations per eight codes, against ten with the
  /// lookups); the sums are 1/512 of the products'.
  bool signMagnitudeWeights = false;
  /// Accumulated in f32, promoted from the tensor cores' sum per K tile.
  bool floatProducts() const { return kind == WgmmaKind::Fp8 || kind == WgmmaKind::Int4Fp8; }
  /// The tensor cores sum in s32 (int8 and W4A8-int8): converted to f32 in
  /// the epilogue (and scaled by 1/16 where sixteenfoldWeights).
  bool integerSums() const { return !floatProducts() && kind != WgmmaKind::Int4Real; }
  /// W4A8-int8 widens each code to 16 x code (three PTX operations, where
  /// the code itself takes six: widening::s4ToS8Times16); its sums, 16 times
  /// the products', fit s32 while K * 128 * 128 does (K < 2^17), and
  /// become the products' exactly when scaled by 1/16 in the epilogue.
  bool sixteenfoldWeights() const { return kind == WgmmaKind::Int4Int8 && k < (1 << 17); }
  int64_t rows() const { return swapped() ? n : m; }
  int64_t cols() const { return swapped() ? m : n; }
  int64_t tileRows() const { return swapped() ? bn : bm; }
  int64_t tileCols() const { return swapped() ? bm : bn; }
  /// K per K tile: one row of A (aRowBytes of 4-bit weights, else 128 bytes).
  int64_t kTileK() const { return swapped() ? 2 * aRowBytes : kRowBytes; }
  /// B's K tile in 128-byte swizzled parts (256 8-bit activations: 2; 256
  /// 16-bit ones: 4, 128: 2).
  int64_t bHalves() const {
    int64_t bRowBytes = kTileK() * (kind == WgmmaKind::Int4Real ? 2 : 1);
    return swapped() ? bRowBytes / kRowBytes : 1;
  }
  /// wgmma steps per K tile: 32 bytes of B per row each (k32 for 8-bit
  /// operands, k16 for 16-bit ones).
  int64_t steps() const { return bHalves() * kRowBytes / kStepBytes; }
  int64_t consumers() const { return tileRows() / kWarpgroupRows; }
  int64_t threads() const { return (1 + consumers()) * kWarpgroupThreads; }
  /// Registers per thread that the producer keeps (setmaxnreg.dec): 40,
  /// or setmaxnreg's least, 24, beside four consumers, whose sums spill at
  /// 104 registers on 16-token tiles (ptxas 13.0) but not at 112. Claimed
  /// runs' producer (the claim loop around the K tile loop) takes 56: at
  /// 40 it spilled 8 to 16 bytes on W4A16 (ptxas 13.0), at 24 or 32 beside
  /// four consumers 130 to 208. 56 costs three consumers nothing (152
  /// either way), two 8 of their 232 and four 8 of their 112 (W4A16 on
  /// packed weights, or bf16, then spills 20 to 92 bytes there).
  /// W4A8-e4m3 on 192-token tiles keeps 24 beside two consumers as well:
  /// at 232 registers ptxas 13 spilled 4 to 36 bytes in their K-tile loop
  /// (around the ring's barrier wait; 8.8 million local-memory requests at
  /// M = 4096 on 28672 x 8192), at 240 none, and on the H100 they ran up to
  /// 1.07x faster (2026-12-06, bench/results/2026-12-06-h100-producer24.md).
  int64_t producerRegisters() const {
    if (producerRegisterOverride)
      return producerRegisterOverride;
    if (claimK)
      return 56;
    return consumers() > 3 || wideConsumers() ? 24 : 40;
  }
  bool wideConsumers() const {
    return kind == WgmmaKind::Int4Fp8 && consumers() == 2 && tileCols() >= 192 && !claimK;
  }
  /// Registers per thread at launch: one block per SM's share, rounded down
  /// to a multiple of 8 (ptxas's allocation unit).
  int64_t launchedRegisters() const { return kRegistersPerSM / threads() / 8 * 8; }
  /// Registers per thread the consumers take (setmaxnreg.inc). The block
  /// is launched with one block per SM's share, 65536 / threads rounded
  /// down to a multiple of 8 (ptxas's allocation unit); setmaxnreg only
  /// shares those out, and an increase past them waits forever (two blocks
  /// per SM hung this way on the H200). Two consumers: 232; three: 152;
  /// four: 112.
  int64_t consumerRegisters() const {
    int64_t spare = launchedRegisters() * threads() - producerRegisters() * kWarpgroupThreads;
    int64_t perConsumer = spare / (consumers() * kWarpgroupThreads) / 8 * 8;
    bool uncapped = producerRegisterOverride || wideConsumers();
    return std::min(perConsumer, uncapped ? kSetMaxRegisters : kMaxConsumerRegisters);
  }
  /// Registers the warpgroups hold once setmaxnreg has moved them; the
  /// block must be launched with as many (KernelLaunch::registerPool).
  int64_t registerPool() const {
    return (producerRegisters() + consumers() * consumerRegisters()) * kWarpgroupThreads;
  }
  int64_t kTiles() const { return llvm::divideCeil(k, kTileK()); }
  int64_t aTileBytes() const { return tileRows() * aRowBytes; }
  int64_t bTileBytes() const { return tileCols() * kRowBytes * bHalves(); }
  int64_t stageBytes() const { return aTileBytes() + bTileBytes(); }
  /// Staging buffers per consumer for the staged epilogue (0: results are
  /// stored from registers), each one box of the result's tensor map: 128
  /// bytes (64 16-bit results) of each of the consumer's 64 rows, or
  /// (transposed) of each of `stagingTokens` token rows of the tile.
  int64_t stagingBuffers = 0;
  int64_t stagingTokens = 0;
  int64_t stagingBoxRows() const { return swapped() ? stagingTokens : kWarpgroupRows; }
  int64_t stagingBoxBytes() const { return stagingBoxRows() * kRowBytes; }
  /// After the ring: each consumer's staging buffers (1024-byte aligned, as
  /// the swizzle needs), then the mbarriers: `full` for each slot, then `empty`.
  int64_t stagingOffset() const { return stages * stageBytes(); }
  int64_t barrierOffset() const {
    return stagingOffset() + consumers() * stagingBuffers * stagingBoxBytes();
  }
  /// W4A8-e4m3 keeps the low words of its two lookup tables after the
  /// barriers, one copy per lane: each thread loads its lane's, a value
  /// ptxas cannot tell is the same in every thread, so it stays in a
  /// register. Immediates (or one copy, which ptxas moves into a uniform
  /// register) are copied into a register before every `prmt` that reads
  /// them: 64 more instructions per K tile.
  bool sharedLookupTables() const { return kind == WgmmaKind::Int4Fp8 && !signMagnitudeWeights; }
  int64_t lookupTableOffset() const { return barrierOffset() + 2 * stages * 8; }
  static constexpr int64_t kLookupTableBytes = 2 * 4 * kWarpThreads;
  /// With `claimK` (ClaimedRuns in WgmmaKernel.cpp): the `reported` and
  /// `answered` mbarriers, the mailbox (a run's tile, its K tile count, the
  /// reply), then a word per ring slot naming the range whose first K tile
  /// the producer put in the slot.
  int64_t claimOffset() const {
    return lookupTableOffset() + (sharedLookupTables() ? kLookupTableBytes : 0);
  }
  static constexpr int64_t kClaimHeaderBytes = 32;
  int64_t claimBytes() const { return claimK ? kClaimHeaderBytes + 4 * stages : 0; }
  /// Dynamic shared memory, with room to align the start to the swizzle.
  int64_t sharedBytes() const { return claimOffset() + claimBytes() + kSwizzleAtomBytes; }
  int64_t gridRows() const { return llvm::divideCeil(rows(), tileRows()); }
  int64_t gridCols() const { return llvm::divideCeil(cols(), tileCols()); }
  /// The cluster in the kernel's frame (two blocks at most): along rows,
  /// the pair's tiles share B's tile, which each block loads half of and
  /// multicasts to both; along columns they share A's.
  int64_t clusterRows() const { return swapped() ? clusterN : clusterM; }
  int64_t clusterCols() const { return swapped() ? clusterM : clusterN; }
  int64_t clusterSize() const { return clusterM * clusterN; }
  /// The cluster's tiles as one: how many there are along rows, columns.
  int64_t clusterGridRows() const { return llvm::divideCeil(gridRows(), clusterRows()); }
  int64_t clusterGridCols() const { return llvm::divideCeil(gridCols(), clusterCols()); }
  int64_t clusterTiles() const { return clusterGridRows() * clusterGridCols(); }
  /// Every tile's columns lie inside the product (no store is checked
  /// against its last column): a cluster's second tile may lie past it.
  bool fullColumnTiles() const {
    return cols() % tileCols() == 0 && gridCols() % clusterCols() == 0;
  }
  /// Rows of one TMA box of A and of B: a multicast operand's tile comes in
  /// two halves, one from each block of the cluster.
  int64_t aBoxRows() const { return tileRows() / clusterCols(); }
  int64_t bBoxRows() const { return tileCols() / clusterRows(); }
  /// Arrivals that free a ring slot: each consumer warp of the cluster
  /// (blocks that multicast into a slot wait until both have read it).
  int64_t emptyArrivals() const {
    return clusterSize() * consumers() * kWarpgroupThreads / kWarpThreads;
  }
  /// W4A16 with f16 activations on tiles of up to 64 tokens spreads each
  /// lane's byte of a word into two f16 halves of different biases
  /// (widening::spreadCodePair), reading a row's K step as one 8-byte load:
  /// 432 -> 407 SASS instructions per K tile at 16 tokens, 1.04-1.06x
  /// faster at 32 tokens on the H200, as fast at 16
  /// (bench/results/2026-12-04-h200-w4a16-scales-in-sums.md). bf16, whose
  /// 7-bit mantissa has no room for a code at bits 4..7, and longer tiles
  /// (not yet run on a GPU this way) widen loaded bytes.
  bool spreadCodePairs() const {
    return kind == WgmmaKind::Int4Real && realType.isF16() && tileCols() <= 64 &&
           !halfFragmentWeights;
  }
  /// W4A16 multiplies a K tile in parts (buildDequantizingConsumer) of 8
  /// K steps (128 codes), 4 past 128 tokens or two consumers (whose
  /// registers hold less), and at least two.
  int64_t dequantPartSteps() const {
    return std::min<int64_t>(steps() / 2, tileCols() > 128 || consumers() > 2 ? 4 : 8);
  }
  /// W4A16 on a short token tile (decode) multiplies the f32 sums of each
  /// part of a K tile by their group's scales, where each part lies in one
  /// group, rather than each dequantized code pair: 4 to 16 FFMAs per part
  /// instead of 32 HMUL2s, and the weights are not rounded to f16/bf16
  /// after scaling. Longer token tiles would pay a second set of sums.
  bool scalesInSums() const {
    return kind == WgmmaKind::Int4Real && shortTokenTile() &&
           (groupSize == 0 || groupSize % (dequantPartSteps() * 16) == 0);
  }
  /// Accumulator registers per thread: m64nCOLS over 128 threads.
  int64_t accRegisters() const { return tileCols() / 2; }
};

/// The problem `op` poses with `config`, or a diagnostic on the op naming
/// what this generator does not build.
FailureOr<WgmmaProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config);

/// The staged epilogue's buffers per consumer: 16-bit results whose rows
/// TMA can address (multiples of 16 bytes) are stored through shared
/// memory, with two buffers where the tile has two boxes of columns and
/// both fit beside the ring, else one; otherwise none, and the results are
/// stored from registers. The transposed kernels' boxes hold the whole
/// tile's tokens where that fits, else the most bytes of boxes of a half or
/// a quarter of them that fit, two buffers before one at the same bytes.
/// 192-token W4A8-e4m3 tiles (34 KiB left beside the 3 x 64 KiB ring) take
/// two 48-token boxes, 1.02-1.09x faster than storing from registers on the
/// H200. Smaller parts cost a barrier pair each: 256-token W4A16 tiles
/// (10 KiB left beside 3 x 72 KiB) in 16- or 32-token boxes ran 0.96-1.05x,
/// and store from registers
/// (bench/results/2026-12-03-h200-staged-transposed.md).
void chooseStaging(WgmmaProblem &p);

} // namespace mlir::lowbit::wgmma

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_WGMMA_H
