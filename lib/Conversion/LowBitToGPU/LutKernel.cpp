//===- LutKernel.cpp - the lut strategy ------------------------------------===//
//
// Lookup-table mixed-precision GEMV (LUT-GEMM, T-MAC) for decode shapes:
//
//   y[m, n] = sum_p 2^p sum_j T[m, j, idx[p, n, j]] * scale(n, j * g)
//
// where T holds, for each token m and group j of g activations, the signed
// sums of every +-1 combination (lowbit.lut_build), and idx[p, n, j] is the
// g-bit index that bit plane p of weight row n forms over group j. With a
// symmetric table only the entries whose top index bit is set are stored and
// T[~t] = -T[t].
//
// The tensor cores take no part: each warp owns weight rows (four warps a
// block, rows block + warp, + 4, ...), its lanes walk the row's groups
// (lane, lane + 32, ...) and look the entries up for every token, in f32;
// shuffles reduce. Index bytes (one index per byte) and table entries are
// read from global memory through the caches. This is the form the method
// takes on GPUs today (../shared/reference: LUT kernels lose to dequantizing
// ones at batch >= 16), here so that every op of the dialect has a kernel.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::lowbit;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpsPerBlock = 4;
/// Tokens a warp keeps sums for (registers per lane).
constexpr int64_t kMaxTokens = 64;

struct LutProblem {
  int64_t m, n, groups, planes, g, rowsPerBlock;
  bool symmetric;
  int64_t entries;
  Type tableType, scaleType, resultType;
  Granularity granularity;
  int64_t scaleGroup; // elements of K per scale (per_group)
  int64_t scaleRows, scaleCols;
};

FailureOr<LutProblem> analyze(LutMatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError() << "the lut strategy does not support " << what
                            << " (supported: static shapes, at most " << kMaxTokens
                            << " tokens, f16/bf16/f32 tables and scales per tensor, "
                               "channel or group along K)";
  };
  if (config.getStrategy() != lowbit::gpu::Strategy::Lut)
    return op.emitOpError() << "LUT products run on the lut strategy, not "
                            << lowbit::gpu::stringifyStrategy(config.getStrategy());
  RankedTensorType table = op.getTable().getType();
  RankedTensorType weight = op.getWeight().getType();
  if (!table.hasStaticShape() || !weight.hasStaticShape() ||
      !cast<ShapedType>(op.getScales().getType()).hasStaticShape())
    return unsupported("dynamic shapes");
  LutProblem p;
  p.m = table.getDimSize(0);
  p.groups = table.getDimSize(1);
  p.entries = table.getDimSize(2);
  p.planes = weight.getDimSize(0);
  p.n = weight.getDimSize(1);
  p.g = op.getGroupSize();
  p.symmetric = op.getSymmetric();
  p.rowsPerBlock = config.getBlock()[1];
  p.tableType = table.getElementType();
  p.resultType = op.getResult().getType().getElementType();
  if (p.m < 1 || p.m > kMaxTokens)
    return unsupported(Twine(p.m) + " tokens");
  if (p.n < 1 || p.groups < 1)
    return unsupported("empty operands");
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.tableType))
    return unsupported("tables of " + Twine(typeString(p.tableType)));
  auto scales = cast<RankedTensorType>(op.getScales().getType());
  p.scaleType = scales.getElementType();
  p.scaleRows = scales.getDimSize(0);
  p.scaleCols = scales.getDimSize(1);
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.scaleType))
    return unsupported("scales of type " + Twine(typeString(p.scaleType)));
  QuantSchemeAttr scheme = op.getWeightScheme();
  p.granularity = scheme.getGranularity();
  p.scaleGroup = scheme.getGroupSize();
  bool scalesOk = p.granularity == Granularity::PerTensor ||
                  (p.granularity == Granularity::PerChannel && scheme.getAxis() == 0) ||
                  (p.granularity == Granularity::PerGroup && scheme.getAxis() == 1);
  if (!scalesOk || scheme.getOuterScaleType() || scheme.hasZeroPoints())
    return unsupported("this scale granularity, two-level scales or zero points");
  // One block per tile of rows, each over all of K: a K split the config
  // asks for would be ignored.
  if (config.getSplitK() != 1)
    return unsupported("split_k > 1");
  if (p.rowsPerBlock % kWarpsPerBlock)
    return op.emitOpError() << "the lut block tile's N (" << p.rowsPerBlock
                            << ") must be a multiple of " << kWarpsPerBlock;
  // Every other field describes what the kernel does regardless (every
  // token and all of K in one block of four warps, lookups of group_size
  // activations in the table's type, no pipeline): a config that says
  // otherwise would be cached as a kernel it is not.
  int64_t k = p.groups * p.g;
  ArrayRef<int64_t> block = config.getBlock(), warp = config.getWarp(), mma = config.getMma();
  if (block[0] != p.m || block[2] != k || warp[0] != p.m ||
      warp[1] != p.rowsPerBlock / kWarpsPerBlock || mma[0] != 1 || mma[1] != 1 || mma[2] != p.g ||
      config.getMmaType() != p.tableType || config.getStages() != 1)
    return op.emitOpError() << "the lut strategy takes block = [" << p.m << ", N, " << k
                            << "] (every token and all of K), warp = [" << p.m
                            << ", N / 4], mma = [1, 1, " << p.g << "], mma_type = " << p.tableType
                            << " (the table's) and stages = 1, for a block of N "
                            << "rows; got " << config;
  return p;
}

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildLutKernel(OpBuilder &b, LutMatmulOp op,
                                                     lowbit::gpu::ConfigAttr config,
                                                     StringRef name) {
  FailureOr<LutProblem> analyzed = analyze(op, config);
  if (failed(analyzed))
    return failure();
  const LutProblem &p = *analyzed;
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Type i32 = b.getI32Type();

  KernelLaunch launch;
  SmallVector<Type> params = {
      MemRefType::get({p.m, p.groups, p.entries}, p.tableType),
      MemRefType::get({p.planes, p.n, p.groups}, b.getI8Type()),
      MemRefType::get({p.scaleRows, p.scaleCols}, p.scaleType),
      MemRefType::get({p.m, p.n}, p.resultType)};
  launch.params = {"table", "weight", "weight_scales", "result"};
  ::mlir::gpu::GPUFuncOp func =
      beginKernel(b, loc, name, params, kWarpSize * kWarpsPerBlock);
  Block &body = func.getBody().front();
  Value table = body.getArgument(0), weight = body.getArgument(1),
        scales = body.getArgument(2), y = body.getArgument(3);

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value block = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value warp = e.div(tid, kWarpSize), lane = e.rem(tid, kWarpSize);
  Value firstRow = e.add(e.mul(block, p.rowsPerBlock), warp);
  Value lastRow = arith::MinUIOp::create(
      b, loc, e.add(e.mul(block, p.rowsPerBlock), p.rowsPerBlock), e.idx(p.n));
  // Rows of this warp: first, first + 4, ... below the block's end (and N).
  auto rows = scf::ForOp::create(b, loc, firstRow, lastRow, e.idx(kWarpsPerBlock));
  b.setInsertionPointToStart(rows.getBody());
  Value n = rows.getInductionVar();

  Value zero = e.f32(0.0);
  SmallVector<Value> init(p.m, zero);
  auto groups = scf::ForOp::create(b, loc, lane, e.idx(p.groups), e.idx(kWarpSize), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(groups.getBody());
    Value j = groups.getInductionVar();
    Value scaleRow = p.granularity == Granularity::PerTensor ? e.idx(0) : n;
    Value scaleCol = p.granularity == Granularity::PerGroup
                         ? e.div(e.mul(j, p.g), p.scaleGroup)
                         : e.idx(0);
    Value scale =
        e.toF32(memref::LoadOp::create(b, loc, scales, ValueRange{scaleRow, scaleCol}));
    // Each plane's entry index and signed weight 2^p (negated for the
    // complement half of a symmetric table).
    SmallVector<std::pair<Value, Value>> lookups;
    int64_t half = int64_t(1) << (p.g - 1), mask = (int64_t(1) << p.g) - 1;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      Value raw = memref::LoadOp::create(b, loc, weight, ValueRange{e.idx(plane), n, j});
      Value index = e.andi(arith::ExtUIOp::create(b, loc, i32, raw), mask);
      Value factor = e.f32(double(int64_t(1) << plane));
      if (p.symmetric) {
        Value top = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, index,
                                          e.i32(half));
        Value chosen = arith::SelectOp::create(
            b, loc, top, index, arith::XOrIOp::create(b, loc, index, e.i32(mask)));
        index = arith::SubIOp::create(b, loc, chosen, e.i32(half));
        factor = arith::SelectOp::create(b, loc, top, factor,
                                         e.f32(-double(int64_t(1) << plane)));
      }
      lookups.push_back(
          {arith::IndexCastUIOp::create(b, loc, b.getIndexType(), index), factor});
    }
    SmallVector<Value> sums(groups.getRegionIterArgs());
    for (int64_t m = 0; m < p.m; ++m) {
      Value planeSum = zero;
      for (auto [index, factor] : lookups) {
        Value entry = e.toF32(
            memref::LoadOp::create(b, loc, table, ValueRange{e.idx(m), j, index}));
        planeSum = arith::AddFOp::create(
            b, loc, planeSum, arith::MulFOp::create(b, loc, factor, entry));
      }
      sums[m] = arith::AddFOp::create(b, loc, sums[m],
                                      arith::MulFOp::create(b, loc, planeSum, scale));
    }
    scf::YieldOp::create(b, loc, sums);
  }

  // The warp's sums, reduced; lane 0 stores the row.
  Value isFirst = e.eq(lane, 0);
  for (int64_t m = 0; m < p.m; ++m) {
    Value total = sumOverLanes(b, loc, groups.getResult(m), kWarpSize);
    auto store = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    Value out = p.resultType.isF32() ? total
                                     : arith::TruncFOp::create(b, loc, p.resultType, total)
                                           .getResult();
    memref::StoreOp::create(b, loc, out, y, ValueRange{e.idx(m), n});
  }
  b.setInsertionPointToEnd(&body);
  ::mlir::gpu::ReturnOp::create(b, loc);

  launch.grid = {int64_t(llvm::divideCeil(p.n, p.rowsPerBlock)), 1, 1};
  launch.block = {kWarpSize * kWarpsPerBlock, 1, 1};
  return launch;
}
