//===- WgmmaKernel.cpp - the wgmma strategy (sm_90a) ----------------------===//
//
// A warp-specialized Hopper GEMM, y[M, N] = x[M, K] * w[N, K]^T, for 8-bit
// operands that the tensor cores take as they are (int8 x int8, e4m3 x e4m3),
// and for packed 4-bit weights with int8, e4m3, f16 or bf16 activations
// (W4A8, W4A16),
// computed transposed: the weights become wgmma's A operand, read from their
// TMA tile by each thread and widened to s8 or e4m3, or dequantized to
// f16/bf16, in registers, since wgmma has no 4-bit type and only A can come
// from registers.
//
// - A block of 1 + R/64 warpgroups computes an [R, C] tile of the kernel's
//   product (R x C = BM x BN; transposed, BN weight rows x BM tokens).
//   Warpgroup 0 is the producer: it gives registers back (`setmaxnreg.dec`)
//   and one of its threads streams K tiles (128 bytes of A per row, 64 for
//   W4A16's 128-code K tiles; of B 128 bytes, for 4-bit weights 256 or 512,
//   or 256 for those 128-code tiles) with TMA (`cp.async.bulk.tensor`) into a ring
//   of `stages` shared-memory slots. The other warpgroups are consumers
//   (`setmaxnreg.inc`), each owning 64 rows of the tile.
// - Each slot has two mbarriers: `full`, armed by the producer with the
//   slot's byte count (`mbarrier.arrive.expect_tx`) and completed by the
//   copies; `empty`, on which every consumer warp (of both blocks of a
//   cluster) arrives once its `wgmma`s have read the slot. Waits use the phase parity of the slot's
//   round, so the ring needs no other synchronisation.
// - TMA writes each 128-byte row with the 128-byte swizzle (64-byte weight
//   rows with the 64-byte one; those are read with ld.shared only), the layout
//   `wgmma` reads through a shared-memory descriptor (8-row atoms 1024 bytes
//   apart); a K step of 32 bytes moves the descriptor's start address.
// - Consumers issue `wgmma.mma_async` m64nBNk32 from both operands in shared
//   memory. FP8 products are accumulated per K tile and added into a
//   separate f32 accumulator (the tensor cores accumulate e4m3 products
//   with fewer bits than f32; promoting every 128 K keeps the sum accurate).
// - Persistent (the default config): at most one block per SM, each looping
//   over tiles in the grouped order; the ring position carries across tiles,
//   so the producer streams the next tile while the consumers store theirs.
// - TMA reads rows and columns past the operands' ends as zeros, so any M,
//   N and K work (K in multiples of 16 bytes, the tensor map's stride
//   rule); the epilogue applies per-token x per-channel scales and stores
//   the elements inside [M, N]: 16-bit results through a staging buffer in
//   shared memory and a TMA store that runs on while the consumer starts its
//   next tile (StagedStores), others from registers.
// - Optionally (config `cluster`), thread-block clusters of two whose tiles
//   share one operand's tile: each block loads half of it and multicasts it
//   to both, and frees a ring slot in both blocks.
// - Optionally (config `stream_k`), the tiles past the last whole wave are
//   split along K over the SMs it leaves idle; the parts' sums meet in a
//   workspace in the kernel's module (TileSchedule, StreamKPartials).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"
#include "TiledGemm.h"
#include "Wgmma.h"
#include "lowbit/Quant/Layouts.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::wgmma;

namespace {

/// Shared-memory addresses: the ring, its barriers and pointers into them.
struct SharedLayout {
  Emitter &e;
  const WgmmaProblem &p;
  Value base; // index: the aligned start of the ring in the shared window

  Value offset(Value stage, int64_t first, int64_t stride) {
    return e.add(e.add(base, first), e.mul(stage, stride));
  }
  Value aTile(Value stage) { return offset(stage, 0, p.aTileBytes()); }
  Value bTile(Value stage) {
    return offset(stage, p.stages * p.aTileBytes(), p.bTileBytes());
  }
  /// Half `half` of B's K tile (128 bytes of K per row).
  Value bHalf(Value stage, int64_t half) {
    return e.add(bTile(stage), half * p.tileCols() * kRowBytes);
  }
  Value full(Value stage) { return pointer(offset(stage, p.barrierOffset(), 8)); }
  /// Lane `lane`'s copy of the low word `i` of W4A8-e4m3's lookup tables
  /// (0: non-negative codes, 1: negative codes halved).
  Value lookupTable(Value lane, int64_t i) {
    return pointer(e.add(e.add(base, p.lookupTableOffset() + 4 * i), e.mul(lane, 8)));
  }
  Value empty(Value stage) {
    return pointer(offset(stage, p.barrierOffset() + 8 * p.stages, 8));
  }
  /// A consumer's first staging buffer.
  Value stagingBuffer(Value consumer) {
    return e.add(e.add(base, p.stagingOffset()),
                 e.mul(consumer, p.stagingBuffers * p.stagingBoxBytes()));
  }
  /// Claimed runs (ClaimedRuns): the `reported` and `answered` barriers,
  /// mailbox word `i` (0: tile, 1: K tile count, 2: reply) and the word
  /// naming the range whose first K tile is in slot `stage` (addresses in
  /// the window).
  Value reported() { return pointer(e.add(base, p.claimOffset())); }
  Value answered() { return pointer(e.add(base, p.claimOffset() + 8)); }
  Value mailbox(int64_t i) { return e.add(base, p.claimOffset() + 16 + 4 * i); }
  Value claim(Value stage) { return offset(stage, p.claimOffset() + p.kClaimHeaderBytes, 4); }
  Value pointer(Value address) { return sharedPointer(e, address); }
  Value clusterPointer(Value address) { return lowbit::clusterPointer(e, address); }
  /// The `wgmma` descriptor of a K-major tile with the 128-byte swizzle at
  /// `address`: start >> 4, leading offset 16 bytes (unused when swizzled),
  /// 1024 bytes between 8-row atoms, layout 1 (128-byte swizzle).
  Value descriptor(Value address) {
    constexpr int64_t fixed = (int64_t(1) << 16) |
                              (int64_t(kSwizzleAtomBytes >> 4) << 32) |
                              (int64_t(1) << 62);
    Value start = arith::AndIOp::create(
        e.b, e.loc, arith::ShRUIOp::create(e.b, e.loc, e.toI64(address), e.i64(4)),
        e.i64(0x3FFF));
    return arith::OrIOp::create(e.b, e.loc, start, e.i64(fixed));
  }
};

/// This block's rank in its cluster: a cluster's blocks are consecutive in
/// x (the grid is one-dimensional, the cluster [2, 1, 1]).
Value clusterRank(Emitter &e, const WgmmaProblem &p) {
  Value block = ::mlir::gpu::BlockIdOp::create(e.b, e.loc, ::mlir::gpu::Dimension::x);
  return e.rem(block, p.clusterSize());
}

/// Declares a zero-initialized global of `words` 32-bit words beside `func`
/// in its module. What a launch leaves there, the next finds.
void declareZeroedGlobal(Emitter &e, ::mlir::gpu::GPUFuncOp func, StringRef name, int64_t words) {
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPoint(func);
  auto type = LLVM::LLVMArrayType::get(e.b.getI32Type(), words);
  auto op = LLVM::GlobalOp::create(e.b, e.loc, type, /*isConstant=*/false, LLVM::Linkage::Internal,
                                   name, Attribute(), /*alignment=*/16, kGlobalAddressSpace);
  e.b.createBlock(&op.getInitializerRegion());
  LLVM::ReturnOp::create(e.b, e.loc, LLVM::ZeroOp::create(e.b, e.loc, type).getResult());
}

/// Byte `offset` of global `name`.
Value globalPointer(Emitter &e, StringRef name, Value offset) {
  auto type = LLVM::LLVMPointerType::get(e.b.getContext(), kGlobalAddressSpace);
  Value base =
      LLVM::AddressOfOp::create(e.b, e.loc, type, FlatSymbolRefAttr::get(e.b.getContext(), name));
  return LLVM::GEPOp::create(e.b, e.loc, type, e.b.getI8Type(), base, ValueRange{e.toI64(offset)});
}

/// A global pointer as the 64-bit address inline PTX takes.
Value globalAddress(Emitter &e, Value pointer) {
  return LLVM::PtrToIntOp::create(e.b, e.loc, e.b.getI64Type(), pointer);
}

/// The first row and column (kernel frame) of tile `tile` in the grouped
/// order, as in the mma_sync strategy: tiles in flight at once share rows
/// of both operands in L2. A cluster's tiles count as one.
std::pair<Value, Value> tileOrigin(Emitter &e, const WgmmaProblem &p, Value tile) {
  return tiled::groupedTileOrigin(e, tile, p.clusterGridRows(), p.clusterGridCols(),
                                  p.tileRows() * p.clusterRows(), p.tileCols() * p.clusterCols());
}

/// How the grid shares out the tiles. Block b of `grid` takes tiles b,
/// b + grid, ... of the first `dpTiles` (a cluster walks its tiles as one
/// tile twice as tall or wide, each block taking its half). With stream-K
/// (`dpTiles` < `tiles`), the tiles that do not fill a last wave are split
/// along K: their K tiles, tile by tile, are cut into `streamGrid` equal
/// ranges, one per block of the first `streamGrid` (several per tile, so
/// that more SMs work on the last wave: 56 FP8 tiles past 10 waves on 132
/// SMs run as 112 halves). Blocks working on the same part of K at once
/// share their operands' rows in L2: ranges that start anywhere in a tile
/// (stream-K proper, over the last wave and the one before it) read them
/// from memory, and ran W8A8 1.2x slower on the H200; decode's short token
/// tiles take them where the split above does not apply (scheduleTiles).
/// With `claimK` (config `claim_k`), the tiles' K tiles are cut into
/// `chunks` ranges of at most claimK each, numbered tile by tile, and
/// blocks claim them at run time (ClaimedRuns).
struct TileSchedule {
  int64_t grid, tiles, dpTiles, kTiles, streamGrid = 0;
  int64_t claimK = 0, chunks = 0;
  bool streamK() const { return dpTiles < tiles; }
  bool claimed() const { return claimK > 0; }
  int64_t units() const { return tiles * chunks; }
  /// K tiles of the split tiles, and the first of block `b`'s range (blocks
  /// from `streamGrid` on have none).
  int64_t streamIters() const { return (tiles - dpTiles) * kTiles; }
  Value rangeStart(Emitter &e, Value b) const {
    Value block = arith::MinUIOp::create(e.b, e.loc, b, e.idx(streamGrid));
    return e.div(e.mul(block, streamIters()), streamGrid);
  }
};

TileSchedule scheduleTiles(const WgmmaProblem &p, int64_t numSMs) {
  int64_t tiles = p.clusterTiles();
  TileSchedule s{tiles, tiles, tiles, p.kTiles()};
  if (!p.persistent || numSMs <= 0)
    return s;
  int64_t clusters = std::max<int64_t>(1, numSMs / p.clusterSize());
  if (p.claimK) {
    TileSchedule claimed = s;
    claimed.claimK = std::min(p.claimK, p.kTiles());
    claimed.chunks = llvm::divideCeil(p.kTiles(), claimed.claimK);
    claimed.grid = std::min(claimed.units(), clusters);
    return claimed;
  }
  s.grid = std::min(tiles, clusters);
  int64_t rest = tiles % clusters;
  if (!p.streamK || rest == 0)
    return s;
  int64_t parts = lowbit::gpu::wgmmaStreamKParts(rest, clusters, p.kTiles());
  if (parts < 2) {
    // Too many tiles past the last whole wave to split each over the idle
    // SMs. Short token tiles (decode) read each weight once, so ranges that
    // start anywhere in a tile cost no reuse in L2: the last whole wave and
    // the rest are cut into one equal range per block (stream-K proper).
    if (!p.shortTokenTile() || tiles < clusters || p.kTiles() < lowbit::gpu::kWgmmaMinStreamKIters)
      return s;
    return TileSchedule{clusters, tiles, tiles - rest - clusters, p.kTiles(), clusters};
  }
  // Without whole waves, only the blocks of the split tiles.
  int64_t dpTiles = tiles - rest;
  return TileSchedule{dpTiles ? clusters : rest * parts, tiles, dpTiles, p.kTiles(), rest * parts};
}

/// A run of K tiles of one output tile that a block computes: K tiles
/// [kBegin, kBegin + kCount) of the tile at (row0, col0) (kernel frame),
/// after `done` K tiles the block streamed before (the ring's position).
/// With stream-K, a run that does not start at K tile 0 (`partial`) leaves
/// its sums in the workspace for the block whose run starts the tile, and
/// a run that starts a tile but does not end it (`needsPartials`) adds
/// those of the blocks after it whose ranges start before `tileEnd` (the
/// split tiles' K tile after this tile's last), before the epilogue.
/// Without stream-K, kBegin, partial, needsPartials and tileEnd are null.
/// Claimed runs (ClaimedRuns) set `tile`, the tile's number, and kBegin,
/// not `block`.
struct TileRun {
  Value block, row0, col0, kBegin, kCount, done;
  Value partial, needsPartials, tileEnd;
  Value tile;
  Value kTile(Emitter &e, Value kt) const { return kBegin ? e.add(kBegin, kt) : kt; }
};

/// The block's runs, in order.
void forEachRun(Emitter &e, const WgmmaProblem &p, const TileSchedule &sched,
                function_ref<void(const TileRun &)> body) {
  OpBuilder &b = e.b;
  auto origin = [&](Value tile) { return tileOrigin(e, p, tile); };
  Value block = ::mlir::gpu::BlockIdOp::create(b, e.loc, ::mlir::gpu::Dimension::x);
  if (!sched.streamK()) {
    Value first = block;
    Value grid = ::mlir::gpu::GridDimOp::create(b, e.loc, ::mlir::gpu::Dimension::x);
    if (p.clusterSize() > 1) {
      first = e.div(first, p.clusterSize());
      grid = e.div(grid, p.clusterSize());
    }
    auto loop = scf::ForOp::create(b, e.loc, first, e.idx(p.clusterTiles()), grid);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value tile = loop.getInductionVar();
    auto [row0, col0] = origin(tile);
    if (p.clusterRows() > 1)
      row0 = e.add(row0, e.mul(clusterRank(e, p), p.tileRows()));
    if (p.clusterCols() > 1)
      col0 = e.add(col0, e.mul(clusterRank(e, p), p.tileCols()));
    Value index =
        arith::DivUIOp::create(b, e.loc, arith::SubIOp::create(b, e.loc, tile, first), grid);
    TileRun run;
    run.block = block;
    run.row0 = row0;
    run.col0 = col0;
    run.kCount = e.idx(p.kTiles());
    run.done = e.mul(index, p.kTiles());
    body(run);
    return;
  }
  // Stream-K: the block's whole tiles, then its range of the split tiles'
  // K tiles, one loop over the K tiles it streams (`done`): K tile `done`
  // is in whole tile done / kTiles while done < dpIters, else at iteration
  // done - dpIters of its range.
  int64_t kTiles = sched.kTiles;
  int64_t dpIters = sched.dpTiles / sched.grid * kTiles;
  Value begin = sched.rangeStart(e, block);
  Value end = sched.rangeStart(e, e.add(block, 1));
  Value total = e.add(arith::SubIOp::create(b, e.loc, end, begin), dpIters);
  scf::WhileOp::create(
      b, e.loc, TypeRange{b.getIndexType()}, ValueRange{e.idx(0)},
      [&](OpBuilder &, Location, ValueRange args) {
        Value more = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, args[0], total);
        scf::ConditionOp::create(b, e.loc, more, args);
      },
      [&](OpBuilder &, Location, ValueRange args) {
        Value done = args[0];
        auto select = [&](Value cond, Value a, Value c) {
          return arith::SelectOp::create(b, e.loc, cond, a, c).getResult();
        };
        Value whole = e.lt(done, dpIters);
        Value iter = e.add(
            begin, select(whole, e.idx(0), arith::SubIOp::create(b, e.loc, done, e.idx(dpIters))));
        Value tile = select(whole, e.add(block, e.mul(e.div(done, kTiles), sched.grid)),
                            e.add(e.div(iter, kTiles), sched.dpTiles));
        Value kBegin = select(whole, e.idx(0), e.rem(iter, kTiles));
        Value rest =
            arith::MinUIOp::create(b, e.loc, arith::SubIOp::create(b, e.loc, e.idx(kTiles), kBegin),
                                   arith::SubIOp::create(b, e.loc, end, iter));
        TileRun run;
        run.block = block;
        std::tie(run.row0, run.col0) = origin(tile);
        run.kBegin = kBegin;
        run.kCount = select(whole, e.idx(kTiles), rest);
        run.done = done;
        run.partial = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne, kBegin, e.idx(0));
        run.needsPartials = arith::AndIOp::create(
            b, e.loc, e.eq(kBegin, 0),
            arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, run.kCount, e.idx(kTiles)));
        run.tileEnd = e.add(arith::SubIOp::create(b, e.loc, iter, kBegin), kTiles);
        body(run);
        scf::YieldOp::create(b, e.loc, ValueRange{e.add(done, run.kCount)});
      });
}

/// The K coordinate (a byte of the rows) of K tile `kt`'s box of A (one
/// row of A per K tile) and of its 128-byte part `half` of B: what
/// buildProducer loads and prefetchFirstWeights pulls into L2.
Value aBoxK(Emitter &e, const WgmmaProblem &p, Value kt) { return e.mul(kt, p.aRowBytes); }
Value bBoxK(Emitter &e, const WgmmaProblem &p, Value kt, int64_t half) {
  return e.add(e.mul(kt, kRowBytes * p.bHalves()), half * kRowBytes);
}

/// The producer's thread 0: every K tile of both operands into the ring.
void buildProducer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem, Value tmapA, Value tmapB,
                   const TileRun &run) {
  OpBuilder &b = e.b;
  Value row0 = run.row0, col0 = run.col0;
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), run.kCount, e.idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value slot = e.add(run.done, loop.getInductionVar());
  Value kt = run.kTile(e, loop.getInductionVar());
  Value stage = e.rem(slot, p.stages), round = e.div(slot, p.stages);
  // The slot's previous round has been read. Round 0 waits on the phase
  // before the first, which counts as complete.
  waitParity(e, smem.empty(stage),
             arith::XOrIOp::create(b, e.loc, e.rem(round, 2), e.idx(1)));
  Value full = smem.full(stage);
  NVVM::MBarrierArriveExpectTxOp::create(b, e.loc, Type(), full,
                                         e.i32(p.stageBytes()), NVVM::MemScopeKind::CTA,
                                         false, Value());
  // A tile the cluster shares comes in two boxes: this block loads the
  // one of its rank and multicasts it to both blocks, whose `full`
  // barriers each count the bytes of both.
  auto load = [&](Value tile, Value map, Value kByte, Value row, int64_t boxRows, int64_t boxBytes,
                  bool shared) {
    Value mask;
    if (shared) {
      Value rank = clusterRank(e, p);
      tile = e.add(tile, e.mul(rank, boxRows * boxBytes));
      row = e.add(row, e.mul(rank, boxRows));
      mask = arith::ConstantIntOp::create(b, e.loc, b.getI16Type(),
                                          (1 << p.clusterSize()) - 1);
    }
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, e.loc, smem.clusterPointer(tile), map, ValueRange{e.toI32(kByte), e.toI32(row)},
        full, ValueRange{}, mask, Value(), NVVM::TMALoadMode::TILE, false,
        NVVM::CTAGroupKindAttr(), Value());
  };
  load(smem.aTile(stage), tmapA, aBoxK(e, p, kt), row0, p.aBoxRows(), p.aRowBytes,
       p.clusterCols() > 1);
  for (int64_t half = 0; half < p.bHalves(); ++half)
    load(smem.bHalf(stage, half), tmapB, bBoxK(e, p, kt, half), col0, p.bBoxRows(), kRowBytes,
         p.clusterRows() > 1);
}

/// Before the grid wait, thread 0 pulls the weights of the first `stages`
/// K tiles of the block's first run into L2 (the K tiles buildProducer
/// loads first): weights are constant, while the activations only the
/// previous grid's completion makes valid. The weights are A where the
/// operands are swapped (4-bit weights, rows = N), else B. Clusters load
/// boxes of a shared tile per rank and claimed runs are known only at run
/// time: those prefetch nothing.
void prefetchFirstWeights(Emitter &e, const WgmmaProblem &p, const TileSchedule &sched, Value tmapA,
                          Value tmapB) {
  if (sched.claimed() || p.clusterSize() > 1)
    return;
  OpBuilder &b = e.b;
  forEachRun(e, p, sched, [&](const TileRun &run) {
    ifThen(e, e.eq(run.done, 0), [&] {
      Value ahead = arith::MinUIOp::create(b, e.loc, run.kCount, e.idx(p.stages));
      auto loop = scf::ForOp::create(b, e.loc, e.idx(0), ahead, e.idx(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value kt = run.kTile(e, loop.getInductionVar());
      auto prefetch = [&](Value map, Value kByte, Value row) {
        NVVM::CpAsyncBulkTensorPrefetchOp::create(b, e.loc, map,
                                                  ValueRange{e.toI32(kByte), e.toI32(row)},
                                                  ValueRange{}, NVVM::TMALoadMode::TILE, Value());
      };
      if (p.swapped()) {
        prefetch(tmapA, aBoxK(e, p, kt), run.row0);
        return;
      }
      for (int64_t half = 0; half < p.bHalves(); ++half)
        prefetch(tmapB, bBoxK(e, p, kt, half), run.col0);
    });
  });
}

/// Byte `offset` of a tile of `rowBytes`-byte rows that TMA stored with
/// the swizzle of that span (the tile aligned to its pattern): its 16-byte
/// chunk in the row (offset bits 4-6 for 128 bytes, 4-5 for 64) XOR-ed with
/// the row's place in the pattern (bits 7-9, 7-8). Bytes of the same chunk
/// eight rows on move with it: callers swizzle one offset and add those.
Value swizzledOffset(Emitter &e, Value offset, int64_t rowBytes) {
  Value line = arith::ShRUIOp::create(e.b, e.loc, offset, e.idx(3));
  return arith::XOrIOp::create(e.b, e.loc, offset,
                               arith::AndIOp::create(e.b, e.loc, line, e.idx(rowBytes - 16)));
}

/// The row of its warpgroup's 64 that thread `lane` of warp `warp` holds
/// in wgmma's fragments (A's and the accumulators'), and that row + 8.
Value fragmentRow(Emitter &e, Value warp, Value lane) {
  return e.add(e.mul(warp, 16), e.div(lane, 4));
}

/// Four packed signed 4-bit codes (the low 16 bits of `word`, K order from
/// the lowest nibble) as four e4m3 bytes, exactly (every integer in [-8, 7]
/// is an e4m3 value) in five PTX operations (four SASS instructions: ptxas
/// fuses the shift and the add): two `prmt` lookups, one selected
/// by the codes (values of 0..7; sign mode zeroes the negative codes'
/// bytes), one by the codes with their sign bits flipped (the halved values
/// of -8..-1; zero for the others), added as first + 2 * second. On the
/// host: widening::s4ToE4m3, checked against the e4m3 encoder for every
/// word. (A mask of the signs picking one of two full lookups took eight,
/// six in SASS.) `lowWords` holds the tables' low words in registers (see
/// WgmmaProblem::sharedLookupTables); the high words are immediates.
Value s4ToE4m3(Emitter &e, Value word, ArrayRef<Value> lowWords) {
  Value nonNegative = e.permute(lowWords[0], e.i32(widening::kE4m3Positive[1]), word);
  Value flipped = arith::XOrIOp::create(e.b, e.loc, word, e.i32(widening::kCodeSignBits));
  Value negativeHalved = e.permute(lowWords[1], e.i32(widening::kE4m3NegativeHalved[1]), flipped);
  return arith::AddIOp::create(e.b, e.loc, nonNegative, e.shl(negativeHalved, 1));
}

/// The same codes times 16 as four s8: each code moved into the high half
/// of its byte (widening::s4ToS8Times16 on the host).
Value s4ToS8Times16(Emitter &e, Value word) {
  return e.andi(e.permute(e.shl(word, 4), word, e.i32(widening::kInterleaveLowBytes)), 0xF0F0F0F0);
}

/// The A fragments of 4-bit weights for K step `step` of ring slot `stage`,
/// widened to s8 (16 x code where sixteenfoldWeights) or e4m3: wgmma's
/// register layout for 8-bit A (as mma.sync m16n8k32 per warp), register i
/// holding row 16 * warp + lane / 4 + 8 * (i % 2) and
/// K 4 * (lane % 4) + 16 * (i / 2) .. + 3 of the step, i.e. two packed
/// bytes of 16-byte chunk `step` of the row, which the 128-byte swizzle
/// moved to chunk step ^ (row % 8) (row % 8 = lane / 4).
SmallVector<Value> loadWidenedWeights(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                                      Value stage, Value consumer, Value warp, Value lane,
                                      int64_t step, ArrayRef<Value> lookupTables) {
  // The chunk is XOR-ed with lane / 4 here rather than through
  // swizzledOffset, whose form of the same offset made ptxas spill 64-96
  // bytes at 192 tokens.
  assert(p.aRowBytes == kRowBytes && "W4A8 takes K tiles of 256 codes only");
  OpBuilder &b = e.b;
  Value row = e.add(e.mul(consumer, kWarpgroupRows), fragmentRow(e, warp, lane));
  Value chunk = arith::XOrIOp::create(b, e.loc, e.idx(step), e.div(lane, 4));
  Value base = e.add(e.add(smem.aTile(stage), e.mul(row, kRowBytes)),
                     e.add(e.mul(chunk, 16), e.mul(e.rem(lane, 4), 2)));
  SmallVector<Value> regs;
  if (p.signMagnitudeWeights) {
    // Lane q's word of the chunk holds both registers of its row (the
    // sign_magnitude layout, quant::kSignMagnitudeMask): registers 0 and 2
    // from row's word, 1 and 3 from row + 8's.
    Value wordBase = e.add(base, e.mul(e.rem(lane, 4), 2));
    regs.resize(4);
    for (int64_t half = 0; half < 2; ++half) {
      Value word = LLVM::LoadOp::create(b, e.loc, b.getI32Type(),
                                        smem.pointer(e.add(wordBase, half * 8 * kRowBytes)));
      regs[half] = e.signMagnitudeE4m3(word, /*high=*/false);
      regs[half + 2] = e.signMagnitudeE4m3(word, /*high=*/true);
    }
    return regs;
  }
  for (int64_t i = 0; i < 4; ++i) {
    Value address = e.add(base, (i % 2) * 8 * kRowBytes + (i / 2) * 8);
    Value codes = LLVM::LoadOp::create(b, e.loc, b.getI16Type(), smem.pointer(address));
    Value word = arith::ExtUIOp::create(b, e.loc, b.getI32Type(), codes);
    regs.push_back(p.kind == WgmmaKind::Int4Fp8 ? s4ToE4m3(e, word, lookupTables)
                   : p.sixteenfoldWeights()     ? s4ToS8Times16(e, word)
                                                : e.widenS4ToS8(word));
  }
  return regs;
}

/// W4A16 codes are turned into floats by OR-ing them into the mantissa of
/// 1024.0 (f16) or 128.0 (bf16): the pair of 16-bit halves then holds the
/// exact integers base + code. Signed codes are flipped to code + 8 (XOR 8)
/// on the way, so that the bit pattern stays a non-negative integer.
int64_t codeBias(const WgmmaProblem &p) { return widening::codeBias(p.realType.isBF16()); }
uint32_t codeMagic(const WgmmaProblem &p) {
  return widening::codeMagic(p.realType.isBF16(), !p.unsignedCodes);
}

/// For W4A16, the scale and the offset (bias + zero point, as the
/// activations' type) of the thread's weight rows (`half` 0: row, 1: row +
/// 8) for each group of a K tile, as pairs: (code pair - offset) * scale is
/// a dequantized pair. Scales of the activations' type multiply in it (one
/// rounding, as the reference); others in f32. Where the scales multiply
/// the sums (WgmmaProblem::scalesInSums), `scale` holds f32 scalars.
struct GroupScales {
  SmallVector<Value> scale, offset; // [half * groupsPerTile + group]
  int64_t groupsPerTile;

  static int64_t count(const WgmmaProblem &p) {
    return p.groupSize ? std::max<int64_t>(1, p.kTileK() / p.groupSize) : 1;
  }
  /// The group of a K tile's step `step` (k16: 16 codes each).
  static int64_t groupOfStep(const WgmmaProblem &p, int64_t step) {
    return p.groupSize ? step * 16 / p.groupSize : 0;
  }
  /// As loop-carried values: the scales, then the offsets.
  SmallVector<Value> values() const {
    SmallVector<Value> all(scale);
    all.append(offset);
    return all;
  }
  static GroupScales fromValues(ValueRange values, int64_t groupsPerTile) {
    size_t half = values.size() / 2;
    return {SmallVector<Value>(values.take_front(half)),
            SmallVector<Value>(values.drop_front(half)), groupsPerTile};
  }
};

GroupScales loadGroupScales(Emitter &e, const WgmmaProblem &p, Value s, Value z,
                            Value row0, Value kt) {
  OpBuilder &b = e.b;
  Type f32 = b.getF32Type();
  GroupScales g;
  g.groupsPerTile = GroupScales::count(p);
  bool exactScales = p.scaleType == p.realType;
  auto pair = [&](Value v) {
    return vector::BroadcastOp::create(b, e.loc, VectorType::get({2}, v.getType()), v)
        .getResult();
  };
  for (int64_t half = 0; half < 2; ++half) {
    // Rows past N read row N - 1 (their products are not stored).
    Value row = arith::MinUIOp::create(b, e.loc, e.add(row0, half * 8), e.idx(p.n - 1));
    Value scaleRow = p.scaleRows == 1 ? e.idx(0) : row;
    for (int64_t group = 0; group < g.groupsPerTile; ++group) {
      Value col = e.idx(0);
      if (p.groupSize)
        col = arith::MinUIOp::create(
            b, e.loc,
            e.div(e.add(e.mul(kt, p.kTileK()), group * p.groupSize), p.groupSize),
            e.idx(p.scaleCols - 1));
      Value scale = memref::LoadOp::create(b, e.loc, s, ValueRange{scaleRow, col});
      g.scale.push_back(p.scalesInSums() ? e.toF32(scale)
                                         : pair(exactScales ? scale : e.toF32(scale)));
      // The codes' offset past the bias: + 8 for signed codes (flipped to
      // code + 8), + the zero point.
      Value offset = e.f32(p.unsignedCodes ? 0 : 8);
      if (z) {
        Value code = arith::ExtUIOp::create(
            b, e.loc, b.getI32Type(),
            memref::LoadOp::create(b, e.loc, z, ValueRange{scaleRow, col}));
        // Zero points hold one code per byte (low nibble).
        Value zp = p.unsignedCodes
                       ? arith::UIToFPOp::create(b, e.loc, f32, e.andi(code, 15)).getResult()
                       : arith::SIToFPOp::create(
                             b, e.loc, f32,
                             arith::ShRSIOp::create(b, e.loc, e.shl(code, 28), e.i32(28)))
                             .getResult();
        offset = arith::AddFOp::create(b, e.loc, offset, zp);
      }
      // Small integers: exact in f16 and bf16.
      auto biased = [&](int64_t bias) {
        return arith::TruncFOp::create(b, e.loc, p.realType,
                                       arith::AddFOp::create(b, e.loc, e.f32(bias), offset));
      };
      if (p.spreadCodePairs()) {
        auto pairType = VectorType::get({2}, p.realType);
        Value both =
            vector::BroadcastOp::create(b, e.loc, pairType, biased(widening::kSpreadBias[0]));
        g.offset.push_back(vector::InsertOp::create(b, e.loc, biased(widening::kSpreadBias[1]),
                                                    both, ArrayRef<int64_t>{1}));
      } else {
        g.offset.push_back(pair(biased(codeBias(p))));
      }
    }
  }
  return g;
}

/// The two 4-bit codes of `byte` (an i32 below 256, K order from the low
/// nibble) in the mantissas of the bias, a pair of the activations' type
/// packed in an i32 (widening::biasedCodePair). byte * 0x1001 puts the high
/// nibble at bits 16..19 beside the low one at 0..3; one LOP3 then masks
/// them into the mantissas (written as lop3: ptxas left `and` and `xor` with
/// two constants two LOP3s per pair, 64 more SASS instructions per K tile).
Value biasedCodePair(Emitter &e, const WgmmaProblem &p, Value byte) {
  Value spread = arith::MulIOp::create(e.b, e.loc, byte, e.i32(0x1001));
  return lop3(e.b, e.loc, spread, 0x000F000F, codeMagic(p), kLop3AndXor);
}

/// The pair of biased codes of `word`'s byte `lane % 4` in two f16 halves
/// (widening::spreadCodePair); `select` is kSpreadSelect + 0x0101 * (lane
/// % 4).
Value spreadCodePair(Emitter &e, const WgmmaProblem &p, Value word, Value select) {
  Value bytes = e.permute(word, e.i32(0), select);
  return lop3(e.b, e.loc, bytes, widening::kSpreadMask, widening::spreadMagic(!p.unsignedCodes),
              kLop3AndXor);
}

/// A pair of biased codes (`bits`) dequantized: minus the offset (bias and
/// zero point, exact), times the scale. Without `scale` the pair is the
/// codes minus the offset (the scales multiply the sums:
/// WgmmaProblem::scalesInSums).
Value dequantizePair(Emitter &e, const WgmmaProblem &p, Value bits, Value scale, Value offset) {
  OpBuilder &b = e.b;
  auto word = VectorType::get({1}, b.getI32Type());
  auto pairType = VectorType::get({2}, p.realType);
  Value codes = vector::BitCastOp::create(
      b, e.loc, pairType, vector::BroadcastOp::create(b, e.loc, word, bits));
  // Exact: both are small integers.
  Value centered = arith::SubFOp::create(b, e.loc, codes, offset);
  Value scaled;
  if (!scale) {
    scaled = centered;
  } else if (cast<VectorType>(scale.getType()).getElementType() == p.realType) {
    scaled = arith::MulFOp::create(b, e.loc, centered, scale);
  } else {
    Value wide = arith::ExtFOp::create(b, e.loc, scale.getType(), centered);
    scaled = arith::TruncFOp::create(b, e.loc, pairType,
                                     arith::MulFOp::create(b, e.loc, wide, scale));
  }
  return vector::ExtractOp::create(b, e.loc, vector::BitCastOp::create(b, e.loc, word, scaled),
                                   ArrayRef<int64_t>{0});
}

/// The A fragments of W4A16 for K step `step` (k16) of ring slot `stage`:
/// register i holds row 16 * warp + lane / 4 + 8 * (i % 2), K 2 * (lane % 4)
/// + 8 * (i / 2) and the next, one packed byte of the row: byte 8 * step +
/// lane % 4 + 4 * (i / 2), where the swizzle moved it (swizzledOffset). f16
/// reads bytes 8 * step .. + 7 of each row at once (the swizzle moves 16-byte
/// chunks, so they stay together) and spreads byte lane % 4 of each word.
SmallVector<Value> loadDequantizedWeights(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                                          Value stage, Value consumer, Value warp, Value lane,
                                          int64_t step, const GroupScales &g) {
  OpBuilder &b = e.b;
  Value row = e.add(e.mul(consumer, kWarpgroupRows), fragmentRow(e, warp, lane));
  int64_t group = GroupScales::groupOfStep(p, step);
  SmallVector<Value> bits(4);
  if (p.spreadCodePairs()) {
    Value base = e.add(smem.aTile(stage),
                       swizzledOffset(e, e.add(e.mul(row, p.aRowBytes), 8 * step), p.aRowBytes));
    Value select = e.toI32(e.add(e.mul(e.rem(lane, 4), 0x0101), widening::kSpreadSelect));
    auto twoWords = VectorType::get({2}, b.getI32Type());
    for (int64_t half = 0; half < 2; ++half) {
      // Eight rows on (the swizzle's pattern repeats) and in the same chunk.
      Value words = LLVM::LoadOp::create(b, e.loc, twoWords,
                                         smem.pointer(e.add(base, half * 8 * p.aRowBytes)),
                                         /*alignment=*/8);
      for (int64_t w = 0; w < 2; ++w)
        bits[2 * w + half] = spreadCodePair(
            e, p, vector::ExtractOp::create(b, e.loc, words, ArrayRef<int64_t>{w}), select);
    }
  } else {
    Value base =
        e.add(smem.aTile(stage),
              swizzledOffset(e, e.add(e.mul(row, p.aRowBytes), e.add(e.rem(lane, 4), 8 * step)),
                             p.aRowBytes));
    for (int64_t i = 0; i < 4; ++i) {
      // Eight rows on (the swizzle's pattern repeats) and in the same chunk.
      Value address = e.add(base, (i % 2) * 8 * p.aRowBytes + (i / 2) * 4);
      bits[i] = biasedCodePair(e, p,
                               arith::ExtUIOp::create(b, e.loc, b.getI32Type(),
                                                      LLVM::LoadOp::create(b, e.loc, b.getI8Type(),
                                                                           smem.pointer(address))));
    }
  }
  SmallVector<Value> regs;
  for (int64_t i = 0; i < 4; ++i) {
    int64_t half = i % 2;
    Value scale = p.scalesInSums() ? Value() : g.scale[half * g.groupsPerTile + group];
    regs.push_back(dequantizePair(e, p, bits[i], scale, g.offset[half * g.groupsPerTile + group]));
  }
  return regs;
}

/// The offsets of f16 code pairs in a word's bits 4..7 of each half (odd
/// registers of the half-fragment order, biased by 64 rather than 1024),
/// derived from GroupScales' offsets where a part of a K tile first needs
/// them, keyed by the offsets' index; exact (small integers).
using HighNibbleOffsets = llvm::SmallDenseMap<int64_t, Value, 4>;

/// The A fragments of W4A16 for K steps `step` and `step` + 1 (k16 each,
/// `step` even) of ring slot `stage`, from weights in the half-fragment
/// order: both steps' codes of a row are word lane % 4 of its 16-byte
/// group at byte 8 * step (one 32-bit load, where the swizzle moved the
/// group), and register j of the word (widening::halfFragmentPair) is
/// register (step j / 2, K half j % 2). Registers in the order
/// loadDequantizedWeights returns them, for `step` then `step` + 1.
SmallVector<Value> loadHalfFragmentWeights(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                                           Value stage, Value consumer, Value warp, Value lane,
                                           int64_t step, const GroupScales &g,
                                           HighNibbleOffsets &highOffsets) {
  assert(step % 2 == 0 && "a word holds the codes of an even step and the next");
  OpBuilder &b = e.b;
  bool bf16 = p.realType.isBF16();
  bool signedCodes = !p.unsignedCodes;
  Value row = e.add(e.mul(consumer, kWarpgroupRows), fragmentRow(e, warp, lane));
  Value base = e.add(
      smem.aTile(stage),
      swizzledOffset(e, e.add(e.mul(row, p.aRowBytes), e.add(e.mul(e.rem(lane, 4), 4), 8 * step)),
                     p.aRowBytes));
  // bits[half][j]: register j of the word of row + 8 * half.
  Value bits[2][4];
  for (int64_t half = 0; half < 2; ++half) {
    // Eight rows on (the swizzle's pattern repeats) and in the same group.
    Value word = LLVM::LoadOp::create(b, e.loc, b.getI32Type(),
                                      smem.pointer(e.add(base, half * 8 * p.aRowBytes)),
                                      /*alignment=*/4);
    Value shifted[4] = {word, {}, {}, {}};
    for (unsigned j = 0; j < 4; ++j) {
      unsigned shift = widening::halfFragmentShift(j, bf16);
      if (!shifted[shift / 4])
        shifted[shift / 4] = e.shr(word, shift);
      bits[half][j] = lop3(b, e.loc, shifted[shift / 4], widening::halfFragmentMask(j, bf16),
                           widening::halfFragmentMagic(j, bf16, signedCodes), kLop3AndXor);
    }
  }
  auto offsetOf = [&](int64_t half, int64_t group, unsigned j) {
    int64_t index = half * g.groupsPerTile + group;
    Value offset = g.offset[index];
    if (!widening::halfFragmentHighNibbles(j, bf16))
      return offset;
    Value &high = highOffsets[index];
    if (!high) {
      auto pairType = cast<VectorType>(offset.getType());
      Value rebias = arith::ConstantOp::create(
          b, e.loc,
          DenseElementsAttr::get(
              pairType, b.getFloatAttr(p.realType, widening::codeBias(bf16) -
                                                       widening::halfFragmentBias(j, bf16))));
      high = arith::SubFOp::create(b, e.loc, offset, rebias);
    }
    return high;
  };
  SmallVector<Value> regs;
  for (int64_t s = 0; s < 2; ++s) {
    int64_t group = GroupScales::groupOfStep(p, step + s);
    for (int64_t i = 0; i < 4; ++i) {
      int64_t half = i % 2;
      unsigned j = 2 * s + i / 2;
      Value scale = p.scalesInSums() ? Value() : g.scale[half * g.groupsPerTile + group];
      regs.push_back(dequantizePair(e, p, bits[half][j], scale, offsetOf(half, group, j)));
    }
  }
  return regs;
}

/// The descriptor of B for K step `step` of ring slot `stage` in the
/// register-A kernels: 32 bytes into the step's 128-byte part of the tile.
Value stepDescriptorB(Emitter &e, SharedLayout &smem, Value stage, int64_t step) {
  int64_t perPart = kRowBytes / kStepBytes;
  return arith::AddIOp::create(e.b, e.loc, smem.descriptor(smem.bHalf(stage, step / perPart)),
                               e.i64((step % perPart) * kStepBytes >> 4));
}

/// `wgmma.mma_async` m64nCOLSk32 (s8 -> s32 or e4m3 -> f32) with A from
/// registers: MLIR 22's nvvm.wgmma.mma_async takes A from shared memory
/// only, so this is the PTX instruction itself. `accumulate` false: D = A*B.
Value wgmmaRegisterA(Emitter &e, const WgmmaProblem &p, Value acc, ValueRange a,
                     Value descB, bool accumulate) {
  OpBuilder &b = e.b;
  bool real = p.kind == WgmmaKind::Int4Real;
  bool fp8 = p.floatProducts() || real; // f32 sums
  int64_t count = p.accRegisters();
  std::string shape = real ? (p.realType.isBF16() ? "k16.f32.bf16.bf16 {" : "k16.f32.f16.f16 {")
                      : fp8 ? "k32.f32.e4m3.e4m3 {"
                            : "k32.s32.s8.s8 {";
  std::string text = std::string("{\n.reg .pred p;\nsetp.ne.b32 p, ") +
                     (accumulate ? "1" : "0") +
                     ", 0;\nwgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(p.tileCols()) + shape;
  std::string constraints;
  for (int64_t i = 0; i < count; ++i) {
    text += (i ? ", $" : "$") + std::to_string(i);
    constraints += std::string(i ? "," : "") + (fp8 ? "=f" : "=r");
  }
  // Floats take the scales of A and B (+1 each) after scale-d, 16-bit
  // types also whether B is transposed (0: K-major, as here).
  text += "}, {$" + std::to_string(count) + ", $" + std::to_string(count + 1) + ", $" +
          std::to_string(count + 2) + ", $" + std::to_string(count + 3) + "}, $" +
          std::to_string(count + 4) +
          (real ? ", p, 1, 1, 0;\n}" : fp8 ? ", p, 1, 1;\n}" : ", p;\n}");
  constraints += ",r,r,r,r,l";
  SmallVector<Value> operands(a.begin(), a.end());
  operands.push_back(descB);
  for (int64_t i = 0; i < count; ++i) {
    constraints += "," + std::to_string(i);
    operands.push_back(LLVM::ExtractValueOp::create(b, e.loc, acc, i));
  }
  return LLVM::InlineAsmOp::create(b, e.loc, acc.getType(), operands,
                                   b.getStringAttr(text), b.getStringAttr(constraints),
                                   /*has_side_effects=*/b.getUnitAttr(), UnitAttr(),
                                   LLVM::TailCallKindAttr(), LLVM::AsmDialectAttr(),
                                   ArrayAttr())
      .getRes();
}

/// The accumulators of one consumer thread: m64nCOLS f32 (floats) or s32.
Type accumulatorType(const WgmmaProblem &p, MLIRContext *ctx) {
  bool floats = !p.integerSums();
  Type element = floats ? Type(Float32Type::get(ctx)) : Type(IntegerType::get(ctx, 32));
  return LLVM::LLVMStructType::getLiteral(ctx,
                                          SmallVector<Type>(p.accRegisters(), element));
}

/// `sum` + `partial`, register by register (FP8's promotion to f32).
Value addAccumulators(Emitter &e, const WgmmaProblem &p, Value partial, Value sum) {
  for (int64_t i = 0; i < p.accRegisters(); ++i) {
    Value part = LLVM::ExtractValueOp::create(e.b, e.loc, partial, i);
    Value total = LLVM::ExtractValueOp::create(e.b, e.loc, sum, i);
    sum = LLVM::InsertValueOp::create(e.b, e.loc, sum,
                                      arith::AddFOp::create(e.b, e.loc, total, part), i);
  }
  return sum;
}

/// `sum` + `partial` x the scale of each register's weight row (`scales`:
/// row, row + 8), in f32 (W4A16's scales applied to its sums).
Value addScaledAccumulators(Emitter &e, const WgmmaProblem &p, Value partial, Value sum,
                            ArrayRef<Value> scales) {
  for (int64_t i = 0; i < p.accRegisters(); ++i) {
    Value part = LLVM::ExtractValueOp::create(e.b, e.loc, partial, i);
    Value total = LLVM::ExtractValueOp::create(e.b, e.loc, sum, i);
    // Register i holds row + 8 * ((i / 2) % 2) (wgmma's D fragment).
    Value scaled = LLVM::FMAOp::create(e.b, e.loc, part, scales[(i / 2) % 2], total);
    sum = LLVM::InsertValueOp::create(e.b, e.loc, sum, scaled, i);
  }
  return sum;
}

/// The sums a consumer's main loop carries: its accumulators, zero, and for
/// FP8 the f32 sum they are promoted into (the loop's last result).
SmallVector<Value> initialSums(Emitter &e, const WgmmaProblem &p) {
  Value zero = LLVM::ZeroOp::create(e.b, e.loc, accumulatorType(p, e.b.getContext()));
  SmallVector<Value> sums = {zero};
  if (p.floatProducts())
    sums.push_back(zero);
  return sums;
}
/// What the loop carries on after a K tile whose group is done: the
/// tile's accumulators `acc`, and for FP8 the f32 sum `carried[1]` plus them.
SmallVector<Value> tileSums(Emitter &e, const WgmmaProblem &p, Value acc, ValueRange carried) {
  SmallVector<Value> sums = {acc};
  if (p.floatProducts())
    sums.push_back(addAccumulators(e, p, acc, carried[1]));
  return sums;
}

/// The stage of ring position `position` (the block's K tiles so far).
Value stageOf(Emitter &e, const WgmmaProblem &p, Value position) {
  return e.rem(position, p.stages);
}

/// A ring slot and the parity of its round, as a K loop carries them from
/// one tile to the next: deriving them from the ring position divides a
/// 64-bit index by the stage count, about 20 uniform instructions per K
/// tile.
struct RingSlot {
  Value stage, parity;
  static RingSlot at(Emitter &e, const WgmmaProblem &p, Value position) {
    return {stageOf(e, p, position), e.rem(e.div(position, p.stages), 2)};
  }
  static RingSlot fromValues(ValueRange values) { return {values[0], values[1]}; }
  SmallVector<Value> values() const { return {stage, parity}; }
  RingSlot next(Emitter &e, const WgmmaProblem &p) const {
    Value following = e.add(stage, 1);
    Value wraps = e.eq(following, p.stages);
    return {arith::SelectOp::create(e.b, e.loc, wraps, e.idx(0), following),
            arith::SelectOp::create(e.b, e.loc, wraps,
                                    arith::XOrIOp::create(e.b, e.loc, parity, e.idx(1)), parity)};
  }
  void waitFull(Emitter &e, SharedLayout &smem) const { waitParity(e, smem.full(stage), parity); }
};

/// This warp is done with ring slot `stage`: one arrival per warp. Warps
/// that read the slot with ld.shared (`genericReads`: the 4-bit weights
/// widened into registers) order those reads before the TMA copies that
/// refill it: each thread fences the generic proxy against the async one
/// and the warp meets before its arrival (tma_gemv's consumers raced on an
/// H200 without the fence; wgmma reads through the async proxy itself).
void releaseSlot(Emitter &e, SharedLayout &smem, Value lane, Value stage,
                 bool genericReads = false) {
  if (genericReads) {
    fenceProxyAsyncShared(e);
    NVVM::SyncWarpOp::create(e.b, e.loc, e.i32(-1));
  }
  ifThen(e, e.eq(lane, 0), [&] {
    if (smem.p.clusterSize() == 1) {
      NVVM::MBarrierArriveOp::create(e.b, e.loc, Type(), smem.empty(stage), Value());
      return;
    }
    // Both blocks of the cluster refill the slot (multicast): both wait
    // for this warp. CTA scope, as CUTLASS's cluster barriers: the release
    // only has to order this warp's reads of its own block's slot (done:
    // its wgmma group has completed), and at cluster scope ptxas puts a
    // MEMBAR.ALL.GPU before each arrival, which ran the kernel 1.6-1.8x
    // slower on the H200.
    auto clusterPtr = LLVM::LLVMPointerType::get(e.b.getContext(), kSharedClusterAddressSpace);
    for (int64_t rank = 0; rank < smem.p.clusterSize(); ++rank) {
      Value barrier = NVVM::MapaOp::create(e.b, e.loc, clusterPtr, smem.empty(stage),
                                           e.i32(rank));
      NVVM::MBarrierArriveOp::create(e.b, e.loc, Type(), barrier, Value(),
                                     NVVM::MemScopeKind::CTA);
    }
  });
}

/// A consumer warpgroup's main loop for 8-bit operands (both from shared
/// memory); returns its f32 or s32 accumulators.
Value buildConsumer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem, Value consumer,
                    Value lane, const TileRun &run) {
  Value done = run.done;
  OpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  bool fp8 = p.floatProducts();
  Type accType = accumulatorType(p, ctx);
  // FP8 keeps the running sum apart from the tensor cores' per-tile sum.
  // (Carrying a RingSlot here made no shorter FP8 loop, and ptxas injected
  // a warpgroup.arrive (C7519) into the int8 one.)
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), run.kCount, e.idx(1), initialSums(e, p));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value position = e.add(done, loop.getInductionVar());
    RingSlot slot = RingSlot::at(e, p, position);
    Value stage = slot.stage;
    slot.waitFull(e, smem);
    Value descA = smem.descriptor(
        e.add(smem.aTile(stage), e.mul(consumer, kWarpgroupRows * kRowBytes)));
    Value descB = smem.descriptor(smem.bTile(stage));
    NVVM::WgmmaFenceAlignedOp::create(b, e.loc);
    Value acc = loop.getRegionIterArgs()[0];
    auto type = fp8 ? NVVM::WGMMATypes::e4m3 : NVVM::WGMMATypes::s8;
    for (int64_t step = 0; step < kRowBytes / kStepBytes; ++step) {
      Value advance = e.i64(step * kStepBytes >> 4);
      acc = NVVM::WgmmaMmaAsyncOp::create(
          b, e.loc, accType, acc, arith::AddIOp::create(b, e.loc, descA, advance),
          arith::AddIOp::create(b, e.loc, descB, advance),
          NVVM::MMAShapeAttr::get(ctx, 64, p.bn, kStepBytes), type, type,
          fp8 ? NVVM::WGMMATypes::f32 : NVVM::WGMMATypes::s32,
          fp8 && step == 0 ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
          NVVM::MMALayout::col, NVVM::MMAIntOverflowAttr());
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b, e.loc);
    if (fp8) {
      // The tile's partial sum is read next: its group must be done.
      NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 0);
      releaseSlot(e, smem, lane, stage);
    } else {
      // One group stays in flight: the previous K tile's is done, so its
      // slot is free, while this one's products run.
      NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 1);
      ifThen(e,
             arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne, loop.getInductionVar(),
                                   e.idx(0)),
             [&] { releaseSlot(e, smem, lane, stageOf(e, p, e.add(position, p.stages - 1))); });
    }
    scf::YieldOp::create(b, e.loc, tileSums(e, p, acc, loop.getRegionIterArgs()));
  }
  if (!fp8) {
    // The last K tile's group, and its slot.
    NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 0);
    Value last = arith::SubIOp::create(b, e.loc, e.add(done, run.kCount), e.idx(1));
    releaseSlot(e, smem, lane, stageOf(e, p, last));
  }
  return loop.getResults().back();
}

/// An empty instruction reading `values`: LLVM sees the wgmma's A registers
/// die at the (asynchronous) wgmma and would reuse them for the next tile's
/// weights while the tensor cores still read them; read here, after the
/// wait, they stay live until then.
void keepAlive(Emitter &e, ValueRange values) {
  std::string constraints;
  for (size_t i = 0; i < values.size(); ++i)
    constraints += i ? ",r" : "r";
  inlinePtx(e, "", constraints, TypeRange(), values);
}

/// A consumer warpgroup's main loop for 4-bit weights with 8-bit
/// activations: a K tile's A registers (four per thread and K step) are
/// widened from the ring slot within the tile, and a K tile holds one set
/// of them. Holding two (the next tile's widened under this tile's wgmmas)
/// spilled W4A8-e4m3 at the 232-register cap and made ptxas rematerialize
/// the lookup tables for every prmt; within the tile ran W4A8-e4m3
/// 1.02-1.12x and W4A8-int8 1.12-1.13x faster on the H200
/// (bench/results/2026-12-02-h200-w4a8-widening.md).
/// W4A8-int8 widens each step just before its wgmma, so that step s + 1's
/// widening runs under step s's wgmma. W4A8-e4m3, whose prmt lookups are
/// longer, widens the whole tile, then fences once and issues its wgmmas
/// back to back (the other consumer warpgroup's wgmmas run under the
/// widening) rather than a fence (WARPGROUP.ARRIVE) per step, which the
/// profile showed among the widening's stalls. On the H200 1.06-1.09x faster on
/// the three shapes at M = 4096 and 8192; int8 ran 0.98x that way
/// (bench/results/2026-12-03-h200-w4a8-widen-ahead.md). The loop carries
/// its RingSlot. Returns the f32 or s32 accumulators.
Value buildWideningConsumer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem, Value consumer,
                            Value warp, Value lane, const TileRun &run) {
  Value done = run.done;
  OpBuilder &b = e.b;
  bool fp8 = p.floatProducts();
  SmallVector<Value> lookupTables;
  if (p.sharedLookupTables())
    for (int64_t i = 0; i < 2; ++i)
      lookupTables.push_back(
          LLVM::LoadOp::create(b, e.loc, b.getI32Type(), smem.lookupTable(lane, i)));
  SmallVector<Value> init = initialSums(e, p);
  int64_t sums = init.size();
  init.append(RingSlot::at(e, p, done).values());
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), run.kCount, e.idx(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  ValueRange args = loop.getRegionIterArgs();
  RingSlot slot = RingSlot::fromValues(args.drop_front(sums));
  Value stage = slot.stage;
  slot.waitFull(e, smem);
  Value acc = args[0];
  SmallVector<Value> tileA;
  int64_t widenAhead = p.kind == WgmmaKind::Int4Fp8 ? p.steps() : 1;
  assert(p.steps() % widenAhead == 0 && "the K tile's steps widened in whole groups");
  for (int64_t first = 0; first < p.steps(); first += widenAhead) {
    SmallVector<SmallVector<Value>> stepA;
    for (int64_t step = first; step < first + widenAhead; ++step) {
      stepA.push_back(
          loadWidenedWeights(e, p, smem, stage, consumer, warp, lane, step, lookupTables));
      tileA.append(stepA.back());
    }
    NVVM::WgmmaFenceAlignedOp::create(b, e.loc);
    for (int64_t step = first; step < first + widenAhead; ++step) {
      Value descB = stepDescriptorB(e, smem, stage, step);
      acc = wgmmaRegisterA(e, p, acc, stepA[step - first], descB, !(fp8 && step == 0));
    }
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, e.loc);
  // The tile's sums (and its A registers) are read next.
  NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 0);
  keepAlive(e, tileA);
  releaseSlot(e, smem, lane, stage, /*genericReads=*/true);
  SmallVector<Value> carried = tileSums(e, p, acc, args);
  carried.append(slot.next(e, p).values());
  scf::YieldOp::create(b, e.loc, carried);
  return loop.getResults()[sums - 1];
}

/// A consumer warpgroup's main loop for W4A16, which dequantizes the 4-bit
/// weights from the ring into wgmma's A registers. A K tile is multiplied
/// in parts; the registers of the next part (of this tile, or the first of
/// the next tile) are dequantized while the current part's wgmmas run.
/// Within a K tile each part's wgmmas are issued before the previous
/// part's are waited for (`wgmma.wait_group 1`), so that the tensor cores
/// have work queued while the next registers are written; the tile's last
/// part is waited for before the loop's back edge. Waiting for each part
/// before the next was issued (`wait_group 0`) also made ptxas serialize
/// the wgmmas (C7513: registers of a later wgmma written inside the
/// pipeline stage); this ran 1.12-1.24x faster on the H200 at 192 tokens
/// (M = 4096), as fast at 128.
/// Group scales are read from global memory two K tiles ahead. Returns the
/// f32 accumulators.
Value buildDequantizingConsumer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                                Value consumer, Value warp, Value lane, const TileRun &run,
                                Value weightRow0, Value s, Value z) {
  Value done = run.done;
  OpBuilder &b = e.b;
  bool perGroup = p.groupSize;
  // A K tile is multiplied in parts of 8 K steps (32 A registers), of 4
  // past 128 tokens, and in at least two: on the H200 at M = 4096,
  // 192-token tiles ran 1.13x faster with parts of 4 than of 8, 128-token
  // tiles 1.02-1.07x slower at M = 1024 and 2048; a 128-code K tile at 128
  // tokens ran 1.05x slower as one part than as two
  // (bench/results/2026-12-02-h200-w4a16-pipelined.md).
  int64_t partSteps = p.dequantPartSteps();
  int64_t parts = p.steps() / partSteps, numA = partSteps * 4;
  assert(parts >= 2 && "the last part frees the registers of the one before");
  int64_t groupsPerTile = GroupScales::count(p);
  // Loop-carried: the accumulators, the A registers of the tile's first
  // part, (per group) the scales of this tile and the next, and the tile's
  // RingSlot.
  SmallVector<Value> init = initialSums(e, p);
  // The scales of the run's K tile `kt`; K tiles past the last read the
  // last's.
  auto scalesOf = [&](Value kt) {
    return loadGroupScales(
        e, p, s, z, weightRow0,
        arith::MinUIOp::create(b, e.loc, run.kTile(e, kt), e.idx(p.kTiles() - 1)).getResult());
  };
  // Per-channel or per-tensor scales are the same for every K tile.
  std::optional<GroupScales> fixedScales;
  if (!perGroup)
    fixedScales = scalesOf(e.idx(0));
  // The A registers of part `part` of the K tile in ring slot `stage`.
  auto dequantize = [&](Value stage, int64_t part, const GroupScales &scales) {
    SmallVector<Value> regs;
    if (p.halfFragmentWeights) {
      assert(partSteps % 2 == 0 && "a word holds two K steps' codes");
      HighNibbleOffsets highOffsets;
      for (int64_t step = part * partSteps; step < (part + 1) * partSteps; step += 2)
        regs.append(loadHalfFragmentWeights(e, p, smem, stage, consumer, warp, lane, step, scales,
                                            highOffsets));
      return regs;
    }
    for (int64_t step = part * partSteps; step < (part + 1) * partSteps; ++step)
      regs.append(loadDequantizedWeights(e, p, smem, stage, consumer, warp, lane, step, scales));
    return regs;
  };

  int64_t firstA = init.size();
  RingSlot first = RingSlot::at(e, p, done);
  first.waitFull(e, smem);
  std::optional<GroupScales> firstScales = perGroup ? scalesOf(e.idx(0)) : fixedScales;
  init.append(dequantize(first.stage, 0, *firstScales));
  if (perGroup) {
    init.append(firstScales->values());
    init.append(scalesOf(e.idx(1)).values());
  }
  int64_t slotArgs = init.size();
  init.append(first.values());
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), run.kCount, e.idx(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value kt = loop.getInductionVar();
  ValueRange args = loop.getRegionIterArgs();
  RingSlot slot = RingSlot::fromValues(args.drop_front(slotArgs));
  RingSlot nextSlot = slot.next(e, p);
  Value stage = slot.stage;
  std::optional<GroupScales> tileScales, nextScales;
  SmallVector<Value> laterScales;
  if (perGroup) {
    ValueRange carried = args.slice(firstA + numA, slotArgs - firstA - numA);
    tileScales = GroupScales::fromValues(carried.take_front(carried.size() / 2), groupsPerTile);
    nextScales = GroupScales::fromValues(carried.drop_front(carried.size() / 2), groupsPerTile);
    laterScales = scalesOf(e.add(kt, 2)).values();
  } else {
    tileScales = fixedScales;
    nextScales = fixedScales;
  }
  // Where the scales multiply the sums, each part sums into registers of
  // its own, added into `acc` times its group's scales once it is done.
  bool scaleSums = p.scalesInSums();
  Value zeroSums =
      scaleSums ? LLVM::ZeroOp::create(b, e.loc, accumulatorType(p, b.getContext())) : Value();
  auto addPart = [&](Value acc, Value partSums, int64_t part) {
    int64_t group = GroupScales::groupOfStep(p, part * partSteps);
    return addScaledAccumulators(
        e, p, partSums, acc,
        {tileScales->scale[group], tileScales->scale[tileScales->groupsPerTile + group]});
  };
  Value acc = args[0], partSums, previousSums;
  SmallVector<Value> a(args.slice(firstA, numA)), previous;
  for (int64_t part = 0; part < parts; ++part) {
    NVVM::WgmmaFenceAlignedOp::create(b, e.loc);
    Value sums = scaleSums ? zeroSums : acc;
    for (int64_t i = 0; i < partSteps; ++i) {
      Value descB = stepDescriptorB(e, smem, stage, part * partSteps + i);
      sums = wgmmaRegisterA(e, p, sums, ArrayRef(a).slice(4 * i, 4), descB,
                            /*accumulate=*/!scaleSums || i > 0);
    }
    (scaleSums ? partSums : acc) = sums;
    NVVM::WgmmaGroupSyncAlignedOp::create(b, e.loc);
    // This part's group stays in flight; the previous part's registers are
    // rewritten next, so its group must be done.
    if (part > 0) {
      NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 1);
      keepAlive(e, previous);
      if (scaleSums)
        acc = addPart(acc, previousSums, part - 1);
    }
    // While this part's wgmmas run: the next part's registers, of this tile
    // or (after waiting for its slot) of the next.
    SmallVector<Value> next;
    if (part + 1 < parts) {
      next = dequantize(stage, part + 1, *tileScales);
    } else {
      auto ifNext = scf::IfOp::create(
          b, e.loc, TypeRange(ValueRange(a)),
          arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, e.add(kt, 1), run.kCount),
          /*withElse=*/true);
      {
        OpBuilder::InsertionGuard branch(b);
        b.setInsertionPointToStart(&ifNext.getThenRegion().front());
        nextSlot.waitFull(e, smem);
        scf::YieldOp::create(b, e.loc, dequantize(nextSlot.stage, 0, *nextScales));
        // After the last K tile nothing is issued: the previous part's
        // registers (just freed), not copies into those the tensor cores
        // still read.
        b.setInsertionPointToStart(&ifNext.getElseRegion().front());
        scf::YieldOp::create(b, e.loc, previous);
      }
      next.assign(ifNext.getResults().begin(), ifNext.getResults().end());
      // Nothing in flight crosses the loop's back edge, whose register
      // copies can rewrite registers the tensor cores still read (keeping
      // the last part in flight across it computed wrong results at 192
      // tokens on the H200): the tile's last group is waited for here, and
      // its slot is free.
      NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 0);
      keepAlive(e, a);
      releaseSlot(e, smem, lane, stage, /*genericReads=*/true);
      if (scaleSums)
        acc = addPart(acc, partSums, part);
    }
    previous = a;
    previousSums = partSums;
    a = next;
  }
  SmallVector<Value> yield = {acc};
  yield.append(a);
  if (perGroup) {
    yield.append(nextScales->values());
    yield.append(laterScales);
  }
  yield.append(nextSlot.values());
  scf::YieldOp::create(b, e.loc, yield);
  return loop.getResults()[0];
}

/// Row `index` of a column of scales (per token or channel), or its only
/// row (per tensor), as f32.
Value scaleAt(Emitter &e, Value scales, int64_t rows, Value index) {
  return e.toF32(memref::LoadOp::create(e.b, e.loc, scales,
                                        ValueRange{rows == 1 ? e.idx(0) : index, e.idx(0)}));
}
/// The scale of weight row (channel) `n` and of token `m`: rows past the
/// product read the last one (their results are not stored).
Value weightScale(Emitter &e, const WgmmaProblem &p, Value s, Value n) {
  return scaleAt(e, s, p.scaleRows, arith::MinUIOp::create(e.b, e.loc, n, e.idx(p.n - 1)));
}
Value tokenScale(Emitter &e, const WgmmaProblem &p, Value xs, Value m) {
  return scaleAt(e, xs, p.inputScaleRows,
                 arith::MinUIOp::create(e.b, e.loc, m, e.idx(p.m - 1)));
}

/// Accumulator register `i` as a result: s32 sums converted to f32, times
/// the token's and then the channel's scale (none for W4A16, whose weights
/// were scaled when dequantized), rounded to the result type.
Value scaledResult(Emitter &e, const WgmmaProblem &p, Value acc, int64_t i, Value tokenScale,
                   Value channelScale) {
  Value v = LLVM::ExtractValueOp::create(e.b, e.loc, acc, i);
  if (p.integerSums())
    v = arith::SIToFPOp::create(e.b, e.loc, e.b.getF32Type(), v);
  if (p.sixteenfoldWeights())
    v = arith::MulFOp::create(e.b, e.loc, v, e.f32(1.0 / 16));
  if (p.signMagnitudeWeights)
    v = arith::MulFOp::create(e.b, e.loc, v, e.f32(quant::kSignMagnitudeScale));
  if (tokenScale)
    v = arith::MulFOp::create(e.b, e.loc, arith::MulFOp::create(e.b, e.loc, v, tokenScale),
                              channelScale);
  if (!p.resultType.isF32())
    v = arith::TruncFOp::create(e.b, e.loc, p.resultType, v);
  return v;
}

/// Scales and stores a consumer's accumulators. Thread `lane` of warp `warp`
/// holds, for each n8 column tile j, registers 4j..4j+3: rows lane/4 and
/// lane/4 + 8 of the warp's 16, columns 2 * (lane % 4) and the next.
void storeTile(Emitter &e, const WgmmaProblem &p, Value acc, Value xs, Value s,
               Value y, Value row0, Value col0) {
  OpBuilder &b = e.b;
  bool vectorStore = p.n % 2 == 0;
  // Column scales once per column this thread stores.
  SmallVector<Value> colScales;
  for (int64_t j = 0; j < p.bn / 8; ++j)
    for (int64_t c = 0; c < 2; ++c)
      colScales.push_back(weightScale(e, p, s, e.add(col0, j * 8 + c)));
  for (int64_t half = 0; half < 2; ++half) {
    Value row = e.add(row0, half * 8);
    ifThen(e, e.lt(row, p.m), [&] {
      Value rowScale = scaleAt(e, xs, p.inputScaleRows, row);
      for (int64_t j = 0; j < p.bn / 8; ++j) {
        SmallVector<Value> values;
        for (int64_t c = 0; c < 2; ++c) {
          values.push_back(
              scaledResult(e, p, acc, 4 * j + 2 * half + c, rowScale, colScales[2 * j + c]));
        }
        Value col = e.add(col0, j * 8);
        auto store = [&](int64_t c) {
          memref::StoreOp::create(b, e.loc, values[c], y, ValueRange{row, e.add(col, c)});
        };
        // Both columns inside N, or (odd N) each checked.
        if (vectorStore) {
          auto write = [&] {
            Value pair = vector::FromElementsOp::create(
                b, e.loc, VectorType::get({2}, p.resultType), values);
            vector::StoreOp::create(b, e.loc, pair, y, ValueRange{row, col});
          };
          if (p.fullColumnTiles())
            write();
          else
            ifThen(e, e.lt(col, p.n), write);
        } else {
          for (int64_t c = 0; c < 2; ++c)
            ifThen(e, e.lt(e.add(col, c), p.n), [&] { store(c); });
        }
      }
    });
  }
}

/// A consumer warpgroup's own synchronisation: its named barrier (its 128
/// threads) and the thread that issues what one thread does for it.
struct ConsumerGroup {
  Emitter &e;
  Value consumer, issuer;

  void sync() {
    NVVM::BarrierOp::create(e.b, e.loc, Type(), e.toI32(e.add(consumer, kConsumerBarrier)),
                            e.i32(kWarpgroupThreads), NVVM::BarrierReductionAttr(), Value());
  }
};

/// What the staged epilogues share. A consumer warpgroup converts its
/// scaled sums to the result type into a staging buffer laid out as TMA's
/// 128-byte swizzle (8-row atoms, 16-byte chunk c of row r at c ^ (r % 8)),
/// and its first thread stores the buffer's box with `cp.async.bulk.tensor`.
/// TMA leaves out rows past M and columns past N, and the copy runs on
/// while the consumer goes on to its next tile, where storing from
/// registers kept the tensor cores idle through thousands of 2-byte stores
/// (a fifth of the consumers' time in W8A8 on the H200). A buffer is
/// rewritten once the store that read it last has read it (bulk groups).
struct StagedStores {
  Emitter &e;
  ConsumerGroup &group;
  Value tmapY;

  /// Before rewriting a buffer: at most `pending` stores still reading.
  void awaitBuffer(int64_t pending) {
    ifThen(e, group.issuer, [&] {
      NVVM::CpAsyncBulkWaitGroupOp::create(e.b, e.loc, e.b.getI32IntegerAttr(pending),
                                           UnitAttr::get(e.b.getContext()));
    });
    group.sync();
  }
  /// Before the block exits: every store complete.
  void drain() {
    ifThen(e, group.issuer, [&] {
      NVVM::CpAsyncBulkWaitGroupOp::create(e.b, e.loc, e.b.getI32IntegerAttr(0), UnitAttr());
    });
  }
  /// After writing `buffer`: its box to the result at (`colByte`, `row`).
  void store(Value buffer, Value colByte, Value row) {
    fenceProxyAsyncShared(e);
    group.sync();
    ifThen(e, group.issuer, [&] {
      NVVM::CpAsyncBulkTensorSharedCTAToGlobalOp::create(
          e.b, e.loc, tmapY, sharedPointer(e, buffer),
          ValueRange{e.toI32(colByte), e.toI32(row)}, Value(),
          NVVM::TMAStoreModeAttr::get(e.b.getContext(), NVVM::TMAStoreMode::TILE), Value());
      NVVM::CpAsyncBulkCommitGroupOp::create(e.b, e.loc);
    });
  }
};

/// Two results packed into the 32 bits of a staging store.
Value packPair(Emitter &e, const WgmmaProblem &p, ArrayRef<Value> values) {
  auto pairType = VectorType::get({2}, p.resultType);
  auto wordType = VectorType::get({1}, e.b.getI32Type());
  Value pair = vector::FromElementsOp::create(e.b, e.loc, pairType, values);
  return vector::ExtractOp::create(e.b, e.loc,
                                   vector::BitCastOp::create(e.b, e.loc, wordType, pair),
                                   ArrayRef<int64_t>{0});
}

/// The staged epilogue of one consumer warpgroup's 64 rows, 64 columns (one
/// box) at a time, buffers alternating.
void storeTileStaged(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                     StagedStores &out, Value acc, Value xs, Value s, Value warp, Value lane,
                     Value consumerRow0, Value tileCol0) {
  OpBuilder &b = e.b;
  // The thread's rows within the consumer's 64 (and + 8), and their scales.
  Value row = fragmentRow(e, warp, lane);
  SmallVector<Value> rowScales;
  for (int64_t half = 0; half < 2; ++half)
    rowScales.push_back(tokenScale(e, p, xs, e.add(e.add(consumerRow0, row), half * 8)));
  Value quadCol = e.mul(e.rem(lane, 4), 2);
  for (int64_t part = 0; part < p.bn / kStagingCols; ++part) {
    // The part's column scales, loaded before its barrier (loading the
    // whole tile's at once, 64 registers beside the 128 sums, spills).
    SmallVector<Value> colScales;
    for (int64_t j = part * 8; j < part * 8 + 8; ++j)
      for (int64_t c = 0; c < 2; ++c)
        colScales.push_back(weightScale(e, p, s, e.add(e.add(tileCol0, quadCol), j * 8 + c)));
    // The previous tile's stores (part 0) or the one that last used this
    // buffer have read it.
    if (part == 0 || part >= p.stagingBuffers)
      out.awaitBuffer(part == 0 ? 0 : p.stagingBuffers - 1);
    Value buffer = e.add(smem.stagingBuffer(out.group.consumer),
                         (part % p.stagingBuffers) * p.stagingBoxBytes());
    for (int64_t chunk = 0; chunk < 8; ++chunk) {
      int64_t j = part * 8 + chunk; // the n8 column block: one 16-byte chunk
      for (int64_t half = 0; half < 2; ++half) {
        SmallVector<Value> values;
        for (int64_t c = 0; c < 2; ++c) {
          values.push_back(scaledResult(e, p, acc, 4 * j + 2 * half + c, rowScales[half],
                                        colScales[2 * chunk + c]));
        }
        Value r = e.add(row, half * 8);
        Value swizzled = arith::XOrIOp::create(b, e.loc, e.idx(chunk), e.rem(r, 8));
        Value address = e.add(e.add(buffer, e.mul(r, kRowBytes)),
                              e.add(e.mul(swizzled, 16), e.mul(quadCol, 2)));
        LLVM::StoreOp::create(b, e.loc, packPair(e, p, values), smem.pointer(address));
      }
    }
    out.store(buffer, e.mul(e.add(tileCol0, part * kStagingCols), 2), consumerRow0);
  }
}

/// The staged epilogue of the transposed product: the consumer's 64 weight
/// rows are 64 columns of the result (one 128-byte row of the box) for
/// each of the box's tokens (its rows), the tile's tokens in one box or in
/// several, buffers alternating. Thread (warp, lane) holds weight rows
/// 16 * warp + lane / 4 (+ 8), the 16-byte chunk 2 * warp (+ 1) of each
/// token row, and tokens 8j + 2 * (lane % 4) (+ 1), whose rows differ mod
/// 8: the swizzle spreads a warp's stores over 16 banks.
void storeSwappedTileStaged(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                            StagedStores &out, Value acc, Value xs, Value s, Value warp,
                            Value lane, Value consumerRow0, Value tileCol0) {
  OpBuilder &b = e.b;
  Value quadCol = e.mul(e.rem(lane, 4), 2);
  SmallVector<Value> weightScales;
  if (xs) {
    Value n0 = e.add(consumerRow0, fragmentRow(e, warp, lane));
    for (int64_t half = 0; half < 2; ++half)
      weightScales.push_back(weightScale(e, p, s, e.add(n0, half * 8)));
  }
  // The thread's address in the first buffer, of token row quadCol and
  // chunk 2 * warp: both even, so row quadCol + c of chunk 2 * warp + half
  // is c rows and (half ^ c) chunks further on, and token block j of a box
  // 8 rows (1 KiB, the same swizzle). One base register and constants:
  // LLVM hoists address arithmetic out of the tile loop, where an address
  // per stored value (96 at 192 tokens) spilled beside the sums.
  Value buffer0 = smem.stagingBuffer(out.group.consumer);
  Value swizzled0 = arith::XOrIOp::create(b, e.loc, e.mul(warp, 2), quadCol);
  Value base = e.add(e.add(buffer0, e.mul(quadCol, kRowBytes)),
                     e.add(e.mul(swizzled0, 16), e.mul(e.div(lane, 4), 2)));
  int64_t boxBlocks = p.stagingTokens / 8; // n8 token blocks per box
  for (int64_t box = 0; box < p.tileCols() / p.stagingTokens; ++box) {
    // The box's token scales, loaded before its barrier.
    SmallVector<Value> tokenScales;
    if (xs)
      for (int64_t j = 0; j < boxBlocks; ++j)
        for (int64_t c = 0; c < 2; ++c)
          tokenScales.push_back(
              tokenScale(e, p, xs, e.add(e.add(tileCol0, quadCol), (box * boxBlocks + j) * 8 + c)));
    // The previous tile's stores (box 0) or the one that last used this
    // buffer have read it.
    if (box == 0 || box >= p.stagingBuffers)
      out.awaitBuffer(box == 0 ? 0 : p.stagingBuffers - 1);
    int64_t bufferOffset = (box % p.stagingBuffers) * p.stagingBoxBytes();
    for (int64_t j = 0; j < boxBlocks; ++j)
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t half = 0; half < 2; ++half) {
          Value v = scaledResult(e, p, acc, 4 * (box * boxBlocks + j) + 2 * half + c,
                                 xs ? tokenScales[2 * j + c] : Value(),
                                 xs ? weightScales[half] : Value());
          Value address = e.add(base, bufferOffset + (j * 8 + c) * kRowBytes + (half ^ c) * 16);
          LLVM::StoreOp::create(b, e.loc, v, smem.pointer(address));
        }
    out.store(e.add(buffer0, bufferOffset), e.mul(consumerRow0, 2),
              e.add(tileCol0, box * p.stagingTokens));
  }
}

/// The swapped product's store: accumulator rows are weight rows (n),
/// columns tokens (m), so y[m, n] takes one element at a time.
void storeSwappedTile(Emitter &e, const WgmmaProblem &p, Value acc, Value xs, Value s,
                      Value y, Value n0, Value m0) {
  OpBuilder &b = e.b;
  // Token scales once per column this thread stores (both row halves use
  // them); W4A16 has none (its weights were scaled when dequantized).
  SmallVector<Value> tokenScales;
  if (xs)
    for (int64_t j = 0; j < p.tileCols() / 8; ++j)
      for (int64_t c = 0; c < 2; ++c)
        tokenScales.push_back(tokenScale(e, p, xs, e.add(m0, j * 8 + c)));
  for (int64_t half = 0; half < 2; ++half) {
    Value n = e.add(n0, half * 8);
    ifThen(e, e.lt(n, p.n), [&] {
      Value channelScale;
      if (xs)
        channelScale = scaleAt(e, s, p.scaleRows, n);
      for (int64_t j = 0; j < p.tileCols() / 8; ++j)
        for (int64_t c = 0; c < 2; ++c) {
          Value m = e.add(m0, j * 8 + c);
          auto store = [&] {
            Value v = scaledResult(e, p, acc, 4 * j + 2 * half + c,
                                   xs ? tokenScales[2 * j + c] : Value(), channelScale);
            memref::StoreOp::create(b, e.loc, v, y, ValueRange{m, n});
          };
          if (p.fullColumnTiles())
            store();
          else
            ifThen(e, e.lt(m, p.m), store);
        }
    });
  }
}

/// Stream-K's exchange of partial sums between the blocks of a tile,
/// through two zero-initialized globals beside the kernel in its module:
/// one slot of a tile's sums per block (a block's range starts inside at
/// most one tile: the only run whose sums it hands on), and one flag per
/// block and consumer, set once the slot is written and cleared by the
/// block that adds it, so that the next launch finds every flag clear. A
/// slot holds the consumers' accumulator registers as they are, in groups
/// of four, thread-major: a warp stores and loads 512 contiguous bytes.
/// The globals make launches of one loaded module share them (they must
/// not overlap). A block waits only for blocks numbered after it, whose
/// run that hands sums on comes first in their range, before any wait: no
/// cycle while the grid (one block per SM) is resident at once.
/// Claimed runs (ClaimedRuns) use the globals differently, and wait for no
/// one: a slot per tile, to which every run of the tile adds its sums with
/// `red`, and per tile (the first consumer's flag) the count of its K tiles
/// added so far; the run that completes the count takes the sums and
/// clears the slot, ClaimedRuns' helper the count.
struct StreamKPartials {
  Emitter &e;
  const WgmmaProblem &p;
  std::string slotsName, flagsName;

  static StreamKPartials declare(Emitter &e, const WgmmaProblem &p, const TileSchedule &sched,
                                 ::mlir::gpu::GPUFuncOp func) {
    StreamKPartials partials{e, p, (func.getName() + "_partials").str(),
                             (func.getName() + "_partial_flags").str()};
    int64_t slots = sched.claimed() ? sched.tiles : sched.streamGrid;
    declareZeroedGlobal(e, func, partials.slotsName, slots * partials.slotBytes() / 4);
    declareZeroedGlobal(e, func, partials.flagsName, slots * p.consumers());
    return partials;
  }
  int64_t slotBytes() const { return p.tileRows() * p.tileCols() * 4; }
  Value pointer(StringRef name, Value offset) { return globalPointer(e, name, offset); }
  Value address(Value pointer) { return globalAddress(e, pointer); }
  Value flag(Value block, Value consumer) {
    return pointer(flagsName, e.mul(e.add(e.mul(block, p.consumers()), consumer), 4));
  }
  /// Where thread `thread` (of 128) of `consumer` keeps its sums in
  /// `block`'s slot: registers 4q .. 4q + 3 at byte 16 * 128 * q from there
  /// (constant offsets, which the loads and stores take as immediates:
  /// 32 addresses computed ahead would take 64 registers beside the sums).
  Value slotPointer(Value block, Value consumer, Value thread) {
    int64_t consumerBytes = slotBytes() / p.consumers();
    return pointer(
        slotsName,
        e.add(e.add(e.mul(block, slotBytes()), e.mul(consumer, consumerBytes)), e.mul(thread, 16)));
  }
  Value registerGroup(Value slot, int64_t q) {
    return LLVM::GEPOp::create(e.b, e.loc, slot.getType(), e.b.getI8Type(), slot,
                               ArrayRef<LLVM::GEPArg>{int32_t(q * kWarpgroupThreads * 16)});
  }
  Type groupType(Value acc) {
    auto fields = cast<LLVM::LLVMStructType>(acc.getType()).getBody();
    return VectorType::get({4}, fields.front());
  }
  /// Writes the consumer's sums to `block`'s slot, then sets its flag
  /// (release at GPU scope, after the warpgroup's barrier: its other
  /// threads' stores are ordered before it).
  void storeForOwner(ConsumerGroup &group, Value acc, Value block, Value thread) {
    Type type = groupType(acc);
    Value slot = slotPointer(block, group.consumer, thread);
    for (int64_t q = 0; q < p.accRegisters() / 4; ++q) {
      SmallVector<Value> four;
      for (int64_t i = 0; i < 4; ++i)
        four.push_back(LLVM::ExtractValueOp::create(e.b, e.loc, acc, 4 * q + i));
      Value vec = vector::FromElementsOp::create(e.b, e.loc, type, four);
      LLVM::StoreOp::create(e.b, e.loc, vec, registerGroup(slot, q), 16);
    }
    group.sync();
    ifThen(e, group.issuer, [&] {
      inlinePtx(e, "st.release.gpu.global.u32 [$0], $1;", "l,r", TypeRange(),
                {address(flag(block, group.consumer)), e.i32(1)});
    });
  }
  /// `acc` plus the sums of the blocks after `block` whose ranges start
  /// before `tileEnd` (each waited for by the issuing thread, acquire at
  /// GPU scope, then the warpgroup's barrier).
  Value addFromPeers(ConsumerGroup &group, Value acc, Value block, Value thread, Value tileEnd,
                     const TileSchedule &sched) {
    OpBuilder &b = e.b;
    auto loop = scf::WhileOp::create(
        b, e.loc, TypeRange{b.getIndexType(), acc.getType()}, ValueRange{e.add(block, 1), acc},
        [&](OpBuilder &, Location, ValueRange args) {
          Value more = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult,
                                             sched.rangeStart(e, args[0]), tileEnd);
          scf::ConditionOp::create(b, e.loc, more, args);
        },
        [&](OpBuilder &, Location, ValueRange args) {
          Value other = args[0], sum = args[1];
          Value flagPtr = flag(other, group.consumer);
          ifThen(e, group.issuer, [&] {
            scf::WhileOp::create(
                b, e.loc, TypeRange(), ValueRange(),
                [&](OpBuilder &, Location, ValueRange) {
                  Value set = inlinePtx(e, "ld.acquire.gpu.global.u32 $0, [$1];", "=r,l",
                                        b.getI32Type(), {address(flagPtr)});
                  Value unset =
                      arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::eq, set, e.i32(0));
                  scf::ConditionOp::create(b, e.loc, unset, ValueRange());
                },
                [&](OpBuilder &, Location, ValueRange) {
                  scf::YieldOp::create(b, e.loc, ValueRange());
                });
            LLVM::StoreOp::create(b, e.loc, e.i32(0), flagPtr, 4);
          });
          group.sync();
          Type type = groupType(sum);
          Value slot = slotPointer(other, group.consumer, thread);
          for (int64_t q = 0; q < p.accRegisters() / 4; ++q) {
            Value vec = LLVM::LoadOp::create(b, e.loc, type, registerGroup(slot, q), 16);
            for (int64_t i = 0; i < 4; ++i) {
              Value part = vector::ExtractOp::create(b, e.loc, vec, ArrayRef<int64_t>{i});
              Value mine = LLVM::ExtractValueOp::create(b, e.loc, sum, 4 * q + i);
              Value total = p.integerSums()
                                ? arith::AddIOp::create(b, e.loc, mine, part).getResult()
                                : arith::AddFOp::create(b, e.loc, mine, part).getResult();
              sum = LLVM::InsertValueOp::create(b, e.loc, sum, total, 4 * q + i);
            }
          }
          scf::YieldOp::create(b, e.loc, ValueRange{e.add(other, 1), sum});
        });
    return loop.getResult(1);
  }

  /// Claimed runs add every run's sums with `red`, so a tile's slot keeps
  /// each warp's adds contiguous: f32 sums as stream-K's slots hold them
  /// (a thread's registers 4q .. 4q + 3 in 16 bytes, one red.v4.f32), s32
  /// sums register by register (red has no vector form for them: a warp's
  /// 32 words of one register in 128 bytes). Scalar adds in the 16-byte
  /// layout touched each 32-byte sector twice per register group, one word
  /// per thread and instruction.
  Value claimedWord(Value tile, Value consumer, Value thread, int64_t reg) {
    return pointer(slotsName, e.add(e.add(e.mul(tile, slotBytes()),
                                          e.mul(consumer, slotBytes() / p.consumers())),
                                    e.mul(e.add(thread, reg * kWarpgroupThreads), 4)));
  }
  /// Claimed runs: adds the consumer's sums into tile `tile`'s slot.
  void addTo(ConsumerGroup &group, Value acc, Value tile, Value thread) {
    auto reg = [&](int64_t i) { return LLVM::ExtractValueOp::create(e.b, e.loc, acc, i); };
    if (p.integerSums()) {
      for (int64_t r = 0; r < p.accRegisters(); ++r)
        inlinePtx(e, "red.relaxed.gpu.global.add.s32 [$0], $1;", "l,r", TypeRange(),
                  {address(claimedWord(tile, group.consumer, thread, r)), reg(r)});
      return;
    }
    // red.v4.f32 needs PTX 8.1 (requiredPtxFeatures asks for it with claim_k).
    Value slot = slotPointer(tile, group.consumer, thread);
    for (int64_t q = 0; q < p.accRegisters() / 4; ++q)
      inlinePtx(e, "red.relaxed.gpu.global.add.v4.f32 [$0], {$1, $2, $3, $4};", "l,f,f,f,f",
                TypeRange(),
                {address(registerGroup(slot, q)), reg(4 * q), reg(4 * q + 1), reg(4 * q + 2),
                 reg(4 * q + 3)});
  }
  /// Claimed runs: the completed tile `tile`'s sums from its slot, as
  /// accumulators of `acc`'s type; clears the slot for the next launch.
  Value takeCompleted(ConsumerGroup &group, Value acc, Value tile, Value thread) {
    OpBuilder &b = e.b;
    if (p.integerSums()) {
      Type word = b.getI32Type();
      for (int64_t r = 0; r < p.accRegisters(); ++r) {
        Value at = claimedWord(tile, group.consumer, thread, r);
        acc = LLVM::InsertValueOp::create(b, e.loc, acc,
                                          LLVM::LoadOp::create(b, e.loc, word, at, 4), r);
        LLVM::StoreOp::create(b, e.loc, e.i32(0), at, 4);
      }
      return acc;
    }
    Type type = groupType(acc);
    Value slot = slotPointer(tile, group.consumer, thread);
    Value zeros = arith::ConstantOp::create(b, e.loc, type, b.getZeroAttr(type));
    for (int64_t q = 0; q < p.accRegisters() / 4; ++q) {
      Value vec = LLVM::LoadOp::create(b, e.loc, type, registerGroup(slot, q), 16);
      LLVM::StoreOp::create(b, e.loc, zeros, registerGroup(slot, q), 16);
      for (int64_t i = 0; i < 4; ++i)
        acc = LLVM::InsertValueOp::create(
            b, e.loc, acc, vector::ExtractOp::create(b, e.loc, vec, ArrayRef<int64_t>{i}),
            4 * q + i);
    }
    return acc;
  }
};

/// Runs claimed at run time (config `claim_k`): stream-K's fixed shares
/// left SMs idle at the end on the H100, because SMs stream at different
/// rates (the least busy SM of a 16-token W4A16 kernel active 0.75x as long
/// as the busiest, bench/results/2026-12-05-h100-ncu-sm-balance.txt).
/// Instead, blocks claim ranges (units) from a global counter, so that
/// faster SMs take more. Units are the `chunks` near-equal ranges of each
/// tile's K tiles, numbered tile by tile (the ranges in flight at once are
/// of a few neighbouring tiles).
/// - The producer's thread claims a unit one ahead, when it starts the one
///   before (the atomic's latency hides behind that unit's loads), and
///   writes its number in the word of the ring slot that takes its first K
///   tile before it arms the slot's `full` barrier (a release); the
///   consumers read it once the slot is full. A number past the last unit,
///   written with a bare arrival, ends the consumers' loop.
/// - Where tiles are split (chunks > 1), each run adds its sums into its
///   tile's slot of StreamKPartials (`red`), and the tile's K tile count
///   decides which run stores it: the one that completes the count. Taking
///   that count (a GPU-scope release and acquire, microseconds) in the
///   consumers stalled their tensor cores at every run (1.2-2.3x slower
///   than stream-K on the H100, bench/results/2026-12-05-h100-claimed-runs.md),
///   so a helper thread of the producer warpgroup takes it: the consumers
///   report a run (`reported`: every consumer thread arrives after its adds;
///   the tile and count in the mailbox) and go on; the helper adds the count
///   and replies (`answered`); the consumers read the reply after their next
///   run, and store the earlier run's tile from its slot if that run
///   completed it.
/// The second counter word counts the blocks that have claimed past the
/// last unit; the last of them clears both for the next launch.
/// Still 2-26% slower than stream-K on the H100 (ranges of 8 K tiles leave
/// SMs idle at the end, ranges of 4 cost about 0.6 us each;
/// bench/results/2026-12-06-h100-claimed-runs.md), hence opt-in.
struct ClaimedRuns {
  Emitter &e;
  const WgmmaProblem &p;
  const TileSchedule &sched;
  SharedLayout &smem;
  std::string countersName;

  static ClaimedRuns declare(Emitter &e, const WgmmaProblem &p, const TileSchedule &sched,
                             SharedLayout &smem, ::mlir::gpu::GPUFuncOp func) {
    ClaimedRuns runs{e, p, sched, smem, (func.getName() + "_claims").str()};
    declareZeroedGlobal(e, func, runs.countersName, 2);
    return runs;
  }
  bool splitTiles() const { return sched.chunks > 1; }

  /// Unit `unit` as a run that starts at ring position `done`: K tiles
  /// [c * kTiles / chunks, (c + 1) * kTiles / chunks) of tile unit / chunks.
  TileRun runOf(Value unit, Value done) {
    Value chunk = e.rem(unit, sched.chunks);
    auto boundary = [&](Value c) { return e.div(e.mul(c, sched.kTiles), sched.chunks); };
    TileRun run;
    run.tile = e.div(unit, sched.chunks);
    std::tie(run.row0, run.col0) = tileOrigin(e, p, run.tile);
    run.kBegin = boundary(chunk);
    run.kCount = arith::SubIOp::create(e.b, e.loc, boundary(e.add(chunk, 1)), run.kBegin);
    run.done = done;
    return run;
  }
  Value counter(int64_t word) {
    return globalAddress(e, globalPointer(e, countersName, e.idx(4 * word)));
  }
  /// Takes the next unit (index); its value is waited for where it is used.
  Value claim() {
    Value unit = inlinePtx(e, "atom.relaxed.gpu.global.add.u32 $0, [$1], 1;", "=r,l",
                           e.b.getI32Type(), {counter(0)});
    return arith::IndexCastUIOp::create(e.b, e.loc, e.b.getIndexType(), unit);
  }
  Value loadShared(Value address) {
    Value word =
        inlinePtx(e, "ld.shared.u32 $0, [$1];", "=r,l", e.b.getI32Type(), {e.toI64(address)});
    return arith::IndexCastUIOp::create(e.b, e.loc, e.b.getIndexType(), word);
  }
  void storeShared(Value address, Value index) {
    inlinePtx(e, "st.shared.u32 [$0], $1;", "l,r", TypeRange(), {e.toI64(address), e.toI32(index)});
  }
  void arrive(Value barrier) {
    NVVM::MBarrierArriveOp::create(e.b, e.loc, Type(), barrier, Value(), NVVM::MemScopeKind::CTA);
  }

  /// Barrier counts (by thread 0, beside the ring's).
  void initBarriers() {
    if (!splitTiles())
      return;
    NVVM::MBarrierInitOp::create(e.b, e.loc, smem.reported(),
                                 e.i32(p.consumers() * kWarpgroupThreads), Value());
    NVVM::MBarrierInitOp::create(e.b, e.loc, smem.answered(), e.i32(1), Value());
  }

  /// The producer's thread 0: claims units and calls `body` on each.
  void produce(function_ref<void(const TileRun &)> body) {
    OpBuilder &b = e.b;
    Type index = b.getIndexType();
    scf::WhileOp::create(
        b, e.loc, TypeRange{index, index}, ValueRange{e.idx(0), claim()},
        [&](OpBuilder &, Location, ValueRange args) {
          Value done = args[0], unit = args[1];
          Value stage = e.rem(done, p.stages), round = e.div(done, p.stages);
          // The slot's previous round has been read (as buildProducer waits).
          waitParity(e, smem.empty(stage),
                     arith::XOrIOp::create(b, e.loc, e.rem(round, 2), e.idx(1)));
          storeShared(smem.claim(stage), unit);
          Value more = e.lt(unit, sched.units());
          Value past = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::uge, unit,
                                             e.idx(sched.units()));
          ifThen(e, past, [&] { arrive(smem.full(stage)); });
          scf::ConditionOp::create(b, e.loc, more, ValueRange{done, unit});
        },
        [&](OpBuilder &, Location, ValueRange args) {
          Value following = claim();
          TileRun run = runOf(args[1], args[0]);
          body(run);
          scf::YieldOp::create(b, e.loc, ValueRange{e.add(args[0], run.kCount), following});
        });
    // acq_rel: every block's last claim comes before the reset below.
    Value blocksDone = counter(1);
    Value before = inlinePtx(e, "atom.acq_rel.gpu.global.add.u32 $0, [$1], 1;", "=r,l",
                             b.getI32Type(), {blocksDone});
    ifThen(e,
           arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::eq, before, e.i32(sched.grid - 1)),
           [&] {
             inlinePtx(e, "st.relaxed.gpu.global.u32 [$0], 0;", "l", TypeRange(), {counter(0)});
             inlinePtx(e, "st.relaxed.gpu.global.u32 [$0], 0;", "l", TypeRange(), {blocksDone});
           });
  }

  /// The helper (a thread of the producer warpgroup, where tiles are
  /// split): for each run the consumers report, adds its K tile count into
  /// its tile's count in `partials` (acquire and release at GPU scope: the
  /// consumers' adds were ordered before their arrivals, the other blocks'
  /// before theirs), clears a completed count for the next launch, and
  /// replies whether the run completed the tile. A tile past the last ends.
  void help(StreamKPartials &partials) {
    OpBuilder &b = e.b;
    Type index = b.getIndexType();
    scf::WhileOp::create(
        b, e.loc, TypeRange{index, index}, ValueRange{e.idx(0)},
        [&](OpBuilder &, Location, ValueRange args) {
          waitParity(e, smem.reported(), e.rem(args[0], 2));
          Value tile = loadShared(smem.mailbox(0));
          scf::ConditionOp::create(b, e.loc, e.lt(tile, sched.tiles), ValueRange{args[0], tile});
        },
        [&](OpBuilder &, Location, ValueRange args) {
          Value tile = args[1];
          Value kCount = e.toI32(loadShared(smem.mailbox(1)));
          Value count = partials.address(partials.flag(tile, e.idx(0)));
          Value before = inlinePtx(e, "atom.acq_rel.gpu.global.add.u32 $0, [$1], $2;", "=r,l,r",
                                   b.getI32Type(), {count, kCount});
          Value completes = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::eq,
                                                  arith::AddIOp::create(b, e.loc, before, kCount),
                                                  e.i32(p.kTiles()));
          ifThen(e, completes, [&] {
            inlinePtx(e, "st.relaxed.gpu.global.u32 [$0], 0;", "l", TypeRange(), {count});
          });
          storeShared(smem.mailbox(2), arith::IndexCastUIOp::create(b, e.loc, index, completes));
          arrive(smem.answered());
          scf::YieldOp::create(b, e.loc, ValueRange{e.add(args[0], 1)});
        });
  }

  /// A consumer warpgroup: for each unit the producer claimed, `compute`
  /// (the main loop; where tiles are split, it adds the run's sums to its
  /// tile's slot, else it stores the tile). Where tiles are split, then
  /// the reply for the run before: if that run completed its tile,
  /// `storeCompleted` on it; then this run's report. After the last run,
  /// its reply, and the report that ends the helper.
  void consume(ConsumerGroup &group, function_ref<void(const TileRun &)> compute,
               function_ref<void(const TileRun &)> storeCompleted) {
    OpBuilder &b = e.b;
    Type index = b.getIndexType();
    Value none = e.idx(sched.units());
    // The reply to the `reports`-th report, for run `pending` (none: no
    // report is pending).
    auto settle = [&](Value pending, Value reports) {
      ifThen(e, e.lt(pending, sched.units()), [&] {
        waitParity(e, smem.answered(),
                   e.rem(arith::SubIOp::create(b, e.loc, reports, e.idx(1)), 2));
        Value completed = loadShared(smem.mailbox(2));
        ifThen(e, arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne, completed, e.idx(0)),
               [&] { storeCompleted(runOf(pending, e.idx(0))); });
      });
    };
    auto report = [&](Value tile, Value kCount) {
      ifThen(e, arith::AndIOp::create(b, e.loc, group.issuer, e.eq(group.consumer, 0)), [&] {
        storeShared(smem.mailbox(0), tile);
        storeShared(smem.mailbox(1), kCount);
      });
      arrive(smem.reported());
    };
    auto loop = scf::WhileOp::create(
        b, e.loc, TypeRange{index, index, index, index},
        ValueRange{e.idx(0), e.idx(0), none, e.idx(0)},
        [&](OpBuilder &, Location, ValueRange args) {
          Value done = args[0];
          Value stage = e.rem(done, p.stages);
          waitParity(e, smem.full(stage), e.rem(e.div(done, p.stages), 2));
          Value unit = loadShared(smem.claim(stage));
          scf::ConditionOp::create(b, e.loc, e.lt(unit, sched.units()),
                                   ValueRange{done, unit, args[2], args[3]});
        },
        [&](OpBuilder &, Location, ValueRange args) {
          Value done = args[0], unit = args[1], pending = args[2], reports = args[3];
          TileRun run = runOf(unit, done);
          compute(run);
          if (splitTiles()) {
            settle(pending, reports);
            report(run.tile, run.kCount);
            pending = unit;
            reports = e.add(reports, 1);
          }
          scf::YieldOp::create(b, e.loc,
                               ValueRange{e.add(done, run.kCount), unit, pending, reports});
        });
    if (!splitTiles())
      return;
    settle(loop.getResult(2), loop.getResult(3));
    report(e.idx(sched.tiles), e.idx(0));
  }
};

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildWgmmaKernel(OpBuilder &b, MatmulOp op,
                                                       lowbit::gpu::ConfigAttr config,
                                                       StringRef name, int64_t numSMs) {
  FailureOr<WgmmaProblem> analyzed = analyze(op, config);
  if (failed(analyzed))
    return failure();
  WgmmaProblem p = *analyzed;
  chooseStaging(p);
  // Ring tiles and staging boxes start on the swizzle's 8-row atoms.
  assert(p.stagingOffset() % kSwizzleAtomBytes == 0 &&
         p.stagingBoxBytes() % kSwizzleAtomBytes == 0 && "swizzled tiles must be aligned");
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Type i8 = b.getI8Type();
  auto genericPtr = LLVM::LLVMPointerType::get(ctx);

  KernelLaunch launch;
  bool real = p.kind == WgmmaKind::Int4Real;
  int64_t weightRowBytes = p.swapped() ? p.k / 2 : p.k;
  // Parameters: input, weight, weight_scales, then weight_zero_points (W4A16
  // with zero points) or input_scales (quantized activations), result.
  launch.params = {"input", "weight", "weight_scales"};
  SmallVector<Type> params = {
      MemRefType::get({p.m, p.k}, real ? p.realType : i8),
      MemRefType::get({p.n, weightRowBytes}, i8),
      MemRefType::get({p.scaleRows, p.scaleCols}, p.scaleType)};
  if (real && p.hasZeroPoints) {
    launch.params.push_back("weight_zero_points");
    params.push_back(MemRefType::get({p.scaleRows, p.scaleCols}, i8));
  }
  if (!real) {
    launch.params.push_back("input_scales");
    params.push_back(MemRefType::get({p.inputScaleRows, 1}, p.inputScaleType));
  }
  launch.params.push_back("result");
  params.append({MemRefType::get({p.m, p.n}, p.resultType), genericPtr, genericPtr});
  if (p.stagingBuffers)
    params.push_back(genericPtr); // the result's tensor map
  // wgmma's A operand first, then B (kernel arguments in that order).
  int64_t activationBytes = real ? 2 : 1;
  int64_t aBox = p.aBoxRows(), bBox = p.bBoxRows();
  TensorMapDesc activations{0, p.m, p.k * activationBytes, p.swapped() ? bBox : aBox,
                            kRowBytes};
  // 4-bit weights in 64-byte rows take the 64-byte swizzle: the 128-byte
  // one lays each box row out over 128 bytes (W4A16's 128-code K tiles
  // computed garbage on the H200 with it).
  int64_t weightBoxBytes = p.swapped() ? p.aRowBytes : kRowBytes;
  TensorMapDesc weights{
      1, p.n, weightRowBytes, p.swapped() ? aBox : bBox, weightBoxBytes, weightBoxBytes};
  launch.tensorMaps = {p.swapped() ? weights : activations,
                       p.swapped() ? activations : weights};
  int32_t resultParam = launch.params.size() - 1;
  if (p.stagingBuffers)
    launch.tensorMaps.push_back(TensorMapDesc{unsigned(resultParam), p.m,
                                              p.n * p.resultType.getIntOrFloatBitWidth() / 8,
                                              p.stagingBoxRows(), kRowBytes});

  ::mlir::gpu::GPUFuncOp func = beginKernel(b, loc, name, params, p.threads());
  // One block per SM: the register cap at entry that setmaxnreg needs.
  func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(), b.getI32IntegerAttr(1));
  // `.reqnctapercluster`: a plain launch forms the clusters.
  if (p.clusterSize() > 1)
    func->setAttr(NVVM::NVVMDialect::getClusterDimAttrName(),
                  b.getDenseI32ArrayAttr({int32_t(p.clusterSize()), 1, 1}));
  // Tensor maps are 128-byte kernel parameters passed by value
  // (lowbit-grid-constant-tensor-maps marks them after lowering to LLVM).
  int32_t firstMap = launch.params.size();
  SmallVector<int32_t> mapArgs = {firstMap, firstMap + 1};
  if (p.stagingBuffers)
    mapArgs.push_back(firstMap + 2);
  func->setAttr(kTensorMapArgsAttrName, b.getDenseI32ArrayAttr(mapArgs));
  TileSchedule sched = scheduleTiles(p, numSMs);
  std::optional<StreamKPartials> partials;
  if (sched.streamK() || (sched.claimed() && sched.chunks > 1))
    partials.emplace(StreamKPartials::declare(e, p, sched, func));
  Block &body = func.getBody().front();
  Value s = body.getArgument(2), y = body.getArgument(firstMap - 1);
  Value z = real && p.hasZeroPoints ? body.getArgument(3) : Value();
  Value xs = real ? Value() : body.getArgument(3);
  Value tmapA = body.getArgument(firstMap), tmapB = body.getArgument(firstMap + 1);
  Value tmapY = p.stagingBuffers ? body.getArgument(firstMap + 2) : Value();

  Value shared = dynamicSharedBytes(b, loc);
  Value start = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, shared);
  Value aligned = arith::AndIOp::create(b, loc, e.add(start, kSwizzleAtomBytes - 1),
                                        e.idx(~(kSwizzleAtomBytes - 1)));
  SharedLayout smem{e, p, aligned};
  std::optional<ClaimedRuns> claimed;
  if (sched.claimed())
    claimed.emplace(ClaimedRuns::declare(e, p, sched, smem, func));

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value warpgroup = e.div(tid, kWarpgroupThreads);
  Value lane = e.rem(tid, kWarpThreads);

  // Barriers: `full` expects the producer's one arrival (plus the bytes),
  // `empty` one arrival per consumer warp.
  ifThen(e, e.eq(tid, 0), [&] {
    for (int64_t st = 0; st < p.stages; ++st) {
      NVVM::MBarrierInitOp::create(b, loc, smem.full(e.idx(st)), e.i32(1), Value());
      NVVM::MBarrierInitOp::create(b, loc, smem.empty(e.idx(st)), e.i32(p.emptyArrivals()),
                                   Value());
    }
    if (claimed)
      claimed->initBarriers();
    NVVM::FenceMbarrierInitOp::create(b, loc);
  });
  if (p.sharedLookupTables())
    ifThen(e, e.lt(tid, kWarpThreads), [&] {
      LLVM::StoreOp::create(b, loc, e.i32(widening::kE4m3Positive[0]), smem.lookupTable(tid, 0));
      LLVM::StoreOp::create(b, loc, e.i32(widening::kE4m3NegativeHalved[0]),
                            smem.lookupTable(tid, 1));
    });
  // A cluster's blocks arrive on each other's barriers: all are set up
  // before any block goes on, and none exits while the other may still
  // arrive on its barriers (below).
  auto syncCluster = [&] {
    NVVM::ClusterArriveOp::create(b, loc, UnitAttr());
    NVVM::ClusterWaitOp::create(b, loc, UnitAttr());
  };
  if (p.clusterSize() > 1)
    syncCluster();
  else
    ::mlir::gpu::BarrierOp::create(b, loc);
  // Launched behind another kernel (programmatic dependent launch), the
  // block has set up while that kernel finished; nothing before here
  // touches global memory but the weights' prefetch.
  ifThen(e, e.eq(tid, 0), [&] { prefetchFirstWeights(e, p, sched, tmapA, tmapB); });
  awaitPreviousGrid(e);

  auto roles = scf::IfOp::create(b, loc, e.eq(warpgroup, 0), /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&roles.getThenRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, p.producerRegisters(),
                                   NVVM::SetMaxRegisterAction::decrease);
    auto produce = [&](const TileRun &run) { buildProducer(e, p, smem, tmapA, tmapB, run); };
    ifThen(e, e.eq(tid, 0), [&] {
      if (claimed)
        claimed->produce(produce);
      else
        forEachRun(e, p, sched, produce);
    });
    if (claimed && claimed->splitTiles())
      ifThen(e, e.eq(tid, kWarpThreads), [&] { claimed->help(*partials); });

    // Consumers: while one stores a tile, the producer already fills the
    // ring with the next one's K tiles.
    b.setInsertionPointToStart(&roles.getElseRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, p.consumerRegisters(),
                                   NVVM::SetMaxRegisterAction::increase);
    Value consumer = arith::SubIOp::create(b, loc, warpgroup, e.idx(1));
    Value groupThread = e.rem(tid, kWarpgroupThreads);
    Value warp = e.div(groupThread, kWarpThreads);
    ConsumerGroup group{e, consumer, e.eq(groupThread, 0)};
    StagedStores out{e, group, tmapY};
    // This thread's first accumulator row (kernel frame) in `run`'s tile.
    auto firstRow = [&](const TileRun &run) {
      return e.add(e.add(run.row0, e.mul(consumer, kWarpgroupRows)), fragmentRow(e, warp, lane));
    };
    // Where this thread stores `run`'s tile: from row `row0` and column
    // `col0` (its first accumulator's), its consumer's rows from
    // `consumerRow0`.
    struct Place {
      Value row0, col0, consumerRow0, tileCol0;
    };
    auto placeIn = [&](const TileRun &run, Value row0) {
      return Place{row0, e.add(run.col0, e.mul(e.rem(lane, 4), 2)),
                   e.add(run.row0, e.mul(consumer, kWarpgroupRows)), run.col0};
    };
    // Stores a tile from sums `acc` (scaled, converted).
    auto storeTileAt = [&](const Place &at, Value acc) {
      if (p.stagingBuffers && p.swapped())
        storeSwappedTileStaged(e, p, smem, out, acc, xs, s, warp, lane, at.consumerRow0,
                               at.tileCol0);
      else if (p.stagingBuffers)
        storeTileStaged(e, p, smem, out, acc, xs, s, warp, lane, at.consumerRow0, at.tileCol0);
      else if (p.swapped())
        storeSwappedTile(e, p, acc, xs, s, y, at.row0, at.col0);
      else
        storeTile(e, p, acc, xs, s, y, at.row0, at.col0);
    };
    Type accType;
    auto computeRun = [&](const TileRun &run) {
      // W4A16 reads its weight rows' scales in the main loop.
      Value row0 = real ? firstRow(run) : Value();
      Value acc;
      if (real)
        acc = buildDequantizingConsumer(e, p, smem, consumer, warp, lane, run, row0, s, z);
      else if (p.swapped())
        acc = buildWideningConsumer(e, p, smem, consumer, warp, lane, run);
      else
        acc = buildConsumer(e, p, smem, consumer, lane, run);
      if (!row0)
        row0 = firstRow(run);
      Place at = placeIn(run, row0);
      auto store = [&](Value sums) { storeTileAt(at, sums); };
      accType = acc.getType();
      if (!partials) {
        store(acc);
        return;
      }
      if (claimed) {
        // Its tile is stored by the run that completes it (ClaimedRuns).
        partials->addTo(group, acc, run.tile, groupThread);
        return;
      }
      // Stream-K: a run that starts inside its tile hands its sums on; one
      // that starts the tile adds those of the runs after it, then stores
      // (nested, so that only one set of sums is live at a time).
      auto partialRun = scf::IfOp::create(b, loc, run.partial, /*withElse=*/true);
      OpBuilder::InsertionGuard branch(b);
      b.setInsertionPointToStart(&partialRun.getThenRegion().front());
      partials->storeForOwner(group, acc, run.block, groupThread);
      b.setInsertionPointToStart(&partialRun.getElseRegion().front());
      auto adding = scf::IfOp::create(b, loc, acc.getType(), run.needsPartials,
                                      /*withElse=*/true);
      {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(&adding.getThenRegion().front());
        scf::YieldOp::create(
            b, loc, partials->addFromPeers(group, acc, run.block, groupThread, run.tileEnd, sched));
        b.setInsertionPointToStart(&adding.getElseRegion().front());
        scf::YieldOp::create(b, loc, acc);
      }
      store(adding.getResult(0));
    };
    if (claimed)
      claimed->consume(group, computeRun, [&](const TileRun &run) {
        Value sums = LLVM::PoisonOp::create(b, loc, accType);
        storeTileAt(placeIn(run, firstRow(run)),
                    partials->takeCompleted(group, sums, run.tile, groupThread));
      });
    else
      forEachRun(e, p, sched, computeRun);
    if (p.stagingBuffers)
      out.drain();
  }
  if (p.clusterSize() > 1)
    syncCluster();
  ::mlir::gpu::ReturnOp::create(b, loc);

  // Persistent: at most one block per SM walks the tiles (below one wave
  // with stream-K, one per part of the split tiles); otherwise one per
  // tile (per cluster tile, two blocks per cluster).
  launch.grid = {sched.grid * p.clusterSize(), 1, 1};
  launch.block = {p.threads(), 1, 1};
  launch.sharedBytes = p.sharedBytes();
  launch.registerPool = p.registerPool();
  launch.dependentLaunch = true; // awaitPreviousGrid
  launch.sharedWorkspace = sched.streamK() || sched.claimed();
  return launch;
}
