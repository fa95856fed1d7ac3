//===- LowBitOps.cpp - lowbit operation verifiers and folders -------------===//
#include "LowBit/IR/LowBitOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::lowbit;

#define GET_OP_CLASSES
#include "LowBit/IR/LowBitOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

/// Formats a shape as `[2, ?, 4]` for diagnostics.
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << "]";
  return text;
}

static bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return succeeded(verifyCompatibleShape(a, b));
}

static RankedTensorType rankedType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Checks the scales, zero points and outer scales of `scheme` applied to a
/// tensor of `shape`. `role` names the tensor in diagnostics ("weight").
static LogicalResult verifyQuantOperands(Operation *op, QuantSchemeAttr scheme,
                                         ArrayRef<int64_t> shape, Value scales,
                                         Value zeroPoints, Value outerScales,
                                         StringRef role) {
  auto emitError = [&]() { return op->emitOpError(); };
  FailureOr<SmallVector<int64_t>> scaleShape =
      scheme.getScaleShape(shape, emitError);
  if (failed(scaleShape))
    return failure();

  RankedTensorType scaleType = rankedType(scales);
  if (!shapesCompatible(scaleType.getShape(), *scaleShape))
    return op->emitOpError()
           << role << " scales have shape " << shapeStr(scaleType.getShape())
           << " but the scheme needs " << shapeStr(*scaleShape) << " for a "
           << shapeStr(shape) << " tensor with "
           << stringifyGranularity(scheme.getGranularity()) << " granularity";
  if (scaleType.getElementType() != scheme.getScaleType())
    return op->emitOpError()
           << role << " scales must be " << scheme.getScaleType() << ", got "
           << scaleType.getElementType();

  if (!scheme.hasZeroPoints() && zeroPoints)
    return op->emitOpError() << role
                             << " zero points given for a symmetric scheme";
  if (scheme.hasZeroPoints() && !zeroPoints)
    return op->emitOpError() << role << " scheme has "
                             << stringifyZeroPointKind(scheme.getZeroPoint())
                             << " zero points but none are given";
  if (zeroPoints) {
    RankedTensorType zpType = rankedType(zeroPoints);
    if (!shapesCompatible(zpType.getShape(), *scaleShape))
      return op->emitOpError()
             << role << " zero points have shape "
             << shapeStr(zpType.getShape()) << " but the scales need "
             << shapeStr(*scaleShape);
    Type expected = scheme.getZeroPoint() == ZeroPointKind::Integer
                        ? scheme.getStorage()
                        : scheme.getScaleType();
    if (zpType.getElementType() != expected)
      return op->emitOpError()
             << role << " zero points must be " << expected << ", got "
             << zpType.getElementType();
  }

  if (!scheme.getOuterScaleType() && outerScales)
    return op->emitOpError() << role
                             << " outer scales given for a one-level scheme";
  if (scheme.getOuterScaleType() && !outerScales)
    return op->emitOpError() << role
                             << " scheme has two-level scales but no outer "
                                "scales are given";
  if (outerScales) {
    RankedTensorType outerType = rankedType(outerScales);
    SmallVector<int64_t> expected = scheme.getOuterScaleShape(shape);
    if (!shapesCompatible(outerType.getShape(), expected))
      return op->emitOpError()
             << role << " outer scales have shape "
             << shapeStr(outerType.getShape()) << " but the scheme needs "
             << shapeStr(expected);
    if (outerType.getElementType() != scheme.getOuterScaleType())
      return op->emitOpError()
             << role << " outer scales must be " << scheme.getOuterScaleType()
             << ", got " << outerType.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

/// Quantize and dequantize map element for element: the result has the
/// input's shape.
static LogicalResult verifySameShape(Operation *op, RankedTensorType inputType,
                                     RankedTensorType resultType) {
  if (resultType.getShape() == inputType.getShape())
    return success();
  return op->emitOpError() << "result shape " << shapeStr(resultType.getShape())
                           << " differs from input shape " << shapeStr(inputType.getShape());
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType resultType = getResult().getType();
  if (failed(verifySameShape(*this, inputType, resultType)))
    return failure();
  if (resultType.getElementType() != getScheme().getStorage())
    return emitOpError() << "result element type "
                         << resultType.getElementType()
                         << " differs from the scheme's storage "
                         << getScheme().getStorage();
  if (resultType.getEncoding())
    return emitOpError() << "result must hold logical codes (no encoding); "
                            "use lowbit.pack for a layout";
  return verifyQuantOperands(*this, getScheme(), inputType.getShape(),
                             getScales(), getZeroPoints(), getOuterScales(),
                             "input");
}

LogicalResult DequantizeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType resultType = getResult().getType();
  if (failed(verifySameShape(*this, inputType, resultType)))
    return failure();
  if (inputType.getElementType() != getScheme().getStorage())
    return emitOpError() << "input element type " << inputType.getElementType()
                         << " differs from the scheme's storage "
                         << getScheme().getStorage();
  return verifyQuantOperands(*this, getScheme(), inputType.getShape(),
                             getScales(), getZeroPoints(), getOuterScales(),
                             "input");
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp / RelayoutOp
//===----------------------------------------------------------------------===//

static LayoutAttr getLayout(Value value) {
  return dyn_cast_or_null<LayoutAttr>(rankedType(value).getEncoding());
}

/// Checks what pack, unpack and relayout share: same logical codes, and a
/// permutation exactly when a channel_permute layout is involved.
static LogicalResult verifyLayoutChange(Operation *op, Value source,
                                        Value result, Value permutation) {
  RankedTensorType sourceType = rankedType(source);
  RankedTensorType resultType = rankedType(result);
  if (sourceType.getShape() != resultType.getShape() ||
      sourceType.getElementType() != resultType.getElementType())
    return op->emitOpError()
           << "changes only the layout: source and result must have the same "
              "shape and code type";
  if (!isCodeType(sourceType.getElementType()))
    return op->emitOpError() << "operates on low-bit codes; "
                             << sourceType.getElementType()
                             << " is not a code type";
  auto isPermuted = [](Value value) {
    LayoutAttr layout = getLayout(value);
    return layout && layout.getKind() == LayoutKind::ChannelPermute;
  };
  bool needsPermutation = isPermuted(source) || isPermuted(result);
  if (needsPermutation && !permutation)
    return op->emitOpError()
           << "a channel_permute layout needs a permutation operand";
  if (!needsPermutation && permutation)
    return op->emitOpError() << "permutation given but no channel_permute "
                                "layout is involved";
  if (permutation) {
    int64_t channels = sourceType.getShape().back();
    int64_t size = rankedType(permutation).getShape()[0];
    if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(size) &&
        channels != size)
      return op->emitOpError() << "permutation has " << size
                               << " entries for " << channels << " channels";
    // A constant permutation must be one: each channel once. An index past
    // the channels would read or write outside the tensor.
    DenseIntElementsAttr values;
    if (matchPattern(permutation, m_Constant(&values))) {
      llvm::SmallVector<bool> seen(values.getNumElements(), false);
      for (const APInt &value : values.getValues<APInt>()) {
        int64_t index = value.getSExtValue();
        if (index < 0 || index >= int64_t(seen.size()) || seen[index])
          return op->emitOpError()
                 << "permutation is not one of its " << seen.size() << " channels: " << index
                 << (index >= 0 && index < int64_t(seen.size()) ? " appears twice"
                                                                : " is out of range");
        seen[index] = true;
      }
    }
  }
  return success();
}

LogicalResult PackOp::verify() {
  if (getSource().getType().getEncoding())
    return emitOpError() << "source must hold logical codes (no encoding); use "
                            "lowbit.relayout between layouts";
  if (!getLayout(getResult()))
    return emitOpError() << "result type needs a #lowbit.layout encoding";
  return verifyLayoutChange(*this, getSource(), getResult(), getPermutation());
}

LogicalResult UnpackOp::verify() {
  if (!getLayout(getSource()))
    return emitOpError() << "source type needs a #lowbit.layout encoding";
  if (getResult().getType().getEncoding())
    return emitOpError() << "result must hold logical codes (no encoding)";
  return verifyLayoutChange(*this, getSource(), getResult(), getPermutation());
}

LogicalResult RelayoutOp::verify() {
  if (!getLayout(getSource()) || !getLayout(getResult()))
    return emitOpError() << "source and result types both need a "
                            "#lowbit.layout encoding";
  auto isPermuted = [](Value value) {
    return getLayout(value).getKind() == LayoutKind::ChannelPermute;
  };
  if (isPermuted(getSource()) && isPermuted(getResult()))
    return emitOpError() << "a relayout between two channel_permute layouts "
                            "needs two permutations; unpack, then pack";
  return verifyLayoutChange(*this, getSource(), getResult(), getPermutation());
}

// pack(unpack(x)) and unpack(pack(x)) are exact: layouts hold the same codes.
OpFoldResult PackOp::fold(FoldAdaptor) {
  auto unpack = getSource().getDefiningOp<UnpackOp>();
  if (unpack && unpack.getSource().getType() == getType() &&
      unpack.getPermutation() == getPermutation())
    return unpack.getSource();
  return {};
}

OpFoldResult UnpackOp::fold(FoldAdaptor) {
  // unpack(relayout(x)) reads the same codes as unpack(x).
  auto relayout = getSource().getDefiningOp<RelayoutOp>();
  if (relayout && !relayout.getPermutation() && !getPermutation()) {
    getSourceMutable().assign(relayout.getSource());
    return getResult();
  }
  auto pack = getSource().getDefiningOp<PackOp>();
  if (pack && pack.getSource().getType() == getType() &&
      pack.getPermutation() == getPermutation())
    return pack.getSource();
  return {};
}

OpFoldResult RelayoutOp::fold(FoldAdaptor) {
  if (getPermutation())
    return {};
  if (getSource().getType() == getType())
    return getSource();
  auto inner = getSource().getDefiningOp<RelayoutOp>();
  if (!inner || inner.getPermutation())
    return {};
  if (inner.getSource().getType() == getType())
    return inner.getSource();
  // relayout(relayout(x)) -> relayout(x): the intermediate layout is unseen.
  getSourceMutable().assign(inner.getSource());
  return getResult();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Checks that activations of code type `act` can multiply weights of code
/// type `weight` (both quantized).
static LogicalResult verifyQuantizedPair(MatmulOp op, Type act, Type weight) {
  unsigned actBits = getCodeBitWidth(act);
  unsigned weightBits = getCodeBitWidth(weight);
  if (isa<IntegerType>(act)) {
    if (!isa<IntegerType>(weight))
      return op.emitOpError() << "integer activations (" << act
                              << ") pair only with integer weights, got "
                              << weight;
    if (weightBits > actBits)
      return op.emitOpError() << "weights (" << weight
                              << ") are wider than the activations (" << act
                              << ")";
    return success();
  }
  if (isa<Float8E4M3FNType, Float8E5M2Type>(act)) {
    // Every int of at most 4 bits, fp6 and fp4 value is exact in fp8.
    if (isLowBitFloat(weight) || (isa<IntegerType>(weight) && weightBits <= 4))
      return success();
    return op.emitOpError() << "fp8 activations pair with fp8, fp6, fp4 or "
                               "integer weights of at most 4 bits, got "
                            << weight;
  }
  // fp6 / fp4 activations.
  if (!isLowBitFloat(weight) || weightBits > actBits)
    return op.emitOpError() << act
                            << " activations pair only with floating-point "
                               "weights no wider than themselves, got "
                            << weight;
  return success();
}

LogicalResult MatmulOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType weightType = getWeight().getType();
  RankedTensorType resultType = getResult().getType();
  if (inputType.getRank() != 2 || weightType.getRank() != 2 ||
      resultType.getRank() != 2)
    return emitOpError() << "expects a [M, K] input, a [N, K] weight and a "
                            "[M, N] result";
  ArrayRef<int64_t> in = inputType.getShape(), w = weightType.getShape(),
                    out = resultType.getShape();
  if (!shapesCompatible(in[1], w[1]))
    return emitOpError() << "input K = " << in[1] << " differs from weight K = "
                         << w[1];
  if (!shapesCompatible({in[0], w[0]}, out))
    return emitOpError() << "result shape " << shapeStr(out)
                         << " differs from [M, N] = "
                         << shapeStr({in[0], w[0]});
  if (ShapedType::isDynamic(w[0]) || ShapedType::isDynamic(w[1]))
    return emitOpError() << "weight shape must be static";

  QuantSchemeAttr weightScheme = getWeightScheme();
  Type weightCode = weightType.getElementType();
  if (weightCode != weightScheme.getStorage())
    return emitOpError() << "weight element type " << weightCode
                         << " differs from the weight scheme's storage "
                         << weightScheme.getStorage();
  if (weightScheme.hasBipolarStorage())
    return emitOpError() << "bipolar weights are multiplied with "
                            "lowbit.bitplane_matmul";
  // Sign and magnitude hold signed codes only (-7..7).
  if (LayoutAttr layout = getLayout(getWeight());
      layout && layout.getKind() == LayoutKind::SignMagnitude &&
      weightScheme.getSignedness() != Signedness::Signed)
    return emitOpError() << "a sign_magnitude weight holds signed codes (-7..7), but the weight "
                            "scheme is unsigned";
  if (failed(verifyQuantOperands(*this, weightScheme, w, getWeightScales(),
                                 getWeightZeroPoints(), getWeightOuterScales(),
                                 "weight")))
    return failure();

  Type act = inputType.getElementType();
  std::optional<QuantSchemeAttr> inputScheme = getInputScheme();
  if (isa<Float16Type, BFloat16Type, Float32Type>(act)) {
    if (inputScheme || getInputScales())
      return emitOpError() << "real " << act
                           << " activations take no input_scheme or "
                              "input_scales";
    return success();
  }
  if (!isCodeType(act))
    return emitOpError() << "input must be f16, bf16, f32 or low-bit codes, "
                            "got "
                         << act;
  if (!inputScheme)
    return emitOpError() << "quantized " << act
                         << " activations need an input_scheme";
  if (act != inputScheme->getStorage())
    return emitOpError() << "input element type " << act
                         << " differs from the input scheme's storage "
                         << inputScheme->getStorage();
  if (inputScheme->hasBipolarStorage())
    return emitOpError() << "bipolar activations are multiplied with "
                            "lowbit.bitplane_matmul";
  if (inputScheme->hasZeroPoints() || inputScheme->getCodebook() ||
      inputScheme->getOuterScaleType())
    return emitOpError() << "input_scheme must be symmetric and one-level";
  if (weightScheme.getCodebook())
    return emitOpError() << "codebook weights pair only with real activations";
  if (!getInputScales())
    return emitOpError() << "quantized activations need input_scales";
  if (failed(verifyQuantOperands(*this, *inputScheme, in, getInputScales(),
                                 Value(), Value(), "input")))
    return failure();
  return verifyQuantizedPair(*this, act, weightCode);
}

//===----------------------------------------------------------------------===//
// Bit planes
//===----------------------------------------------------------------------===//

LogicalResult BitplaneDecomposeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType resultType = getResult().getType();
  unsigned bits = cast<BipolarType>(inputType.getElementType()).getBits();
  ArrayRef<int64_t> out = resultType.getShape();
  if (out.empty() || out[0] != static_cast<int64_t>(bits))
    return emitOpError() << "expected " << bits << " bit planes for "
                         << inputType.getElementType() << " codes, got "
                         << (out.empty() ? 0 : out[0]);
  if (out.drop_front() != inputType.getShape())
    return emitOpError() << "each plane must have the input shape "
                         << shapeStr(inputType.getShape());
  return success();
}

LogicalResult BitplaneMatmulOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (in.size() != 3 || w.size() != 3 || out.size() != 2)
    return emitOpError() << "expects [P, M, K] and [Q, N, K] planes and an "
                            "[M, N] result";
  for (auto [planes, role] : {std::pair{in[0], "input"}, {w[0], "weight"}}) {
    if (ShapedType::isDynamic(planes))
      return emitOpError() << "the number of " << role
                           << " bit planes must be static";
    if (planes < 1 || planes > 8)
      return emitOpError() << role << " must have 1 to 8 bit planes, got "
                           << planes;
  }
  if (!shapesCompatible(in[2], w[2]))
    return emitOpError() << "input K = " << in[2] << " differs from weight K = "
                         << w[2];
  if (!shapesCompatible({in[1], w[1]}, out))
    return emitOpError() << "result shape " << shapeStr(out)
                         << " differs from [M, N] = "
                         << shapeStr({in[1], w[1]});
  return success();
}

//===----------------------------------------------------------------------===//
// Lookup tables
//===----------------------------------------------------------------------===//

/// Entries of one table for `groupSize` activations.
static int64_t lutEntries(int64_t groupSize, bool symmetric) {
  return int64_t(1) << (symmetric ? groupSize - 1 : groupSize);
}

LogicalResult LutBuildOp::verify() {
  int64_t g = getGroupSize();
  if (g > 8)
    return emitOpError() << "LUT group size must be 1 to 8, got " << g;
  if (getSymmetric() && g < 2)
    return emitOpError() << "a symmetric table needs a group size of at least 2";
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() != 2 || getResult().getType().getRank() != 3)
    return emitOpError() << "expects a [M, K] input and a [M, K / group_size, "
                            "entries] result";
  ArrayRef<int64_t> in = inputType.getShape();
  if (ShapedType::isDynamic(in[1]) || in[1] % g != 0)
    return emitOpError() << "LUT group size " << g << " does not divide K = "
                         << in[1];
  SmallVector<int64_t> expected = {in[0], in[1] / g,
                                   lutEntries(g, getSymmetric())};
  if (!shapesCompatible(getResult().getType().getShape(), expected))
    return emitOpError() << "result shape "
                         << shapeStr(getResult().getType().getShape())
                         << " differs from " << shapeStr(expected);
  if (getResult().getType().getElementType() != inputType.getElementType())
    return emitOpError() << "table element type must match the input";
  return success();
}

LogicalResult LutMatmulOp::verify() {
  int64_t g = getGroupSize();
  if (g > 8)
    return emitOpError() << "LUT group size must be 1 to 8, got " << g;
  if (getSymmetric() && g < 2)
    return emitOpError() << "a symmetric table needs a group size of at least 2";
  ArrayRef<int64_t> table = getTable().getType().getShape();
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (table.size() != 3 || w.size() != 3 || out.size() != 2)
    return emitOpError() << "expects a [M, K / g, entries] table, [P, N, K / g] "
                            "weight indices and an [M, N] result";
  if (!shapesCompatible(table[2], lutEntries(g, getSymmetric())))
    return emitOpError() << "table has " << table[2] << " entries; group size "
                         << g << (getSymmetric() ? " (symmetric)" : "")
                         << " needs " << lutEntries(g, getSymmetric());
  if (!getWeight().getType().getElementType().isInteger(g))
    return emitOpError() << "weight indices must be i" << g << ", got "
                         << getWeight().getType().getElementType();
  if (!shapesCompatible(table[1], w[2]))
    return emitOpError() << "table has " << table[1]
                         << " groups but the weights have " << w[2];
  if (!shapesCompatible({table[0], w[1]}, out))
    return emitOpError() << "result shape " << shapeStr(out)
                         << " differs from [M, N] = "
                         << shapeStr({table[0], w[1]});
  if (getResult().getType().getElementType() !=
      getTable().getType().getElementType())
    return emitOpError() << "result element type must match the table";

  QuantSchemeAttr scheme = getWeightScheme();
  auto bipolar = dyn_cast<BipolarType>(scheme.getStorage());
  if (!bipolar)
    return emitOpError() << "weight_scheme storage must be !lowbit.bipolar<P>, "
                            "got "
                         << scheme.getStorage();
  if (ShapedType::isDynamic(w[0]) || w[0] != bipolar.getBits())
    return emitOpError() << "expected " << bipolar.getBits()
                         << " weight bit planes for " << bipolar << ", got "
                         << w[0];
  if (ShapedType::isDynamic(w[1]) || ShapedType::isDynamic(w[2]))
    return emitOpError() << "weight shape must be static";
  // Scales follow the scheme over the logical [N, K] weight; a scale group
  // must hold whole LUT groups.
  if (scheme.getGranularity() == Granularity::PerGroup &&
      scheme.getGroupSize() % g != 0)
    return emitOpError() << "LUT group size " << g
                         << " does not divide the scale group size "
                         << scheme.getGroupSize();
  SmallVector<int64_t> logical = {w[1], w[2] * g};
  return verifyQuantOperands(*this, scheme, logical, getScales(), Value(),
                             Value(), "weight");
}

namespace {
/// relayout(pack(x)) -> pack(x) straight into the final layout.
struct FoldPackIntoRelayout : OpRewritePattern<RelayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RelayoutOp op,
                                PatternRewriter &rewriter) const override {
    auto pack = op.getSource().getDefiningOp<PackOp>();
    if (!pack || pack.getPermutation() || op.getPermutation())
      return failure();
    rewriter.replaceOpWithNewOp<PackOp>(op, op.getType(), pack.getSource(),
                                        Value());
    return success();
  }
};

/// pack(unpack(x)) into another layout -> relayout(x).
struct UnpackPackToRelayout : OpRewritePattern<PackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PackOp op,
                                PatternRewriter &rewriter) const override {
    auto unpack = op.getSource().getDefiningOp<UnpackOp>();
    if (!unpack || unpack.getPermutation() || op.getPermutation())
      return failure();
    rewriter.replaceOpWithNewOp<RelayoutOp>(op, op.getType(),
                                            unpack.getSource(), Value());
    return success();
  }
};
} // namespace

void PackOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<UnpackPackToRelayout>(context);
}

void RelayoutOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<FoldPackIntoRelayout>(context);
}
