//===- lowbit-compile.cpp - lowbit ops to PTX and a launch manifest -------===//
//
//   lowbit-compile FILE.mlir --arch=sm_90a -o OUT.ptx|OUT.cubin [--manifest=OUT.json]
//
// Runs the GPU kernel pipeline (config selection, kernel generation, NVVM,
// PTX) and writes the PTX of all kernels, or (for a .cubin output) their
// cubin from the CUDA toolkit's ptxas, plus a JSON manifest saying, per
// kernel, its entry name, grid, block, dynamic shared memory and parameters
// (role, shape, .npy dtype, code type, layout of the weight bytes); with a
// cubin also the registers and spill bytes ptxas reports.
//
//===----------------------------------------------------------------------===//
#include "LowBit/IR/LowBitOps.h"
#include "lowbit/InitAll.h"
#include "lowbit/Pipelines/Pipelines.h"
#include "lowbit/Support/Npy.h"
#include "lowbit/Support/Ptxas.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::Required);
static cl::opt<std::string> arch(
    "arch", cl::desc("sm_80, sm_86, sm_89, sm_90 or sm_90a"), cl::init("sm_90a"));
static cl::opt<std::string> outputFile("o", cl::desc("PTX (.ptx) or cubin (.cubin) output"),
                                       cl::Required);
static cl::opt<std::string> manifestFile("manifest",
                                         cl::desc("JSON launch manifest"),
                                         cl::init(""));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-compile: " << message << "\n";
  return 1;
}

/// The .npy dtype of one element of a kernel parameter.
static std::string npyDtype(Type type) {
  if (type.isF32())
    return "f4";
  if (type.isF16())
    return "f2";
  if (type.isBF16())
    return "V2";
  return "u1";
}

static std::string typeName(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

static llvm::json::Array shapeJson(ArrayRef<int64_t> shape) {
  llvm::json::Array array;
  for (int64_t d : shape)
    array.push_back(d);
  return array;
}

/// One manifest entry per generated kernel, from the matmul it computes.
static llvm::json::Object kernelJson(lowbit::MatmulOp op, DictionaryAttr kernel) {
  llvm::json::Array params;
  for (Attribute role : kernel.getAs<ArrayAttr>("params")) {
    StringRef name = cast<StringAttr>(role).getValue();
    Value value = name == "input"                ? op.getInput()
                  : name == "weight"             ? op.getWeight()
                  : name == "weight_scales"      ? op.getWeightScales()
                  : name == "weight_zero_points" ? op.getWeightZeroPoints()
                  : name == "input_scales"       ? op.getInputScales()
                                                 : op.getResult();
    auto type = cast<RankedTensorType>(value.getType());
    llvm::json::Object param{{"role", name},
                             {"shape", shapeJson(type.getShape())},
                             {"dtype", npyDtype(type.getElementType())}};
    // Which argument of the function it is, for runners fed by argument.
    if (auto arg = dyn_cast<BlockArgument>(value))
      param["arg"] = int64_t(arg.getArgNumber());
    if (name == "input" && op.getInputSchemeAttr())
      param["code"] = typeName(op.getInputSchemeAttr().getStorage());
    if (name == "weight")
      param["code"] = typeName(op.getWeightScheme().getStorage());
    bool codes = name == "weight" || name == "weight_zero_points" ||
                 (name == "input" && op.getInputSchemeAttr());
    if (codes) {
      param["bits"] = int64_t(lowbit::getCodeBitWidth(type.getElementType()));
      auto layout = dyn_cast_or_null<lowbit::LayoutAttr>(type.getEncoding());
      param["layout"] = name != "weight_zero_points" && layout ? "packed" : "bytes";
    }
    if (name == "weight") {
      // Enough of the scheme for a host to dequantize (benchmark checks).
      lowbit::QuantSchemeAttr scheme = op.getWeightScheme();
      param["signed"] = scheme.getSignedness() == lowbit::Signedness::Signed;
      param["granularity"] = lowbit::stringifyGranularity(scheme.getGranularity());
      param["axis"] = scheme.getAxis();
      param["group_size"] = scheme.getGroupSize();
    }
    params.push_back(std::move(param));
  }
  return llvm::json::Object{
      {"name", kernel.getAs<StringAttr>("name").getValue()},
      {"grid", shapeJson(kernel.getAs<DenseI64ArrayAttr>("grid").asArrayRef())},
      {"block", shapeJson(kernel.getAs<DenseI64ArrayAttr>("block").asArrayRef())},
      {"shared_memory", kernel.getAs<IntegerAttr>("shared_memory").getInt()},
      {"zero_result", kernel.getAs<BoolAttr>("zero_result").getValue()},
      {"params", std::move(params)}};
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "lowbit GPU compiler\n");
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

  DialectRegistry registry;
  lowbit::registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the op and say what is wrong; a dump of the generated
  // kernel module would bury that.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
  if (!module)
    return 1;

  lowbit::GPUTarget target;
  target.chip = arch;
  target.features = lowbit::requiredPtxFeatures(*module);
  PassManager pm(&context);
  lowbit::buildGPUKernelPipeline(pm, target);
  if (failed(pm.run(*module)))
    return fail("compilation failed");

  std::string ptx;
  module->walk([&](::mlir::gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects())
      ptx += cast<::mlir::gpu::ObjectAttr>(object).getObject().getValue().str();
  });
  if (ptx.empty())
    return fail("no lowbit.matmul to compile in " + inputFile);
  // A cubin is ptxas's work on the PTX, written next to it first.
  bool cubin = llvm::StringRef(outputFile).ends_with(".cubin");
  std::string ptxFile = cubin ? outputFile + ".ptx" : outputFile.getValue();
  if (llvm::Error e = mlir::lowbit::writeFileAtomically(
          ptxFile, [&](llvm::raw_ostream &os) { os << ptx; }))
    return fail(llvm::toString(std::move(e)));
  std::optional<lowbit::PtxasReport> report;
  if (cubin) {
    auto assembled = lowbit::assembleCubin(ptxFile, arch, outputFile);
    llvm::sys::fs::remove(ptxFile);
    if (!assembled)
      return fail(llvm::toString(assembled.takeError()));
    report = std::move(*assembled);
  }

  llvm::json::Array kernels;
  module->walk([&](lowbit::MatmulOp op) {
    if (auto kernel = op->getAttrOfType<DictionaryAttr>("lowbit_gpu.kernel")) {
      llvm::json::Object entry = kernelJson(op, kernel);
      if (report) {
        entry["registers"] = report->registers;
        entry["spill_bytes"] = report->spillBytes;
      }
      kernels.push_back(std::move(entry));
    }
  });
  llvm::outs() << "lowbit-compile: " << kernels.size() << " kernel(s) for "
               << arch << " -> " << outputFile << "\n";
  if (!manifestFile.empty()) {
    llvm::json::Object manifest{{"target", arch.getValue()},
                                {"image", outputFile.getValue()},
                                {"kernels", std::move(kernels)}};
    if (llvm::Error e = mlir::lowbit::writeFileAtomically(
            manifestFile, [&](llvm::raw_ostream &os) {
              os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)))
                 << "\n";
            }))
      return fail(llvm::toString(std::move(e)));
  }
  return 0;
}
