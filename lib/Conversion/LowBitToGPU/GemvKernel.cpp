//===- GemvKernel.cpp - the splitk_gemv strategy ---------------------------===//
//
// Split-K streaming GEMV for decode shapes
// (`splitk_gemv` configs). Each warp owns output rows; its lanes walk the
// row's weight bytes, dequantize in registers (4-bit codes unpacked with
// shifts), multiply with the activations and reduce with shuffles. K splits
// run on grid.y and meet in the result with atomic adds.
//
// The kernel goes into `gpu.module @lowbit_kernels` with bare-pointer
// parameters (input, weight bytes, scales, [zero points], result); the matmul
// gets a `lowbit_gpu.kernel` attribute saying how to launch it.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <string>

using namespace mlir;
using namespace mlir::lowbit;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpsPerBlock = 4;

/// What the GEMV kernel needs to know about one matmul.
struct GemvProblem {
  int64_t m, n, k, splitK, rowsPerBlock;
  Type actType, scaleType, resultType;
  unsigned codeBits; // 4 (two codes per byte) or 8
  bool unsignedCodes, hasZeroPoints;
  Granularity granularity;
  int64_t groupSize;
  int64_t scaleRows, scaleCols;
  /// Whole 16-byte chunks per row and scale groups of whole chunks: the
  /// streaming path (16-byte loads, dequantization by exponent tricks).
  bool vectorized = false;
  /// 16-byte chunks each lane loads before using the first (the config's
  /// `stages`): the bytes in flight that hide memory latency.
  int64_t chunksInFlight = 4;

  int64_t rowBytes() const { return k * codeBits / 8; }
  int64_t codesPerChunk() const { return 128 / codeBits; }
};

/// Checks that this version can generate the op, with a message saying what
/// is not supported yet when it cannot.
FailureOr<GemvProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError() << "GPU code generation does not support " << what
                            << " yet (supported: the splitk_gemv strategy with "
                               "f16/bf16/f32 activations and i4 (packed) or i8 "
                               "weights, per-tensor/channel/group scales, "
                               "optional integer zero points)";
  };
  if (config.getStrategy() != lowbit::gpu::Strategy::SplitKGemv)
    return unsupported("the " +
                       lowbit::gpu::stringifyStrategy(config.getStrategy()) + " strategy");
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  RankedTensorType result = op.getResult().getType();
  if (!input.hasStaticShape())
    return unsupported("a dynamic M");
  GemvProblem p;
  p.m = input.getDimSize(0);
  p.n = weight.getDimSize(0);
  p.k = weight.getDimSize(1);
  p.splitK = config.getSplitK();
  p.rowsPerBlock = config.getBlock()[1];
  p.chunksInFlight = config.getStages();
  if (p.chunksInFlight > 16)
    return op.emitOpError() << "splitk_gemv stages (16-byte chunks each lane has in flight) "
                               "must be at most 16, not "
                            << p.chunksInFlight;
  p.actType = input.getElementType();
  p.resultType = result.getElementType();
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.actType))
    return unsupported(Twine("quantized activations"));
  QuantSchemeAttr scheme = op.getWeightScheme();
  if (scheme.getCodebook() || scheme.getOuterScaleType() ||
      scheme.getZeroPoint() == ZeroPointKind::Float)
    return unsupported("codebooks, two-level scales or float zero points");
  Type code = scheme.getStorage();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool packed = layout && layout.getKind() == LayoutKind::Packed;
  if (code.isInteger(4) && packed && p.k % 2 == 0)
    p.codeBits = 4;
  else if (code.isInteger(8) && (!layout || packed))
    p.codeBits = 8;
  else
    return unsupported("these weight codes or this layout (" +
                       Twine(typeString(weight)) + ")");
  p.unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
  p.hasZeroPoints = scheme.hasZeroPoints();
  p.granularity = scheme.getGranularity();
  p.groupSize = scheme.getGroupSize();
  bool axisOk = (p.granularity == Granularity::PerTensor) ||
                (p.granularity == Granularity::PerChannel && scheme.getAxis() == 0) ||
                (p.granularity == Granularity::PerGroup && scheme.getAxis() == 1 &&
                 p.groupSize % 2 == 0);
  if (!axisOk)
    return unsupported("this scale granularity");
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  p.scaleType = scales.getElementType();
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.scaleType))
    return unsupported("scales of type " + Twine(typeString(p.scaleType)));
  p.scaleRows = scales.getDimSize(0);
  p.scaleCols = scales.getDimSize(1);
  int64_t actBits = p.actType.getIntOrFloatBitWidth();
  p.vectorized = p.rowBytes() % 16 == 0 && p.k % (128 / actBits) == 0 &&
                 (p.granularity != Granularity::PerGroup ||
                  p.groupSize % p.codesPerChunk() == 0);
  if (p.splitK > 1 && !p.resultType.isF32())
    return op.emitOpError()
           << "split_k = " << p.splitK
           << " accumulates with f32 atomics and needs an f32 result; use "
              "split_k = 1 for a "
           << p.resultType << " result";
  if (p.rowsPerBlock % kWarpsPerBlock != 0)
    return op.emitOpError() << "the block tile's N (" << p.rowsPerBlock
                            << ") must be a multiple of " << kWarpsPerBlock;
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

/// Value of a code held in the low `bits` bits of an i8, as f32.
Value codeValue(OpBuilder &b, Location loc, Value byte, unsigned bits,
                bool isUnsigned) {
  Value code = byte;
  if (bits == 4) {
    Value four = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 4);
    code = isUnsigned
               ? arith::AndIOp::create(
                     b, loc, byte,
                     arith::ConstantIntOp::create(b, loc, b.getI8Type(), 15))
                     .getResult()
               : arith::ShRSIOp::create(
                     b, loc, arith::ShLIOp::create(b, loc, byte, four), four)
                     .getResult();
  }
  if (isUnsigned)
    return arith::UIToFPOp::create(b, loc, b.getF32Type(), code);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), code);
}

/// What a row body sees of the kernel around it.
struct GemvFrame {
  Value x, w, s, z; // z is null without zero points
  Value n;          // the output row
  Value begin, end; // this lane's first unit of the row, and the split's end
};

/// Reads the scale (as f32, times `valid`) and the zero point (as f32, or
/// null) that the codes starting at `k0` of row `n` use.
std::pair<Value, Value> scaleAndZero(OpBuilder &b, Location loc,
                                     const GemvProblem &p, const GemvFrame &f,
                                     Value k0) {
  Value row = p.granularity == Granularity::PerTensor ? index(b, loc, 0) : f.n;
  Value col = p.granularity == Granularity::PerGroup
                  ? arith::DivUIOp::create(b, loc, k0, index(b, loc, p.groupSize))
                        .getResult()
                  : index(b, loc, 0);
  Value scale = toF32(b, loc, memref::LoadOp::create(b, loc, f.s, ValueRange{row, col}));
  Value zero = f.z ? codeValue(b, loc,
                               memref::LoadOp::create(b, loc, f.z, ValueRange{row, col}),
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

/// The skeleton both GEMV variants share: parameters (input as `xType`,
/// weight as `wType`, scales, zero points, result), four warps per block, a
/// block's rows spread over its warps, the block's K slice of `units` units
/// per row (split on grid.y), and, after `rowBody` has produced one partial
/// sum per token for the lane's units, the warp reduction and the store (or
/// the atomic add of a K split). `rowBody` walks units begin, begin + 32, ...
::mlir::gpu::GPUFuncOp
buildGemvSkeleton(OpBuilder &b, Location loc, StringRef name, const GemvProblem &p,
                Type xType, Type wType, int64_t units,
                function_ref<SmallVector<Value>(const GemvFrame &)> rowBody) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Type> params = {xType, wType,
                              MemRefType::get({p.scaleRows, p.scaleCols}, p.scaleType)};
  if (p.hasZeroPoints)
    params.push_back(MemRefType::get({p.scaleRows, p.scaleCols}, b.getI8Type()));
  params.push_back(MemRefType::get({p.m, p.n}, p.resultType));
  auto func = ::mlir::gpu::GPUFuncOp::create(b, loc, name,
                                             FunctionType::get(ctx, params, {}));
  func->setAttr(::mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(kWarpSize * kWarpsPerBlock), 1, 1}));
  Block &body = func.getBody().front();
  b.setInsertionPointToStart(&body);
  GemvFrame frame;
  frame.x = body.getArgument(0);
  frame.w = body.getArgument(1);
  frame.s = body.getArgument(2);
  frame.z = p.hasZeroPoints ? body.getArgument(3) : Value();
  Value y = body.getArguments().back();

  Value tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value bidX = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  Value bidY = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::y);
  Value warp = arith::DivUIOp::create(b, loc, tid, index(b, loc, kWarpSize));
  Value lane = arith::RemUIOp::create(b, loc, tid, index(b, loc, kWarpSize));
  int64_t perSplit = llvm::divideCeil(units, p.splitK);
  Value start = arith::MulIOp::create(b, loc, bidY, index(b, loc, perSplit));
  frame.end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, start, index(b, loc, perSplit)),
      index(b, loc, units));
  frame.begin = arith::AddIOp::create(b, loc, start, lane);
  Value rowBase = arith::MulIOp::create(b, loc, bidX, index(b, loc, p.rowsPerBlock));

  auto rows = scf::ForOp::create(b, loc, index(b, loc, 0),
                                 index(b, loc, p.rowsPerBlock),
                                 index(b, loc, kWarpsPerBlock));
  b.setInsertionPointToStart(rows.getBody());
  frame.n = arith::AddIOp::create(
      b, loc, rowBase, arith::AddIOp::create(b, loc, rows.getInductionVar(), warp));
  auto ifRow = scf::IfOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, frame.n,
                            index(b, loc, p.n)),
      /*withElse=*/false);
  b.setInsertionPointToStart(&ifRow.getThenRegion().front());
  SmallVector<Value> partial = rowBody(frame);

  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                        index(b, loc, 0));
  for (int64_t m = 0; m < p.m; ++m) {
    Value total = partial[m];
    for (int32_t offset = kWarpSize / 2; offset >= 1; offset /= 2) {
      auto shuffle = ::mlir::gpu::ShuffleOp::create(b, loc, total, offset, kWarpSize,
                                                    ::mlir::gpu::ShuffleMode::XOR);
      total = arith::AddFOp::create(b, loc, total, shuffle.getShuffleResult());
    }
    auto ifFirst = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifFirst.getThenRegion().front());
    ValueRange at{index(b, loc, m), frame.n};
    if (p.splitK > 1) {
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, total, y, at);
    } else {
      Value out = p.resultType.isF32()
                      ? total
                      : arith::TruncFOp::create(b, loc, p.resultType, total).getResult();
      memref::StoreOp::create(b, loc, out, y, at);
    }
  }
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
                                   index(b, loc, kWarpSize), zeros);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value byte = memref::LoadOp::create(b, loc, f.w,
                                        ValueRange{f.n, loop.getInductionVar()});
    int64_t codesPerByte = 8 / p.codeBits;
    Value k0 = arith::MulIOp::create(b, loc, loop.getInductionVar(),
                                     index(b, loc, codesPerByte));
    auto [scale, zeroPoint] = scaleAndZero(b, loc, p, f, k0);
    SmallVector<Value> values;
    for (int64_t i = 0; i < codesPerByte; ++i) {
      Value part = byte;
      if (i == 1) {
        Value four = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 4);
        part = p.unsignedCodes
                   ? arith::ShRUIOp::create(b, loc, byte, four).getResult()
                   : arith::ShRSIOp::create(b, loc, byte, four).getResult();
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

/// The streaming variant: each lane loads 16 bytes of its row at a time (32
/// 4-bit or 16 8-bit codes), `stages` such chunks in flight, turns each code into
/// a float without an int-to-float conversion (code | 0x4B000000 is the float
/// 2^23 + code, so subtracting 2^23 + bias + zero point leaves the value), and
/// multiplies it with activations loaded 16 bytes at a time, for all M tokens.
::mlir::gpu::GPUFuncOp buildStreamingKernel(OpBuilder &b, Location loc,
                                           StringRef name, const GemvProblem &p) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  int64_t actLanes = 128 / p.actType.getIntOrFloatBitWidth();
  int64_t chunks = p.rowBytes() / 16;
  auto actVector = VectorType::get({actLanes}, p.actType);
  Type xType = MemRefType::get({p.m, p.k / actLanes}, actVector);
  Type wType = MemRefType::get({p.n, chunks}, VectorType::get({4}, i32));
  auto i32Const = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i32, v).getResult();
  };
  return buildGemvSkeleton(b, loc, name, p, xType, wType, chunks,
                         [&](const GemvFrame &f) -> SmallVector<Value> {
    // Chunks past the end re-read the last chunk and count with a zero scale.
    int64_t kUnroll = p.chunksInFlight;
    SmallVector<Value> zeros(p.m, f32Const(b, loc, 0.0));
    auto loop = scf::ForOp::create(b, loc, f.begin, f.end,
                                   index(b, loc, kWarpSize * kUnroll), zeros);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value last = arith::SubIOp::create(b, loc, f.end, index(b, loc, 1));
    struct Chunk {
      Value k0, words, scale, offset;
    };
    SmallVector<Chunk> work;
    double bias = p.unsignedCodes ? 0.0 : double(int64_t(1) << (p.codeBits - 1));
    for (int64_t u = 0; u < kUnroll; ++u) {
      Value c = arith::AddIOp::create(b, loc, loop.getInductionVar(),
                                      index(b, loc, u * kWarpSize));
      Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, c, f.end);
      c = arith::MinUIOp::create(b, loc, c, last);
      Chunk chunk;
      chunk.words = memref::LoadOp::create(b, loc, f.w, ValueRange{f.n, c});
      chunk.k0 = arith::MulIOp::create(b, loc, c, index(b, loc, p.codesPerChunk()));
      auto [scale, zeroPoint] = scaleAndZero(b, loc, p, f, chunk.k0);
      chunk.scale = arith::SelectOp::create(b, loc, valid, scale, f32Const(b, loc, 0.0));
      chunk.offset = f32Const(b, loc, 8388608.0 + bias);
      if (zeroPoint)
        chunk.offset = arith::AddFOp::create(b, loc, chunk.offset, zeroPoint);
      work.push_back(chunk);
    }
    int64_t perWord = 32 / p.codeBits;
    uint32_t mask = (1u << p.codeBits) - 1;
    uint32_t flip = p.unsignedCodes ? 0u : (p.codeBits == 4 ? 0x88888888u : 0x80808080u);
    SmallVector<Value> acc(loop.getRegionIterArgs());
    for (const Chunk &chunk : work) {
      SmallVector<Value> values;
      for (int64_t j = 0; j < 4; ++j) {
        Value word = vector::ExtractOp::create(b, loc, chunk.words, ArrayRef<int64_t>{j});
        if (flip)
          word = arith::XOrIOp::create(b, loc, word, i32Const(int32_t(flip)));
        for (int64_t i = 0; i < perWord; ++i) {
          Value bits = i ? arith::ShRUIOp::create(b, loc, word, i32Const(i * p.codeBits))
                               .getResult()
                         : word;
          bits = arith::AndIOp::create(b, loc, bits, i32Const(mask));
          bits = arith::OrIOp::create(b, loc, bits, i32Const(0x4B000000));
          Value asFloat = arith::BitcastOp::create(b, loc, f32, bits);
          values.push_back(arith::SubFOp::create(b, loc, asFloat, chunk.offset));
        }
      }
      Value xBase = arith::DivUIOp::create(b, loc, chunk.k0, index(b, loc, actLanes));
      for (int64_t m = 0; m < p.m; ++m) {
        Value sum = f32Const(b, loc, 0.0);
        for (int64_t q = 0; q < p.codesPerChunk() / actLanes; ++q) {
          Value xv = memref::LoadOp::create(
              b, loc, f.x,
              ValueRange{index(b, loc, m),
                         arith::AddIOp::create(b, loc, xBase, index(b, loc, q))});
          for (int64_t e = 0; e < actLanes; ++e) {
            Value a = toF32(b, loc,
                            vector::ExtractOp::create(b, loc, xv, ArrayRef<int64_t>{e}));
            sum = fma(b, loc, values[q * actLanes + e], a, sum);
          }
        }
        acc[m] = fma(b, loc, sum, chunk.scale, acc[m]);
      }
    }
    scf::YieldOp::create(b, loc, acc);
    return SmallVector<Value>(loop.getResults());
  });
}

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildGemvKernel(OpBuilder &b, MatmulOp op,
                                                      lowbit::gpu::ConfigAttr config,
                                                      StringRef name) {
  FailureOr<GemvProblem> problem = analyze(op, config);
  if (failed(problem))
    return failure();
  if (problem->vectorized)
    buildStreamingKernel(b, op.getLoc(), name, *problem);
  else
    buildByteKernel(b, op.getLoc(), name, *problem);
  KernelLaunch launch;
  launch.params = {"input", "weight", "weight_scales"};
  if (problem->hasZeroPoints)
    launch.params.push_back("weight_zero_points");
  launch.params.push_back("result");
  launch.grid = {llvm::divideCeil(problem->n, problem->rowsPerBlock), problem->splitK, 1};
  launch.block = {kWarpSize * kWarpsPerBlock, 1, 1};
  launch.zeroResult = problem->splitK > 1;
  return launch;
}
