//===- LowBitDialect.cpp - lowbit dialect and types -----------------------===//
#include "LowBit/IR/LowBitDialect.h"
#include "LowBit/IR/LowBitOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::lowbit;

#include "LowBit/IR/LowBitDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "LowBit/IR/LowBitTypes.cpp.inc"

void LowBitDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "LowBit/IR/LowBitOps.cpp.inc"
      >();
}

void LowBitDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "LowBit/IR/LowBitTypes.cpp.inc"
      >();
}

LogicalResult
BipolarType::verify(function_ref<InFlightDiagnostic()> emitError,
                    unsigned bits) {
  if (bits < 1 || bits > 8)
    return emitError() << "bipolar width must be 1 to 8 bits, got " << bits;
  return success();
}

bool mlir::lowbit::isLowBitFloat(Type type) {
  return isa_and_present<Float8E4M3FNType, Float8E5M2Type, Float6E2M3FNType,
             Float6E3M2FNType, Float4E2M1FNType>(type);
}

bool mlir::lowbit::isCodeType(Type type) {
  if (auto intType = dyn_cast_if_present<IntegerType>(type))
    return intType.isSignless() && intType.getWidth() >= 1 &&
           intType.getWidth() <= 8;
  return isLowBitFloat(type) || isa<BipolarType>(type);
}

SmallVector<float> mlir::lowbit::getSmallFloatValues(FloatType type) {
  unsigned bits = type.getWidth();
  SmallVector<float> table;
  for (unsigned raw = 0; raw < (1u << bits); ++raw) {
    llvm::APFloat value(type.getFloatSemantics(), llvm::APInt(bits, raw));
    table.push_back(value.isFinite() ? float(value.convertToDouble())
                                     : std::numeric_limits<float>::quiet_NaN());
  }
  return table;
}

unsigned mlir::lowbit::getCodeBitWidth(Type type) {
  if (!type)
    return 0;
  if (auto bipolar = dyn_cast<BipolarType>(type))
    return bipolar.getBits();
  if (type.isIntOrFloat())
    return type.getIntOrFloatBitWidth();
  return 0;
}
