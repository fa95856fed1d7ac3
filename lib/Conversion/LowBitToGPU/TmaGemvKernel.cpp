//===- TmaGemvKernel.cpp - the tma_gemv strategy (sm_90) -------------------===//
//
// A decode GEMV whose weight tiles stream by TMA through an mbarrier ring in
// shared memory: a producer warp issues the copies, four consumer warps fold
// the tiles with the register GEMV's products on CUDA cores or with mma.sync
// on tensor cores (docs/GPU.md). Problem analysis, launch and the folds are
// in GemvKernel.cpp.
//
//===----------------------------------------------------------------------===//
#include "Gemv.h"
#include "TiledGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::gemv;

namespace {

/// A tma_gemv block: its ring in shared memory and where it is in the
/// product.
struct TmaBlock {
  Emitter &e;
  const GemvProblem &p;
  GemvFrame f;
  Value y;
  Value ring; // the ring's start in the shared window, aligned to 1024
  Value warp, lane;
  Value row0;              // the block's first row
  Value first, end, count; // its K tiles [first, end), `count` of them

  Value slot(Value stage) { return e.add(ring, e.mul(stage, p.slotBytes())); }
  Value full(Value stage) {
    return sharedPointer(e, e.add(e.add(ring, p.barrierOffset()), e.mul(stage, 8)));
  }
  Value empty(Value stage) {
    return sharedPointer(e, e.add(e.add(ring, p.barrierOffset() + 8 * p.ringSlots),
                                  e.mul(stage, 8)));
  }
  /// Where consumer warp `warp` leaves its lanes' four sums of tile pair
  /// `tilePair` (row tile i, token tile j: i * tokenTiles + j; tensor
  /// cores): after the barriers.
  Value partialSums(Value warp, int64_t tilePair) {
    Value thread = e.add(e.mul(warp, kWarpThreads), lane);
    int64_t perThread = p.rowTiles() * p.tokenTiles();
    return sharedPointer(e, e.add(e.add(ring, p.barrierOffset() + 16 * p.ringSlots),
                                  e.mul(e.add(e.mul(thread, perThread), tilePair), 16)));
  }
  /// Waits for the block's K tile number `i` (slot i % slots, parity of its
  /// round); returns the slot.
  Value waitTile(Value i) {
    Value stage = e.rem(i, p.ringSlots);
    waitParity(e, full(stage), e.rem(e.div(i, p.ringSlots), 2));
    return stage;
  }
  /// This thread has read slot `stage`. Its reads (generic proxy) are
  /// ordered before the copies that refill the slot (async proxy) by a
  /// proxy fence: without it, on an H200, refills overtook reads of
  /// 2- to 4-slot rings and results raced (relative L2 0.002-0.05).
  void release(Value stage) {
    fenceProxyAsyncShared(e);
    NVVM::MBarrierArriveOp::create(e.b, e.loc, Type(), empty(stage), Value());
  }
  /// A consumer's loop over the block's K tiles: `sums` f32 sums from zero,
  /// and what `load` loads for a tile (scales, zero points, ...) loaded a
  /// tile ahead. `body` gets the tile, its slot once full, that tile's
  /// loads and the sums to add to; the slot is released after it. Returns
  /// the sums.
  SmallVector<Value>
  consumeTiles(int64_t sums, function_ref<SmallVector<Value>(Value tile)> load,
               function_ref<void(Value tile, Value stage, ValueRange loaded,
                                 MutableArrayRef<Value> sums)>
                   body) {
    OpBuilder &b = e.b;
    SmallVector<Value> init(sums, f32Const(b, e.loc, 0.0));
    llvm::append_range(init, load(first));
    auto loop = scf::ForOp::create(b, e.loc, e.idx(0), count, e.idx(1), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value tile = e.add(first, i);
    SmallVector<Value> next = load(arith::MinUIOp::create(
        b, e.loc, e.add(tile, 1), arith::SubIOp::create(b, e.loc, end, e.idx(1))));
    Value stage = waitTile(i);
    ValueRange carried = loop.getRegionIterArgs();
    SmallVector<Value> acc(carried.take_front(sums));
    body(tile, stage, carried.drop_front(sums), acc);
    release(stage);
    llvm::append_range(acc, next);
    scf::YieldOp::create(b, e.loc, acc);
    return SmallVector<Value>(loop.getResults().take_front(sums));
  }
  /// Token `token`'s activations of the slot's K tile (tensor cores), from
  /// its code `code` on: `count` 16-byte vectors.
  SmallVector<Value> loadActivations(Value stage, Value token, Value code, int64_t count) {
    Value base = e.add(e.add(slot(stage), p.weightBytes()),
                       e.mul(e.add(e.mul(token, p.tileCodes()), code), p.actBytes()));
    // Quantized activations as words (HalfPairs widens them).
    auto type = p.quantizedInput ? VectorType::get({4}, e.b.getI32Type())
                                 : VectorType::get({p.actLanes()}, p.actType);
    SmallVector<Value> vectors;
    for (int64_t v = 0; v < count; ++v)
      vectors.push_back(LLVM::LoadOp::create(e.b, e.loc, type,
                                             sharedPointer(e, e.add(base, 16 * v)),
                                             /*alignment=*/16));
    return vectors;
  }
  /// A 16-byte chunk of the slot: row `row` of the block, 16-byte position
  /// `position` (0..7) of box `box` before the swizzle.
  Value loadChunk(Value stage, Value box, Value row, Value position) {
    Value swizzled = arith::XOrIOp::create(e.b, e.loc, position, e.rem(row, 8));
    Value address = e.add(e.add(slot(stage), e.mul(box, p.rowsPerBlock * kTmaBoxBytes)),
                          e.add(e.mul(row, kTmaBoxBytes), e.mul(swizzled, 16)));
    return LLVM::LoadOp::create(e.b, e.loc, VectorType::get({4}, e.b.getI32Type()),
                                sharedPointer(e, address), /*alignment=*/16);
  }
};

/// The first of the two block rows lane 4g + t holds in a tensor-core
/// tma_gemv, pi(g) = g / 2 + 4 (g % 2); the second is pi(g) + 8.
Value tensorCoreRow(Emitter &e, Value lane) {
  Value g = e.div(lane, 4);
  return e.add(e.div(g, 2), e.mul(e.rem(g, 2), 4));
}

/// tma_gemv on CUDA cores: consumer warp w computes rows [w R, (w + 1) R) of
/// the block (R = warp tile N); lane l reads chunk l of each (a quarter of
/// the warp reads one swizzled 128-byte row: no bank conflicts) and folds
/// it with the f32 or f16x2 products. Scales, zero points and (up to two
/// tokens) activations of the next K tile are loaded while the current one
/// is folded.
void consumeOnCudaCores(TmaBlock &t, ChunkFold fold) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const GemvProblem &p = t.p;
  GemvFrame f = t.f;
  // The warp's rows; those past N (zeros from TMA) read the last row's
  // scales and are not stored.
  SmallVector<Value> localRows, outputRows;
  for (int64_t r = 0; r < p.rowsPerWarp; ++r) {
    localRows.push_back(e.add(e.mul(t.warp, p.rowsPerWarp), r));
    outputRows.push_back(e.add(t.row0, localRows.back()));
    f.rows.push_back(arith::MinUIOp::create(b, loc, outputRows.back(), e.idx(p.n - 1)));
  }
  // Chunk `lane` of K tile `tile`, clamped to the row's last chunk.
  auto chunkOf = [&](Value tile) {
    return arith::MinUIOp::create(b, loc, e.add(e.mul(tile, kWarpThreads), t.lane),
                                  e.idx(p.rowChunks() - 1))
        .getResult();
  };
  bool loadActivationsAhead = p.m <= 2;
  // What a K tile's chunk needs besides its words, loaded a tile ahead.
  auto loadOperands = [&](Value tile) {
    Value k0 = e.mul(chunkOf(tile), p.codesPerChunk());
    SmallVector<Value> values;
    for (Value n : f.rows)
      values.push_back(memref::LoadOp::create(b, loc, f.s, scaleIndices(b, loc, p, n, k0)));
    if (f.z)
      for (Value n : f.rows)
        values.push_back(memref::LoadOp::create(b, loc, f.z, scaleIndices(b, loc, p, n, k0)));
    for (int64_t m = 0; loadActivationsAhead && m < p.m; ++m)
      llvm::append_range(values, loadActivations(b, loc, p, f, e.idx(m), k0));
    return values;
  };
  int64_t sums = p.rowsPerWarp * p.m;
  SmallVector<Value> results = t.consumeTiles(
      sums, loadOperands,
      [&](Value tile, Value stage, ValueRange loaded, MutableArrayRef<Value> acc) {
        ChunksInFlight work;
        ChunksInFlight::Chunk &chunk = work.chunks.emplace_back();
        chunk.valid = e.lt(e.add(e.mul(tile, kWarpThreads), t.lane), p.rowChunks());
        chunk.k0 = e.mul(chunkOf(tile), p.codesPerChunk());
        for (Value row : localRows)
          chunk.words.push_back(t.loadChunk(stage, e.div(t.lane, 8), row, e.rem(t.lane, 8)));
        size_t at = 0;
        for (int64_t r = 0; r < p.rowsPerWarp; ++r)
          chunk.scales.push_back(loaded[at++]);
        for (int64_t r = 0; r < p.rowsPerWarp; ++r)
          chunk.zeros.push_back(f.z ? loaded[at++] : Value());
        int64_t vectors = p.codesPerChunk() / p.actLanes();
        for (int64_t m = 0; loadActivationsAhead && m < p.m; ++m, at += vectors)
          chunk.activations.push_back(SmallVector<Value>(loaded.slice(at, vectors)));
        fold(b, loc, p, f, work, acc);
      });
  storeRowSums(b, loc, p, t.y, t.lane, outputRows, results, /*firstRowInside=*/false);
}

/// Stores a tensor-core tma_gemv's sums of row group `rowGroup`: lane 4g + t
/// holds, per row tile i and token tile j, rows 16 i + pi(g) and 16 i +
/// pi(g) + 8 of tokens 8 j + 2 t and the next, as sums[4 (i J + j) + 2 r +
/// h] (J token tiles). Quantized activations' sums take the token's scale.
void storeRowGroupSums(TmaBlock &t, Value rowGroup, ArrayRef<Value> sums) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  const GemvProblem &p = t.p;
  Value quadLane = e.rem(t.lane, 4);
  Value firstRow = e.add(e.add(t.row0, e.mul(rowGroup, p.rowsPerWarp)), tensorCoreRow(e, t.lane));
  auto tokenOf = [&](int64_t j, int64_t h) {
    return e.add(e.mul(quadLane, 2), kTensorCoreTokens * j + h);
  };
  // Quantized activations: the scales of the lane's tokens (two per token
  // tile; tokens past M read the last one's, and are not stored), times
  // 512 on sign_magnitude weights (decoded to code / 512; exact).
  SmallVector<Value> tokenScales;
  for (int64_t j = 0; t.f.xs && j < p.tokenTiles(); ++j)
    for (int64_t h = 0; h < 2; ++h) {
      Value row = p.inputScaleRows == 1
                      ? e.idx(0)
                      : arith::MinUIOp::create(b, e.loc, tokenOf(j, h), e.idx(p.m - 1));
      Value scale =
          toF32(b, e.loc, memref::LoadOp::create(b, e.loc, t.f.xs, ValueRange{row, e.idx(0)}));
      if (p.signMagnitudeCodes())
        scale = arith::MulFOp::create(b, e.loc, scale, e.f32(quant::kSignMagnitudeScale));
      tokenScales.push_back(scale);
    }
  for (int64_t i = 0; i < p.rowTiles(); ++i)
    for (int64_t j = 0; j < p.tokenTiles(); ++j)
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t h = 0; h < 2; ++h) {
          Value row = e.add(firstRow, kTensorCoreRows * i + 8 * r);
          Value token = tokenOf(j, h);
          Value inside = arith::AndIOp::create(b, e.loc, e.lt(row, p.n), e.lt(token, p.m));
          Value sum = sums[4 * (i * p.tokenTiles() + j) + 2 * r + h];
          if (t.f.xs)
            sum = arith::MulFOp::create(b, e.loc, sum, tokenScales[2 * j + h]);
          ifThen(e, inside, [&] { storeResult(b, e.loc, p, t.y, sum, {token, row}); });
        }
}

/// Products on s8 tensor cores (`s8TensorCores`, mma.sync m16n8k32) for
/// consumeOnTensorCores: lane t's word j of a row is A's registers of mma
/// step j, its even nibbles as bytes of 16 x code (exactly: `(w << 4) &
/// 0xF0F0F0F0`) K 4t .. 4t + 3 and its odd ones (`w & 0xF0F0F0F0`) K 16 + 4t
/// .. 16 + 4t + 3; the activations of those codes, gathered with one prmt
/// each, are B's. A quad's s32 sums (at most 2^21) convert to f32 exactly;
/// 1/16 undoes the shift.
struct S8Products {
  Emitter &e;
  const GemvProblem &p;
  Value zero, sixteenth; // s32 and f32 vector<2x2> constants
  int64_t chains;        // accumulator chains per token tile

  S8Products(Emitter &e, const GemvProblem &p)
      : e(e), p(p),
        zero(arith::ConstantOp::create(
            e.b, e.loc,
            DenseElementsAttr::get(VectorType::get({2, 2}, e.b.getI32Type()), int32_t(0)))),
        sixteenth(arith::ConstantOp::create(
            e.b, e.loc,
            DenseElementsAttr::get(VectorType::get({2, 2}, e.b.getF32Type()), 0.0625f))),
        chains(std::max<int64_t>(1, 2 / (p.rowTiles() * p.tokenTiles()))) {}

  /// B's registers of a token's chunk (its two 16-byte vectors of int8
  /// activations): for each word j, the bytes of its even and of its odd
  /// nibbles' codes, gathered by one prmt from two of the chunk's eight
  /// words. Packed, those are codes 8j + 0, 2, 4, 6 and 8j + 1, 3, 5, 7
  /// (words 2j and 2j + 1); AWQ's order puts codes 8j + 0, 4, 1, 5 and 8j +
  /// 2, 6, 3, 7 there; the half-fragment order codes 2j + 0, 16, 1, 17 (words
  /// j / 2 and 4 + j / 2) and 2j + 8, 24, 9, 25 (two words on).
  SmallVector<Value> activations(ArrayRef<Value> vectors) {
    SmallVector<Value> x;
    for (Value v : vectors)
      llvm::append_range(x, vectorWords(e.b, e.loc, v));
    SmallVector<Value> regs;
    for (int64_t j = 0; j < 4; ++j)
      for (bool odd : {false, true}) {
        widening::ByteGather g = widening::nibbleBytes(p.codeOrder, j, odd);
        regs.push_back(e.permute(x[g.lo], x[g.hi], e.i32(g.select)));
      }
    return regs;
  }

  /// The f32 sums (vector<2x2xf32> per token tile, unscaled) of one row
  /// tile's chunks (`words(r)` loads row r's of its two rows) with the
  /// tokens' registers `x`.
  SmallVector<Value> sums(function_ref<Value(int64_t)> words, ArrayRef<SmallVector<Value>> x) {
    OpBuilder &b = e.b;
    int64_t tokenTiles = p.tokenTiles();
    Value chunks[2] = {words(0), words(1)};
    SmallVector<Value> acc(chains * tokenTiles, zero);
    for (int64_t j = 0; j < 4; ++j) {
      SmallVector<Value> even, odd;
      for (Value chunk : chunks) {
        Value word = vector::ExtractOp::create(b, e.loc, chunk, ArrayRef<int64_t>{j});
        even.push_back(e.andi(e.shl(word, 4), 0xF0F0F0F0));
        odd.push_back(e.andi(word, 0xF0F0F0F0));
      }
      Value a = fragment({even[0], even[1], odd[0], odd[1]});
      for (int64_t n = 0; n < tokenTiles; ++n) {
        Value &chain = acc[chains * n + j % chains];
        chain = nvgpu::MmaSyncOp::create(b, e.loc, a, fragment({x[n][2 * j], x[n][2 * j + 1]}),
                                         chain, ArrayRef<int64_t>{16, 8, 32});
      }
    }
    SmallVector<Value> out;
    for (int64_t n = 0; n < tokenTiles; ++n) {
      Value sum = acc[chains * n];
      for (int64_t c = 1; c < chains; ++c)
        sum = arith::AddIOp::create(b, e.loc, sum, acc[chains * n + c]);
      out.push_back(arith::MulFOp::create(
          b, e.loc, arith::SIToFPOp::create(b, e.loc, sixteenth.getType(), sum), sixteenth));
    }
    return out;
  }

private:
  /// An s8 fragment (vector<R x 4 x i8>) of R 32-bit registers.
  Value fragment(ArrayRef<Value> regs) {
    OpBuilder &b = e.b;
    Type i8 = b.getI8Type();
    Value frag = ub::PoisonOp::create(b, e.loc, VectorType::get({int64_t(regs.size()), 4}, i8));
    for (auto [i, reg] : llvm::enumerate(regs))
      frag = vector::InsertOp::create(
          b, e.loc,
          vector::BitCastOp::create(
              b, e.loc, VectorType::get({4}, i8),
              vector::BroadcastOp::create(b, e.loc, VectorType::get({1}, b.getI32Type()), reg)),
          frag, ArrayRef<int64_t>{int64_t(i)});
    return frag;
  }
};

/// tma_gemv on tensor cores (`mma = [16, 8, 16]`, or `[16, 8, 32]` on s8):
/// a warp's rows are mma.sync's M, 16 per row tile, and the tokens its N, 8
/// per token tile. A K tile is 8 quads of 4 chunks (128 codes, one scale
/// group); the warps of a row group (GemvProblem::warpsPerRowGroup) split
/// them, quadsPerWarp each. Lane 4g + t reads chunk 4q + t of rows pi(g) and
/// pi(g) + 8 of each row tile, pi(g) = g / 2 + 4 (g % 2) (the two rows of a
/// quarter-warp then differ in bit 2 of the swizzle: no bank conflicts).
/// m16n8k16: it decodes them to unscaled pairs of the mma type (HalfPairs:
/// f16 or bf16; int8 and e4m3 activations are widened to f16) and gives
/// word j's pairs to two mma steps (halfProductSums). m16n8k32 on s8: word j
/// is one mma step, its even and odd nibbles as bytes (S8Products). The
/// activations of tokens g, g + 8 (clamped to M - 1) follow in the same
/// order as B: read from shared memory once per quad and used by every row
/// tile, so more rows per warp read fewer activation bytes per weight byte
/// (at 16 tokens and one row tile, the activation reads kept shared memory
/// 86% busy on an H200). Each quad's mmas start from zero; with a scale per
/// quad (GemvProblem::quadScales) it multiplies their f32 sums, so the
/// product is exact up to f32 rounding; shorter groups (32 or 64 codes: a
/// lane's chunk has its own scale, but an mma step takes codes of all four
/// chunks) scale the decoded pairs in the mma type instead, as the f16x2
/// path does. A warp with the whole K tile stores its sums; otherwise it
/// leaves them in shared memory for reduceRowGroupSums.
void consumeOnTensorCores(TmaBlock &t) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const GemvProblem &p = t.p;
  const GemvFrame &f = t.f;
  HalfPairs pairs(b, loc, p);
  Type f32 = b.getF32Type(), half = pairs.half;
  auto minIndex = [&](Value v, int64_t bound) {
    return arith::MinUIOp::create(b, loc, v, e.idx(bound)).getResult();
  };
  int64_t quads = p.quadsPerWarp(), rowTiles = p.rowTiles(), tokenTiles = p.tokenTiles();
  Value g = e.div(t.lane, 4), quadLane = e.rem(t.lane, 4);
  // The warp's row group and its place among the group's warps.
  Value rowGroup = e.div(t.warp, p.warpsPerRowGroup());
  Value kWarp = e.rem(t.warp, p.warpsPerRowGroup());
  // The lane's block rows, two per row tile (pi(g) and pi(g) + 8).
  Value firstRow = e.add(e.mul(rowGroup, p.rowsPerWarp), tensorCoreRow(e, t.lane));
  SmallVector<Value> localRows, scaleRows;
  for (int64_t i = 0; i < 2 * rowTiles; ++i) {
    localRows.push_back(e.add(firstRow, 8 * i));
    scaleRows.push_back(minIndex(e.add(t.row0, localRows.back()), p.n - 1));
  }
  SmallVector<Value, 2> tokens;
  for (int64_t j = 0; j < tokenTiles; ++j)
    tokens.push_back(minIndex(e.add(g, kTensorCoreTokens * j), p.m - 1));
  // This lane's chunk of quad u (of the warp's) in a K tile.
  SmallVector<Value> chunks;
  for (int64_t u = 0; u < quads; ++u)
    chunks.push_back(e.add(e.mul(e.add(e.mul(kWarp, quads), u), 4), quadLane));
  auto chunkOf = [&](Value tile, int64_t u) {
    return e.add(e.mul(tile, kWarpThreads), chunks[u]);
  };
  // A K tile's scales and zero points (all quads and rows), loaded a tile
  // ahead; its activations come with its weights into the ring.
  auto loadOperands = [&](Value tile) {
    SmallVector<Value> values;
    for (int64_t u = 0; u < quads; ++u) {
      Value k0 = e.mul(minIndex(chunkOf(tile, u), p.rowChunks() - 1), p.codesPerChunk());
      for (Value n : scaleRows)
        values.push_back(memref::LoadOp::create(b, loc, f.s, scaleIndices(b, loc, p, n, k0)));
      if (f.z)
        for (Value n : scaleRows)
          values.push_back(
              memref::LoadOp::create(b, loc, f.z, scaleIndices(b, loc, p, n, k0)));
    }
    return values;
  };
  auto pairType = VectorType::get({2}, half);
  auto wordPair = [&](Value v, int64_t j) {
    return vector::ShuffleOp::create(b, loc, pairType, v, v, ArrayRef<int64_t>{2 * j, 2 * j + 1})
        .getResult();
  };
  auto fragment = [&](ArrayRef<Value> parts) {
    Value frag = ub::PoisonOp::create(b, loc, VectorType::get({int64_t(parts.size()), 2}, half));
    for (auto [i, part] : llvm::enumerate(parts))
      frag = vector::InsertOp::create(b, loc, part, frag, ArrayRef<int64_t>{int64_t(i)});
    return frag;
  };
  auto accType = VectorType::get({2, 2}, f32);
  Value zeroAcc = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, 0.0f));
  // Independent accumulator chains per (row tile, token tile) within a
  // quad, so that consecutive mmas do not wait on one another: four for a
  // single tile pair, fewer with more pairs (the token tiles of a row tile
  // interleave; row tiles follow one another, each over its own decoded
  // weights).
  int64_t chainsPerTile = std::max<int64_t>(1, 4 / (rowTiles * tokenTiles));
  // A K tile whose last chunks are past the row: those multiply zeros.
  bool tail = p.rowChunks() % kWarpThreads != 0;
  bool quadScales = p.quadScales();
  // A scale in the decoded pairs' type (scales shorter than a quad).
  auto asHalf = [&](Value scale) {
    if (scale.getType() == half)
      return scale;
    return arith::TruncFOp::create(b, loc, half, toF32(b, loc, scale)).getResult();
  };

  // f16/bf16 products: the unscaled f32 sums (per token tile) of one row
  // tile's chunks (`words(r)` loads row r's of the two) decoded to pairs
  // (HalfPairs) with the activation pairs `x`. Word j's pairs 2s and 2s + 1
  // are K 2t, 2t + 1 and 2t + 8, 2t + 9 of mma step (j, s).
  auto halfProductSums = [&](function_ref<Value(int64_t)> words, ArrayRef<Value> zeros,
                             ValueRange scales, ArrayRef<SmallVector<Value>> x) {
    SmallVector<SmallVector<Value>> w;
    for (int64_t r = 0; r < 2; ++r)
      w.push_back(pairs.weights(words(r), pairs.offset(zeros[r]),
                                quadScales ? Value() : asHalf(scales[r])));
    SmallVector<Value> chains(chainsPerTile * tokenTiles, zeroAcc);
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t s = 0; s < 2; ++s) {
        Value a = fragment({wordPair(w[0][2 * s], j), wordPair(w[1][2 * s], j),
                            wordPair(w[0][2 * s + 1], j), wordPair(w[1][2 * s + 1], j)});
        for (int64_t n = 0; n < tokenTiles; ++n) {
          Value bFrag = fragment({wordPair(x[n][2 * s], j), wordPair(x[n][2 * s + 1], j)});
          Value &chain = chains[chainsPerTile * n + (2 * s + j % 2) % chainsPerTile];
          chain = tiled::mmaM16N8K16(e, a, bFrag, chain);
        }
      }
    SmallVector<Value> sums;
    for (int64_t n = 0; n < tokenTiles; ++n) {
      Value sum = chains[chainsPerTile * n];
      for (int64_t c = 1; c < chainsPerTile; ++c)
        sum = arith::AddFOp::create(b, loc, sum, chains[chainsPerTile * n + c]);
      sums.push_back(sum);
    }
    return sums;
  };

  std::optional<S8Products> s8;
  if (p.s8TensorCores)
    s8.emplace(e, p);

  SmallVector<Value> results = t.consumeTiles(
      4 * rowTiles * tokenTiles, loadOperands,
      [&](Value tile, Value stage, ValueRange loaded, MutableArrayRef<Value> acc) {
    size_t at = 0;
    for (int64_t u = 0; u < quads; ++u) {
      ValueRange scales = loaded.slice(at, 2 * rowTiles);
      at += 2 * rowTiles;
      SmallVector<Value> zeros(2 * rowTiles);
      if (f.z) {
        llvm::copy(loaded.slice(at, 2 * rowTiles), zeros.begin());
        at += 2 * rowTiles;
      }
      Value code = e.mul(chunks[u], p.codesPerChunk());
      // Past K the slot holds stale bytes (the weights there are TMA's
      // zeros, which decode to -bias - zero point): the activations there
      // become zeros. 8-bit ones before they are widened (two vectors
      // rather than four pairs), 16-bit ones after their permutation (with
      // the selects before it, ptxas spilled a bf16 case).
      Value valid = tail ? e.lt(chunkOf(tile, u), p.rowChunks()) : Value();
      auto zeroPastK = [&](MutableArrayRef<Value> values) {
        for (Value &v : values)
          if (valid)
            v = arith::SelectOp::create(
                b, loc, valid, v,
                arith::ConstantOp::create(b, loc, b.getZeroAttr(v.getType())));
      };
      SmallVector<SmallVector<Value>> x;
      for (Value token : tokens) {
        SmallVector<Value> vectors =
            t.loadActivations(stage, token, code, p.codesPerChunk() / p.actLanes());
        if (p.quantizedInput)
          zeroPastK(vectors);
        x.push_back(s8 ? s8->activations(vectors) : pairs.activations(vectors));
        if (!p.quantizedInput)
          zeroPastK(x.back());
      }
      Value box = e.div(chunks[u], 8), position = e.rem(chunks[u], 8);
      for (int64_t i = 0; i < rowTiles; ++i) {
        auto words = [&](int64_t r) {
          return t.loadChunk(stage, box, localRows[2 * i + r], position);
        };
        SmallVector<Value> sums =
            s8 ? s8->sums(words, x)
               : halfProductSums(words, ArrayRef(zeros).slice(2 * i, 2),
                                 scales.slice(2 * i, 2), x);
        for (int64_t n = 0; n < tokenTiles; ++n)
          for (int64_t r = 0; r < 2; ++r)
            for (int64_t h = 0; h < 2; ++h) {
              Value part = vector::ExtractOp::create(b, loc, sums[n], ArrayRef<int64_t>{r, h});
              Value &total = acc[4 * (i * tokenTiles + n) + 2 * r + h];
              total = quadScales
                          ? fma(b, loc, part, toF32(b, loc, scales[2 * i + r]), total)
                          : arith::AddFOp::create(b, loc, total, part).getResult();
            }
      }
    }
  });

  if (p.warpsPerRowGroup() == 1) {
    storeRowGroupSums(t, rowGroup, results);
    return;
  }
  // The row group's warps' sums meet in shared memory (reduceRowGroupSums).
  for (int64_t v = 0; v < rowTiles * tokenTiles; ++v) {
    Value mine = ub::PoisonOp::create(b, loc, VectorType::get({4}, f32));
    for (int64_t c = 0; c < 4; ++c)
      mine = vector::InsertOp::create(b, loc, results[4 * v + c], mine, ArrayRef<int64_t>{c});
    LLVM::StoreOp::create(b, loc, mine, t.partialSums(t.warp, v), /*alignment=*/16);
  }
}

/// After a block barrier: warp w < rowGroups of a tensor-core tma_gemv whose
/// warps split K tiles adds the sums of row group w's warps and stores
/// them. A barrier of the consumer warps only (a named barrier of 128
/// threads) is not enough: the producer warp's threads that have exited may
/// count towards it.
void reduceRowGroupSums(TmaBlock &t) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const GemvProblem &p = t.p;
  ifThen(e, e.lt(t.warp, p.rowGroups()), [&] {
    auto sumsType = VectorType::get({4}, b.getF32Type());
    SmallVector<Value> sums;
    for (int64_t v = 0; v < p.rowTiles() * p.tokenTiles(); ++v) {
      Value total;
      for (int64_t w = 0; w < p.warpsPerRowGroup(); ++w) {
        Value part = LLVM::LoadOp::create(
            b, loc, sumsType, t.partialSums(e.add(e.mul(t.warp, p.warpsPerRowGroup()), w), v), 16);
        total = total ? arith::AddFOp::create(b, loc, total, part).getResult() : part;
      }
      for (int64_t c = 0; c < 4; ++c)
        sums.push_back(vector::ExtractOp::create(b, loc, total, ArrayRef<int64_t>{c}));
    }
    storeRowGroupSums(t, t.warp, sums);
  });
}

} // namespace

/// The tma_gemv kernel (sm_90): four consumer warps and one producer warp.
/// The block's rows are copied 512 bytes of K at a time (four
/// [rows, 128-byte] TMA boxes, 128-byte swizzle) into a ring of `stages`
/// slots: bytes in flight no longer sit in registers, so a few warps per SM
/// keep enough of them to stream at the memory's rate. Thread 0 loads the
/// weights of all slots but the last before the grid wait, the producer warp's lane 0
/// their activations after it and everything else. Each
/// slot has a `full` mbarrier (the slot's expected bytes) and an
/// `empty` one (every consumer thread arrives once it has read the slot);
/// waits use the parity of the slot's round. The consumers compute on CUDA
/// cores or tensor cores.
::mlir::gpu::GPUFuncOp mlir::lowbit::gemv::buildTmaKernel(OpBuilder &b, Location loc,
                                                          StringRef name, const GemvProblem &p,
                                                          ChunkFold fold) {
  Emitter e{b, loc};
  auto [xType, wType] = streamingOperandTypes(b, p);
  SmallVector<Type> params = gemvParams(b, p, xType, wType);
  params.push_back(LLVM::LLVMPointerType::get(b.getContext())); // the weights' tensor map
  int64_t threads = kWarpThreads * (kWarpsPerBlock + 1);
  ::mlir::gpu::GPUFuncOp func = beginKernel(b, loc, name, params, threads);
  func->setAttr(kTensorMapArgsAttrName, b.getDenseI32ArrayAttr({int32_t(params.size() - 1)}));
  Block &body = func.getBody().front();
  TmaBlock t{e, p};
  t.f.x = body.getArgument(0);
  t.f.w = body.getArgument(1);
  t.f.s = body.getArgument(2);
  t.f.z = p.hasZeroPoints ? body.getArgument(3) : Value();
  // ..., [input scales], result, tensor map (gemvParams).
  t.y = body.getArgument(params.size() - 2);
  t.f.xs = p.quantizedInput ? body.getArgument(params.size() - 3) : Value();
  Value tensorMap = body.getArguments().back();

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value shared = dynamicSharedBytes(b, loc);
  if (!p.table.empty())
    t.f.table = stageCodeTable(b, loc, func, p.table, tid, threads, shared, 0);
  if (!p.scaleTable.empty())
    t.f.scaleTable = stageCodeTable(b, loc, func, p.scaleTable, tid, threads, shared,
                                    int64_t(p.table.size()) * 4, "scale_values");
  Value start = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, shared);
  t.ring = arith::AndIOp::create(b, loc, e.add(start, p.tableBytes() + 1023), e.idx(~1023));
  t.warp = e.div(tid, kWarpThreads);
  t.lane = e.rem(tid, kWarpThreads);
  Value bidX = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value bidY = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::y);
  t.row0 = e.mul(bidX, p.rowsPerBlock);
  // The block's K tiles (K splits on grid.y; a last split can be empty).
  int64_t perSplit = llvm::divideCeil(p.kTiles(), p.splitK);
  t.first = e.mul(bidY, perSplit);
  t.end = arith::MinUIOp::create(b, loc, e.add(t.first, perSplit), e.idx(p.kTiles()));
  t.count = arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, t.end, t.first),
                                  t.first);

  ifThen(e, e.eq(tid, 0), [&] {
    for (int64_t st = 0; st < p.ringSlots; ++st) {
      NVVM::MBarrierInitOp::create(b, loc, t.full(e.idx(st)), e.i32(1), Value());
      NVVM::MBarrierInitOp::create(b, loc, t.empty(e.idx(st)),
                                   e.i32(kWarpsPerBlock * kWarpThreads), Value());
    }
    NVVM::FenceMbarrierInitOp::create(b, loc);
  });
  ::mlir::gpu::BarrierOp::create(b, loc);
  // Slot `i`'s activations (on tensor cores each token's of the tile, one
  // bulk copy each, up to K) and weights; the slot's `full` barrier expects
  // the bytes of both from the thread that loads its weights.
  Value xAddress = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, t.f.x);
  auto tokenBytes = [&](Value tile) -> Value {
    if (!p.tensorCores)
      return e.idx(0);
    Value rest = arith::SubIOp::create(b, loc, e.idx(p.k), e.mul(tile, p.tileCodes()));
    return e.mul(arith::MinUIOp::create(b, loc, e.idx(p.tileCodes()), rest), p.actBytes());
  };
  auto loadActivations = [&](Value i) {
    Value tile = e.add(t.first, i), bytes = tokenBytes(tile);
    Value stage = e.rem(i, p.ringSlots);
    for (int64_t m = 0; p.tensorCores && m < p.m; ++m) {
      Value source =
          e.add(xAddress, e.mul(e.add(e.mul(tile, p.tileCodes()), m * p.k), p.actBytes()));
      NVVM::CpAsyncBulkGlobalToSharedClusterOp::create(
          b, loc,
          clusterPointer(
              e, e.add(e.add(t.slot(stage), p.weightBytes()), m * p.tileCodes() * p.actBytes())),
          LLVM::AddrSpaceCastOp::create(
              b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1),
              LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                       e.toI64(source))),
          t.full(stage), e.toI32(bytes), Value(), Value());
    }
  };
  auto loadWeights = [&](Value i) {
    Value tile = e.add(t.first, i);
    Value stage = e.rem(i, p.ringSlots), full = t.full(stage);
    NVVM::MBarrierArriveExpectTxOp::create(
        b, loc, Type(), full, e.toI32(e.add(e.mul(tokenBytes(tile), p.m), p.weightBytes())),
        NVVM::MemScopeKind::CTA, false, Value());
    Value kByte = e.mul(tile, kTmaSlotRowBytes);
    for (int64_t box = 0; box < kTmaSlotRowBytes / kTmaBoxBytes; ++box)
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, clusterPointer(e, e.add(t.slot(stage), box * p.rowsPerBlock * kTmaBoxBytes)),
          tensorMap, ValueRange{e.toI32(e.add(kByte, box * kTmaBoxBytes)), e.toI32(t.row0)},
          full, ValueRange{}, Value(), Value(), NVVM::TMALoadMode::TILE, false,
          NVVM::CTAGroupKindAttr(), Value());
  };
  auto forSlots = [&](Value from, Value to, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, from, to, e.idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  };
  // Launched behind another kernel (programmatic dependent launch), the
  // block loads the weights of its first ring slots while that kernel
  // finishes: weights must not be written by the kernel just before (the
  // manifest's dependent_launch contract), unlike the activations, which
  // only its completion makes valid. (An L2 prefetch of them instead cost
  // plain launches 2-7% on the H100.) The ring is empty: no slot to wait
  // for. The activations' copies, after the wait, may land before thread
  // 0's arrival: the barrier's byte count may go below zero while an
  // arrival is pending, and the phase completes only after both.
  // All slots but the last: the producer loads the rest from the last slot
  // on (weights and activations together) right after the wait. Against
  // filling every slot here, on the H100: 1.00-1.09x as fast in
  // programmatic chains (one token on 8192 x 8192 14.2 -> 13.8 us, 16 tokens
  // 19.4 -> 18.7), 0.99x on the several-wave 28672 x 8192, and 0.99-1.07x in
  // single calls (bench/results/2026-12-06-h100-prewait-slots.md).
  Value ahead = arith::MinUIOp::create(b, loc, t.count, e.idx(p.ringSlots - 1));
  ifThen(e, e.eq(tid, 0), [&] { forSlots(e.idx(0), ahead, loadWeights); });
  // The next kernel may launch once every block is past the wait.
  awaitPreviousGrid(e);

  auto roles = scf::IfOp::create(b, loc, e.eq(t.warp, kWarpsPerBlock), /*withElse=*/true);
  b.setInsertionPointToStart(&roles.getThenRegion().front());
  ifThen(e, e.eq(t.lane, 0), [&] {
    if (p.tensorCores)
      forSlots(e.idx(0), ahead, loadActivations);
    forSlots(ahead, t.count, [&](Value i) {
      Value stage = e.rem(i, p.ringSlots), round = e.div(i, p.ringSlots);
      // The slot's previous round has been read (round 0 waits on the
      // phase before the first, which counts as complete).
      waitParity(e, t.empty(stage), arith::XOrIOp::create(b, loc, e.rem(round, 2), e.idx(1)));
      loadWeights(i);
      loadActivations(i);
    });
  });

  b.setInsertionPointToStart(&roles.getElseRegion().front());
  if (p.tensorCores)
    consumeOnTensorCores(t);
  else
    consumeOnCudaCores(t, fold);
  b.setInsertionPointAfter(roles);
  if (p.tensorCoreSumBytes()) {
    ::mlir::gpu::BarrierOp::create(b, loc);
    reduceRowGroupSums(t);
  }
  b.setInsertionPointToEnd(&body);
  ::mlir::gpu::ReturnOp::create(b, loc);
  return func;
}

