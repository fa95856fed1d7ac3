//===- LowBitToLinalg.cpp - reference lowering of the lowbit dialect ------===//
//
// Every lowbit op becomes linalg.generic ops computing, in f32, exactly what
// the op's definition in docs/LowBitDialect.md says. Speed is not a goal:
// obviousness is. GPU kernels are correct when they agree with this.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Conversion/Passes.h"

#include "LowBit/IR/LowBitOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/APFloat.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_CONVERTLOWBITTOLINALGPASS
#include "lowbit/Conversion/Passes.h.inc"
} // namespace mlir::lowbit

using namespace mlir;
using namespace mlir::lowbit;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

/// Drops layout encodings and turns bipolar codes into integers of their width.
struct ReferenceTypeConverter : TypeConverter {
  ReferenceTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](BipolarType type) -> Type {
      return IntegerType::get(type.getContext(), type.getBits());
    });
    addConversion([this](RankedTensorType type) -> Type {
      return RankedTensorType::get(type.getShape(),
                                   convertType(type.getElementType()));
    });
  }
};

Type f32Type(OpBuilder &b) { return b.getF32Type(); }

Value f32Const(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// An empty tensor of `shape` (dynamic sizes read from `like`, which has the
/// same leading dims) and element type `elementType`.
Value emptyLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                Type elementType, Value like = Value()) {
  SmallVector<Value> dynamicSizes;
  for (auto [dim, size] : llvm::enumerate(shape))
    if (ShapedType::isDynamic(size))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, like, dim));
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
}

/// An empty [M, N] tensor of a product's result type `shape`: a dynamic M
/// is dim `mDim` of `mSource`, a dynamic N dim `nDim` of `nSource` (the
/// operands the sizes come from differ: emptyLike would read N from the
/// wrong one).
Value emptyProduct(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elementType,
                   Value mSource, int64_t mDim, Value nSource, int64_t nDim) {
  SmallVector<Value> dynamicSizes;
  if (ShapedType::isDynamic(shape[0]))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, mSource, mDim));
  if (ShapedType::isDynamic(shape[1]))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, nSource, nDim));
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
}

Value filled(OpBuilder &b, Location loc, Value empty, Value value) {
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

//===----------------------------------------------------------------------===//
// Code values
//===----------------------------------------------------------------------===//

Value tableConstant(OpBuilder &b, Location loc, ArrayRef<float> table) {
  auto type = RankedTensorType::get({int64_t(table.size())}, f32Type(b));
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, table));
}

/// Raw bits of a scalar code as a signless integer.
Value codeBits(OpBuilder &b, Location loc, Value code) {
  if (auto floatType = dyn_cast<FloatType>(code.getType()))
    return arith::BitcastOp::create(
        b, loc, b.getIntegerType(floatType.getWidth()), code);
  return code;
}

/// Reads scalars of some element type as f32: `table` decodes small floats.
struct ScalarReader {
  Type elementType;
  Value table; // set for small floats
  bool isUnsigned = false;

  static ScalarReader create(OpBuilder &b, Location loc, Type elementType,
                             bool isUnsigned = false) {
    ScalarReader reader{elementType, Value(), isUnsigned};
    if (auto floatType = dyn_cast<FloatType>(elementType))
      if (floatType.getWidth() <= 8)
        reader.table = tableConstant(b, loc, getSmallFloatValues(floatType));
    return reader;
  }

  Value read(OpBuilder &b, Location loc, Value scalar) const {
    Type type = scalar.getType();
    if (table) {
      Value index = arith::IndexCastUIOp::create(b, loc, b.getIndexType(),
                                                 codeBits(b, loc, scalar));
      return tensor::ExtractOp::create(b, loc, table, index);
    }
    if (type.isF32())
      return scalar;
    if (isa<FloatType>(type))
      return arith::ExtFOp::create(b, loc, f32Type(b), scalar);
    if (isUnsigned)
      return arith::UIToFPOp::create(b, loc, f32Type(b), scalar);
    return arith::SIToFPOp::create(b, loc, f32Type(b), scalar);
  }
};

Value fromF32(OpBuilder &b, Location loc, Value value, Type type) {
  if (type.isF32())
    return value;
  return arith::TruncFOp::create(b, loc, type, value);
}

//===----------------------------------------------------------------------===//
// Scale indexing
//===----------------------------------------------------------------------===//

/// The map from a tensor's indices to the indices of its scales: dimension d
/// goes to d floordiv block[d], or to 0 where one scale spans the dimension.
AffineMap scaleMap(MLIRContext *ctx, QuantSchemeAttr scheme, int64_t rank,
                   ArrayRef<AffineExpr> dims) {
  SmallVector<AffineExpr> results;
  for (int64_t d = 0; d < rank; ++d) {
    AffineExpr zero = getAffineConstantExpr(0, ctx);
    switch (scheme.getGranularity()) {
    case Granularity::PerTensor:
      results.push_back(zero);
      break;
    case Granularity::PerChannel:
      results.push_back(d == scheme.getAxis() ? dims[d] : zero);
      break;
    case Granularity::PerGroup:
    case Granularity::MXBlock:
      results.push_back(d == scheme.getAxis()
                            ? dims[d].floorDiv(scheme.getGroupSize())
                            : dims[d]);
      break;
    case Granularity::PerBlock:
      results.push_back(dims[d].floorDiv(scheme.getBlock()[d]));
      break;
    }
  }
  return AffineMap::get(dims.size(), 0, results, ctx);
}

/// The map to the outer (per-channel) scales of a two-level scheme.
AffineMap outerScaleMap(MLIRContext *ctx, QuantSchemeAttr scheme, int64_t rank,
                        ArrayRef<AffineExpr> dims) {
  SmallVector<AffineExpr> results;
  for (int64_t d = 0; d < rank; ++d)
    results.push_back(d == scheme.getAxis() ? getAffineConstantExpr(0, ctx)
                                            : dims[d]);
  return AffineMap::get(dims.size(), 0, results, ctx);
}

SmallVector<AffineExpr> dimExprs(MLIRContext *ctx, unsigned n) {
  SmallVector<AffineExpr> dims;
  for (unsigned i = 0; i < n; ++i)
    dims.push_back(getAffineDimExpr(i, ctx));
  return dims;
}

/// Scale operands of one scheme application, with their readers.
struct ScaleInputs {
  QuantSchemeAttr scheme;
  Value scales, zeroPoints, outerScales;

  /// Appends the operands and maps for an iteration space of `numDims` dims
  /// whose first `rank` are the tensor's.
  void append(MLIRContext *ctx, int64_t rank, unsigned numDims,
              SmallVectorImpl<Value> &inputs,
              SmallVectorImpl<AffineMap> &maps) const {
    SmallVector<AffineExpr> dims = dimExprs(ctx, numDims);
    ArrayRef<AffineExpr> tensorDims = ArrayRef(dims).take_front(rank);
    AffineMap map = scaleMap(ctx, scheme, rank, tensorDims);
    map = AffineMap::get(numDims, 0, map.getResults(), ctx);
    inputs.push_back(scales);
    maps.push_back(map);
    if (zeroPoints) {
      inputs.push_back(zeroPoints);
      maps.push_back(map);
    }
    if (outerScales) {
      AffineMap outer = outerScaleMap(ctx, scheme, rank, tensorDims);
      inputs.push_back(outerScales);
      maps.push_back(AffineMap::get(numDims, 0, outer.getResults(), ctx));
    }
  }

  /// Reads (scale * outer, zero point) as f32 from the block arguments that
  /// `append` added, starting at `args`.
  std::pair<Value, Value> read(OpBuilder &b, Location loc, ValueRange args,
                               const ScalarReader &scaleReader,
                               const ScalarReader &zeroReader,
                               const ScalarReader &outerReader) const {
    Value scale = scaleReader.read(b, loc, args[0]);
    size_t next = 1;
    Value zero = f32Const(b, loc, 0.0);
    if (zeroPoints)
      zero = zeroReader.read(b, loc, args[next++]);
    if (outerScales)
      scale = arith::MulFOp::create(b, loc, scale,
                                    outerReader.read(b, loc, args[next++]));
    return {scale, zero};
  }

  struct Readers {
    ScalarReader scale, zero, outer;
  };
  Readers readers(OpBuilder &b, Location loc) const {
    bool unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
    Readers r{ScalarReader::create(b, loc,
                                   getElementTypeOrSelf(scales.getType())),
              {}, {}};
    if (zeroPoints)
      r.zero = ScalarReader::create(
          b, loc, getElementTypeOrSelf(zeroPoints.getType()), unsignedCodes);
    if (outerScales)
      r.outer = ScalarReader::create(
          b, loc, getElementTypeOrSelf(outerScales.getType()));
    return r;
  }

  unsigned count() const {
    return 1 + (zeroPoints ? 1 : 0) + (outerScales ? 1 : 0);
  }
};

//===----------------------------------------------------------------------===//
// Dequantize and quantize
//===----------------------------------------------------------------------===//

/// x = (value(q) - z) * s * outer, as a tensor of `resultElement`.
Value emitDequantize(OpBuilder &b, Location loc, Value codes,
                     const ScaleInputs &scales, Type resultElement) {
  MLIRContext *ctx = b.getContext();
  auto codesType = cast<RankedTensorType>(codes.getType());
  int64_t rank = codesType.getRank();
  QuantSchemeAttr scheme = scales.scheme;
  std::optional<SmallVector<float>> table = scheme.getCodeValues();
  Value tableValue = table ? tableConstant(b, loc, *table) : Value();
  bool unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
  ScaleInputs::Readers readers = scales.readers(b, loc);

  SmallVector<Value> inputs = {codes};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  scales.append(ctx, rank, rank, inputs, maps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyLike(b, loc, codesType.getShape(), resultElement, codes);
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value value;
        if (tableValue) {
          Value index = arith::IndexCastUIOp::create(
              nb, nl, nb.getIndexType(), codeBits(nb, nl, args[0]));
          value = tensor::ExtractOp::create(nb, nl, tableValue, index);
        } else {
          value = ScalarReader{args[0].getType(), Value(), unsignedCodes}.read(
              nb, nl, args[0]);
        }
        auto [scale, zero] =
            scales.read(nb, nl, args.drop_front(1).take_front(scales.count()),
                        readers.scale, readers.zero, readers.outer);
        Value shifted = arith::SubFOp::create(nb, nl, value, zero);
        Value result = arith::MulFOp::create(nb, nl, shifted, scale);
        linalg::YieldOp::create(nb, nl,
                                fromF32(nb, nl, result, resultElement));
      });
  return generic.getResult(0);
}

/// Codes of `scheme` nearest to x / (s * outer) + z.
Value emitQuantize(OpBuilder &b, Location loc, Value input,
                   const ScaleInputs &scales, Type codeType) {
  MLIRContext *ctx = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  QuantSchemeAttr scheme = scales.scheme;
  ScaleInputs::Readers readers = scales.readers(b, loc);
  ScalarReader inputReader =
      ScalarReader::create(b, loc, inputType.getElementType());
  std::optional<SmallVector<float>> table = scheme.getCodeValues();
  unsigned bits = scheme.getBitWidth();
  Type rawType = b.getIntegerType(bits);

  // t = x / scale + zero, clamped to the code range.
  auto scaled = [&](OpBuilder &nb, Location nl, ValueRange args) {
    Value x = inputReader.read(nb, nl, args[0]);
    auto [scale, zero] =
        scales.read(nb, nl, args.drop_front(1).take_front(scales.count()),
                    readers.scale, readers.zero, readers.outer);
    return arith::AddFOp::create(nb, nl,
                                 arith::DivFOp::create(nb, nl, x, scale), zero)
        .getResult();
  };

  if (!table) {
    // Integer codes: clamp(roundeven(t)) in the signed or unsigned range.
    bool isUnsigned = scheme.getSignedness() == Signedness::Unsigned;
    double lo = isUnsigned ? 0 : -std::ldexp(1.0, bits - 1);
    double hi = isUnsigned ? std::ldexp(1.0, bits) - 1
                           : std::ldexp(1.0, bits - 1) - 1;
    SmallVector<Value> inputs = {input};
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
    scales.append(ctx, rank, rank, inputs, maps);
    maps.push_back(b.getMultiDimIdentityMap(rank));
    Value init = emptyLike(b, loc, inputType.getShape(), codeType, input);
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), inputs, init, maps,
        SmallVector<IteratorType>(rank, IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value t = math::RoundEvenOp::create(nb, nl, scaled(nb, nl, args));
          t = arith::MaximumFOp::create(nb, nl, t, f32Const(nb, nl, lo));
          t = arith::MinimumFOp::create(nb, nl, t, f32Const(nb, nl, hi));
          Value wide = arith::FPToSIOp::create(nb, nl, nb.getI32Type(), t);
          linalg::YieldOp::create(
              nb, nl, arith::TruncIOp::create(nb, nl, rawType, wide).getResult());
        });
    return generic.getResult(0);
  }

  // Table codes: argmin over all codes c of |table[c] - t|, ties to the even
  // code, non-finite entries never chosen; t is clamped to the finite range.
  float lo = INFINITY, hi = -INFINITY;
  for (float v : *table)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  Value tableValue = tableConstant(b, loc, *table);
  SmallVector<AffineExpr> dims = dimExprs(ctx, rank + 1);
  AffineMap identity =
      AffineMap::get(rank + 1, 0, ArrayRef(dims).take_front(rank), ctx);
  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {identity};
  scales.append(ctx, rank, rank + 1, inputs, maps);
  inputs.push_back(tableValue);
  maps.push_back(AffineMap::get(rank + 1, 0, dims[rank], ctx));
  maps.push_back(identity);
  maps.push_back(identity);
  Value bestDistance = filled(
      b, loc, emptyLike(b, loc, inputType.getShape(), f32Type(b), input),
      f32Const(b, loc, INFINITY));
  Value bestCode = filled(
      b, loc, emptyLike(b, loc, inputType.getShape(), b.getI32Type(), input),
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(1)));
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  auto search = linalg::GenericOp::create(
      b, loc, TypeRange{bestDistance.getType(), bestCode.getType()}, inputs,
      ValueRange{bestDistance, bestCode}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value t = scaled(nb, nl, args);
        t = arith::MaximumFOp::create(nb, nl, t, f32Const(nb, nl, lo));
        t = arith::MinimumFOp::create(nb, nl, t, f32Const(nb, nl, hi));
        Value candidate = args[1 + scales.count()];
        Value distance = math::AbsFOp::create(
            nb, nl, arith::SubFOp::create(nb, nl, candidate, t));
        Value code = arith::IndexCastOp::create(
            nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, rank));
        Value oldDistance = args[args.size() - 2], oldCode = args.back();
        Value one = arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(1));
        Value parity = arith::AndIOp::create(nb, nl, code, one);
        Value oldParity = arith::AndIOp::create(nb, nl, oldCode, one);
        // NaN distances compare false: non-finite codes never win.
        Value closer = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT,
                                             distance, oldDistance);
        Value tie = arith::AndIOp::create(
            nb, nl,
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, distance,
                                  oldDistance),
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, parity,
                                  oldParity));
        Value better = arith::OrIOp::create(nb, nl, closer, tie);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, better, distance,
                                               oldDistance),
                       arith::SelectOp::create(nb, nl, better, code, oldCode)});
      });

  // Raw code bits -> the code type.
  Value init = emptyLike(b, loc, inputType.getShape(), codeType, input);
  auto convert = linalg::GenericOp::create(
      b, loc, init.getType(), search.getResult(1), init,
      SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(rank)),
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value raw = arith::TruncIOp::create(nb, nl, rawType, args[0]);
        if (isa<FloatType>(codeType))
          raw = arith::BitcastOp::create(nb, nl, codeType, raw);
        linalg::YieldOp::create(nb, nl, raw);
      });
  return convert.getResult(0);
}

/// Real activations or weights as f32 (dequantized when `scheme` is set).
Value realOperand(OpBuilder &b, Location loc, Value value,
                  const std::optional<ScaleInputs> &scales) {
  if (scales)
    return emitDequantize(b, loc, value, *scales, f32Type(b));
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType().isF32())
    return value;
  ScalarReader reader = ScalarReader::create(b, loc, type.getElementType());
  int64_t rank = type.getRank();
  Value init = emptyLike(b, loc, type.getShape(), f32Type(b), value);
  return linalg::GenericOp::create(
             b, loc, init.getType(), value, init,
             SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(rank)),
             SmallVector<IteratorType>(rank, IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, reader.read(nb, nl, args[0]));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename Op>
struct LowBitPattern : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  RankedTensorType resultType(Op op) const {
    return cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getResult().getType()));
  }
};

struct QuantizeLowering : LowBitPattern<QuantizeOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ScaleInputs scales{op.getScheme(), adaptor.getScales(),
                       adaptor.getZeroPoints(), adaptor.getOuterScales()};
    rewriter.replaceOp(op, emitQuantize(rewriter, op.getLoc(), adaptor.getInput(),
                                        scales, resultType(op).getElementType()));
    return success();
  }
};

struct DequantizeLowering : LowBitPattern<DequantizeOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ScaleInputs scales{op.getScheme(), adaptor.getScales(),
                       adaptor.getZeroPoints(), adaptor.getOuterScales()};
    rewriter.replaceOp(op,
                       emitDequantize(rewriter, op.getLoc(), adaptor.getInput(),
                                      scales, resultType(op).getElementType()));
    return success();
  }
};

/// result[..., i] = source[..., perm[i]] (gather), or its inverse (scatter,
/// written as a search so that it stays a linalg.generic).
Value permuteChannels(OpBuilder &b, Location loc, Value source, Value perm,
                      bool inverse) {
  auto type = cast<RankedTensorType>(source.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = emptyLike(b, loc, type.getShape(), type.getElementType(), source);
  auto permIndex = [&](OpBuilder &nb, Location nl, Value value) {
    return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), value)
        .getResult();
  };
  if (!inverse) {
    SmallVector<AffineExpr> dims = dimExprs(ctx, rank);
    return linalg::GenericOp::create(
               b, loc, init.getType(), perm, init,
               {AffineMap::get(rank, 0, dims.back(), ctx),
                b.getMultiDimIdentityMap(rank)},
               SmallVector<IteratorType>(rank, IteratorType::parallel),
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 SmallVector<Value> indices;
                 for (int64_t d = 0; d + 1 < rank; ++d)
                   indices.push_back(linalg::IndexOp::create(nb, nl, d));
                 indices.push_back(
                     nb.getType<IndexType>() == args[0].getType()
                         ? args[0]
                         : permIndex(nb, nl, args[0]));
                 linalg::YieldOp::create(
                     nb, nl,
                     tensor::ExtractOp::create(nb, nl, source, indices)
                         .getResult());
               })
        .getResult(0);
  }
  // result[..., j] = source[..., i] for the i with perm[i] == j.
  SmallVector<AffineExpr> dims = dimExprs(ctx, rank + 1);
  SmallVector<AffineExpr> sourceDims(dims.begin(), dims.begin() + rank - 1);
  sourceDims.push_back(dims[rank]);
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{source, perm}, init,
             {AffineMap::get(rank + 1, 0, sourceDims, ctx),
              AffineMap::get(rank + 1, 0, dims[rank], ctx),
              AffineMap::get(rank + 1, 0, ArrayRef(dims).take_front(rank), ctx)},
             iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value j = linalg::IndexOp::create(nb, nl, rank - 1);
               Value target = isa<IndexType>(args[1].getType())
                                  ? args[1]
                                  : permIndex(nb, nl, args[1]);
               Value hit = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::eq, target, j);
               linalg::YieldOp::create(
                   nb, nl,
                   arith::SelectOp::create(nb, nl, hit, args[0], args[2])
                       .getResult());
             })
      .getResult(0);
}

bool isPermuted(Type type) {
  auto layout =
      dyn_cast_or_null<LayoutAttr>(cast<RankedTensorType>(type).getEncoding());
  return layout && layout.getKind() == LayoutKind::ChannelPermute;
}

/// pack, unpack and relayout: identities on logical codes, except for the
/// channel permutation.
template <typename Op>
struct LayoutChangeLowering : LowBitPattern<Op> {
  using LowBitPattern<Op>::LowBitPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value source = adaptor.getSource();
    if (!adaptor.getPermutation()) {
      rewriter.replaceOp(op, source);
      return success();
    }
    bool into = isPermuted(op.getResult().getType());
    bool outOf = isPermuted(op.getSource().getType());
    assert(!(into && outOf) &&
           "the verifier rejects relayouts between two channel_permute layouts");
    rewriter.replaceOp(op, permuteChannels(rewriter, op.getLoc(), source,
                                           adaptor.getPermutation(),
                                           /*inverse=*/outOf));
    return success();
  }
};

struct MatmulLowering : LowBitPattern<MatmulOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::optional<ScaleInputs> inputScales;
    if (op.getInputScheme())
      inputScales = ScaleInputs{*op.getInputScheme(), adaptor.getInputScales(),
                                Value(), Value()};
    Value a = realOperand(rewriter, loc, adaptor.getInput(), inputScales);
    Value w = realOperand(
        rewriter, loc, adaptor.getWeight(),
        ScaleInputs{op.getWeightScheme(), adaptor.getWeightScales(),
                    adaptor.getWeightZeroPoints(),
                    adaptor.getWeightOuterScales()});
    RankedTensorType type = resultType(op);
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    Value acc = filled(rewriter, loc,
                       emptyProduct(rewriter, loc, type.getShape(), f32Type(rewriter), a, 0, w, 0),
                       f32Const(rewriter, loc, 0.0));
    auto product = linalg::GenericOp::create(
        rewriter, loc, acc.getType(), ValueRange{a, w}, acc,
        {AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {n, k}, ctx),
         AffineMap::get(3, 0, {m, n}, ctx)},
        {IteratorType::parallel, IteratorType::parallel,
         IteratorType::reduction},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value mul = arith::MulFOp::create(nb, nl, args[0], args[1]);
          linalg::YieldOp::create(
              nb, nl, arith::AddFOp::create(nb, nl, args[2], mul).getResult());
        });
    rewriter.replaceOp(op, castElements(rewriter, loc, product.getResult(0),
                                        type.getElementType()));
    return success();
  }

  static Value castElements(OpBuilder &b, Location loc, Value value,
                            Type elementType) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getElementType() == elementType)
      return value;
    int64_t rank = type.getRank();
    Value init = emptyLike(b, loc, type.getShape(), elementType, value);
    return linalg::GenericOp::create(
               b, loc, init.getType(), value, init,
               SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(rank)),
               SmallVector<IteratorType>(rank, IteratorType::parallel),
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, nl, fromF32(nb, nl, args[0], elementType));
               })
        .getResult(0);
  }
};

struct BitplaneDecomposeLowering : LowBitPattern<BitplaneDecomposeOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(BitplaneDecomposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> dims = dimExprs(ctx, rank);
    // Planes [P, ...]: each a dim of the input where dynamic (the verifier
    // makes the plane shape the input's).
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 1; d < rank; ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, adaptor.getInput(), d - 1));
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType(),
                                         dynamicSizes);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getInput(), init,
        {AffineMap::get(rank, 0, ArrayRef(dims).drop_front(), ctx),
         rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<IteratorType>(rank, IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value code = arith::ExtUIOp::create(nb, nl, nb.getI32Type(), args[0]);
          Value plane = arith::IndexCastOp::create(
              nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, 0));
          Value bit = arith::ShRUIOp::create(nb, nl, code, plane);
          linalg::YieldOp::create(
              nb, nl,
              arith::TruncIOp::create(nb, nl, nb.getI1Type(), bit).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct BitplaneMatmulLowering : LowBitPattern<BitplaneMatmulOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(BitplaneMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr p, q, m, n, k;
    bindDims(ctx, p, q, m, n, k);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getI32IntegerAttr(0));
    // Input planes [P, M, K], weight planes [Q, N, K].
    Value acc = filled(rewriter, loc,
                       emptyProduct(rewriter, loc, type.getShape(), type.getElementType(),
                                    adaptor.getInput(), 1, adaptor.getWeight(), 1),
                       zero);
    // Each plane pair adds 2^(p+q) * (+1 if the bits agree, else -1).
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getInput(), adaptor.getWeight()},
        acc,
        {AffineMap::get(5, 0, {p, m, k}, ctx),
         AffineMap::get(5, 0, {q, n, k}, ctx),
         AffineMap::get(5, 0, {m, n}, ctx)},
        {IteratorType::reduction, IteratorType::reduction,
         IteratorType::parallel, IteratorType::parallel,
         IteratorType::reduction},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          auto i32 = [&](Value v) {
            return arith::IndexCastOp::create(nb, nl, nb.getI32Type(), v)
                .getResult();
          };
          Value shift = arith::AddIOp::create(
              nb, nl, i32(linalg::IndexOp::create(nb, nl, 0)),
              i32(linalg::IndexOp::create(nb, nl, 1)));
          Value one = arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(1));
          Value weight = arith::ShLIOp::create(nb, nl, one, shift);
          Value agree = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                              args[0], args[1]);
          Value term = arith::SelectOp::create(
              nb, nl, agree, weight,
              arith::SubIOp::create(
                  nb, nl,
                  arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(0)),
                  weight));
          linalg::YieldOp::create(
              nb, nl, arith::AddIOp::create(nb, nl, args[2], term).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LutBuildLowering : LowBitPattern<LutBuildOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(LutBuildOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    MLIRContext *ctx = rewriter.getContext();
    int64_t g = op.getGroupSize();
    // Symmetric tables keep the entries whose top bit is set.
    int64_t offset = op.getSymmetric() ? int64_t(1) << (g - 1) : 0;
    AffineExpr m, j, t, bit;
    bindDims(ctx, m, j, t, bit);
    Value x = realOperand(rewriter, loc, adaptor.getInput(), std::nullopt);
    // [M, K] -> [M, K / g, g], so that every loop is an index of some operand.
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t groups = xType.getDimSize(1) / g;
    auto groupedType =
        RankedTensorType::get({xType.getDimSize(0), groups, g}, f32Type(rewriter));
    SmallVector<OpFoldResult> groupedShape = {
        tensor::getMixedSize(rewriter, loc, x, 0), rewriter.getIndexAttr(groups),
        rewriter.getIndexAttr(g)};
    x = tensor::ExpandShapeOp::create(rewriter, loc, groupedType, x,
                                      SmallVector<ReassociationIndices>{{0}, {1, 2}},
                                      groupedShape);
    // The table [M, K / g, entries], its last two dims known here even where
    // the result type leaves them dynamic (it gets a cast at the end).
    int64_t entries = int64_t(1) << (op.getSymmetric() ? g - 1 : g);
    SmallVector<int64_t> tableShape = {type.getDimSize(0), groups, entries};
    Value acc = filled(rewriter, loc, emptyLike(rewriter, loc, tableShape, f32Type(rewriter), x),
                       f32Const(rewriter, loc, 0.0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, acc.getType(), x, acc,
        {AffineMap::get(4, 0, {m, j, bit}, ctx),
         AffineMap::get(4, 0, {m, j, t}, ctx)},
        {IteratorType::parallel, IteratorType::parallel,
         IteratorType::parallel, IteratorType::reduction},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value entry = arith::AddIOp::create(
              nb, nl, linalg::IndexOp::create(nb, nl, 2),
              arith::ConstantIndexOp::create(nb, nl, offset));
          Value shifted = arith::ShRUIOp::create(
              nb, nl, entry, linalg::IndexOp::create(nb, nl, 3));
          Value set = arith::TruncIOp::create(
              nb, nl, nb.getI1Type(),
              arith::IndexCastOp::create(nb, nl, nb.getI32Type(), shifted));
          Value signedX = arith::SelectOp::create(
              nb, nl, set, args[0], arith::NegFOp::create(nb, nl, args[0]));
          linalg::YieldOp::create(
              nb, nl,
              arith::AddFOp::create(nb, nl, args[1], signedX).getResult());
        });
    Value table =
        MatmulLowering::castElements(rewriter, loc, generic.getResult(0), type.getElementType());
    if (table.getType() != type)
      table = tensor::CastOp::create(rewriter, loc, type, table);
    rewriter.replaceOp(op, table);
    return success();
  }
};

struct LutMatmulLowering : LowBitPattern<LutMatmulOp> {
  using LowBitPattern::LowBitPattern;
  LogicalResult
  matchAndRewrite(LutMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = resultType(op);
    MLIRContext *ctx = rewriter.getContext();
    int64_t g = op.getGroupSize();
    bool symmetric = op.getSymmetric();
    Value table = adaptor.getTable();
    AffineExpr m, n, p, j;
    bindDims(ctx, m, n, p, j);
    // Scales follow the scheme over the logical [N, K] weight, k = j * g.
    AffineMap scales = scaleMap(ctx, op.getWeightScheme(), 2, {n, j * g});
    scales = AffineMap::get(4, 0, scales.getResults(), ctx);
    ScalarReader scaleReader = ScalarReader::create(
        rewriter, loc, getElementTypeOrSelf(adaptor.getScales().getType()));
    ScalarReader tableReader = ScalarReader::create(
        rewriter, loc, getElementTypeOrSelf(table.getType()));
    // Table [M, K / g, 2^g], weight indices [P, N, K / g].
    Value acc = filled(rewriter, loc,
                       emptyProduct(rewriter, loc, type.getShape(), f32Type(rewriter), table, 0,
                                    adaptor.getWeight(), 1),
                       f32Const(rewriter, loc, 0.0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, acc.getType(),
        ValueRange{adaptor.getWeight(), adaptor.getScales()}, acc,
        {AffineMap::get(4, 0, {p, n, j}, ctx), scales,
         AffineMap::get(4, 0, {m, n}, ctx)},
        {IteratorType::parallel, IteratorType::parallel,
         IteratorType::reduction, IteratorType::reduction},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value index = arith::IndexCastUIOp::create(nb, nl, nb.getIndexType(),
                                                     args[0]);
          Value sign = f32Const(nb, nl, 1.0);
          if (symmetric) {
            // Entries hold indices with the top bit set; T[~t] = -T[t].
            Value half = arith::ConstantIndexOp::create(nb, nl, int64_t(1) << (g - 1));
            Value mask = arith::ConstantIndexOp::create(nb, nl, (int64_t(1) << g) - 1);
            Value top = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::uge,
                                              index, half);
            Value complement = arith::XOrIOp::create(nb, nl, index, mask);
            Value chosen =
                arith::SelectOp::create(nb, nl, top, index, complement);
            index = arith::SubIOp::create(nb, nl, chosen, half);
            sign = arith::SelectOp::create(nb, nl, top, sign,
                                           f32Const(nb, nl, -1.0));
          }
          Value entry = tableReader.read(
              nb, nl,
              tensor::ExtractOp::create(
                  nb, nl, table,
                  ValueRange{linalg::IndexOp::create(nb, nl, 0),
                             linalg::IndexOp::create(nb, nl, 3), index}));
          Value planeWeight = arith::UIToFPOp::create(
              nb, nl, nb.getF32Type(),
              arith::ShLIOp::create(
                  nb, nl,
                  arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(1)),
                  arith::IndexCastOp::create(nb, nl, nb.getI32Type(),
                                             linalg::IndexOp::create(nb, nl, 2))));
          Value term = arith::MulFOp::create(
              nb, nl, arith::MulFOp::create(nb, nl, sign, entry),
              arith::MulFOp::create(nb, nl, planeWeight,
                                    scaleReader.read(nb, nl, args[1])));
          linalg::YieldOp::create(
              nb, nl, arith::AddFOp::create(nb, nl, args[2], term).getResult());
        });
    rewriter.replaceOp(op, MatmulLowering::castElements(
                               rewriter, loc, generic.getResult(0),
                               type.getElementType()));
    return success();
  }
};

struct ConvertLowBitToLinalgPass
    : lowbit::impl::ConvertLowBitToLinalgPassBase<ConvertLowBitToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ReferenceTypeConverter converter;
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.addIllegalDialect<LowBitDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    patterns.add<QuantizeLowering, DequantizeLowering,
                 LayoutChangeLowering<PackOp>, LayoutChangeLowering<UnpackOp>,
                 LayoutChangeLowering<RelayoutOp>, MatmulLowering,
                 BitplaneDecomposeLowering, BitplaneMatmulLowering,
                 LutBuildLowering, LutMatmulLowering>(converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
