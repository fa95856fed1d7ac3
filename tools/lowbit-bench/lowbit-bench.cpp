//===- lowbit-bench.cpp - lowbit kernels against cuBLAS, one process ------===//
//
//   lowbit-bench MANIFEST.json ... [--runs=200] [--json=OUT.json]
//
// For each compiled matmul kernel: draws operands (seed 1), checks the
// kernel's output and cuBLAS's bf16 product of the same (dequantized) weights
// against a float64 CPU product, then times both in this process (median of
// single-launch event timings, operands rotated over copies larger than the
// L2 cache together) and reports time, GB/s, TFLOP/s, the fraction of the
// device-to-device copy bandwidth measured here, and the ratio to cuBLAS.
//
//===----------------------------------------------------------------------===//
#include "lowbit/Quant/Quantize.h"
#include "lowbit/Runtime/CuBlas.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Runtime/KernelManifest.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::lowbit;
using namespace mlir::lowbit::runtime;
namespace cl = llvm::cl;

static cl::list<std::string> manifests(cl::Positional, cl::desc("<manifest.json>..."),
                                       cl::OneOrMore);
static cl::opt<int> runs("runs", cl::desc("Timed launches per kernel"), cl::init(200));
static cl::opt<std::string> jsonFile("json", cl::desc("Write results as JSON"),
                                     cl::init(""));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-bench: " << message << "\n";
  return 1;
}

namespace {

double halfBits(uint16_t bits, bool bf16) {
  return llvm::APFloat(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                       llvm::APInt(16, bits))
      .convertToDouble();
}

uint16_t toHalfBits(double v, bool bf16) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

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
    uint32_t bits;
    memcpy(&bits, &values[i], 4);
    uint16_t half = uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    memcpy(&bytes[i * 2], &half, 2);
  }
  return bytes;
}

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
    auto ms = device.timeRegion([&] { return call(r % sets); });
    if (!ms)
      return ms.takeError();
    times.push_back(*ms);
  }
  std::sort(times.begin(), times.end());
  return double(times[times.size() / 2]);
}

/// Uploads `bytes` into `copies` fresh buffers.
llvm::Expected<std::vector<DevicePtr>> upload(CudaDevice &device,
                                              const std::vector<uint8_t> &bytes,
                                              int copies) {
  std::vector<DevicePtr> ptrs;
  for (int c = 0; c < copies; ++c) {
    auto ptr = device.alloc(bytes.size());
    if (!ptr)
      return ptr.takeError();
    if (llvm::Error e = device.copyToDevice(*ptr, bytes.data(), bytes.size()))
      return std::move(e);
    ptrs.push_back(*ptr);
  }
  return ptrs;
}

quant::Scheme schemeOf(const KernelParam &w, bool zeroPoints) {
  quant::Scheme scheme(quant::CodeType::integer(unsigned(w.bits), w.isSigned));
  if (zeroPoints)
    scheme.zeroPoint = quant::ZeroPoint::Integer;
  if (w.granularity == "per_group") {
    scheme.granularity = quant::Granularity::PerGroup;
    scheme.groupSize = w.groupSize;
  } else if (w.granularity == "per_channel") {
    scheme.granularity = quant::Granularity::PerChannel;
  }
  scheme.axis = w.axis;
  return scheme;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "lowbit benchmark against cuBLAS\n");
  auto device = CudaDevice::open();
  if (!device)
    return fail(llvm::toString(device.takeError()));
  auto blas = CuBlas::open();
  if (!blas)
    return fail(llvm::toString(blas.takeError()));
  std::string card = (*device)->name();

  // The copy bandwidth of this card, measured here: 1 GiB device to device,
  // bytes read plus written.
  size_t copyBytes = size_t(1) << 30;
  auto src = (*device)->alloc(copyBytes), dst = (*device)->alloc(copyBytes);
  if (!src || !dst)
    return fail("cannot allocate the copy-bandwidth buffers");
  auto copyMs = median(**device, 1, [&](int) {
    return (*device)->copyOnDevice(*dst, *src, copyBytes);
  });
  if (!copyMs)
    return fail(llvm::toString(copyMs.takeError()));
  double copyGBs = 2.0 * copyBytes / (*copyMs * 1e6);
  (*device)->free(*src);
  (*device)->free(*dst);
  llvm::outs() << "card: " << card << "; cuBLAS: " << (*blas)->library()
               << "; device-to-device copy: " << llvm::format("%.0f", copyGBs)
               << " GB/s\n";
  llvm::outs() << llvm::format("%-36s %9s %8s %6s %9s %8s %7s %9s %9s\n", "kernel",
                               "us", "GB/s", "%copy", "cuBLAS us", "x cuBLAS",
                               "TFLOP/s", "relL2", "cuBLAS L2");
  llvm::json::Array rows;
  int status = 0;
  for (const std::string &path : manifests) {
    auto manifest = KernelManifest::load(path);
    if (!manifest)
      return fail(llvm::toString(manifest.takeError()));
    const std::vector<KernelParam> &params = manifest->params;
    int64_t m = params[0].shape[0], k = params[0].shape[1];
    int64_t n = manifest->result().shape[1];
    auto ptx = llvm::MemoryBuffer::getFile(manifest->ptxPath);
    if (!ptx)
      return fail(manifest->ptxPath + ": cannot read");
    auto module = (*device)->loadModule((*ptx)->getBuffer().str());
    if (!module)
      return fail(llvm::toString(module.takeError()));

    // Operands; activations rounded to bf16 so that both sides see the same.
    std::mt19937 rng(1);
    std::vector<NpyArray> logical;
    for (size_t i = 0; i + 1 < params.size(); ++i)
      logical.push_back(randomOperand(params[i], rng));
    auto xValues = realValues(logical[0]);
    if (!xValues)
      return fail(llvm::toString(xValues.takeError()));
    std::vector<float> x = std::move(*xValues);
    for (float &v : x)
      v = float(halfBits(toHalfBits(v, true), true));
    for (size_t i = 0; i < x.size(); ++i) {
      if (logical[0].dtype == "f4")
        memcpy(&logical[0].data[i * 4], &x[i], 4);
      else {
        uint16_t bits = toHalfBits(x[i], logical[0].dtype == "V2");
        memcpy(&logical[0].data[i * 2], &bits, 2);
      }
    }
    bool zeroPoints = params.size() == 5;
    auto scaleValues = realValues(logical[2]);
    if (!scaleValues)
      return fail(llvm::toString(scaleValues.takeError()));
    std::vector<float> scales = std::move(*scaleValues), zeros;
    quant::Scheme scheme = schemeOf(params[1], zeroPoints);
    if (zeroPoints)
      for (uint8_t z : logical[3].data)
        zeros.push_back(float(scheme.code.decode(z)));
    auto weights = quant::dequantize(params[1].shape, logical[1].data, scheme,
                                     {scales, zeros, {}});
    if (!weights)
      return fail(llvm::toString(weights.takeError()));

    // Operand sets for our kernel, rotated past L2.
    std::vector<std::vector<uint8_t>> bytes;
    size_t setBytes = manifest->result().shape[0] * n *
                      (manifest->result().dtype == "f4" ? 4 : 2);
    for (size_t i = 0; i < logical.size(); ++i) {
      auto b = deviceBytes(params[i], logical[i]);
      if (!b)
        return fail(llvm::toString(b.takeError()));
      setBytes += b->size();
      bytes.push_back(std::move(*b));
    }
    int sets = int((200u << 20) / setBytes + 1);
    std::vector<std::vector<DevicePtr>> args(sets);
    for (const std::vector<uint8_t> &b : bytes) {
      auto ptrs = upload(**device, b, sets);
      if (!ptrs)
        return fail(llvm::toString(ptrs.takeError()));
      for (int s = 0; s < sets; ++s)
        args[s].push_back((*ptrs)[s]);
    }
    size_t resultBytes = setBytes - [&] {
      size_t in = 0;
      for (auto &b : bytes)
        in += b.size();
      return in;
    }();
    for (int s = 0; s < sets; ++s) {
      auto out = (*device)->alloc(resultBytes);
      if (!out)
        return fail(llvm::toString(out.takeError()));
      args[s].push_back(*out);
    }

    // cuBLAS operands: bf16 activations and dequantized weights.
    std::vector<uint8_t> xBf16 = bf16Bytes(x), wBf16 = bf16Bytes(*weights);
    int blasSets = int((200u << 20) / (wBf16.size() + xBf16.size()) + 1);
    auto bx = upload(**device, xBf16, 1);
    auto bw = upload(**device, wBf16, blasSets);
    auto by = (*device)->alloc(m * n * 2);
    if (!bx || !bw || !by)
      return fail("cannot allocate the cuBLAS operands");

    // Check both against a float64 product of the same values.
    std::vector<double> reference(m * n, 0.0);
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double acc = 0;
        for (int64_t i = 0; i < k; ++i)
          acc += double(x[r * k + i]) * (*weights)[c * k + i];
        reference[r * n + c] = acc;
      }
    if (llvm::Error e = (*device)->fill(args[0].back(), resultBytes, 0))
      return fail(llvm::toString(std::move(e)));
    if (llvm::Error e = (*device)->launch(*module, manifest->name, manifest->grid,
                                          manifest->block, 0, args[0]))
      return fail(llvm::toString(std::move(e)));
    NpyArray ours{manifest->result().dtype, manifest->result().shape,
                  std::vector<uint8_t>(resultBytes)};
    if (llvm::Error e = (*device)->copyToHost(ours.data.data(), args[0].back(), resultBytes))
      return fail(llvm::toString(std::move(e)));
    if (llvm::Error e = (*blas)->linearBf16(m, n, k, (*bx)[0], (*bw)[0], *by))
      return fail(llvm::toString(std::move(e)));
    if (llvm::Error e = (*device)->synchronize())
      return fail(llvm::toString(std::move(e)));
    NpyArray theirs{"V2", {m, n}, std::vector<uint8_t>(m * n * 2)};
    if (llvm::Error e = (*device)->copyToHost(theirs.data.data(), *by, m * n * 2))
      return fail(llvm::toString(std::move(e)));
    auto oursValues = numericValues(ours);
    if (!oursValues)
      return fail(llvm::toString(oursValues.takeError()));
    auto theirValues = numericValues(theirs);
    if (!theirValues)
      return fail(llvm::toString(theirValues.takeError()));
    Comparison oursErr = compareValues(*oursValues, reference, 0, 0);
    Comparison theirErr = compareValues(*theirValues, reference, 0, 0);
    if (oursErr.relativeL2 > 1e-3) {
      llvm::errs() << "lowbit-bench: " << manifest->name << " output is wrong: "
                   << oursErr.summary(0, 0) << "\n";
      status = 1;
      continue;
    }

    // Time both, each on its rotated buffers. The split-K result is not
    // re-zeroed between timed launches: values are not read afterwards.
    auto ours_ms = median(**device, sets, [&](int s) {
      return (*device)->enqueue(*module, manifest->name, manifest->grid,
                                manifest->block, 0, args[s]);
    });
    if (!ours_ms)
      return fail(llvm::toString(ours_ms.takeError()));
    auto blas_ms = median(**device, blasSets, [&](int s) {
      return (*blas)->linearBf16(m, n, k, (*bx)[0], (*bw)[s], *by);
    });
    if (!blas_ms)
      return fail(llvm::toString(blas_ms.takeError()));
    double us = *ours_ms * 1000, blasUs = *blas_ms * 1000;
    double gbs = setBytes / (us * 1e3);
    double tflops = 2.0 * m * n * k / (us * 1e6);
    std::string label = manifest->name + " " + std::to_string(m) + "x" +
                        std::to_string(n) + "x" + std::to_string(k);
    llvm::outs() << llvm::format("%-36s %9.1f %8.0f %5.0f%% %9.1f %8.2f %7.2f %9.2g %9.2g\n",
                                 label.c_str(), us, gbs, 100 * gbs / copyGBs,
                                 blasUs, blasUs / us, tflops, oursErr.relativeL2,
                                 theirErr.relativeL2);
    rows.push_back(llvm::json::Object{
        {"kernel", manifest->name}, {"m", m}, {"n", n}, {"k", k},
        {"us", us}, {"gb_per_s", gbs}, {"fraction_of_copy", gbs / copyGBs},
        {"tflops", tflops}, {"cublas_bf16_us", blasUs}, {"speedup", blasUs / us},
        {"rel_l2", oursErr.relativeL2}, {"cublas_rel_l2", theirErr.relativeL2}});
  }
  if (!jsonFile.empty()) {
    llvm::json::Object root{{"card", card}, {"copy_gb_per_s", copyGBs},
                            {"runs", int64_t(runs)}, {"results", std::move(rows)}};
    if (llvm::Error e = writeFileAtomically(jsonFile, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
        }))
      return fail(llvm::toString(std::move(e)));
  }
  return status;
}
