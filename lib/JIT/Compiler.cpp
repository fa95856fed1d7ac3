//===- Compiler.cpp - lowbit ops to a loadable kernel image ----------------===//
#include "lowbit/JIT/Compiler.h"

#include "Support.h"

#include "LowBit/IR/LowBitOps.h"
#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "lowbit/InitAll.h"
#include "lowbit/Pipelines/Pipelines.h"
#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"
#include "lowbit/Support/Ptxas.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Timer.h"

#include <chrono>
#include <mutex>

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::jit;

/// The .npy dtype of one element of a kernel parameter.
static std::string npyDtype(Type type) {
  if (type.isF32())
    return "f4";
  if (type.isF16())
    return "f2";
  if (type.isBF16())
    return "V2";
  if (type.isInteger(32))
    return "i4";
  if (type.isInteger(1))
    return "b1";
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

/// A kernel parameter's manifest entry: role, shape, .npy dtype and the
/// function argument it is.
static llvm::json::Object paramJson(StringRef role, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  // json::Value borrows StringRefs: everything below is copied, because
  // the manifest outlives the MLIRContext that owns the attributes.
  llvm::json::Object param{{"role", role.str()},
                           {"shape", shapeJson(type.getShape())},
                           {"dtype", npyDtype(type.getElementType())}};
  // Which argument of the function it is, for runners fed by argument.
  if (auto arg = dyn_cast<BlockArgument>(value))
    param["arg"] = int64_t(arg.getArgNumber());
  return param;
}

/// The [M, N] shape of a product's `result`: its type's dims where static,
/// else M is dim `mDim` of `mSource` and N dim `nDim` of `nSource`. The
/// result's type may leave them dynamic where the operands fix them
/// (tensor<?x?xf32>), and an operand may leave them dynamic where the result
/// fixes them; launchers size the buffer from the manifest, which must say
/// how large it is.
static llvm::json::Array productShape(Value result, Value mSource, int64_t mDim, Value nSource,
                                      int64_t nDim) {
  auto type = cast<RankedTensorType>(result.getType());
  auto size = [&](int64_t dim, Value source, int64_t sourceDim) {
    return type.isDynamicDim(dim) ? cast<RankedTensorType>(source.getType()).getDimSize(sourceDim)
                                  : type.getDimSize(dim);
  };
  return shapeJson({size(0, mSource, mDim), size(1, nSource, nDim)});
}

/// A kernel's parameters in the order of its `roles`: each the operand
/// `valueOf` names for its role, with what `annotate` adds about it.
static llvm::json::Array
paramsJson(ArrayAttr roles, function_ref<Value(StringRef role)> valueOf,
           function_ref<void(StringRef role, Value value, llvm::json::Object &)> annotate) {
  llvm::json::Array params;
  for (Attribute role : roles) {
    StringRef name = cast<StringAttr>(role).getValue();
    Value value = valueOf(name);
    llvm::json::Object param = paramJson(name, value);
    annotate(name, value, param);
    params.push_back(std::move(param));
  }
  return params;
}

/// The parameters of a matmul's kernel.
static llvm::json::Array paramsJson(lowbit::MatmulOp op, ArrayAttr roles) {
  auto valueOf = [&](StringRef name) -> Value {
    return name == "input"                ? op.getInput()
           : name == "weight"             ? op.getWeight()
           : name == "weight_scales"      ? op.getWeightScales()
           : name == "weight_zero_points" ? op.getWeightZeroPoints()
           : name == "input_scales"       ? op.getInputScales()
                                          : op.getResult();
  };
  return paramsJson(roles, valueOf, [&](StringRef name, Value value, llvm::json::Object &param) {
    auto type = cast<RankedTensorType>(value.getType());
    if (name == "result")
      param["shape"] = productShape(op.getResult(), op.getInput(), 0, op.getWeight(), 0);
    if (name == "input" && op.getInputSchemeAttr())
      param["code"] = typeName(op.getInputSchemeAttr().getStorage());
    if (name == "weight")
      param["code"] = typeName(op.getWeightScheme().getStorage());
    // 8-bit float scales (MX e8m0, NVFP4-style e4m3) travel as bytes: their
    // format says what each byte is worth.
    auto scaleType = dyn_cast<FloatType>(type.getElementType());
    if ((name == "weight_scales" || name == "input_scales") && scaleType &&
        scaleType.getWidth() == 8)
      param["code"] = typeName(scaleType);
    bool codes = name == "weight" || name == "weight_zero_points" ||
                 (name == "input" && op.getInputSchemeAttr());
    if (codes) {
      param["bits"] = int64_t(lowbit::getCodeBitWidth(type.getElementType()));
      auto layout = dyn_cast_or_null<lowbit::LayoutAttr>(type.getEncoding());
      param["layout"] = name != "weight_zero_points" && layout ? "packed" : "bytes";
      // Interleaved words (AWQ's order, the half-fragment order): the host
      // packs them in the order named.
      if (layout && layout.getKind() == lowbit::LayoutKind::Interleave) {
        param["layout"] = "interleave";
        param["order"] = llvm::json::Array(layout.getOrder());
      }
      if (layout && layout.getKind() == lowbit::LayoutKind::SignMagnitude)
        param["layout"] = "sign_magnitude";
    }
    if (name == "weight") {
      // Enough of the scheme for a host to dequantize (benchmark checks).
      lowbit::QuantSchemeAttr scheme = op.getWeightScheme();
      param["signed"] = scheme.getSignedness() == lowbit::Signedness::Signed;
      param["granularity"] = lowbit::stringifyGranularity(scheme.getGranularity()).str();
      param["axis"] = scheme.getAxis();
      param["group_size"] = scheme.getGroupSize();
      if (DenseF32ArrayAttr codebook = scheme.getCodebook()) {
        llvm::json::Array values;
        for (float v : codebook.asArrayRef())
          values.push_back(double(v));
        param["codebook"] = std::move(values);
      }
    }
  });
}

/// The parameters of a bit-plane product's kernel: both operands as rows
/// of K bits (layout "bits", see runtime::deviceBytes), the i32 result.
static llvm::json::Array paramsJson(lowbit::BitplaneMatmulOp op, ArrayAttr roles) {
  auto valueOf = [&](StringRef name) -> Value {
    return name == "input" ? op.getInput() : name == "weight" ? op.getWeight() : op.getResult();
  };
  return paramsJson(roles, valueOf, [&](StringRef name, Value, llvm::json::Object &param) {
    if (name != "result") {
      param["bits"] = int64_t(1);
      param["layout"] = "bits";
    } else {
      // Input planes [P, M, K], weight planes [Q, N, K].
      param["shape"] = productShape(op.getResult(), op.getInput(), 1, op.getWeight(), 1);
    }
  });
}

/// The parameters of a lookup-table product's kernel: the table, the weight
/// indices (one per byte), the scales, the result.
static llvm::json::Array paramsJson(lowbit::LutMatmulOp op, ArrayAttr roles) {
  auto valueOf = [&](StringRef name) -> Value {
    return name == "table"           ? op.getTable()
           : name == "weight"        ? op.getWeight()
           : name == "weight_scales" ? op.getScales()
                                     : op.getResult();
  };
  return paramsJson(roles, valueOf, [&](StringRef name, Value, llvm::json::Object &param) {
    if (name == "weight") {
      param["bits"] = op.getGroupSize();
      param["layout"] = "bytes";
    }
    // Tables [M, K / g, 2^(g-1)], weight indices [P, N, K / g].
    if (name == "result")
      param["shape"] = productShape(op.getResult(), op.getTable(), 0, op.getWeight(), 1);
  });
}

/// One manifest entry per generated kernel, from the op it computes.
static llvm::json::Object kernelJson(Operation *op, DictionaryAttr kernel) {
  auto roles = kernel.getAs<ArrayAttr>("params");
  llvm::json::Array params =
      isa<lowbit::BitplaneMatmulOp>(op) ? paramsJson(cast<lowbit::BitplaneMatmulOp>(op), roles)
      : isa<lowbit::LutMatmulOp>(op)    ? paramsJson(cast<lowbit::LutMatmulOp>(op), roles)
                                        : paramsJson(cast<lowbit::MatmulOp>(op), roles);
  llvm::json::Object entry{
      {"name", kernel.getAs<StringAttr>("name").getValue().str()},
      {"grid", shapeJson(kernel.getAs<DenseI64ArrayAttr>("grid").asArrayRef())},
      {"block", shapeJson(kernel.getAs<DenseI64ArrayAttr>("block").asArrayRef())},
      {"shared_memory", kernel.getAs<IntegerAttr>("shared_memory").getInt()},
      {"zero_result", kernel.getAs<BoolAttr>("zero_result").getValue()},
      {"shared_workspace", bool(kernel.get("shared_workspace"))},
      {"dependent_launch", bool(kernel.get("dependent_launch"))},
      {"params", std::move(params)}};
  // Tensor maps the host encodes and passes after the pointers, in order
  // (IR from before tensor maps has none). Integers, so copied.
  llvm::json::Array tensorMaps;
  if (auto maps = kernel.getAs<ArrayAttr>("tensor_maps"))
    for (Attribute attr : maps) {
      ArrayRef<int64_t> m = cast<DenseI64ArrayAttr>(attr).asArrayRef();
      tensorMaps.push_back(llvm::json::Object{{"param", m[0]},
                                              {"rows", m[1]},
                                              {"row_bytes", m[2]},
                                              {"box_rows", m[3]},
                                              {"box_bytes", m[4]},
                                              {"swizzle", m.size() > 5 ? m[5] : 128}});
    }
  entry["tensor_maps"] = std::move(tensorMaps);
  if (auto pool = kernel.getAs<IntegerAttr>("register_pool"))
    entry["register_pool"] = pool.getInt();
  if (auto config = op->getAttr(lowbit::gpu::LowBitGPUDialect::kConfigAttrName)) {
    std::string text;
    llvm::raw_string_ostream os(text);
    config.print(os);
    entry["config"] = text;
  }
  return entry;
}

llvm::json::Object CompiledModule::manifest(const std::string &imagePath) const {
  llvm::json::Array copy = kernels;
  if (!cubin.empty())
    for (llvm::json::Value &k : copy) {
      (*k.getAsObject())["registers"] = registers;
      (*k.getAsObject())["spill_bytes"] = spillBytes;
    }
  return llvm::json::Object{
      {"target", arch}, {"image", imagePath}, {"kernels", std::move(copy)}};
}

static void initializeNVPTX() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

llvm::Expected<CompiledModule>
mlir::lowbit::jit::compileModule(ModuleOp module, const CompileOptions &options) {
  initializeNVPTX();
  MLIRContext *context = module.getContext();
  if (!options.config.empty()) {
    Attribute config = parseAttribute(options.config, context);
    if (!isa_and_nonnull<lowbit::gpu::ConfigAttr>(config))
      return jitError("not a #lowbit_gpu.config: " + options.config);
    module.walk([&](Operation *op) {
      if (isa<lowbit::MatmulOp, lowbit::BitplaneMatmulOp, lowbit::LutMatmulOp>(op))
        op->setAttr(lowbit::gpu::LowBitGPUDialect::kConfigAttrName, config);
    });
  }
  lowbit::GPUTarget target;
  target.chip = options.arch;
  target.features = lowbit::requiredPtxFeatures(module);

  CompiledModule result;
  result.arch = options.arch;
  auto start = std::chrono::steady_clock::now();
  PassManager lowering(context);
  lowbit::buildGPUKernelLoweringPipeline(lowering, target);
  if (failed(lowering.run(module)))
    return jitError("kernel generation failed");
  result.mlirSeconds = secondsSince(start);
  start = std::chrono::steady_clock::now();
  PassManager codegen(context);
  lowbit::buildGPUBinaryPipeline(codegen);
  if (failed(codegen.run(module)))
    return jitError("PTX generation failed");
  result.llvmSeconds = secondsSince(start);

  module->walk([&](::mlir::gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects())
      result.ptx += cast<::mlir::gpu::ObjectAttr>(object).getObject().getValue().str();
  });
  if (result.ptx.empty())
    return jitError("no lowbit.matmul, lowbit.bitplane_matmul or lowbit.lut_matmul to compile");
  module->walk([&](Operation *op) {
    if (!isa<lowbit::MatmulOp, lowbit::BitplaneMatmulOp, lowbit::LutMatmulOp>(op))
      return;
    if (auto kernel = op->getAttrOfType<DictionaryAttr>("lowbit_gpu.kernel"))
      result.kernels.push_back(kernelJson(op, kernel));
  });

  if (options.cubin) {
    start = std::chrono::steady_clock::now();
    llvm::SmallString<128> ptxPath, cubinPath;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lowbit", "ptx", ptxPath))
      return jitError("cannot create a temporary file: " + ec.message());
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("lowbit", "cubin", cubinPath)) {
      llvm::sys::fs::remove(ptxPath);
      return jitError("cannot create a temporary file: " + ec.message());
    }
    llvm::Error written = writeFileAtomically(
        ptxPath.str().str(), [&](llvm::raw_ostream &os) { os << result.ptx; });
    llvm::Expected<PtxasReport> report =
        written ? llvm::Expected<PtxasReport>(std::move(written))
                : assembleCubin(ptxPath.str().str(), options.arch, cubinPath.str().str());
    if (report) {
      if (auto bytes = llvm::MemoryBuffer::getFile(cubinPath, /*IsText=*/false))
        result.cubin = (*bytes)->getBuffer().str();
      result.registers = report->registers;
      result.spillBytes = report->spillBytes;
    }
    llvm::sys::fs::remove(ptxPath);
    llvm::sys::fs::remove(cubinPath);
    if (!report)
      return report.takeError();
    if (result.cubin.empty())
      return jitError("ptxas wrote no cubin");
    result.ptxasSeconds = secondsSince(start);
  }
  return result;
}

llvm::Expected<CompiledModule>
mlir::lowbit::jit::compileSource(const std::string &source, const CompileOptions &options) {
  DialectRegistry registry;
  lowbit::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  std::string messages;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    llvm::raw_string_ostream os(messages);
    if (!messages.empty())
      os << "\n";
    os << diag.getLocation() << ": " << diag.str();
    return success();
  });
  // MLIR's parser recurses per nested bracket: IR nested thousands deep
  // (given to the C API by a host program) would overflow its stack.
  if (llvm::Error error = checkIRDepth(source))
    return jitError(llvm::toString(std::move(error)));
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module)
    return jitError(messages.empty() ? "cannot parse the source" : messages);
  llvm::Expected<CompiledModule> result = compileModule(*module, options);
  if (!result && !messages.empty()) {
    llvm::consumeError(result.takeError());
    return jitError(messages);
  }
  return result;
}
