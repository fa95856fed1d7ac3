//===- lowbit-import.cpp - AWQ / GPTQ layers to lowbit operands -----------===//
//
//   lowbit-import --format=awq|gptq FILE.safetensors --layer=PREFIX --out-dir=DIR
//
// Converts one quantized linear layer into the operands of lowbit.matmul,
// written as .npy files: codes.npy (unsigned codes of the checkpoint's
// width, [N, K], one per byte), scales.npy (f16, [N, K / g]), zeros.npy
// (the same width, [N, K / g]) and, when GPTQ act-order reorders input
// channels, perm.npy (i32, [K]). Prints the scheme. AWQ layers are 4-bit,
// GPTQ layers 2-, 3-, 4- or 8-bit.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/Checkpoint.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace cl = llvm::cl;
using namespace mlir::lowbit;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-import options");
static cl::opt<std::string> inputFile(cl::Positional, cl::cat(toolOptions),
                                      cl::desc("<file.safetensors>"), cl::Required);
static cl::opt<std::string> format("format", cl::cat(toolOptions), cl::desc("awq or gptq"),
                                   cl::Required);
static cl::opt<std::string> layer("layer", cl::cat(toolOptions), cl::desc("Layer name prefix"),
                                  cl::Required);
static cl::opt<std::string> outDir("out-dir", cl::cat(toolOptions), cl::desc("Output folder"),
                                   cl::Required);
static cl::opt<int>
    zeroOffset("gptq-zero-offset", cl::cat(toolOptions),
               cl::desc("Added to stored GPTQ zero points (1: original format, 0: gptq_v2)"),
               cl::init(1));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-import: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "AWQ / GPTQ layer importer\n");
  if (format != "awq" && format != "gptq")
    return fail("--format must be awq or gptq, got '" + format + "'");
  auto file = SafeTensorsFile::read(inputFile);
  if (!file)
    return fail(llvm::toString(file.takeError()));
  auto linear = format == "awq" ? quant::loadAWQ(*file, layer)
                                : quant::loadGPTQ(*file, layer, zeroOffset);
  if (!linear)
    return fail(llvm::toString(linear.takeError()));
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail(outDir + ": " + ec.message());

  int64_t groups = linear->k / linear->groupSize;
  NpyArray codes{"u1", {linear->n, linear->k}, linear->codes};
  NpyArray zeros{"u1", {linear->n, groups}, linear->zeros};
  NpyArray scales{"f2", {linear->n, groups}, {}};
  for (float s : linear->scales) {
    uint16_t bits = doubleToHalf(s);
    scales.data.push_back(uint8_t(bits & 0xff));
    scales.data.push_back(uint8_t(bits >> 8));
  }
  std::vector<std::pair<std::string, const NpyArray *>> outputs = {
      {"codes.npy", &codes}, {"scales.npy", &scales}, {"zeros.npy", &zeros}};
  NpyArray perm{"i4", {linear->k}, {}};
  if (!linear->inputPermutation.empty()) {
    for (int64_t p : linear->inputPermutation) {
      int32_t v = int32_t(p);
      perm.data.insert(perm.data.end(), reinterpret_cast<uint8_t *>(&v),
                       reinterpret_cast<uint8_t *>(&v) + 4);
    }
    outputs.push_back({"perm.npy", &perm});
  }
  // The files are written under temporary names and renamed once all are
  // written, so that a failed write (a full disk) leaves an earlier
  // import's set as it was rather than part of each.
  for (auto [i, output] : llvm::enumerate(outputs))
    if (llvm::Error e = writeNpy(outDir + "/" + output.first + ".partial", *output.second)) {
      for (auto &written : llvm::ArrayRef(outputs).take_front(i))
        llvm::sys::fs::remove(outDir + "/" + written.first + ".partial");
      return fail(llvm::toString(std::move(e)));
    }
  for (auto &[name, array] : outputs)
    if (std::error_code ec =
            llvm::sys::fs::rename(outDir + "/" + name + ".partial", outDir + "/" + name))
      return fail(outDir + "/" + name + ": " + ec.message());
  // A layer without act-order leaves no permutation behind: one from an
  // earlier import into the same folder would be read as this layer's.
  if (linear->inputPermutation.empty())
    if (std::error_code ec = llvm::sys::fs::remove(outDir + "/perm.npy"))
      return fail(outDir + "/perm.npy: " + ec.message());
  llvm::outs() << layer << ": N = " << linear->n << ", K = " << linear->k << ", " << linear->bits
               << "-bit, group " << linear->groupSize
               << (linear->inputPermutation.empty() ? "" : ", act-order (perm.npy)")
               << "\n#lowbit.quant<storage = i" << linear->bits
               << ", signedness = unsigned, zero_point = int, granularity = per_group, axis = 1, "
                  "group_size = "
               << linear->groupSize << ">\n";
  return 0;
}
