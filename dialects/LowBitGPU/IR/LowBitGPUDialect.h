//===- LowBitGPUDialect.h - lowbit_gpu dialect and attributes -------------===//
#ifndef LOWBITGPU_IR_LOWBITGPUDIALECT_H
#define LOWBITGPU_IR_LOWBITGPUDIALECT_H

#include "lowbit/Support/AsmHelpers.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "LowBitGPU/IR/LowBitGPUDialect.h.inc"
#include "LowBitGPU/IR/LowBitGPUEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "LowBitGPU/IR/LowBitGPUAttrs.h.inc"

#endif // LOWBITGPU_IR_LOWBITGPUDIALECT_H
