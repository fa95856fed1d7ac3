//===- TiledGemm.h - pieces shared by the cp.async + ldmatrix GEMMs -------===//
//
// The `mma_sync` and `bitplane` strategies stage K tiles of 64-byte rows in a
// shared-memory ring filled by 16-byte `cp.async` copies and read them with
// `ldmatrix`; both walk their block tiles in the same grouped order. These
// are the parts they share. Included by the generators only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H

#include "Emitter.h"

#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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

} // namespace mlir::lowbit::tiled

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_TILEDGEMM_H
