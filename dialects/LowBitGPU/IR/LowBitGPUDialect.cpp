//===- LowBitGPUDialect.cpp - lowbit_gpu dialect and attributes -----------===//
#include "LowBitGPU/IR/LowBitGPUDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lowbit::gpu;

#include "LowBitGPU/IR/LowBitGPUDialect.cpp.inc"
#include "LowBitGPU/IR/LowBitGPUEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "LowBitGPU/IR/LowBitGPUAttrs.cpp.inc"

void LowBitGPUDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "LowBitGPU/IR/LowBitGPUAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

namespace {
/// What lowbit knows about each chip it targets.
struct ChipInfo {
  StringLiteral name;
  int computeCapability;
  int numSMs;                // flagship part: A100, A10/RTX 3090, L40S, H100
  int64_t maxSharedPerBlock; // opt-in maximum, bytes
};
constexpr ChipInfo kChips[] = {
    {"sm_80", 80, 108, 163 * 1024}, {"sm_86", 86, 84, 99 * 1024},
    {"sm_89", 89, 142, 99 * 1024},  {"sm_90", 90, 132, 227 * 1024},
    {"sm_90a", 90, 132, 227 * 1024},
};
const ChipInfo *lookupChip(StringRef chip) {
  for (const ChipInfo &info : kChips)
    if (info.name == chip)
      return &info;
  return nullptr;
}
} // namespace

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef chip, StringRef features) {
  if (!lookupChip(chip))
    return emitError() << "unknown chip '" << chip
                       << "'; expected sm_80, sm_86, sm_89, sm_90 or sm_90a";
  return success();
}

int TargetAttr::getComputeCapability() const {
  return lookupChip(getChip())->computeCapability;
}
int TargetAttr::getNumSMs() const { return lookupChip(getChip())->numSMs; }
int64_t TargetAttr::getMaxSharedMemoryPerBlock() const {
  return lookupChip(getChip())->maxSharedPerBlock;
}

//===----------------------------------------------------------------------===//
// ConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult ConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError, Strategy strategy,
                                 ArrayRef<int64_t> block, ArrayRef<int64_t> warp,
                                 ArrayRef<int64_t> mma, Type mmaType, int64_t stages,
                                 int64_t splitK, ArrayRef<int64_t> cluster, bool persistent,
                                 bool streamK, int64_t claimK, int64_t producerRegisters) {
  auto positive = [](ArrayRef<int64_t> values) {
    return llvm::all_of(values, [](int64_t v) { return v > 0; });
  };
  if (block.size() != 3 || !positive(block))
    return emitError() << "block tile must be [M, N, K] of positive sizes";
  if (warp.size() != 2 || !positive(warp))
    return emitError() << "warp tile must be [M, N] of positive sizes";
  if (mma.size() != 3 || !positive(mma))
    return emitError() << "mma shape must be [m, n, k] of positive sizes";
  if (block[0] % warp[0] != 0 || block[1] % warp[1] != 0)
    return emitError() << "warp tile [" << warp[0] << ", " << warp[1]
                       << "] does not divide block tile [" << block[0] << ", "
                       << block[1] << "]";
  if (warp[0] % mma[0] != 0 || warp[1] % mma[1] != 0 || block[2] % mma[2] != 0)
    return emitError() << "mma shape [" << mma[0] << ", " << mma[1] << ", "
                       << mma[2] << "] does not divide the warp and K tiles";
  if (!mmaType.isIntOrFloat())
    return emitError() << "mma_type must be an integer or float type, got "
                       << mmaType;
  if (stages < 1 || stages > 8)
    return emitError() << "stages must be 1 to 8, got " << stages;
  if (splitK < 1)
    return emitError() << "split_k must be positive, got " << splitK;
  if (!cluster.empty() && (cluster.size() != 2 || !positive(cluster)))
    return emitError() << "cluster must be [x, y] of positive sizes";
  // One spelling per config, so that equal configs are equal attributes (the
  // kernel cache keys on them).
  if (cluster.size() == 2 && cluster[0] * cluster[1] == 1)
    return emitError() << "cluster [1, 1] is the default; leave it out";
  // wgmma's m is 64. With 4-bit weights (computed transposed, the tokens
  // being the instruction's n) a token tile under 64 names itself instead:
  // mma = [T, 64, k] for T = 8, 16 or 32, so that the mma shape divides the
  // warp tile [T, 64].
  if (strategy == Strategy::Wgmma && mma[0] != 64 && !isWgmmaShortTokenTile(mma[0]))
    return emitError() << "wgmma instructions have m = 64 (or, for 4-bit weights, a token tile of "
                          "8, 16 or 32), got "
                       << mma[0];
  if (strategy != Strategy::Wgmma && !cluster.empty())
    return emitError() << "thread-block clusters need the wgmma strategy";
  if (streamK && (strategy != Strategy::Wgmma || !persistent || !cluster.empty()))
    return emitError() << "stream_k needs the wgmma strategy, a persistent grid and no cluster";
  // Only wgmma's grid can be persistent; the other strategies would ignore
  // the field (and a config that says what its kernel does not do is not
  // one the cache should key on).
  if (persistent && strategy != Strategy::Wgmma)
    return emitError() << "persistent grids need the wgmma strategy";
  if (claimK < 0)
    return emitError() << "claim_k must not be negative, got " << claimK;
  if (claimK && (!streamK || !isWgmmaShortTokenTile(mma[0])))
    return emitError() << "claim_k needs stream_k and a token tile of 8, 16 or 32 (mma = [T, 64, "
                          "k])";
  // setmaxnreg takes 24 to 256 registers in steps of 8.
  if (producerRegisters && (strategy != Strategy::Wgmma || producerRegisters < 24 ||
                            producerRegisters > 256 || producerRegisters % 8))
    return emitError() << "producer_registers needs the wgmma strategy and 24 to 256 registers, "
                          "a multiple of 8, got "
                       << producerRegisters;
  return success();
}

int64_t ConfigAttr::getSharedMemoryBytes(unsigned aBits,
                                         unsigned bBits) const {
  ArrayRef<int64_t> block = getBlock();
  int64_t perStage = (block[0] * block[2] * aBits + block[1] * block[2] * bBits) / 8;
  return perStage * getStages();
}

LogicalResult mlir::lowbit::gpu::verifyKernelOperandSizes(Operation *op) {
  // TMA takes global dimensions below 2^32; launchers take buffers of up to
  // 2^40 elements (KernelManifest's limit), whose byte offsets stay far
  // from overflowing 64 bits.
  constexpr int64_t kMaxDim = (int64_t(1) << 32) - 1, kMaxElements = int64_t(1) << 40;
  auto check = [&](Type t, const Twine &what) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type)
      return success();
    int64_t elements = 1;
    for (auto [dim, size] : llvm::enumerate(type.getShape())) {
      if (size == 0)
        return op->emitOpError() << what << " is empty (dimension " << dim << " of " << type
                                 << " is 0): GPU kernels need non-empty operands";
      if (ShapedType::isDynamic(size))
        continue;
      if (size > kMaxDim)
        return op->emitOpError() << what << " has dimension " << dim << " of " << size << " ("
                                 << type << "): GPU kernels take dimensions below 2^32";
      elements = elements > kMaxElements / size ? kMaxElements + 1 : elements * size;
    }
    if (elements > kMaxElements)
      return op->emitOpError() << what << " (" << type
                               << ") has more than 2^40 elements: too large for a GPU kernel";
    return success();
  };
  for (OpOperand &operand : op->getOpOperands())
    if (failed(check(operand.get().getType(), "operand #" + Twine(operand.getOperandNumber()))))
      return failure();
  for (OpResult result : op->getResults())
    if (failed(check(result.getType(), "result #" + Twine(result.getResultNumber()))))
      return failure();
  return success();
}
