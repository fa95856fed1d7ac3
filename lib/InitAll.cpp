//===- InitAll.cpp - register everything lowbit provides ------------------===//
#include "lowbit/InitAll.h"

#include "LowBit/IR/LowBitDialect.h"
#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "LowBitGPU/Transforms/Passes.h"
#include "lowbit/Conversion/Passes.h"
#include "lowbit/Pipelines/Pipelines.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::lowbit::registerAllDialects(DialectRegistry &registry) {
  registry.insert<LowBitDialect, gpu::LowBitGPUDialect, arith::ArithDialect,
                  func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                  tensor::TensorDialect>();
  registerReferenceExtensions(registry);
  registerGPUExtensions(registry);
}

void mlir::lowbit::registerAllPasses() {
  gpu::registerLowBitGPUPasses();
  registerLowBitConversionPasses();
  registerPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
}
