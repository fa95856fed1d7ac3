//===- lowbit-bench.cpp - lowbit kernels against cuBLAS, one process ------===//
//
//   lowbit-bench MANIFEST.json ... [--runs=200] [--timing=queued|single]
//                [--device=0] [--json=OUT.json]
//
// For each compiled matmul kernel: draws operands (seed 1), checks the
// kernel's output and the vendor baseline's against a float64 CPU product of
// the same real values (every row for small products, 16 rows spread over M
// for large ones), then times both in this process (median of single-call
// event timings, each call queued behind a kernel that holds the GPU so that
// the host's launch overhead is not timed, or with --timing=single on an idle
// GPU; operands rotated over copies larger than the L2 cache) and reports time, GB/s, TFLOP/s, the
// fraction of the device-to-device copy bandwidth measured here, and the ratio to the baseline. The
// baseline is cuBLAS int8 (s8 x s8 -> s32, the same codes) when both operands are int8, cuBLASLt
// fp8 (e4m3 x e4m3 -> bf16, the same codes, unit scales: what torch._scaled_mm runs) when both are
// e4m3, W8A8 of the same shape when int8 or e4m3 activations meet signed 4-bit weights without zero
// points and with per-tensor or per-channel scales, else cuBLAS bf16 on the dequantized values. The
// code baselines' products get the kernel's scales on the host before the check. A failing cuBLASLt
// fp8 or W4A8 int8 baseline (no cuBLASLt, a card before sm_89, a shape it rejects) is a note: the
// kernel is still checked and timed, and the baseline columns read "-".
//
// Bit-plane kernels (operands in the "bits" layout) are checked exactly
// against the host's popcount product on the checked rows and timed against
// cuBLAS int8 on the same bipolar values (planes of up to 7 bits decode to
// int8): the same product, run by the vendor library on 8-bit tensor cores.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/BitPlanes.h"
#include "lowbit/Quant/Quantize.h"
#include "lowbit/Runtime/CuBlas.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/HostReference.h"
#include "lowbit/Runtime/KernelManifest.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

using namespace mlir::lowbit;
using namespace mlir::lowbit::runtime;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-bench options");
static cl::list<std::string> manifests(cl::Positional, cl::cat(toolOptions),
                                       cl::desc("<manifest.json>..."), cl::OneOrMore);
static cl::opt<int> runs("runs", cl::cat(toolOptions), cl::desc("Timed launches per kernel"),
                         cl::init(200));
static cl::opt<int> deviceOrdinal("device", cl::cat(toolOptions),
                                  cl::desc("CUDA device to time on (ordinal)"), cl::init(0));
static cl::opt<int> chain(
    "chain", cl::cat(toolOptions),
    cl::desc("Decode-sized kernels that may be launched programmatically (a manifest's "
             "\"dependent_launch\") are also timed in chains of this many calls on consecutive "
             "buffer sets, as consecutive layers run, with and without programmatic dependent "
             "launches (0: not)"),
    cl::init(8));
static cl::opt<bool> timeWrongResults(
    "time-wrong-results", cl::cat(toolOptions),
    cl::desc("Time a kernel whose output is wrong too (bounds measured on hand-edited PTX); "
             "the error is still reported, its row shows it and the exit status is 1"),
    cl::init(false));
static cl::opt<std::string> jsonFile("json", cl::cat(toolOptions),
                                     cl::desc("Write results as JSON"), cl::init(""));
enum class Timing { Queued, Single };
static cl::opt<Timing>
    timing("timing", cl::cat(toolOptions), cl::desc("How each call is timed"),
           cl::values(clEnumValN(Timing::Queued, "queued",
                                 "behind a 100 us kernel, so that the host's launch overhead runs "
                                 "while the GPU is busy (the default)"),
                      clEnumValN(Timing::Single, "single",
                                 "alone on an idle GPU: the time includes the host's launch "
                                 "overhead (this tool's method until 2026-12-03)")),
           cl::init(Timing::Queued));
/// The timing method's name, as the header line and the JSON give it.
static const char *timingName() { return timing == Timing::Queued ? "queued" : "single"; }

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-bench: " << message << "\n";
  return 1;
}

namespace {

double halfBits(uint16_t bits, bool bf16) { return bf16 ? bf16ToDouble(bits) : halfToDouble(bits); }

uint16_t toHalfBits(double v, bool bf16) { return bf16 ? doubleToBf16(v) : doubleToHalf(v); }

/// Real values of an operand or result, as floats.
llvm::Expected<std::vector<float>> realValues(const NpyArray &a) {
  llvm::Expected<std::vector<double>> values = numericValues(a);
  if (!values)
    return values.takeError();
  return std::vector<float>(values->begin(), values->end());
}

/// Round-to-nearest-even f32 -> bf16 on the bits (finite inputs; fast
/// enough for layers of hundreds of millions of weights).
std::vector<uint8_t> bf16Bytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t half = floatToBf16(values[i]);
    memcpy(&bytes[i * 2], &half, 2);
  }
  return bytes;
}

/// runtime::kHoldQueuePtx's kernel, queued before each timed call
/// (--timing=queued): a call timed alone on an idle GPU also measures the
/// host's few microseconds of launch overhead, a fifth of a decode
/// kernel's time on 8192 x 8192.
static void *holdQueueModule = nullptr;

/// Median milliseconds of `runs` single calls, each on the next buffer set.
llvm::Expected<double> median(CudaDevice &device, int sets,
                              llvm::function_ref<llvm::Error(int)> call) {
  for (int i = 0; i < 3; ++i) // warm-up
    if (llvm::Error e = call(i % sets))
      return std::move(e);
  if (llvm::Error e = device.synchronize())
    return std::move(e);
  std::vector<float> times;
  for (int r = 0; r < runs; ++r) {
    if (holdQueueModule) {
      if (llvm::Error e = device.enqueue(holdQueueModule, kHoldQueueKernel, LaunchShape{}, {}))
        return std::move(e);
    }
    auto ms = device.timeRegion([&] { return call(r % sets); });
    if (!ms)
      return ms.takeError();
    times.push_back(*ms);
  }
  std::sort(times.begin(), times.end());
  return double(times[times.size() / 2]);
}

/// Decode-sized calls (up to this many tokens), which lowbit-bench also
/// compares with a device copy of their bytes.
constexpr int64_t kGemvTokens = 16;

/// Microseconds of a device copy moving `bytes` in all (bytes / 2 read and
/// as many written, as the copy bandwidth counts them), timed as the kernels
/// are, from buffers rotated past the L2 cache.
llvm::Expected<double> deviceCopyUs(CudaDevice &device, size_t bytes) {
  size_t half = std::max<size_t>(bytes / 2 / 256 * 256, 256);
  int sets = int((200u << 20) / half + 1);
  ScopedBuffers buffers(device);
  auto src = buffers.alloc(half * sets);
  if (!src)
    return src.takeError();
  auto dst = buffers.alloc(half * sets);
  if (!dst)
    return dst.takeError();
  auto ms = median(device, sets, [&](int s) {
    return device.copyOnDevice(*dst + s * half, *src + s * half, half);
  });
  if (!ms)
    return ms.takeError();
  return *ms * 1000;
}

/// Uploads `bytes` into `copies` fresh buffers of `buffers`.
llvm::Expected<std::vector<DevicePtr>> upload(ScopedBuffers &buffers,
                                              const std::vector<uint8_t> &bytes, int copies) {
  std::vector<DevicePtr> ptrs;
  for (int c = 0; c < copies; ++c) {
    auto ptr = buffers.upload(bytes);
    if (!ptr)
      return ptr.takeError();
    ptrs.push_back(*ptr);
  }
  return ptrs;
}

/// The vendor baseline's operands: one input, `sets` weight copies rotated
/// past L2, a result of `resultBytes`.
struct BaselineOperands {
  DevicePtr x;
  std::vector<DevicePtr> w;
  DevicePtr y;
};
llvm::Expected<BaselineOperands> uploadBaseline(ScopedBuffers &buffers,
                                                const std::vector<uint8_t> &x,
                                                const std::vector<uint8_t> &w, int sets,
                                                size_t resultBytes) {
  auto xBuffer = buffers.upload(x);
  if (!xBuffer)
    return xBuffer.takeError();
  auto wBuffers = upload(buffers, w, sets);
  if (!wBuffers)
    return wBuffers.takeError();
  auto yBuffer = buffers.alloc(resultBytes);
  if (!yBuffer)
    return yBuffer.takeError();
  return BaselineOperands{*xBuffer, std::move(*wBuffers), *yBuffer};
}

/// The tensor maps of each operand set, encoded before timing (they name
/// their set's buffers).
llvm::Expected<std::vector<std::vector<TensorMap>>>
encodeSets(CudaDevice &device, const KernelManifest &manifest,
           const std::vector<std::vector<DevicePtr>> &args) {
  std::vector<std::vector<TensorMap>> maps;
  for (const std::vector<DevicePtr> &set : args) {
    auto encoded = encodeTensorMaps(device, manifest, set);
    if (!encoded)
      return encoded.takeError();
    maps.push_back(std::move(*encoded));
  }
  return maps;
}

/// One printed and recorded benchmark row.
struct BenchRow {
  std::string kernel, manifest, config, baseline;
  int64_t m, n, k, checkedRows;
  double us, bytes, relL2;
  std::optional<double> baselineUs, baselineRelL2;
  /// A device copy moving the row's bytes (half read, half written, as the
  /// copy bandwidth counts them), timed as the kernel is: what a copy of
  /// this size reaches, its launch and ramp included (GEMV-sized calls).
  std::optional<double> sameSizeCopyUs;
  /// Microseconds per call of `--chain` consecutive calls, launched as
  /// usual and programmatically (each call's blocks starting while the one
  /// before finishes).
  std::optional<double> chainUs, chainProgrammaticUs;
};

/// Prints `row` as a line of the table and appends it to `json`.
void report(const BenchRow &row, double copyGBs, llvm::json::Array &json) {
  double gbs = row.bytes / (row.us * 1e3);
  double tflops = 2.0 * row.m * row.n * row.k / (row.us * 1e6);
  std::string label = row.kernel + " " + std::to_string(row.m) + "x" +
                      std::to_string(row.n) + "x" + std::to_string(row.k);
  // Baseline columns: "-" where the baseline did not run.
  auto column = [](const char *format, std::optional<double> value) {
    if (!value)
      return std::string("-");
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format(format, *value);
    return text;
  };
  std::optional<double> speedup;
  if (row.baselineUs)
    speedup = *row.baselineUs / row.us;
  std::optional<double> ofSameSizeCopy;
  if (row.sameSizeCopyUs)
    ofSameSizeCopy = 100 * *row.sameSizeCopyUs / row.us;
  llvm::outs() << llvm::format(
      "%-40s %9.1f %8.0f %5.0f%% %12s %9s %8s %7.1f %9.2g %9s %7s %6s\n", label.c_str(), row.us,
      gbs, 100 * gbs / copyGBs, row.baseline.c_str(), column("%.1f", row.baselineUs).c_str(),
      column("%.2f", speedup).c_str(), tflops, row.relL2, column("%.2g", row.baselineRelL2).c_str(),
      column("%.1f", row.sameSizeCopyUs).c_str(), column("%.0f%%", ofSameSizeCopy).c_str());
  // JSON has no inf or NaN: such a value (a wrong kernel's error, timed
  // with --time-wrong-results) is null, as a missing one.
  auto orNull = [](std::optional<double> value) -> llvm::json::Value {
    if (value && std::isfinite(*value))
      return *value;
    return nullptr;
  };
  json.push_back(llvm::json::Object{{"kernel", row.kernel},
                                    {"manifest", row.manifest},
                                    {"config", row.config},
                                    {"m", row.m},
                                    {"n", row.n},
                                    {"k", row.k},
                                    {"us", orNull(row.us)},
                                    {"gb_per_s", orNull(gbs)},
                                    {"fraction_of_copy", orNull(gbs / copyGBs)},
                                    {"tflops", orNull(tflops)},
                                    {"baseline", row.baseline},
                                    {"baseline_us", orNull(row.baselineUs)},
                                    {"speedup", orNull(speedup)},
                                    {"rel_l2", orNull(row.relL2)},
                                    {"baseline_rel_l2", orNull(row.baselineRelL2)},
                                    {"checked_rows", row.checkedRows},
                                    {"same_size_copy_us", orNull(row.sameSizeCopyUs)},
                                    {"chain_us", orNull(row.chainUs)},
                                    {"chain_programmatic_us", orNull(row.chainProgrammaticUs)}});
  if (row.chainUs && row.chainProgrammaticUs)
    llvm::outs() << llvm::format("  in chains of %d: %.1f us per call, %.1f us (%.0f%% of copy) "
                                 "launched programmatically\n",
                                 chain.getValue(), *row.chainUs, *row.chainProgrammaticUs,
                                 100 * row.bytes / (*row.chainProgrammaticUs * 1e3) / copyGBs);
}

/// The relative L2 distance of `got` from `want`.
double relativeL2(llvm::ArrayRef<int32_t> got, llvm::ArrayRef<int32_t> want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

/// A bit-plane product's kernel (input [P, M, K] and weight [Q, N, K]
/// planes, i32 result): checked exactly against bitplaneMatmulPacked on the
/// checked rows, then timed beside cuBLAS int8 on the same bipolar values.
/// Returns false when the kernel's output is wrong.
llvm::Expected<bool> benchBitplane(CudaDevice &device, CuBlas &blas, void *module,
                                   const KernelManifest &manifest, const std::string &path,
                                   double copyGBs, llvm::json::Array &json) {
  // Freed on return: one process times hundreds of kernels.
  ScopedBuffers buffers(device);
  const std::vector<KernelParam> &params = manifest.params;
  if (params.size() != 3 || params[0].shape.size() != 3 || params[1].shape.size() != 3)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": a bit-plane kernel takes [P, M, K] and "
                                          "[Q, N, K] planes and an [M, N] result");
  int64_t p = params[0].shape[0], m = params[0].shape[1], k = params[0].shape[2];
  int64_t q = params[1].shape[0], n = params[1].shape[1];
  std::mt19937 rng(1);
  NpyArray a = randomOperand(params[0], rng), w = randomOperand(params[1], rng);
  auto packedA = deviceBytes(params[0], a);
  if (!packedA)
    return packedA.takeError();
  auto packedW = deviceBytes(params[1], w);
  if (!packedW)
    return packedW.takeError();

  // Our kernel's operand sets, rotated past L2.
  size_t resultBytes = size_t(m) * n * 4;
  size_t setBytes = packedA->size() + packedW->size() + resultBytes;
  int sets = int((200u << 20) / setBytes + 1);
  auto aSets = upload(buffers, *packedA, sets);
  if (!aSets)
    return aSets.takeError();
  auto wSets = upload(buffers, *packedW, sets);
  if (!wSets)
    return wSets.takeError();
  std::vector<std::vector<DevicePtr>> args(sets);
  for (int s = 0; s < sets; ++s) {
    auto out = buffers.alloc(resultBytes);
    if (!out)
      return out.takeError();
    args[s] = {(*aSets)[s], (*wSets)[s], *out};
  }

  // The reference: the checked rows of every input plane against all of W.
  std::vector<int64_t> rows = checkedRows(m, n, k * p * q);
  int64_t rowBytes = quant::bitRowBytes(k);
  std::vector<uint8_t> pickedA;
  for (int64_t plane = 0; plane < p; ++plane)
    for (int64_t r : rows)
      pickedA.insert(pickedA.end(), packedA->begin() + (plane * m + r) * rowBytes,
                     packedA->begin() + (plane * m + r + 1) * rowBytes);
  std::vector<int32_t> reference =
      quant::bitplaneMatmulPacked(pickedA, *packedW, p, q, int64_t(rows.size()), n, k);
  auto checkRows = [&](DevicePtr out) -> llvm::Expected<double> {
    std::vector<int32_t> all(size_t(m) * n), got;
    if (llvm::Error e = device.copyToHost(all.data(), out, resultBytes))
      return std::move(e);
    for (int64_t r : rows)
      got.insert(got.end(), all.begin() + r * n, all.begin() + (r + 1) * n);
    return relativeL2(got, reference);
  };
  // (No tensor maps for today's bit-plane kernels, which stage with
  // cp.async.)
  auto maps = encodeSets(device, manifest, args);
  if (!maps)
    return maps.takeError();
  // Poisoned, unless the kernel accumulates into its result.
  if (llvm::Error e =
          device.fill(args[0].back(), resultBytes, manifest.zeroResult ? 0 : 0xff))
    return std::move(e);
  if (llvm::Error e = device.launch(module, manifest.name, manifest.launch, args[0], (*maps)[0]))
    return std::move(e);
  auto ours = checkRows(args[0].back());
  if (!ours)
    return ours.takeError();
  bool right = *ours == 0;
  if (!right) {
    llvm::errs() << "lowbit-bench: " << manifest.name
                 << " output is wrong: relative L2 error " << *ours << "\n";
    if (!timeWrongResults)
      return false;
  }

  BenchRow row{manifest.name, path, manifest.config, "cuBLAS int8", m, n, k,
               int64_t(rows.size()), 0, double(setBytes), *ours, {}, {}};
  auto ms = median(device, sets, [&](int s) {
    return device.enqueue(module, manifest.name, manifest.launch, args[s], /*stream=*/nullptr,
                          (*maps)[s]);
  });
  if (!ms)
    return ms.takeError();
  row.us = *ms * 1000;

  // The baseline: the bipolar values as int8 (|v| <= 2^7 - 1 up to seven
  // planes), multiplied by cuBLAS into s32. A product it cannot run (eight
  // planes, N or K not a multiple of 4) is a note and a row without it.
  auto note = [&](const llvm::Twine &why) {
    llvm::errs() << "lowbit-bench: note: " << manifest.name << ": no cuBLAS int8 baseline: "
                 << why << "\n";
  };
  auto values = [](const NpyArray &planes, int64_t count, int64_t size) {
    std::vector<uint8_t> v(size, 0);
    for (int64_t plane = 0; plane < count; ++plane)
      for (int64_t i = 0; i < size; ++i)
        v[i] = uint8_t(int(int8_t(v[i])) +
                       (planes.data[plane * size + i] ? 1 : -1) * (1 << plane));
    return v;
  };
  if (p > 7 || q > 7) {
    note("eight planes do not fit int8");
  } else {
    std::vector<uint8_t> bx = values(a, p, m * k), bw = values(w, q, n * k);
    int blasSets = int((200u << 20) / (bw.size() + bx.size()) + 1);
    auto operands = uploadBaseline(buffers, bx, bw, blasSets, resultBytes);
    if (!operands)
      return operands.takeError();
    auto runBaseline = [&](int s) {
      return blas.linearInt8(m, n, k, operands->x, operands->w[s], operands->y);
    };
    if (llvm::Error e = runBaseline(0)) {
      note(llvm::toString(std::move(e)));
    } else {
      if (llvm::Error e = device.synchronize())
        return std::move(e);
      auto theirs = checkRows(operands->y);
      if (!theirs)
        return theirs.takeError();
      row.baselineRelL2 = *theirs;
      auto blasMs = median(device, blasSets, runBaseline);
      if (!blasMs)
        return blasMs.takeError();
      row.baselineUs = *blasMs * 1000;
    }
  }
  report(row, copyGBs, json);
  return right;
}

/// A matmul kernel's benchmark: checked against a float64 product of the
/// same real values, then timed beside the vendor baseline (and, for
/// decode-sized calls, a device copy of its bytes and chains of calls).
/// Returns false when the kernel's output is wrong.
llvm::Expected<bool> benchMatmul(CudaDevice &device, CuBlas &blas, void *module,
                                 const KernelManifest &manifest, const std::string &path,
                                 double copyGBs, llvm::json::Array &json) {
  // Freed on return: one process times hundreds of kernels.
  ScopedBuffers buffers(device);
  bool right = true;
  const std::vector<KernelParam> &params = manifest.params;
  auto roleIndex = [&](llvm::StringRef role) -> int {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].role == role)
        return int(i);
    return -1;
  };
  int xIndex = roleIndex("input"), wIndex = roleIndex("weight"),
      sIndex = roleIndex("weight_scales"), xsIndex = roleIndex("input_scales");
  if (xIndex < 0 || wIndex < 0 || sIndex < 0)
    return error(path + ": a matmul kernel needs input, weight and weight_scales");
  const KernelParam &resultParam = manifest.result();
  if (params[xIndex].shape.size() != 2 || resultParam.shape.size() != 2 ||
      resultParam.shape[0] != params[xIndex].shape[0])
    return error(path + ": a matmul kernel takes an [M, K] input and an [M, N] result");
  if (resultParam.dtype != "f4" && resultParam.dtype != "f2" && resultParam.dtype != "V2")
    return error(path + ": a matmul kernel's result is f32, f16 or bf16, not '" +
                 resultParam.dtype + "'");
  int64_t m = params[xIndex].shape[0], k = params[xIndex].shape[1];
  int64_t n = resultParam.shape[1];

  // Codes drawn on all cores (seeded per parameter), reals and scales
  // from one stream: a 28672 x 8192 weight is 235 M codes.
  std::mt19937 rng(1);
  std::vector<NpyArray> logical;
  for (size_t i = 0; i + 1 < params.size(); ++i)
    logical.push_back(randomArgument(params[i], rng, i + 1));

  // Real activations are rounded to bf16 first, so that cuBLAS bf16 sees
  // the numbers the kernel sees; then the real values both multiply.
  bool quantizedInput = xsIndex >= 0;
  if (!quantizedInput) {
    NpyArray &a = logical[xIndex];
    auto values = realValues(a);
    if (!values)
      return values.takeError();
    for (size_t i = 0; i < values->size(); ++i) {
      float v = float(halfBits(toHalfBits((*values)[i], true), true));
      if (a.dtype == "f4") {
        memcpy(&a.data[i * 4], &v, 4);
      } else {
        uint16_t bits = toHalfBits(v, a.dtype == "V2");
        memcpy(&a.data[i * 2], &bits, 2);
      }
    }
  }
  auto real = realOperands(manifest, logical);
  if (!real)
    return real.takeError();
  const std::vector<float> &x = real->x;
  const std::vector<float> *weights = &real->w;
  auto scaleValues = realValues(logical[sIndex]);
  if (!scaleValues)
    return scaleValues.takeError();
  std::vector<float> scales = std::move(*scaleValues);

  // Operand sets for our kernel, rotated past L2.
  std::vector<std::vector<uint8_t>> bytes;
  size_t resultBytes = size_t(m) * n * NpyArray{resultParam.dtype, {}, {}}.elementSize();
  size_t setBytes = resultBytes;
  for (size_t i = 0; i < logical.size(); ++i) {
    auto b = deviceBytes(params[i], logical[i]);
    if (!b)
      return b.takeError();
    setBytes += b->size();
    bytes.push_back(std::move(*b));
  }
  int sets = int((200u << 20) / setBytes + 1);
  std::vector<std::vector<DevicePtr>> args(sets);
  for (const std::vector<uint8_t> &b : bytes) {
    auto ptrs = upload(buffers, b, sets);
    if (!ptrs)
      return ptrs.takeError();
    for (int s = 0; s < sets; ++s)
      args[s].push_back((*ptrs)[s]);
  }
  for (int s = 0; s < sets; ++s) {
    auto out = buffers.alloc(resultBytes);
    if (!out)
      return out.takeError();
    args[s].push_back(*out);
  }
  auto maps = encodeSets(device, manifest, args);
  if (!maps)
    return maps.takeError();

  // The vendor baseline: cuBLAS int8 on the same codes when both sides are
  // int8, cuBLASLt fp8 on the same codes when both are e4m3 (per-tensor or
  // per-channel weight scales, applied on the host like int8's), else
  // cuBLAS bf16 on the real (dequantized) values.
  // W4A8 with int8 or e4m3 activations is measured against int8 or FP8
  // W8A8 of the same shape: its signed 4-bit codes are exact int8 and
  // e4m3 values, so the vendor library runs the same product with 8-bit
  // weights.
  // (Codes with zero points are not the values cuBLAS would multiply.)
  bool plainInt4 = params[wIndex].code == "i4" && params[wIndex].isSigned &&
                   params[wIndex].granularity != "per_group" && roleIndex("weight_zero_points") < 0;
  bool int4Int8 = quantizedInput && params[xIndex].code == "i8" && plainInt4;
  bool int8Baseline =
      int4Int8 || (quantizedInput && params[xIndex].code == "i8" && params[wIndex].code == "i8");
  bool int4Fp8 = quantizedInput && params[xIndex].code == "f8E4M3FN" && plainInt4;
  bool fp8Baseline =
      int4Fp8 || (quantizedInput && params[xIndex].code == "f8E4M3FN" &&
                  params[wIndex].code == "f8E4M3FN" && params[wIndex].granularity != "per_group");
  bool codeBaseline = int8Baseline || fp8Baseline;
  std::string baseline = int4Int8       ? "cuBLAS int8 W8A8"
                         : int8Baseline ? "cuBLAS int8"
                         : int4Fp8      ? "cuBLASLt fp8 W8A8"
                         : fp8Baseline  ? "cuBLASLt fp8"
                                        : "cuBLAS bf16";
  std::vector<uint8_t> bx = codeBaseline ? logical[xIndex].data : bf16Bytes(x);
  std::vector<uint8_t> bw = codeBaseline ? logical[wIndex].data : bf16Bytes(*weights);
  if (int4Int8 || int4Fp8) {
    // Each 4-bit code as the int8 or e4m3 code of its value (exact).
    quant::CodeType s4 = quant::CodeType::integer(4, /*isSigned=*/true);
    quant::CodeType wide = int4Fp8 ? quant::CodeType::floating(quant::FloatFormat::E4M3FN)
                                   : quant::CodeType::integer(8, /*isSigned=*/true);
    uint8_t asWide[16];
    for (unsigned c = 0; c < 16; ++c)
      asWide[c] = wide.encode(s4.decode(uint8_t(c)));
    for (uint8_t &code : bw)
      code = asWide[code & 15];
  }
  size_t baselineOut = size_t(m) * n * (int8Baseline ? 4 : 2);
  int blasSets = int((200u << 20) / (bw.size() + bx.size()) + 1);
  auto operands = uploadBaseline(buffers, bx, bw, blasSets, baselineOut);
  if (!operands)
    return operands.takeError();
  auto runBaseline = [&](int s) {
    if (int8Baseline)
      return blas.linearInt8(m, n, k, operands->x, operands->w[s], operands->y);
    if (fp8Baseline)
      return blas.linearFp8(m, n, k, operands->x, operands->w[s], operands->y);
    return blas.linearBf16(m, n, k, operands->x, operands->w[s], operands->y);
  };
  // Only the cuBLASLt fp8 and the W4A8 int8 baselines may fail without
  // stopping the run (cuBLAS int8 takes some shapes only): the note says
  // why, and the row is printed without it.
  bool baselineOk = true;
  auto baselineFailed = [&](llvm::Error e) -> llvm::Error {
    if (!fp8Baseline && !int4Int8)
      return e;
    llvm::errs() << "lowbit-bench: note: " << manifest.name << ": no " << baseline
                 << " baseline: " << llvm::toString(std::move(e)) << "\n";
    baselineOk = false;
    return llvm::Error::success();
  };

  // Check both against a float64 product of the same values.
  std::vector<int64_t> rows = checkedRows(m, n, k);
  std::vector<double> reference = referenceRows(*real, rows);
  // Set `s`'s result (the launches done) against the reference.
  auto compareSet = [&](int s) -> llvm::Expected<Comparison> {
    NpyArray ours{manifest.result().dtype, manifest.result().shape,
                  std::vector<uint8_t>(resultBytes)};
    if (llvm::Error e = device.copyToHost(ours.data.data(), args[s].back(), resultBytes))
      return std::move(e);
    auto oursValues = numericValues(pickRows(ours, rows, n));
    if (!oursValues)
      return oursValues.takeError();
    return compareValues(*oursValues, reference, 0, 0);
  };
  // Poisoned (NaN bytes), so that an element the kernel never writes
  // fails the check; a result that accumulates starts from zero.
  if (llvm::Error e = device.fill(args[0].back(), resultBytes, manifest.zeroResult ? 0 : 0xff))
    return std::move(e);
  if (llvm::Error e = device.launch(module, manifest.name, manifest.launch, args[0], (*maps)[0]))
    return std::move(e);
  auto checked = compareSet(0);
  if (!checked)
    return checked.takeError();
  Comparison oursErr = *checked;
  if (llvm::Error e = runBaseline(0))
    if (llvm::Error fatal = baselineFailed(std::move(e)))
      return std::move(fatal);
  std::optional<Comparison> theirErr;
  if (baselineOk) {
    if (llvm::Error e = device.synchronize())
      return std::move(e);
    NpyArray theirs{int8Baseline ? "i4" : "V2", {m, n}, std::vector<uint8_t>(baselineOut)};
    if (llvm::Error e = device.copyToHost(theirs.data.data(), operands->y, baselineOut))
      return std::move(e);
    auto theirValues = numericValues(pickRows(theirs, rows, n));
    if (!theirValues)
      return theirValues.takeError();
    if (codeBaseline) {
      // Unscaled products of codes (s32 for int8, bf16 for fp8): apply the
      // kernel's scales on the host.
      auto xs = realValues(logical[xsIndex]);
      if (!xs)
        return xs.takeError();
      bool perToken = params[xsIndex].shape[0] == m;
      bool perChannel = params[sIndex].shape[0] == n;
      for (size_t i = 0; i < rows.size(); ++i)
        for (int64_t c = 0; c < n; ++c)
          (*theirValues)[i * n + c] *=
              double((*xs)[perToken ? rows[i] : 0]) * scales[perChannel ? c : 0];
    }
    theirErr = compareValues(*theirValues, reference, 0, 0);
  }
  if (oursErr.relativeL2 > 1e-2) {
    llvm::errs() << "lowbit-bench: " << manifest.name
                 << " output is wrong: " << oursErr.summary(0, 0) << "\n";
    right = false;
    if (!timeWrongResults)
      return false;
  }

  // Time both, each on its rotated buffers. A kernel that accumulates
  // into its result (split-K atomics) is timed with the clearing that
  // each of its calls needs, as the JIT tuner times it.
  auto ours_ms = median(device, sets, [&](int s) {
    if (manifest.zeroResult)
      if (llvm::Error e = device.fill(args[s].back(), resultBytes, 0))
        return e;
    return device.enqueue(module, manifest.name, manifest.launch, args[s],
                          /*stream=*/nullptr, (*maps)[s]);
  });
  if (!ours_ms)
    return ours_ms.takeError();
  std::optional<double> blasUs;
  if (baselineOk) {
    auto blas_ms = median(device, blasSets, runBaseline);
    if (blas_ms)
      blasUs = *blas_ms * 1000;
    else if (llvm::Error fatal = baselineFailed(blas_ms.takeError()))
      return std::move(fatal);
  }
  std::optional<double> theirL2;
  if (theirErr)
    theirL2 = theirErr->relativeL2;
  std::optional<double> sameSizeCopyUs;
  if (m <= kGemvTokens) {
    auto copyUs = deviceCopyUs(device, setBytes);
    if (!copyUs)
      return copyUs.takeError();
    sameSizeCopyUs = *copyUs;
  }
  BenchRow row{manifest.name,
               path,
               manifest.config,
               baseline,
               m,
               n,
               k,
               int64_t(rows.size()),
               *ours_ms * 1000,
               double(setBytes),
               oursErr.relativeL2,
               blasUs,
               theirL2,
               sameSizeCopyUs};
  // Chains of decode calls, as consecutive layers of a serving loop: each
  // call on the next buffer set, launched as usual and programmatically.
  // Kernels whose result accumulates (K splits) need a clearing between
  // calls, which a chain of layers would not have.
  if (chain > 0 && m <= kGemvTokens && manifest.launch.dependentLaunch && !manifest.zeroResult) {
    // Sets repeat past the last: together they are larger than L2.
    int length = chain, chainSets = std::min<int>(chain, sets);
    for (bool programmatic : {false, true}) {
      device.setProgrammaticLaunches(programmatic);
      auto chain_ms = median(device, sets, [&](int s) -> llvm::Error {
        for (int i = 0; i < length; ++i) {
          int set = (s * length + i) % sets;
          if (llvm::Error e = device.enqueue(module, manifest.name, manifest.launch, args[set],
                                             /*stream=*/nullptr, (*maps)[set]))
            return e;
        }
        return llvm::Error::success();
      });
      if (!chain_ms)
        return chain_ms.takeError();
      (programmatic ? row.chainProgrammaticUs : row.chainUs) = *chain_ms * 1000 / length;
    }
    // A programmatic chain's results, each set's result poisoned first.
    for (int i = 0; i < chainSets; ++i)
      if (llvm::Error e = device.fill(args[i].back(), resultBytes, 0xff))
        return std::move(e);
    for (int i = 0; i < chainSets; ++i)
      if (llvm::Error e = device.enqueue(module, manifest.name, manifest.launch, args[i],
                                         /*stream=*/nullptr, (*maps)[i]))
        return std::move(e);
    device.setProgrammaticLaunches(false);
    if (llvm::Error e = device.synchronize())
      return std::move(e);
    for (int i = 0; i < chainSets; ++i) {
      auto chained = compareSet(i);
      if (!chained)
        return chained.takeError();
      if (chained->relativeL2 > std::max(1e-2, 2 * oursErr.relativeL2)) {
        llvm::errs() << "lowbit-bench: " << manifest.name << " call " << i
                     << " of a programmatic chain is wrong: " << chained->summary(0, 0) << "\n";
        right = false;
      }
    }
  }
  report(row, copyGBs, json);
  return right;
}

/// One manifest's kernel, loaded for its benchmark and unloaded after.
llvm::Expected<bool> benchManifest(CudaDevice &device, CuBlas &blas, const std::string &path,
                                   double copyGBs, llvm::json::Array &json) {
  auto manifest = KernelManifest::load(path);
  if (!manifest)
    return manifest.takeError();
  auto ptx = llvm::MemoryBuffer::getFile(manifest->imagePath);
  if (!ptx)
    return error(manifest->imagePath + ": cannot read");
  auto module = device.loadModule((*ptx)->getBuffer().str());
  if (!module)
    return module.takeError();
  ScopedModule loaded(device, *module);
  if (manifest->params.front().layout == "bits")
    return benchBitplane(device, blas, *module, *manifest, path, copyGBs, json);
  return benchMatmul(device, blas, *module, *manifest, path, copyGBs, json);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit benchmark against cuBLAS\n");
  if (runs < 1)
    return fail("--runs must be at least 1, not " + llvm::Twine(runs.getValue()));
  // Bounded so that a run's buffer-set index (runs x chain) stays an int.
  if (chain < 0 || chain > 1024)
    return fail("--chain must be 0 (no chains) to 1024 calls, not " +
                llvm::Twine(chain.getValue()));
  if (int64_t(runs) * std::max(chain.getValue(), 1) > (int64_t(1) << 30))
    return fail("--runs x --chain must be at most 2^30 calls");
  if (deviceOrdinal < 0)
    return fail("--device must be a device ordinal (0 or more), not " +
                llvm::Twine(deviceOrdinal.getValue()));
  auto device = CudaDevice::open(deviceOrdinal);
  if (!device)
    return fail(llvm::toString(device.takeError()));
  auto blas = CuBlas::open(device->get());
  if (!blas)
    return fail(llvm::toString(blas.takeError()));
  std::string card = (*device)->name();

  if (timing == Timing::Queued) {
    auto module = (*device)->loadModule(kHoldQueuePtx);
    if (!module)
      return fail("queued timing: " + llvm::toString(module.takeError()) +
                  " (--timing=single runs without it)");
    holdQueueModule = *module;
  }
  // The copy bandwidth of this card, measured here (timed as the calls
  // are): 1 GiB copied device to device, 2 GiB moved (bytes read plus
  // written).
  size_t copyBytes = size_t(2) << 30;
  auto copyUs = deviceCopyUs(**device, copyBytes);
  if (!copyUs)
    return fail("the copy-bandwidth measurement: " + llvm::toString(copyUs.takeError()));
  double copyGBs = copyBytes / (*copyUs * 1e3);
  llvm::outs() << "card: " << card << "; cuBLAS: " << (*blas)->library()
               << "; device-to-device copy: " << llvm::format("%.0f", copyGBs)
               << " GB/s; timing: " << timingName() << "\n";
  llvm::outs() << llvm::format("%-40s %9s %8s %6s %12s %9s %8s %7s %9s %9s %7s %6s\n", "kernel",
                               "us", "GB/s", "%copy", "baseline", "base us", "x base", "TFLOP/s",
                               "relL2", "base L2", "copy us", "%cp=");
  llvm::json::Array rows_json;
  int status = 0;
  // A hard failure (a manifest that cannot be read, a CUDA error) stops the
  // run, said at once; the kernels timed before it are still written to
  // --json, beside the error and the manifest it stopped at.
  std::string hardError, failedManifest;
  for (const std::string &path : manifests) {
    auto correct = benchManifest(**device, **blas, path, copyGBs, rows_json);
    if (!correct) {
      hardError = llvm::toString(correct.takeError());
      failedManifest = path;
      fail(path + ": " + hardError);
      break;
    }
    if (!*correct)
      status = 1;
  }
  if (!jsonFile.empty()) {
    llvm::json::Object root{
        {"card", card},
        {"copy_gb_per_s", std::isfinite(copyGBs) ? llvm::json::Value(copyGBs) : nullptr},
        {"runs", int64_t(runs)},
        {"timing", timingName()},
        {"results", std::move(rows_json)}};
    if (!(*blas)->ltLibrary().empty())
      root["cublaslt"] = (*blas)->ltLibrary();
    if (!hardError.empty()) {
      root["error"] = hardError;
      root["failed_manifest"] = failedManifest;
    }
    if (llvm::Error e = writeFileAtomically(jsonFile, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
        }))
      return fail(llvm::toString(std::move(e)));
  }
  return hardError.empty() ? status : 1;
}
