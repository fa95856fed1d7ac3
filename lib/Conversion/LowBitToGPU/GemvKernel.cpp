//===- GemvKernel.cpp - the splitk_gemv and tma_gemv strategies ----------===//
//
// GEMVs for decode shapes. `splitk_gemv`: each warp owns output rows; its
// lanes stream the row's weight bytes into registers, dequantize them there
// (4-bit codes unpacked with shifts), multiply with the activations and
// reduce with shuffles. `tma_gemv` (sm_90): a producer warp streams weight
// tiles by TMA into a shared-memory ring, and consumer warps fold them with
// the same products (CUDA cores) or with mma.sync (tensor cores). K splits
// run on grid.y and meet in the result with atomic adds. Codes that index a
// table (codebooks such as NF4, FP4 e2m1 and FP8 weight codes) read their
// values from a copy of the table in shared memory.
//
// The kernel goes into `gpu.module @lowbit_kernels` with bare-pointer
// parameters (input, weight bytes, scales, [zero points], result); the matmul
// gets a `lowbit_gpu.kernel` attribute saying how to launch it.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"

#include "lowbit/Quant/Layouts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <string>

using namespace mlir;
using namespace mlir::lowbit;

namespace {

constexpr int64_t kWarpThreads = 32;
/// Warps that compute products (tma_gemv adds a producer warp).
constexpr int64_t kWarpsPerBlock = 4;
/// tma_gemv: each ring slot holds 512 bytes of every row of the block (one
/// 16-byte chunk per lane), copied as four boxes of 128-byte rows with the
/// 128-byte swizzle.
constexpr int64_t kTmaBoxBytes = 128;
constexpr int64_t kTmaSlotRowBytes = kWarpThreads * 16;
/// tma_gemv on tensor cores: the consumer warps' f32 sums, four per thread.
constexpr int64_t kTensorCoreSumBytes = kWarpsPerBlock * kWarpThreads * 16;

/// What the GEMV kernel needs to know about one matmul.
struct GemvProblem {
  int64_t m, n, k, splitK, rowsPerBlock;
  Type actType, scaleType, resultType;
  unsigned codeBits; // 2 or 4 (packed four or two per byte) or 8
  bool unsignedCodes, hasZeroPoints;
  Granularity granularity;
  int64_t groupSize;
  int64_t scaleRows, scaleCols;
  /// The value of every code when codes index a table (QuantSchemeAttr::
  /// getCodeValues); empty for integer codes.
  SmallVector<float> table;
  /// The value of every scale byte for 8-bit float scales (MX e8m0,
  /// NVFP4-style e4m3), read as bytes; empty for f16/bf16/f32 scales.
  SmallVector<float> scaleTable;
  /// Dynamic shared memory: the two tables' f32 values, and with tma_gemv
  /// the ring, its barriers and room to align it.
  int64_t sharedBytes() const {
    return tableBytes() +
           (tma ? 1024 + barrierOffset() + 16 * ringSlots + (tensorCores ? kTensorCoreSumBytes : 0)
                : 0);
  }
  /// Whole 16-byte chunks per row and scale groups of whole chunks: the
  /// streaming path (16-byte loads, dequantization by exponent tricks).
  bool vectorized = false;
  /// 16-byte chunks each lane loads before using the first (the config's
  /// `stages`): the bytes in flight that hide memory latency.
  int64_t chunksInFlight = 4;
  /// Rows a warp streams together (warp tile N / 8, the GEMV's row granule):
  /// each activation load and conversion then serves that many rows.
  int64_t rowsPerWarp = 1;
  /// Products in f16x2 (`mma_type = f16` on the streaming path with f16
  /// activations, 4-bit integer codes and f16 scales): two codes per
  /// instruction instead of one, sums in f16 within a 16-byte chunk.
  bool halfProducts = false;
  /// 4-bit codes interleaved in each word as [0, 2, 4, 6, 1, 3, 5, 7] (the
  /// order AWQ packs in): the f16x2 path's pairs are then pairs of
  /// consecutive codes, which multiply the activations as they are loaded.
  bool pairedCodes = false;
  /// The tma_gemv strategy: weight tiles stream through a shared-memory
  /// ring of `ringSlots` slots (buildTmaKernel).
  bool tma = false;
  int64_t ringSlots = 0;
  /// tma_gemv with `mma = [16, 8, 16]`: products on tensor cores
  /// (consumeOnTensorCores).
  bool tensorCores = false;

  int64_t rowBytes() const { return k * codeBits / 8; }
  int64_t rowChunks() const { return rowBytes() / 16; }
  /// tma_gemv: K tiles per row (512 bytes each), their codes, and the
  /// bytes of a ring slot: the weight tile (`weightBytes`), then on tensor
  /// cores each token's activations of the K tile (`activationBytes`).
  int64_t kTiles() const { return llvm::divideCeil(rowBytes(), kTmaSlotRowBytes); }
  int64_t tileCodes() const { return kTmaSlotRowBytes * 8 / codeBits; }
  int64_t weightBytes() const { return rowsPerBlock * kTmaSlotRowBytes; }
  int64_t activationBytes() const { return tensorCores ? m * tileCodes() * 2 : 0; }
  int64_t slotBytes() const { return weightBytes() + activationBytes(); }
  /// Where the ring starts past the tables (aligned to the swizzle's 1024
  /// bytes at run time) and its mbarriers after it: `full`, then `empty`.
  int64_t tableBytes() const { return int64_t(table.size() + scaleTable.size()) * 4; }
  int64_t barrierOffset() const { return ringSlots * slotBytes(); }
  int64_t codesPerChunk() const { return 128 / codeBits; }
  /// Activations per 16-byte vector.
  int64_t actLanes() const { return 128 / int64_t(actType.getIntOrFloatBitWidth()); }
};

/// Checks that this version can generate the op, with a message saying what
/// is not supported yet when it cannot.
FailureOr<GemvProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError() << "GPU code generation does not support " << what
                            << " yet (supported: the splitk_gemv strategy with "
                               "f16/bf16/f32 activations and i2 / i4 (packed) or "
                               "i8 weights, 4-bit (packed) or 8-bit codebook and "
                               "float codes, per-tensor/channel/group scales "
                               "(f16/bf16/f32, or 8-bit float as MX e8m0), "
                               "optional integer zero points)";
  };
  bool tma = config.getStrategy() == lowbit::gpu::Strategy::TmaGemv;
  if (config.getStrategy() != lowbit::gpu::Strategy::SplitKGemv && !tma)
    return unsupported("the " +
                       lowbit::gpu::stringifyStrategy(config.getStrategy()) + " strategy");
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  RankedTensorType result = op.getResult().getType();
  if (!input.hasStaticShape())
    return unsupported("a dynamic M");
  GemvProblem p;
  p.tma = tma;
  p.m = input.getDimSize(0);
  p.n = weight.getDimSize(0);
  p.k = weight.getDimSize(1);
  p.splitK = config.getSplitK();
  p.rowsPerBlock = config.getBlock()[1];
  p.chunksInFlight = config.getStages(); // 1 to 8 (the attribute's verifier)
  p.actType = input.getElementType();
  p.resultType = result.getElementType();
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.actType))
    return unsupported(Twine("quantized activations"));
  QuantSchemeAttr scheme = op.getWeightScheme();
  if (scheme.getOuterScaleType() || scheme.getZeroPoint() == ZeroPointKind::Float)
    return unsupported("two-level scales or float zero points");
  Type code = scheme.getStorage();
  unsigned bits = scheme.getBitWidth();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool packed = layout && layout.getKind() == LayoutKind::Packed;
  p.pairedCodes = layout && layout.getKind() == LayoutKind::Interleave && bits == 4 &&
                  layout.getOrder() == ArrayRef<int64_t>(quant::kAwqOrder);
  if (std::optional<SmallVector<float>> table = scheme.getCodeValues())
    p.table = std::move(*table);
  if (!p.table.empty() && scheme.hasZeroPoints())
    return unsupported("zero points with table codes");
  bool byteCodes = code.isInteger(8) || (!p.table.empty() && bits == 8);
  if (((bits == 2 || bits == 4) && packed && p.k % (8 / bits) == 0) || p.pairedCodes)
    p.codeBits = bits;
  else if (byteCodes && (!layout || packed))
    p.codeBits = 8;
  else
    return unsupported("these weight codes or this layout (" +
                       Twine(typeString(weight)) + ")");
  p.unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
  p.hasZeroPoints = scheme.hasZeroPoints();
  p.granularity = scheme.getGranularity();
  p.groupSize = scheme.getGroupSize();
  // MX blocks are groups along K whose scales are powers of two (e8m0).
  if (p.granularity == Granularity::MXBlock)
    p.granularity = Granularity::PerGroup;
  bool axisOk = (p.granularity == Granularity::PerTensor) ||
                (p.granularity == Granularity::PerChannel && scheme.getAxis() == 0) ||
                (p.granularity == Granularity::PerGroup && scheme.getAxis() == 1 &&
                 p.groupSize % (8 / p.codeBits) == 0);
  if (!axisOk)
    return unsupported("this scale granularity");
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  p.scaleType = scales.getElementType();
  auto smallScale = dyn_cast<FloatType>(p.scaleType);
  if (smallScale && smallScale.getWidth() == 8)
    p.scaleTable = getSmallFloatValues(smallScale);
  else if (!isa<Float16Type, BFloat16Type, Float32Type>(p.scaleType))
    return unsupported("scales of type " + Twine(typeString(p.scaleType)));
  p.scaleRows = scales.getDimSize(0);
  p.scaleCols = scales.getDimSize(1);
  p.vectorized = p.rowBytes() % 16 == 0 && p.k % p.actLanes() == 0 &&
                 (p.granularity != Granularity::PerGroup ||
                  p.groupSize % p.codesPerChunk() == 0);
  p.halfProducts = p.vectorized && config.getMmaType().isF16() && p.actType.isF16() &&
                   p.codeBits == 4 && p.table.empty() && p.scaleType.isF16();
  if (p.pairedCodes && !p.halfProducts)
    return unsupported("the interleave layout except on the f16x2 path (f16 activations, "
                       "integer codes, f16 scales per tensor, channel or group of a "
                       "multiple of 32, K a multiple of 32, mma_type = f16)");
  if (p.splitK > 1 && !p.resultType.isF32())
    return op.emitOpError()
           << "split_k = " << p.splitK
           << " accumulates with f32 atomics and needs an f32 result; use "
              "split_k = 1 for a "
           << p.resultType << " result";
  if (p.rowsPerBlock % kWarpsPerBlock != 0)
    return op.emitOpError() << "the block tile's N (" << p.rowsPerBlock
                            << ") must be a multiple of " << kWarpsPerBlock;
  if (p.tma) {
    if (!p.vectorized)
      return unsupported("the tma_gemv strategy on rows that are not whole 16-byte chunks "
                         "(or scale groups that split one)");
    if (config.getStages() < 2)
      return op.emitOpError() << "tma_gemv needs a ring of at least 2 stages";
    p.ringSlots = config.getStages();
    p.tensorCores = config.getMma() == ArrayRef<int64_t>{16, 8, 16};
    if (p.tensorCores) {
      // A quad of 4 chunks (128 codes) takes one scale per row.
      bool quadScales = p.granularity != Granularity::PerGroup || p.groupSize % 128 == 0;
      if (!p.halfProducts || !quadScales || p.m > 8)
        return unsupported("tma_gemv on tensor cores (mma = [16, 8, 16]) but for up to 8 "
                           "tokens of f16 activations, 4-bit integer codes and f16 scales "
                           "per tensor, channel or group of a multiple of 128, with "
                           "mma_type = f16");
      if (p.rowsPerBlock != 16 || config.getWarp()[1] != 16)
        return op.emitOpError() << "tma_gemv on tensor cores computes 16 rows per block with "
                                   "all four warps: block N and warp N must be 16; got "
                                << p.rowsPerBlock << " and " << config.getWarp()[1];
      return p;
    }
    // Every row of the block is in each ring slot, warp tile N rows per
    // warp; the swizzle repeats every 8 rows.
    p.rowsPerWarp = config.getWarp()[1];
    if (p.rowsPerBlock != kWarpsPerBlock * p.rowsPerWarp || p.rowsPerBlock % 8 != 0 ||
        p.rowsPerWarp > 16)
      return op.emitOpError() << "tma_gemv's warp tile N is the rows a warp computes (up to "
                                 "16) and its block tile N "
                              << kWarpsPerBlock
                              << " times that, a multiple of 8; got block N "
                              << p.rowsPerBlock << ", warp N " << p.rowsPerWarp;
    return p;
  }
  // The warp tile's N counts rows in granules of 8 (warp = [16, 8]: one).
  p.rowsPerWarp = config.getWarp()[1] / 8;
  if (config.getWarp()[1] % 8 || p.rowsPerWarp < 1 || p.rowsPerWarp > 8 ||
      p.rowsPerBlock % (kWarpsPerBlock * p.rowsPerWarp) != 0)
    return op.emitOpError() << "splitk_gemv warp tile N / 8 is the rows a warp streams "
                               "together: 1 to 8, with the block tile's N ("
                            << p.rowsPerBlock << ") a multiple of " << kWarpsPerBlock
                            << " warps times it; got " << config.getWarp()[1];
  if (p.rowsPerWarp > 1 && !p.vectorized)
    return unsupported("several rows per warp on rows that are not whole 16-byte chunks");
  return p;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value toF32(OpBuilder &b, Location loc, Value v) {
  return v.getType().isF32() ? v
                             : arith::ExtFOp::create(b, loc, b.getF32Type(), v)
                                   .getResult();
}

/// The code held in the low `bits` bits of an i8, zero- or sign-extended
/// to the whole byte.
Value codeBits(OpBuilder &b, Location loc, Value byte, unsigned bits, bool isUnsigned) {
  if (bits == 8)
    return byte;
  auto i8 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, b.getI8Type(), v); };
  if (isUnsigned)
    return arith::AndIOp::create(b, loc, byte, i8((1 << bits) - 1));
  Value shift = i8(8 - bits);
  return arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, byte, shift), shift);
}

/// Value of a code held in the low `bits` bits of an i8, as f32.
Value codeValue(OpBuilder &b, Location loc, Value byte, unsigned bits,
                bool isUnsigned) {
  Value code = codeBits(b, loc, byte, bits, isUnsigned);
  if (isUnsigned)
    return arith::UIToFPOp::create(b, loc, b.getF32Type(), code);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), code);
}

/// What a row body sees of the kernel around it.
struct GemvFrame {
  Value x, w, s, z; // z is null without zero points
  Value table;      // the code values in shared memory, or null
  Value scaleTable; // the values of 8-bit float scales in shared memory, or null
  /// The warp's output rows (rowsPerWarp of them), rows past N clamped to
  /// the last (read, never stored).
  SmallVector<Value> rows;
  Value begin, end; // this lane's first unit of the row, and the split's end
};

/// The indices into the scales (and zero points) of the codes starting at
/// `k0` of row `n`.
SmallVector<Value, 2> scaleIndices(OpBuilder &b, Location loc, const GemvProblem &p,
                                   Value n, Value k0) {
  Value row = p.granularity == Granularity::PerTensor ? index(b, loc, 0) : n;
  Value col = p.granularity == Granularity::PerGroup
                  ? arith::DivUIOp::create(b, loc, k0, index(b, loc, p.groupSize))
                        .getResult()
                  : index(b, loc, 0);
  return {row, col};
}

/// A scale as read from memory, as f32.
Value scaleValue(OpBuilder &b, Location loc, const GemvFrame &f, Value raw) {
  return f.scaleTable ? tableValue(b, loc, f.scaleTable, raw) : toF32(b, loc, raw);
}

/// Reads the scale (as f32) and the zero point (as f32, or null) that the
/// codes starting at `k0` of row `n` use.
std::pair<Value, Value> scaleAndZero(OpBuilder &b, Location loc,
                                     const GemvProblem &p, const GemvFrame &f,
                                     Value n, Value k0) {
  SmallVector<Value, 2> at = scaleIndices(b, loc, p, n, k0);
  Value scale = scaleValue(b, loc, f, memref::LoadOp::create(b, loc, f.s, at));
  Value zero = f.z ? codeValue(b, loc, memref::LoadOp::create(b, loc, f.z, at),
                               p.codeBits, p.unsignedCodes)
                   : Value();
  return {scale, zero};
}

/// `acc + a * c`, contractible into an FMA.
Value fma(OpBuilder &b, Location loc, Value a, Value c, Value acc) {
  auto contract =
      arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
  Value mul = arith::MulFOp::create(b, loc, a, c, contract);
  return arith::AddFOp::create(b, loc, acc, mul, contract).getResult();
}

Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(float(v)));
}

/// The GEMV kernels' parameters: input as `xType`, weight as `wType`,
/// scales, zero points, result.
SmallVector<Type> gemvParams(OpBuilder &b, const GemvProblem &p, Type xType, Type wType) {
  SmallVector<Type> params = {xType, wType,
                              MemRefType::get({p.scaleRows, p.scaleCols},
                                              p.scaleTable.empty() ? p.scaleType
                                                                   : b.getI8Type())};
  if (p.hasZeroPoints)
    params.push_back(MemRefType::get({p.scaleRows, p.scaleCols}, b.getI8Type()));
  params.push_back(MemRefType::get({p.m, p.n}, p.resultType));
  return params;
}

/// A warp's sums of its rows ([row * M + token], one partial sum per lane)
/// reduced over the lanes; lane 0 stores those of rows inside N, or adds
/// them atomically with K splits. `firstRowInside`: the caller knows
/// outputRows[0] is inside N.
void storeRowSums(OpBuilder &b, Location loc, const GemvProblem &p, Value y, Value lane,
                  ArrayRef<Value> outputRows, ArrayRef<Value> partial, bool firstRowInside) {
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                        index(b, loc, 0));
  for (size_t i = 0; i < outputRows.size() * p.m; ++i) {
    int64_t r = i / p.m, m = i % p.m;
    Value total = sumOverLanes(b, loc, partial[i], kWarpThreads);
    Value store = isFirst;
    if (r != 0 || !firstRowInside)
      store = arith::AndIOp::create(b, loc, isFirst,
                                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                                          outputRows[r], index(b, loc, p.n)));
    auto ifFirst = scf::IfOp::create(b, loc, store, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifFirst.getThenRegion().front());
    SmallVector<Value, 2> at = {index(b, loc, m), outputRows[r]};
    if (p.splitK > 1) {
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, total, y, at);
    } else {
      Value out = p.resultType.isF32()
                      ? total
                      : arith::TruncFOp::create(b, loc, p.resultType, total).getResult();
      memref::StoreOp::create(b, loc, out, y, at);
    }
  }
}

/// The skeleton both GEMV variants share: parameters (input as `xType`,
/// weight as `wType`, scales, zero points, result), four warps per block, a
/// block's rows spread over its warps `rowsPerWarp` at a time, the block's K
/// slice of `units` units per row (split on grid.y), and, after `rowBody`
/// has produced one partial sum per row and token ([row * M + token]) for
/// the lane's units, the warp reduction and the store (or the atomic add of
/// a K split) of the rows inside N. `rowBody` walks units begin, begin + 32,
/// ...
::mlir::gpu::GPUFuncOp
buildGemvSkeleton(OpBuilder &b, Location loc, StringRef name, const GemvProblem &p,
                Type xType, Type wType, int64_t units,
                function_ref<SmallVector<Value>(const GemvFrame &)> rowBody) {
  ::mlir::gpu::GPUFuncOp func =
      beginKernel(b, loc, name, gemvParams(b, p, xType, wType), kWarpThreads * kWarpsPerBlock);
  Block &body = func.getBody().front();
  GemvFrame frame;
  frame.x = body.getArgument(0);
  frame.w = body.getArgument(1);
  frame.s = body.getArgument(2);
  frame.z = p.hasZeroPoints ? body.getArgument(3) : Value();
  Value y = body.getArguments().back();

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  if (p.sharedBytes()) {
    Value shared = dynamicSharedBytes(b, loc);
    if (!p.table.empty())
      frame.table =
          stageCodeTable(b, loc, func, p.table, tid, kWarpThreads * kWarpsPerBlock, shared, 0);
    if (!p.scaleTable.empty())
      frame.scaleTable = stageCodeTable(b, loc, func, p.scaleTable, tid,
                                        kWarpThreads * kWarpsPerBlock, shared,
                                        int64_t(p.table.size()) * 4, "scale_values");
  }
  Value bidX = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value bidY = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::y);
  Value warp = arith::DivUIOp::create(b, loc, tid, index(b, loc, kWarpThreads));
  Value lane = arith::RemUIOp::create(b, loc, tid, index(b, loc, kWarpThreads));
  int64_t perSplit = llvm::divideCeil(units, p.splitK);
  Value start = arith::MulIOp::create(b, loc, bidY, index(b, loc, perSplit));
  frame.end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, start, index(b, loc, perSplit)),
      index(b, loc, units));
  frame.begin = arith::AddIOp::create(b, loc, start, lane);
  Value rowBase = arith::MulIOp::create(b, loc, bidX, index(b, loc, p.rowsPerBlock));

  int64_t rowsPerWarp = p.rowsPerWarp;
  auto rows = scf::ForOp::create(b, loc, index(b, loc, 0),
                                 index(b, loc, p.rowsPerBlock),
                                 index(b, loc, kWarpsPerBlock * rowsPerWarp));
  b.setInsertionPointToStart(rows.getBody());
  Value first = arith::AddIOp::create(
      b, loc, rowBase,
      arith::AddIOp::create(
          b, loc, rows.getInductionVar(),
          arith::MulIOp::create(b, loc, warp, index(b, loc, rowsPerWarp))));
  auto inside = [&](Value n) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, index(b, loc, p.n))
        .getResult();
  };
  SmallVector<Value> outputRows;
  for (int64_t r = 0; r < rowsPerWarp; ++r) {
    Value n = arith::AddIOp::create(b, loc, first, index(b, loc, r));
    outputRows.push_back(n);
    frame.rows.push_back(
        r ? arith::MinUIOp::create(b, loc, n, index(b, loc, p.n - 1)).getResult() : n);
  }
  auto ifRow = scf::IfOp::create(b, loc, inside(first), /*withElse=*/false);
  b.setInsertionPointToStart(&ifRow.getThenRegion().front());
  SmallVector<Value> partial = rowBody(frame);

  storeRowSums(b, loc, p, y, lane, outputRows, partial, /*firstRowInside=*/true);
  b.setInsertionPointToEnd(&body);
  ::mlir::gpu::ReturnOp::create(b, loc);
  return func;
}

/// The byte variant, for rows that are not whole 16-byte chunks: each lane
/// reads one weight byte (two 4-bit codes or one 8-bit code) at a time.
::mlir::gpu::GPUFuncOp buildByteKernel(OpBuilder &b, Location loc, StringRef name,
                                       const GemvProblem &p) {
  Type xType = MemRefType::get({p.m, p.k}, p.actType);
  Type wType = MemRefType::get({p.n, p.rowBytes()}, b.getI8Type());
  return buildGemvSkeleton(b, loc, name, p, xType, wType, p.rowBytes(),
                         [&](const GemvFrame &f) -> SmallVector<Value> {
    SmallVector<Value> zeros(p.m, f32Const(b, loc, 0.0));
    auto loop = scf::ForOp::create(b, loc, f.begin, f.end,
                                   index(b, loc, kWarpThreads), zeros);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value byte = memref::LoadOp::create(b, loc, f.w,
                                        ValueRange{f.rows[0], loop.getInductionVar()});
    int64_t codesPerByte = 8 / p.codeBits;
    Value k0 = arith::MulIOp::create(b, loc, loop.getInductionVar(),
                                     index(b, loc, codesPerByte));
    auto [scale, zeroPoint] = scaleAndZero(b, loc, p, f, f.rows[0], k0);
    // Code i of the byte sits at bits [i * codeBits, (i + 1) * codeBits).
    // Table codes are unsigned indices into the table.
    SmallVector<Value> values;
    for (int64_t i = 0; i < codesPerByte; ++i) {
      Value part = i ? arith::ShRUIOp::create(
                           b, loc, byte,
                           arith::ConstantIntOp::create(b, loc, b.getI8Type(), i * p.codeBits))
                           .getResult()
                     : byte;
      if (f.table) {
        values.push_back(
            tableValue(b, loc, f.table, codeBits(b, loc, part, p.codeBits, /*isUnsigned=*/true)));
        continue;
      }
      Value value = codeValue(b, loc, part, p.codeBits, p.unsignedCodes);
      if (zeroPoint)
        value = arith::SubFOp::create(b, loc, value, zeroPoint);
      values.push_back(value);
    }
    SmallVector<Value> next;
    for (int64_t m = 0; m < p.m; ++m) {
      Value sum = f32Const(b, loc, 0.0);
      for (int64_t i = 0; i < codesPerByte; ++i) {
        Value k = arith::AddIOp::create(b, loc, k0, index(b, loc, i));
        Value a = toF32(b, loc, memref::LoadOp::create(
                                    b, loc, f.x, ValueRange{index(b, loc, m), k}));
        sum = fma(b, loc, values[i], a, sum);
      }
      next.push_back(fma(b, loc, sum, scale, loop.getRegionIterArgs()[m]));
    }
    scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(loop.getResults());
  });
}

/// The chunks a lane of the streaming kernels has in flight: `stages` 16-byte
/// chunks of each of the warp's rows, 32 chunks apart from `first` on.
/// Chunks past the split's end re-read its last chunk and are marked
/// invalid (the caller gives them a zero scale). Their scales and zero points
/// are loaded with them, so that those loads' latency overlaps too.
struct ChunksInFlight {
  struct Chunk {
    Value k0, valid;
    // One per row of the warp: the words (vector<4xi32>), the scale and the
    // zero point as read from memory (null without zero points).
    SmallVector<Value> words, scales, zeros;
    // Per token, the activations' 16-byte vectors when loaded ahead with
    // the chunk; empty: the fold loads them (chunkActivations).
    SmallVector<SmallVector<Value>, 2> activations;
  };
  SmallVector<Chunk, 1> chunks;
};

ChunksInFlight loadChunks(OpBuilder &b, Location loc, const GemvProblem &p,
                          const GemvFrame &f, Value first) {
  ChunksInFlight loaded;
  Value last = arith::SubIOp::create(b, loc, f.end, index(b, loc, 1));
  for (int64_t u = 0; u < p.chunksInFlight; ++u) {
    Value c = arith::AddIOp::create(b, loc, first, index(b, loc, u * kWarpThreads));
    ChunksInFlight::Chunk chunk;
    chunk.valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, c, f.end);
    c = arith::MinUIOp::create(b, loc, c, last);
    chunk.k0 = arith::MulIOp::create(b, loc, c, index(b, loc, p.codesPerChunk()));
    for (Value n : f.rows) {
      chunk.words.push_back(memref::LoadOp::create(b, loc, f.w, ValueRange{n, c}));
      SmallVector<Value, 2> at = scaleIndices(b, loc, p, n, chunk.k0);
      chunk.scales.push_back(memref::LoadOp::create(b, loc, f.s, at));
      chunk.zeros.push_back(f.z ? memref::LoadOp::create(b, loc, f.z, at).getResult()
                                : Value());
    }
    loaded.chunks.push_back(std::move(chunk));
  }
  return loaded;
}

/// Token `m`'s activations of the chunk of codes from `k0`, as the 16-byte
/// vectors the input is viewed as.
SmallVector<Value> loadActivations(OpBuilder &b, Location loc, const GemvProblem &p,
                                   const GemvFrame &f, Value token, Value k0) {
  Value base = arith::DivUIOp::create(b, loc, k0, index(b, loc, p.actLanes()));
  SmallVector<Value> vectors;
  for (int64_t q = 0; q < p.codesPerChunk() / p.actLanes(); ++q)
    vectors.push_back(memref::LoadOp::create(
        b, loc, f.x,
        ValueRange{token, arith::AddIOp::create(b, loc, base, index(b, loc, q))}));
  return vectors;
}

/// Token `m`'s activations of `chunk`: those loaded with it, else loaded now.
SmallVector<Value> chunkActivations(OpBuilder &b, Location loc, const GemvProblem &p,
                                    const GemvFrame &f, const ChunksInFlight::Chunk &chunk,
                                    int64_t m) {
  if (!chunk.activations.empty())
    return chunk.activations[m];
  return loadActivations(b, loc, p, f, index(b, loc, m), chunk.k0);
}

/// What adds the products of the chunks in flight to the rowsPerWarp x M
/// sums ([row * M + token]): foldFloatProducts or foldHalfProducts.
using ChunkFold = void (*)(OpBuilder &, Location, const GemvProblem &, const GemvFrame &,
                           const ChunksInFlight &, SmallVector<Value> &);

/// The layouts of the streaming kernels' operands: the input as 16-byte
/// vectors of activations, the weight as 16-byte chunks of four words.
std::pair<Type, Type> streamingOperandTypes(OpBuilder &b, const GemvProblem &p) {
  Type xType =
      MemRefType::get({p.m, p.k / p.actLanes()}, VectorType::get({p.actLanes()}, p.actType));
  Type wType =
      MemRefType::get({p.n, p.rowBytes() / 16}, VectorType::get({4}, b.getI32Type()));
  return {xType, wType};
}

/// The streaming kernel: each lane walks its 16-byte chunks of the warp's
/// rows, `stages` of each row in flight (loadChunks), and `fold` adds the
/// loaded chunks' products to the rowsPerWarp x M sums ([row * M + token]).
::mlir::gpu::GPUFuncOp buildStreamingLoop(
    OpBuilder &b, Location loc, StringRef name, const GemvProblem &p,
    ChunkFold fold) {
  auto [xType, wType] = streamingOperandTypes(b, p);
  return buildGemvSkeleton(b, loc, name, p, xType, wType, p.rowBytes() / 16,
                         [&](const GemvFrame &f) -> SmallVector<Value> {
    SmallVector<Value> zeros(p.rowsPerWarp * p.m, f32Const(b, loc, 0.0));
    auto loop = scf::ForOp::create(b, loc, f.begin, f.end,
                                   index(b, loc, kWarpThreads * p.chunksInFlight), zeros);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ChunksInFlight work = loadChunks(b, loc, p, f, loop.getInductionVar());
    SmallVector<Value> acc(loop.getRegionIterArgs());
    fold(b, loc, p, f, work, acc);
    scf::YieldOp::create(b, loc, acc);
    return SmallVector<Value>(loop.getResults());
  });
}

/// f32 products of the chunks in flight (the streaming kernels' default):
/// each code of a 16-byte chunk (32 4-bit or 16 8-bit codes) becomes a float
/// without an int-to-float conversion (code | 0x4B000000 is the float 2^23 +
/// code, so subtracting 2^23 + bias + zero point leaves the value), or the
/// table's value of the code, and multiplies the activations of its K, for
/// all M tokens.
void foldFloatProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                       const ChunksInFlight &work, SmallVector<Value> &acc) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto i32Const = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i32, v).getResult();
  };
  int64_t rowsPerWarp = p.rowsPerWarp;
  double bias = p.unsignedCodes || !p.table.empty()
                    ? 0.0
                    : double(int64_t(1) << (p.codeBits - 1));
  int64_t perWord = 32 / p.codeBits;
  uint32_t mask = (1u << p.codeBits) - 1;
  // Signed codes: their sign bits flipped make them unsigned with a bias
  // of half their range (the sign bit of every code of the word).
  uint32_t flip = 0;
  if (!p.unsignedCodes && !f.table)
    for (int64_t i = 0; i < perWord; ++i)
      flip |= 1u << (i * p.codeBits + p.codeBits - 1);
  // The chunk's codes of one row as floats (code - bias - zero point, or
  // the table's value of the code).
  auto decode = [&](Value words, Value offset) {
    SmallVector<Value> values;
    for (int64_t j = 0; j < 4; ++j) {
      Value word = vector::ExtractOp::create(b, loc, words, ArrayRef<int64_t>{j});
      if (f.table) {
        for (int64_t i = 0; i < perWord; ++i) {
          Value bits = i ? arith::ShRUIOp::create(b, loc, word, i32Const(i * p.codeBits))
                               .getResult()
                         : word;
          bits = arith::AndIOp::create(b, loc, bits, i32Const(mask));
          values.push_back(tableValue(b, loc, f.table, bits));
        }
        continue;
      }
      if (flip)
        word = arith::XOrIOp::create(b, loc, word, i32Const(int32_t(flip)));
      for (int64_t i = 0; i < perWord; ++i) {
        Value bits = i ? arith::ShRUIOp::create(b, loc, word, i32Const(i * p.codeBits))
                             .getResult()
                       : word;
        bits = arith::AndIOp::create(b, loc, bits, i32Const(mask));
        bits = arith::OrIOp::create(b, loc, bits, i32Const(0x4B000000));
        Value asFloat = arith::BitcastOp::create(b, loc, f32, bits);
        values.push_back(arith::SubFOp::create(b, loc, asFloat, offset));
      }
    }
    return values;
  };
  for (const ChunksInFlight::Chunk &chunk : work.chunks) {
    // Token m's activations of the chunk, as f32.
    auto activations = [&](int64_t m) {
      SmallVector<Value> a;
      for (Value xv : chunkActivations(b, loc, p, f, chunk, m))
        for (int64_t e = 0; e < cast<VectorType>(xv.getType()).getNumElements(); ++e)
          a.push_back(
              toF32(b, loc, vector::ExtractOp::create(b, loc, xv, ArrayRef<int64_t>{e})));
      return a;
    };
    // One token: its activations loaded and converted once for all the
    // warp's rows. More tokens reload them per row (L1 hits) rather than
    // keep 32 registers per token live.
    SmallVector<Value> shared;
    if (p.m == 1)
      shared = activations(0);
    for (int64_t r = 0; r < rowsPerWarp; ++r) {
      Value scale = arith::SelectOp::create(b, loc, chunk.valid,
                                            scaleValue(b, loc, f, chunk.scales[r]),
                                            f32Const(b, loc, 0.0));
      Value offset = f32Const(b, loc, 8388608.0 + bias);
      if (chunk.zeros[r])
        offset = arith::AddFOp::create(
            b, loc, offset, codeValue(b, loc, chunk.zeros[r], p.codeBits, p.unsignedCodes));
      SmallVector<Value> values = decode(chunk.words[r], offset);
      for (int64_t m = 0; m < p.m; ++m) {
        SmallVector<Value> a = p.m == 1 ? shared : activations(m);
        Value sum = f32Const(b, loc, 0.0);
        for (size_t i = 0; i < values.size(); ++i)
          sum = fma(b, loc, values[i], a[i], sum);
        Value &total = acc[r * p.m + m];
        total = fma(b, loc, sum, scale, total);
      }
    }
  }
}

/// The f16 pairs of the f16x2 and tensor-core paths: a 16-byte chunk's 32
/// 4-bit codes of one row as four vector<8xf16> "pairs" q = 0..3, element
/// 2j + h of pair q holding code 8j + 4h + q (packed codes: word j's codes
/// q and q + 4) or 8j + 2q + h (paired codes), and the chunk's activations
/// in the same order.
struct HalfPairs {
  OpBuilder &b;
  Location loc;
  const GemvProblem &p;
  Type f16, i32;
  VectorType words, halves;
  arith::FastMathFlagsAttr contract;

  HalfPairs(OpBuilder &b, Location loc, const GemvProblem &p)
      : b(b), loc(loc), p(p), f16(b.getF16Type()), i32(b.getI32Type()),
        words(VectorType::get({4}, i32)), halves(VectorType::get({8}, f16)),
        contract(arith::FastMathFlagsAttr::get(b.getContext(),
                                               arith::FastMathFlags::contract)) {}

  Value half(double v) {
    APFloat value(v);
    bool inexact;
    value.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &inexact);
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f16), value).getResult();
  }
  Value splatWords(uint32_t v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(words, APInt(32, v)));
  }
  Value splatHalves(Value scalar) { return vector::BroadcastOp::create(b, loc, halves, scalar); }

  /// Signed codes with their sign bits flipped are unsigned with a bias of 8.
  double bias() const { return p.unsignedCodes ? 0.0 : 8.0; }

  /// 1024 + bias + zero point (`zero` as read from memory, or null), in f16:
  /// what the codes' halves 1024 + code are offset by.
  Value offset(Value zero) {
    if (!zero)
      return half(1024.0 + bias());
    Value value = codeValue(b, loc, zero, p.codeBits, p.unsignedCodes);
    return arith::TruncFOp::create(
        b, loc, f16, arith::AddFOp::create(b, loc, f32Const(b, loc, 1024.0 + bias()), value));
  }

  /// The chunk `w` (vector<4xi32>) of one row as pairs of code - bias - zero
  /// point, exactly, times `scale` (f16) unless it is null. Packed codes:
  /// `(w & 0x000F000F) | 0x64006400` holds the halves 1024 + code of word
  /// codes 0 and 4, masked with 0x00F000F0 1024 + 16 x code of codes 1 and
  /// 5; the word shifted by 8, codes 2, 6 and 3, 7. One f16x2 subtract (or
  /// FMA, for the x16 pairs) removes 1024, the bias and the zero point.
  SmallVector<Value> weights(Value w, Value offset, Value scale) {
    if (!p.unsignedCodes)
      w = arith::XOrIOp::create(b, loc, w, splatWords(0x88888888u));
    Value shifted = arith::ShRUIOp::create(b, loc, w, splatWords(8));
    // 1024 + bias + zero point, and 64 + the same for the codes read 16x.
    Value low = splatHalves(offset);
    Value high = splatHalves(arith::SubFOp::create(b, loc, offset, half(960.0)));
    Value sixteenth = splatHalves(half(1.0 / 16));
    Value scales = scale ? splatHalves(scale) : Value();
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      Value source = q < 2 ? w : shifted;
      Value bits = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        Value word = vector::ExtractOp::create(b, loc, source, ArrayRef<int64_t>{j});
        word = lop3(b, loc, word, q % 2 ? 0x00F000F0u : 0x000F000Fu, 0x64006400u,
                    kLop3AndOr);
        bits = vector::InsertOp::create(b, loc, word, bits, ArrayRef<int64_t>{j});
      }
      Value value = vector::BitCastOp::create(b, loc, halves, bits);
      value = q % 2 ? arith::SubFOp::create(
                          b, loc,
                          arith::MulFOp::create(b, loc, value, sixteenth, contract), high,
                          contract)
                          .getResult()
                    : arith::SubFOp::create(b, loc, value, low).getResult();
      pairs.push_back(scales ? arith::MulFOp::create(b, loc, value, scales).getResult()
                             : value);
    }
    return pairs;
  }

  /// A chunk's 32 activations (its 16-byte vectors as loaded) in the pairs'
  /// order. Packed codes: word j of pair q takes halves q % 2 of words q / 2
  /// and 2 + q / 2 of the j-th vector (prmt, which the compilers keep once
  /// for all rows where they would duplicate vector shuffles). Paired codes:
  /// word q of the j-th vector as loaded.
  SmallVector<Value> activations(ArrayRef<Value> vectors) {
    SmallVector<SmallVector<Value>> x;
    for (Value v : vectors) {
      Value asWords = vector::BitCastOp::create(b, loc, words, v);
      x.emplace_back();
      for (int64_t i = 0; i < 4; ++i)
        x.back().push_back(vector::ExtractOp::create(b, loc, asWords, ArrayRef<int64_t>{i}));
    }
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      Value select = arith::ConstantIntOp::create(b, loc, i32, q % 2 ? 0x7632 : 0x5410);
      Value pair = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        Value word = p.pairedCodes
                         ? x[j][q]
                         : NVVM::PermuteOp::create(b, loc, i32, x[j][q / 2], x[j][2 + q / 2],
                                                   select, NVVM::PermuteMode::DEFAULT)
                               .getResult();
        pair = vector::InsertOp::create(b, loc, word, pair, ArrayRef<int64_t>{j});
      }
      pairs.push_back(vector::BitCastOp::create(b, loc, halves, pair));
    }
    return pairs;
  }
};

/// f16x2 products of the chunks in flight (`halfProducts`): the codes as f16
/// pairs (HalfPairs), one multiply applies the scale (products are then
/// those of the dequantized weights, not up to 15x larger), and one FMA per
/// pair multiplies with the activations, which are permuted once per chunk
/// for all the warp's rows. A chunk's 32 products are summed in f16 (16 per
/// lane of a pair), then in f32.
void foldHalfProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                      const ChunksInFlight &work, SmallVector<Value> &acc) {
  HalfPairs pairs(b, loc, p);
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
  // Elements `from` .. `from` + count - 1 of the vector `v`.
  auto slice = [&](Value v, int64_t from, int64_t count) {
    return vector::ShuffleOp::create(b, loc, v, v,
                                     llvm::to_vector(llvm::seq<int64_t>(from, from + count)))
        .getResult();
  };
  // The 8 f16 sums of a chunk, added in f16 to a pair, then in f32.
  auto total = [&](Value sums, Value acc) {
    Value four = arith::AddFOp::create(b, loc, slice(sums, 0, 4), slice(sums, 4, 4));
    Value two = arith::AddFOp::create(b, loc, slice(four, 0, 2), slice(four, 2, 2));
    for (int64_t i = 0; i < 2; ++i)
      acc = arith::AddFOp::create(
          b, loc, acc,
          arith::ExtFOp::create(
              b, loc, b.getF32Type(),
              vector::ExtractOp::create(b, loc, two, ArrayRef<int64_t>{i}).getResult()));
    return acc;
  };
  auto permuted = [&](int64_t m, const ChunksInFlight::Chunk &chunk) {
    return pairs.activations(chunkActivations(b, loc, p, f, chunk, m));
  };
  for (const ChunksInFlight::Chunk &chunk : work.chunks) {
    // Up to two tokens (16 registers each) permuted once for all the
    // warp's rows; more are reloaded per row (L1 hits).
    SmallVector<SmallVector<Value>> shared;
    bool share = p.m <= 2;
    for (int64_t m = 0; share && m < p.m; ++m)
      shared.push_back(permuted(m, chunk));
    for (int64_t r = 0; r < p.rowsPerWarp; ++r) {
      Value scale =
          arith::SelectOp::create(b, loc, chunk.valid, chunk.scales[r], pairs.half(0.0));
      SmallVector<Value> values =
          pairs.weights(chunk.words[r], pairs.offset(chunk.zeros[r]), scale);
      for (int64_t m = 0; m < p.m; ++m) {
        SmallVector<Value> a = share ? shared[m] : permuted(m, chunk);
        Value sums = arith::MulFOp::create(b, loc, values[0], a[0], contract);
        for (int64_t q = 1; q < 4; ++q)
          sums = arith::AddFOp::create(
              b, loc, sums, arith::MulFOp::create(b, loc, values[q], a[q], contract),
              contract);
        acc[r * p.m + m] = total(sums, acc[r * p.m + m]);
      }
    }
  }
}

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
  /// Where consumer warp `warp` leaves its lanes' four sums (tensor cores):
  /// after the barriers.
  Value partialSums(Value warp) {
    return sharedPointer(
        e, e.add(e.add(ring, p.barrierOffset() + 16 * p.ringSlots),
                 e.mul(e.add(e.mul(warp, kWarpThreads), lane), 16)));
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
    MLIRContext *ctx = e.b.getContext();
    NVVM::FenceProxyOp::create(
        e.b, e.loc, NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
        NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
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
                       e.add(e.mul(token, p.tileCodes() * 2), e.mul(code, 2)));
    SmallVector<Value> vectors;
    for (int64_t v = 0; v < count; ++v)
      vectors.push_back(LLVM::LoadOp::create(
          e.b, e.loc, VectorType::get({p.actLanes()}, p.actType),
          sharedPointer(e, e.add(base, 16 * v)), /*alignment=*/16));
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
        SmallVector<Value> folded(acc);
        fold(b, loc, p, f, work, folded);
        llvm::copy(folded, acc.begin());
      });
  storeRowSums(b, loc, p, t.y, t.lane, outputRows, results, /*firstRowInside=*/false);
}

/// tma_gemv on tensor cores (`mma = [16, 8, 16]`): the block's 16 rows are
/// mma.sync m16n8k16's M and up to 8 tokens its N. A K tile is 8 quads of 4
/// chunks (128 codes, one scale group); warp w takes quads 2w and 2w + 1
/// (box w). Lane 4g + t reads chunk 4q + t of rows pi(g) and pi(g) + 8,
/// pi(g) = g / 2 + 4 (g % 2) (the two rows of a quarter-warp then differ in
/// bit 2 of the swizzle: no bank conflicts), decodes them to unscaled f16
/// pairs (HalfPairs) and gives word j's pairs to two mma steps, with the
/// activations of token g (clamped to M - 1) in the same order as B. Each
/// quad's 8 mmas start from zero, the quad's scales multiply their f32
/// sums; each thread leaves its sums in shared memory for
/// storeTensorCoreSums.
void consumeOnTensorCores(TmaBlock &t) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const GemvProblem &p = t.p;
  const GemvFrame &f = t.f;
  HalfPairs pairs(b, loc, p);
  Type f32 = b.getF32Type(), f16 = b.getF16Type();
  auto minIndex = [&](Value v, int64_t bound) {
    return arith::MinUIOp::create(b, loc, v, e.idx(bound)).getResult();
  };
  Value g = e.div(t.lane, 4), quadLane = e.rem(t.lane, 4);
  Value rowA = e.add(e.div(g, 2), e.mul(e.rem(g, 2), 4));
  SmallVector<Value, 2> localRows = {rowA, e.add(rowA, 8)}, scaleRows;
  for (Value row : localRows)
    scaleRows.push_back(minIndex(e.add(t.row0, row), p.n - 1));
  Value token = minIndex(g, p.m - 1);
  // Chunk 4 (2w + u) + t of K tile `tile`: quad u of this warp.
  auto chunkOf = [&](Value tile, int64_t u) {
    return e.add(e.add(e.mul(tile, kWarpThreads), e.mul(t.warp, 8)), e.add(quadLane, 4 * u));
  };
  auto firstCode = [&](Value tile, int64_t u) {
    return e.mul(minIndex(chunkOf(tile, u), p.rowChunks() - 1), p.codesPerChunk());
  };
  // A K tile's scales and zero points (both quads), loaded a tile ahead;
  // its activations come with its weights into the ring.
  auto loadOperands = [&](Value tile) {
    SmallVector<Value> values;
    for (int64_t u = 0; u < 2; ++u) {
      Value k0 = firstCode(tile, u);
      for (Value n : scaleRows)
        values.push_back(memref::LoadOp::create(b, loc, f.s, scaleIndices(b, loc, p, n, k0)));
      if (f.z)
        for (Value n : scaleRows)
          values.push_back(
              memref::LoadOp::create(b, loc, f.z, scaleIndices(b, loc, p, n, k0)));
    }
    return values;
  };
  auto pairType = VectorType::get({2}, f16);
  auto wordPair = [&](Value v, int64_t j) {
    return vector::ShuffleOp::create(b, loc, pairType, v, v, ArrayRef<int64_t>{2 * j, 2 * j + 1})
        .getResult();
  };
  auto fragment = [&](ArrayRef<Value> parts) {
    Value frag = ub::PoisonOp::create(b, loc, VectorType::get({int64_t(parts.size()), 2}, f16));
    for (auto [i, part] : llvm::enumerate(parts))
      frag = vector::InsertOp::create(b, loc, part, frag, ArrayRef<int64_t>{int64_t(i)});
    return frag;
  };
  auto accType = VectorType::get({2, 2}, f32);
  Value zeroAcc = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, 0.0f));
  // A K tile whose last chunks are past the row: those multiply zeros.
  bool tail = p.rowChunks() % kWarpThreads != 0;

  SmallVector<Value> results = t.consumeTiles(
      4, loadOperands,
      [&](Value tile, Value stage, ValueRange loaded, MutableArrayRef<Value> acc) {
    size_t at = 0;
    for (int64_t u = 0; u < 2; ++u) {
      SmallVector<Value, 2> scales, zeros;
      for (int64_t r = 0; r < 2; ++r)
        scales.push_back(loaded[at++]);
      for (int64_t r = 0; r < 2; ++r)
        zeros.push_back(f.z ? loaded[at++] : Value());
      Value code = e.mul(e.add(e.mul(t.warp, 8), e.add(quadLane, 4 * u)), p.codesPerChunk());
      SmallVector<Value> x = pairs.activations(
          t.loadActivations(stage, token, code, p.codesPerChunk() / p.actLanes()));
      if (tail) {
        Value valid = e.lt(chunkOf(tile, u), p.rowChunks());
        Value zero = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(pairs.halves, APFloat::getZero(APFloat::IEEEhalf())));
        for (Value &pair : x)
          pair = arith::SelectOp::create(b, loc, valid, pair, zero);
      }
      SmallVector<SmallVector<Value>> w;
      for (int64_t r = 0; r < 2; ++r)
        w.push_back(pairs.weights(
            t.loadChunk(stage, t.warp, localRows[r], e.add(quadLane, 4 * u)),
            pairs.offset(zeros[r]), Value()));
      // Word j's pairs 2s and 2s + 1 are K 2t, 2t + 1 and 2t + 8, 2t + 9 of
      // mma step (j, s). Four chains of two steps (by s and j % 2), so that
      // the steps do not wait on one another's accumulators.
      SmallVector<Value, 4> chains(4, zeroAcc);
      for (int64_t j = 0; j < 4; ++j)
        for (int64_t s = 0; s < 2; ++s) {
          Value a = fragment({wordPair(w[0][2 * s], j), wordPair(w[1][2 * s], j),
                              wordPair(w[0][2 * s + 1], j), wordPair(w[1][2 * s + 1], j)});
          Value bFrag = fragment({wordPair(x[2 * s], j), wordPair(x[2 * s + 1], j)});
          Value &chain = chains[2 * s + j % 2];
          chain = nvgpu::MmaSyncOp::create(b, loc, a, bFrag, chain, ArrayRef<int64_t>{16, 8, 16});
        }
      Value sum = arith::AddFOp::create(b, loc, arith::AddFOp::create(b, loc, chains[0], chains[1]),
                                        arith::AddFOp::create(b, loc, chains[2], chains[3]));
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t h = 0; h < 2; ++h) {
          Value part = vector::ExtractOp::create(b, loc, sum, ArrayRef<int64_t>{r, h});
          acc[2 * r + h] = fma(b, loc, part, toF32(b, loc, scales[r]), acc[2 * r + h]);
        }
    }
  });

  // The four warps' sums meet in shared memory (storeTensorCoreSums).
  Value mine = ub::PoisonOp::create(b, loc, VectorType::get({4}, f32));
  for (int64_t c = 0; c < 4; ++c)
    mine = vector::InsertOp::create(b, loc, results[c], mine, ArrayRef<int64_t>{c});
  LLVM::StoreOp::create(b, loc, mine, t.partialSums(t.warp), /*alignment=*/16);
}

/// After a block barrier: warp 0 of a tensor-core tma_gemv adds the four
/// consumer warps' sums and stores rows pi(g), pi(g) + 8 of tokens 2t and
/// 2t + 1 (lane 4g + t). A barrier of the consumer warps only (a named
/// barrier of 128 threads) is not enough: the producer warp's threads that
/// have exited may count towards it.
void storeTensorCoreSums(TmaBlock &t) {
  Emitter &e = t.e;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const GemvProblem &p = t.p;
  ifThen(e, e.eq(t.warp, 0), [&] {
    auto sumsType = VectorType::get({4}, b.getF32Type());
    Value total = LLVM::LoadOp::create(b, loc, sumsType, t.partialSums(e.idx(0)), 16);
    for (int64_t w = 1; w < kWarpsPerBlock; ++w)
      total = arith::AddFOp::create(
          b, loc, total, LLVM::LoadOp::create(b, loc, sumsType, t.partialSums(e.idx(w)), 16));
    Value g = e.div(t.lane, 4), quadLane = e.rem(t.lane, 4);
    Value rowA = e.add(e.div(g, 2), e.mul(e.rem(g, 2), 4));
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        Value row = e.add(e.add(t.row0, rowA), 8 * r);
        Value token = e.add(e.mul(quadLane, 2), h);
        Value inside = arith::AndIOp::create(b, loc, e.lt(row, p.n), e.lt(token, p.m));
        ifThen(e, inside, [&] {
          Value value = vector::ExtractOp::create(b, loc, total, ArrayRef<int64_t>{2 * r + h});
          SmallVector<Value, 2> at = {token, row};
          if (p.splitK > 1) {
            memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, value, t.y, at);
            return;
          }
          if (!p.resultType.isF32())
            value = arith::TruncFOp::create(b, loc, p.resultType, value);
          memref::StoreOp::create(b, loc, value, t.y, at);
        });
      }
  });
}

/// The tma_gemv kernel (sm_90): four consumer warps and one producer warp.
/// The producer's lane 0 copies the block's rows 512 bytes of K at a time
/// (four [rows, 128-byte] TMA boxes, 128-byte swizzle) into a ring of
/// `stages` slots: bytes in flight no longer sit in registers, so a few
/// warps per SM keep enough of them to stream at the memory's rate. Each
/// slot has a `full` mbarrier (the producer's expected bytes) and an
/// `empty` one (every consumer thread arrives once it has read the slot);
/// waits use the parity of the slot's round. The consumers compute on CUDA
/// cores or tensor cores.
::mlir::gpu::GPUFuncOp buildTmaKernel(OpBuilder &b, Location loc, StringRef name,
                                      const GemvProblem &p, ChunkFold fold) {
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
  t.y = body.getArgument(params.size() - 2);
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

  auto roles = scf::IfOp::create(b, loc, e.eq(t.warp, kWarpsPerBlock), /*withElse=*/true);
  b.setInsertionPointToStart(&roles.getThenRegion().front());
  Value xAddress = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, t.f.x);
  ifThen(e, e.eq(t.lane, 0), [&] {
    auto loop = scf::ForOp::create(b, loc, e.idx(0), t.count, e.idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value stage = e.rem(i, p.ringSlots), round = e.div(i, p.ringSlots);
    // The slot's previous round has been read (round 0 waits on the phase
    // before the first, which counts as complete).
    waitParity(e, t.empty(stage), arith::XOrIOp::create(b, loc, e.rem(round, 2), e.idx(1)));
    Value full = t.full(stage);
    Value tile = e.add(t.first, i);
    // On tensor cores each token's activations of the tile follow (one bulk
    // copy each, up to K).
    Value activationBytes = e.idx(0);
    Value tileCode = e.mul(tile, p.tileCodes());
    if (p.tensorCores)
      activationBytes = e.mul(arith::MinUIOp::create(b, loc, e.idx(p.tileCodes()),
                                                     arith::SubIOp::create(b, loc, e.idx(p.k),
                                                                           tileCode)),
                              2 * p.m);
    NVVM::MBarrierArriveExpectTxOp::create(
        b, loc, Type(), full, e.toI32(e.add(activationBytes, p.weightBytes())),
        NVVM::MemScopeKind::CTA, false, Value());
    for (int64_t m = 0; p.tensorCores && m < p.m; ++m) {
      Value source = e.add(xAddress, e.mul(e.add(tileCode, m * p.k), 2));
      NVVM::CpAsyncBulkGlobalToSharedClusterOp::create(
          b, loc,
          clusterPointer(e, e.add(e.add(t.slot(stage), p.weightBytes()), m * p.tileCodes() * 2)),
          LLVM::AddrSpaceCastOp::create(
              b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1),
              LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                       e.toI64(source))),
          full, e.toI32(e.div(activationBytes, p.m)), Value(), Value());
    }
    Value kByte = e.mul(tile, kTmaSlotRowBytes);
    for (int64_t box = 0; box < kTmaSlotRowBytes / kTmaBoxBytes; ++box)
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, clusterPointer(e, e.add(t.slot(stage), box * p.rowsPerBlock * kTmaBoxBytes)),
          tensorMap, ValueRange{e.toI32(e.add(kByte, box * kTmaBoxBytes)), e.toI32(t.row0)},
          full, ValueRange{}, Value(), Value(), NVVM::TMALoadMode::TILE, false,
          NVVM::CTAGroupKindAttr(), Value());
  });

  b.setInsertionPointToStart(&roles.getElseRegion().front());
  if (p.tensorCores)
    consumeOnTensorCores(t);
  else
    consumeOnCudaCores(t, fold);
  b.setInsertionPointAfter(roles);
  if (p.tensorCores) {
    ::mlir::gpu::BarrierOp::create(b, loc);
    storeTensorCoreSums(t);
  }
  b.setInsertionPointToEnd(&body);
  ::mlir::gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildGemvKernel(OpBuilder &b, MatmulOp op,
                                                      lowbit::gpu::ConfigAttr config,
                                                      StringRef name) {
  FailureOr<GemvProblem> problem = analyze(op, config);
  if (failed(problem))
    return failure();
  ChunkFold fold = problem->halfProducts ? foldHalfProducts : foldFloatProducts;
  if (problem->tma)
    buildTmaKernel(b, op.getLoc(), name, *problem, fold);
  else if (problem->vectorized)
    buildStreamingLoop(b, op.getLoc(), name, *problem, fold);
  else
    buildByteKernel(b, op.getLoc(), name, *problem);
  KernelLaunch launch;
  launch.params = {"input", "weight", "weight_scales"};
  if (problem->hasZeroPoints)
    launch.params.push_back("weight_zero_points");
  launch.params.push_back("result");
  launch.grid = {int64_t(llvm::divideCeil(problem->n, problem->rowsPerBlock)), problem->splitK, 1};
  launch.block = {kWarpThreads * (kWarpsPerBlock + (problem->tma ? 1 : 0)), 1, 1};
  if (problem->tma)
    launch.tensorMaps = {TensorMapDesc{1, problem->n, problem->rowBytes(),
                                       problem->rowsPerBlock, kTmaBoxBytes}};
  launch.zeroResult = problem->splitK > 1;
  launch.sharedBytes = problem->sharedBytes();
  return launch;
}
