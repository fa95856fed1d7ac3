//===- JITTest.cpp - specs, the kernel cache and the JIT driver -----------===//
#include "lowbit/JIT/Cache.h"
#include "lowbit/JIT/Compiler.h"
#include "lowbit/JIT/Driver.h"
#include "lowbit/JIT/Spec.h"
#include "lowbit/JIT/Tuner.h"
#include "lowbit/Quant/CodeType.h"
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Runtime/HostReference.h"
#include "lowbit/Runtime/KernelManifest.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace mlir::lowbit::jit;

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

/// `spec` compiled for sm_90a: its first kernel's config and its weight
/// parameter's manifest entry (a test failure, and nullopt, if either is
/// missing).
struct CompiledWeight {
  std::string config;
  llvm::json::Object weight;
};
std::optional<CompiledWeight> compileForSm90a(const MatmulSpec &spec) {
  CompileOptions options;
  options.arch = "sm_90a";
  auto compiled = compileSource(spec.toMLIR(), options);
  if (!compiled) {
    ADD_FAILURE() << spec.str() << ": " << errorText(compiled.takeError());
    return std::nullopt;
  }
  const llvm::json::Object &kernel = *compiled->kernels[0].getAsObject();
  for (const llvm::json::Value &param : *kernel.getArray("params"))
    if (param.getAsObject()->getString("role") == "weight")
      return CompiledWeight{kernel.getString("config").value_or("").str(), *param.getAsObject()};
  ADD_FAILURE() << spec.str() << ": no weight parameter in the manifest";
  return std::nullopt;
}

/// A fresh folder under the system temporary folder, removed afterwards.
struct TempDir {
  std::string path;
  TempDir() {
    llvm::SmallString<128> p;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-jit-test", p));
    path = p.str().str();
  }
  ~TempDir() {
    chmod(path.c_str(), 0755);
    llvm::sys::fs::remove_directories(path);
  }
};

TEST(Spec, CanonicalSpellingRoundTrips) {
  auto spec = parseSpec("matmul  k=8192 n=8192 m=1 w=i4:g128:zp a=f16");
  ASSERT_TRUE(bool(spec)) << errorText(spec.takeError());
  EXPECT_EQ(spec->str(), "matmul m=1 n=8192 k=8192 a=f16 w=s4:g128:zp scale=f16 out=f16");
  auto again = parseSpec(spec->str());
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->str(), spec->str());

  // 3-, 5- and 6-bit codes (GPTQ's 3-bit layers), and FP6.
  auto w3 = parseSpec("matmul m=1 n=4096 k=4096 a=f16 w=i3:g128");
  ASSERT_TRUE(bool(w3)) << errorText(w3.takeError());
  EXPECT_EQ(w3->str(), "matmul m=1 n=4096 k=4096 a=f16 w=s3:g128 scale=f16 out=f16");
  EXPECT_EQ(w3->weightBits(), 3u);
  for (const char *width : {"2", "5", "6", "8"}) {
    auto signedCodes = parseSpec(std::string("matmul m=1 n=64 k=64 a=f16 w=i") + width);
    ASSERT_TRUE(bool(signedCodes)) << errorText(signedCodes.takeError());
    EXPECT_EQ(signedCodes->weight, std::string("s") + width);
  }
  EXPECT_NE(w3->toMLIR().find("tensor<4096x4096xi3, #lowbit.layout<packed>>"), std::string::npos);
  auto u6 = parseSpec("matmul m=1 n=64 k=64 a=bf16 w=u6:zp");
  ASSERT_TRUE(bool(u6)) << errorText(u6.takeError());
  EXPECT_NE(u6->toMLIR().find("storage = i6, signedness = unsigned, zero_point = int"),
            std::string::npos)
      << u6->toMLIR();
  auto fp6 = parseSpec("matmul m=1 n=64 k=64 a=f16 w=fp6");
  ASSERT_TRUE(bool(fp6)) << errorText(fp6.takeError());
  EXPECT_EQ(fp6->weight, "e3m2");
  EXPECT_NE(fp6->toMLIR().find("tensor<64x64xf6E3M2FN, #lowbit.layout<packed>>"),
            std::string::npos);

  auto w8a8 = parseSpec("matmul m=4096 n=8192 k=8192 a=i8:per_tensor w=s8 out=f32");
  ASSERT_TRUE(bool(w8a8));
  EXPECT_EQ(w8a8->str(),
            "matmul m=4096 n=8192 k=8192 a=i8:per_tensor w=s8:per_channel scale=f32 out=f32");
}

TEST(Spec, BadSpecsNameTheField) {
  struct Case {
    const char *text, *message;
  } cases[] = {
      {"gemm m=1 n=2 k=2 a=f16 w=u4", "expected 'matmul"},
      {"matmul m=1 n=64 a=f16 w=u4", "m, n, k, a and w are required"},
      {"matmul m=0 n=64 k=64 a=f16 w=u4", "m=0 is not a size"},
      {"matmul m=1 n=64 k=64 a=f32 w=u4", "a=f32: activations are"},
      {"matmul m=1 n=64 k=64 a=f16 w=u7", "w=u7: weight codes are u2, s2, u3, s3"},
      {"matmul m=1 n=64 k=64 a=f16 w=i7", "w=i7: weight codes are u2, s2, u3, s3"},
      {"matmul m=1 n=64 k=60 a=f16 w=u3",
       "3-bit weights are packed densely, each row in whole bytes: K must be a multiple of 8"},
      {"matmul m=1 n=64 k=64 a=f16 w=e3m2:zp", "e3m2 weights take no integer zero points"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:g48", "group size 48 does not divide K = 64"},
      {"matmul m=1 n=64 k=63 a=f16 w=u4", "K must be a multiple of 2"},
      {"matmul m=1 n=64 k=62 a=f16 w=u2", "2-bit weights are packed 4 per byte"},
      {"matmul m=1 n=64 k=64 a=f16 w=nf4:zp", "nf4 weights take no integer zero points"},
      {"matmul m=1 n=64 k=64 a=f16:per_token w=u4", "real ones nothing"},
      // An empty granularity after the colon (it was taken as none).
      {"matmul m=1 n=64 k=64 a=f16: w=u4", "real ones nothing"},
      {"matmul m=1 n=64 k=64 a=i8: w=s4", "take :per_token or :per_tensor"},
      {"matmul m=1 n=64 k=64 a=i8:per_tensor a=i8 w=s4", "field 'a' is given twice"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:zp w=e4m3", "field 'w' is given twice"},
      {"matmul m=1 m=2 n=64 k=64 a=f16 w=u4", "field 'm' is given twice"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:q", "':q' is not" /* see below */},
      {"matmul m=1 n=64 k=64 a=f16 w=u4 out=i8", "out=i8: expected f16, bf16 or f32"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4 colour=red", "unknown field 'colour'"},
      {"matmul m=1 n=64 k=64 a=e4m3 w=e4m3:zp", "e4m3 weights take no integer zero points"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4 layout=awq",
       "layout=awq: weight layouts are packed, half_fragment or sign_magnitude"},
      {"matmul m=1 n=64 k=64 a=e4m3 w=u4 layout=sign_magnitude",
       "layout=sign_magnitude takes s4 weights without zero points, with e4m3 activations, not "
       "w=u4 with a=e4m3"},
      {"matmul m=1 n=64 k=64 a=i8 w=s4 layout=sign_magnitude", "not w=s4 with a=i8"},
      {"matmul m=1 n=64 k=256 a=e4m3 w=s4:g64 layout=sign_magnitude",
       "layout=sign_magnitude takes scales per channel or per tensor, or at m <= 16 per group "
       "of a multiple of 128 codes: not groups of 64 at m = 1"},
      {"matmul m=17 n=64 k=256 a=e4m3 w=s4:g128 layout=sign_magnitude",
       "not groups of 128 at m = 17"},
      {"matmul m=1 n=64 k=256 a=e4m3 w=s4:zp layout=sign_magnitude", "not w=s4:zp with a=e4m3"},
      {"matmul m=1 n=64 k=48 a=e4m3 w=s4 layout=sign_magnitude",
       "layout=sign_magnitude stores codes in groups of 32 along K: K must be a multiple of 32"},
      {"matmul m=1 n=64 k=64 a=f16 w=nf4 layout=half_fragment",
       "layout=half_fragment takes 4-bit integer weights (u4, s4) with f16 or bf16 activations, "
       "not w=nf4 with a=f16"},
      {"matmul m=1 n=64 k=64 a=i8 w=s4 layout=half_fragment", "not w=s4 with a=i8"},
      {"matmul m=1 n=64 k=48 a=f16 w=u4 layout=half_fragment", "K must be a multiple of 32"},
      {"matmul m=1 n=64 k=768 a=f16 w=u4:g48 layout=half_fragment",
       "layout=half_fragment takes scales per channel, per tensor or per group of 32, 64, 128 or "
       "a multiple of 256 codes, not :g48"},
      {"matmul m=1 n=64 k=768 a=f16 w=u4:g16 layout=half_fragment", "not :g16"},
      {"matmul m=1 n=64 k=768 a=f16 w=u4:g192 layout=half_fragment", "not :g192"},
      {"matmul m=1 n=64 k=768 a=bf16 w=u4:g384 layout=half_fragment", "not :g384"},
      {"matmul m=1 n=64 k=768 a=bf16 w=u4:g64 layout=half_fragment scale=f32",
       "groups of fewer than 128 codes takes scales of the activations' type (scale=bf16), not "
       "scale=f32"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4 layout=packed layout=packed",
       "field 'layout' is given twice"},
      // An empty code (an assertion once), and parts that would replace
      // one another.
      {"matmul m=1 n=64 k=64 a=f16 w=:zp", "w=: weight codes are"},
      {"matmul m=1 n=64 k=64 a=f16 w=", "'w=' is not key=value"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:g64:g32", "'g32' after the scales' granularity"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:per_tensor:per_channel",
       "'per_channel' after the scales' granularity"},
      {"matmul m=1 n=64 k=64 a=f16 w=u4:zp:g32:zp", "':zp' is given twice"},
  };
  for (const Case &c : cases) {
    auto spec = parseSpec(c.text);
    ASSERT_FALSE(bool(spec)) << c.text;
    std::string message = errorText(spec.takeError());
    if (llvm::StringRef(c.text).ends_with("u4:q"))
      EXPECT_NE(message.find("'q' is not :per_channel"), std::string::npos) << message;
    else
      EXPECT_NE(message.find(c.message), std::string::npos) << c.text << " -> " << message;
  }
}

// Weight codes beyond integers: 2-bit, NF4 (a codebook), FP4 e2m1, FP8 e5m2.
// Each has one spelling, becomes the scheme the GPU kernels take, and
// compiles for decode (GEMV) and, but 2-bit codes, prefill (mma_sync; 2-bit
// weights there are an error naming them).
TEST(Spec, TableAndTwoBitWeightCodes) {
  struct Case {
    const char *text, *canonical, *scheme;
  } cases[] = {
      {"matmul m=1 n=64 k=128 a=f16 w=i2:g64:zp",
       "matmul m=1 n=64 k=128 a=f16 w=s2:g64:zp scale=f16 out=f16", "storage = i2"},
      {"matmul m=1 n=64 k=128 a=bf16 w=nf4:g64",
       "matmul m=1 n=64 k=128 a=bf16 w=nf4:g64 scale=bf16 out=bf16",
       "codebook = [-1.000000000e+00, -6.961928010e-01"},
      {"matmul m=1 n=64 k=128 a=f16 w=fp4", "matmul m=1 n=64 k=128 a=f16 w=e2m1:per_channel scale=f16 out=f16",
       "storage = f4E2M1FN"},
      {"matmul m=1 n=64 k=128 a=bf16 w=e5m2:per_tensor",
       "matmul m=1 n=64 k=128 a=bf16 w=e5m2:per_tensor scale=bf16 out=bf16", "storage = f8E5M2"},
  };
  for (const Case &c : cases) {
    auto spec = parseSpec(c.text);
    ASSERT_TRUE(bool(spec)) << c.text << ": " << errorText(spec.takeError());
    EXPECT_EQ(spec->str(), c.canonical);
    EXPECT_NE(spec->toMLIR().find(c.scheme), std::string::npos) << spec->toMLIR();
    for (int64_t m : {1, 64}) {
      MatmulSpec sized = *spec;
      sized.m = m;
      auto compiled = compileSource(sized.toMLIR(), CompileOptions());
      if (m == 64 && spec->weightBits() == 2) {
        ASSERT_FALSE(bool(compiled));
        EXPECT_NE(errorText(compiled.takeError()).find("does not support the weights"),
                  std::string::npos);
        continue;
      }
      EXPECT_TRUE(bool(compiled)) << sized.str() << ": " << errorText(compiled.takeError());
    }
  }
}

// 4-bit weights in the half-fragment order: one spelling (packed specs keep
// theirs), the interleave layout in the MLIR, and on sm_90a kernels for
// decode (tma_gemv; wgmma's 16-token tiles on 8192 x 8192) and
// prefill (wgmma) whose manifests name the order the host packs in.
TEST(Spec, HalfFragmentWeights) {
  auto spec = parseSpec("matmul m=1 n=256 k=512 a=bf16 w=u4:g128:zp layout=half_fragment");
  ASSERT_TRUE(bool(spec)) << errorText(spec.takeError());
  EXPECT_EQ(spec->str(),
            "matmul m=1 n=256 k=512 a=bf16 w=u4:g128:zp layout=half_fragment scale=bf16 out=bf16");
  auto again = parseSpec(spec->str());
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->str(), spec->str());
  // Scales in groups of 256 codes or more take any type; the order runs on
  // sm_90a only.
  EXPECT_TRUE(bool(parseSpec("matmul m=1 n=256 k=512 a=f16 w=s4:g256 layout=half_fragment "
                             "scale=f32")));
  for (const char *arch : {"sm_80", "sm_89", "sm_90"}) {
    llvm::Error error = spec->checkArch(arch);
    ASSERT_TRUE(bool(error)) << arch;
    EXPECT_NE(errorText(std::move(error)).find("layout=half_fragment runs on sm_90a"),
              std::string::npos);
  }
  EXPECT_FALSE(bool(spec->checkArch("sm_90a")));
  auto packed = parseSpec("matmul m=1 n=256 k=512 a=bf16 w=u4:g128:zp layout=packed");
  ASSERT_TRUE(bool(packed));
  EXPECT_EQ(packed->str(), "matmul m=1 n=256 k=512 a=bf16 w=u4:g128:zp scale=bf16 out=bf16");
  EXPECT_NE(spec->toMLIR().find("tensor<256x512xi4, #lowbit.layout<interleave, order = [0, 8, "
                                "16, 24, 1, 9, 17, 25, 2, 10,"),
            std::string::npos)
      << spec->toMLIR();
  struct Sized {
    int64_t m, n, k;
    const char *strategy;
  } sizes[] = {{1, 256, 512, "tma_gemv"}, {16, 8192, 8192, "wgmma"}, {200, 256, 512, "wgmma"}};
  for (const Sized &size : sizes) {
    MatmulSpec sized = *spec;
    sized.m = size.m;
    sized.n = size.n;
    sized.k = size.k;
    std::optional<CompiledWeight> compiled = compileForSm90a(sized);
    ASSERT_TRUE(compiled.has_value());
    EXPECT_NE(compiled->config.find(size.strategy), std::string::npos) << sized.str();
    EXPECT_EQ(compiled->weight.getString("layout"), "interleave") << sized.str();
    const llvm::json::Array *order = compiled->weight.getArray("order");
    ASSERT_NE(order, nullptr);
    ASSERT_EQ(order->size(), 32u);
    for (auto [i, position] : llvm::enumerate(*order))
      EXPECT_EQ(position.getAsInteger(), mlir::lowbit::quant::kHalfFragmentOrder[i]);
  }
}

// launch=programmatic: a spelling of its own (and so a cache key), the
// module attribute in the MLIR, and 4 ring slots for one e4m3 token where
// plain launches keep 2.
TEST(Spec, ProgrammaticLaunch) {
  auto spec =
      parseSpec("matmul m=1 n=8192 k=8192 a=e4m3:per_tensor w=s4 out=f32 launch=programmatic");
  ASSERT_TRUE(bool(spec)) << errorText(spec.takeError());
  EXPECT_EQ(spec->str(), "matmul m=1 n=8192 k=8192 a=e4m3:per_tensor w=s4:per_channel scale=f32 "
                         "out=f32 launch=programmatic");
  auto again = parseSpec(spec->str());
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->str(), spec->str());
  EXPECT_NE(spec->toMLIR().find("module attributes {lowbit_gpu.programmatic_launch}"),
            std::string::npos)
      << spec->toMLIR();
  auto plain = parseSpec("matmul m=1 n=8192 k=8192 a=e4m3:per_tensor w=s4 out=f32 launch=plain");
  ASSERT_TRUE(bool(plain));
  EXPECT_EQ(plain->str(),
            "matmul m=1 n=8192 k=8192 a=e4m3:per_tensor w=s4:per_channel scale=f32 out=f32");
  EXPECT_EQ(plain->toMLIR().find("programmatic_launch"), std::string::npos);
  CacheKey programmaticKey{spec->str(), "sm_90a", "", ""};
  CacheKey plainKey{plain->str(), "sm_90a", "", ""};
  EXPECT_NE(programmaticKey.hash(), plainKey.hash());
  std::optional<CompiledWeight> programmatic = compileForSm90a(*spec);
  std::optional<CompiledWeight> plainly = compileForSm90a(*plain);
  ASSERT_TRUE(programmatic.has_value() && plainly.has_value());
  EXPECT_NE(programmatic->config.find("strategy = tma_gemv"), std::string::npos);
  EXPECT_NE(programmatic->config.find("stages = 4"), std::string::npos) << programmatic->config;
  EXPECT_NE(plainly->config.find("stages = 2"), std::string::npos) << plainly->config;

  auto bad = parseSpec("matmul m=1 n=64 k=64 a=f16 w=u4 launch=graph");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(errorText(bad.takeError()).find("launch=graph: launches are plain or programmatic"),
            std::string::npos);
}

// s4 weights in the sign_magnitude layout with e4m3 activations: one
// spelling, the layout in the MLIR, sm_90a only, and kernels (tma_gemv's
// tensor cores at one token, wgmma at 200) whose manifests name the layout
// the host packs in.
TEST(Spec, SignMagnitudeWeights) {
  auto spec = parseSpec("matmul m=1 n=256 k=512 a=e4m3:per_tensor w=s4 layout=sign_magnitude");
  ASSERT_TRUE(bool(spec)) << errorText(spec.takeError());
  EXPECT_EQ(spec->str(), "matmul m=1 n=256 k=512 a=e4m3:per_tensor w=s4:per_channel "
                         "layout=sign_magnitude scale=f32 out=bf16");
  auto again = parseSpec(spec->str());
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->str(), spec->str());
  EXPECT_NE(spec->toMLIR().find("tensor<256x512xi4, #lowbit.layout<sign_magnitude>>"),
            std::string::npos)
      << spec->toMLIR();
  for (const char *arch : {"sm_89", "sm_90"}) {
    llvm::Error error = spec->checkArch(arch);
    ASSERT_TRUE(bool(error)) << arch;
    EXPECT_NE(errorText(std::move(error)).find("layout=sign_magnitude runs on sm_90a"),
              std::string::npos);
  }
  EXPECT_FALSE(bool(spec->checkArch("sm_90a")));
  for (auto [m, strategy] :
       {std::pair<int64_t, const char *>{1, "strategy = tma_gemv"}, {200, "strategy = wgmma"}}) {
    MatmulSpec sized = *spec;
    sized.m = m;
    std::optional<CompiledWeight> compiled = compileForSm90a(sized);
    ASSERT_TRUE(compiled.has_value());
    EXPECT_NE(compiled->config.find(strategy), std::string::npos) << sized.str();
    EXPECT_EQ(compiled->weight.getString("layout"), "sign_magnitude") << sized.str();
  }
  // Up to 16 tokens, groups of a multiple of 128 codes too: tma_gemv.
  for (int64_t m : {1, 16}) {
    auto grouped = parseSpec("matmul m=" + std::to_string(m) +
                             " n=256 k=512 a=e4m3:per_tensor w=s4:g256 layout=sign_magnitude");
    ASSERT_TRUE(bool(grouped)) << errorText(grouped.takeError());
    std::optional<CompiledWeight> compiled = compileForSm90a(*grouped);
    ASSERT_TRUE(compiled.has_value()) << grouped->str();
    EXPECT_NE(compiled->config.find("strategy = tma_gemv"), std::string::npos) << grouped->str();
  }
}

TEST(Compiler, SpecsCompileToPTXWithTheirKernel) {
  for (const char *text :
       {"matmul m=1 n=256 k=512 a=bf16 w=u4:g128:zp out=f32",
        "matmul m=2 n=256 k=512 a=f16 w=u3:g128:zp", "matmul m=200 n=256 k=512 a=i8 w=s8",
        "matmul m=64 n=128 k=256 a=s4 w=s4:per_tensor",
        "matmul m=100 n=128 k=256 a=e4m3:per_tensor w=e4m3"}) {
    auto spec = parseSpec(text);
    ASSERT_TRUE(bool(spec)) << text;
    CompileOptions options;
    options.arch = "sm_90a";
    auto compiled = compileSource(spec->toMLIR(), options);
    ASSERT_TRUE(bool(compiled)) << text << ": " << errorText(compiled.takeError());
    ASSERT_EQ(compiled->kernels.size(), 1u);
    std::string name =
        compiled->kernels[0].getAsObject()->getString("name").value_or("").str();
    EXPECT_NE(compiled->ptx.find(".entry " + name), std::string::npos) << text;
    // Every entry lists its tensor maps (maybe none), and the runtime
    // accepts what the compiler wrote.
    EXPECT_NE(compiled->kernels[0].getAsObject()->getArray("tensor_maps"), nullptr) << text;
    llvm::json::Object manifest = compiled->manifest("");
    auto parsed = mlir::lowbit::runtime::KernelManifest::fromJson(manifest, "compiled");
    ASSERT_TRUE(bool(parsed)) << text << ": " << errorText(parsed.takeError());
    // The config travels to the runtime's reports (lowbit-bench's JSON).
    EXPECT_EQ(parsed->config,
              compiled->kernels[0].getAsObject()->getString("config").value_or("").str());
    EXPECT_EQ(parsed->config.rfind("#lowbit_gpu.config<", 0), 0u) << parsed->config;
    // Only wgmma kernels move registers between warpgroups; they and
    // tma_gemv's wait for the grid before them.
    bool wgmma = parsed->config.find("strategy = wgmma") != std::string::npos;
    EXPECT_EQ(parsed->launch.registerPool > 0, wgmma) << text << ": " << parsed->config;
    EXPECT_EQ(parsed->launch.dependentLaunch,
              wgmma || parsed->config.find("strategy = tma_gemv") != std::string::npos)
        << text << ": " << parsed->config;
  }
}

/// A one-kernel manifest with input, weight, weight_scales and result, and
/// `tensorMaps` (JSON text; empty: no "tensor_maps" key).
llvm::Expected<mlir::lowbit::runtime::KernelManifest>
manifestWithMaps(const std::string &tensorMaps) {
  std::string text =
      R"({"target": "sm_90a", "kernels": [{"name": "k", "grid": [1, 1, 1],
          "block": [128, 1, 1], "params": [
            {"role": "input", "dtype": "f2", "shape": [64, 256]},
            {"role": "weight", "dtype": "u1", "shape": [128, 256], "bits": 8},
            {"role": "weight_scales", "dtype": "f2", "shape": [128]},
            {"role": "result", "dtype": "f2", "shape": [64, 128]}])" +
      (tensorMaps.empty() ? "" : R"(, "tensor_maps": )" + tensorMaps) + "}]}";
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return json.takeError();
  return mlir::lowbit::runtime::KernelManifest::fromJson(*json->getAsObject(), "m.json");
}

TEST(Manifest, TensorMapsAreReadBack) {
  auto none = manifestWithMaps("");
  ASSERT_TRUE(bool(none)) << errorText(none.takeError());
  EXPECT_TRUE(none->tensorMaps.empty()); // manifests from before tensor maps
  auto one = manifestWithMaps(R"([{"param": 1, "rows": 128, "row_bytes": 256,
                                   "box_rows": 64, "box_bytes": 128, "swizzle": 128}])");
  ASSERT_TRUE(bool(one)) << errorText(one.takeError());
  ASSERT_EQ(one->tensorMaps.size(), 1u);
  const mlir::lowbit::runtime::TensorMapSpec &map = one->tensorMaps[0];
  EXPECT_EQ(map.param, 1);
  EXPECT_EQ(map.rows, 128);
  EXPECT_EQ(map.rowBytes, 256);
  EXPECT_EQ(map.boxRows, 64);
  EXPECT_EQ(map.boxBytes, 128);
  EXPECT_EQ(map.swizzle, 128);
  // 64-byte rows (W4A16's 128-code K tiles) with the 64-byte swizzle.
  auto narrow = manifestWithMaps(R"([{"param": 1, "rows": 128, "row_bytes": 256,
                                      "box_rows": 64, "box_bytes": 64, "swizzle": 64}])");
  ASSERT_TRUE(bool(narrow)) << errorText(narrow.takeError());
  EXPECT_EQ(narrow->tensorMaps[0].swizzle, 64);
  // The result's map (wgmma's staged epilogue stores through it).
  auto result = manifestWithMaps(R"([{"param": 3, "rows": 64, "row_bytes": 256,
                                      "box_rows": 64, "box_bytes": 128}])");
  ASSERT_TRUE(bool(result)) << errorText(result.takeError());
  ASSERT_EQ(result->tensorMaps.size(), 1u);
  EXPECT_EQ(result->tensorMaps[0].param, 3);
}

TEST(Manifest, LaunchShapesAreReadAndChecked) {
  auto parse = [](const char *text) {
    llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
    EXPECT_TRUE(bool(json)) << text;
    return mlir::lowbit::runtime::parseLaunchShape(*json->getAsObject(), "m.json", "k");
  };
  auto wgmma = parse(R"({"grid": [132, 1, 1], "block": [384, 1, 1],
                         "shared_memory": 197696, "register_pool": 64512,
                         "dependent_launch": true})");
  ASSERT_TRUE(bool(wgmma)) << errorText(wgmma.takeError());
  EXPECT_EQ(wgmma->grid[0], 132);
  EXPECT_EQ(wgmma->threads(), 384);
  EXPECT_EQ(wgmma->sharedBytes, 197696);
  EXPECT_EQ(wgmma->registerPool, 64512);
  EXPECT_TRUE(wgmma->dependentLaunch);
  auto plain = parse(R"({"grid": [4, 2, 1], "block": [128, 1, 1]})");
  ASSERT_TRUE(bool(plain)) << errorText(plain.takeError());
  EXPECT_EQ(plain->grid[1], 2);
  EXPECT_EQ(plain->sharedBytes, 0);
  EXPECT_EQ(plain->registerPool, 0);
  EXPECT_FALSE(plain->dependentLaunch);
  struct Case {
    const char *entry, *message;
  };
  const Case cases[] = {
      {R"({"grid": [1, 1, 1]})", "m.json: kernel k lacks grid or block"},
      {R"({"grid": [1, 1, 1], "block": [32, 1, 1], "dependent_launch": 1})",
       "kernel k: dependent_launch must be true or false"},
      {R"({"grid": [1, 1], "block": [32, 1, 1]})", "kernel k lacks grid or block"},
      {R"({"grid": [0, 1, 1], "block": [32, 1, 1]})",
       "grid and block sizes must be integers from 1 to 2^31 - 1"},
      {R"({"grid": [1, 1, 1], "block": [32, "x", 1]})",
       "grid and block sizes must be integers from 1 to 2^31 - 1"},
      // 2^32 + 1 would reach the driver as 1.
      {R"({"grid": [4294967297, 1, 1], "block": [32, 1, 1]})",
       "grid and block sizes must be integers from 1 to 2^31 - 1"},
      {R"({"grid": [1, 1, 1], "block": [32, 1, 1], "shared_memory": -1})",
       "kernel k has a negative shared_memory"},
      {R"({"grid": [1, 1, 1], "block": [32, 1, 1], "register_pool": -8})",
       "kernel k has a negative register_pool"}};
  for (const Case &c : cases) {
    auto shape = parse(c.entry);
    ASSERT_FALSE(bool(shape)) << c.entry;
    std::string message = errorText(shape.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << c.entry << ": " << message;
  }
}

// setmaxnreg.inc waits until the block's pool has the registers: a kernel
// compiled to fewer than its warpgroups take would hang, so it is refused.
TEST(Manifest, RegisterPoolsMustFitTheCompiledRegisters) {
  mlir::lowbit::runtime::LaunchShape shape;
  shape.block[0] = 384;
  shape.registerPool = (40 + 2 * 232) * 128; // the wgmma kernels' shares
  EXPECT_FALSE(bool(mlir::lowbit::runtime::checkRegisterPool("k", shape, 168)));
  // Registers go to warps 8 per thread at a time: 161 hold as many as 168.
  EXPECT_FALSE(bool(mlir::lowbit::runtime::checkRegisterPool("k", shape, 161)));
  std::string message = errorText(mlir::lowbit::runtime::checkRegisterPool("wgmma0", shape, 160));
  EXPECT_NE(message.find("kernel wgmma0 was compiled to 160 registers per thread, 61440 for "
                         "its block of 384 threads, but its warpgroups take 64512"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("would hang"), std::string::npos) << message;
  // A partial warp is given registers as a whole one: 100 threads are 4 warps.
  shape.block[0] = 100;
  shape.registerPool = 4 * 32 * 64;
  EXPECT_FALSE(bool(mlir::lowbit::runtime::checkRegisterPool("k", shape, 64)));
  EXPECT_NE(errorText(mlir::lowbit::runtime::checkRegisterPool("k", shape, 56)), "");
}

// A programmatic launch gets the shared memory that leaves an SM room for no
// more of its blocks than the grid needs per SM. The occupancy here is the
// H100's shape: 228 KiB per SM, 1 KiB reserved per block, and a register
// limit of `registerLimit` blocks.
TEST(Launch, ProgrammaticLaunchesCapBlocksPerSM) {
  using mlir::lowbit::runtime::programmaticSharedBytes;
  int64_t registerLimit = 3, queries = 0;
  auto blocksPerSM = [&](int64_t bytes) -> int64_t {
    ++queries;
    return std::min<int64_t>(registerLimit, 233472 / (bytes + 1024));
  };
  const int64_t optin = 232448, sms = 132;
  // 256 blocks need 2 per SM: the least size at which only 2 fit.
  int64_t capped = programmaticSharedBytes(42016, optin, 256, sms, blocksPerSM);
  EXPECT_EQ(blocksPerSM(capped), 2);
  EXPECT_EQ(blocksPerSM(capped - 1), 3);
  EXPECT_LT(queries, 24);
  // 100 blocks: one per SM.
  capped = programmaticSharedBytes(42016, optin, 100, sms, blocksPerSM);
  EXPECT_EQ(blocksPerSM(capped), 1);
  EXPECT_EQ(blocksPerSM(capped - 1), 2);
  // Grids of several blocks per SM, and kernels that fit no more than the grid
  // needs, keep their size.
  EXPECT_EQ(programmaticSharedBytes(42016, optin, 896, sms, blocksPerSM), 42016);
  registerLimit = 2;
  EXPECT_EQ(programmaticSharedBytes(42016, optin, 256, sms, blocksPerSM), 42016);
  // No size within the opt-in gets there, or the driver cannot say.
  registerLimit = 3;
  EXPECT_EQ(programmaticSharedBytes(42016, 70000, 256, sms, blocksPerSM), 42016);
  EXPECT_EQ(programmaticSharedBytes(42016, optin, 256, sms, [](int64_t) { return INT64_MAX; }),
            42016);
  // Degenerate grids and devices.
  EXPECT_EQ(programmaticSharedBytes(42016, optin, 0, sms, blocksPerSM), 42016);
  EXPECT_EQ(programmaticSharedBytes(42016, optin, 256, 0, blocksPerSM), 42016);
}

// The host reference indexes x [M, K], w [N, K] and a result [M, N] as the
// manifest shapes them: shapes that disagree (a crafted manifest) are an
// error, not reads past the arrays.
TEST(Manifest, TheReferenceChecksTheProductsShapes) {
  auto manifest = manifestWithMaps("");
  ASSERT_TRUE(bool(manifest)) << errorText(manifest.takeError());
  auto check = [&](const mlir::lowbit::runtime::KernelManifest &m, const char *message) {
    std::vector<mlir::lowbit::NpyArray> operands(m.params.size() - 1);
    auto real = mlir::lowbit::runtime::realOperands(m, operands);
    ASSERT_FALSE(bool(real)) << message;
    std::string text = errorText(real.takeError());
    EXPECT_NE(text.find(message), std::string::npos) << text;
  };
  auto wide = *manifest;
  wide.params.back().shape = {64, 100}; // N = 128 weight rows
  check(wide, "takes x [M, K], weights [N, K] and a result [M, N]");
  auto shortRows = *manifest;
  shortRows.params[1].shape = {128, 128}; // K = 256 activations
  check(shortRows, "takes x [M, K], weights [N, K] and a result [M, N]");
  auto scaled = *manifest;
  mlir::lowbit::runtime::KernelParam xs;
  xs.role = "input_scales";
  xs.dtype = "f4";
  xs.shape = {7, 1};
  scaled.params.insert(scaled.params.end() - 1, xs);
  check(scaled, "input scales are per token (M = 64) or per tensor (1), not 7");
}

TEST(Manifest, BadTensorMapsNameTheProblem) {
  struct Case {
    const char *maps, *message;
  };
  const Case cases[] = {
      {R"([{"param": 7, "rows": 128, "row_bytes": 256, "box_rows": 64, "box_bytes": 128}])",
       "tensor map 0: param 7 is not a parameter (0 to 3)"},
      {R"([{"param": 4, "rows": 64, "row_bytes": 256, "box_rows": 64, "box_bytes": 128}])",
       "param 4 is not a parameter"}, // one past the result
      {R"([{"param": -1, "rows": 64, "row_bytes": 256, "box_rows": 64, "box_bytes": 128}])",
       "param -1 is not a parameter"},
      {R"([{"param": 1, "rows": 128, "row_bytes": 256, "box_rows": 64, "box_bytes": 256}])",
       "box_bytes 256 is not a multiple of 16 up to the 128-byte swizzle"},
      {R"([{"param": 0, "rows": 64, "row_bytes": 512, "box_rows": 64, "box_bytes": 64},
           {"param": 1, "rows": 128, "row_bytes": 200, "box_rows": 64, "box_bytes": 128}])",
       "tensor map 1: row_bytes 200 is not a multiple of 16"},
      {R"([{"param": 1, "rows": 128, "row_bytes": 256, "box_rows": 512, "box_bytes": 128}])",
       "box_rows 512 exceeds 256"},
      {R"([{"param": 1, "rows": 0, "row_bytes": 256, "box_rows": 64, "box_bytes": 128}])",
       "rows 0 is not positive"},
      {R"([{"param": 1, "rows": 128, "box_rows": 64, "box_bytes": 128}])",
       "lacks an integer row_bytes"},
      {R"([{"param": 1, "rows": 128, "row_bytes": 256, "box_rows": 64, "box_bytes": 32,
            "swizzle": 32}])",
       "swizzle is not 128 or 64"},
      {R"([{"param": 1, "rows": 128, "row_bytes": 256, "box_rows": 64, "box_bytes": 64,
            "swizzle": "64"}])",
       "swizzle is not 128 or 64"},
      {R"([{"param": 1, "rows": 128, "row_bytes": 256, "box_rows": 64, "box_bytes": 128,
            "swizzle": 64}])",
       "box_bytes 128 is not a multiple of 16 up to the 64-byte swizzle"},
      {R"([7])", "tensor map 0 is not an object"},
      // Past the [128, 256] byte weight: the TMA unit would read beyond it.
      {R"([{"param": 1, "rows": 129, "row_bytes": 256, "box_rows": 64, "box_bytes": 128}])",
       "tensor map 0 spans 129 rows of 256 bytes, past the 32768 bytes of parameter weight"},
      {R"([{"param": 3, "rows": 64, "row_bytes": 4294967296, "box_rows": 64,
            "box_bytes": 128}])",
       "past the 16384 bytes of parameter result"},
      {R"({"param": 1})", "tensor_maps is not a list"},
  };
  for (const Case &c : cases) {
    auto manifest = manifestWithMaps(c.maps);
    ASSERT_FALSE(bool(manifest)) << c.maps;
    std::string message = errorText(manifest.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << c.maps << " -> " << message;
    EXPECT_EQ(message.rfind("m.json: kernel k: ", 0), 0u) << message;
  }
}

TEST(Compiler, WhatCannotBeGeneratedIsAnError) {
  auto spec = parseSpec("matmul m=256 n=1000 k=512 a=f16 w=s8");
  ASSERT_TRUE(bool(spec));
  auto compiled = compileSource(spec->toMLIR(), CompileOptions());
  ASSERT_FALSE(bool(compiled));
  EXPECT_NE(errorText(compiled.takeError()).find("needs N a multiple of 16, not N = 1000"),
            std::string::npos);
  CompileOptions badConfig;
  badConfig.config = "#lowbit.layout<packed>";
  auto again = compileSource(parseSpec("matmul m=256 n=256 k=512 a=f16 w=u4")->toMLIR(),
                             badConfig);
  ASSERT_FALSE(bool(again));
  EXPECT_NE(errorText(again.takeError()).find("not a #lowbit_gpu.config"), std::string::npos);
}

// The PTX version follows what the kernels use: a config that claims K
// ranges asks for PTX 8.1, where red.v4.f32 adds f32 sums four at a time
// (s32 sums, which have no vector red, go one word at a time); e4m3
// activations keep PTX 8.4; stream-K alone adds nothing with red.
TEST(Compiler, PtxVersionFollowsWhatTheKernelsUse) {
  struct Case {
    const char *spec, *mmaType;
    bool claim;
    const char *version, *adds;
  } cases[] = {
      {"matmul m=16 n=256 k=1024 a=i8:per_token w=s4:per_channel scale=f32 out=bf16", "i8", false,
       ".version 8.0", nullptr},
      {"matmul m=16 n=256 k=1024 a=i8:per_token w=s4:per_channel scale=f32 out=bf16", "i8", true,
       ".version 8.1", "red.relaxed.gpu.global.add.s32"},
      {"matmul m=16 n=256 k=1024 a=e4m3:per_tensor w=s4:per_channel scale=f32 out=bf16", "f8E4M3FN",
       true, ".version 8.4", "red.relaxed.gpu.global.add.v4.f32"},
  };
  for (const Case &c : cases) {
    auto spec = parseSpec(c.spec);
    ASSERT_TRUE(bool(spec)) << c.spec;
    CompileOptions options;
    options.config = std::string("#lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], "
                                 "warp = [16, 64], mma = [16, 64, 32], mma_type = ") +
                     c.mmaType + ", stages = 6, persistent = true, stream_k = true" +
                     (c.claim ? ", claim_k = 2>" : ">");
    auto compiled = compileSource(spec->toMLIR(), options);
    ASSERT_TRUE(bool(compiled)) << c.spec << ": " << errorText(compiled.takeError());
    EXPECT_NE(compiled->ptx.find(c.version), std::string::npos) << c.spec << " " << c.claim;
    if (c.adds)
      EXPECT_NE(compiled->ptx.find(c.adds), std::string::npos) << c.spec;
    else
      EXPECT_EQ(compiled->ptx.find("red.relaxed.gpu"), std::string::npos) << c.spec;
  }
}

CacheEntry sampleEntry(const std::string &key, size_t imageBytes = 1000) {
  CacheEntry entry;
  entry.key = key;
  entry.spec = "matmul m=1 n=64 k=64 a=f16 w=u4:per_channel scale=f16 out=f16";
  entry.arch = "sm_90a";
  entry.manifest = llvm::json::Object{
      {"target", "sm_90a"}, {"kernels", llvm::json::Array{llvm::json::Object{{"name", "k"}}}}};
  for (size_t i = 0; i < imageBytes; ++i)
    entry.image.push_back(char((i * 7 + 3) & 0xff)); // binary, with NULs and newlines
  entry.cubin = true;
  return entry;
}

TEST(Cache, StoresAndFindsEntries) {
  TempDir dir;
  KernelCache cache(dir.path + "/nested/cache");
  std::string key = CacheKey{"spec", "sm_90a", "cubin", ""}.hash();
  EXPECT_EQ(key.size(), 64u);
  EXPECT_NE(key, (CacheKey{"spec", "sm_89", "cubin", ""}.hash()));
  EXPECT_FALSE(cache.lookup(key).has_value());
  ASSERT_FALSE(cache.store(sampleEntry(key)));
  auto found = cache.lookup(key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->image, sampleEntry(key).image);
  EXPECT_EQ(found->spec, sampleEntry(key).spec);
  EXPECT_TRUE(found->cubin);
  auto listing = cache.list();
  ASSERT_TRUE(bool(listing));
  ASSERT_EQ(listing->size(), 1u);
  EXPECT_TRUE((*listing)[0].valid);
}

TEST(Cache, DamagedEntriesAreDetectedAndReplaced) {
  TempDir dir;
  KernelCache cache(dir.path);
  std::string key = CacheKey{"a", "sm_90a", "", ""}.hash();
  std::string other = CacheKey{"b", "sm_90a", "", ""}.hash();
  ASSERT_FALSE(cache.store(sampleEntry(key)));
  std::string path = dir.path + "/" + key + ".lbk";

  // Truncated.
  uint64_t size = 0;
  llvm::sys::fs::file_size(path, size);
  ASSERT_EQ(truncate(path.c_str(), off_t(size - 10)), 0);
  std::string problem;
  EXPECT_FALSE(cache.lookup(key, &problem).has_value());
  EXPECT_NE(problem.find("checksum mismatch"), std::string::npos) << problem;
  // Left in place (it may be another process's fresh entry by now): the
  // store after the rebuild replaces it.
  EXPECT_TRUE(llvm::sys::fs::exists(path));
  ASSERT_FALSE(cache.store(sampleEntry(key)));
  EXPECT_TRUE(cache.lookup(key).has_value());

  // A byte flipped in the image.
  ASSERT_FALSE(cache.store(sampleEntry(key)));
  {
    auto bytes = llvm::MemoryBuffer::getFile(path, false);
    std::string text = (*bytes)->getBuffer().str();
    text[text.size() - 5] ^= 1;
    std::error_code ec;
    llvm::raw_fd_ostream(path, ec) << text;
  }
  problem.clear();
  EXPECT_FALSE(cache.lookup(key, &problem).has_value());
  EXPECT_NE(problem.find("checksum mismatch"), std::string::npos) << problem;

  // Another key's entry under this name (e.g. copied by hand).
  ASSERT_FALSE(cache.store(sampleEntry(other)));
  ASSERT_FALSE(llvm::sys::fs::copy_file(dir.path + "/" + other + ".lbk", path));
  problem.clear();
  EXPECT_FALSE(cache.lookup(key, &problem).has_value());
  EXPECT_NE(problem.find("written for another key"), std::string::npos) << problem;

  // A checksum that matches, over a manifest without kernel entries (the
  // tuner took the first kernel of a cached entry as it was: a crash).
  for (llvm::json::Value kernels :
       {llvm::json::Value(nullptr), llvm::json::Value(llvm::json::Array{}),
        llvm::json::Value(llvm::json::Array{1})}) {
    CacheEntry forged = sampleEntry(key);
    forged.manifest = llvm::json::Object{{"target", "sm_90a"}, {"kernels", kernels}};
    ASSERT_FALSE(cache.store(forged));
    problem.clear();
    EXPECT_FALSE(cache.lookup(key, &problem).has_value());
    EXPECT_NE(problem.find("manifest without kernel entries"), std::string::npos) << problem;
  }

  // Not an entry at all.
  {
    std::error_code ec;
    llvm::raw_fd_ostream(path, ec) << "hello";
  }
  problem.clear();
  EXPECT_FALSE(cache.lookup(key, &problem).has_value());
  EXPECT_NE(problem.find("not a lowbit kernel entry"), std::string::npos) << problem;
  EXPECT_TRUE(cache.lookup(other).has_value());
}

/// A cache folder that cannot be created, even by root: its parent is a
/// regular file.
std::string unwritableFolder(const TempDir &dir) {
  std::error_code ec;
  llvm::raw_fd_ostream(dir.path + "/file", ec) << "not a folder";
  return dir.path + "/file/cache";
}

TEST(Cache, UnwritableFolderIsAnErrorWithoutPartialFiles) {
  TempDir dir;
  KernelCache cache(unwritableFolder(dir));
  llvm::Error e = cache.store(sampleEntry(CacheKey{"x", "", "", ""}.hash()));
  ASSERT_TRUE(bool(e));
  EXPECT_NE(errorText(std::move(e)).find("cannot create the kernel cache"), std::string::npos);
  auto listing = cache.list();
  ASSERT_TRUE(bool(listing));
  EXPECT_TRUE(listing->empty());
  // A read-only folder (where permissions apply) fails the same way.
  if (getuid() != 0) {
    ASSERT_EQ(chmod(dir.path.c_str(), 0555), 0);
    KernelCache readOnly(dir.path);
    llvm::Error denied = readOnly.store(sampleEntry(CacheKey{"y", "", "", ""}.hash()));
    EXPECT_TRUE(bool(denied));
    llvm::consumeError(std::move(denied));
  }
}

TEST(Cache, ConcurrentWritersNeverShowATornEntry) {
  TempDir dir;
  KernelCache cache(dir.path);
  std::string key = CacheKey{"race", "sm_90a", "", ""}.hash();
  ASSERT_FALSE(cache.store(sampleEntry(key, 20000)));
  std::atomic<int> torn{0}, found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t % 2 == 0) {
          llvm::consumeError(cache.store(sampleEntry(key, 20000)));
        } else {
          std::string problem;
          auto entry = cache.lookup(key, &problem);
          if (!problem.empty())
            ++torn;
          if (entry) {
            ++found;
            if (entry->image != sampleEntry(key, 20000).image)
              ++torn;
          }
        }
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(found.load(), 0);
}

TEST(Cache, PtxasWithoutAVersionHasAKeyOfItsOwn) {
  TempDir dir;
  auto script = [&](const char *name, const char *body) {
    std::string path = dir.path + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  };
  std::string good = script("ptxas-good", "echo 'ptxas: NVIDIA (R) Ptx optimizing assembler'; "
                                          "echo 'Cuda compilation tools, release 13.0, V13.0.48'");
  std::string broken = script("ptxas-broken", "exit 1");
  std::string silent = script("ptxas-silent", "exit 0");
  EXPECT_EQ(ptxasVersionOf(good), "Cuda compilation tools, release 13.0, V13.0.48");
  for (const std::string &path : {broken, silent}) {
    std::string version = ptxasVersionOf(path);
    EXPECT_EQ(version.rfind("unknown " + path + " ", 0), 0u) << version;
    EXPECT_NE(version, "none");
  }
  EXPECT_NE(ptxasVersionOf(broken), ptxasVersionOf(silent));
}

// Without $HOME the default folder is still the user's own (the passwd
// entry's home), never a shared one such as /tmp, where another local user
// could plant entries that load as kernels.
TEST(Cache, DefaultFolderIsNeverShared) {
  std::map<std::string, std::optional<std::string>> saved;
  for (const char *name : {"LOWBIT_CACHE_DIR", "XDG_CACHE_HOME", "HOME"}) {
    const char *value = std::getenv(name);
    saved[name] = value ? std::optional<std::string>(value) : std::nullopt;
    unsetenv(name);
  }
  std::string dir = defaultCacheDir();
  llvm::SmallString<128> home; // the passwd entry's, with $HOME unset
  bool hasHome = llvm::sys::path::home_directory(home);
  for (auto &[name, value] : saved)
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
  EXPECT_NE(dir.rfind("/tmp", 0), 0u) << dir;
  EXPECT_EQ(dir, hasHome ? (home + "/.cache/lowbit").str() : std::string()) << dir;
}

TEST(Cache, PruneAndClear) {
  TempDir dir;
  KernelCache cache(dir.path);
  for (int i = 0; i < 4; ++i)
    ASSERT_FALSE(cache.store(sampleEntry(CacheKey{std::to_string(i), "", "", ""}.hash(), 4000)));
  {
    std::error_code ec;
    llvm::raw_fd_ostream(dir.path + "/" + std::string(64, 'f') + ".lbk", ec) << "junk";
    llvm::raw_fd_ostream(dir.path + "/x.lbk.tmp-abc123", ec) << "half";
    // Another process's entry being written: young, so kept.
    llvm::raw_fd_ostream(dir.path + "/y.lbk.tmp-def456", ec) << "writing";
  }
  // A crashed writer's temporary is an hour old.
  {
    int fd;
    ASSERT_FALSE(llvm::sys::fs::openFileForWrite(dir.path + "/x.lbk.tmp-abc123", fd,
                                                 llvm::sys::fs::CD_OpenExisting));
    ASSERT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
        fd, std::chrono::system_clock::now() - std::chrono::hours(1)));
    ::close(fd);
  }
  // Room for two and a half entries.
  uint64_t entryBytes = 0;
  llvm::sys::fs::file_size(dir.path + "/" + CacheKey{"0", "", "", ""}.hash() + ".lbk", entryBytes);
  ASSERT_GT(entryBytes, 4000u);
  auto pruned = cache.prune(/*maxBytes=*/entryBytes * 5 / 2);
  ASSERT_TRUE(bool(pruned));
  EXPECT_EQ(*pruned, 4); // the junk entry, the stray temporary, two oldest
  auto listing = cache.list();
  ASSERT_TRUE(bool(listing));
  EXPECT_EQ(listing->size(), 2u);
  auto cleared = cache.clear();
  ASSERT_TRUE(bool(cleared));
  EXPECT_EQ(*cleared, 2);
  EXPECT_TRUE(llvm::sys::fs::exists(dir.path + "/y.lbk.tmp-def456"));
}

TEST(Driver, CompilesOnceThenServesFromMemoryAndDisk) {
  TempDir dir;
  DriverOptions options;
  options.arch = "sm_90a";
  options.cacheDir = dir.path;
  options.preferCubin = false; // PTX: no toolkit needed
  const char *spec = "matmul m=1 n=256 k=512 a=f16 w=u4:g128:zp out=f32";
  Driver first(options);
  auto compiled = first.get(spec);
  ASSERT_TRUE(bool(compiled)) << errorText(compiled.takeError());
  EXPECT_EQ((*compiled)->source, Kernel::Source::Compiled);
  EXPECT_NE((*compiled)->image.find(".entry"), std::string::npos);
  auto again = first.get("matmul k=512 n=256 m=1 a=f16 w=u4:g128:zp out=f32");
  ASSERT_TRUE(bool(again));
  EXPECT_EQ((*again)->source, Kernel::Source::Memory);
  EXPECT_EQ((*again)->key, (*compiled)->key);

  Driver second(options);
  auto fromDisk = second.get(spec);
  ASSERT_TRUE(bool(fromDisk));
  EXPECT_EQ((*fromDisk)->source, Kernel::Source::Disk);
  EXPECT_EQ((*fromDisk)->image, (*compiled)->image);

  // A damaged entry is rebuilt, and the driver says so.
  std::string path = dir.path + "/" + (*compiled)->key + ".lbk";
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  Driver third(options);
  auto rebuilt = third.get(spec);
  ASSERT_TRUE(bool(rebuilt));
  EXPECT_EQ((*rebuilt)->source, Kernel::Source::Compiled);
  bool noted = false;
  for (const std::string &note : third.notes())
    noted |= note.find("checksum mismatch") != std::string::npos;
  EXPECT_TRUE(noted);

  auto bad = third.get("matmul m=1 n=256 k=512 a=f16 w=u7");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(errorText(bad.takeError()).find("bad spec"), std::string::npos);
}

TEST(Driver, TunedConfigWithoutATunedKernelSaysSo) {
  TempDir dir;
  DriverOptions options;
  options.cacheDir = dir.path;
  options.preferCubin = false;
  Driver driver(options);
  // Nothing tuned yet: a message naming the missing entry, not a parse
  // error of "tuned" as an attribute.
  auto kernel = driver.get("matmul m=1 n=256 k=512 a=f16 w=s8", kTunedConfig);
  ASSERT_FALSE(bool(kernel));
  std::string why = errorText(kernel.takeError());
  EXPECT_NE(why.find("no tuned kernel is cached"), std::string::npos) << why;
  // Once the tuner's entry is there, the same request returns it.
  auto fallback = driver.get("matmul m=1 n=256 k=512 a=f16 w=s8");
  ASSERT_TRUE(bool(fallback)) << errorText(fallback.takeError());
  Kernel copy = **fallback;
  driver.remember("matmul m=1 n=256 k=512 a=f16 w=s8", kTunedConfig, std::move(copy));
  auto tuned = driver.get("matmul m=1 n=256 k=512 a=f16 w=s8", kTunedConfig);
  ASSERT_TRUE(bool(tuned)) << errorText(tuned.takeError());
  EXPECT_EQ((*tuned)->image, (*fallback)->image);
}

TEST(Driver, UnwritableCacheIsANoteNotAFailure) {
  TempDir dir;
  DriverOptions options;
  options.cacheDir = unwritableFolder(dir);
  options.preferCubin = false;
  Driver driver(options);
  auto kernel = driver.get("matmul m=1 n=256 k=512 a=f16 w=s8");
  ASSERT_TRUE(bool(kernel)) << errorText(kernel.takeError());
  bool noted = false;
  for (const std::string &note : driver.notes())
    noted |= note.find("kernel not cached") != std::string::npos;
  EXPECT_TRUE(noted);
}

} // namespace

namespace {

TEST(Tuner, CandidatesAroundTheDefault) {
  const char *prefill = "matmul m=4096 n=8192 k=8192 a=i8 w=s8";
  std::string def = "#lowbit_gpu.config<strategy = mma_sync, block = [128, 128, 64], "
                    "warp = [64, 64], mma = [16, 8, 32], mma_type = i8, stages = 4>";
  auto configs = candidateConfigs(prefill, def);
  ASSERT_TRUE(bool(configs)) << errorText(configs.takeError());
  EXPECT_EQ(configs->front(), def);
  EXPECT_GE(configs->size(), 8u);
  EXPECT_LE(configs->size(), 48u); // "a few dozen at most"
  std::set<std::string> unique(configs->begin(), configs->end());
  EXPECT_EQ(unique.size(), configs->size());
  // Each candidate compiles or is rejected with a message (never a crash).
  int compiled = 0;
  for (const std::string &config : *configs) {
    CompileOptions options;
    options.config = config;
    auto module = compileSource(parseSpec("matmul m=256 n=512 k=512 a=i8 w=s8")->toMLIR(),
                                options);
    if (module)
      ++compiled;
    else
      llvm::consumeError(module.takeError());
  }
  EXPECT_GE(compiled, 4);

  // `config` generates a kernel for `spec` (on `arch`, else the default).
  auto expectGenerated = [](const std::string &config, const char *spec,
                            const char *arch = nullptr) {
    CompileOptions options;
    options.config = config;
    if (arch)
      options.arch = arch;
    auto module = compileSource(parseSpec(spec)->toMLIR(), options);
    EXPECT_TRUE(bool(module)) << config << ": " << errorText(module.takeError());
  };
  // `config` generates a kernel for `spec` on sm_90a or is refused for its
  // ring's shared memory only; returns whether it was refused.
  auto generatedOrRingTooLarge = [](const std::string &config, const std::string &spec) {
    CompileOptions options;
    options.config = config;
    options.arch = "sm_90a";
    auto module = compileSource(parseSpec(spec)->toMLIR(), options);
    if (module)
      return false;
    std::string why = errorText(module.takeError());
    EXPECT_NE(why.find("bytes of shared memory"), std::string::npos) << config << ": " << why;
    return true;
  };
  std::string gemv = "#lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, 128], "
                     "warp = [16, 8], mma = [16, 8, 16], mma_type = f16, stages = 4, split_k = 4>";
  auto decode = candidateConfigs("matmul m=1 n=8192 k=8192 a=f16 w=u4:g128:zp out=f32", gemv);
  ASSERT_TRUE(bool(decode));
  // 3 N tiles x 5 splits x 1 row per warp with 4 or 8 chunks in flight, and
  // for N tiles 32 and 64, 4 rows with 2 or 4; the default among them.
  EXPECT_EQ(decode->size(), 50u);
  // Every one is generated (rows per warp need whole 16-byte chunks: here).
  for (const std::string &config : *decode)
    expectGenerated(config, "matmul m=1 n=256 k=2048 a=f16 w=u4:g128:zp out=f32");
  // On sm_90a the tensor-core kernel at 64 tokens joins them (64 or 128
  // weight rows, 2 to 4 stages), and at 16 tokens (64 or 128 rows, 4 or 6
  // stages, stream-K; 192 or 256 rows, 4 stages), each generated for sm_90a
  // and bf16 too.
  auto hopper = candidateConfigs("matmul m=16 n=8192 k=8192 a=bf16 w=u4:g128:zp out=f32",
                                 gemv, "sm_90a");
  ASSERT_TRUE(bool(hopper));
  std::vector<std::string> tensorCore, tma, tmaTensorCores;
  for (const std::string &config : *hopper) {
    if (config.find("strategy = wgmma") != std::string::npos)
      tensorCore.push_back(config);
    if (config.find("strategy = tma_gemv") != std::string::npos)
      (config.find("mma = [16, 8, 16]") != std::string::npos ? tmaTensorCores : tma)
          .push_back(config);
  }
  // And the TMA-fed GEMV: on CUDA cores 16 or 32 rows per block, 4 or 6
  // slots, each generated for sm_90a; on tensor cores (bf16 here) 16, 32
  // or 64 rows x 2 to 4 slots, each generated for 16 tokens or refused for
  // its ring's shared memory only (64 rows in 4 slots of 64 KiB).
  ASSERT_EQ(tma.size(), 4u);
  for (const std::string &config : tma)
    expectGenerated(config, "matmul m=1 n=256 k=2048 a=f16 w=u4:g128:zp out=f32", "sm_90a");
  ASSERT_EQ(tmaTensorCores.size(), 9u);
  int ringTooLarge = 0;
  for (const std::string &config : tmaTensorCores) {
    EXPECT_NE(config.find("mma_type = bf16"), std::string::npos) << config;
    ringTooLarge +=
        generatedOrRingTooLarge(config, "matmul m=16 n=256 k=2048 a=bf16 w=u4:g128:zp out=f32");
  }
  EXPECT_EQ(ringTooLarge, 1);
  ASSERT_EQ(tensorCore.size(), 12u);
  // The 16-token tile in 64 or 128 rows x 4 or 6 stages, and in 192 and
  // 256 rows (three and four consumers) x 4 stages.
  auto shortTileCount = [&](const char *rows) {
    return llvm::count_if(tensorCore, [&](const std::string &c) {
      return c.find(std::string("block = [16, ") + rows) != std::string::npos &&
             c.find("mma = [16, 64, 16]") != std::string::npos &&
             c.find("stream_k = true") != std::string::npos;
    });
  };
  EXPECT_EQ(shortTileCount(""), 6);
  EXPECT_EQ(shortTileCount("192, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = bf16, "
                           "stages = 4,"),
            1);
  EXPECT_EQ(shortTileCount("256, 256], warp = [16, 64], mma = [16, 64, 16], mma_type = bf16, "
                           "stages = 4,"),
            1);
  EXPECT_NE(tensorCore.front().find("block = [64, 128, 256], warp = [64, 64], mma = [64, 64, "
                                    "16], mma_type = bf16, stages = 2, persistent = true"),
            std::string::npos)
      << tensorCore.front();
  for (const std::string &config : tensorCore)
    expectGenerated(config, "matmul m=16 n=256 k=2048 a=bf16 w=u4:g128:zp out=f32");
  // Around a tma_gemv default (sm_90a, 8 f16 tokens: tensor cores), the
  // register-streaming GEMV's candidates too, and every candidate is
  // generated for a small shape of the same format.
  std::string tmaDefault = "#lowbit_gpu.config<strategy = tma_gemv, block = [16, 32, 512], "
                           "warp = [16, 32], mma = [16, 8, 16], mma_type = f16, stages = 3>";
  auto aroundTma = candidateConfigs("matmul m=8 n=8192 k=8192 a=f16 w=u4:g128:zp out=f32",
                                    tmaDefault, "sm_90a");
  ASSERT_TRUE(bool(aroundTma));
  int splitK = 0, tensorCoreTma = 0;
  for (const std::string &config : *aroundTma) {
    splitK += config.find("strategy = splitk_gemv") != std::string::npos;
    tensorCoreTma += config.find("strategy = tma_gemv") != std::string::npos &&
                     config.find("mma = [16, 8, 16]") != std::string::npos;
    expectGenerated(config, "matmul m=8 n=256 k=2048 a=f16 w=u4:g128:zp out=f32", "sm_90a");
  }
  EXPECT_EQ(aroundTma->front(), tmaDefault);
  EXPECT_EQ(splitK, 30); // 3 N tiles x 5 splits x one row per warp, 4 or 8 chunks
  EXPECT_EQ(tensorCoreTma, 9); // 16, 32 or 64 rows x 2 to 4 slots, the default among them
  // Around a tma_gemv default, weights in the half-fragment order: on bf16
  // activations no CUDA-core candidate (they read such weights only on the
  // f16x2 path), on f16 activations and scales those too; every candidate is
  // generated for a small shape of the same format or refused for its ring's
  // shared memory only.
  std::string fragment = " layout=half_fragment out=f32";
  auto expectFragmentCandidates = [&](const std::string &act, const std::string &def) {
    auto configs = candidateConfigs(
        "matmul m=1 n=8192 k=8192 a=" + act + " w=u4:g128:zp" + fragment, def, "sm_90a");
    EXPECT_TRUE(bool(configs)) << act;
    if (!configs)
      return std::vector<std::string>();
    for (const std::string &config : *configs)
      generatedOrRingTooLarge(config,
                              "matmul m=1 n=256 k=2048 a=" + act + " w=u4:g128:zp" + fragment);
    return *configs;
  };
  std::string bf16TmaDefault = tmaDefault;
  bf16TmaDefault.replace(bf16TmaDefault.find("mma_type = f16"), 14, "mma_type = bf16");
  std::vector<std::string> bf16Fragment = expectFragmentCandidates("bf16", bf16TmaDefault);
  // tma_gemv's tensor cores 9 (the default among them), wgmma at 64 tokens
  // 6 and at 8 tokens 6.
  EXPECT_EQ(bf16Fragment.size(), 21u);
  for (const std::string &config : bf16Fragment) {
    EXPECT_EQ(config.find("splitk_gemv"), std::string::npos) << config;
    EXPECT_EQ(config.find("mma = [1, 1, 1]"), std::string::npos) << config;
  }
  std::vector<std::string> f16Fragment = expectFragmentCandidates("f16", tmaDefault);
  EXPECT_TRUE(llvm::any_of(f16Fragment, [](const std::string &c) {
    return c.find("splitk_gemv") != std::string::npos;
  }));
  // Not for other chips, nor for quantized activations.
  auto ampere = candidateConfigs("matmul m=16 n=8192 k=8192 a=bf16 w=u4:g128:zp out=f32",
                                 gemv, "sm_80");
  ASSERT_TRUE(bool(ampere));
  EXPECT_EQ(ampere->size(), hopper->size() - 12 - 4 - 9);
  auto f16Out = candidateConfigs("matmul m=1 n=8192 k=8192 a=f16 w=u4:g128:zp",
                                 "#lowbit_gpu.config<strategy = splitk_gemv, block = [16, 32, "
                                 "128], warp = [16, 8], mma = [16, 8, 16], mma_type = f16, "
                                 "stages = 4>");
  ASSERT_TRUE(bool(f16Out));
  for (const std::string &c : *f16Out)
    EXPECT_EQ(c.find("split_k"), std::string::npos) << c; // atomics need f32 results
  // wgmma (sm_90a defaults): tiles the instruction takes, every one
  // generated for a small shape of the same format or refused for its
  // shared memory only (deep rings). Returns the candidates.
  auto wgmmaCandidates = [&](const char *spec, const char *small, int minFits) {
    auto compiledDefault = compileSource(parseSpec(spec)->toMLIR(), CompileOptions());
    EXPECT_TRUE(bool(compiledDefault)) << errorText(compiledDefault.takeError());
    if (!compiledDefault)
      return std::vector<std::string>();
    std::string wgmma =
        compiledDefault->kernels.front().getAsObject()->getString("config")->str();
    EXPECT_NE(wgmma.find("strategy = wgmma"), std::string::npos) << wgmma;
    auto around = candidateConfigs(spec, wgmma);
    EXPECT_TRUE(bool(around)) << errorText(around.takeError());
    if (!around)
      return std::vector<std::string>();
    EXPECT_EQ(around->front(), wgmma) << spec;
    EXPECT_GE(around->size(), 8u) << spec;
    // The default with stream-K toggled comes second; a default in clusters
    // (W4A16 from M = 1024) unpaired, with stream-K.
    std::string toggled = wgmma;
    size_t cluster = toggled.find(", cluster = [1, 2]");
    if (cluster != std::string::npos)
      toggled.erase(cluster, std::string(", cluster = [1, 2]").size());
    size_t streamK = toggled.find(", stream_k = true");
    if (streamK != std::string::npos)
      toggled.erase(streamK, std::string(", stream_k = true").size());
    else
      toggled.insert(toggled.size() - 1, ", stream_k = true");
    EXPECT_EQ((*around)[1], toggled) << spec;
    int fits = 0;
    for (const std::string &config : *around) {
      EXPECT_NE(config.find("strategy = wgmma"), std::string::npos) << config;
      CompileOptions options;
      options.config = config;
      auto module = compileSource(parseSpec(small)->toMLIR(), options);
      if (module) {
        ++fits;
        continue;
      }
      std::string why = errorText(module.takeError());
      EXPECT_NE(why.find("bytes of shared memory per block"), std::string::npos)
          << config << ": " << why;
    }
    EXPECT_GE(fits, minFits) << spec;
    return *around;
  };
  wgmmaCandidates("matmul m=4096 n=8192 k=8192 a=i8 w=s8", "matmul m=256 n=512 k=512 a=i8 w=s8",
                  6);
  wgmmaCandidates("matmul m=4096 n=8192 k=8192 a=e4m3:per_tensor w=e4m3",
                  "matmul m=256 n=512 k=512 a=e4m3:per_tensor w=e4m3", 6);
  // Up to 32 tokens of 4-bit weights the default's short token tile (here
  // 32, e4m3, stream-K), and the 64-token tile.
  std::vector<std::string> shortTiles = wgmmaCandidates("matmul m=32 n=8192 k=8192 a=e4m3 w=s4",
                                                        "matmul m=32 n=512 k=512 a=e4m3 w=s4", 8);
  ASSERT_FALSE(shortTiles.empty());
  EXPECT_NE(shortTiles.front().find("block = [32, 128, 256], warp = [32, 64], mma = [32, 64, 32]"),
            std::string::npos)
      << shortTiles.front();
  EXPECT_TRUE(llvm::any_of(shortTiles, [](const std::string &c) {
    return c.find("block = [64, 128, 256], warp = [64, 64], mma = [64, 64, 32]") !=
           std::string::npos;
  }));
  // 4-bit weights: tokens x weight rows x ring depth, up to 256 tokens for
  // int8 and bf16 alike (bf16 is a float type too, but only e4m3 keeps a
  // second sum). W4A16 takes 80 KiB a stage at 128 tokens (2 stages fit).
  for (auto [spec, small] : {std::pair{"matmul m=4096 n=8192 k=8192 a=i8 w=s4",
                                       "matmul m=256 n=512 k=512 a=i8 w=s4"},
                             std::pair{"matmul m=1024 n=8192 k=8192 a=bf16 w=u4:g128:zp",
                                       "matmul m=256 n=512 k=512 a=bf16 w=u4:g128:zp"}}) {
    std::vector<std::string> around = wgmmaCandidates(spec, small, 4);
    // K tiles of 256 codes, and for W4A16 also of 128.
    bool real = llvm::StringRef(spec).contains("bf16");
    auto kTiles = [&](llvm::StringRef c, int64_t k) {
      return c.contains(", 128, " + std::to_string(k) + "]") ||
             c.contains(", 64, " + std::to_string(k) + "]");
    };
    EXPECT_TRUE(llvm::all_of(around, [&](const std::string &c) {
      return kTiles(c, 256) || (real && kTiles(c, 128));
    })) << spec;
    EXPECT_EQ(llvm::any_of(around, [&](const std::string &c) { return kTiles(c, 128); }), real)
        << spec;
    EXPECT_TRUE(llvm::any_of(around, [](const std::string &c) {
      return c.find("block = [256, 128, 256]") != std::string::npos;
    })) << spec;
    // The default's tile in clusters of two along the weight rows: W4A16's
    // default from M = 1024, else third.
    ASSERT_GE(around.size(), 3u) << spec;
    const std::string &paired = real ? around[0] : around[2];
    EXPECT_NE(paired.find("cluster = [1, 2]"), std::string::npos) << paired;
    EXPECT_EQ(paired.find("stream_k"), std::string::npos) << paired;
  }

  auto bad = candidateConfigs(prefill, "#lowbit.layout<packed>");
  EXPECT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

// A default that claims K ranges (claim_k, which only short token tiles
// take) is kept as it is; the candidates around it, other tiles among them,
// claim none (a short-tile default's claim_k carried onto a 64-token tile
// would build an invalid config).
// sign_magnitude weights: every candidate around the default is a wgmma
// config (the only strategy that reads the layout), and each compiles or
// is refused with a message.
// The candidates around a sign_magnitude default are kernels that read the
// layout: wgmma, or tma_gemv's f16 tensor cores up to 16 tokens.
TEST(Tuner, SignMagnitudeCandidatesReadTheLayout) {
  for (const char *text : {"matmul m=16 n=1024 k=1024 a=e4m3 w=s4 layout=sign_magnitude",
                           "matmul m=1024 n=1024 k=1024 a=e4m3 w=s4 layout=sign_magnitude"}) {
    auto spec = parseSpec(text);
    ASSERT_TRUE(bool(spec)) << errorText(spec.takeError());
    std::optional<CompiledWeight> compiled = compileForSm90a(*spec);
    ASSERT_TRUE(compiled.has_value());
    auto configs = candidateConfigs(text, compiled->config, "sm_90a");
    ASSERT_TRUE(bool(configs)) << errorText(configs.takeError());
    int generated = 0;
    for (const std::string &config : *configs) {
      bool tmaGemv = config.find("strategy = tma_gemv") != std::string::npos &&
                     config.find("mma = [16, 8, 16], mma_type = f16") != std::string::npos;
      EXPECT_TRUE(config.find("strategy = wgmma") != std::string::npos ||
                  (tmaGemv && spec->m <= 16))
          << config;
      CompileOptions options;
      options.arch = "sm_90a";
      options.config = config;
      auto module = compileSource(spec->toMLIR(), options);
      if (module)
        ++generated;
      else
        llvm::consumeError(module.takeError());
    }
    EXPECT_GE(generated, 10) << text;
  }
}

TEST(Tuner, CandidatesAroundAClaimingDefaultClaimNone) {
  const char *spec = "matmul m=16 n=8192 k=8192 a=f16 w=u4:g128:zp out=f32";
  std::string claiming = "#lowbit_gpu.config<strategy = wgmma, block = [16, 128, 256], warp = "
                         "[16, 64], mma = [16, 64, 16], mma_type = f16, stages = 4, persistent = "
                         "true, stream_k = true, claim_k = 4>";
  auto around = candidateConfigs(spec, claiming, "sm_90a");
  ASSERT_TRUE(bool(around)) << errorText(around.takeError());
  ASSERT_GE(around->size(), 2u);
  EXPECT_EQ(around->front(), claiming);
  bool otherTiles = false;
  for (size_t i = 1; i < around->size(); ++i) {
    const std::string &config = (*around)[i];
    EXPECT_EQ(config.find("claim_k"), std::string::npos) << config;
    otherTiles |= config.find("block = [64,") != std::string::npos;
  }
  EXPECT_TRUE(otherTiles);
}

} // namespace

/// The manifest of the one kernel `source` compiles to.
static llvm::Expected<mlir::lowbit::runtime::KernelManifest> compiledManifest(const char *source) {
  auto compiled = compileSource(source, CompileOptions());
  if (!compiled)
    return compiled.takeError();
  llvm::json::Object root{{"kernels", llvm::json::Array{compiled->kernels.front()}}};
  return mlir::lowbit::runtime::KernelManifest::fromJson(root, "compiled");
}

/// Random operands for every parameter but the result, drawn from `seed`.
static std::vector<mlir::lowbit::NpyArray>
randomOperands(const mlir::lowbit::runtime::KernelManifest &manifest, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<mlir::lowbit::NpyArray> logical;
  for (size_t i = 0; i + 1 < manifest.params.size(); ++i)
    logical.push_back(mlir::lowbit::runtime::randomOperand(manifest.params[i], rng));
  return logical;
}

// Codebook weights (NF4) reach the host reference that lowbit-bench and the
// tuner check kernels against: the manifest carries the codebook, and the
// real weights are codebook[code] * scale, not the codes' integer values.
TEST(HostReference, CodebookWeightsGoThroughTheirCodebook) {
  const char *source = R"(
func.func @nf4(%x: tensor<2x128xbf16>, %w: tensor<32x128xi4, #lowbit.layout<packed>>,
               %s: tensor<32x2xbf16>) -> tensor<2x32xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, signedness = unsigned, granularity = per_group,
                                  axis = 1, group_size = 64, scale_type = bf16,
                                  codebook = [-1.0, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848,
                                              -0.0911, 0.0, 0.0796, 0.1609, 0.2461, 0.3379,
                                              0.4407, 0.5626, 0.7230, 1.0]>
      weight_scales(%s)
      : (tensor<2x128xbf16>, tensor<32x128xi4, #lowbit.layout<packed>>, tensor<32x2xbf16>)
        -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
})";
  auto manifest = compiledManifest(source);
  ASSERT_TRUE(bool(manifest)) << errorText(manifest.takeError());
  const mlir::lowbit::runtime::KernelParam &w = manifest->params[1];
  ASSERT_EQ(w.codebook.size(), 16u);
  EXPECT_FLOAT_EQ(float(w.codebook[1]), -0.6962f);
  std::vector<mlir::lowbit::NpyArray> logical = randomOperands(*manifest, 3);
  auto real = mlir::lowbit::runtime::realOperands(*manifest, logical);
  ASSERT_TRUE(bool(real)) << errorText(real.takeError());
  auto scales = mlir::lowbit::numericValues(logical[2]);
  ASSERT_TRUE(bool(scales));
  int mismatches = 0;
  for (int64_t n = 0; n < 32; ++n)
    for (int64_t k = 0; k < 128; ++k) {
      uint8_t code = logical[1].data[n * 128 + k];
      float want = float(w.codebook[code] * (*scales)[n * 2 + k / 64]);
      mismatches += std::abs(real->w[n * 128 + k] - want) > 1e-6f * std::abs(want) + 1e-9f;
    }
  EXPECT_EQ(mismatches, 0);
}

// 8-bit float scales travel as bytes named by their format: random operands
// are finite scales near 1 (not uniform bytes: e8m0 255 is NaN, 254 is
// 2^127), and the host reference decodes them.
TEST(HostReference, EightBitFloatScalesAreDecoded) {
  const char *source = R"(
func.func @mxfp4(%x: tensor<1x256xbf16>, %w: tensor<32x256xf4E2M1FN, #lowbit.layout<packed>>,
                 %s: tensor<32x8xf8E8M0FNU>) -> tensor<1x32xf32> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1,
                                  group_size = 32, scale_type = f8E8M0FNU>
      weight_scales(%s)
      : (tensor<1x256xbf16>, tensor<32x256xf4E2M1FN, #lowbit.layout<packed>>,
         tensor<32x8xf8E8M0FNU>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
})";
  auto manifest = compiledManifest(source);
  ASSERT_TRUE(bool(manifest)) << errorText(manifest.takeError());
  ASSERT_EQ(manifest->params[2].code, "f8E8M0FNU");
  std::vector<mlir::lowbit::NpyArray> logical = randomOperands(*manifest, 5);
  for (uint8_t byte : logical[2].data)
    EXPECT_TRUE(byte == 126 || byte == 127) << int(byte); // 0.5 or 1
  auto real = mlir::lowbit::runtime::realOperands(*manifest, logical);
  ASSERT_TRUE(bool(real)) << errorText(real.takeError());
  // e2m1 values are at most 6 in magnitude; times scales of 0.5 or 1.
  for (float v : real->w)
    EXPECT_LE(std::abs(v), 6.0f);
  EXPECT_TRUE(std::any_of(real->w.begin(), real->w.end(),
                          [](float v) { return std::abs(v) == 6.0f; }) ||
              std::any_of(real->w.begin(), real->w.end(),
                          [](float v) { return std::abs(v) == 3.0f; }));
}

// Manifests are input: a codebook that does not fit its codes, or a code
// type no one knows, is an error naming the parameter, never an
// out-of-bounds read later.
/// A manifest of one kernel taking `weight` and an f32 [1, 1] result.
static llvm::Expected<mlir::lowbit::runtime::KernelManifest> manifestWith(llvm::json::Object weight) {
  llvm::json::Object kernel{
      {"name", "k"},
      {"grid", llvm::json::Array{1, 1, 1}},
      {"block", llvm::json::Array{32, 1, 1}},
      {"params", llvm::json::Array{std::move(weight),
                                   llvm::json::Object{{"role", "result"},
                                                      {"dtype", "f4"},
                                                      {"shape", llvm::json::Array{1, 1}}}}}};
  llvm::json::Object root{{"kernels", llvm::json::Array{std::move(kernel)}}};
  return mlir::lowbit::runtime::KernelManifest::fromJson(root, "m.json");
}

TEST(KernelManifest, CodebooksAndCodeTypesAreChecked) {
  auto load = manifestWith;
  auto weight = [](llvm::json::Value codebook, const char *code) {
    return llvm::json::Object{{"role", "weight"}, {"dtype", "u1"}, {"bits", 4},
                              {"code", code},     {"shape", llvm::json::Array{1, 2}},
                              {"codebook", std::move(codebook)}};
  };
  llvm::json::Array sixteen;
  for (int i = 0; i < 16; ++i)
    sixteen.push_back(double(i) / 8 - 1);
  EXPECT_TRUE(bool(load(weight(llvm::json::Value(std::move(sixteen)), "i4"))));
  struct Case {
    llvm::json::Value codebook;
    const char *code, *message;
  } cases[] = {
      {llvm::json::Array{0.0, 1.0}, "i4", "a codebook of 2 values for 4-bit codes"},
      {llvm::json::Value("nf4"), "i4", "codebook is not a list"},
      {llvm::json::Array{"x"}, "i4", "a codebook value is not a number"},
      {llvm::json::Array{}, "q7", "unknown code type 'q7'"},
  };
  for (Case &c : cases) {
    auto manifest = load(weight(std::move(c.codebook), c.code));
    ASSERT_FALSE(bool(manifest)) << c.message;
    std::string message = errorText(manifest.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find("parameter weight"), std::string::npos) << message;
  }
}

// Launchers size and pack buffers from a manifest's shapes, dtypes and bits:
// each must be one they can, or the manifest is an error naming the
// parameter (a shape of -1 or 2^63 bytes once aborted a resize).
TEST(KernelManifest, ShapesDtypesAndBitsAreChecked) {
  auto weight = [](llvm::json::Value shape, const char *dtype, llvm::json::Value bits,
                   const char *layout) {
    llvm::json::Object w{{"role", "weight"}, {"dtype", dtype}, {"shape", std::move(shape)}};
    if (bits.kind() != llvm::json::Value::Null)
      w["bits"] = std::move(bits);
    if (*layout)
      w["layout"] = layout;
    return w;
  };
  using llvm::json::Array;
  EXPECT_TRUE(bool(manifestWith(weight(Array{8, 64}, "u1", 4, "packed"))));
  EXPECT_TRUE(bool(manifestWith(weight(Array{8, 64}, "u1", 4, "sign_magnitude"))));
  EXPECT_TRUE(bool(manifestWith(weight(Array{0, 64}, "f2", nullptr, ""))));
  struct Case {
    llvm::json::Object weight;
    const char *message;
  } cases[] = {
      {weight(Array{-1, 64}, "u1", 4, "packed"), "integers of 0 or more"},
      {weight(Array{8, 1.5}, "u1", 4, "packed"), "integers of 0 or more"},
      {weight(nullptr, "u1", 4, "packed"), "lacks a shape list"},
      {weight(Array{int64_t(1) << 31, int64_t(1) << 31, 4}, "f4", nullptr, ""),
       "more than 2^40 bytes"},
      {weight(Array{int64_t(1) << 62, 8}, "u1", nullptr, ""), "more than 2^40 bytes"},
      {weight(Array{8, 64}, "q2", nullptr, ""), "unknown dtype 'q2'"},
      {weight(Array{8, 64}, "", nullptr, ""), "unknown dtype ''"},
      {weight(Array{8, 64}, "u1", 40, "packed"), "bits must be an integer from 1 to 8"},
      {weight(Array{8, 64}, "u1", -1, "packed"), "bits must be an integer from 1 to 8"},
      {weight(Array{512}, "u1", 4, "packed"), "needs a [rows, cols] shape"},
      {weight(Array{8, 64}, "u1", 2, "sign_magnitude"), "holds 4-bit codes"},
  };
  for (Case &c : cases) {
    auto manifest = manifestWith(std::move(c.weight));
    ASSERT_FALSE(bool(manifest)) << c.message;
    std::string message = errorText(manifest.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find("parameter weight"), std::string::npos) << message;
  }
}

// A manifest of several kernels runs the one named: without a name (or
// with one two kernels share) it is an error, not its first kernel.
TEST(KernelManifest, SeveralKernelsNeedAName) {
  auto kernel = [](const char *name) {
    return llvm::json::Object{
        {"name", name},
        {"grid", llvm::json::Array{1, 1, 1}},
        {"block", llvm::json::Array{32, 1, 1}},
        {"params", llvm::json::Array{llvm::json::Object{
                       {"role", "result"}, {"dtype", "f4"}, {"shape", llvm::json::Array{1, 1}}}}}};
  };
  auto load = [&](std::vector<const char *> names, const std::string &wanted) {
    llvm::json::Array kernels;
    for (const char *name : names)
      kernels.push_back(kernel(name));
    llvm::json::Object root{{"kernels", std::move(kernels)}};
    return mlir::lowbit::runtime::KernelManifest::fromJson(root, "m.json", wanted);
  };
  auto one = load({"a"}, "");
  ASSERT_TRUE(bool(one)) << errorText(one.takeError());
  EXPECT_EQ(one->name, "a");
  auto named = load({"a", "b"}, "b");
  ASSERT_TRUE(bool(named)) << errorText(named.takeError());
  EXPECT_EQ(named->name, "b");
  auto unnamed = load({"a", "b"}, "");
  ASSERT_FALSE(bool(unnamed));
  EXPECT_NE(errorText(unnamed.takeError()).find("several kernels; name the one to run"),
            std::string::npos);
  auto twice = load({"a", "a"}, "a");
  ASSERT_FALSE(bool(twice));
  EXPECT_NE(errorText(twice.takeError()).find("several kernels named 'a'"), std::string::npos);
}

// Random float codes are finite: e5m2 has infinities and NaNs among its
// 256 codes, e4m3 two NaNs.
TEST(KernelManifest, RandomFloatCodesAreFinite) {
  std::mt19937 rng(9);
  for (const char *code : {"f8E5M2", "f8E4M3FN"}) {
    mlir::lowbit::runtime::KernelParam p;
    p.role = "weight";
    p.dtype = "u1";
    p.bits = 8;
    p.code = code;
    p.shape = {64, 256};
    auto type = mlir::lowbit::quant::CodeType::parse(code);
    ASSERT_TRUE(type.has_value());
    mlir::lowbit::NpyArray array = mlir::lowbit::runtime::randomOperand(p, rng);
    std::set<uint8_t> seen(array.data.begin(), array.data.end());
    for (uint8_t raw : seen)
      EXPECT_TRUE(type->isFinite(raw)) << code << " code " << int(raw);
    EXPECT_GT(seen.size(), 200u) << code; // and not a few values only
  }
}

// The benchmarks' code operands: drawn on several threads yet a function of
// the seed only, within the code's bits, float codes finite; 8-bit float
// scales still come from randomOperand (values near 1, not any exponent).
TEST(KernelManifest, RandomCodesDependOnTheSeedOnly) {
  using namespace mlir::lowbit::runtime;
  KernelParam weight;
  weight.role = "weight";
  weight.dtype = "u1";
  weight.bits = 4;
  weight.code = "i4";
  weight.shape = {300, 10000}; // 3 M codes: several 1 Mi-code chunks
  mlir::lowbit::NpyArray a = randomCodes(weight, 7), b = randomCodes(weight, 7),
                         c = randomCodes(weight, 8);
  ASSERT_EQ(a.data.size(), size_t(300 * 10000));
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, c.data);
  std::vector<size_t> histogram(256, 0);
  for (uint8_t code : a.data)
    ++histogram[code];
  for (unsigned code = 0; code < 256; ++code) {
    if (code < 16) // uniform over the 16 codes, within 2%
      EXPECT_NEAR(double(histogram[code]) / a.data.size(), 1.0 / 16, 0.02 / 16) << code;
    else
      EXPECT_EQ(histogram[code], 0u) << code;
  }
  std::mt19937 rng(1);
  EXPECT_EQ(randomArgument(weight, rng, 7).data, a.data);

  KernelParam fp8 = weight;
  fp8.bits = 8;
  fp8.code = "f8E4M3FN";
  auto e4m3 = mlir::lowbit::quant::CodeType::parse("f8E4M3FN");
  ASSERT_TRUE(e4m3.has_value());
  for (uint8_t raw : randomCodes(fp8, 3).data)
    ASSERT_TRUE(e4m3->isFinite(raw)) << int(raw);

  KernelParam scales;
  scales.role = "weight_scales";
  scales.dtype = "u1";
  scales.code = "f8E8M0FNU";
  scales.shape = {300, 40};
  auto e8m0 = mlir::lowbit::quant::CodeType::parse("f8E8M0FNU");
  ASSERT_TRUE(e8m0.has_value());
  for (uint8_t raw : randomArgument(scales, rng, 9).data) {
    double value = e8m0->decode(raw);
    ASSERT_TRUE(value >= 0.5 && value <= 1.0) << int(raw);
  }
}

// Interleaved 4-bit weights (the GEMV's paired codes): the manifest carries
// the order, the host packs words in it, and bad orders are errors that
// name the parameter.
// Weights in the sign_magnitude layout: the host packs them so, refuses a
// code of -8, and random operands for such a kernel never draw -8.
TEST(KernelManifest, SignMagnitudeWeightsArePackedAndDrawnWithoutMinusEight) {
  llvm::json::Object weight{{"role", "weight"},
                            {"dtype", "u1"},
                            {"bits", 4},
                            {"code", "i4"},
                            {"layout", "sign_magnitude"},
                            {"shape", llvm::json::Array{64, 64}}};
  auto manifest = manifestWith(std::move(weight));
  ASSERT_TRUE(bool(manifest)) << errorText(manifest.takeError());
  const mlir::lowbit::runtime::KernelParam &param = manifest->params[0];
  for (uint64_t seed : {1, 2, 3}) {
    mlir::lowbit::NpyArray codes = mlir::lowbit::runtime::randomCodes(param, seed);
    EXPECT_EQ(llvm::count(codes.data, uint8_t(8)), 0) << seed;
    EXPECT_GT(llvm::count(codes.data, uint8_t(9)), 0) << seed;
    auto bytes = mlir::lowbit::runtime::deviceBytes(param, codes);
    ASSERT_TRUE(bool(bytes)) << errorText(bytes.takeError());
    auto expected = mlir::lowbit::quant::packCodes(
        {mlir::lowbit::quant::LayoutKind::SignMagnitude, {}, {}, {}, {}}, {64, 64, 4}, codes.data);
    ASSERT_TRUE(bool(expected));
    EXPECT_EQ(*bytes, *expected);
  }
  std::mt19937 rng(5);
  mlir::lowbit::NpyArray drawn = mlir::lowbit::runtime::randomOperand(param, rng);
  EXPECT_EQ(llvm::count(drawn.data, uint8_t(8)), 0);
  mlir::lowbit::NpyArray minusEight{"u1", {64, 64}, std::vector<uint8_t>(64 * 64, 8)};
  auto refused = mlir::lowbit::runtime::deviceBytes(param, minusEight);
  ASSERT_FALSE(bool(refused));
  EXPECT_NE(errorText(refused.takeError()).find("code -8 at row 0, column 0"), std::string::npos);
}

TEST(KernelManifest, InterleavedWeightsArePackedInTheirOrder) {
  auto load = [](llvm::json::Value order) {
    llvm::json::Object weight{{"role", "weight"},   {"dtype", "u1"},
                              {"bits", 4},          {"code", "u4"},
                              {"layout", "interleave"}, {"shape", llvm::json::Array{2, 8}}};
    if (order.kind() != llvm::json::Value::Null)
      weight["order"] = std::move(order);
    return manifestWith(std::move(weight));
  };
  auto manifest = load(llvm::json::Array{0, 2, 4, 6, 1, 3, 5, 7});
  ASSERT_TRUE(bool(manifest)) << errorText(manifest.takeError());
  const mlir::lowbit::runtime::KernelParam &weight = manifest->params[0];
  EXPECT_EQ(weight.order, (std::vector<int64_t>{0, 2, 4, 6, 1, 3, 5, 7}));
  mlir::lowbit::NpyArray codes{"u1", {2, 8}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
  auto bytes = mlir::lowbit::runtime::deviceBytes(weight, codes);
  ASSERT_TRUE(bool(bytes)) << errorText(bytes.takeError());
  // Word 0 holds codes 0, 2, 4, 6 in its low nibbles and 1, 3, 5, 7 above.
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x20, 0x64, 0x31, 0x75, 0xA8, 0xEC, 0xB9, 0xFD}));

  struct Case {
    llvm::json::Value order;
    const char *message;
  } cases[] = {
      {llvm::json::Value(nullptr), "an interleave layout needs an order list"},
      {llvm::json::Array{0, 1, 2, 3}, "interleave order of 4 positions holds 16 bits"},
      {llvm::json::Array{0, 0, 1, 2, 3, 4, 5, 6}, "permutation"},
      {llvm::json::Array{"a", 1, 2, 3, 4, 5, 6, 7}, "not an integer"},
  };
  for (Case &c : cases) {
    auto bad = load(std::move(c.order));
    ASSERT_FALSE(bool(bad)) << c.message;
    std::string message = errorText(bad.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find("parameter weight"), std::string::npos) << message;
  }
}
