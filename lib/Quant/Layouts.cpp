//===- Layouts.cpp - the bytes of every #lowbit.layout --------------------===//
#include "lowbit/Quant/Layouts.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <string>

using namespace mlir::lowbit::quant;
using llvm::ArrayRef;
using llvm::Expected;

namespace {

llvm::Error error(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Little-endian bit stream writer and reader of fields of at most 8 bits
/// (codes, single bits, mixed_4_8's width bytes), a byte or two per field:
/// weights of hundreds of millions of codes go through them.
struct BitWriter {
  std::vector<uint8_t> &out;
  uint64_t bit = 0;
  void put(uint32_t value, unsigned width) {
    uint32_t field = (value & ((1u << width) - 1)) << (bit % 8);
    size_t first = bit / 8;
    bit += width;
    if (out.size() < (bit + 7) / 8)
      out.resize((bit + 7) / 8, 0);
    out[first] |= uint8_t(field);
    if (field >> 8)
      out[first + 1] |= uint8_t(field >> 8);
  }
  /// Pads to a multiple of `bytes` bytes.
  void align(unsigned bytes) {
    while (out.size() % bytes)
      out.push_back(0);
    bit = out.size() * 8;
  }
};

struct BitReader {
  ArrayRef<uint8_t> in;
  uint64_t bit = 0;
  bool ok = true;
  uint32_t get(unsigned width) {
    if ((bit + width + 7) / 8 > in.size()) {
      ok = false;
      return 0;
    }
    size_t first = bit / 8;
    uint32_t bytes = in[first];
    if (first + 1 < in.size())
      bytes |= uint32_t(in[first + 1]) << 8;
    uint32_t value = (bytes >> (bit % 8)) & ((1u << width) - 1);
    bit += width;
    return value;
  }
  void align(unsigned bytes) {
    uint64_t unit = bytes * 8;
    bit = (bit + unit - 1) / unit * unit;
  }
};

/// Calls `fn` with the logical index (row-major) of each code in a layout's
/// stream order, for the layouts that are a permutation of a dense stream
/// (no index list: a weight may have hundreds of millions of codes).
template <typename Fn>
void forEachInStreamOrder(const Layout &layout, const CodeMatrix &m, Fn fn) {
  if (layout.kind == LayoutKind::MMAFragment) {
    int64_t tr = layout.tile[0], tc = layout.tile[1];
    // PTX's A fragment of mma.sync m16nNkK: K steps of k columns, each lane
    // holding k / 2 codes of a step, e to a 32-bit register.
    int64_t k = layout.mma[2], e = k / 8, chunkCols = 256 / m.bits;
    for (int64_t r0 = 0; r0 < m.rows; r0 += tr)
      for (int64_t c0 = 0; c0 < m.cols; c0 += tc)
        for (int64_t band = r0; band < r0 + tr; band += 16)
          for (int64_t chunk = c0; chunk < c0 + tc; chunk += chunkCols)
            for (int64_t lane = 0; lane < 32; ++lane) {
              int64_t g = lane / 4, t = lane % 4;
              for (int64_t step = chunk; step < chunk + chunkCols; step += k)
                for (int64_t i = 0; i < k / 2; ++i) {
                  int64_t row = band + g + 8 * ((i / e) % 2);
                  int64_t col = step + e * t + i % e + (k / 2) * (i / (2 * e));
                  fn(row * m.cols + col);
                }
            }
    return;
  }
  if (layout.kind == LayoutKind::Interleave) {
    int64_t e = layout.order.size();
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t w = 0; w < m.cols; w += e)
        for (int64_t slot = 0; slot < e; ++slot)
          fn(r * m.cols + w + layout.order[slot]);
    return;
  }
  for (int64_t i = 0; i < m.rows * m.cols; ++i)
    fn(i);
}

/// sign_magnitude's groups: 32 codes, four words, of a row.
constexpr int64_t kSignMagnitudeGroup = 32;

llvm::Error check(const Layout &layout, const CodeMatrix &m) {
  if (m.bits < 1 || m.bits > 8 || m.rows < 0 || m.cols < 0)
    return error("codes must be 1 to 8 bits in a non-negative shape");
  auto divides = [&](ArrayRef<int64_t> tile, const char *what) -> llvm::Error {
    if (tile.size() != 2 || tile[0] <= 0 || tile[1] <= 0 ||
        m.rows % tile[0] || m.cols % tile[1])
      return error(std::string(what) + " does not divide the matrix");
    return llvm::Error::success();
  };
  switch (layout.kind) {
  case LayoutKind::Packed:
  case LayoutKind::BitPlanes:
    return llvm::Error::success();
  case LayoutKind::MMAFragment:
    if (std::string why = mmaFragmentRuleViolation(layout.mma, layout.tile, m.bits); !why.empty())
      return error(why);
    return divides(layout.tile, "mma_fragment tile");
  case LayoutKind::Interleave: {
    int64_t e = layout.order.size();
    if (std::string why = interleaveRuleViolation(e, m.bits); !why.empty())
      return error(why);
    std::vector<bool> seen(e, false);
    for (int64_t p : layout.order) {
      if (p < 0 || p >= e || seen[p])
        return error("interleave order is not a permutation");
      seen[p] = true;
    }
    if (m.cols % e)
      return error("interleave needs cols to be a multiple of " +
                   std::to_string(e));
    return llvm::Error::success();
  }
  case LayoutKind::Split4_2:
    if (m.bits != 6)
      return error("split_4_2 holds 6-bit codes");
    return llvm::Error::success();
  case LayoutKind::SignMagnitude:
    if (m.bits != 4)
      return error("sign_magnitude holds signed 4-bit codes, not " + std::to_string(m.bits) +
                   "-bit ones");
    if (m.cols % kSignMagnitudeGroup)
      return error("sign_magnitude needs cols to be a multiple of " +
                   std::to_string(kSignMagnitudeGroup));
    return llvm::Error::success();
  case LayoutKind::Mixed4_8:
    if (m.bits != 8)
      return error("mixed_4_8 holds 8-bit codes");
    return divides(layout.block, "mixed_4_8 block");
  case LayoutKind::ChannelPermute: {
    if (int64_t(layout.permutation.size()) != m.cols)
      return error("permutation has " +
                   std::to_string(layout.permutation.size()) + " entries for " +
                   std::to_string(m.cols) + " channels");
    std::vector<bool> seen(m.cols, false);
    for (int64_t p : layout.permutation) {
      if (p < 0 || p >= m.cols || seen[p])
        return error("channel permutation is not a permutation");
      seen[p] = true;
    }
    return llvm::Error::success();
  }
  }
  return llvm::Error::success();
}

/// The bytes of a row of signed 4-bit codes in the sign_magnitude layout.
llvm::Error packSignMagnitudeRow(ArrayRef<uint8_t> row, int64_t rowIndex,
                                 std::vector<uint8_t> &out) {
  for (int64_t group = 0; group < int64_t(row.size()); group += kSignMagnitudeGroup)
    for (int q = 0; q < 4; ++q) {
      uint32_t low = 0, high = 0;
      for (int j = 0; j < 4; ++j) {
        int64_t lowCol = group + 4 * q + j, highCol = lowCol + 16;
        for (int64_t col : {lowCol, highCol})
          if (llvm::SignExtend32<4>(row[col]) == -8)
            return error("sign_magnitude holds codes -7..7; code -8 at row " +
                         std::to_string(rowIndex) + ", column " + std::to_string(col));
        low |= uint32_t(signMagnitudeByte(llvm::SignExtend32<4>(row[lowCol]))) << (8 * j);
        high |= uint32_t(signMagnitudeByte(llvm::SignExtend32<4>(row[highCol]))) << (8 * j);
      }
      out.resize(out.size() + 4);
      llvm::support::endian::write32le(out.data() + out.size() - 4,
                                       low | llvm::rotl(high, kSignMagnitudeRotation));
    }
  return llvm::Error::success();
}

/// The codes (two's complement nibbles) of a row of sign_magnitude bytes.
void unpackSignMagnitudeRow(const uint8_t *bytes, int64_t cols, uint8_t *row) {
  for (int64_t group = 0; group < cols; group += kSignMagnitudeGroup)
    for (int q = 0; q < 4; ++q) {
      uint32_t word = llvm::support::endian::read32le(bytes + group / 2 + 4 * q);
      uint32_t low = word & kSignMagnitudeMask;
      uint32_t high = llvm::rotr(word, kSignMagnitudeRotation) & kSignMagnitudeMask;
      for (int j = 0; j < 4; ++j) {
        row[group + 4 * q + j] = uint8_t(signMagnitudeCode(uint8_t(low >> (8 * j))) & 0xF);
        row[group + 16 + 4 * q + j] = uint8_t(signMagnitudeCode(uint8_t(high >> (8 * j))) & 0xF);
      }
    }
}

bool fitsSigned4(uint8_t code) {
  int8_t v = int8_t(code);
  return v >= -8 && v <= 7;
}

} // namespace

std::string mlir::lowbit::quant::interleaveRuleViolation(int64_t positions, unsigned bits) {
  if (bits != 2 && bits != 4 && bits != 8)
    return "interleave holds 2-, 4- or 8-bit codes, not " + std::to_string(bits) + "-bit ones";
  int64_t groupBits = positions * bits;
  if (groupBits == 32 || groupBits == 64 || groupBits == 128)
    return "";
  return "interleave order of " + std::to_string(positions) + " positions holds " +
         std::to_string(groupBits) + " bits of " + std::to_string(bits) +
         "-bit codes, not one, two or four 32-bit words";
}

std::string mlir::lowbit::quant::mmaFragmentRuleViolation(ArrayRef<int64_t> mma,
                                                          ArrayRef<int64_t> tile, unsigned bits) {
  if (mma.size() != 3 || mma[0] != 16 || mma[1] != 8 || (mma[2] != 16 && mma[2] != 32))
    return "mma_fragment takes mma = [16, 8, 16] (f16/bf16 operands) or [16, 8, 32] (s8/e4m3 "
           "operands)";
  if (bits != 4 && bits != 8)
    return "mma_fragment holds 4- or 8-bit codes, not " + std::to_string(bits) + "-bit ones";
  int64_t chunkCols = 256 / bits;
  if (tile.size() != 2 || tile[0] <= 0 || tile[0] % 16 || tile[1] <= 0 || tile[1] % chunkCols)
    return "mma_fragment tile must be [16 x a, " + std::to_string(chunkCols) + " x b] for " +
           std::to_string(bits) + "-bit codes (bands of 16 rows, 16 bytes per lane)";
  return "";
}

Expected<std::vector<uint8_t>>
mlir::lowbit::quant::packCodes(const Layout &layout, const CodeMatrix &m,
                         ArrayRef<uint8_t> codes) {
  if (llvm::Error e = check(layout, m))
    return std::move(e);
  if (int64_t(codes.size()) != m.rows * m.cols)
    return error("code count does not match the shape");
  std::vector<uint8_t> out;
  out.reserve((codes.size() * m.bits + 7) / 8 + 4);
  BitWriter writer{out};
  uint32_t mask = (1u << m.bits) - 1;
  switch (layout.kind) {
  case LayoutKind::Packed:
  case LayoutKind::MMAFragment:
  case LayoutKind::Interleave:
    forEachInStreamOrder(layout, m, [&](int64_t i) { writer.put(codes[i] & mask, m.bits); });
    writer.align(layout.kind == LayoutKind::Interleave ? 4 : 1);
    break;
  case LayoutKind::BitPlanes:
    for (unsigned p = 0; p < m.bits; ++p) {
      for (uint8_t code : codes)
        writer.put((code >> p) & 1, 1);
      writer.align(4);
    }
    break;
  case LayoutKind::Split4_2:
    for (uint8_t code : codes)
      writer.put(code & 0xf, 4);
    writer.align(1);
    for (uint8_t code : codes)
      writer.put((code >> 4) & 0x3, 2);
    writer.align(1);
    break;
  case LayoutKind::Mixed4_8: {
    int64_t br = layout.block[0], bc = layout.block[1];
    for (int64_t r0 = 0; r0 < m.rows; r0 += br)
      for (int64_t c0 = 0; c0 < m.cols; c0 += bc) {
        bool narrow = true;
        for (int64_t r = r0; r < r0 + br; ++r)
          for (int64_t c = c0; c < c0 + bc; ++c)
            narrow &= fitsSigned4(codes[r * m.cols + c]);
        writer.put(narrow ? 4 : 8, 8);
        for (int64_t r = r0; r < r0 + br; ++r)
          for (int64_t c = c0; c < c0 + bc; ++c)
            writer.put(codes[r * m.cols + c] & (narrow ? 0xf : 0xff),
                       narrow ? 4 : 8);
        writer.align(1);
      }
    break;
  }
  case LayoutKind::ChannelPermute:
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c)
        out.push_back(codes[r * m.cols + layout.permutation[c]]);
    break;
  case LayoutKind::SignMagnitude:
    for (int64_t r = 0; r < m.rows; ++r)
      if (llvm::Error e = packSignMagnitudeRow(codes.slice(r * m.cols, m.cols), r, out))
        return std::move(e);
    break;
  }
  return out;
}

Expected<std::vector<uint8_t>>
mlir::lowbit::quant::unpackCodes(const Layout &layout, const CodeMatrix &m,
                           ArrayRef<uint8_t> bytes) {
  if (llvm::Error e = check(layout, m))
    return std::move(e);
  std::vector<uint8_t> codes(m.rows * m.cols, 0);
  BitReader reader{bytes};
  switch (layout.kind) {
  case LayoutKind::Packed:
  case LayoutKind::MMAFragment:
  case LayoutKind::Interleave:
    forEachInStreamOrder(layout, m, [&](int64_t i) { codes[i] = uint8_t(reader.get(m.bits)); });
    break;
  case LayoutKind::BitPlanes:
    for (unsigned p = 0; p < m.bits; ++p) {
      for (uint8_t &code : codes)
        code |= uint8_t(reader.get(1) << p);
      reader.align(4);
    }
    break;
  case LayoutKind::Split4_2:
    for (uint8_t &code : codes)
      code = uint8_t(reader.get(4));
    reader.align(1);
    for (uint8_t &code : codes)
      code |= uint8_t(reader.get(2) << 4);
    break;
  case LayoutKind::Mixed4_8: {
    int64_t br = layout.block[0], bc = layout.block[1];
    for (int64_t r0 = 0; r0 < m.rows; r0 += br)
      for (int64_t c0 = 0; c0 < m.cols; c0 += bc) {
        uint32_t width = reader.get(8);
        if (width != 4 && width != 8)
          return error("mixed_4_8 block header is " + std::to_string(width) +
                       ", not 4 or 8");
        for (int64_t r = r0; r < r0 + br; ++r)
          for (int64_t c = c0; c < c0 + bc; ++c) {
            uint32_t v = reader.get(width);
            // 4-bit codes are signed: sign-extend back to 8 bits.
            codes[r * m.cols + c] =
                width == 4 ? uint8_t(int8_t(v << 4) >> 4) : uint8_t(v);
          }
        reader.align(1);
      }
    break;
  }
  case LayoutKind::ChannelPermute:
    if (int64_t(bytes.size()) != m.rows * m.cols)
      return error("channel_permute data has " + std::to_string(bytes.size()) +
                   " bytes, expected " + std::to_string(m.rows * m.cols));
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c)
        codes[r * m.cols + layout.permutation[c]] = bytes[r * m.cols + c];
    break;
  case LayoutKind::SignMagnitude:
    if (int64_t(bytes.size()) < m.rows * m.cols / 2)
      return error("packed data is shorter than the layout needs");
    for (int64_t r = 0; r < m.rows; ++r)
      unpackSignMagnitudeRow(bytes.data() + r * m.cols / 2, m.cols, codes.data() + r * m.cols);
    break;
  }
  if (!reader.ok)
    return error("packed data is shorter than the layout needs");
  return codes;
}

OutlierSplit mlir::lowbit::quant::splitOutliers(ArrayRef<float> x, int64_t rows,
                                          int64_t cols, float threshold) {
  OutlierSplit split;
  split.dense.assign(x.begin(), x.end());
  for (int64_t c = 0; c < cols; ++c) {
    bool outlier = false;
    for (int64_t r = 0; r < rows && !outlier; ++r)
      outlier = std::fabs(x[r * cols + c]) >= threshold;
    if (outlier)
      split.columns.push_back(c);
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c : split.columns) {
      split.outliers.push_back(x[r * cols + c]);
      split.dense[r * cols + c] = 0.0f;
    }
  return split;
}
