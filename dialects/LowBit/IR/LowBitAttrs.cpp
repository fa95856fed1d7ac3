//===- LowBitAttrs.cpp - quantization scheme and layout attributes --------===//
#include "LowBit/IR/LowBitDialect.h"
#include "lowbit/Quant/Layouts.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lowbit;

#include "LowBit/IR/LowBitEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "LowBit/IR/LowBitAttrs.cpp.inc"

void LowBitDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "LowBit/IR/LowBitAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// QuantSchemeAttr
//===----------------------------------------------------------------------===//

static bool isRealScaleType(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float8E4M3FNType>(type);
}

LogicalResult QuantSchemeAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, Type storage,
    Signedness signedness, ZeroPointKind zeroPoint, Granularity granularity,
    int64_t axis, int64_t groupSize, ArrayRef<int64_t> block, Type scaleType,
    Type outerScaleType, DenseF32ArrayAttr codebook) {
  // Storage: a code type of 1 to 8 bits.
  if (auto intType = dyn_cast<IntegerType>(storage)) {
    if (!intType.isSignless())
      return emitError() << "storage must be a signless integer (signedness "
                            "is a scheme parameter), got "
                         << storage;
    if (intType.getWidth() < 1 || intType.getWidth() > 8)
      return emitError() << "integer storage must be 1 to 8 bits wide, got "
                         << storage;
  } else if (!isCodeType(storage)) {
    return emitError() << "storage must be i1..i8, f8E4M3FN, f8E5M2, "
                          "f6E2M3FN, f6E3M2FN, f4E2M1FN or !lowbit.bipolar<b>, "
                          "got "
                       << storage;
  }
  bool integerStorage = isa<IntegerType>(storage);
  if (signedness == Signedness::Unsigned && !integerStorage)
    return emitError() << "signedness applies only to integer storage, got "
                       << storage;
  if (zeroPoint != ZeroPointKind::None && !integerStorage)
    return emitError() << "zero points need integer storage, got " << storage;

  // Granularity and the parameters it takes.
  if (axis < -1)
    return emitError() << "axis must be non-negative, got " << axis;
  if (groupSize < 0)
    return emitError() << "group_size must be positive, got " << groupSize;
  bool hasAxis = axis >= 0, hasGroup = groupSize > 0, hasBlock = !block.empty();
  StringRef granularityName = stringifyGranularity(granularity);
  auto unexpected = [&](StringRef what) {
    return emitError() << granularityName << " granularity takes no " << what;
  };
  auto missing = [&](StringRef what) {
    return emitError() << granularityName << " granularity needs " << what;
  };
  switch (granularity) {
  case Granularity::PerTensor:
    if (hasAxis)
      return unexpected("axis");
    if (hasGroup)
      return unexpected("group_size");
    if (hasBlock)
      return unexpected("block");
    break;
  case Granularity::PerChannel:
    if (!hasAxis)
      return missing("an axis");
    if (hasGroup)
      return unexpected("group_size");
    if (hasBlock)
      return unexpected("block");
    break;
  case Granularity::PerGroup:
  case Granularity::MXBlock:
    if (!hasAxis)
      return missing("an axis");
    if (!hasGroup)
      return missing("a positive group_size");
    if (hasBlock)
      return unexpected("block");
    break;
  case Granularity::PerBlock:
    if (hasAxis)
      return unexpected("axis");
    if (hasGroup)
      return unexpected("group_size");
    if (block.size() != 2 || llvm::any_of(block, [](int64_t b) { return b <= 0; }))
      return missing("a 2-D block of positive sizes");
    break;
  }

  // Scales.
  bool isMX = granularity == Granularity::MXBlock;
  if (isMX) {
    if (!isa<Float8E8M0FNUType>(scaleType))
      return emitError() << "mx_block scales are shared exponents: scale_type "
                            "must be f8E8M0FNU, got "
                         << scaleType;
    if (!isLowBitFloat(storage) && storage != IntegerType::get(storage.getContext(), 8))
      return emitError() << "mx_block storage must be fp8, fp6, fp4 or i8, got "
                         << storage;
    if (zeroPoint != ZeroPointKind::None)
      return emitError() << "mx_block schemes are symmetric";
  } else if (isa<Float8E8M0FNUType>(scaleType)) {
    return emitError() << "f8E8M0FNU scales are only for mx_block granularity";
  }
  if (outerScaleType) {
    if (granularity != Granularity::PerGroup)
      return emitError() << "two-level scales (outer_scale_type) need "
                            "per_group granularity";
    if (!isa<Float16Type, BFloat16Type, Float32Type>(outerScaleType))
      return emitError() << "outer_scale_type must be f16, bf16 or f32, got "
                         << outerScaleType;
    if (!scaleType.isInteger(8))
      return emitError() << "two-level scales need i8 group scales "
                            "(scale_type), got "
                         << scaleType;
  } else if (!isMX && !isRealScaleType(scaleType)) {
    return emitError() << "scale_type must be f16, bf16, f32 or f8E4M3FN, got "
                       << scaleType;
  }

  // Codebooks.
  if (codebook) {
    if (!integerStorage || signedness != Signedness::Unsigned)
      return emitError() << "codebook codes are unsigned integer indices";
    if (zeroPoint != ZeroPointKind::None)
      return emitError() << "a codebook scheme takes no zero points";
    int64_t entries = int64_t(1) << storage.getIntOrFloatBitWidth();
    if (codebook.size() != entries)
      return emitError() << "codebook for " << storage << " codes needs "
                         << entries << " entries, got " << codebook.size();
  }
  return success();
}

unsigned QuantSchemeAttr::getBitWidth() const {
  return getCodeBitWidth(getStorage());
}
bool QuantSchemeAttr::hasIntegerStorage() const {
  return isa<IntegerType>(getStorage());
}
bool QuantSchemeAttr::hasFloatStorage() const {
  return isLowBitFloat(getStorage());
}
bool QuantSchemeAttr::hasBipolarStorage() const {
  return isa<BipolarType>(getStorage());
}
bool QuantSchemeAttr::isByteCodeScaledPerRowOrTensor() const {
  Type code = getStorage();
  bool int8 = code.isInteger(8) && getSignedness() == Signedness::Signed;
  return (int8 || isa<Float8E4M3FNType>(code)) && !hasZeroPoints() && !getOuterScaleType() &&
         hasRowOrTensorScales();
}

std::optional<SmallVector<float>> QuantSchemeAttr::getCodeValues() const {
  if (DenseF32ArrayAttr codebook = getCodebook())
    return SmallVector<float>(codebook.asArrayRef());
  if (auto bipolar = dyn_cast<BipolarType>(getStorage())) {
    SmallVector<float> table;
    unsigned n = 1u << bipolar.getBits();
    for (unsigned raw = 0; raw < n; ++raw)
      table.push_back(2.0f * raw - float(n - 1));
    return table;
  }
  if (auto floatType = dyn_cast<FloatType>(getStorage()))
    return getSmallFloatValues(floatType);
  return std::nullopt;
}

FailureOr<SmallVector<int64_t>> QuantSchemeAttr::getScaleShape(
    ArrayRef<int64_t> shape,
    function_ref<InFlightDiagnostic()> emitError) const {
  int64_t rank = shape.size();
  SmallVector<int64_t> scaleShape(rank, 1);
  // Divides dimension `dim` into blocks of `size` elements.
  auto divide = [&](int64_t dim, int64_t size) -> LogicalResult {
    if (ShapedType::isDynamic(shape[dim])) {
      scaleShape[dim] = ShapedType::kDynamic;
      return success();
    }
    if (shape[dim] % size != 0)
      return emitError() << "group size " << size << " does not divide dimension "
                         << dim << " of size " << shape[dim];
    scaleShape[dim] = shape[dim] / size;
    return success();
  };
  Granularity granularity = getGranularity();
  if (granularity != Granularity::PerTensor &&
      granularity != Granularity::PerBlock && getAxis() >= rank)
    return emitError() << "scheme axis " << getAxis()
                       << " is out of range for a rank-" << rank << " tensor";
  switch (granularity) {
  case Granularity::PerTensor:
    break;
  case Granularity::PerChannel:
    scaleShape[getAxis()] = shape[getAxis()];
    break;
  case Granularity::PerGroup:
  case Granularity::MXBlock:
    // One scale per group along the axis, per element elsewhere.
    scaleShape.assign(shape.begin(), shape.end());
    if (failed(divide(getAxis(), getGroupSize())))
      return failure();
    break;
  case Granularity::PerBlock:
    if (rank != 2)
      return emitError() << "per_block granularity needs a rank-2 tensor, got "
                            "rank "
                         << rank;
    for (int64_t dim = 0; dim < 2; ++dim)
      if (failed(divide(dim, getBlock()[dim])))
        return failure();
    break;
  }
  return scaleShape;
}

SmallVector<int64_t>
QuantSchemeAttr::getOuterScaleShape(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> outer(shape);
  if (getAxis() >= 0 && getAxis() < static_cast<int64_t>(shape.size()))
    outer[getAxis()] = 1;
  return outer;
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

bool LayoutAttr::isAwqInterleave() const {
  return getKind() == LayoutKind::Interleave && getOrder() == ArrayRef<int64_t>(quant::kAwqOrder);
}

bool LayoutAttr::isHalfFragmentInterleave() const {
  return getKind() == LayoutKind::Interleave &&
         getOrder() == ArrayRef<int64_t>(quant::kHalfFragmentOrder);
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 LayoutKind kind, ArrayRef<int64_t> mma,
                                 ArrayRef<int64_t> tile,
                                 ArrayRef<int64_t> order,
                                 ArrayRef<int64_t> block, int64_t outliers) {
  StringRef kindName = stringifyLayoutKind(kind);
  // Each parameter belongs to exactly one kind.
  struct Param {
    StringRef name;
    bool present;
    LayoutKind owner;
  } params[] = {{"mma", !mma.empty(), LayoutKind::MMAFragment},
                {"tile", !tile.empty(), LayoutKind::MMAFragment},
                {"order", !order.empty(), LayoutKind::Interleave},
                {"block", !block.empty(), LayoutKind::Mixed4_8},
                {"outliers", outliers != 0, LayoutKind::ChannelPermute}};
  for (const Param &param : params)
    if (param.present && param.owner != kind)
      return emitError() << "`" << param.name << "` does not apply to a "
                         << kindName << " layout";
  auto allPositive = [](ArrayRef<int64_t> values) {
    return llvm::all_of(values, [](int64_t v) { return v > 0; });
  };
  switch (kind) {
  case LayoutKind::MMAFragment:
    if (mma.size() != 3 || !allPositive(mma))
      return emitError() << "mma_fragment layout needs mma = [m, n, k]";
    if (tile.size() != 2 || !allPositive(tile))
      return emitError() << "mma_fragment layout needs tile = [rows, cols]";
    break;
  case LayoutKind::Interleave: {
    if (!llvm::is_contained({4, 8, 16, 32, 64}, order.size()))
      return emitError() << "interleave order must list 4, 8, 16, 32 or 64 positions "
                            "(2-, 4- or 8-bit codes filling one, two or four 32-bit "
                            "words), got "
                         << order.size();
    SmallVector<bool> seen(order.size(), false);
    for (int64_t position : order) {
      if (position < 0 || position >= static_cast<int64_t>(order.size()) ||
          seen[position])
        return emitError() << "interleave order must be a permutation of 0.."
                           << order.size() - 1;
      seen[position] = true;
    }
    break;
  }
  case LayoutKind::Mixed4_8:
    if (block.size() != 2 || !allPositive(block))
      return emitError() << "mixed_4_8 layout needs block = [rows, cols]";
    break;
  case LayoutKind::ChannelPermute:
    if (outliers < 0)
      return emitError() << "outliers must be non-negative, got " << outliers;
    break;
  case LayoutKind::Packed:
  case LayoutKind::BitPlanes:
  case LayoutKind::Split4_2:
  case LayoutKind::SignMagnitude:
    break;
  }
  return success();
}

/// Checks that the two innermost static dims of `shape` are multiples of
/// `tile`.
static LogicalResult
verifyTiles(ArrayRef<int64_t> shape, ArrayRef<int64_t> tile, StringRef what,
            function_ref<InFlightDiagnostic()> emitError) {
  if (shape.size() < 2)
    return emitError() << what << " needs a tensor of rank 2 or more";
  ArrayRef<int64_t> inner = shape.take_back(2);
  for (int i = 0; i < 2; ++i)
    if (!ShapedType::isDynamic(inner[i]) && inner[i] % tile[i] != 0)
      return emitError() << what << " [" << tile[0] << ", " << tile[1]
                         << "] does not divide the innermost dimensions ["
                         << inner[0] << ", " << inner[1] << "]";
  return success();
}

LogicalResult
LayoutAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                           function_ref<InFlightDiagnostic()> emitError) const {
  // The parser verifies the encoding even after the element type failed to
  // parse; that error has been reported already.
  if (!elementType)
    return failure();
  if (!isCodeType(elementType))
    return emitError() << "#lowbit.layout encodes low-bit codes; " << elementType
                       << " is not a code type";
  unsigned bits = getCodeBitWidth(elementType);
  StringRef kindName = stringifyLayoutKind(getKind());
  switch (getKind()) {
  case LayoutKind::Packed:
    break;
  case LayoutKind::MMAFragment:
    if (bits != 4 && bits != 8)
      return emitError() << "mma_fragment layout holds 4- or 8-bit codes, got "
                         << elementType;
    // The packer's rules (lib/Quant/Layouts.cpp), whose byte order kernels read.
    if (std::string why = quant::mmaFragmentRuleViolation(getMma(), getTile(), bits); !why.empty())
      return emitError() << why;
    return verifyTiles(shape, getTile(), "mma_fragment tile", emitError);
  case LayoutKind::Interleave:
    // The packer's rule (lib/Quant/Layouts.cpp).
    if (std::string why = quant::interleaveRuleViolation(getOrder().size(), bits); !why.empty())
      return emitError() << why;
    break;
  case LayoutKind::BitPlanes:
    if (!isa<IntegerType, BipolarType>(elementType))
      return emitError() << kindName
                         << " layout holds integer or bipolar codes, got "
                         << elementType;
    break;
  case LayoutKind::Split4_2:
    if (bits != 6)
      return emitError() << "split_4_2 layout holds 6-bit codes, got "
                         << elementType;
    break;
  case LayoutKind::Mixed4_8:
    if (!elementType.isInteger(8))
      return emitError() << "mixed_4_8 layout holds i8 codes, got "
                         << elementType;
    return verifyTiles(shape, getBlock(), "mixed_4_8 block", emitError);
  case LayoutKind::SignMagnitude:
    // Signedness is the quantization scheme's (checked where one meets the
    // layout: MatmulOp::verify).
    if (!elementType.isInteger(4))
      return emitError() << "sign_magnitude layout holds 4-bit integer codes, got " << elementType;
    if (!shape.empty() && !ShapedType::isDynamic(shape.back()) && shape.back() % 32)
      return emitError() << "sign_magnitude layout needs the innermost dimension to be a "
                            "multiple of 32, got "
                         << shape.back();
    break;
  case LayoutKind::ChannelPermute:
    if (shape.empty())
      return emitError() << "channel_permute layout needs a ranked tensor of "
                            "rank 1 or more";
    if (!ShapedType::isDynamic(shape.back()) && getOutliers() > shape.back())
      return emitError() << getOutliers() << " outlier channels exceed the "
                         << shape.back() << " channels";
    break;
  }
  return success();
}
