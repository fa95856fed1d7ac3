//===- KernelManifest.cpp - lowbit-compile manifests ----------------------===//
#include "lowbit/Runtime/KernelManifest.h"

#include "lowbit/Quant/BitPlanes.h"
#include "lowbit/Quant/CodeType.h"
#include "lowbit/Quant/Layouts.h"
#include "lowbit/Runtime/CudaDriver.h"
#include "lowbit/Support/ArrayBytes.h"
#include "lowbit/Support/Json.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

using namespace mlir::lowbit;
using namespace mlir::lowbit::runtime;

static llvm::Error manifestError(const std::string &path, const std::string &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), path + ": " + what);
}

/// An interleave layout's order into `param`, checked as packing checks it
/// (a permutation filling one, two or four 32-bit words, rows of whole
/// groups).
static llvm::Error readInterleaveOrder(const llvm::json::Object &p, KernelParam &param,
                                       const std::string &path, const std::string &where) {
  const llvm::json::Array *order = p.getArray("order");
  if (!order)
    return manifestError(path, where + ": an interleave layout needs an order list");
  for (const llvm::json::Value &v : *order) {
    std::optional<int64_t> position = v.getAsInteger();
    if (!position)
      return manifestError(path, where + ": an interleave position is not an integer");
    param.order.push_back(*position);
  }
  if (param.shape.size() != 2)
    return manifestError(path, where + ": an interleave layout needs a [rows, cols] shape");
  quant::Layout layout{quant::LayoutKind::Interleave, {}, param.order, {}, {}};
  if (auto e = quant::packCodes(layout, {0, param.shape[1], unsigned(param.bits)}, {})
                   .takeError())
    return manifestError(path, where + ": " + llvm::toString(std::move(e)));
  return llvm::Error::success();
}

/// Whether `layout` stores codes packed below a byte each (as deviceBytes
/// packs them when the codes are narrower than 8 bits).
static bool isPackedLayout(llvm::StringRef layout) {
  return layout == "packed" || layout == "interleave" || layout == "sign_magnitude";
}

/// The most bytes a parameter may take (1 TiB: more than any GPU holds).
/// Launchers allocate and pack operands from the manifest's shapes: a
/// crafted one must not make them allocate without bound.
static constexpr uint64_t kMaxParamBytes = uint64_t(1) << 40;

/// Reads `p`'s shape, dtype and bits into `param`, checked as launchers
/// size and pack buffers from them: non-negative integer dimensions, a
/// dtype of known size, at most kMaxParamBytes, codes of 1 to 8 bits, and
/// [rows, cols] codes where they are packed.
static llvm::Error readParamShape(const llvm::json::Object &p, KernelParam &param,
                                  const std::string &path, const std::string &where) {
  const llvm::json::Array *shape = p.getArray("shape");
  if (!shape)
    return manifestError(path, where + " lacks a shape list");
  for (const llvm::json::Value &d : *shape) {
    std::optional<int64_t> dim = d.getAsInteger();
    if (!dim || *dim < 0)
      return manifestError(path, where + ": shape dimensions must be integers of 0 or more");
    param.shape.push_back(*dim);
  }
  param.dtype = p.getString("dtype").value_or("").str();
  size_t elementSize = NpyArray{param.dtype, {}, {}}.elementSize();
  if (elementSize == 0 ||
      llvm::StringRef("uifVb").find(param.dtype.front()) == llvm::StringRef::npos)
    return manifestError(path, where + ": unknown dtype '" + param.dtype + "'");
  std::optional<uint64_t> bytes = arrayBytes(param.shape, elementSize);
  if (!bytes || *bytes > kMaxParamBytes)
    return manifestError(path, where + ": its shape takes more than 2^40 bytes");
  if (const llvm::json::Value *bits = p.get("bits")) {
    std::optional<int64_t> value = bits->getAsInteger();
    if (!value || *value < 1 || *value > 8)
      return manifestError(path, where + ": bits must be an integer from 1 to 8");
    param.bits = *value;
  }
  param.layout = p.getString("layout").value_or("").str();
  if (isPackedLayout(param.layout) && param.bits < 8 && param.shape.size() != 2)
    return manifestError(path, where + ": a " + param.layout +
                                   " layout needs a [rows, cols] shape and codes of 1 to 8 "
                                   "bits");
  if (param.layout == "sign_magnitude" && param.bits != 4)
    return manifestError(path, where + ": a sign_magnitude layout holds 4-bit codes");
  return llvm::Error::success();
}

/// The bytes a parameter takes on the device (as deviceBytes packs it).
static uint64_t paramDeviceBytes(const KernelParam &param) {
  if (param.layout == "bits") {
    int64_t k = param.shape.empty() ? 0 : param.shape.back();
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < param.shape.size(); ++i)
      rows *= param.shape[i];
    return uint64_t(rows) * uint64_t(quant::bitRowBytes(k));
  }
  if (isPackedLayout(param.layout) && param.bits && param.bits < 8)
    return (uint64_t(param.shape[0]) * uint64_t(param.shape[1]) * uint64_t(param.bits) + 7) / 8;
  return *arrayBytes(param.shape, NpyArray{param.dtype, {}, {}}.elementSize());
}

static std::vector<int64_t> shapeOf(const llvm::json::Array *array) {
  std::vector<int64_t> shape;
  if (array)
    for (const llvm::json::Value &d : *array)
      shape.push_back(d.getAsInteger().value_or(-1));
  return shape;
}

llvm::Expected<LaunchShape>
mlir::lowbit::runtime::parseLaunchShape(const llvm::json::Object &kernel, const std::string &path,
                                        const std::string &kernelName) {
  std::string where = "kernel " + kernelName;
  LaunchShape shape;
  std::vector<int64_t> grid = shapeOf(kernel.getArray("grid"));
  std::vector<int64_t> block = shapeOf(kernel.getArray("block"));
  if (grid.size() != 3 || block.size() != 3)
    return manifestError(path, where + " lacks grid or block");
  // Up to 2^31 - 1, so that the driver's unsigned sizes see them as they are
  // (it checks the device's own limits).
  auto outOfRange = [](int64_t d) { return d < 1 || d > INT32_MAX; };
  if (llvm::any_of(grid, outOfRange) || llvm::any_of(block, outOfRange))
    return manifestError(path, where + ": grid and block sizes must be integers from 1 to "
                                       "2^31 - 1");
  std::copy(grid.begin(), grid.end(), shape.grid);
  std::copy(block.begin(), block.end(), shape.block);
  shape.sharedBytes = kernel.getInteger("shared_memory").value_or(0);
  if (shape.sharedBytes < 0)
    return manifestError(path, where + " has a negative shared_memory");
  shape.registerPool = kernel.getInteger("register_pool").value_or(0);
  if (shape.registerPool < 0)
    return manifestError(path, where + " has a negative register_pool");
  if (const llvm::json::Value *dependent = kernel.get("dependent_launch")) {
    if (!dependent->getAsBoolean())
      return manifestError(path, where + ": dependent_launch must be true or false");
    shape.dependentLaunch = *dependent->getAsBoolean();
  }
  return shape;
}

llvm::Expected<std::vector<TensorMapSpec>>
mlir::lowbit::runtime::parseTensorMaps(const llvm::json::Object &kernel, size_t numParams,
                                       const std::string &path,
                                       const std::string &kernelName) {
  std::vector<TensorMapSpec> maps;
  const llvm::json::Value *value = kernel.get("tensor_maps");
  if (!value)
    return maps;
  const llvm::json::Array *list = value->getAsArray();
  if (!list)
    return manifestError(path, "kernel " + kernelName + ": tensor_maps is not a list");
  for (size_t i = 0; i < list->size(); ++i) {
    std::string where = "kernel " + kernelName + ": tensor map " + std::to_string(i);
    const llvm::json::Object *t = (*list)[i].getAsObject();
    if (!t)
      return manifestError(path, where + " is not an object");
    // What the encoder and the swizzled copies the kernels use accept; a
    // manifest breaking them would fail at the first launch, or read out of
    // bounds, so it is rejected here by name.
    int64_t fields[5];
    const char *names[5] = {"param", "rows", "row_bytes", "box_rows", "box_bytes"};
    for (int f = 0; f < 5; ++f) {
      std::optional<int64_t> v = t->getInteger(names[f]);
      if (!v)
        return manifestError(path, where + " lacks an integer " + names[f]);
      fields[f] = *v;
    }
    TensorMapSpec map{fields[0], fields[1], fields[2], fields[3], fields[4]};
    auto bad = [&](const std::string &why) { return manifestError(path, where + ": " + why); };
    // Operands are read through their maps, the result (the last
    // parameter) may be written through one (wgmma's staged epilogue).
    if (map.param < 0 || map.param >= int64_t(numParams))
      return bad("param " + std::to_string(map.param) + " is not a parameter (0 to " +
                 std::to_string(int64_t(numParams) - 1) + ")");
    for (int f = 1; f < 5; ++f)
      if (fields[f] <= 0)
        return bad(std::string(names[f]) + " " + std::to_string(fields[f]) +
                   " is not positive");
    if (map.rows > (int64_t(1) << 32) || map.rowBytes > (int64_t(1) << 32))
      return bad("a dimension exceeds 2^32");
    if (map.rowBytes % 16)
      return bad("row_bytes " + std::to_string(map.rowBytes) +
                 " is not a multiple of 16");
    // A map read with the wrong swizzle computes garbage: a swizzle that
    // is there must be one of the two the kernels use.
    if (const llvm::json::Value *swizzle = t->get("swizzle")) {
      std::optional<int64_t> bytes = swizzle->getAsInteger();
      if (!bytes || (*bytes != 128 && *bytes != 64))
        return bad("swizzle is not 128 or 64");
      map.swizzle = *bytes;
    }
    if (map.boxBytes > map.swizzle || map.boxBytes % 16)
      return bad("box_bytes " + std::to_string(map.boxBytes) +
                 " is not a multiple of 16 up to the " + std::to_string(map.swizzle) +
                 "-byte swizzle");
    if (map.boxRows > 256)
      return bad("box_rows " + std::to_string(map.boxRows) + " exceeds 256");
    maps.push_back(map);
  }
  return maps;
}

llvm::Expected<KernelManifest> KernelManifest::load(const std::string &path,
                                                    const std::string &kernelName) {
  auto text = llvm::MemoryBuffer::getFile(path);
  if (!text)
    return manifestError(path, "cannot read: " + text.getError().message());
  llvm::Expected<llvm::json::Value> json = parseJson((*text)->getBuffer());
  if (!json)
    return manifestError(path, llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return manifestError(path, "not a lowbit-compile manifest");
  return fromJson(*root, path, kernelName);
}

llvm::Expected<KernelManifest> KernelManifest::fromJson(const llvm::json::Object &object,
                                                        const std::string &path,
                                                        const std::string &kernelName) {
  const llvm::json::Object *root = &object;
  const llvm::json::Array *kernels = root->getArray("kernels");
  // The kernel image (PTX or cubin); manifests before cubins said "ptx".
  std::optional<llvm::StringRef> image = root->getString("image");
  if (!image)
    image = root->getString("ptx");
  if (!image)
    image = llvm::StringRef(); // in-memory manifests hold no image path
  if (!kernels)
    return manifestError(path, "not a lowbit-compile manifest");
  // The one kernel, or the one named: a manifest of several must name it
  // (lowbit-gpu-run --kernel), rather than run its first.
  const llvm::json::Object *kernel = nullptr;
  for (const llvm::json::Value &k : *kernels) {
    const llvm::json::Object *object = k.getAsObject();
    if (!object || (!kernelName.empty() && object->getString("name") != kernelName))
      continue;
    if (kernel)
      return manifestError(path, kernelName.empty() ? "several kernels; name the one to run"
                                                    : "several kernels named '" + kernelName + "'");
    kernel = object;
  }
  if (!kernel)
    return manifestError(path, "no kernel '" + kernelName + "'");
  KernelManifest m;
  m.name = kernel->getString("name").value_or("").str();
  m.target = root->getString("target").value_or("").str();
  m.config = kernel->getString("config").value_or("").str();
  auto launch = parseLaunchShape(*kernel, path, m.name);
  if (!launch)
    return launch.takeError();
  m.launch = *launch;
  m.zeroResult = kernel->getBoolean("zero_result").value_or(false);
  if (const llvm::json::Array *list = kernel->getArray("params"))
    for (const llvm::json::Value &v : *list) {
      const llvm::json::Object *p = v.getAsObject();
      if (!p)
        return manifestError(path, "malformed parameter");
      KernelParam param;
      param.role = p->getString("role").value_or("").str();
      std::string where = "kernel " + m.name + ", parameter " + param.role;
      if (llvm::Error e = readParamShape(*p, param, path, where))
        return std::move(e);
      param.code = p->getString("code").value_or("").str();
      param.funcArg = p->getInteger("arg").value_or(-1);
      param.isSigned = p->getBoolean("signed").value_or(true);
      param.granularity = p->getString("granularity").value_or("").str();
      param.axis = p->getInteger("axis").value_or(-1);
      param.groupSize = p->getInteger("group_size").value_or(0);
      if (!param.code.empty() && !quant::CodeType::parse(param.code))
        return manifestError(path, where + ": unknown code type '" + param.code + "'");
      if (param.layout == "interleave")
        if (llvm::Error e = readInterleaveOrder(*p, param, path, where))
          return std::move(e);
      if (const llvm::json::Value *codebook = p->get("codebook")) {
        const llvm::json::Array *values = codebook->getAsArray();
        if (!values)
          return manifestError(path, where + ": codebook is not a list");
        for (const llvm::json::Value &v : *values) {
          std::optional<double> value = v.getAsNumber();
          if (!value)
            return manifestError(path, where + ": a codebook value is not a number");
          param.codebook.push_back(*value);
        }
        if (param.bits < 1 || param.bits > 8 ||
            param.codebook.size() != (size_t(1) << param.bits))
          return manifestError(path, where + ": a codebook of " +
                                         std::to_string(param.codebook.size()) +
                                         " values for " + std::to_string(param.bits) +
                                         "-bit codes");
      }
      m.params.push_back(std::move(param));
    }
  if (m.params.empty() || m.params.back().role != "result")
    return manifestError(path, "kernel " + m.name + " has no result parameter");
  auto maps = parseTensorMaps(*kernel, m.params.size(), path, m.name);
  if (!maps)
    return maps.takeError();
  // The TMA unit reads and writes what a map spans, whatever the buffer:
  // a map past its parameter's bytes would touch other memory.
  for (size_t i = 0; i < maps->size(); ++i) {
    const TensorMapSpec &map = (*maps)[i];
    uint64_t bytes = paramDeviceBytes(m.params[map.param]);
    if (uint64_t(map.rows) > bytes / uint64_t(map.rowBytes))
      return manifestError(path, "kernel " + m.name + ": tensor map " + std::to_string(i) +
                                     " spans " + std::to_string(map.rows) + " rows of " +
                                     std::to_string(map.rowBytes) + " bytes, past the " +
                                     std::to_string(bytes) + " bytes of parameter " +
                                     m.params[map.param].role);
  }
  m.tensorMaps = std::move(*maps);
  // A relative image path is relative to the manifest's folder (not to
  // where the reader runs, which could hold another file of that name); a
  // path that names no file falls back to the image's name next to the
  // manifest (a bundle copied to another machine).
  llvm::SmallString<256> imagePath(*image);
  if (!image->empty() && llvm::sys::path::is_relative(imagePath)) {
    imagePath = llvm::sys::path::parent_path(path);
    llvm::sys::path::append(imagePath, *image);
  }
  if (!image->empty() && !llvm::sys::fs::exists(imagePath)) {
    imagePath = llvm::sys::path::parent_path(path);
    llvm::sys::path::append(imagePath, llvm::sys::path::filename(*image));
  }
  m.imagePath = imagePath.str().str();
  return m;
}

llvm::Expected<std::vector<uint8_t>>
mlir::lowbit::runtime::deviceBytes(const KernelParam &param, const NpyArray &array) {
  if (param.layout == "bits") {
    // Bit planes: rows of K bits, K the last dimension.
    if (param.shape.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the kernel's " + param.role +
                                         " has no shape for its bit rows");
    int64_t k = param.shape.back();
    return quant::packBitRows(array.data, k ? array.numElements() / k : 0, k);
  }
  if (!isPackedLayout(param.layout) || param.bits == 8)
    return array.data;
  quant::Layout layout;
  if (param.layout == "interleave")
    layout = {quant::LayoutKind::Interleave, {}, param.order, {}, {}};
  if (param.layout == "sign_magnitude")
    layout.kind = quant::LayoutKind::SignMagnitude;
  quant::CodeMatrix matrix{param.shape[0], param.shape[1], unsigned(param.bits)};
  return quant::packCodes(layout, matrix, array.data);
}

NpyArray mlir::lowbit::runtime::randomOperand(const KernelParam &p, std::mt19937 &rng) {
  NpyArray array{p.dtype, p.shape, {}};
  std::uniform_real_distribution<float> real(-1.0f, 1.0f), scale(0.5f, 1.5f);
  bool isScale = p.role == "weight_scales" || p.role == "input_scales";
  // Float codes are drawn among their finite values (e4m3's NaNs, e5m2's
  // infinities and NaNs are never operands).
  std::optional<quant::CodeType> floatCode;
  if (!isScale && !p.code.empty())
    if (auto code = quant::CodeType::parse(p.code); code && code->kind() == quant::CodeKind::Float)
      floatCode = code;
  int64_t n = array.numElements();
  // 8-bit float scales (MX e8m0, e4m3) are drawn as the codes of values in
  // [0.5, 1.5) (e8m0: 0.5 or 1), never NaN or extreme powers of two.
  std::optional<quant::CodeType> scaleCode;
  if (isScale && !p.code.empty())
    scaleCode = quant::CodeType::parse(p.code);
  // What each element is, decided once: activations have up to hundreds of
  // millions of elements, drawn from one stream in order.
  enum class Form { ScaleCode, F32, Bf16, F16, Code };
  Form form = scaleCode         ? Form::ScaleCode
              : p.dtype == "f4" ? Form::F32
              : p.dtype == "V2" ? Form::Bf16
              : p.dtype == "f2" ? Form::F16
                                : Form::Code;
  // Codes fill the low byte of their element (wider code dtypes, which only
  // a hand-written manifest names, get zeros above it rather than a buffer
  // too short for their size).
  size_t elementBytes = form == Form::F32                         ? 4
                        : form == Form::Bf16 || form == Form::F16 ? 2
                        : form == Form::Code ? std::max<size_t>(array.elementSize(), 1)
                                             : 1;
  array.data.assign(size_t(n) * elementBytes, 0);
  uint8_t *out = array.data.data();
  unsigned bits = p.bits ? unsigned(p.bits) : 8;
  bool signMagnitude = p.layout == "sign_magnitude";
  for (int64_t i = 0; i < n; ++i, out += elementBytes) {
    if (form == Form::ScaleCode) {
      *out = scaleCode->encode(scale(rng));
      continue;
    }
    // Drawn for codes too (and unused): the stream stays the one every
    // recorded result was measured on.
    float v = isScale ? scale(rng) / 64 : real(rng);
    if (form == Form::Code) {
      uint8_t code = uint8_t(rng() & ((1u << bits) - 1));
      while (floatCode && !floatCode->isFinite(code))
        code = uint8_t(rng() & ((1u << bits) - 1));
      // The sign_magnitude layout holds 4-bit codes -7..7: -8 becomes -7
      // (as randomCodes).
      if (signMagnitude && code == 8)
        code = 9;
      *out = code;
    } else if (form == Form::F32) {
      memcpy(out, &v, 4);
    } else {
      // bf16 is rounded to nearest even on the bits (v is finite), as
      // APFloat would, without its cost on operands of a hundred million
      // elements; f16 through APFloat.
      uint16_t half = form == Form::Bf16 ? floatToBf16(v) : doubleToHalf(v);
      out[0] = uint8_t(half & 0xff);
      out[1] = uint8_t(half >> 8);
    }
  }
  return array;
}

llvm::Expected<std::vector<TensorMap>>
mlir::lowbit::runtime::encodeTensorMaps(CudaDevice &device,
                                        llvm::ArrayRef<TensorMapSpec> specs,
                                        llvm::ArrayRef<DevicePtr> args) {
  std::vector<TensorMap> maps;
  maps.reserve(specs.size());
  for (const TensorMapSpec &spec : specs) {
    if (spec.param < 0 || size_t(spec.param) >= args.size())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "tensor map of parameter " +
                                         std::to_string(spec.param) + " but " +
                                         std::to_string(args.size()) + " pointers");
    auto map = device.encodeTensorMap(args[spec.param], uint64_t(spec.rows),
                                      uint64_t(spec.rowBytes), uint32_t(spec.boxRows),
                                      uint32_t(spec.boxBytes), uint32_t(spec.swizzle));
    if (!map)
      return map.takeError();
    maps.push_back(*map);
  }
  return maps;
}

llvm::Expected<std::vector<TensorMap>>
mlir::lowbit::runtime::encodeTensorMaps(CudaDevice &device, const KernelManifest &manifest,
                                        llvm::ArrayRef<DevicePtr> args) {
  return encodeTensorMaps(device, manifest.tensorMaps, args);
}

llvm::Expected<NpyArray>
mlir::lowbit::runtime::runKernel(CudaDevice &device, void *module, const KernelManifest &manifest,
                                 llvm::ArrayRef<std::vector<uint8_t>> operands, unsigned launches) {
  std::vector<DevicePtr> args;
  llvm::scope_exit release([&] {
    for (DevicePtr ptr : args)
      device.free(ptr);
  });
  for (const std::vector<uint8_t> &bytes : operands) {
    auto ptr = device.alloc(bytes.size());
    if (!ptr)
      return ptr.takeError();
    args.push_back(*ptr);
    if (llvm::Error e = device.copyToDevice(*ptr, bytes.data(), bytes.size()))
      return std::move(e);
  }
  NpyArray result{manifest.result().dtype, manifest.result().shape, {}};
  result.data.resize(result.numElements() * result.elementSize());
  auto out = device.alloc(result.data.size());
  if (!out)
    return out.takeError();
  args.push_back(*out);
  auto maps = encodeTensorMaps(device, manifest, args);
  if (!maps)
    return maps.takeError();
  for (unsigned launch = 0; launch < std::max(launches, 1u); ++launch) {
    if (llvm::Error e = device.fill(*out, result.data.size(), manifest.zeroResult ? 0 : 0xff))
      return std::move(e);
    if (llvm::Error e = device.launch(module, manifest.name, manifest.launch, args, *maps))
      return std::move(e);
  }
  if (llvm::Error e = device.copyToHost(result.data.data(), *out, result.data.size()))
    return std::move(e);
  return result;
}

NpyArray mlir::lowbit::runtime::randomCodes(const KernelParam &param, uint64_t seed) {
  NpyArray array{param.dtype, param.shape, {}};
  size_t count = size_t(array.numElements());
  array.data.resize(count);
  uint8_t mask = uint8_t((1u << (param.bits ? param.bits : 8)) - 1);
  // Non-finite float codes (e4m3's NaNs, e5m2's infinities and NaNs) become
  // the largest finite code below them.
  uint8_t finite[256];
  for (unsigned raw = 0; raw < 256; ++raw)
    finite[raw] = uint8_t(raw);
  if (auto code = quant::CodeType::parse(param.code);
      code && code->kind() == quant::CodeKind::Float)
    for (unsigned raw = 0; raw <= mask; ++raw)
      for (unsigned below = raw; !code->isFinite(uint8_t(finite[raw])) && below-- > 0;)
        finite[raw] = uint8_t(below);
  // The sign_magnitude layout holds 4-bit codes -7..7: -8 becomes -7.
  if (param.layout == "sign_magnitude")
    finite[8] = 9;
  constexpr size_t kChunk = size_t(1) << 20;
  size_t chunks = (count + kChunk - 1) / kChunk;
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  unsigned threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (size_t c = next++; c < chunks; c = next++) {
        uint64_t state = seed * 0x9E3779B97F4A7C15ull + c;
        for (size_t i = c * kChunk; i < std::min(count, (c + 1) * kChunk); i += 8) {
          uint64_t z = (state += 0x9E3779B97F4A7C15ull);
          z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
          z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
          z ^= z >> 31;
          for (size_t j = 0; j < 8 && i + j < count; ++j) {
            array.data[i + j] = finite[uint8_t(z >> (8 * j)) & mask];
          }
        }
      }
    });
  for (std::thread &w : workers)
    w.join();
  return array;
}

NpyArray mlir::lowbit::runtime::randomArgument(const KernelParam &param, std::mt19937 &rng,
                                               uint64_t seed) {
  bool codes = param.dtype == "u1" && param.bits > 0;
  return codes ? randomCodes(param, seed) : randomOperand(param, rng);
}
