//===- Spec.cpp - one-line op specs ----------------------------------------===//
#include "lowbit/JIT/Spec.h"

#include "Support.h"

#include "lowbit/Quant/Layouts.h"
#include "lowbit/Quant/Quantize.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <numeric>

using namespace mlir::lowbit::jit;

static llvm::Error specError(const llvm::Twine &message) {
  return jitError("bad spec: " + message);
}

static bool isRealType(llvm::StringRef t) { return t == "f16" || t == "bf16" || t == "f32"; }

namespace {
/// A weight code of the spec language: its name, the MLIR element type it
/// is stored as, the quantization library's name of it (quant::CodeType),
/// its width, and whether integer codes are unsigned.
struct WeightCode {
  llvm::StringLiteral name, element, codeType;
  unsigned bits;
  bool isUnsigned;
};
// clang-format off
constexpr WeightCode kWeightCodes[] = {
    {"u2", "i2", "u2", 2, true},  {"s2", "i2", "i2", 2, false},
    {"u3", "i3", "u3", 3, true},  {"s3", "i3", "i3", 3, false},
    {"u4", "i4", "u4", 4, true},  {"s4", "i4", "i4", 4, false},
    {"u5", "i5", "u5", 5, true},  {"s5", "i5", "i5", 5, false},
    {"u6", "i6", "u6", 6, true},  {"s6", "i6", "i6", 6, false},
    {"u8", "i8", "u8", 8, true},  {"s8", "i8", "i8", 8, false},
    {"nf4", "i4", "u4", 4, true}, // indices into the NF4 codebook
    {"e2m1", "f4E2M1FN", "f4E2M1FN", 4, false},
    {"e3m2", "f6E3M2FN", "f6E3M2FN", 6, false},
    {"e2m3", "f6E2M3FN", "f6E2M3FN", 6, false},
    {"e4m3", "f8E4M3FN", "f8E4M3FN", 8, false},
    {"e5m2", "f8E5M2", "f8E5M2", 8, false}};
// clang-format on

const WeightCode *weightCode(llvm::StringRef name) {
  for (const WeightCode &code : kWeightCodes)
    if (code.name == name)
      return &code;
  return nullptr;
}

/// The spec language's weight layouts by name, and the sm_90a kernels that
/// read each one but `packed`.
struct LayoutName {
  MatmulSpec::Layout layout;
  llvm::StringLiteral name, readers;
};
constexpr LayoutName kLayoutNames[] = {
    {MatmulSpec::Layout::Packed, "packed", ""},
    {MatmulSpec::Layout::HalfFragment, "half_fragment", "wgmma W4A16 and the TMA GEMV"},
    {MatmulSpec::Layout::SignMagnitude, "sign_magnitude", "wgmma W4A8 e4m3 and the TMA GEMV"}};

const LayoutName &layoutName(MatmulSpec::Layout layout) {
  for (const LayoutName &entry : kLayoutNames)
    if (entry.layout == layout)
      return entry;
  llvm_unreachable("every layout has a name");
}

/// "u2, s2, ..., e4m3 or e5m2".
std::string weightCodeNames() {
  std::string names;
  for (const WeightCode &code : kWeightCodes)
    names += (names.empty()                         ? ""
              : &code == std::end(kWeightCodes) - 1 ? " or "
                                                    : ", ") +
             code.name.str();
  return names;
}
} // namespace

llvm::Expected<MatmulSpec> mlir::lowbit::jit::parseSpec(const std::string &text) {
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(text).split(words, ' ', -1, /*KeepEmpty=*/false);
  if (words.empty() || words[0] != "matmul")
    return specError("expected 'matmul m=.. n=.. k=.. a=.. w=..', got '" + text + "'");
  MatmulSpec spec;
  bool seenA = false, seenW = false;
  llvm::StringSet<> seenKeys;
  for (llvm::StringRef word : llvm::ArrayRef(words).drop_front()) {
    auto [key, value] = word.split('=');
    if (value.empty())
      return specError("'" + word + "' is not key=value");
    // A second a= or w= would keep what the first set (zero points,
    // per-token scales): each field once.
    if (!seenKeys.insert(key).second)
      return specError("field '" + key + "' is given twice");
    if (key == "m" || key == "n" || key == "k") {
      int64_t v;
      if (value.getAsInteger(10, v) || v <= 0 || v > (int64_t(1) << 24))
        return specError(key + "=" + value + " is not a size in 1..2^24");
      (key == "m" ? spec.m : key == "n" ? spec.n : spec.k) = v;
    } else if (key == "a") {
      auto [type, granularity] = value.split(':');
      if (!llvm::is_contained({"f16", "bf16", "i8", "s8", "e4m3", "s4", "i4"}, type))
        return specError("a=" + type + ": activations are f16, bf16, i8, e4m3 or s4");
      spec.act = type == "s8" ? "i8" : type == "i4" ? "s4" : type.str();
      // A colon names a granularity ("a=i8:" was taken as "a=i8").
      if (value.contains(':')) {
        if (!spec.quantizedActivations() ||
            (granularity != "per_token" && granularity != "per_tensor"))
          return specError("a=" + value + ": quantized activations take :per_token "
                                           "or :per_tensor, real ones nothing");
        spec.actPerToken = granularity == "per_token";
      }
      seenA = true;
    } else if (key == "w") {
      llvm::SmallVector<llvm::StringRef> parts;
      value.split(parts, ':');
      llvm::StringRef code = parts[0];
      // i2 ... i8 name the signed integer codes s2 ... s8.
      if (code.starts_with("i")) {
        std::string signedCode = ("s" + code.drop_front()).str();
        if (weightCode(signedCode))
          code = signedCode;
      }
      if (code == "fp4")
        code = "e2m1";
      if (code == "fp6")
        code = "e3m2";
      if (!weightCode(code))
        return specError("w=" + parts[0] + ": weight codes are " + weightCodeNames());
      spec.weight = code.str();
      spec.weightScales = "per_channel";
      // Each of the scales' granularity and :zp at most once: a second
      // would silently replace the first.
      bool seenScales = false;
      for (llvm::StringRef part : llvm::ArrayRef(parts).drop_front()) {
        if (part == "zp") {
          if (spec.zeroPoints)
            return specError("w=" + value + ": ':zp' is given twice");
          spec.zeroPoints = true;
          continue;
        }
        if (seenScales)
          return specError("w=" + value + ": '" + part +
                           "' after the scales' granularity (one of :per_channel, "
                           ":per_tensor, :g<size>)");
        seenScales = true;
        if (part == "per_channel" || part == "per_tensor") {
          spec.weightScales = part.str();
        } else if (part.starts_with("g") && !part.drop_front().getAsInteger(10, spec.groupSize) &&
                   spec.groupSize > 0) {
          spec.weightScales = "group";
        } else {
          return specError("w=" + value + ": '" + part +
                           "' is not :per_channel, :per_tensor, :g<size> or :zp");
        }
      }
      seenW = true;
    } else if (key == "layout") {
      const LayoutName *named =
          llvm::find_if(kLayoutNames, [&](const LayoutName &entry) { return entry.name == value; });
      if (named == std::end(kLayoutNames))
        return specError("layout=" + value +
                         ": weight layouts are packed, half_fragment or sign_magnitude");
      spec.layout = named->layout;
    } else if (key == "launch") {
      if (value != "plain" && value != "programmatic")
        return specError("launch=" + value + ": launches are plain or programmatic");
      spec.programmaticLaunch = value == "programmatic";
    } else if (key == "scale" || key == "out") {
      if (!isRealType(value))
        return specError(key + "=" + value + ": expected f16, bf16 or f32");
      (key == "scale" ? spec.scaleType : spec.out) = value.str();
    } else {
      return specError("unknown field '" + key + "'");
    }
  }
  if (!spec.m || !spec.n || !spec.k || !seenA || !seenW)
    return specError("m, n, k, a and w are required in '" + text + "'");
  if (spec.weightScales == "group" && spec.k % spec.groupSize)
    return specError("group size " + llvm::Twine(spec.groupSize) + " does not divide K = " +
                     llvm::Twine(spec.k));
  unsigned bits = spec.weightBits();
  if (8 % bits == 0) {
    int64_t perByte = spec.packedWeight() ? 8 / bits : 1;
    if (spec.k % perByte)
      return specError(llvm::Twine(bits) + "-bit weights are packed " + llvm::Twine(perByte) +
                       " per byte: K must be a multiple of " + llvm::Twine(perByte));
  } else if (int64_t whole = 8 / std::gcd(bits, 8u); spec.k % whole) {
    return specError(llvm::Twine(bits) +
                     "-bit weights are packed densely, each row in whole bytes: K must be a "
                     "multiple of " +
                     llvm::Twine(whole));
  }
  if (spec.act == "s4" && spec.k % 2)
    return specError("4-bit activations are packed two per byte: K must be even");
  if (spec.zeroPoints && !spec.integerWeight())
    return specError(spec.weight + " weights take no integer zero points");
  if (spec.scaleType.empty())
    spec.scaleType = spec.quantizedActivations() ? "f32" : spec.act;
  if (spec.out.empty())
    spec.out = spec.act == "f16" ? "f16" : "bf16";
  if (spec.layout == MatmulSpec::Layout::SignMagnitude) {
    // What the wgmma W4A8 e4m3 kernels take (WgmmaProblem.cpp), and up to
    // 16 tokens tma_gemv's tensor cores, which also scale groups of a
    // multiple of 128 codes (SelectKernelConfig.cpp's selectConfig).
    constexpr int64_t kTmaGemvTokens = 16;
    bool groupsOk =
        spec.weightScales != "group" || (spec.m <= kTmaGemvTokens && spec.groupSize % 128 == 0);
    if (spec.weight != "s4" || spec.act != "e4m3" || spec.zeroPoints)
      return specError("layout=sign_magnitude takes s4 weights without zero points, with e4m3 "
                       "activations, not w=" +
                       spec.weight + (spec.zeroPoints ? ":zp" : "") + " with a=" + spec.act);
    if (!groupsOk)
      return specError("layout=sign_magnitude takes scales per channel or per tensor, or at m <= " +
                       llvm::Twine(kTmaGemvTokens) +
                       " per group of a multiple of 128 codes: not groups of " +
                       llvm::Twine(spec.groupSize) + " at m = " + llvm::Twine(spec.m));
    if (spec.k % 32)
      return specError("layout=sign_magnitude stores codes in groups of 32 along K: K must be a "
                       "multiple of 32");
  }
  if (spec.layout == MatmulSpec::Layout::HalfFragment) {
    if ((spec.weight != "u4" && spec.weight != "s4") || spec.quantizedActivations())
      return specError("layout=half_fragment takes 4-bit integer weights (u4, s4) with f16 or "
                       "bf16 activations, not w=" +
                       spec.weight + " with a=" + spec.act);
    if (spec.k % 32)
      return specError("layout=half_fragment interleaves codes in groups of 32 along K: K must "
                       "be a multiple of 32");
    // What every kernel that reads the order takes at any M (wgmma's K
    // tiles are 128 or 256 codes; the GEMVs' tensor cores and f16x2 path
    // take groups of a multiple of 32 with scales of the activations' type).
    int64_t g = spec.groupSize;
    if (spec.weightScales == "group" && (g % 32 || (128 % g && g % 256)))
      return specError("layout=half_fragment takes scales per channel, per tensor or per group "
                       "of 32, 64, 128 or a multiple of 256 codes, not :g" +
                       llvm::Twine(g));
    if (spec.weightScales == "group" && g < 128 && spec.scaleType != spec.act)
      return specError("layout=half_fragment with groups of fewer than 128 codes takes scales "
                       "of the activations' type (scale=" +
                       spec.act + "), not scale=" + spec.scaleType);
  }
  return spec;
}

llvm::Error MatmulSpec::checkArch(llvm::StringRef arch) const {
  if (layout != Layout::Packed && arch != "sm_90a")
    return specError("layout=" + layoutName(layout).name + " runs on sm_90a (" +
                     layoutName(layout).readers + "), not " + arch);
  return llvm::Error::success();
}

std::string MatmulSpec::str() const {
  std::string text = llvm::formatv("matmul m={0} n={1} k={2} a={3}", m, n, k, act).str();
  if (quantizedActivations())
    text += actPerToken ? ":per_token" : ":per_tensor";
  text += " w=" + weight + ":" +
          (weightScales == "group" ? "g" + std::to_string(groupSize) : weightScales);
  if (zeroPoints)
    text += ":zp";
  // Packed specs keep the spelling (and cache keys) they had before layouts.
  if (layout != Layout::Packed)
    text += (" layout=" + layoutName(layout).name).str();
  text += " scale=" + scaleType + " out=" + out;
  // Plain launches keep the spelling (and cache keys) they had before.
  return programmaticLaunch ? text + " launch=programmatic" : text;
}

/// The MLIR element type of a code or real type name of a spec.
static std::string elementType(llvm::StringRef name) {
  if (const WeightCode *code = weightCode(name))
    return code->element.str();
  if (name == "s4")
    return "i4";
  if (name == "i8")
    return "i8";
  if (name == "e4m3")
    return "f8E4M3FN";
  return name.str();
}

unsigned MatmulSpec::weightBits() const { return weightCode(weight)->bits; }

std::string MatmulSpec::weightCodeType() const { return weightCode(weight)->codeType.str(); }

std::string MatmulSpec::toMLIR() const {
  bool packedWeight = this->packedWeight();
  std::string x = llvm::formatv("tensor<{0}x{1}x{2}{3}>", m, k, elementType(act),
                                act == "s4" ? ", #lowbit.layout<packed>" : "")
                      .str();
  std::string weightLayout;
  if (layout == Layout::SignMagnitude) {
    weightLayout = ", #lowbit.layout<sign_magnitude>";
  } else if (layout == Layout::HalfFragment) {
    weightLayout = ", #lowbit.layout<interleave, order = [";
    for (auto [i, position] : llvm::enumerate(quant::kHalfFragmentOrder))
      weightLayout += (i ? ", " : "") + std::to_string(position);
    weightLayout += "]>";
  } else if (packedWeight) {
    weightLayout = ", #lowbit.layout<packed>";
  }
  std::string w =
      llvm::formatv("tensor<{0}x{1}x{2}{3}>", n, k, elementType(weight), weightLayout).str();
  int64_t scaleRows = weightScales == "per_tensor" ? 1 : n;
  int64_t scaleCols = weightScales == "group" ? k / groupSize : 1;
  std::string s = llvm::formatv("tensor<{0}x{1}x{2}>", scaleRows, scaleCols, scaleType).str();
  std::string z = llvm::formatv("tensor<{0}x{1}x{2}>", scaleRows, scaleCols,
                                elementType(weight))
                      .str();
  std::string xs = llvm::formatv("tensor<{0}x1xf32>", actPerToken ? m : 1).str();
  std::string y = llvm::formatv("tensor<{0}x{1}x{2}>", m, n, out).str();

  std::string scheme = "#lowbit.quant<storage = " + elementType(weight);
  if (weightCode(weight)->isUnsigned)
    scheme += ", signedness = unsigned";
  if (zeroPoints)
    scheme += ", zero_point = int";
  if (weightScales == "per_tensor")
    scheme += ", granularity = per_tensor";
  else if (weightScales == "per_channel")
    scheme += ", granularity = per_channel, axis = 0";
  else
    scheme += ", granularity = per_group, axis = 1, group_size = " + std::to_string(groupSize);
  scheme += ", scale_type = " + scaleType;
  if (weight == "nf4") {
    // Printed to round-trip f32 (the attribute stores f32).
    scheme += ", codebook = [";
    for (auto [i, v] : llvm::enumerate(quant::nf4Codebook()))
      scheme += (i ? ", " : "") + llvm::formatv("{0:e9}", float(v)).str();
    scheme += "]";
  }
  scheme += ">";

  std::string args = "%x: " + x + ", %w: " + w + ", %s: " + s;
  std::string operands = "%x, %w weight_scheme " + scheme;
  std::string types = x + ", " + w + ", " + s;
  std::string tail = " weight_scales(%s)";
  if (zeroPoints) {
    args += ", %z: " + z;
    tail += " weight_zero_points(%z)";
    types += ", " + z;
  }
  if (quantizedActivations()) {
    std::string inScheme = "#lowbit.quant<storage = " + elementType(act) +
                           (actPerToken ? ", granularity = per_channel, axis = 0"
                                        : ", granularity = per_tensor") +
                           ", scale_type = f32>";
    operands += " input_scheme " + inScheme;
    args += ", %xs: " + xs;
    tail += " input_scales(%xs)";
    types += ", " + xs;
  }
  std::string func = llvm::formatv("func.func @lowbit_matmul({0}) -> {1} {{\n"
                                   "  %y = lowbit.matmul {2}{3} : ({4}) -> {1}\n"
                                   "  return %y : {1}\n"
                                   "}\n",
                                   args, y, operands, tail, types)
                         .str();
  if (!programmaticLaunch)
    return func;
  return "module attributes {lowbit_gpu.programmatic_launch} {\n" + func + "}\n";
}
