//===- lowbit-run.cpp - run lowbit functions on the CPU reference ---------===//
//
//   lowbit-run FILE.mlir [--entry=NAME] [--input=A.npy ...] [--seed=N]
//              [--nonnegative=I,...] [--output=OUT.npy ...]
//   lowbit-run --compare GOT.npy EXPECTED.npy [--rtol=R] [--atol=A] [--max-rel-l2=E]
//   lowbit-run FILE.mlir --gpu [--arch=sm_90a] [--rtol=R] [--atol=A] [--max-rel-l2=E]
//     (also runs the function's kernel on GPU 0 and compares the results)
//
// Runs a function through lowbit-reference-pipeline and MLIR's
// ExecutionEngine. Inputs come from .npy files, in argument order, or from a
// seeded generator for the arguments without a file. Outputs are written as
// .npy. Element types numpy lacks (bf16, fp8/fp6/fp4, sub-byte and bipolar
// codes) travel as raw bits, one element per 'V1'/'V2' item, as ml_dtypes
// writes them; summaries print sub-byte codes as their raw bits too.
//
//===----------------------------------------------------------------------===//
#include "LowBit/IR/LowBitDialect.h"
#include "LowBit/IR/LowBitOps.h"
#include "lowbit/InitAll.h"
#include "lowbit/JIT/Compiler.h"
#include "lowbit/Pipelines/Pipelines.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/KernelManifest.h"
#include "lowbit/Support/ArrayBytes.h"
#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

using namespace mlir;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::cat(toolOptions), cl::desc("<file.mlir>"),
                                      cl::init(""));
static cl::opt<std::string> entry("entry", cl::cat(toolOptions), cl::desc("Function to run"),
                                  cl::init(""));
static cl::list<std::string> inputs("input", cl::cat(toolOptions),
                                    cl::desc("Argument values, in order (.npy)"));
static cl::opt<unsigned>
    seed("seed", cl::cat(toolOptions),
         cl::desc("Generate arguments without --input: reals uniform in [-1, 1), "
                  "codes uniform over their finite values (f8E8M0FNU scales over "
                  "2^-7..2^7), 1-D integer tensors a random permutation"),
         cl::init(1));
static cl::list<unsigned>
    nonNegative("nonnegative", cl::CommaSeparated, cl::cat(toolOptions),
                cl::desc("Generated arguments (by index) drawn non-negative: reals in [0, 1), "
                         "float codes over their finite non-negative values, integer codes below "
                         "half their range, bipolar codes with their top bit set (positive), other "
                         "integers in 0..8 (data that is not zero-mean, where sums cancel)"));
static cl::opt<std::string>
    saveInputs("save-inputs", cl::cat(toolOptions),
               cl::desc("Write the arguments used (given or generated) to DIR/arg<i>.npy"),
               cl::init(""));
static cl::list<std::string> outputs("output", cl::cat(toolOptions),
                                     cl::desc("Where to write results (.npy)"));
static cl::list<std::string>
    compare("compare", cl::cat(toolOptions),
            cl::desc("Compare two .npy files: --compare GOT --compare EXPECTED"));
static cl::opt<double> relTolerance("rtol", cl::cat(toolOptions), cl::desc("Relative tolerance"),
                                    cl::init(1e-5));
static cl::opt<double> absTolerance("atol", cl::cat(toolOptions), cl::desc("Absolute tolerance"),
                                    cl::init(1e-6));
static cl::opt<double>
    maxRelativeL2("max-rel-l2", cl::cat(toolOptions),
                  cl::desc("Also fail a comparison whose relative L2 error exceeds this"),
                  cl::init(-1.0));
static cl::opt<bool>
    onGPU("gpu", cl::cat(toolOptions),
          cl::desc("Also compile the function's lowbit.matmul, bitplane_matmul or lut_matmul "
                   "for --arch, run it on GPU 0 with the same arguments, and compare with the "
                   "CPU result (--rtol, --atol)"),
          cl::init(false));
static cl::opt<std::string> arch("arch", cl::cat(toolOptions), cl::desc("--gpu: target chip"),
                                 cl::init("sm_90a"));
static cl::opt<std::string>
    rawType("raw-type", cl::cat(toolOptions),
            cl::desc("Element type of raw 'V1' items in --compare (e.g. f8E4M3FN)"), cl::init(""));

namespace {

std::string str(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-run: " << message << "\n";
  return 1;
}

//===----------------------------------------------------------------------===//
// Element types <-> bytes
//===----------------------------------------------------------------------===//

/// How one element of an MLIR type sits in memory and in a .npy file.
struct ElementCodec {
  Type type;
  size_t bytes;      // in memory (the JIT's LLVM layout) and in the file
  std::string dtype; // .npy type string

  static std::optional<ElementCodec> of(Type type) {
    if (auto bipolar = dyn_cast<mlir::lowbit::BipolarType>(type))
      return ElementCodec{type, 1, "V1"};
    if (type.isF32())
      return ElementCodec{type, 4, "f4"};
    if (type.isF16())
      return ElementCodec{type, 2, "f2"};
    if (type.isF64())
      return ElementCodec{type, 8, "f8"};
    if (type.isBF16())
      return ElementCodec{type, 2, "V2"};
    if (type.isInteger(1))
      return ElementCodec{type, 1, "b1"};
    if (type.isInteger(8))
      return ElementCodec{type, 1, "i1"};
    if (type.isInteger(32))
      return ElementCodec{type, 4, "i4"};
    if (type.isInteger(64) || type.isIndex())
      return ElementCodec{type, 8, "i8"};
    // Codes and the other byte-sized floats (f8E8M0FNU scales).
    auto floatType = dyn_cast<FloatType>(type);
    if (mlir::lowbit::isCodeType(type) || (floatType && floatType.getWidth() <= 8))
      return ElementCodec{type, 1, "V1"};
    return std::nullopt;
  }

  /// The value of one element as a double (codes: their integer or float
  /// value; bipolar codes: their raw bits).
  double read(const uint8_t *p) const {
    if (type.isF32()) {
      float v;
      memcpy(&v, p, 4);
      return v;
    }
    if (type.isF64()) {
      double v;
      memcpy(&v, p, 8);
      return v;
    }
    if (auto floatType = dyn_cast<FloatType>(type)) {
      unsigned width = floatType.getWidth();
      uint64_t bits = 0;
      memcpy(&bits, p, width <= 8 ? 1 : 2);
      llvm::APFloat value(floatType.getFloatSemantics(),
                          llvm::APInt(width, bits & ((1u << width) - 1)));
      return value.convertToDouble();
    }
    if (type.isInteger(32)) {
      int32_t v;
      memcpy(&v, p, 4);
      return v;
    }
    if (type.isInteger(64) || type.isIndex()) {
      int64_t v;
      memcpy(&v, p, 8);
      return double(v);
    }
    if (type.isInteger(8))
      return double(int8_t(*p));
    // Sub-byte integer and bipolar codes: their raw bits (signedness is the
    // scheme's, which a tensor type does not carry).
    unsigned width = mlir::lowbit::getCodeBitWidth(type);
    return double(*p & uint8_t((1u << width) - 1));
  }
};

/// Random bytes for `count` elements of `codec` (see --seed and
/// --nonnegative). `symmetric` codes leave out the most negative one (the
/// sign_magnitude layout holds 4-bit codes -7..7).
std::vector<uint8_t> randomData(const ElementCodec &codec, int64_t count, ArrayRef<int64_t> shape,
                                std::mt19937 &rng, bool nonNegative, bool symmetric) {
  std::vector<uint8_t> data(count * codec.bytes);
  Type type = codec.type;
  std::uniform_real_distribution<float> real(nonNegative ? 0.0f : -1.0f, 1.0f);
  bool permutation = (type.isInteger(32) || type.isInteger(64) ||
                      type.isIndex()) &&
                     shape.size() == 1;
  if (permutation) {
    std::vector<int64_t> perm(count);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int64_t i = 0; i < count; ++i) {
      if (codec.bytes == 4) {
        int32_t v = int32_t(perm[i]);
        memcpy(&data[i * 4], &v, 4);
      } else {
        memcpy(&data[i * 8], &perm[i], 8);
      }
    }
    return data;
  }
  for (int64_t i = 0; i < count; ++i) {
    uint8_t *p = &data[i * codec.bytes];
    if (type.isF32()) {
      float v = real(rng);
      memcpy(p, &v, 4);
    } else if (type.isF64()) {
      double v = real(rng);
      memcpy(p, &v, 8);
    } else if (type.isF16() || type.isBF16()) {
      llvm::APFloat v(real(rng));
      bool lost;
      v.convert(cast<FloatType>(type).getFloatSemantics(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      uint16_t bits = uint16_t(v.bitcastToAPInt().getZExtValue());
      memcpy(p, &bits, 2);
    } else if (isa<Float8E8M0FNUType>(type)) {
      *p = uint8_t(120 + rng() % 15); // 2^-7 .. 2^7
    } else if (type.isInteger(32) || type.isInteger(64) || type.isIndex()) {
      int64_t v = nonNegative ? int64_t(rng() % 9) : int64_t(rng() % 17) - 8;
      memcpy(p, &v, codec.bytes);
    } else {
      unsigned width = mlir::lowbit::getCodeBitWidth(type);
      // Non-negative: the top bit (a sign, or half an unsigned range) clear;
      // a bipolar value (the sum of +-2^i over its bits) is positive with
      // its top bit set instead.
      bool bipolar = isa<mlir::lowbit::BipolarType>(type);
      unsigned drawn = nonNegative && !bipolar ? width - 1 : width;
      while (true) {
        uint8_t raw = uint8_t(rng() & ((1u << drawn) - 1));
        if (nonNegative && bipolar)
          raw |= uint8_t(1u << (width - 1));
        if (symmetric && raw == 1u << (width - 1))
          continue;
        auto floatType = dyn_cast<FloatType>(type);
        if (!floatType || llvm::APFloat(floatType.getFloatSemantics(),
                                        llvm::APInt(width, raw))
                              .isFinite()) {
          *p = raw;
          break;
        }
      }
    }
  }
  return data;
}

//===----------------------------------------------------------------------===//
// Memref descriptors
//===----------------------------------------------------------------------===//

/// {allocated, aligned, offset, sizes[rank], strides[rank]}, as int64 words.
std::vector<int64_t> makeDescriptor(void *data, ArrayRef<int64_t> shape) {
  std::vector<int64_t> words = {int64_t(reinterpret_cast<intptr_t>(data)),
                                int64_t(reinterpret_cast<intptr_t>(data)), 0};
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  words.insert(words.end(), shape.begin(), shape.end());
  words.insert(words.end(), strides.begin(), strides.end());
  return words;
}

//===----------------------------------------------------------------------===//
// Compare mode
//===----------------------------------------------------------------------===//

int compareFiles(MLIRContext &ctx) {
  if (compare.size() != 2)
    return fail("--compare takes two files: --compare GOT --compare EXPECTED");
  llvm::Expected<mlir::lowbit::NpyArray> got = mlir::lowbit::readNpy(compare[0]);
  if (!got)
    return fail(llvm::toString(got.takeError()));
  llvm::Expected<mlir::lowbit::NpyArray> expected = mlir::lowbit::readNpy(compare[1]);
  if (!expected)
    return fail(llvm::toString(expected.takeError()));
  if (got->shape != expected->shape || got->dtype != expected->dtype)
    return fail("shape or dtype differs: " + compare[0] + " vs " + compare[1]);
  std::vector<double> a, b;
  if (got->dtype == "V1") {
    // Raw one-byte codes: their type says what they stand for.
    if (rawType.empty())
      return fail("raw 'V1' items need --raw-type (e.g. f8E4M3FN or i4)");
    Type type = parseType(rawType, &ctx);
    if (!type || !mlir::lowbit::isCodeType(type))
      return fail("--raw-type '" + rawType + "' is not a code type");
    ElementCodec codec = *ElementCodec::of(type);
    for (int64_t i = 0, n = got->numElements(); i < n; ++i) {
      a.push_back(codec.read(&got->data[i * codec.bytes]));
      b.push_back(codec.read(&expected->data[i * codec.bytes]));
    }
  } else {
    // Every other dtype as the .npy library reads it (u1 unsigned, V2 bf16).
    auto gotValues = mlir::lowbit::numericValues(*got);
    if (!gotValues)
      return fail("cannot compare: " + llvm::toString(gotValues.takeError()));
    auto expectedValues = mlir::lowbit::numericValues(*expected);
    if (!expectedValues)
      return fail("cannot compare: " + llvm::toString(expectedValues.takeError()));
    a = std::move(*gotValues);
    b = std::move(*expectedValues);
  }
  mlir::lowbit::Comparison c =
      mlir::lowbit::compareValues(a, b, relTolerance, absTolerance);
  llvm::outs() << "compare: " << c.summary(relTolerance, absTolerance) << "\n";
  return c.passes(maxRelativeL2) ? 0 : 1;
}

} // namespace

//===----------------------------------------------------------------------===//
// Run mode
//===----------------------------------------------------------------------===//

/// Runs the compiled kernel on GPU 0 with the CPU run's arguments and
/// compares its result with the CPU's (`expected`).
int runOnGPU(const mlir::lowbit::jit::CompiledModule &kernel,
             const std::vector<std::vector<uint8_t>> &argData, FunctionType signature,
             const mlir::lowbit::NpyArray &expected) {
  namespace rt = mlir::lowbit::runtime;
  llvm::outs().flush(); // the CPU result first, then anything the GPU says
  llvm::json::Object root = kernel.manifest("");
  auto manifest = rt::KernelManifest::fromJson(root, "--gpu");
  if (!manifest)
    return fail(llvm::toString(manifest.takeError()));
  std::vector<std::vector<uint8_t>> operands;
  for (size_t i = 0; i + 1 < manifest->params.size(); ++i) {
    const rt::KernelParam &p = manifest->params[i];
    if (p.funcArg < 0 || size_t(p.funcArg) >= argData.size())
      return fail("--gpu: the kernel's " + p.role + " is not an argument of the function");
    // An argument of another function (a callee's) can have another size.
    std::optional<uint64_t> bytes =
        mlir::lowbit::arrayBytes(p.shape, mlir::lowbit::NpyArray{p.dtype, {}, {}}.elementSize());
    if (!bytes || *bytes != argData[p.funcArg].size())
      return fail("--gpu: the kernel's " + p.role + " is not argument " + llvm::Twine(p.funcArg) +
                  " of the function as it is");
    mlir::lowbit::NpyArray logical{p.dtype, p.shape, argData[p.funcArg]};
    auto packed = rt::deviceBytes(p, logical);
    if (!packed)
      return fail(llvm::toString(packed.takeError()));
    operands.push_back(std::move(*packed));
  }
  // The kernel's result is compared with the function's one result (a
  // backstop: the function was checked to return the kernel's op's result).
  if (manifest->result().shape != expected.shape)
    return fail("--gpu: the kernel's result is not the function's (--gpu runs a function that "
                "returns its matmul's result)");
  auto device = rt::CudaDevice::open();
  if (!device)
    return fail("--gpu: " + llvm::toString(device.takeError()));
  auto module = (*device)->loadModule(kernel.ptx);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  auto result = rt::runKernel(**device, *module, *manifest, operands);
  if (!result)
    return fail(llvm::toString(result.takeError()));
  auto got = mlir::lowbit::numericValues(*result);
  auto want = mlir::lowbit::numericValues(expected);
  if (!got || !want)
    return fail("--gpu: cannot read the results as numbers");
  mlir::lowbit::Comparison c =
      mlir::lowbit::compareValues(*got, *want, relTolerance, absTolerance);
  llvm::outs() << "gpu " << manifest->name << " on " << (*device)->name() << " vs cpu: "
               << c.summary(relTolerance, absTolerance) << "\n";
  return c.passes(maxRelativeL2) ? 0 : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit CPU reference runner\n");
  if (llvm::Error error = mlir::lowbit::checkTolerances(relTolerance, absTolerance, maxRelativeL2))
    return fail(llvm::toString(std::move(error)));

  DialectRegistry registry;
  mlir::lowbit::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  if (!compare.empty())
    return compareFiles(context);
  if (inputFile.empty())
    return fail("no input file (lowbit-run FILE.mlir, or --compare A B)");

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto source = mlir::lowbit::readIRFile(inputFile);
  if (!source)
    return fail(llvm::toString(source.takeError()));
  sourceMgr.AddNewSourceBuffer(std::move(*source), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // The entry function and its lowbit-level signature.
  func::FuncOp func;
  for (auto candidate : module->getOps<func::FuncOp>()) {
    if (candidate.isExternal() || !candidate.isPublic())
      continue;
    if (entry.empty() ? !func : candidate.getName() == entry) {
      if (func && entry.empty())
        return fail("several public functions; choose one with --entry");
      func = candidate;
    }
  }
  if (!func)
    return fail(entry.empty() ? "no public function to run"
                              : "no public function '" + entry + "'");
  std::string name = func.getName().str();
  FunctionType signature = func.getFunctionType();
  if (inputs.size() > signature.getNumInputs())
    return fail(llvm::Twine(inputs.size()) + " inputs for " +
                llvm::Twine(signature.getNumInputs()) + " arguments");
  if (outputs.size() > signature.getNumResults())
    return fail(llvm::Twine(outputs.size()) + " outputs for " +
                llvm::Twine(signature.getNumResults()) + " results");

  for (unsigned i : nonNegative)
    if (i >= signature.getNumInputs() || i < inputs.size())
      return fail("--nonnegative=" + llvm::Twine(i) +
                  ": not a generated argument (the function has " +
                  llvm::Twine(signature.getNumInputs()) + ", " + llvm::Twine(inputs.size()) +
                  " given by --input)");

  // Arguments.
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> argData;
  std::vector<std::vector<int64_t>> descriptors;
  // --save-inputs: each argument's dtype and shape, written after the checks.
  std::vector<std::pair<std::string, std::vector<int64_t>>> savedTypes;
  for (auto [i, argType] : llvm::enumerate(signature.getInputs())) {
    auto tensor = dyn_cast<RankedTensorType>(argType);
    std::optional<ElementCodec> codec =
        tensor ? ElementCodec::of(tensor.getElementType()) : std::nullopt;
    if (!codec)
      return fail("argument " + llvm::Twine(i) +
                  " is not a ranked tensor of a supported element type");
    std::vector<int64_t> shape(tensor.getShape());
    if (i < inputs.size()) {
      llvm::Expected<mlir::lowbit::NpyArray> array = mlir::lowbit::readNpy(inputs[i]);
      if (!array)
        return fail(llvm::toString(array.takeError()));
      // Codes may also come as plain bytes, bf16 as plain 16-bit words.
      bool rawBytes = codec->bytes == 1 && codec->dtype != "b1" &&
                      (array->dtype == "u1" || array->dtype == "i1" ||
                       array->dtype == "V1");
      bool rawWords = codec->dtype == "V2" && array->dtype == "u2";
      if (array->dtype != codec->dtype && !rawBytes && !rawWords)
        return fail(inputs[i] + ": dtype '" + array->dtype + "' but argument " +
                    llvm::Twine(i) + " needs '" + codec->dtype + "' (" +
                    str(tensor.getElementType()) + ")");
      if (array->shape.size() != shape.size() ||
          failed(verifyCompatibleShape(array->shape, shape)))
        return fail(inputs[i] + ": shape does not match argument " +
                    llvm::Twine(i) + " (" + str(argType) + ")");
      shape = array->shape;
      // Codes narrower than a byte given as bytes: each a code of that
      // width (or an int8 one sign-extended from it), kept as its low bits.
      // Other bits would reach the reference as part of the value.
      unsigned width = mlir::lowbit::getCodeBitWidth(tensor.getElementType());
      if (rawBytes && width < 8) {
        for (size_t e = 0; e < array->data.size(); ++e) {
          uint8_t byte = array->data[e];
          if (!mlir::lowbit::isCodeByte(byte, width))
            return fail(inputs[i] + ": element " + llvm::Twine(e) + " is " +
                        llvm::Twine(unsigned(byte)) + ", not a " + llvm::Twine(width) +
                        "-bit code of argument " + llvm::Twine(i) + " (" +
                        str(tensor.getElementType()) + ")");
          array->data[e] = uint8_t(byte & ((1u << width) - 1));
        }
      }
      // A channel permutation (of pack, unpack or relayout) must be one:
      // an index past the channels read outside the tensor (a crash), a
      // repeated one left a channel unwritten.
      bool isPermutation = llvm::any_of(func.getArgument(i).getUses(), [](OpOperand &use) {
        return isa<mlir::lowbit::PackOp, mlir::lowbit::UnpackOp, mlir::lowbit::RelayoutOp>(
                   use.getOwner()) &&
               use.getOperandNumber() == 1;
      });
      if (isPermutation) {
        auto values = mlir::lowbit::numericValues(*array);
        if (!values)
          return fail(inputs[i] + ": " + llvm::toString(values.takeError()));
        std::vector<bool> seen(values->size(), false);
        for (double value : *values) {
          if (value < 0 || value >= double(seen.size()) || value != std::floor(value) ||
              seen[size_t(value)])
            return fail(inputs[i] + ": argument " + llvm::Twine(i) + " is a channel permutation, " +
                        "and " +
                        (std::fabs(value) < 1e15 && value == std::floor(value)
                             ? std::to_string(int64_t(value))
                             : std::to_string(value)) +
                        " is not one of its " + llvm::Twine(seen.size()) +
                        " channels or appears twice");
          seen[size_t(value)] = true;
        }
      }
      argData.push_back(std::move(array->data));
    } else {
      if (!tensor.hasStaticShape())
        return fail("argument " + llvm::Twine(i) +
                    " has a dynamic shape: give it with --input");
      // Drawn here: a shape of more than 2^36 bytes (64 GiB) is a typo, not
      // an operand this machine could hold.
      std::optional<uint64_t> bytes = mlir::lowbit::arrayBytes(shape, codec->bytes);
      if (!bytes || *bytes > (uint64_t(1) << 36))
        return fail("argument " + llvm::Twine(i) + " (" + str(argType) +
                    ") takes more than 2^36 bytes: give it with --input");
      auto layout = dyn_cast_or_null<mlir::lowbit::LayoutAttr>(tensor.getEncoding());
      bool symmetric = layout && layout.getKind() == mlir::lowbit::LayoutKind::SignMagnitude;
      argData.push_back(randomData(*codec, tensor.getNumElements(), shape, rng,
                                   llvm::is_contained(nonNegative, unsigned(i)), symmetric));
    }
    descriptors.push_back(makeDescriptor(argData.back().data(), shape));
    if (!saveInputs.empty())
      savedTypes.push_back({codec->dtype, shape});
  }
  std::vector<std::optional<ElementCodec>> resultCodecs;
  size_t resultWords = 0;
  for (auto [i, resultType] : llvm::enumerate(signature.getResults())) {
    auto tensor = dyn_cast<RankedTensorType>(resultType);
    std::optional<ElementCodec> codec =
        tensor ? ElementCodec::of(tensor.getElementType()) : std::nullopt;
    if (!codec)
      return fail("result " + llvm::Twine(i) +
                  " is not a ranked tensor of a supported element type");
    resultCodecs.push_back(codec);
    resultWords += 3 + 2 * tensor.getRank();
  }

  // The GPU kernel is compiled from the module before the reference
  // lowering rewrites it.
  std::optional<mlir::lowbit::jit::CompiledModule> gpuKernel;
  if (onGPU) {
    // The kernel's result is compared with the function's, so the function
    // must return its lowbit op's result, computed on its own arguments (an
    // elementwise op or a slice in between would be compared as if absent).
    Operation *terminator = func.getBody().back().getTerminator();
    Operation *producer = func.getBody().hasOneBlock() && terminator->getNumOperands() == 1
                              ? terminator->getOperand(0).getDefiningOp()
                              : nullptr;
    auto isArgument = [&](Value v) {
      auto argument = dyn_cast<BlockArgument>(v);
      return argument && argument.getOwner()->getParentOp() == func;
    };
    if (!producer ||
        !isa<mlir::lowbit::MatmulOp, mlir::lowbit::BitplaneMatmulOp, mlir::lowbit::LutMatmulOp>(
            producer) ||
        !llvm::all_of(producer->getOperands(), isArgument))
      return fail("--gpu runs a function that returns its lowbit.matmul's (or bitplane_matmul's, "
                  "lut_matmul's) result, computed on the function's arguments");
    OwningOpRef<ModuleOp> copy = module->clone();
    // Name the op that cannot be generated, without dumping the kernel.
    context.printOpOnDiagnostic(false);
    mlir::lowbit::jit::CompileOptions options;
    options.arch = arch;
    auto compiled = mlir::lowbit::jit::compileModule(*copy, options);
    if (!compiled)
      return fail("--gpu: " + llvm::toString(compiled.takeError()));
    if (compiled->kernels.size() != 1 || signature.getNumResults() != 1)
      return fail("--gpu runs functions with one lowbit.matmul, bitplane_matmul or "
                  "lut_matmul and one result");
    gpuKernel = std::move(*compiled);
  }

  // The inputs are saved once every check has passed: a run refused on its
  // third argument, or on its kernel, leaves no files of its own beside
  // those of an earlier run.
  for (auto [i, saved] : llvm::enumerate(savedTypes)) {
    mlir::lowbit::NpyArray array{saved.first, saved.second, argData[i]};
    std::string path = saveInputs + "/arg" + std::to_string(i) + ".npy";
    if (llvm::Error e = mlir::lowbit::writeNpy(path, array))
      return fail(llvm::toString(std::move(e)));
  }

  // Compile and run.
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  mlir::lowbit::buildReferencePipeline(pm);
  if (failed(pm.run(*module)))
    return fail("the reference pipeline failed");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions options;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine)
    return fail("JIT: " + llvm::toString(engine.takeError()));
  std::vector<int64_t> resultStruct(resultWords);
  void *resultPtr = resultStruct.data();
  std::vector<void *> descriptorPtrs;
  for (auto &d : descriptors)
    descriptorPtrs.push_back(d.data());
  SmallVector<void *> packed;
  if (resultWords)
    packed.push_back(&resultPtr);
  for (void *&p : descriptorPtrs)
    packed.push_back(&p);
  if (llvm::Error error =
          (*engine)->invokePacked("_mlir_ciface_" + name, packed))
    return fail("running " + name + ": " + llvm::toString(std::move(error)));

  // Results.
  size_t word = 0;
  for (auto [i, resultType] : llvm::enumerate(signature.getResults())) {
    auto tensor = cast<RankedTensorType>(resultType);
    const ElementCodec &codec = *resultCodecs[i];
    int64_t rank = tensor.getRank();
    auto *aligned = reinterpret_cast<uint8_t *>(intptr_t(resultStruct[word + 1]));
    int64_t offset = resultStruct[word + 2];
    mlir::lowbit::NpyArray array;
    array.dtype = codec.dtype;
    array.shape.assign(&resultStruct[word + 3], &resultStruct[word + 3 + rank]);
    const int64_t *strides = &resultStruct[word + 3 + rank];
    int64_t count = array.numElements();
    array.data.resize(count * codec.bytes);
    // Gather through the strides (a result may alias a strided argument).
    std::vector<int64_t> index(rank, 0);
    for (int64_t flat = 0; flat < count; ++flat) {
      int64_t element = offset;
      for (int64_t d = 0; d < rank; ++d)
        element += index[d] * strides[d];
      memcpy(&array.data[flat * codec.bytes], aligned + element * codec.bytes,
             codec.bytes);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < array.shape[d])
          break;
        index[d] = 0;
      }
    }
    word += 3 + 2 * rank;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t e = 0; e < count; ++e) {
      double v = codec.read(&array.data[e * codec.bytes]);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    llvm::outs() << "result " << i << ": " << tensor << " min " << lo
                 << " max " << hi << " mean " << (count ? sum / count : 0.0);
    if (i < outputs.size()) {
      if (llvm::Error error = mlir::lowbit::writeNpy(outputs[i], array))
        return fail(llvm::toString(std::move(error)));
      llvm::outs() << " -> " << outputs[i];
    }
    llvm::outs() << "\n";
    if (gpuKernel)
      return runOnGPU(*gpuKernel, argData, signature, array);
  }
  return 0;
}
