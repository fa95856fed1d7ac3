//===- GemvKernel.cpp - the splitk_gemv strategy, and GEMV analysis --------===//
//
// GEMVs for decode shapes. `splitk_gemv`: each warp owns output rows; its
// lanes stream the row's weight bytes into registers, dequantize them there
// (4-bit codes unpacked with shifts), multiply with the activations and
// reduce with shuffles. K splits run on grid.y and meet in the result with
// atomic adds. Codes that index a table (codebooks such as NF4, FP4 e2m1 and
// FP8 weight codes) read their values from a copy of the table in shared
// memory. This file also analyzes the matmul and fills the launch for
// `tma_gemv` (TmaGemvKernel.cpp), which shares the products (Gemv.h).
//
// The kernel goes into `gpu.module @lowbit_kernels` with bare-pointer
// parameters (input, weight bytes, scales, [zero points], [input scales],
// result); the matmul
// gets a `lowbit_gpu.kernel` attribute saying how to launch it.
//
//===----------------------------------------------------------------------===//
#include "Gemv.h"

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
using namespace mlir::lowbit::gemv;

namespace {

/// Checks that this version can generate the op, with a message saying what
/// is not supported yet when it cannot.
FailureOr<GemvProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError() << "GPU code generation does not support " << what
                            << " yet (supported: the splitk_gemv strategy with "
                               "f16/bf16/f32 activations and i2 to i6 (packed) "
                               "or i8 weights, codebook and float codes of those "
                               "widths, per-tensor/channel/group scales "
                               "(f16/bf16/f32, or 8-bit float as MX e8m0), "
                               "optional integer zero points; tma_gemv also on "
                               "tensor cores, for int8 and e4m3 activations too)";
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
  if (input.getDimSize(0) > kMaxGemvTokens)
    return op.emitOpError() << "the " << lowbit::gpu::stringifyStrategy(config.getStrategy())
                            << " strategy takes at most " << kMaxGemvTokens
                            << " tokens (decode), not M = " << input.getDimSize(0)
                            << "; longer products run on mma_sync or wgmma";
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
  if (QuantSchemeAttr in = op.getInputSchemeAttr()) {
    // int8 or e4m3 codes with one scale per token or tensor: widened to f16
    // on tma_gemv's tensor cores (checked with the config below).
    Type code = in.getStorage();
    auto inScales = cast<RankedTensorType>(op.getInputScales().getType());
    if (!in.isByteCodeScaledPerRowOrTensor() ||
        !isa<Float16Type, BFloat16Type, Float32Type>(inScales.getElementType()))
      return unsupported("these quantized activations (int8 or e4m3 codes with f16, bf16 or "
                         "f32 scales per token or tensor run on tma_gemv's tensor cores)");
    p.quantizedInput = true;
    p.actType = code;
    p.inputScaleType = inScales.getElementType();
    p.inputScaleRows = inScales.getDimSize(0);
  } else if (!isa<Float16Type, BFloat16Type, Float32Type>(p.actType)) {
    return unsupported("activations of type " + Twine(typeString(p.actType)));
  }
  QuantSchemeAttr scheme = op.getWeightScheme();
  if (scheme.getOuterScaleType() || scheme.getZeroPoint() == ZeroPointKind::Float)
    return unsupported("two-level scales or float zero points");
  Type code = scheme.getStorage();
  unsigned bits = scheme.getBitWidth();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool packed = layout && layout.getKind() == LayoutKind::Packed;
  if (layout && bits == 4 && layout.isAwqInterleave())
    p.codeOrder = widening::ChunkOrder::Awq;
  else if (layout && bits == 4 && layout.isHalfFragmentInterleave())
    p.codeOrder = widening::ChunkOrder::HalfFragment;
  else if (layout && bits == 4 && layout.getKind() == LayoutKind::SignMagnitude)
    p.codeOrder = widening::ChunkOrder::SignMagnitude;
  if (std::optional<SmallVector<float>> table = scheme.getCodeValues())
    p.table = std::move(*table);
  if (!p.table.empty() && scheme.hasZeroPoints())
    return unsupported("zero points with table codes");
  bool byteCodes = code.isInteger(8) || (!p.table.empty() && bits == 8);
  if (((bits == 2 || bits == 4) && packed && p.k % (8 / bits) == 0) || p.interleavedCodes())
    p.codeBits = bits;
  else if (llvm::is_contained({3u, 5u, 6u}, bits) && packed)
    p.codeBits = bits; // the streaming path only (checked below)
  else if (byteCodes && (!layout || packed))
    p.codeBits = 8;
  else if ((bits == 2 || bits == 4) && packed)
    return unsupported("packed " + Twine(bits) + "-bit rows of K = " + Twine(p.k) +
                       " codes (rows of whole bytes: K a multiple of " + Twine(8 / bits) + ")");
  else if (bits < 8 && !layout)
    return unsupported(weightsWithoutLayout(bits));
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
  p.vectorized = p.k * p.codeBits % (8 * p.chunkBytes()) == 0 && p.k % p.actLanes() == 0 &&
                 (p.granularity != Granularity::PerGroup || p.groupSize % p.codesPerChunk() == 0);
  if (p.splitWordCodes() && (tma || !p.vectorized))
    return unsupported(Twine(p.codeBits) +
                       "-bit codes but on splitk_gemv's streaming path (K and the scale "
                       "group a multiple of 32, activations of whole 16-byte vectors)");
  p.halfProducts = p.vectorized && config.getMmaType().isF16() && p.actType.isF16() &&
                   p.codeBits == 4 && p.table.empty() && p.scaleType.isF16();
  // tma_gemv's tensor cores decode 4-bit integer codes exactly to the
  // activations' type (f16 or bf16, the mma type; f16 for int8 and e4m3
  // activations, which are widened to it) and scale their f32 sums; scale
  // groups shorter than their 128-code quads scale the decoded codes
  // instead, in that type, so those scales must be of it (an f32 or bf16
  // scale would be rounded, or overflow, in f16).
  bool fourBitIntegerChunks =
      p.vectorized && p.codeBits == 4 && p.table.empty() && p.scaleTable.empty();
  bool halfOperands =
      fourBitIntegerChunks && (isa<Float16Type, BFloat16Type>(p.actType) || p.quantizedInput) &&
      config.getMmaType() == p.halfType() && (p.quadScales() || p.scaleType == p.halfType());
  // Or on s8 (`mma = [16, 8, 32]`; `[1, 1, 1]` is CUDA cores): int8
  // activations and signed codes without zero points as they are, scaled
  // per quad.
  p.s8TensorCores = tma && config.getMma() == ArrayRef<int64_t>{16, 8, 32};
  if (p.s8TensorCores &&
      !(fourBitIntegerChunks && p.quantizedInput && p.actType.isInteger(8) && !p.unsignedCodes &&
        !p.hasZeroPoints && p.quadScales() && config.getMmaType().isInteger(8)))
    return unsupported("tma_gemv on s8 tensor cores (mma = [16, 8, 32], mma_type = i8) but "
                       "for up to 16 tokens of int8 activations, signed 4-bit codes without "
                       "zero points and scales per tensor, channel or group of a multiple of "
                       "128");
  bool tensorCoreConfig =
      tma && (config.getMma() == ArrayRef<int64_t>{16, 8, 16} || p.s8TensorCores);
  // The operands the configured tensor cores take (s8: checked above).
  bool tensorCoreOperands = p.s8TensorCores || halfOperands;
  if (p.quantizedInput && !tensorCoreConfig)
    return op.emitOpError()
           << "int8 and e4m3 activations run only on tma_gemv's tensor cores (mma = "
              "[16, 8, 16], mma_type = f16; int8 also on mma = [16, 8, 32], mma_type = i8)";
  // sign_magnitude codes (code / 512 as e4m3 bytes) become f16 pairs as
  // e4m3 activations do; the sums take each quad's scale, so that no
  // product of a scale and code / 512 is rounded in f16.
  if (p.signMagnitudeCodes() &&
      !(tensorCoreConfig && halfOperands && isa<Float8E4M3FNType>(p.actType) && !p.unsignedCodes &&
        !p.hasZeroPoints && p.quadScales()))
    return unsupported("sign_magnitude weights on the GEMVs but on tma_gemv's tensor cores "
                       "(mma = [16, 8, 16], mma_type = f16) with e4m3 activations, signed "
                       "codes without zero points and scales per tensor, channel or group of "
                       "a multiple of 128");
  if (p.interleavedCodes() && !p.halfProducts && !(tensorCoreConfig && tensorCoreOperands))
    return unsupported("the interleave layout except on the f16x2 path (f16 activations, "
                       "integer codes, f16 scales per tensor, channel or group of a "
                       "multiple of 32, K a multiple of 32, mma_type = f16) and "
                       "tma_gemv's tensor cores");
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
    p.tensorCores = tensorCoreConfig;
    if (p.tensorCores) {
      // Scale groups of whole chunks (`vectorized`): a multiple of 32 codes.
      if (!tensorCoreOperands)
        return unsupported("tma_gemv on tensor cores (mma = [16, 8, 16]) but for up to 16 "
                           "tokens of f16 or bf16 activations (the mma_type) or int8 or "
                           "e4m3 ones (mma_type f16), 4-bit integer codes and f16, bf16 "
                           "or f32 scales per tensor, channel or group of a multiple of "
                           "128 (of 32 with scales of the mma_type)");
      // A warp's rows are whole mma tiles; the block's row groups take one,
      // two or four warps each.
      p.rowsPerWarp = config.getWarp()[1];
      if (!llvm::is_contained(ArrayRef<int64_t>{16, 32, 64}, p.rowsPerWarp) ||
          p.rowsPerBlock % p.rowsPerWarp != 0 ||
          !llvm::is_contained(ArrayRef<int64_t>{1, 2, 4}, p.rowsPerBlock / p.rowsPerWarp))
        return op.emitOpError() << "tma_gemv on tensor cores computes 16, 32 or 64 rows per "
                                   "warp (warp N) and 1, 2 or 4 times that per block (block "
                                   "N); got block N "
                                << p.rowsPerBlock << ", warp N " << config.getWarp()[1];
    } else {
      // Every row of the block is in each ring slot, warp tile N rows per
      // warp; the swizzle repeats every 8 rows.
      p.rowsPerWarp = config.getWarp()[1];
      if (p.rowsPerBlock != kWarpsPerBlock * p.rowsPerWarp || p.rowsPerBlock % 8 != 0 ||
          p.rowsPerWarp > 16)
        return op.emitOpError() << "tma_gemv's warp tile N is the rows a warp computes (up "
                                   "to 16) and its block tile N "
                                << kWarpsPerBlock
                                << " times that, a multiple of 8; got block N "
                                << p.rowsPerBlock << ", warp N " << p.rowsPerWarp;
    }
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

} // namespace

namespace mlir::lowbit::gemv {

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value toF32(OpBuilder &b, Location loc, Value v) {
  return v.getType().isF32() ? v
                             : arith::ExtFOp::create(b, loc, b.getF32Type(), v)
                                   .getResult();
}

} // namespace mlir::lowbit::gemv

namespace {

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

} // namespace

namespace mlir::lowbit::gemv {

/// Value of a code held in the low `bits` bits of an i8, as f32.
Value codeValue(OpBuilder &b, Location loc, Value byte, unsigned bits,
                bool isUnsigned) {
  Value code = codeBits(b, loc, byte, bits, isUnsigned);
  if (isUnsigned)
    return arith::UIToFPOp::create(b, loc, b.getF32Type(), code);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), code);
}

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

} // namespace mlir::lowbit::gemv

namespace {

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

} // namespace

namespace mlir::lowbit::gemv {

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
  if (p.quantizedInput)
    params.push_back(MemRefType::get({p.inputScaleRows, 1}, p.inputScaleType));
  params.push_back(MemRefType::get({p.m, p.n}, p.resultType));
  return params;
}

void storeResult(OpBuilder &b, Location loc, const GemvProblem &p, Value y, Value sum,
                 ValueRange at) {
  if (p.splitK > 1) {
    memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, sum, y, at);
    return;
  }
  Value out = p.resultType.isF32()
                  ? sum
                  : arith::TruncFOp::create(b, loc, p.resultType, sum).getResult();
  memref::StoreOp::create(b, loc, out, y, at);
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
    storeResult(b, loc, p, y, total, {index(b, loc, m), outputRows[r]});
  }
}

} // namespace mlir::lowbit::gemv

namespace {

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

/// Chunk `c` of weight row `n` as a vector of its chunkWords() words: one
/// 16-byte load, or one load per word where codes straddle words.
Value loadChunkWords(OpBuilder &b, Location loc, const GemvProblem &p, Value w, Value n, Value c) {
  if (!p.splitWordCodes())
    return memref::LoadOp::create(b, loc, w, ValueRange{n, c});
  Value first = arith::MulIOp::create(b, loc, c, index(b, loc, p.chunkWords()));
  SmallVector<Value> words;
  for (int64_t j = 0; j < p.chunkWords(); ++j)
    words.push_back(memref::LoadOp::create(
        b, loc, w, ValueRange{n, arith::AddIOp::create(b, loc, first, index(b, loc, j))}));
  return vector::FromElementsOp::create(b, loc, VectorType::get({p.chunkWords()}, b.getI32Type()),
                                        words);
}

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
      chunk.words.push_back(loadChunkWords(b, loc, p, f.w, n, c));
      SmallVector<Value, 2> at = scaleIndices(b, loc, p, n, chunk.k0);
      chunk.scales.push_back(memref::LoadOp::create(b, loc, f.s, at));
      chunk.zeros.push_back(f.z ? memref::LoadOp::create(b, loc, f.z, at).getResult()
                                : Value());
    }
    loaded.chunks.push_back(std::move(chunk));
  }
  return loaded;
}

} // namespace

namespace mlir::lowbit::gemv {

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

} // namespace mlir::lowbit::gemv

namespace {

/// Token `m`'s activations of `chunk`: those loaded with it, else loaded now.
SmallVector<Value> chunkActivations(OpBuilder &b, Location loc, const GemvProblem &p,
                                    const GemvFrame &f, const ChunksInFlight::Chunk &chunk,
                                    int64_t m) {
  if (!chunk.activations.empty())
    return chunk.activations[m];
  return loadActivations(b, loc, p, f, index(b, loc, m), chunk.k0);
}

} // namespace

namespace mlir::lowbit::gemv {

/// The layouts of the streaming kernels' operands: the input as 16-byte
/// vectors of activations, the weight as 16-byte chunks of four words, or
/// as words where codes straddle them (chunks of `codeBits` words).
std::pair<Type, Type> streamingOperandTypes(OpBuilder &b, const GemvProblem &p) {
  // int8 and e4m3 activations as bytes.
  Type act = p.quantizedInput ? b.getI8Type() : p.actType;
  Type xType = MemRefType::get({p.m, p.k / p.actLanes()}, VectorType::get({p.actLanes()}, act));
  Type wType = p.splitWordCodes() ? MemRefType::get({p.n, p.rowBytes() / 4}, b.getI32Type())
                                  : MemRefType::get({p.n, p.rowBytes() / 16},
                                                    VectorType::get({4}, b.getI32Type()));
  return {xType, wType};
}

} // namespace mlir::lowbit::gemv

namespace {

/// The streaming kernel: each lane walks its 16-byte chunks of the warp's
/// rows, `stages` of each row in flight (loadChunks), and `fold` adds the
/// loaded chunks' products to the rowsPerWarp x M sums ([row * M + token]).
::mlir::gpu::GPUFuncOp buildStreamingLoop(
    OpBuilder &b, Location loc, StringRef name, const GemvProblem &p,
    ChunkFold fold) {
  auto [xType, wType] = streamingOperandTypes(b, p);
  return buildGemvSkeleton(
      b, loc, name, p, xType, wType, p.rowChunks(), [&](const GemvFrame &f) -> SmallVector<Value> {
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

} // namespace

namespace mlir::lowbit::gemv {

/// f32 products of the chunks in flight (the streaming kernels' default):
/// each code of a chunk (16 bytes: 64 2-bit, 32 4-bit or 16 8-bit codes; or
/// 32 codes of 3, 5 or 6 bits in as many words) becomes a float
/// without an int-to-float conversion (code | 0x4B000000 is the float 2^23 +
/// code, so subtracting 2^23 + bias + zero point leaves the value), or the
/// table's value of the code, and multiplies the activations of its K, for
/// all M tokens.
void foldFloatProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                       const ChunksInFlight &work, MutableArrayRef<Value> acc) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto i32Const = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i32, v).getResult();
  };
  int64_t rowsPerWarp = p.rowsPerWarp;
  double bias = p.unsignedCodes || !p.table.empty()
                    ? 0.0
                    : double(int64_t(1) << (p.codeBits - 1));
  int64_t bits = p.codeBits, words = p.chunkWords();
  uint32_t mask = (1u << bits) - 1;
  // Signed codes: their sign bits flipped make them unsigned with a bias
  // of half their range (the sign bit of every code of each word).
  SmallVector<uint32_t> flips(words, 0);
  if (!p.unsignedCodes && !f.table)
    for (int64_t i = 0; i < p.codesPerChunk(); ++i) {
      int64_t signBit = i * bits + bits - 1;
      flips[signBit / 32] |= 1u << (signBit % 32);
    }
  // The chunk's codes of one row as floats (code - bias - zero point, or
  // the table's value of the code). Code i is bits [i * bits, (i + 1) *
  // bits) of the chunk's words, low bits first; a code that straddles two
  // words takes its high bits from the second.
  auto decode = [&](Value chunkWords, Value offset) {
    SmallVector<Value> word(words);
    auto wordAt = [&](int64_t j) {
      if (!word[j]) {
        word[j] = vector::ExtractOp::create(b, loc, chunkWords, ArrayRef<int64_t>{j});
        if (flips[j])
          word[j] = arith::XOrIOp::create(b, loc, word[j], i32Const(int32_t(flips[j])));
      }
      return word[j];
    };
    SmallVector<Value> values;
    for (int64_t i = 0; i < p.codesPerChunk(); ++i) {
      int64_t j = i * bits / 32, shift = i * bits % 32;
      Value code = shift ? arith::ShRUIOp::create(b, loc, wordAt(j), i32Const(shift)).getResult()
                         : wordAt(j);
      if (shift + bits > 32)
        code = arith::OrIOp::create(
            b, loc, code, arith::ShLIOp::create(b, loc, wordAt(j + 1), i32Const(32 - shift)));
      code = arith::AndIOp::create(b, loc, code, i32Const(mask));
      if (f.table) {
        values.push_back(tableValue(b, loc, f.table, code));
        continue;
      }
      code = arith::OrIOp::create(b, loc, code, i32Const(0x4B000000));
      Value asFloat = arith::BitcastOp::create(b, loc, f32, code);
      values.push_back(arith::SubFOp::create(b, loc, asFloat, offset));
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

/// f16x2 products of the chunks in flight (`halfProducts`): the codes as f16
/// pairs (HalfPairs), one multiply applies the scale (products are then
/// those of the dequantized weights, not up to 15x larger), and one FMA per
/// pair multiplies with the activations, which are permuted once per chunk
/// for all the warp's rows. A chunk's 32 products are summed in f16 (16 per
/// lane of a pair), then in f32.
void foldHalfProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                      const ChunksInFlight &work, MutableArrayRef<Value> acc) {
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
          arith::SelectOp::create(b, loc, chunk.valid, chunk.scales[r], pairs.constant(0.0));
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

} // namespace mlir::lowbit::gemv

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
  if (problem->quantizedInput)
    launch.params.push_back("input_scales");
  launch.params.push_back("result");
  launch.grid = {int64_t(llvm::divideCeil(problem->n, problem->rowsPerBlock)), problem->splitK, 1};
  launch.block = {kWarpThreads * (kWarpsPerBlock + (problem->tma ? 1 : 0)), 1, 1};
  if (problem->tma)
    launch.tensorMaps = {TensorMapDesc{1, problem->n, problem->rowBytes(),
                                       problem->rowsPerBlock, kTmaBoxBytes}};
  launch.zeroResult = problem->splitK > 1;
  launch.sharedBytes = problem->sharedBytes();
  launch.dependentLaunch = problem->tma; // awaitPreviousGrid
  return launch;
}
