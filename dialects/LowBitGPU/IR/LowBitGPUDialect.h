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

namespace mlir::lowbit::gpu {

/// Whether the wgmma strategy stores a result of `resultBits`-bit elements
/// in rows of `n` through shared memory with TMA (16-bit results whose rows
/// are whole 16 bytes, TMA's stride rule); others are stored from
/// registers. The kernel generator, the config selector and the tuner
/// agree through this.
inline bool wgmmaStagesResults(unsigned resultBits, int64_t n) {
  return resultBits == 16 && (n * 2) % 16 == 0;
}

/// Whether stream-K spills on this wgmma tile: beside its exchange of
/// partial sums, an int8 128 x 256 tile whose 128 sums per thread are
/// stored from registers runs out of registers.
inline bool wgmmaStreamKSpills(Type mmaType, int64_t blockM, int64_t blockN,
                               bool stagedResults) {
  return mmaType.isInteger(8) && blockM == 128 && blockN == 256 && !stagedResults;
}

} // namespace mlir::lowbit::gpu

#endif // LOWBITGPU_IR_LOWBITGPUDIALECT_H
