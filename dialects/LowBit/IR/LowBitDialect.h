//===- LowBitDialect.h - lowbit dialect, types and attributes -------------===//
#ifndef LOWBIT_IR_LOWBITDIALECT_H
#define LOWBIT_IR_LOWBITDIALECT_H

#include "lowbit/Support/AsmHelpers.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/TensorEncoding.h"

#include "LowBit/IR/LowBitDialect.h.inc"
#include "LowBit/IR/LowBitEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "LowBit/IR/LowBitTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "LowBit/IR/LowBitAttrs.h.inc"

namespace mlir::lowbit {
/// Width in bits of a code type: builtin integers and small floats, and
/// `!lowbit.bipolar<b>`; 0 for anything else.
unsigned getCodeBitWidth(Type type);
/// True for the element types that can be low-bit codes: `i1`..`i8`,
/// `f8E4M3FN`, `f8E5M2`, `f6E2M3FN`, `f6E3M2FN`, `f4E2M1FN`, bipolar.
bool isCodeType(Type type);
/// True for the small floating-point code types (fp8, fp6, fp4).
bool isLowBitFloat(Type type);
/// The f32 value of every raw code of a float type of at most 8 bits, from
/// LLVM's APFloat (not from lowbit's own decoder, so that tests compare two
/// implementations); NaN for non-finite codes.
::llvm::SmallVector<float> getSmallFloatValues(FloatType type);
} // namespace mlir::lowbit

#endif // LOWBIT_IR_LOWBITDIALECT_H
