//===- WgmmaKernel.cpp - the wgmma strategy (sm_90a) ----------------------===//
//
// A warp-specialized Hopper GEMM, y[M, N] = x[M, K] * w[N, K]^T, for 8-bit
// operands that the tensor cores take as they are (int8 x int8, e4m3 x e4m3):
//
// - A block of 1 + BM/64 warpgroups computes a [BM, BN] tile. Warpgroup 0 is
//   the producer: it gives registers back (`setmaxnreg.dec`) and one of its
//   threads streams K tiles of 128 bytes per row with TMA
//   (`cp.async.bulk.tensor`) into a ring of `stages` shared-memory slots.
//   The other warpgroups are consumers (`setmaxnreg.inc`), each owning 64
//   rows of the tile.
// - Each slot has two mbarriers: `full`, armed by the producer with the
//   slot's byte count (`mbarrier.arrive.expect_tx`) and completed by the
//   copies; `empty`, on which every consumer warp arrives once its
//   `wgmma`s have read the slot. Waits use the phase parity of the slot's
//   round, so the ring needs no other synchronisation.
// - TMA writes each 128-byte row with the 128-byte swizzle, the layout
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
//   the elements inside [M, N].
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {

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
/// Row tiles per group of the block order (as in the mma_sync strategy).
constexpr int64_t kGroupM = 8;
/// Registers per thread that the producer keeps and the consumers take.
constexpr int64_t kProducerRegisters = 40;
constexpr int64_t kConsumerRegisters = 232;

enum class WgmmaKind { Int8, Fp8 };

struct WgmmaProblem {
  int64_t m, n, k;
  int64_t bm, bn, stages;
  bool persistent;
  WgmmaKind kind;
  Type scaleType, inputScaleType, resultType;
  int64_t scaleRows, inputScaleRows;

  int64_t consumers() const { return bm / kWarpgroupRows; }
  int64_t threads() const { return (1 + consumers()) * kWarpgroupThreads; }
  int64_t kTiles() const { return llvm::divideCeil(k, kRowBytes); }
  int64_t aTileBytes() const { return bm * kRowBytes; }
  int64_t bTileBytes() const { return bn * kRowBytes; }
  int64_t stageBytes() const { return aTileBytes() + bTileBytes(); }
  /// Offset of the mbarriers: `full` for each slot, then `empty`.
  int64_t barrierOffset() const { return stages * stageBytes(); }
  /// Dynamic shared memory, with room to align the start to the swizzle.
  int64_t sharedBytes() const {
    return barrierOffset() + 2 * stages * 8 + kSwizzleAtomBytes;
  }
  int64_t gridM() const { return llvm::divideCeil(m, bm); }
  int64_t gridN() const { return llvm::divideCeil(n, bn); }
  int64_t tiles() const { return gridM() * gridN(); }
  /// Accumulator registers per thread: m64nBN over 128 threads.
  int64_t accRegisters() const { return bn / 2; }
};

FailureOr<WgmmaProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError()
           << "the wgmma strategy does not support " << what
           << " yet (supported: int8 x int8 and e4m3 x e4m3 with per-token "
              "or per-tensor activation scales and per-channel or "
              "per-tensor weight scales)";
  };
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  if (!input.hasStaticShape())
    return unsupported("a dynamic M");
  WgmmaProblem p;
  p.m = input.getDimSize(0);
  p.n = weight.getDimSize(0);
  p.k = weight.getDimSize(1);
  ArrayRef<int64_t> block = config.getBlock();
  p.bm = block[0];
  p.bn = block[1];
  p.stages = config.getStages();
  p.persistent = config.getPersistent();
  p.resultType = op.getResult().getType().getElementType();

  QuantSchemeAttr inScheme = op.getInputSchemeAttr();
  QuantSchemeAttr scheme = op.getWeightScheme();
  if (!inScheme)
    return unsupported(Twine(typeString(input.getElementType())) + " activations");
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  if (layout && layout.getKind() != LayoutKind::Packed)
    return unsupported("weight layouts other than row-major bytes or packed");
  Type inCode = inScheme.getStorage(), code = scheme.getStorage();
  bool signedInt8 = inCode.isInteger(8) && code.isInteger(8) &&
                    inScheme.getSignedness() == Signedness::Signed &&
                    scheme.getSignedness() == Signedness::Signed;
  if (signedInt8)
    p.kind = WgmmaKind::Int8;
  else if (isa<Float8E4M3FNType>(inCode) && isa<Float8E4M3FNType>(code))
    p.kind = WgmmaKind::Fp8;
  else
    return unsupported("activations of " + Twine(typeString(inCode)) +
                       " with weights of " + typeString(code));
  if (inScheme.hasZeroPoints() || scheme.hasZeroPoints() ||
      !isPerTokenOrTensor(inScheme) || !isPerTokenOrTensor(scheme) ||
      inScheme.getOuterScaleType() || scheme.getOuterScaleType() ||
      scheme.getCodebook())
    return unsupported("zero points, group or two-level scales, or codebooks");
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  auto inScales = cast<RankedTensorType>(op.getInputScales().getType());
  p.scaleType = scales.getElementType();
  p.scaleRows = scales.getDimSize(0);
  p.inputScaleType = inScales.getElementType();
  p.inputScaleRows = inScales.getDimSize(0);
  for (Type t : {p.scaleType, p.inputScaleType, p.resultType})
    if (!isa<Float16Type, BFloat16Type, Float32Type>(t))
      return unsupported("scales or results of type " + Twine(typeString(t)));

  // The config must describe a kernel this generator builds.
  ArrayRef<int64_t> warp = config.getWarp(), mma = config.getMma();
  if (block[2] != kRowBytes)
    return op.emitOpError() << "wgmma block tile K must be " << kRowBytes
                            << " (one 128-byte swizzled row), not " << block[2];
  if (p.bm != 64 && p.bm != 128)
    return op.emitOpError() << "wgmma block tile M must be 64 or 128 (one or "
                               "two consumer warpgroups), not "
                            << p.bm;
  int64_t maxN = p.kind == WgmmaKind::Fp8 ? 192 : 256;
  // FP8 holds two accumulators (the tile's and the f32 sum): 2 x 96
  // registers per thread at N = 192 is what fits beside the addressing.
  if (p.bn % 64 || p.bn > maxN)
    return op.emitOpError() << "wgmma block tile N must be a multiple of 64 up "
                               "to "
                            << maxN << " for this product, not " << p.bn;
  if (warp[0] != kWarpgroupRows || warp[1] != p.bn || mma[1] != p.bn ||
      mma[2] != kStepBytes)
    return op.emitOpError() << "wgmma warp tile must be [64, " << p.bn
                            << "] and mma [64, " << p.bn << ", 32]";
  if (p.stages < 2)
    return op.emitOpError() << "wgmma needs at least 2 pipeline stages";
  if (p.k % 16)
    return op.emitOpError() << "K = " << p.k
                            << " bytes per row is not a multiple of 16, which "
                               "TMA needs of a row stride";
  if (config.getSplitK() != 1 || !config.getCluster().empty())
    return unsupported("split_k or thread-block clusters");
  return p;
}

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
  Value full(Value stage) { return pointer(offset(stage, p.barrierOffset(), 8)); }
  Value empty(Value stage) {
    return pointer(offset(stage, p.barrierOffset() + 8 * p.stages, 8));
  }
  /// An address of the shared window as an LLVM pointer to it.
  Value pointer(Value address) {
    return LLVM::IntToPtrOp::create(
        e.b, e.loc, LLVM::LLVMPointerType::get(e.b.getContext(), 3), e.toI64(address));
  }
  /// The same address in the cluster's shared window, as TMA writes it.
  Value clusterPointer(Value address) {
    return LLVM::AddrSpaceCastOp::create(
        e.b, e.loc, LLVM::LLVMPointerType::get(e.b.getContext(), 7), pointer(address));
  }
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

/// Builds `then` under `cond`.
void ifThen(Emitter &e, Value cond, function_ref<void()> then) {
  auto guard = scf::IfOp::create(e.b, e.loc, cond, /*withElse=*/false);
  OpBuilder::InsertionGuard insertion(e.b);
  e.b.setInsertionPointToStart(&guard.getThenRegion().front());
  then();
}

void waitParity(Emitter &e, Value barrier, Value parity) {
  NVVM::MBarrierTryWaitParityOp::create(e.b, e.loc, barrier, e.toI32(parity),
                                        e.i32(0x989680));
}

/// The block's tiles: tile, tile + grid, ... (the grid is at most one block
/// per SM when persistent). `body` gets the tile's first row and column and
/// how many K tiles the block streamed before it (the ring's position).
void forEachTile(Emitter &e, const WgmmaProblem &p,
                 function_ref<void(Value blockM0, Value blockN0, Value done)> body) {
  OpBuilder &b = e.b;
  Value first = ::mlir::gpu::BlockIdOp::create(b, e.loc, ::mlir::gpu::Dimension::x);
  Value grid = ::mlir::gpu::GridDimOp::create(b, e.loc, ::mlir::gpu::Dimension::x);
  auto loop = scf::ForOp::create(b, e.loc, first, e.idx(p.tiles()), grid);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value tile = loop.getInductionVar();
  // Grouped order, as in the mma_sync strategy: tiles in flight at once
  // share rows of both operands in L2.
  Value group = e.div(tile, kGroupM * p.gridN());
  Value firstM = e.mul(group, kGroupM);
  Value groupRows = arith::MinUIOp::create(
      b, e.loc, e.idx(kGroupM), arith::SubIOp::create(b, e.loc, e.idx(p.gridM()), firstM));
  Value inGroup = e.rem(tile, kGroupM * p.gridN());
  Value blockM0 = e.mul(
      e.add(firstM, arith::RemUIOp::create(b, e.loc, inGroup, groupRows)), p.bm);
  Value blockN0 = e.mul(arith::DivUIOp::create(b, e.loc, inGroup, groupRows), p.bn);
  Value index = arith::DivUIOp::create(
      b, e.loc, arith::SubIOp::create(b, e.loc, tile, first), grid);
  body(blockM0, blockN0, e.mul(index, p.kTiles()));
}

/// The producer's thread 0: every K tile of both operands into the ring.
void buildProducer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                   Value tmapA, Value tmapB, Value blockM0, Value blockN0,
                   Value done) {
  OpBuilder &b = e.b;
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), e.idx(p.kTiles()), e.idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value kt = loop.getInductionVar();
  Value slot = e.add(done, kt);
  Value stage = e.rem(slot, p.stages), round = e.div(slot, p.stages);
  // The slot's previous round has been read. Round 0 waits on the phase
  // before the first, which counts as complete.
  waitParity(e, smem.empty(stage),
             arith::XOrIOp::create(b, e.loc, e.rem(round, 2), e.idx(1)));
  Value full = smem.full(stage);
  NVVM::MBarrierArriveExpectTxOp::create(b, e.loc, Type(), full,
                                         e.i32(p.stageBytes()), NVVM::MemScopeKind::CTA,
                                         false, Value());
  Value kByte = e.toI32(e.mul(kt, kRowBytes));
  for (auto [tile, map, row] : {std::tuple(smem.aTile(stage), tmapA, blockM0),
                                std::tuple(smem.bTile(stage), tmapB, blockN0)})
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, e.loc, smem.clusterPointer(tile), map, ValueRange{kByte, e.toI32(row)},
        full, ValueRange{}, Value(), Value(), NVVM::TMALoadMode::TILE, false,
        NVVM::CTAGroupKindAttr(), Value());
}

/// A consumer warpgroup's main loop; returns its f32 or s32 accumulators.
Value buildConsumer(Emitter &e, const WgmmaProblem &p, SharedLayout &smem,
                    Value consumer, Value lane, Value done) {
  OpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  bool fp8 = p.kind == WgmmaKind::Fp8;
  Type element = fp8 ? Type(b.getF32Type()) : Type(b.getI32Type());
  auto accType = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(p.accRegisters(), element));
  Value zero = LLVM::ZeroOp::create(b, e.loc, accType);
  // FP8 keeps the running sum apart from the tensor cores' per-tile sum.
  SmallVector<Value> init = {zero};
  if (fp8)
    init.push_back(zero);
  // This warp is done with ring slot `stage`.
  auto release = [&](Value stage) {
    ifThen(e, e.eq(lane, 0), [&] {
      NVVM::MBarrierArriveOp::create(b, e.loc, Type(), smem.empty(stage), Value());
    });
  };
  auto loop = scf::ForOp::create(b, e.loc, e.idx(0), e.idx(p.kTiles()), e.idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value slot = e.add(done, loop.getInductionVar());
    Value stage = e.rem(slot, p.stages), round = e.div(slot, p.stages);
    waitParity(e, smem.full(stage), e.rem(round, 2));
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
      release(stage);
    } else {
      // One group stays in flight: the previous K tile's is done, so its
      // slot is free, while this one's products run.
      NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 1);
      ifThen(e, arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne,
                                      loop.getInductionVar(), e.idx(0)),
             [&] { release(e.rem(e.add(slot, p.stages - 1), p.stages)); });
    }
    SmallVector<Value> yield = {acc};
    if (fp8) {
      Value sum = loop.getRegionIterArgs()[1];
      for (int64_t i = 0; i < p.accRegisters(); ++i) {
        Value partial = LLVM::ExtractValueOp::create(b, e.loc, acc, i);
        Value total = LLVM::ExtractValueOp::create(b, e.loc, sum, i);
        sum = LLVM::InsertValueOp::create(
            b, e.loc, sum, arith::AddFOp::create(b, e.loc, total, partial), i);
      }
      yield.push_back(sum);
    }
    scf::YieldOp::create(b, e.loc, yield);
  }
  if (!fp8) {
    // The last K tile's group, and its slot.
    NVVM::WgmmaWaitGroupSyncOp::create(b, e.loc, 0);
    release(e.rem(e.add(done, p.kTiles() - 1), p.stages));
  }
  return loop.getResults().back();
}

/// Scales and stores a consumer's accumulators. Thread `lane` of warp `warp`
/// holds, for each n8 column tile j, registers 4j..4j+3: rows lane/4 and
/// lane/4 + 8 of the warp's 16, columns 2 * (lane % 4) and the next.
void storeTile(Emitter &e, const WgmmaProblem &p, Value acc, Value xs, Value s,
               Value y, Value row0, Value col0) {
  OpBuilder &b = e.b;
  bool integer = p.kind == WgmmaKind::Int8;
  bool vectorStore = p.n % 2 == 0;
  Value clampN = e.idx(p.n - 1);
  // Column scales once per column this thread stores.
  SmallVector<Value> colScales;
  for (int64_t j = 0; j < p.bn / 8; ++j)
    for (int64_t c = 0; c < 2; ++c) {
      Value col = arith::MinUIOp::create(b, e.loc, e.add(col0, j * 8 + c), clampN);
      colScales.push_back(e.toF32(memref::LoadOp::create(
          b, e.loc, s, ValueRange{p.scaleRows == 1 ? e.idx(0) : col, e.idx(0)})));
    }
  for (int64_t half = 0; half < 2; ++half) {
    Value row = e.add(row0, half * 8);
    ifThen(e, e.lt(row, p.m), [&] {
      Value rowScale = e.toF32(memref::LoadOp::create(
          b, e.loc, xs, ValueRange{p.inputScaleRows == 1 ? e.idx(0) : row, e.idx(0)}));
      for (int64_t j = 0; j < p.bn / 8; ++j) {
        SmallVector<Value> values;
        for (int64_t c = 0; c < 2; ++c) {
          Value v = LLVM::ExtractValueOp::create(b, e.loc, acc, 4 * j + 2 * half + c);
          if (integer)
            v = arith::SIToFPOp::create(b, e.loc, b.getF32Type(), v);
          v = arith::MulFOp::create(b, e.loc, arith::MulFOp::create(b, e.loc, v, rowScale),
                                    colScales[2 * j + c]);
          if (!p.resultType.isF32())
            v = arith::TruncFOp::create(b, e.loc, p.resultType, v);
          values.push_back(v);
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
          if (p.n % p.bn == 0)
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

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildWgmmaKernel(OpBuilder &b, MatmulOp op,
                                                       lowbit::gpu::ConfigAttr config,
                                                       StringRef name, int64_t numSMs) {
  FailureOr<WgmmaProblem> analyzed = analyze(op, config);
  if (failed(analyzed))
    return failure();
  const WgmmaProblem &p = *analyzed;
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Type i8 = b.getI8Type();
  auto genericPtr = LLVM::LLVMPointerType::get(ctx);

  KernelLaunch launch;
  launch.params = {"input", "weight", "weight_scales", "input_scales", "result"};
  SmallVector<Type> params = {
      MemRefType::get({p.m, p.k}, i8), MemRefType::get({p.n, p.k}, i8),
      MemRefType::get({p.scaleRows, 1}, p.scaleType),
      MemRefType::get({p.inputScaleRows, 1}, p.inputScaleType),
      MemRefType::get({p.m, p.n}, p.resultType), genericPtr, genericPtr};
  launch.tensorMaps = {{0, p.m, p.k, p.bm, kRowBytes}, {1, p.n, p.k, p.bn, kRowBytes}};

  auto func = ::mlir::gpu::GPUFuncOp::create(b, loc, name,
                                             FunctionType::get(ctx, params, {}));
  func->setAttr(::mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(p.threads()), 1, 1}));
  // One block per SM: the register cap at entry that setmaxnreg needs.
  func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(), b.getI32IntegerAttr(1));
  // Tensor maps are 128-byte kernel parameters passed by value
  // (lowbit-grid-constant-tensor-maps marks them after lowering to LLVM).
  int32_t firstMap = launch.params.size();
  func->setAttr(kTensorMapArgsAttrName,
                b.getDenseI32ArrayAttr({firstMap, firstMap + 1}));
  Block &body = func.getBody().front();
  b.setInsertionPointToStart(&body);
  Value s = body.getArgument(2), xs = body.getArgument(3), y = body.getArgument(4);
  Value tmapA = body.getArgument(firstMap), tmapB = body.getArgument(firstMap + 1);

  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      ctx, ::mlir::gpu::GPUDialect::getWorkgroupAddressSpace());
  Value shared = ::mlir::gpu::DynamicSharedMemoryOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, i8, MemRefLayoutAttrInterface{},
                              workgroup));
  Value start = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, shared);
  Value aligned = arith::AndIOp::create(b, loc, e.add(start, kSwizzleAtomBytes - 1),
                                        e.idx(~(kSwizzleAtomBytes - 1)));
  SharedLayout smem{e, p, aligned};

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value warpgroup = e.div(tid, kWarpgroupThreads);
  Value lane = e.rem(tid, kWarpThreads);

  // Barriers: `full` expects the producer's one arrival (plus the bytes),
  // `empty` one arrival per consumer warp.
  ifThen(e, e.eq(tid, 0), [&] {
    for (int64_t st = 0; st < p.stages; ++st) {
      NVVM::MBarrierInitOp::create(b, loc, smem.full(e.idx(st)), e.i32(1), Value());
      NVVM::MBarrierInitOp::create(b, loc, smem.empty(e.idx(st)),
                                   e.i32(p.consumers() * kWarpgroupThreads / kWarpThreads),
                                   Value());
    }
    NVVM::FenceMbarrierInitOp::create(b, loc);
  });
  ::mlir::gpu::BarrierOp::create(b, loc);

  auto roles = scf::IfOp::create(b, loc, e.eq(warpgroup, 0), /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&roles.getThenRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, kProducerRegisters,
                                   NVVM::SetMaxRegisterAction::decrease);
    ifThen(e, e.eq(tid, 0), [&] {
      forEachTile(e, p, [&](Value blockM0, Value blockN0, Value done) {
        buildProducer(e, p, smem, tmapA, tmapB, blockM0, blockN0, done);
      });
    });

    // Consumers: while one stores a tile, the producer already fills the
    // ring with the next one's K tiles.
    b.setInsertionPointToStart(&roles.getElseRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, kConsumerRegisters,
                                   NVVM::SetMaxRegisterAction::increase);
    Value consumer = arith::SubIOp::create(b, loc, warpgroup, e.idx(1));
    Value warp = e.div(e.rem(tid, kWarpgroupThreads), kWarpThreads);
    forEachTile(e, p, [&](Value blockM0, Value blockN0, Value done) {
      Value acc = buildConsumer(e, p, smem, consumer, lane, done);
      Value row0 = e.add(e.add(blockM0, e.mul(consumer, kWarpgroupRows)),
                         e.add(e.mul(warp, 16), e.div(lane, 4)));
      Value col0 = e.add(blockN0, e.mul(e.rem(lane, 4), 2));
      storeTile(e, p, acc, xs, s, y, row0, col0);
    });
  }
  ::mlir::gpu::ReturnOp::create(b, loc);

  // Persistent: one block per SM walks the tiles; otherwise one per tile.
  launch.grid = {p.persistent && numSMs > 0 ? std::min(p.tiles(), numSMs) : p.tiles(),
                 1, 1};
  launch.block = {p.threads(), 1, 1};
  launch.sharedBytes = p.sharedBytes();
  return launch;
}
