//===- MatmulToGPU.cpp - lowbit.matmul to GPU kernels ---------------------===//
//
// The pass: for every `lowbit.matmul`, `lowbit.bitplane_matmul` or
// `lowbit.lut_matmul` with a `lowbit_gpu.config`, the strategy's generator (Kernels.h) appends a kernel
// to `gpu.module @lowbit_kernels`, and the op gets a `lowbit_gpu.kernel`
// attribute saying how to launch it (name, grid, block, dynamic shared
// memory, parameters, the TMA tensor maps the host encodes, whether the
// result is zeroed first).
//
//===----------------------------------------------------------------------===//
#include "lowbit/Conversion/Passes.h"

#include "Kernels.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lowbit {
#define GEN_PASS_DEF_LOWBITGRIDCONSTANTTENSORMAPSPASS
#define GEN_PASS_DEF_LOWBITLOWERMATMULTOGPUPASS
#include "lowbit/Conversion/Passes.h.inc"
} // namespace mlir::lowbit

using namespace mlir;
using namespace mlir::lowbit;

namespace {

FailureOr<KernelLaunch> buildKernel(OpBuilder &b, Operation *op,
                                    lowbit::gpu::ConfigAttr config,
                                    StringRef name, int64_t numSMs) {
  lowbit::gpu::Strategy strategy = config.getStrategy();
  if (auto lut = dyn_cast<LutMatmulOp>(op))
    return buildLutKernel(b, lut, config, name);
  if (auto bitplane = dyn_cast<BitplaneMatmulOp>(op)) {
    if (strategy == lowbit::gpu::Strategy::Bitplane)
      return buildBitplaneKernel(b, bitplane, config, name);
    return op->emitOpError() << "bit planes run on the bitplane strategy, not "
                             << lowbit::gpu::stringifyStrategy(strategy);
  }
  auto matmul = cast<MatmulOp>(op);
  switch (strategy) {
  case lowbit::gpu::Strategy::SplitKGemv:
  case lowbit::gpu::Strategy::TmaGemv:
    return buildGemvKernel(b, matmul, config, name);
  case lowbit::gpu::Strategy::MmaSync:
    return buildMmaSyncKernel(b, matmul, config, name);
  case lowbit::gpu::Strategy::Wgmma:
    return buildWgmmaKernel(b, matmul, config, name, numSMs);
  default:
    return op->emitOpError()
           << "GPU code generation does not support the "
           << lowbit::gpu::stringifyStrategy(strategy)
           << " strategy for lowbit.matmul (supported: splitk_gemv, tma_gemv, mma_sync, "
              "wgmma)";
  }
}

/// The generators read lowbit.matmul's operands row-major or packed, and
/// its weights also as 4-bit codes interleaved in AWQ's order (the GEMVs
/// check which of their paths read those) or in the half-fragment order
/// (which the GEMVs and wgmma's W4A16 read), or in the sign_magnitude
/// layout (wgmma's W4A8 e4m3 and tma_gemv's tensor cores on e4m3, which
/// check the rest); an operand in any other layout would be read as if it
/// were one of these.
LogicalResult verifyKernelLayouts(Operation *op, lowbit::gpu::ConfigAttr config) {
  auto matmul = dyn_cast<MatmulOp>(op);
  if (!matmul)
    return success();
  auto weightLayout = dyn_cast_or_null<LayoutAttr>(matmul.getWeight().getType().getEncoding());
  if (weightLayout && weightLayout.getKind() == LayoutKind::SignMagnitude &&
      config.getStrategy() != lowbit::gpu::Strategy::Wgmma &&
      config.getStrategy() != lowbit::gpu::Strategy::TmaGemv)
    return op->emitOpError() << "sign_magnitude weights are read by the wgmma strategy (W4A8 "
                                "e4m3 on sm_90a) and tma_gemv's tensor cores (e4m3 "
                                "activations) only, not by "
                             << lowbit::gpu::stringifyStrategy(config.getStrategy());
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    auto layout = type ? dyn_cast_or_null<LayoutAttr>(type.getEncoding()) : LayoutAttr();
    if (!layout || layout.getKind() == LayoutKind::Packed)
      continue;
    bool interleavedWeights = operand.get() == matmul.getWeight() &&
                              getCodeBitWidth(type.getElementType()) == 4 &&
                              (layout.isAwqInterleave() || layout.isHalfFragmentInterleave() ||
                               layout.getKind() == LayoutKind::SignMagnitude);
    if (interleavedWeights)
      continue;
    return op->emitOpError() << "GPU kernels read operand #" << operand.getOperandNumber()
                             << " row-major, packed or (4-bit weights) interleaved in AWQ's "
                                "or the half-fragment order or sign_magnitude, not "
                             << layout << " (not supported yet)";
  }
  return success();
}

/// The function's name as a PTX identifier: MLIR symbols may hold any
/// character (`@"my-layer.v2"`), PTX names letters, digits, `_` and `$`
/// only (the NVPTX printer aborts on others). Others become `_`; the
/// counter suffix keeps the names unique.
std::string kernelNameStem(StringRef function) {
  std::string stem = function.str();
  for (char &c : stem)
    if (!llvm::isAlnum(c) && c != '_' && c != '$')
      c = '_';
  if (stem.empty() || llvm::isDigit(stem[0]))
    stem.insert(0, "k");
  return stem;
}

/// The kernel name's suffix: which strategy made it.
StringRef strategySuffix(lowbit::gpu::Strategy strategy) {
  switch (strategy) {
  case lowbit::gpu::Strategy::SplitKGemv:
    return "_gemv";
  case lowbit::gpu::Strategy::TmaGemv:
    return "_tma_gemv";
  case lowbit::gpu::Strategy::Wgmma:
    return "_wgmma";
  case lowbit::gpu::Strategy::Bitplane:
    return "_bitplane";
  case lowbit::gpu::Strategy::Lut:
    return "_lut";
  default:
    return "_mma";
  }
}

struct LowerMatmulToGPUPass
    : lowbit::impl::LowBitLowerMatmulToGPUPassBase<LowerMatmulToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    ::mlir::gpu::GPUModuleOp kernels;
    int counter = 0;
    // The target (lowbit-select-kernel-config records it) sizes persistent
    // grids: one block per SM.
    auto target = module->getAttrOfType<lowbit::gpu::TargetAttr>(
        lowbit::gpu::LowBitGPUDialect::kTargetAttrName);
    int64_t numSMs = target ? target.getNumSMs() : 0;
    // The kernels' module takes a fixed name, which nothing else may hold
    // where there are products to lower (a module that names its own module
    // so; one lowered already has no products left).
    constexpr llvm::StringLiteral kKernelsName = "lowbit_kernels";
    Operation *nameHolder = SymbolTable::lookupSymbolIn(module, kKernelsName);
    WalkResult result = module.walk([&](Operation *op) {
      if (!isa<MatmulOp, BitplaneMatmulOp, LutMatmulOp>(op))
        return WalkResult::advance();
      // Products are host-level ops that become a kernel and its launch;
      // inside device code there is nothing to launch them from.
      if (auto device = op->getParentOfType<::mlir::gpu::GPUModuleOp>()) {
        op->emitOpError() << "is inside gpu.module @" << device.getName()
                          << ": lowbit products are host-level ops, each lowered to a kernel of "
                             "its own";
        return WalkResult::interrupt();
      }
      auto config = op->getAttrOfType<lowbit::gpu::ConfigAttr>(
          lowbit::gpu::LowBitGPUDialect::kConfigAttrName);
      if (!config) {
        op->emitOpError() << "has no " << lowbit::gpu::LowBitGPUDialect::kConfigAttrName
                         << "; run lowbit-select-kernel-config first";
        return WalkResult::interrupt();
      }
      if (failed(lowbit::gpu::verifyKernelOperandSizes(op)) ||
          failed(verifyKernelLayouts(op, config)))
        return WalkResult::interrupt();
      if (!kernels) {
        if (nameHolder) {
          nameHolder->emitError() << "the symbol name '" << kKernelsName
                                  << "' is the module lowbit's GPU kernels go into; rename this "
                                  << nameHolder->getName();
          return WalkResult::interrupt();
        }
        b.setInsertionPointToEnd(module.getBody());
        kernels = ::mlir::gpu::GPUModuleOp::create(b, op->getLoc(), kKernelsName);
        module->setAttr(::mlir::gpu::GPUDialect::getContainerModuleAttrName(),
                        b.getUnitAttr());
      }
      auto parent = op->getParentOfType<FunctionOpInterface>();
      std::string name = kernelNameStem(parent ? parent.getName() : "matmul") +
                         strategySuffix(config.getStrategy()).str() + std::to_string(counter++);
      if (target && config.getStrategy() == lowbit::gpu::Strategy::Wgmma &&
          !target.hasWgmma()) {
        op->emitOpError() << "the wgmma strategy needs sm_90a, the target is "
                         << target.getChip();
        return WalkResult::interrupt();
      }
      if (target && config.getStrategy() == lowbit::gpu::Strategy::TmaGemv &&
          target.getComputeCapability() < 90) {
        op->emitOpError() << "the tma_gemv strategy needs TMA (sm_90 or newer), the target is "
                         << target.getChip();
        return WalkResult::interrupt();
      }
      b.setInsertionPointToEnd(kernels.getBody());
      FailureOr<KernelLaunch> launch = buildKernel(b, op, config, name, numSMs);
      if (failed(launch))
        return WalkResult::interrupt();
      // A grid CUDA cannot launch (a huge product, a K split past its
      // limit) is an error here, not at launch.
      constexpr int64_t kMaxGridX = (int64_t(1) << 31) - 1, kMaxGridYZ = 65535;
      if (launch->grid[0] > kMaxGridX || launch->grid[1] > kMaxGridYZ ||
          launch->grid[2] > kMaxGridYZ) {
        op->emitOpError() << "the kernel's grid [" << launch->grid[0] << ", " << launch->grid[1]
                          << ", " << launch->grid[2]
                          << "] exceeds CUDA's (x up to 2^31 - 1 blocks, y and z up to 65535)";
        return WalkResult::interrupt();
      }
      // A config given by hand can ask for more than the chip has; say so
      // here rather than at launch.
      if (target && launch->sharedBytes > target.getMaxSharedMemoryPerBlock()) {
        op->emitOpError() << "the kernel needs " << launch->sharedBytes
                         << " bytes of shared memory per block, "
                         << target.getChip() << " has "
                         << target.getMaxSharedMemoryPerBlock()
                         << " (fewer stages or smaller tiles)";
        return WalkResult::interrupt();
      }
      SmallVector<Attribute> params;
      for (const std::string &role : launch->params)
        params.push_back(b.getStringAttr(role));
      // [param, rows, row_bytes, box_rows, box_bytes, swizzle] each; always present,
      // so that a reader tells "none" from IR that predates tensor maps.
      SmallVector<Attribute> tensorMaps;
      for (const TensorMapDesc &map : launch->tensorMaps)
        tensorMaps.push_back(b.getDenseI64ArrayAttr(
            {int64_t(map.param), map.rows, map.rowBytes, map.boxRows, map.boxBytes, map.swizzle}));
      SmallVector<NamedAttribute> kernel = {
          b.getNamedAttr("name", b.getStringAttr(name)),
          b.getNamedAttr("grid", b.getDenseI64ArrayAttr(launch->grid)),
          b.getNamedAttr("block", b.getDenseI64ArrayAttr(launch->block)),
          b.getNamedAttr("shared_memory", b.getI64IntegerAttr(launch->sharedBytes)),
          b.getNamedAttr("params", b.getArrayAttr(params)),
          b.getNamedAttr("tensor_maps", b.getArrayAttr(tensorMaps)),
          b.getNamedAttr("zero_result", b.getBoolAttr(launch->zeroResult))};
      // Only where warpgroups move registers (setmaxnreg).
      if (launch->registerPool)
        kernel.push_back(
            b.getNamedAttr("register_pool", b.getI64IntegerAttr(launch->registerPool)));
      // Only where the blocks share a workspace in the module (stream-K).
      if (launch->sharedWorkspace)
        kernel.push_back(b.getNamedAttr("shared_workspace", b.getUnitAttr()));
      // Only where the kernel waits for the grid before it (sm_90 kernels).
      if (launch->dependentLaunch)
        kernel.push_back(b.getNamedAttr("dependent_launch", b.getUnitAttr()));
      op->setAttr("lowbit_gpu.kernel", b.getDictionaryAttr(kernel));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

struct GridConstantTensorMapsPass
    : lowbit::impl::LowBitGridConstantTensorMapsPassBase<GridConstantTensorMapsPass> {
  void runOnOperation() override {
    getOperation().walk([&](LLVM::LLVMFuncOp func) {
      auto args = func->getAttrOfType<DenseI32ArrayAttr>(kTensorMapArgsAttrName);
      if (!args)
        return;
      OpBuilder b(func.getContext());
      auto map = LLVM::LLVMArrayType::get(b.getI8Type(), 128);
      for (int32_t arg : args.asArrayRef()) {
        func.setArgAttr(arg, LLVM::LLVMDialect::getByValAttrName(), TypeAttr::get(map));
        func.setArgAttr(arg, LLVM::LLVMDialect::getAlignAttrName(), b.getI64IntegerAttr(64));
        func.setArgAttr(arg, NVVM::NVVMDialect::getGridConstantAttrName(), b.getUnitAttr());
      }
      func->removeAttr(kTensorMapArgsAttrName);
    });
  }
};

} // namespace
