//===- TiledGemm.h - pieces shared by the cp.async + ldmatrix GEMMs -------===//
//
// The `mma_sync` and `bitplane` strategies stage K tiles of 64-byte rows in a
// shared-memory ring filled by 16-byte `cp.async` copies and read them with
// `ldmatrix`; both walk their block tiles in the same grouped order. These
// are the parts they share, with the `mma.sync` helpers `tma_gemv`'s tensor
// cores use too. Included by the generators only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H

#include "Emitter.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <utility>

namespace mlir::lowbit::tiled {

constexpr int64_t kThreadsPerWarp = 32;
/// Bytes of one row of a staged K tile: four 16-byte chunks.
constexpr int64_t kTileRowBytes = 64;
/// Row tiles per group of the grouped block order.
constexpr int64_t kGroupM = 8;

/// Physical 16-byte chunk of logical chunk `chunk` in row `row` of a
/// 64-byte-row tile: XOR-swizzled by (row / 2) % 4, so that the eight rows
/// of one `ldmatrix` matrix hit 32 distinct banks.
inline Value swizzle(Emitter &e, Value row, Value chunk) {
  return arith::XOrIOp::create(e.b, e.loc, chunk, e.rem(e.div(row, 2), 4));
}

/// ldmatrix.x4 of 16 rows starting at `row0` of a 64-byte-row tile, K chunk
/// pair `kstep`: the A fragment of one m16 tile, or the B fragments of two
/// n8 tiles (matrices ordered rows 0-7 / 8-15 x chunk 0 / 1 as each needs).
inline Value ldmatrixX4(Emitter &e, Value tiles, Value stage, Value row, Value chunk,
                        int64_t elementsPerChunk, Type resultType) {
  Value col = e.mul(swizzle(e, row, chunk), elementsPerChunk);
  return nvgpu::LdMatrixOp::create(e.b, e.loc, resultType, tiles,
                                   ValueRange{stage, row, col}, false, 4);
}

/// The 32-bit registers of an MMA fragment held as vector<R x W x iN> (an
/// ldmatrix result: R registers of W elements), in order.
inline SmallVector<Value> fragmentWords(Emitter &e, Value frag) {
  OpBuilder &b = e.b;
  auto type = cast<VectorType>(frag.getType());
  SmallVector<Value> out;
  for (int64_t r = 0; r < type.getDimSize(0); ++r) {
    Value row = vector::ExtractOp::create(b, e.loc, frag, ArrayRef<int64_t>{r});
    Value word = vector::BitCastOp::create(b, e.loc, VectorType::get({1}, b.getI32Type()), row);
    out.push_back(vector::ExtractOp::create(b, e.loc, word, ArrayRef<int64_t>{0}));
  }
  return out;
}

/// The four f32 accumulators of an m16n8 mma held as vector<2x2xf32>, in
/// register order, and the struct of four f32 that the NVVM op and inline
/// PTX return them in, back as that vector.
inline SmallVector<Value> accumulatorRegisters(Emitter &e, Value c) {
  SmallVector<Value> accs;
  for (int64_t i = 0; i < 4; ++i)
    accs.push_back(vector::ExtractOp::create(e.b, e.loc, c, ArrayRef<int64_t>{i / 2, i % 2}));
  return accs;
}
inline Type accumulatorStruct(Emitter &e) {
  Type f32 = e.b.getF32Type();
  return LLVM::LLVMStructType::getLiteral(e.b.getContext(), {f32, f32, f32, f32});
}
inline Value accumulatorVector(Emitter &e, Value d, Type vectorType) {
  Value out = ub::PoisonOp::create(e.b, e.loc, vectorType);
  for (int64_t i = 0; i < 4; ++i)
    out = vector::InsertOp::create(
        e.b, e.loc, LLVM::ExtractValueOp::create(e.b, e.loc, d, ArrayRef<int64_t>{i}), out,
        ArrayRef<int64_t>{i / 2, i % 2});
  return out;
}

/// mma.sync m16n8k16 with f32 accumulators (`c` and the result
/// vector<2x2xf32>) on f16 or bf16 fragments (A vector<4x2xT>, B
/// vector<2x2xT>): nvgpu.mma.sync takes f16; bf16 goes to nvvm.mma.sync,
/// whose operands are 32-bit words.
inline Value mmaM16N8K16(Emitter &e, Value a, Value bFrag, Value c) {
  OpBuilder &b = e.b;
  if (cast<VectorType>(a.getType()).getElementType().isF16())
    return nvgpu::MmaSyncOp::create(b, e.loc, a, bFrag, c, ArrayRef<int64_t>{16, 8, 16});
  Value d = NVVM::MmaOp::create(
      b, e.loc, accumulatorStruct(e), fragmentWords(e, a), fragmentWords(e, bFrag),
      accumulatorRegisters(e, c), ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  return accumulatorVector(e, d, c.getType());
}

/// Calls `body` with each of `count` indices this thread handles: tid,
/// tid + threads, ...; the last round is guarded when it is partial.
inline void forEachIndex(Emitter &e, Value tid, int64_t threads, int64_t count,
                         function_ref<void(Value)> body) {
  for (int64_t first = 0; first < count; first += threads) {
    Value index = e.add(tid, first);
    if (first + threads <= count) {
      body(index);
      continue;
    }
    auto guard = scf::IfOp::create(e.b, e.loc, e.lt(index, count), false);
    OpBuilder::InsertionGuard insertion(e.b);
    e.b.setInsertionPointToStart(&guard.getThenRegion().front());
    body(index);
  }
}

/// The first row and column of the block tile that linear block id `pid`
/// computes in a grid of gridM x gridN tiles of [bm, bn]. The ids walk N
/// within groups of kGroupM row tiles, so that the blocks in flight share
/// both operands' tiles in L2 instead of streaming all of the weights per
/// row tile.
inline std::pair<Value, Value> groupedTileOrigin(Emitter &e, Value pid, int64_t gridM,
                                                 int64_t gridN, int64_t bm, int64_t bn) {
  OpBuilder &b = e.b;
  Value group = e.div(pid, kGroupM * gridN);
  Value firstM = e.mul(group, kGroupM);
  Value groupRows = arith::MinUIOp::create(
      b, e.loc, e.idx(kGroupM), arith::SubIOp::create(b, e.loc, e.idx(gridM), firstM));
  Value inGroup = e.rem(pid, kGroupM * gridN);
  Value m0 = e.mul(e.add(firstM, arith::RemUIOp::create(b, e.loc, inGroup, groupRows)), bm);
  Value n0 = e.mul(arith::DivUIOp::create(b, e.loc, inGroup, groupRows), bn);
  return {m0, n0};
}

/// A ring of `stages` slots of [rows, rowElements] `element`s at
/// `byteOffset` of the dynamic shared memory `shared`.
inline Value ringView(Emitter &e, Value shared, int64_t byteOffset, int64_t stages,
                      int64_t rows, int64_t rowElements, Type element) {
  auto workgroup = cast<MemRefType>(shared.getType()).getMemorySpace();
  return memref::ViewOp::create(
      e.b, e.loc,
      MemRefType::get({stages, rows, rowElements}, element, MemRefLayoutAttrInterface{},
                      workgroup),
      shared, e.idx(byteOffset), ValueRange{});
}

/// The K loop of a `stages`-slot cp.async ring over `kTiles` tiles:
/// `load(kt, slot)` queues the copies of tile kt, tiles 0 .. stages - 2
/// before the loop (one commit group each; empty groups past the end keep
/// the wait count uniform). Iteration kt waits for its tile, then a barrier
/// makes it visible to all and frees the slot computed on in the previous
/// iteration, tile kt + stages - 1 is queued, and `compute(kt, slot,
/// values)` updates the loop-carried `values` (first `init`). Returns their
/// final values once every copy has landed.
inline SmallVector<Value>
pipelinedKLoop(Emitter &e, int64_t stages, int64_t kTiles, ValueRange init,
               function_ref<void(Value kt, Value slot)> load,
               function_ref<void(Value kt, Value slot, SmallVector<Value> &values)> compute) {
  OpBuilder &b = e.b;
  for (int64_t s = 0; s + 1 < stages; ++s) {
    if (s < kTiles)
      load(e.idx(s), e.idx(s));
    NVVM::CpAsyncCommitGroupOp::create(b, e.loc);
  }
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), e.idx(kTiles), e.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    NVVM::CpAsyncWaitGroupOp::create(b, e.loc, stages - 2);
    ::mlir::gpu::BarrierOp::create(b, e.loc);
    Value next = e.add(kt, stages - 1);
    auto ifNext = scf::IfOp::create(b, e.loc, e.lt(next, kTiles), /*withElse=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&ifNext.getThenRegion().front());
      load(next, e.rem(next, stages));
    }
    NVVM::CpAsyncCommitGroupOp::create(b, e.loc);
    SmallVector<Value> values(loop.getRegionIterArgs());
    compute(kt, e.rem(kt, stages), values);
    scf::YieldOp::create(b, e.loc, values);
  }
  NVVM::CpAsyncWaitGroupOp::create(b, e.loc, 0);
  return SmallVector<Value>(loop.getResults());
}

} // namespace mlir::lowbit::tiled

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H
