//===- BitplaneKernel.cpp - the bitplane strategy -------------------------===//
//
// Bipolar-INT products on 1-bit tensor cores (APT-LLM). The operands are bit
// planes: A = sum_i 2^i (2 a_i - 1) over P planes a_i of [M, K] bits, and
// W = sum_j 2^j (2 w_j - 1) over Q planes w_j of [N, K] bits. Expanding the
// product of (2 u_a - (2^P - 1)) and (2 u_w - (2^Q - 1)), u being the plain
// binary value of the planes,
//
//   (A W^T)[m, n] = 4 sum_{i,j} 2^(i+j) popc(a_i[m] & w_j[n])
//                   - 2 (2^Q - 1) Sa[m] - 2 (2^P - 1) Sw[n]
//                   + K (2^P - 1) (2^Q - 1),
//
// with Sa[m] = sum_i 2^i popc(a_i[m]) and Sw[n] = sum_j 2^j popc(w_j[n]).
// Each plane pair is one `mma.sync` m16n8k256 `.and.popc` per K step (AND
// is the 1-bit operation every target has; XOR ends at sm_89); the row
// popcounts are counted once per block from the staged tiles.
//
// - A block computes a [BM, BN] tile with (BM / WM) x (BN / WN) warps. K
//   tiles of 512 bits (64 bytes per row, every plane of both operands) are
//   staged in a ring of `stages` shared-memory slots by 16-byte `cp.async`
//   copies, `stages - 1` tiles ahead, as in the mma_sync strategy; rows past
//   M or N and bytes past the end of a row are zero-filled (src-size 0).
// - A 1-bit m16n8k256 fragment holds the same bytes as an s8 m16n8k32 one
//   (thread t of a quad: bytes 4t..4t+3 and 16 + 4t..16 + 4t + 3 of its
//   rows), so `ldmatrix.x4` reads both operands from the swizzled tiles.
// - The product of planes i and j accumulates into the s32 sums of weight
//   2^(i+j): P + Q - 1 sets, combined by shifts in the epilogue.
// - `popc` runs at 16 lanes per clock per SM, a quarter of an integer add:
//   counted per fragment, the rows' popcounts would cost each warp of a
//   W2A2 kernel one popc per MMA and bound it on the ALU. Instead every
//   16-byte chunk of a staged tile is counted by one thread of the block
//   (the same chunks every K tile, so the counts stay in registers), the
//   four threads of a row sum theirs in the epilogue, and the rows' counts
//   meet the output tiles through shared memory.
// - Each operand is laid out as rows of K bits (bit k % 8 of byte k / 8),
//   padded with zero bits to a multiple of 16 bytes (quant::packBitRows;
//   layout "bits" in the manifest). Zero bits change no popcount, so any M,
//   N and K work.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"
#include "TiledGemm.h"

#include "lowbit/Quant/BitPlanes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::lowbit;
using tiled::kThreadsPerWarp;
using tiled::kTileRowBytes;

namespace {

/// K bits of one m16n8k256 step, and of one staged K tile.
constexpr int64_t kStepBits = 256;
constexpr int64_t kTileBits = kTileRowBytes * 8;
/// Accumulator registers per thread beyond which a config is rejected: the
/// fragments and addresses need the rest of the 255.
constexpr int64_t kMaxAccumulators = 128;

struct BitplaneProblem {
  int64_t m, n, k;
  int64_t planesA, planesW;
  int64_t bm, bn, wm, wn, stages;

  int64_t warps() const { return (bm / wm) * (bn / wn); }
  int64_t threads() const { return warps() * kThreadsPerWarp; }
  /// Bytes of one operand row in the device layout.
  int64_t rowBytes() const { return quant::bitRowBytes(k); }
  int64_t kTiles() const { return llvm::divideCeil(rowBytes(), kTileRowBytes); }
  /// Weights 2^s of plane pairs, s = 0 .. P + Q - 2.
  int64_t levels() const { return planesA + planesW - 1; }
  int64_t tilesM() const { return wm / 16; }
  int64_t tilesN() const { return wn / 8; }
  int64_t accumulators() const { return levels() * tilesM() * tilesN() * 4; }
  /// Rows of one ring slot: every plane of the block's rows.
  int64_t aRows() const { return planesA * bm; }
  int64_t bRows() const { return planesW * bn; }
  int64_t ringBytes() const { return stages * (aRows() + bRows()) * kTileRowBytes; }
  /// Each thread's 16-byte chunks of the A and B parts of a ring slot.
  int64_t countSlotsA() const { return llvm::divideCeil(aRows() * 4, threads()); }
  int64_t countSlotsB() const { return llvm::divideCeil(bRows() * 4, threads()); }
  /// The ring, then one i32 popcount per row of a slot.
  int64_t sharedBytes() const { return ringBytes() + (aRows() + bRows()) * 4; }
};

FailureOr<BitplaneProblem> analyze(BitplaneMatmulOp op, lowbit::gpu::ConfigAttr config) {
  RankedTensorType input = op.getInput().getType(), weight = op.getWeight().getType();
  if (!input.hasStaticShape() || !weight.hasStaticShape())
    return op.emitOpError() << "the bitplane strategy needs static shapes, got "
                            << typeString(input) << " and " << typeString(weight);
  BitplaneProblem p;
  p.planesA = input.getDimSize(0);
  p.m = input.getDimSize(1);
  p.k = input.getDimSize(2);
  p.planesW = weight.getDimSize(0);
  p.n = weight.getDimSize(1);
  if (p.m == 0 || p.n == 0 || p.k == 0)
    return op.emitOpError() << "the bitplane strategy needs non-empty operands";
  ArrayRef<int64_t> block = config.getBlock(), warp = config.getWarp(),
                    mma = config.getMma();
  p.bm = block[0];
  p.bn = block[1];
  p.wm = warp[0];
  p.wn = warp[1];
  p.stages = config.getStages();

  if (mma[0] != 16 || mma[1] != 8 || mma[2] != kStepBits || !config.getMmaType().isInteger(1))
    return op.emitOpError() << "the bitplane strategy runs mma = [16, 8, 256] on i1";
  if (block[2] != kTileBits)
    return op.emitOpError() << "bitplane block tile K must be " << kTileBits
                            << " (64 bytes per row), not " << block[2];
  if (p.wm % 16 || p.wn % 16 || p.bm % p.wm || p.bn % p.wn)
    return op.emitOpError() << "bitplane warp tile [" << p.wm << ", " << p.wn
                            << "] must be multiples of 16 that divide the block tile ["
                            << p.bm << ", " << p.bn << "]";
  if (p.threads() > 1024)
    return op.emitOpError() << "the block tile [" << p.bm << ", " << p.bn
                            << "] takes " << p.warps()
                            << " warps; a block has at most 32";
  if (p.stages < 2)
    return op.emitOpError() << "bitplane needs at least 2 pipeline stages";
  if (config.getSplitK() != 1 || config.getPersistent())
    return op.emitOpError() << "the bitplane strategy has no split-K or persistent grid";
  if (p.accumulators() > kMaxAccumulators)
    return op.emitOpError() << "bitplane: " << p.levels() << " plane-pair weights x "
                            << p.wm << " x " << p.wn << " / 32 = " << p.accumulators()
                            << " accumulator registers per thread exceed "
                            << kMaxAccumulators << "; choose a smaller warp tile";
  return p;
}

/// The kernel's values that the loop body and epilogue use.
struct Frame {
  Value x, w, y;        // parameters
  Value aTiles, bTiles; // shared-memory rings (bytes, for cp.async and ldmatrix)
  Value aChunks, bChunks; // the same rings as 16-byte chunks (vector<4xi32>)
  Value rowCounts;      // per row of a slot: its popcount over K
  Value tid, lane, warpM, warpN, blockM0, blockN0;
};

/// Queues the copies of K tile `kt` of `planes` x `tileRows` rows (block
/// origin `origin`, `limit` valid rows per plane) from `src` into ring slot
/// `stage` of `tiles`.
void loadOperandTile(Emitter &e, const BitplaneProblem &p, const Frame &f, Value src,
                     Value tiles, int64_t planes, int64_t tileRows, int64_t limit,
                     Value origin, Value kt, Value stage) {
  OpBuilder &b = e.b;
  tiled::forEachIndex(e, f.tid, p.threads(), planes * tileRows * 4, [&](Value chunk) {
    Value row = e.div(chunk, 4), col = e.rem(chunk, 4);
    Value plane = e.div(row, tileRows);
    Value globalRow = e.add(origin, e.rem(row, tileRows));
    Value byte = e.add(e.mul(kt, kTileRowBytes), e.mul(col, 16));
    Value valid = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, globalRow,
                                        e.idx(limit));
    // Rows are whole 16-byte chunks; only a last K tile that is not whole
    // has chunks past the end of the row.
    if (p.rowBytes() % kTileRowBytes)
      valid = arith::AndIOp::create(
          b, e.loc, valid,
          arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, byte,
                                e.idx(p.rowBytes())));
    // Zero-filled chunks still name an address inside the operand.
    Value srcRow = e.add(e.mul(plane, limit),
                         arith::MinUIOp::create(b, e.loc, globalRow, e.idx(limit - 1)));
    Value srcCol = arith::MinUIOp::create(b, e.loc, byte, e.idx(p.rowBytes() - 16));
    Value srcBytes = arith::SelectOp::create(b, e.loc, valid, e.idx(16), e.idx(0));
    nvgpu::DeviceAsyncCopyOp::create(
        b, e.loc, tiles, ValueRange{stage, row, e.mul(tiled::swizzle(e, row, col), 16)},
        src, ValueRange{srcRow, srcCol}, b.getIndexAttr(16), srcBytes, b.getUnitAttr());
  });
}

void loadTile(Emitter &e, const BitplaneProblem &p, const Frame &f, Value kt, Value stage) {
  loadOperandTile(e, p, f, f.x, f.aTiles, p.planesA, p.bm, p.m, f.blockM0, kt, stage);
  loadOperandTile(e, p, f, f.w, f.bTiles, p.planesW, p.bn, p.n, f.blockN0, kt, stage);
}

Value popcount(Emitter &e, Value word) {
  return LLVM::CtPopOp::create(e.b, e.loc, e.b.getI32Type(), word);
}

/// Loop-carried values, flattened into scf.for's iter_args: the plane-pair
/// sums acc[level][tileM][tileN][4], then this thread's popcounts of its
/// chunks of the A part and of the B part of a slot.
struct Carried {
  const BitplaneProblem &p;
  int64_t accIndex(int64_t level, int64_t i, int64_t j, int64_t r) const {
    return ((level * p.tilesM() + i) * p.tilesN() + j) * 4 + r;
  }
  int64_t countIndex(bool weights, int64_t slot) const {
    return p.accumulators() + (weights ? p.countSlotsA() : 0) + slot;
  }
  int64_t size() const { return countIndex(true, p.countSlotsB()); }
};

/// Calls `body` for each chunk this thread counts: in the A part of a slot
/// (`weights` false) or the B part, the thread's `slot`-th chunk tid + slot
/// * threads, the part's rows, and whether the chunk is inside the part.
void forEachCountedChunk(
    Emitter &e, const BitplaneProblem &p, const Frame &f,
    function_ref<void(bool weights, int64_t slot, int64_t rows, Value chunk, Value inside)>
        body) {
  for (bool weights : {false, true}) {
    int64_t rows = weights ? p.bRows() : p.aRows();
    for (int64_t slot = 0; slot < (weights ? p.countSlotsB() : p.countSlotsA()); ++slot) {
      Value chunk = e.add(f.tid, slot * p.threads());
      body(weights, slot, rows, chunk, e.lt(chunk, rows * 4));
    }
  }
}

/// Adds the popcounts of this thread's chunks of ring slot `stage` to its
/// counts. Any order of a row's chunks does: the swizzle is not undone.
void countTile(Emitter &e, const BitplaneProblem &p, const Frame &f, Value stage,
               SmallVector<Value> &values) {
  OpBuilder &b = e.b;
  Carried at{p};
  forEachCountedChunk(e, p, f, [&](bool weights, int64_t slot, int64_t rows, Value chunk,
                                   Value inside) {
    Value clamped = arith::MinUIOp::create(b, e.loc, chunk, e.idx(rows * 4 - 1));
    Value vec = memref::LoadOp::create(b, e.loc, weights ? f.bChunks : f.aChunks,
                                       ValueRange{stage, e.div(clamped, 4), e.rem(clamped, 4)});
    Value count = e.i32(0);
    for (int64_t word = 0; word < 4; ++word)
      count = arith::AddIOp::create(
          b, e.loc, count,
          popcount(e, vector::ExtractOp::create(b, e.loc, vec, ArrayRef<int64_t>{word})));
    Value &total = values[at.countIndex(weights, slot)];
    total = arith::AddIOp::create(b, e.loc, total,
                                  arith::SelectOp::create(b, e.loc, inside, count, e.i32(0)));
  });
}

/// One K tile of ring slot `stage`: two m16n8k256 steps per plane pair and
/// warp tile.
void computeTile(Emitter &e, const BitplaneProblem &p, const Frame &f, Value stage,
                 SmallVector<Value> &values) {
  OpBuilder &b = e.b;
  Carried at{p};
  Type i32 = b.getI32Type();
  auto aType = VectorType::get({4, 4}, b.getI8Type());
  auto structType = LLVM::LLVMStructType::getLiteral(b.getContext(), {i32, i32, i32, i32});
  for (int64_t kstep = 0; kstep < kTileBits / kStepBits; ++kstep) {
    // a[plane][tileM]: four registers (rows g, g + 8 x byte halves).
    SmallVector<SmallVector<SmallVector<Value>>> a(p.planesA), w(p.planesW);
    for (int64_t plane = 0; plane < p.planesA; ++plane)
      for (int64_t i = 0; i < p.tilesM(); ++i) {
        Value row = e.add(e.add(e.mul(f.warpM, p.wm), plane * p.bm + i * 16),
                          e.rem(f.lane, 16));
        Value chunk = e.add(e.div(f.lane, 16), kstep * 2);
        a[plane].push_back(
            tiled::fragmentWords(e, tiled::ldmatrixX4(e, f.aTiles, stage, row, chunk, 16, aType)));
      }
    // w[plane][tileN]: two registers (row g x byte halves), two n8 tiles
    // per ldmatrix.x4. Lanes 0-7: rows 0-7 chunk 0; 8-15: rows 0-7 chunk 1;
    // 16-23: rows 8-15 chunk 0; 24-31: rows 8-15 chunk 1.
    for (int64_t plane = 0; plane < p.planesW; ++plane)
      for (int64_t pair = 0; pair < p.tilesN() / 2; ++pair) {
        Value row = e.add(e.add(e.mul(f.warpN, p.wn), plane * p.bn + pair * 16),
                          e.add(e.rem(f.lane, 8), e.mul(e.div(f.lane, 16), 8)));
        Value chunk = e.add(e.rem(e.div(f.lane, 8), 2), kstep * 2);
        SmallVector<Value> x4 =
            tiled::fragmentWords(e, tiled::ldmatrixX4(e, f.bTiles, stage, row, chunk, 16, aType));
        w[plane].push_back({x4[0], x4[1]});
        w[plane].push_back({x4[2], x4[3]});
      }
    for (int64_t pa = 0; pa < p.planesA; ++pa)
      for (int64_t pw = 0; pw < p.planesW; ++pw)
        for (int64_t i = 0; i < p.tilesM(); ++i)
          for (int64_t j = 0; j < p.tilesN(); ++j) {
            SmallVector<Value> c;
            for (int64_t r = 0; r < 4; ++r)
              c.push_back(values[at.accIndex(pa + pw, i, j, r)]);
            Value d = NVVM::MmaOp::create(
                b, e.loc, structType, a[pa][i], w[pw][j], c,
                ArrayRef<int64_t>{16, 8, kStepBits}, NVVM::MMAB1Op::and_popc,
                std::nullopt,
                std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::b1, NVVM::MMATypes::b1},
                std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                               NVVM::MMALayout::col});
            for (int64_t r = 0; r < 4; ++r)
              values[at.accIndex(pa + pw, i, j, r)] =
                  LLVM::ExtractValueOp::create(b, e.loc, d, ArrayRef<int64_t>{r});
          }
  }
}

/// The sum over planes of the rows' popcounts shifted by plane: Sa (or Sw)
/// of the row `local` of the block.
Value weightedCount(Emitter &e, const Frame &f, int64_t planes, int64_t planeRows,
                    int64_t first, Value local) {
  Value sum = e.i32(0);
  for (int64_t plane = 0; plane < planes; ++plane) {
    Value count = memref::LoadOp::create(e.b, e.loc, f.rowCounts,
                                         ValueRange{e.add(local, first + plane * planeRows)});
    sum = arith::AddIOp::create(e.b, e.loc, sum, e.shl(count, plane));
  }
  return sum;
}

/// The epilogue: the rows' popcounts summed over their four threads into
/// shared memory, the plane-pair sums combined, the bipolar correction
/// applied, elements inside [M, N] stored.
void storeTile(Emitter &e, const BitplaneProblem &p, const Frame &f, ValueRange values) {
  OpBuilder &b = e.b;
  Carried at{p};
  // A row's four chunks are counted by four consecutive threads (a quad):
  // every lane shuffles, the first of each quad stores.
  forEachCountedChunk(e, p, f, [&](bool weights, int64_t slot, int64_t, Value chunk,
                                   Value inside) {
    Value total = sumOverLanes(b, e.loc, values[at.countIndex(weights, slot)], 4);
    Value first = arith::AndIOp::create(b, e.loc, inside, e.eq(e.rem(chunk, 4), 0));
    auto store = scf::IfOp::create(b, e.loc, first, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    memref::StoreOp::create(b, e.loc, total, f.rowCounts,
                            ValueRange{e.add(e.div(chunk, 4), weights ? p.aRows() : 0)});
  });
  ::mlir::gpu::BarrierOp::create(b, e.loc);

  Value group = e.div(f.lane, 4), thread = e.rem(f.lane, 4);
  int64_t maxA = (int64_t(1) << p.planesA) - 1, maxW = (int64_t(1) << p.planesW) - 1;
  Value constant = e.i32(p.k * maxA * maxW);
  // -2 (2^P - 1) Sw[n] of this thread's columns.
  SmallVector<Value> colTerms;
  for (int64_t j = 0; j < p.tilesN(); ++j)
    for (int64_t c = 0; c < 2; ++c) {
      Value local = e.add(e.mul(f.warpN, p.wn), e.add(e.mul(thread, 2), j * 8 + c));
      colTerms.push_back(arith::MulIOp::create(
          b, e.loc, weightedCount(e, f, p.planesW, p.bn, p.aRows(), local),
          e.i32(-2 * maxA)));
    }
  for (int64_t i = 0; i < p.tilesM(); ++i)
    for (int64_t half = 0; half < 2; ++half) {
      Value local = e.add(e.mul(f.warpM, p.wm), e.add(group, i * 16 + half * 8));
      Value row = e.add(f.blockM0, local);
      auto rowInside = scf::IfOp::create(b, e.loc, e.lt(row, p.m), /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&rowInside.getThenRegion().front());
      // K (2^P - 1)(2^Q - 1) - 2 (2^Q - 1) Sa[m], shared by the row.
      Value rowTerm = arith::SubIOp::create(
          b, e.loc, constant,
          arith::MulIOp::create(b, e.loc, weightedCount(e, f, p.planesA, p.bm, 0, local),
                                e.i32(2 * maxW)));
      for (int64_t j = 0; j < p.tilesN(); ++j)
        for (int64_t c = 0; c < 2; ++c) {
          Value col = e.add(e.add(f.blockN0, e.mul(f.warpN, p.wn)),
                            e.add(e.mul(thread, 2), j * 8 + c));
          Value pairs = e.i32(0);
          for (int64_t level = 0; level < p.levels(); ++level)
            pairs = arith::AddIOp::create(
                b, e.loc, pairs, e.shl(values[at.accIndex(level, i, j, half * 2 + c)], level));
          Value v = arith::AddIOp::create(b, e.loc, e.shl(pairs, 2), rowTerm);
          v = arith::AddIOp::create(b, e.loc, v, colTerms[j * 2 + c]);
          auto colInside = scf::IfOp::create(b, e.loc, e.lt(col, p.n), /*withElse=*/false);
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPointToStart(&colInside.getThenRegion().front());
          memref::StoreOp::create(b, e.loc, v, f.y, ValueRange{row, col});
        }
    }
}

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildBitplaneKernel(OpBuilder &b, BitplaneMatmulOp op,
                                                          lowbit::gpu::ConfigAttr config,
                                                          StringRef name) {
  FailureOr<BitplaneProblem> analyzed = analyze(op, config);
  if (failed(analyzed))
    return failure();
  const BitplaneProblem &p = *analyzed;
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Type i8 = b.getI8Type(), i32 = b.getI32Type();

  KernelLaunch launch;
  SmallVector<Type> params = {
      MemRefType::get({p.planesA * p.m, p.rowBytes()}, i8),
      MemRefType::get({p.planesW * p.n, p.rowBytes()}, i8),
      MemRefType::get({p.m, p.n}, i32)};
  launch.params = {"input", "weight", "result"};

  ::mlir::gpu::GPUFuncOp func = beginKernel(b, loc, name, params, p.threads());
  Block &body = func.getBody().front();
  Frame f;
  f.x = body.getArgument(0);
  f.w = body.getArgument(1);
  f.y = body.getArgument(2);
  Value shared = dynamicSharedBytes(b, loc);
  f.aTiles = tiled::ringView(e, shared, 0, p.stages, p.aRows(), kTileRowBytes, i8);
  f.bTiles = tiled::ringView(e, shared, p.stages * p.aRows() * kTileRowBytes, p.stages,
                             p.bRows(), kTileRowBytes, i8);
  auto chunk = VectorType::get({4}, i32);
  f.aChunks = tiled::ringView(e, shared, 0, p.stages, p.aRows(), 4, chunk);
  f.bChunks = tiled::ringView(e, shared, p.stages * p.aRows() * kTileRowBytes, p.stages,
                              p.bRows(), 4, chunk);
  f.rowCounts = memref::ViewOp::create(
      b, loc,
      MemRefType::get({p.aRows() + p.bRows()}, i32, MemRefLayoutAttrInterface{},
                      cast<MemRefType>(shared.getType()).getMemorySpace()),
      shared, e.idx(p.ringBytes()), ValueRange{});

  f.tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  f.lane = e.rem(f.tid, kThreadsPerWarp);
  Value warp = e.div(f.tid, kThreadsPerWarp);
  f.warpM = e.div(warp, p.bn / p.wn);
  f.warpN = e.rem(warp, p.bn / p.wn);
  int64_t gridM = llvm::divideCeil(p.m, p.bm), gridN = llvm::divideCeil(p.n, p.bn);
  Value pid = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  std::tie(f.blockM0, f.blockN0) =
      tiled::groupedTileOrigin(e, pid, gridM, gridN, p.bm, p.bn);

  SmallVector<Value> init(Carried{p}.size(), e.i32(0));
  SmallVector<Value> sums = tiled::pipelinedKLoop(
      e, p.stages, p.kTiles(), init,
      [&](Value kt, Value slot) { loadTile(e, p, f, kt, slot); },
      [&](Value, Value slot, SmallVector<Value> &values) {
        computeTile(e, p, f, slot, values);
        countTile(e, p, f, slot, values);
      });
  storeTile(e, p, f, sums);
  ::mlir::gpu::ReturnOp::create(b, loc);

  launch.grid = {gridM * gridN, 1, 1};
  launch.block = {p.threads(), 1, 1};
  launch.sharedBytes = p.sharedBytes();
  return launch;
}
