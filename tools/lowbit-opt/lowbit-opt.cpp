//===- lowbit-opt.cpp - lowbit optimizer driver ---------------------------===//
#include "lowbit/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::lowbit::registerAllDialects(registry);
  mlir::lowbit::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lowbit optimizer driver\n", registry));
}
