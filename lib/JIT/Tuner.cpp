//===- Tuner.cpp - the fastest config of a spec, measured on the GPU -------===//
#include "lowbit/JIT/Tuner.h"

#include "Support.h"

#include "LowBitGPU/IR/LowBitGPUDialect.h"
#include "lowbit/JIT/Spec.h"
#include "lowbit/Quant/CodeType.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/HostReference.h"
#include "lowbit/Support/Npy.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <tuple>

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::jit;

llvm::Expected<std::vector<std::string>>
mlir::lowbit::jit::candidateConfigs(const std::string &specText,
                                    const std::string &defaultConfig,
                                    const std::string &arch) {
  auto spec = parseSpec(specText);
  if (!spec)
    return spec.takeError();
  MLIRContext context;
  context.loadDialect<lowbit::gpu::LowBitGPUDialect>();
  auto config = dyn_cast_or_null<lowbit::gpu::ConfigAttr>(parseAttribute(defaultConfig, &context));
  if (!config)
    return jitError("not a #lowbit_gpu.config: " + defaultConfig);
  std::vector<std::string> out = {defaultConfig};
  std::set<std::string> seen = {defaultConfig};
  auto addConfig = [&](lowbit::gpu::ConfigAttr candidate) {
    std::string text;
    llvm::raw_string_ostream os(text);
    Attribute(candidate).print(os);
    if (seen.insert(text).second)
      out.push_back(text);
  };
  // A candidate of the default's strategy and operand type, not in
  // clusters; where the default is in clusters (W4A16 on wgmma from
  // M = 1024) with stream-K, which the clusters replace. None claims K
  // ranges (claim_k, measured slower; only short token tiles take it, and
  // the sweep changes tiles).
  bool sweepStreamK = config.getStreamK() || !config.getCluster().empty();
  auto add = [&](ArrayRef<int64_t> block, ArrayRef<int64_t> warp, int64_t stages, int64_t splitK,
                 ArrayRef<int64_t> mma = {}) {
    addConfig(lowbit::gpu::ConfigAttr::get(&context, config.getStrategy(), block, warp,
                                           mma.empty() ? config.getMma() : mma, config.getMmaType(),
                                           stages, splitK, {}, config.getPersistent(), sweepStreamK,
                                           /*claimK=*/0, /*producerRegisters=*/0));
  };
  // One of another strategy (no K splits).
  auto addWith = [&](lowbit::gpu::Strategy strategy, ArrayRef<int64_t> block,
                     ArrayRef<int64_t> warp, ArrayRef<int64_t> mma, Type mmaType, int64_t stages,
                     bool persistent) {
    addConfig(lowbit::gpu::ConfigAttr::get(&context, strategy, block, warp, mma, mmaType, stages, 1,
                                           {}, persistent, /*streamK=*/false, /*claimK=*/0,
                                           /*producerRegisters=*/0));
  };
  ArrayRef<int64_t> block = config.getBlock();
  bool splitKDefault = config.getStrategy() == lowbit::gpu::Strategy::SplitKGemv;
  if (splitKDefault || config.getStrategy() == lowbit::gpu::Strategy::TmaGemv) {
    bool f32 = spec->out == "f32";
    // The register-streaming GEMV (the default's tiles, or, around a
    // tma_gemv default, its own: K blocks of 128 codes, mma [16, 8, 16]).
    int64_t blockK = splitKDefault ? block[2] : 128;
    SmallVector<int64_t> mma = llvm::to_vector(
        splitKDefault ? config.getMma() : ArrayRef<int64_t>{16, 8, 16});
    // The CUDA-core GEMVs take f16/bf16 activations only (int8 and e4m3
    // ones run on tensor cores only), and weights in the half-fragment order
    // only on the f16x2 path (f16 activations and scales; GemvKernel.cpp):
    // other CUDA-core candidates would only fail to compile.
    bool cudaCoreCandidates =
        !spec->quantizedActivations() && (spec->layout != jit::MatmulSpec::Layout::HalfFragment ||
                                          (spec->act == "f16" && spec->scaleType == "f16"));
    auto addSplitK = [&](int64_t bn, int64_t warpN, int64_t stages, int64_t splitK) {
      addConfig(lowbit::gpu::ConfigAttr::get(
          &context, lowbit::gpu::Strategy::SplitKGemv, {16, bn, blockK}, {16, warpN}, mma,
          config.getMmaType(), stages, splitK, {}, false, false, /*claimK=*/0,
          /*producerRegisters=*/0));
    };
    // Row tiles, K splits, and per lane 4 or 8 16-byte chunks of one row in
    // flight, or 2 or 4 chunks of each of 4 rows a warp streams together
    // (warp tile N 32, the default up to 2 tokens: an activation load
    // serves 4 rows).
    for (int64_t bn : {16, 32, 64})
      for (int64_t splits : {1, 2, 4, 8, 16}) {
        if (!cudaCoreCandidates)
          continue;
        if ((splits > 1 && !f32) || spec->k / blockK < splits)
          continue;
        for (int64_t stages : {4, 8})
          addSplitK(bn, 8, stages, splits);
        // Up to 4 tokens: more keep 4 x M sums and reload activations per row.
        for (int64_t stages : {2, 4})
          if (bn >= 32 && spec->m <= 4) // the warp tile divides the block's
            addSplitK(bn, 32, stages, splits);
      }
    // On sm_90a, 4-bit weights also run on the tensor cores at 64 tokens
    // (the weights widened as wgmma's A, each read once per token tile):
    // from a few tokens on, the GEMV's work per code on CUDA cores grows
    // with M (0.16-0.21x cuBLAS bf16 at M = 16 on the H100,
    // bench/results/2026-11-25-h100-decode-w4a16.md). 64 or 128 weight rows
    // per tile (64 doubles the tiles of a narrow layer), rings of 2 to 4.
    bool fourBitWeights = spec->weight == "u4" || spec->weight == "s4";
    // The tensor cores' 16-bit type: bf16 for bf16 activations, else f16
    // (int8 and e4m3 ones are widened to it on tma_gemv's tensor cores).
    Type halfAct = spec->act == "bf16" ? Type(BFloat16Type::get(&context))
                                       : Type(Float16Type::get(&context));
    // From sm_90 on, the GEMV whose weights stream by TMA through a
    // shared-memory ring (tma_gemv): on CUDA cores 16 or 32 rows per block
    // with 4 or 6 slots; for 4-bit codes also on tensor cores (up to 16
    // tokens as the mma's N; int8 and e4m3 activations only there): 16, 32 or 64 rows per block
    // and per warp, 2 to 4 slots (on an H200 2 or 3 were the fastest, with
    // 2 or 3 blocks per SM; 6 was slower). Rings that do not fit fail to
    // compile and drop out.
    if (arch == "sm_90" || arch == "sm_90a") {
      for (int64_t rows : {16, 32})
        for (int64_t stages : {4, 6})
          if (cudaCoreCandidates)
            addWith(lowbit::gpu::Strategy::TmaGemv, {16, rows, 512}, {16, rows / 4}, {1, 1, 1},
                    config.getMmaType(), stages, /*persistent=*/false);
      // s8 takes signed codes without zero points, scaled per 128 codes or
      // coarser.
      bool s8Weights = spec->weight == "s4" && !spec->zeroPoints &&
                       (spec->weightScales != "group" || spec->groupSize % 128 == 0);
      if (fourBitWeights && spec->m <= 16)
        for (int64_t rows : {16, 32, 64})
          for (int64_t stages : {2, 3, 4}) {
            addWith(lowbit::gpu::Strategy::TmaGemv, {16, rows, 512}, {16, rows}, {16, 8, 16},
                    halfAct, stages, /*persistent=*/false);
            // int8 activations also on s8.
            if (spec->act == "i8" && s8Weights)
              addWith(lowbit::gpu::Strategy::TmaGemv, {16, rows, 512}, {16, rows}, {16, 8, 32},
                      IntegerType::get(&context, 8), stages, /*persistent=*/false);
          }
    }
    if (arch == "sm_90a" && fourBitWeights && !spec->quantizedActivations()) {
      for (int64_t rows : {128, 64})
        for (int64_t stages : {2, 3, 4})
          addWith(lowbit::gpu::Strategy::Wgmma, {64, rows, 256}, {64, 64}, {64, 64, 16}, halfAct,
                  stages, /*persistent=*/true);
    }
    // And on the smallest token tile of 8 or 16 that holds the tokens (the
    // default for 9 to 16 int8 or e4m3 tokens where its grid fills the SMs,
    // and for f16/bf16 ones on layers of as many 128-row tiles as SMs or
    // more, or of 2^27 weights or more; SelectKernelConfig.cpp), with
    // stream-K, 64 or 128 rows, 4 or 6 stages; and 192 rows (three
    // consumer warpgroups) or 256 (four, tiles of up to 16 tokens), 4
    // stages: on the H200 three ran W4A16 at 16 tokens 1.07x faster on
    // 28672 x 8192 and 8192 x 28672, four W4A8 up to 1.06x on 28672 x 8192
    // (bench/results/2026-12-05-h200-short-tiles-and-odd-widths.md). (The
    // 8-bit activations the GEMV widens to f16 are wgmma's own operand
    // type.)
    if (arch == "sm_90a" && fourBitWeights && spec->m <= 16) {
      int64_t tokens = lowbit::gpu::wgmmaShortTokenTile(spec->m);
      Type wgmmaType = spec->act == "i8"     ? Type(IntegerType::get(&context, 8))
                       : spec->act == "e4m3" ? Type(Float8E4M3FNType::get(&context))
                                             : halfAct;
      int64_t instK = spec->quantizedActivations() ? 32 : 16;
      auto addShortTile = [&](int64_t rows, int64_t stages) {
        addConfig(lowbit::gpu::ConfigAttr::get(
            &context, lowbit::gpu::Strategy::Wgmma, {tokens, rows, 256}, {tokens, 64},
            {tokens, 64, instK}, wgmmaType, stages, /*splitK=*/1, /*cluster=*/{},
            /*persistent=*/true, /*streamK=*/true, /*claimK=*/0, /*producerRegisters=*/0));
      };
      for (int64_t rows : {128, 64})
        for (int64_t stages : {4, 6})
          addShortTile(rows, stages);
      for (int64_t rows : {192, 256})
        if (rows <= spec->n)
          addShortTile(rows, /*stages=*/4);
    }
    return out;
  }
  if (config.getStrategy() == lowbit::gpu::Strategy::Wgmma) {
    // The default's tile with stream-K toggled (where the grid may take
    // it): splitting the last wave along K won 1.03-1.07x on some shapes
    // and lost 1% on others on the H200. Not onto int8 128 x 256 tiles
    // stored from registers (f32, or rows not of whole 16 bytes), which
    // spill beside the exchange (SelectKernelConfig.cpp).
    bool spillsWithStreamK = lowbit::gpu::wgmmaStreamKSpills(
        config.getMmaType(), block[0], block[1],
        lowbit::gpu::wgmmaStagesResults(spec->out == "f32" ? 32 : 16, spec->n));
    // Packed 4-bit weights (K tiles of 256 codes, W4A16's also of 128): the
    // product transposed, weight rows as wgmma's M.
    bool fourBitWeights = spec->packedWeight();
    // The default's own tile (persistent), with another cluster or stream-K.
    auto addDefaultTile = [&](ArrayRef<int64_t> cluster, bool streamK) {
      addConfig(lowbit::gpu::ConfigAttr::get(
          &context, config.getStrategy(), config.getBlock(), config.getWarp(), config.getMma(),
          config.getMmaType(), config.getStages(), config.getSplitK(), cluster,
          /*persistent=*/true, streamK, /*claimK=*/0, /*producerRegisters=*/0));
    };
    if (config.getPersistent() && config.getCluster().empty()) {
      if (config.getStreamK() || !spillsWithStreamK)
        addDefaultTile({}, !config.getStreamK());
      // 4-bit weights: clusters of two along the weight rows, whose blocks
      // share the activations' tile and multicast it (no stream-K: the
      // verifier takes one or the other). 1.02-1.03x on two of three
      // W4A8-e4m3 shapes in one H200 run, about the runs' spread
      // (bench/results/2026-12-02-h200-w4a8-widening.md).
      if (fourBitWeights)
        addDefaultTile({1, 2}, /*streamK=*/false);
    } else if (config.getPersistent() && !spillsWithStreamK) {
      // A default in clusters (W4A16 from M = 1024): its tile unpaired,
      // with stream-K (the default below M = 1024).
      addDefaultTile({}, /*streamK=*/true);
    }
    // One or two consumer warpgroups, N tiles the instruction takes (FP8
    // keeps a second accumulator: at most 192), rings of 3 to 6 slots (the
    // shared-memory check below prunes those that do not fit).
    // e4m3 keeps a second (f32) sum, so it takes narrower tiles.
    bool fp8 = isa<Float8E4M3FNType>(config.getMmaType());
    if (fourBitWeights) {
      // 4-bit weights: 64 to 256 tokens (e4m3 at most 192: it keeps a second, f32 sum), 64 or 128
      // weight rows, 256 K per stage, rings of 2 to 6 slots; W4A16 also 128 K per stage (half the
      // slot: twice the stages; its default from M = 256, at 256 tokens; as fast as 256 K at 192
      // tokens on the H200, slower at 128).
      // Up to 32 tokens also the smallest tile of 8, 16 or 32 that holds
      // them, its mma naming it (mma = [T, 64, k]; K tiles of 256 only, the
      // short tiles' measured ones), also in 192 weight rows (three
      // consumers) and, up to 16 tokens, 256 (four), with 4 stages (as
      // measured).
      int64_t maxTokens = fp8 ? 192 : 256;
      bool real = isa<Float16Type, BFloat16Type>(config.getMmaType());
      int64_t shortTile = lowbit::gpu::wgmmaShortTokenTile(spec->m);
      for (int64_t tokens : {shortTile, int64_t(64), int64_t(128), int64_t(192), int64_t(256)}) {
        if (!tokens || tokens > maxTokens || (tokens > 64 && spec->m <= 64))
          continue;
        ArrayRef<int64_t> mma = config.getMma();
        SmallVector<int64_t> tileMma = {std::min<int64_t>(tokens, 64), 64, mma[2]};
        for (int64_t rows : {64, 128, 192, 256}) {
          if ((rows == 64 && spec->n >= 256) || (rows > 128 && tokens >= 64) ||
              (rows == 256 && tokens > 16) || rows > spec->n)
            continue;
          for (int64_t kTile : {256, 128}) {
            if (kTile == 128 && (!real || tokens < 64))
              continue;
            for (int64_t stages : {2, 3, 4, 5, 6})
              if (rows <= 128 || stages == 4)
                add({tokens, rows, kTile}, {tokens, 64}, stages, 1, tileMma);
          }
        }
      }
      return out;
    }
    for (int64_t bm : {64, 128}) {
      if (bm == 128 && spec->m <= 64)
        continue;
      for (int64_t bn : {64, 128, 192, 256}) {
        if (bn > (fp8 ? 192 : 256) || (bn < 128 && spec->n >= 256))
          continue;
        for (int64_t stages : {3, 4, 5, 6})
          add({bm, bn, block[2]}, {64, bn}, stages, 1, {64, bn, block[2] / 4});
      }
    }
    return out;
  }
  std::vector<int64_t> bms = {64};
  if (spec->m > 64)
    bms.push_back(128);
  for (int64_t bm : bms)
    for (int64_t bn : {64, 128, 256}) {
      if (spec->n % bn)
        continue;
      for (int64_t wn : {32, 64})
        for (int64_t stages : {3, 4}) {
          int64_t warpN = std::min(wn, bn);
          if ((bm / 2) * warpN < 32 * 32) // fewer than 4 warps of work each: skip
            continue;
          add({bm, bn, block[2]}, {bm / 2, warpN}, stages, 1);
        }
    }
  return out;
}

namespace {

struct Candidate {
  std::string config;
  CompiledModule module;
  std::string why; // pruned: the reason
  double us = 0;
};

const llvm::json::Object &entryOf(const CompiledModule &m) {
  return *m.kernels.front().getAsObject();
}

/// An error for a candidate whose entry the runtime rejects (a generator's
/// tensor map it cannot encode), which then is pruned with the reason.
llvm::Expected<runtime::KernelManifest> manifestOf(const llvm::json::Object &entry) {
  llvm::json::Object root{{"kernels", llvm::json::Array{llvm::json::Object(entry)}}};
  return runtime::KernelManifest::fromJson(root, "the tuner's manifest");
}

/// The operands of a check on a subset of output columns: the manifest and
/// logical operands with the weight (and its per-row scales and zero points)
/// cut down to those rows of N, and the columns chosen.
std::tuple<runtime::KernelManifest, std::vector<NpyArray>, std::vector<int64_t>>
checkedColumns(const runtime::KernelManifest &manifest, const std::vector<NpyArray> &logical) {
  int64_t n = manifest.result().shape[1];
  std::vector<int64_t> columns;
  int64_t count = std::min<int64_t>(n, 512);
  for (int64_t i = 0; i < count; ++i)
    columns.push_back(count == n ? i : i * (n - 1) / (count - 1));
  runtime::KernelManifest cut = manifest;
  std::vector<NpyArray> operands = logical;
  for (size_t p = 0; p + 1 < cut.params.size(); ++p) {
    runtime::KernelParam &param = cut.params[p];
    bool perRow = param.role == "weight" ||
                  ((param.role == "weight_scales" || param.role == "weight_zero_points") &&
                   param.shape[0] == n);
    if (!perRow)
      continue;
    int64_t rowElements = param.shape[1];
    size_t elementBytes = logical[p].data.size() / (size_t(n) * rowElements);
    size_t rowBytes = rowElements * elementBytes;
    std::vector<uint8_t> data;
    for (int64_t c : columns)
      data.insert(data.end(), logical[p].data.begin() + c * rowBytes,
                  logical[p].data.begin() + (c + 1) * rowBytes);
    param.shape[0] = count;
    operands[p].shape[0] = count;
    operands[p].data = std::move(data);
  }
  cut.params.back().shape[1] = count;
  return {std::move(cut), std::move(operands), std::move(columns)};
}

} // namespace

llvm::Expected<std::shared_ptr<const Kernel>>
mlir::lowbit::jit::getOrTune(Driver &driver, const std::string &specText, TuneReport *report,
                             const TunerOptions &options) {
  TuneReport local;
  TuneReport &r = report ? *report : local;
  auto spec = parseSpec(specText);
  if (!spec)
    return spec.takeError();
  r.spec = spec->str();
  if (std::shared_ptr<const Kernel> cached = driver.find(specText, kTunedConfig)) {
    r.cached = true;
    r.bestConfig = cached->manifest.getArray("kernels")
                       ->front()
                       .getAsObject()
                       ->getString("config")
                       .value_or("")
                       .str();
    return cached;
  }
  auto fallback = driver.get(specText);
  if (!fallback)
    return fallback.takeError();
  const llvm::json::Object &defaultEntry =
      *(*fallback)->manifest.getArray("kernels")->front().getAsObject();
  r.defaultConfig = defaultEntry.getString("config").value_or("").str();
  // Called through the C API too: the caller's current context stays.
  auto device = runtime::CudaDevice::open(options.device, /*makeCurrent=*/false);
  if (!device) {
    r.note = "no GPU (" + llvm::toString(device.takeError()) +
             "): the default config, not tuned";
    return *fallback;
  }

  // Candidates, compiled in parallel, one context each.
  auto configs = candidateConfigs(specText, r.defaultConfig, driver.options().arch);
  if (!configs)
    return configs.takeError();
  std::vector<Candidate> candidates(configs->size());
  r.candidates = int(candidates.size());
  auto start = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  unsigned threads = options.threads ? options.threads
                                     : std::max(1u, std::thread::hardware_concurrency());
  std::string source = spec->toMLIR();
  // Shared memory one block may use: the chip table of the target attribute
  // (the default config compiled, so the chip is a known one).
  MLIRContext targetContext;
  targetContext.loadDialect<lowbit::gpu::LowBitGPUDialect>();
  int64_t sharedLimit =
      lowbit::gpu::TargetAttr::get(&targetContext, driver.options().arch, "")
          .getMaxSharedMemoryPerBlock();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < std::min<size_t>(threads, candidates.size()); ++t)
    workers.emplace_back([&] {
      for (size_t i = next++; i < candidates.size(); i = next++) {
        Candidate &c = candidates[i];
        c.config = (*configs)[i];
        CompileOptions compile;
        compile.arch = driver.options().arch;
        compile.cubin = driver.options().preferCubin;
        compile.config = c.config;
        auto compiled = compileSource(source, compile);
        if (!compiled) {
          c.why = llvm::toString(compiled.takeError());
          continue;
        }
        c.module = std::move(*compiled);
        const llvm::json::Object &entry = entryOf(c.module);
        int64_t threadsPerBlock = (*entry.getArray("block"))[0].getAsInteger().value_or(0);
        // Spilling candidates are pruned, but not the default (candidate 0):
        // it is what runs untuned, so it is the baseline the others must beat.
        if (c.module.spillBytes > 0 && i != 0)
          c.why = "spills";
        else if (c.module.registers > 0 && c.module.registers * threadsPerBlock > 65536)
          c.why = "registers x threads exceed the register file";
        else if (entry.getInteger("shared_memory").value_or(0) > sharedLimit)
          c.why = "shared memory";
      }
    });
  for (std::thread &w : workers)
    w.join();
  r.compileSeconds = secondsSince(start);

  // Operands drawn once (seed 1), copies rotated past L2.
  start = std::chrono::steady_clock::now();
  auto parsedShape = manifestOf(defaultEntry);
  if (!parsedShape)
    return parsedShape.takeError();
  runtime::KernelManifest shape = std::move(*parsedShape);
  std::mt19937 rng(1);
  std::vector<NpyArray> logical;
  size_t setBytes = 0;
  std::vector<std::vector<uint8_t>> bytes;
  for (size_t i = 0; i + 1 < shape.params.size(); ++i) {
    const runtime::KernelParam &param = shape.params[i];
    logical.push_back(runtime::randomArgument(param, rng, i + 1));
    auto b = runtime::deviceBytes(shape.params[i], logical.back());
    if (!b)
      return b.takeError();
    setBytes += b->size();
    bytes.push_back(std::move(*b));
  }
  const runtime::KernelParam &result = shape.result();
  size_t resultBytes = size_t(result.shape[0]) * result.shape[1] * (result.dtype == "f4" ? 4 : 2);
  setBytes += resultBytes;
  int sets = int(std::min<size_t>(8, (120u << 20) / setBytes + 1));
  // Freed on return: a host program tunes many specs in one context.
  runtime::ScopedBuffers buffers(**device);
  std::vector<std::vector<runtime::DevicePtr>> args(sets);
  for (int s = 0; s < sets; ++s) {
    for (const std::vector<uint8_t> &b : bytes) {
      auto ptr = buffers.upload(b);
      if (!ptr)
        return ptr.takeError();
      args[s].push_back(*ptr);
    }
    auto out = buffers.alloc(resultBytes);
    if (!out)
      return out.takeError();
    args[s].push_back(*out);
  }
  // A spec launched programmatically is timed as it will run: in chains
  // of 8 launches, each grid starting behind the one before (the best
  // config differs: 4 ring slots instead of 2 for one e4m3 token), queued
  // behind the hold kernel so that the host's launches do not pace them.
  const int chain = spec->programmaticLaunch ? 8 : 1;
  (*device)->setProgrammaticLaunches(spec->programmaticLaunch);
  std::optional<runtime::ScopedModule> hold;
  if (chain > 1) {
    auto loaded = (*device)->loadModule(runtime::kHoldQueuePtx);
    if (!loaded)
      return loaded.takeError();
    hold.emplace(**device, *loaded);
  }
  auto timeOne = [&](Candidate &c) -> llvm::Error {
    auto parsed = manifestOf(entryOf(c.module));
    if (!parsed)
      return parsed.takeError();
    const runtime::KernelManifest &m = *parsed;
    const std::string &image = c.module.cubin.empty() ? c.module.ptx : c.module.cubin;
    auto module = (*device)->loadModule(image);
    if (!module)
      return module.takeError();
    runtime::ScopedModule loaded(**device, *module);
    // Tensor maps name their set's buffers: encoded per set, before timing.
    std::vector<std::vector<runtime::TensorMap>> maps;
    for (int s = 0; s < sets; ++s) {
      auto encoded = runtime::encodeTensorMaps(**device, m, args[s]);
      if (!encoded)
        return encoded.takeError();
      maps.push_back(std::move(*encoded));
    }
    // A kernel that accumulates into its result (split-K atomics) costs
    // the clearing too wherever it runs: timed with it, so that candidates
    // of other strategies compete on equal terms.
    auto launch = [&](int s) -> llvm::Error {
      if (m.zeroResult)
        if (llvm::Error e = (*device)->fill(args[s].back(), resultBytes, 0))
          return e;
      return (*device)->enqueue(*module, m.name, m.launch, args[s], /*stream=*/nullptr, maps[s]);
    };
    auto launchChain = [&](int s) -> llvm::Error {
      for (int j = 0; j < chain; ++j)
        if (llvm::Error e = launch((s + j) % sets))
          return e;
      return llvm::Error::success();
    };
    for (int w = 0; w < 2; ++w)
      if (llvm::Error e = launchChain(w % sets))
        return e;
    // Long kernels need fewer launches for a stable median: about 50 ms of
    // launches per candidate, between 5 and `runs`.
    auto first = (*device)->timeRegion([&] { return launchChain(0); });
    if (!first)
      return first.takeError();
    int launches = std::clamp(int(50.0 / std::max(*first, 1e-3f)), 5, options.runs);
    std::vector<float> times;
    for (int i = 0; i < launches; ++i) {
      if (hold)
        if (llvm::Error e = (*device)->enqueue(hold->get(), runtime::kHoldQueueKernel,
                                               runtime::LaunchShape{}, {}))
          return e;
      auto ms = (*device)->timeRegion([&] { return launchChain(i % sets); });
      if (!ms)
        return ms.takeError();
      times.push_back(*ms / chain);
    }
    std::sort(times.begin(), times.end());
    c.us = times[times.size() / 2] * 1000.0;
    return llvm::Error::success();
  };
  std::vector<Candidate *> ranked;
  for (Candidate &c : candidates) {
    if (!c.why.empty()) {
      ++r.pruned;
      continue;
    }
    ++r.compiled;
    if (llvm::Error e = timeOne(c)) {
      c.why = llvm::toString(std::move(e));
      ++r.pruned;
      continue;
    }
    ranked.push_back(&c);
  }
  if (!candidates[0].why.empty() || ranked.empty())
    return jitError(r.spec + ": the default config could not be timed: " +
                     (candidates[0].why.empty() ? "no candidate ran" : candidates[0].why));
  r.defaultMicroseconds = candidates[0].us;
  std::sort(ranked.begin(), ranked.end(),
            [](const Candidate *a, const Candidate *b) { return a->us < b->us; });

  // The fastest candidate that agrees with the host product wins. The check
  // covers rows of M (checkedRows) times at most 512 output columns spread
  // over N, so only those weight rows are dequantized on the host.
  auto [checkShape, checkOperands, columns] = checkedColumns(shape, logical);
  auto real = runtime::realOperands(checkShape, checkOperands);
  if (!real)
    return real.takeError();
  std::vector<int64_t> rows = runtime::checkedRows(real->m, shape.result().shape[1], real->k);
  std::vector<double> reference = runtime::referenceRows(*real, rows);
  Candidate *winner = nullptr;
  for (Candidate *c : ranked) {
    auto parsed = manifestOf(entryOf(c->module));
    if (!parsed)
      return parsed.takeError();
    const runtime::KernelManifest &m = *parsed;
    const std::string &image = c->module.cubin.empty() ? c->module.ptx : c->module.cubin;
    auto module = (*device)->loadModule(image);
    if (!module)
      return module.takeError();
    runtime::ScopedModule loaded(**device, *module);
    // Programmatic specs are checked as they were timed: the result of the
    // last of a chain of launches (every set holds the same operands), which
    // started behind the one before it.
    // The results are poisoned (NaN bytes) first, so that an element the
    // kernel never writes fails the check, and nothing but kernels runs
    // between the launches. A result that accumulates starts from zero and
    // takes one launch: a chain longer than the sets would add into a set
    // twice (its timing clears the result before each launch).
    int length = m.zeroResult ? 1 : chain;
    int used = std::min(length, sets), checked = (length - 1) % sets;
    std::vector<std::vector<runtime::TensorMap>> maps;
    for (int s = 0; s < used; ++s) {
      if (llvm::Error e = (*device)->fill(args[s].back(), resultBytes, m.zeroResult ? 0 : 0xff))
        return std::move(e);
      auto encoded = runtime::encodeTensorMaps(**device, m, args[s]);
      if (!encoded)
        return encoded.takeError();
      maps.push_back(std::move(*encoded));
    }
    for (int j = 0; j < length; ++j)
      if (llvm::Error e = (*device)->enqueue(*module, m.name, m.launch, args[j % sets],
                                             /*stream=*/nullptr, maps[j % sets]))
        return std::move(e);
    if (llvm::Error e = (*device)->synchronize())
      return std::move(e);
    NpyArray out{result.dtype, result.shape, std::vector<uint8_t>(resultBytes)};
    if (llvm::Error e = (*device)->copyToHost(out.data.data(), args[checked].back(), resultBytes))
      return std::move(e);
    auto values = numericValues(out);
    if (!values)
      return values.takeError();
    std::vector<double> picked;
    int64_t n = result.shape[1];
    for (int64_t row : rows)
      for (int64_t col : columns)
        picked.push_back((*values)[row * n + col]);
    Comparison cmp = compareValues(picked, reference, 0, 0);
    if (cmp.relativeL2 < 1e-2) {
      winner = c;
      r.relativeL2 = cmp.relativeL2;
      break;
    }
    c->why = "wrong result (relative L2 " + std::to_string(cmp.relativeL2) + ")";
  }
  r.timeSeconds = secondsSince(start);
  for (const Candidate &c : candidates)
    r.results.push_back({c.config, c.why.empty() ? c.us : 0.0, c.why});
  if (candidates[0].module.spillBytes > 0)
    r.note = "the default spills " + std::to_string(candidates[0].module.spillBytes) +
             " bytes (timed anyway; other spilling candidates are pruned)";
  if (!winner)
    return jitError(r.spec + ": no candidate matched the host product");
  r.bestConfig = winner->config;
  r.bestMicroseconds = winner->us;
  r.tuned = true;

  return driver.remember(specText, kTunedConfig,
                         Kernel::fromCompiled(std::move(winner->module), driver.options().arch));
}
