//===- LowBitOps.h - lowbit operations ------------------------------------===//
#ifndef LOWBIT_IR_LOWBITOPS_H
#define LOWBIT_IR_LOWBITOPS_H

#include "LowBit/IR/LowBitDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "LowBit/IR/LowBitOps.h.inc"

#endif // LOWBIT_IR_LOWBITOPS_H
