//===- MatmulToGPU.cpp - lowbit.matmul to GPU kernels ---------------------===//
//
// The pass: for every `lowbit.matmul` with a `lowbit_gpu.config`, the
// strategy's generator (Kernels.h) appends a kernel to
// `gpu.module @lowbit_kernels`, and the matmul gets a `lowbit_gpu.kernel`
// attribute saying how to launch it (name, grid, block, dynamic shared
// memory, parameters, whether the result is zeroed first).
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
#define GEN_PASS_DEF_LOWBITLOWERMATMULTOGPUPASS
#include "lowbit/Conversion/Passes.h.inc"
} // namespace mlir::lowbit

using namespace mlir;
using namespace mlir::lowbit;

namespace {

FailureOr<KernelLaunch> buildKernel(OpBuilder &b, MatmulOp op,
                                    lowbit::gpu::ConfigAttr config,
                                    StringRef name) {
  switch (config.getStrategy()) {
  case lowbit::gpu::Strategy::SplitKGemv:
    return buildGemvKernel(b, op, config, name);
  case lowbit::gpu::Strategy::MmaSync:
    return buildMmaSyncKernel(b, op, config, name);
  default:
    return op.emitOpError()
           << "GPU code generation does not support the "
           << lowbit::gpu::stringifyStrategy(config.getStrategy())
           << " strategy yet (supported: splitk_gemv, mma_sync)";
  }
}

struct LowerMatmulToGPUPass
    : lowbit::impl::LowBitLowerMatmulToGPUPassBase<LowerMatmulToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    ::mlir::gpu::GPUModuleOp kernels;
    int counter = 0;
    WalkResult result = module.walk([&](MatmulOp op) {
      auto config = op->getAttrOfType<lowbit::gpu::ConfigAttr>(
          lowbit::gpu::LowBitGPUDialect::kConfigAttrName);
      if (!config) {
        op.emitOpError() << "has no " << lowbit::gpu::LowBitGPUDialect::kConfigAttrName
                         << "; run lowbit-select-kernel-config first";
        return WalkResult::interrupt();
      }
      if (!kernels) {
        b.setInsertionPointToEnd(module.getBody());
        kernels = ::mlir::gpu::GPUModuleOp::create(b, op.getLoc(), "lowbit_kernels");
        module->setAttr(::mlir::gpu::GPUDialect::getContainerModuleAttrName(),
                        b.getUnitAttr());
      }
      auto parent = op->getParentOfType<FunctionOpInterface>();
      std::string name =
          (parent ? parent.getName().str() : "matmul") +
          (config.getStrategy() == lowbit::gpu::Strategy::SplitKGemv ? "_gemv"
                                                                      : "_mma") +
          std::to_string(counter++);
      b.setInsertionPointToEnd(kernels.getBody());
      FailureOr<KernelLaunch> launch = buildKernel(b, op, config, name);
      if (failed(launch))
        return WalkResult::interrupt();
      SmallVector<Attribute> params;
      for (const std::string &role : launch->params)
        params.push_back(b.getStringAttr(role));
      op->setAttr(
          "lowbit_gpu.kernel",
          b.getDictionaryAttr(
              {b.getNamedAttr("name", b.getStringAttr(name)),
               b.getNamedAttr("grid", b.getDenseI64ArrayAttr(launch->grid)),
               b.getNamedAttr("block", b.getDenseI64ArrayAttr(launch->block)),
               b.getNamedAttr("shared_memory",
                              b.getI64IntegerAttr(launch->sharedBytes)),
               b.getNamedAttr("params", b.getArrayAttr(params)),
               b.getNamedAttr("zero_result", b.getBoolAttr(launch->zeroResult))}));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
