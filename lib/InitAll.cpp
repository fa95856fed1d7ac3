//===- InitAll.cpp - register everything lowbit provides ------------------===//
#include "lowbit/InitAll.h"

#include "LowBit/IR/LowBitDialect.h"
#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "LowBitGPU/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::lowbit::registerAllDialects(DialectRegistry &registry) {
  registry.insert<LowBitDialect, gpu::LowBitGPUDialect, arith::ArithDialect,
                  func::FuncDialect, tensor::TensorDialect>();
}

void mlir::lowbit::registerAllPasses() {
  gpu::registerLowBitGPUPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
}
