//===- lowbit-opt.cpp - lowbit optimizer driver ---------------------------===//
#include "lowbit/InitAll.h"
#include "lowbit/Support/Json.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  mlir::lowbit::registerAllDialects(registry);
  mlir::lowbit::registerAllPasses();
  auto [inputFile, outputFile] =
      mlir::registerAndParseCLIOptions(argc, argv, "lowbit optimizer driver\n", registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  // Listing dialects or passes reads no input.
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(mlir::MlirOptMain(argc, argv, inputFile, outputFile, registry));
  // The input is read here, not by MlirOptMain, so that IR nested thousands
  // deep is an error before MLIR's parser recurses into it (mlir-opt
  // overflows its stack on such files).
  auto input = mlir::lowbit::readIRFile(inputFile);
  if (!input) {
    llvm::errs() << "lowbit-opt: " << llvm::toString(input.takeError()) << "\n";
    return 1;
  }
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = mlir::openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "lowbit-opt: " << error << "\n";
    return 1;
  }
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(*input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
