//===- HostReference.cpp - what a matmul kernel should compute -------------===//
#include "lowbit/Runtime/HostReference.h"

#include "lowbit/Support/Npy.h"

#include <algorithm>
#include <thread>

using namespace mlir::lowbit;
using namespace mlir::lowbit::runtime;

static llvm::Error referenceError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<quant::CodeType> mlir::lowbit::runtime::codeTypeOf(const KernelParam &p) {
  if (p.code.empty())
    return quant::CodeType::integer(unsigned(p.bits ? p.bits : 8), p.isSigned);
  std::string name = p.code;
  if (!p.isSigned && name[0] == 'i')
    name[0] = 'u';
  if (std::optional<quant::CodeType> code = quant::CodeType::parse(name))
    return *code;
  return referenceError("unknown code type '" + p.code + "'");
}

static llvm::Expected<std::vector<float>> floats(const NpyArray &a) {
  auto values = numericValues(a);
  if (!values)
    return values.takeError();
  return std::vector<float>(values->begin(), values->end());
}

llvm::Expected<RealOperands>
mlir::lowbit::runtime::realOperands(const KernelManifest &manifest,
                                    llvm::ArrayRef<NpyArray> logical) {
  const std::vector<KernelParam> &params = manifest.params;
  auto index = [&](llvm::StringRef role) -> int {
    for (size_t i = 0; i + 1 < params.size(); ++i)
      if (params[i].role == role)
        return int(i);
    return -1;
  };
  int xi = index("input"), wi = index("weight"), si = index("weight_scales"),
      zi = index("weight_zero_points"), xsi = index("input_scales");
  if (xi < 0 || wi < 0 || si < 0 || logical.size() + 1 != params.size())
    return referenceError("a matmul kernel needs input, weight and weight_scales");
  // The product's shapes, as the reference indexes them: x [M, K], w [N, K]
  // (the logical codes), the result [M, N], per-token or per-tensor input
  // scales.
  const std::vector<int64_t> &xShape = params[xi].shape, &wShape = params[wi].shape,
                             &yShape = manifest.result().shape;
  if (xShape.size() != 2 || wShape.size() != 2 || yShape.size() != 2 || wShape[1] != xShape[1] ||
      yShape[0] != xShape[0] || yShape[1] != wShape[0])
    return referenceError("a matmul kernel takes x [M, K], weights [N, K] and a result [M, N]");
  if (xsi >= 0) {
    int64_t count = 1;
    for (int64_t d : params[xsi].shape)
      count *= d;
    if (count != xShape[0] && count != 1)
      return referenceError("input scales are per token (M = " + std::to_string(xShape[0]) +
                            ") or per tensor (1), not " + std::to_string(count));
  }
  RealOperands real;
  real.m = xShape[0];
  real.k = xShape[1];
  real.n = yShape[1];
  if (xsi >= 0) {
    auto code = codeTypeOf(params[xi]);
    if (!code)
      return code.takeError();
    auto xs = floats(logical[xsi]);
    if (!xs)
      return xs.takeError();
    bool perToken = xs->size() > 1;
    real.x.resize(real.m * real.k);
    for (int64_t r = 0; r < real.m; ++r)
      for (int64_t c = 0; c < real.k; ++c)
        real.x[r * real.k + c] = float(code->decode(logical[xi].data[r * real.k + c]) *
                                       (*xs)[perToken ? r : 0]);
  } else {
    auto x = floats(logical[xi]);
    if (!x)
      return x.takeError();
    real.x = std::move(*x);
  }
  auto code = codeTypeOf(params[wi]);
  if (!code)
    return code.takeError();
  const KernelParam &w = params[wi];
  quant::Scheme scheme(*code);
  scheme.codebook = w.codebook;
  if (zi >= 0)
    scheme.zeroPoint = quant::ZeroPoint::Integer;
  // MX blocks are groups along K with e8m0 scales (decoded above).
  if (w.granularity == "per_group" || w.granularity == "mx_block") {
    scheme.granularity = quant::Granularity::PerGroup;
    scheme.groupSize = w.groupSize;
  } else if (w.granularity == "per_channel") {
    scheme.granularity = quant::Granularity::PerChannel;
  }
  scheme.axis = w.axis;
  auto scales = floats(logical[si]);
  if (!scales)
    return scales.takeError();
  if (!params[si].code.empty()) {
    // 8-bit float scales arrive as their bytes.
    auto scaleCode = codeTypeOf(params[si]);
    if (!scaleCode)
      return scaleCode.takeError();
    for (size_t i = 0; i < scales->size(); ++i)
      (*scales)[i] = float(scaleCode->decode(logical[si].data[i]));
  }
  std::vector<float> zeros;
  if (zi >= 0)
    for (uint8_t z : logical[zi].data)
      zeros.push_back(float(scheme.code.decode(z)));
  auto weights = quant::dequantize(w.shape, logical[wi].data, scheme, {*scales, zeros, {}});
  if (!weights)
    return weights.takeError();
  real.w = std::move(*weights);
  return real;
}

std::vector<int64_t> mlir::lowbit::runtime::checkedRows(int64_t m, int64_t n, int64_t k) {
  std::vector<int64_t> rows;
  if (double(m) * n * k <= double(1u << 31)) {
    for (int64_t r = 0; r < m; ++r)
      rows.push_back(r);
    return rows;
  }
  for (int64_t i = 0; i < 16; ++i)
    rows.push_back(i * (m - 1) / 15);
  return rows;
}

std::vector<double> mlir::lowbit::runtime::referenceRows(const RealOperands &real,
                                                         llvm::ArrayRef<int64_t> rows) {
  // Output columns split over threads: the large layers' checks take
  // seconds on one core.
  std::vector<double> out(rows.size() * real.n);
  unsigned threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int64_t c = t; c < real.n; c += threads)
        for (size_t i = 0; i < rows.size(); ++i) {
          const float *x = &real.x[rows[i] * real.k], *w = &real.w[c * real.k];
          double acc = 0;
          for (int64_t j = 0; j < real.k; ++j)
            acc += double(x[j]) * w[j];
          out[i * real.n + c] = acc;
        }
    });
  for (std::thread &w : workers)
    w.join();
  return out;
}

NpyArray mlir::lowbit::runtime::pickRows(const NpyArray &array,
                                         llvm::ArrayRef<int64_t> rows, int64_t n) {
  size_t rowBytes = size_t(n) * array.elementSize();
  NpyArray picked{array.dtype, {int64_t(rows.size()), n}, {}};
  picked.data.reserve(rows.size() * rowBytes);
  for (int64_t r : rows)
    picked.data.insert(picked.data.end(), array.data.begin() + r * rowBytes,
                       array.data.begin() + (r + 1) * rowBytes);
  return picked;
}
