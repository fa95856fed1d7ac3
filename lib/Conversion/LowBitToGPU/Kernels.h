//===- Kernels.h - kernel generators of lowbit-lower-matmul-to-gpu --------===//
//
// Each strategy of `#lowbit_gpu.config` has one generator. A generator checks
// that it can produce the op (a diagnostic on the op naming what is not
// supported otherwise), appends one `gpu.func` kernel to the `gpu.module` at
// the builder's insertion point, and says how to launch it.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_KERNELS_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_KERNELS_H

#include "LowBit/IR/LowBitOps.h"
#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "mlir/IR/Builders.h"

#include <array>
#include <string>

namespace mlir::lowbit {

/// A TMA tensor map the host encodes for one kernel parameter and passes by
/// value after the pointer parameters: the operand seen as a row-major
/// [rows, rowBytes] byte matrix, copied in [boxRows, boxBytes] boxes into
/// shared memory with the 128-byte swizzle, or the 64-byte one for boxes of
/// 64-byte rows (rows and bytes past the end read as zeros).
struct TensorMapDesc {
  unsigned param; // index into KernelLaunch::params
  int64_t rows, rowBytes, boxRows, boxBytes;
  int64_t swizzle = 128; // bytes: 128, or 64 (boxBytes <= swizzle)
};

/// How to launch a generated kernel: the manifest's view of it.
struct KernelLaunch {
  std::array<int64_t, 3> grid = {1, 1, 1}, block = {1, 1, 1};
  /// Dynamic shared memory in bytes.
  int64_t sharedBytes = 0;
  /// Registers the block's warps hold at once after `setmaxnreg` has moved
  /// them between warpgroups (0: it moves none). setmaxnreg.inc waits for
  /// them: the runtime refuses a kernel compiled to fewer, which would hang.
  int64_t registerPool = 0;
  /// The result must be zeroed before the launch (split-K accumulation).
  bool zeroResult = false;
  /// The kernel keeps state in globals of its module between its blocks
  /// (stream-K's partial sums): launches of one loaded module must not
  /// overlap.
  bool sharedWorkspace = false;
  /// The kernel waits for the grid before it in its stream
  /// (`griddepcontrol.wait`) before it reads activations, scales or zero
  /// points or writes anything, so it may be launched with programmatic
  /// stream serialization: its blocks set up and start loading their
  /// weights while that grid finishes. That grid must not write the weights.
  bool dependentLaunch = false;
  /// Kernel parameters in order, by the matmul operand they take: input,
  /// weight, weight_scales, weight_zero_points, input_scales, result.
  SmallVector<std::string> params;
  /// Tensor maps, kernel parameters after `params` in this order.
  SmallVector<TensorMapDesc> tensorMaps;
};

/// What a generator says of `bits`-bit weights whose type has no layout:
/// the one it can read.
inline std::string weightsWithoutLayout(int64_t bits) {
  return std::to_string(bits) + "-bit weights without a layout (give the weight type "
                                "#lowbit.layout<packed>: codes packed along K)";
}

/// GEMVs for decode shapes: split-K register streaming (`splitk_gemv`) and
/// TMA-fed through a shared-memory ring (`tma_gemv`, sm_90).
FailureOr<KernelLaunch> buildGemvKernel(OpBuilder &b, MatmulOp op,
                                        gpu::ConfigAttr config, StringRef name);

/// Tiled tensor-core GEMM (`mma_sync`): a cp.async shared-memory ring,
/// ldmatrix fragments, weights dequantized or widened in registers.
FailureOr<KernelLaunch> buildMmaSyncKernel(OpBuilder &b, MatmulOp op,
                                           gpu::ConfigAttr config,
                                           StringRef name);

/// Warp-specialized Hopper GEMM (`wgmma`, sm_90a): TMA into an mbarrier
/// ring, wgmma.mma_async from shared memory. A persistent config launches
/// at most `numSMs` blocks (when known, i.e. > 0) that loop over the tiles.
FailureOr<KernelLaunch> buildWgmmaKernel(OpBuilder &b, MatmulOp op,
                                         gpu::ConfigAttr config, StringRef name,
                                         int64_t numSMs);

/// Bipolar-INT product over bit planes (`bitplane`): one 1-bit
/// `mma.sync` m16n8k256 `.and.popc` per plane pair, fed from a cp.async ring
/// through ldmatrix like `mma_sync`.
FailureOr<KernelLaunch> buildBitplaneKernel(OpBuilder &b, BitplaneMatmulOp op,
                                            gpu::ConfigAttr config, StringRef name);

/// Lookup-table GEMV (`lut`): warps own weight rows, lanes walk the row's
/// groups and look the table up for every token on CUDA cores.
FailureOr<KernelLaunch> buildLutKernel(OpBuilder &b, LutMatmulOp op, gpu::ConfigAttr config,
                                       StringRef name);

/// The kernel attribute listing the arguments that are tensor maps.
constexpr llvm::StringLiteral kTensorMapArgsAttrName = "lowbit_gpu.tensor_map_args";

} // namespace mlir::lowbit

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_KERNELS_H
