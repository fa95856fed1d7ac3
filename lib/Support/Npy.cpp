//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
#include "lowbit/Support/Npy.h"

#include "lowbit/Support/ArrayBytes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Format.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <cstring>

using namespace mlir::lowbit;

static llvm::Error fileError(const std::string &path, const std::string &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

size_t NpyArray::elementSize() const {
  size_t size = 0;
  for (size_t i = 1; i < dtype.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(dtype[i])))
      return 0;
    size = size * 10 + size_t(dtype[i] - '0');
    if (size > 64)
      return 0;
  }
  return size;
}

int64_t NpyArray::numElements() const {
  if (llvm::is_contained(shape, 0)) // before a product of others could overflow
    return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
/// A tiny parser for the header dict NumPy writes, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
struct HeaderParser {
  llvm::StringRef text;

  void skipSpace() { text = text.ltrim(); }
  bool consume(llvm::StringRef token) {
    skipSpace();
    return text.consume_front(token);
  }
  std::optional<std::string> string() {
    skipSpace();
    if (text.empty() || (text[0] != '\'' && text[0] != '"'))
      return std::nullopt;
    char quote = text[0];
    size_t end = text.find(quote, 1);
    if (end == llvm::StringRef::npos)
      return std::nullopt;
    std::string value = text.substr(1, end - 1).str();
    text = text.drop_front(end + 1);
    return value;
  }
  std::optional<std::vector<int64_t>> tuple() {
    if (!consume("("))
      return std::nullopt;
    std::vector<int64_t> values;
    while (!consume(")")) {
      skipSpace();
      size_t digits = 0;
      while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
      int64_t value;
      if (digits == 0 || digits > 15 ||
          text.substr(0, digits).getAsInteger(10, value))
        return std::nullopt;
      values.push_back(value);
      text = text.drop_front(digits);
      if (!consume(",") && !text.ltrim().starts_with(")"))
        return std::nullopt;
    }
    return values;
  }
};
} // namespace

llvm::Expected<NpyArray> mlir::lowbit::readNpy(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fileError(path, "not a .npy file (bad magic)");
  unsigned major = uint8_t(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fileError(path, "truncated header");
    headerLength = 0;
    for (int i = 0; i < 4; ++i)
      headerLength |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    return fileError(path, "unsupported .npy version " + std::to_string(major));
  }
  if (headerStart + headerLength > bytes.size())
    return fileError(path, "truncated header");

  HeaderParser parser{bytes.substr(headerStart, headerLength)};
  NpyArray array;
  std::optional<std::string> descr;
  std::optional<bool> fortran;
  std::optional<std::vector<int64_t>> shape;
  if (!parser.consume("{"))
    return fileError(path, "malformed header");
  while (!parser.consume("}")) {
    std::optional<std::string> key = parser.string();
    if (!key || !parser.consume(":"))
      return fileError(path, "malformed header");
    if (*key == "descr") {
      descr = parser.string();
    } else if (*key == "fortran_order") {
      fortran = parser.consume("True") ? std::optional<bool>(true)
                : parser.consume("False") ? std::optional<bool>(false)
                                          : std::nullopt;
    } else if (*key == "shape") {
      shape = parser.tuple();
    } else {
      return fileError(path, "unexpected header key '" + *key + "'");
    }
    if ((*key == "descr" && !descr) || (*key == "shape" && !shape) ||
        (*key == "fortran_order" && !fortran))
      return fileError(path, "malformed value of '" + *key + "'");
    parser.consume(",");
  }
  if (!descr || !fortran || !shape)
    return fileError(path, "header lacks descr, fortran_order or shape");
  if (*fortran)
    return fileError(path, "Fortran-order arrays are not supported");
  if (descr->size() < 2 || (descr->front() != '<' && descr->front() != '|'))
    return fileError(path, "unsupported dtype '" + *descr +
                              "' (need little-endian or byte-sized)");
  array.dtype = descr->substr(1);
  array.shape = *shape;
  size_t elementSize = array.elementSize();
  if (elementSize == 0)
    return fileError(path, "unsupported dtype '" + *descr + "'");
  std::optional<uint64_t> expected = arrayBytes(array.shape, elementSize);
  if (!expected)
    return fileError(path, "shape has a negative dimension or more bytes than 64 bits count");
  llvm::StringRef data = bytes.drop_front(headerStart + headerLength);
  if (data.size() != *expected)
    return fileError(path, "holds " + std::to_string(data.size()) +
                               " data bytes, shape and dtype need " + std::to_string(*expected));
  array.data.assign(data.begin(), data.end());
  return array;
}

llvm::Error mlir::lowbit::writeNpy(const std::string &path, const NpyArray &array) {
  // NumPy spells shapes as Python tuples: (), (n,), (a, b).
  std::string shape;
  for (size_t i = 0; i < array.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(array.shape[i]);
  shape = "(" + shape + (array.shape.size() == 1 ? ",)" : ")");
  char order = array.elementSize() == 1 ? '|' : '<';
  std::string header = "{'descr': '" + std::string(1, order) + array.dtype +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  return writeFileAtomically(path, [&](llvm::raw_ostream &os) {
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
       << char(header.size() >> 8) << header;
    os.write(reinterpret_cast<const char *>(array.data.data()),
             array.data.size());
  });
}

/// Runs `write` on `os` and closes it; false where a write failed.
static bool writeAndClose(llvm::raw_fd_ostream &os,
                          llvm::function_ref<void(llvm::raw_ostream &)> write) {
  write(os);
  os.close();
  if (!os.has_error())
    return true;
  os.clear_error();
  return false;
}

llvm::Error mlir::lowbit::writeFileAtomically(
    const std::string &path,
    llvm::function_ref<void(llvm::raw_ostream &)> write) {
  // A symbolic link is followed: its target is what gets replaced.
  llvm::SmallString<128> resolved;
  if (llvm::sys::fs::is_symlink_file(path) && !llvm::sys::fs::real_path(path, resolved))
    return writeFileAtomically(resolved.str().str(), write);
  // Something that is not a regular file (/dev/null, a pipe) is written as
  // it is: renaming over it would replace a device node with a file.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) && llvm::sys::fs::exists(status) &&
      !llvm::sys::fs::is_regular_file(status)) {
    if (llvm::sys::fs::is_directory(status))
      return fileError(path, "cannot write: is a folder");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return fileError(path, "cannot write: " + ec.message());
    if (!writeAndClose(os, write))
      return fileError(path, "write failed");
    return llvm::Error::success();
  }
  llvm::SmallString<128> temp;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return fileError(path, "cannot write: " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (!writeAndClose(os, write)) {
      llvm::sys::fs::remove(temp);
      return fileError(path, "write failed");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return fileError(path, "cannot write: " + ec.message());
  }
  return llvm::Error::success();
}

mlir::lowbit::Comparison mlir::lowbit::compareValues(llvm::ArrayRef<double> got,
                                                     llvm::ArrayRef<double> expected,
                                                     double rtol, double atol) {
  Comparison c;
  c.count = int64_t(got.size());
  double diffNorm = 0, refNorm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double a = got[i], b = expected[i];
    // A NaN matches only a NaN and an infinity only the same infinity: a
    // tolerance around a non-finite expected value (NaN or inf) would match
    // anything.
    bool finite = std::isfinite(a) && std::isfinite(b);
    double err = finite                                       ? std::fabs(a - b)
                 : a == b || (std::isnan(a) && std::isnan(b)) ? 0.0
                                                              : INFINITY;
    c.maxAbs = std::max(c.maxAbs, err);
    if (finite && b != 0)
      c.maxRel = std::max(c.maxRel, err / std::fabs(b));
    else if (!finite && err != 0)
      c.maxRel = INFINITY;
    if (!(err <= atol + rtol * (finite ? std::fabs(b) : 0.0)))
      ++c.outside;
    diffNorm += err * err;
    if (std::isfinite(b))
      refNorm += b * b;
  }
  c.relativeL2 = refNorm > 0 ? std::sqrt(diffNorm / refNorm) : std::sqrt(diffNorm);
  return c;
}

llvm::Error mlir::lowbit::checkTolerances(double rtol, double atol, double maxRelativeL2) {
  for (auto [name, value] : {std::pair<const char *, double>{"rtol", rtol}, {"atol", atol}})
    if (!std::isfinite(value) || value < 0)
      return llvm::createStringError(std::string("--") + name +
                                     " must be a finite number >= 0, not " + std::to_string(value));
  if (!std::isfinite(maxRelativeL2))
    return llvm::createStringError("--max-rel-l2 must be a finite number (negative: off), not " +
                                   std::to_string(maxRelativeL2));
  return llvm::Error::success();
}

std::string mlir::lowbit::Comparison::summary(double rtol, double atol) const {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format(
      "%lld elements, max abs error %.3g, max rel error %.3g, relative L2 "
      "error %.3g, %lld outside atol=%g rtol=%g",
      (long long)count, maxAbs, maxRel, relativeL2, (long long)outside, atol,
      rtol);
  return text;
}

double mlir::lowbit::halfToDouble(uint16_t bits) {
  double sign = bits & 0x8000 ? -1.0 : 1.0;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  if (exponent == 0x1f)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (exponent == 0) // zero and subnormals: mantissa * 2^-24
    return sign * std::ldexp(double(mantissa), -24);
  return sign * std::ldexp(double(mantissa | 0x400), exponent - 25);
}

double mlir::lowbit::bf16ToDouble(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float value;
  memcpy(&value, &wide, 4);
  return value;
}

uint16_t mlir::lowbit::floatToBf16(float value) {
  uint32_t bits;
  memcpy(&bits, &value, 4);
  return uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static uint16_t roundTo(const llvm::fltSemantics &semantics, double value) {
  llvm::APFloat f(value);
  bool lost;
  f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

uint16_t mlir::lowbit::doubleToHalf(double value) {
  return roundTo(llvm::APFloat::IEEEhalf(), value);
}

uint16_t mlir::lowbit::doubleToBf16(double value) {
  return roundTo(llvm::APFloat::BFloat(), value);
}

/// The `T` whose bytes start at `p` (unaligned).
template <typename T> static T loadAs(const uint8_t *p) {
  T v;
  memcpy(&v, p, sizeof(T));
  return v;
}

llvm::Expected<std::vector<double>>
mlir::lowbit::numericValues(const NpyArray &array) {
  // The element type is looked up once, not per element: benchmark operands
  // and outputs have hundreds of millions of elements, and comparing the
  // dtype string for each took seconds of a benchmark's setup.
  const std::string &t = array.dtype;
  auto decodeAll = [&](auto decode) {
    std::vector<double> values(array.numElements());
    const uint8_t *p = array.data.data();
    size_t size = array.elementSize();
    for (size_t i = 0; i < values.size(); ++i, p += size)
      values[i] = decode(p);
    return values;
  };
  if (t == "f4")
    return decodeAll([](const uint8_t *p) { return double(loadAs<float>(p)); });
  if (t == "f8")
    return decodeAll([](const uint8_t *p) { return loadAs<double>(p); });
  // 'V2' is how bf16 travels (as ml_dtypes saves it); both decoded on the bits.
  if (t == "f2")
    return decodeAll([](const uint8_t *p) { return halfToDouble(loadAs<uint16_t>(p)); });
  if (t == "V2")
    return decodeAll([](const uint8_t *p) { return bf16ToDouble(loadAs<uint16_t>(p)); });
  if (t == "i1")
    return decodeAll([](const uint8_t *p) { return double(int8_t(*p)); });
  if (t == "u1" || t == "b1")
    return decodeAll([](const uint8_t *p) { return double(*p); });
  if (t == "i4")
    return decodeAll([](const uint8_t *p) { return double(loadAs<int32_t>(p)); });
  if (t == "i8")
    return decodeAll([](const uint8_t *p) { return double(loadAs<int64_t>(p)); });
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot read values of dtype '" + t + "'");
}
