//===- CheckpointTest.cpp - AWQ / GPTQ checkpoints and safetensors --------===//
#include "lowbit/Quant/Checkpoint.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

using namespace mlir::lowbit;
using namespace mlir::lowbit::quant;

namespace {

std::string tempPath(const std::string &name) {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("lowbit-ckpt", dir));
  return dir.str().str() + "/" + name;
}

SafeTensor int32Tensor(std::vector<int64_t> shape, const std::vector<uint32_t> &v) {
  SafeTensor t{"I32", std::move(shape), std::vector<uint8_t>(v.size() * 4)};
  memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

/// f16 scales, and the float values they hold.
SafeTensor halfTensor(std::vector<int64_t> shape, std::vector<float> &values) {
  SafeTensor t{"F16", std::move(shape), std::vector<uint8_t>(values.size() * 2)};
  for (size_t i = 0; i < values.size(); ++i) {
    llvm::APFloat v(values[i]);
    bool lost;
    v.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
    uint16_t bits = uint16_t(v.bitcastToAPInt().getZExtValue());
    memcpy(&t.data[i * 2], &bits, 2);
    values[i] = float(v.convertToDouble());
  }
  return t;
}

struct Layer {
  int64_t n, k, g;
  std::vector<uint8_t> codes, zeros; // [N, K], [N, K/g] (logical, in x order)
  std::vector<float> scales;         // [K/g, N] as checkpoints store them
};

Layer randomLayer(std::mt19937 &rng, int64_t n, int64_t k, int64_t g) {
  Layer l{n, k, g, std::vector<uint8_t>(n * k), std::vector<uint8_t>(n * (k / g)),
          std::vector<float>((k / g) * n)};
  for (uint8_t &c : l.codes)
    c = uint8_t(rng() % 16);
  for (uint8_t &z : l.zeros)
    z = uint8_t(1 + rng() % 15); // GPTQ stores z - 1, which must be >= 0
  for (float &s : l.scales)
    s = 0.001f * float(1 + rng() % 100);
  return l;
}

TEST(Checkpoint, AWQ) {
  std::mt19937 rng(3);
  Layer l = randomLayer(rng, 16, 256, 128);
  int64_t groups = l.k / l.g;
  const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  std::vector<uint32_t> qweight(l.k * l.n / 8, 0), qzeros(groups * l.n / 8, 0);
  for (int64_t row = 0; row < l.k; ++row)
    for (int64_t w = 0; w < l.n / 8; ++w)
      for (int i = 0; i < 8; ++i)
        qweight[row * (l.n / 8) + w] |= uint32_t(l.codes[(w * 8 + order[i]) * l.k + row]) << (4 * i);
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t w = 0; w < l.n / 8; ++w)
      for (int i = 0; i < 8; ++i)
        qzeros[gi * (l.n / 8) + w] |= uint32_t(l.zeros[(w * 8 + order[i]) * groups + gi]) << (4 * i);
  SafeTensorsFile file;
  std::string p = "model.layers.0.mlp.up_proj";
  file.tensors[p + ".qweight"] = int32Tensor({l.k, l.n / 8}, qweight);
  file.tensors[p + ".qzeros"] = int32Tensor({groups, l.n / 8}, qzeros);
  file.tensors[p + ".scales"] = halfTensor({groups, l.n}, l.scales);
  std::string path = tempPath("awq.safetensors");
  ASSERT_FALSE(bool(file.write(path)));
  auto read = SafeTensorsFile::read(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  auto layer = loadAWQ(*read, p);
  ASSERT_TRUE(bool(layer)) << llvm::toString(layer.takeError());
  EXPECT_EQ(layer->n, l.n);
  EXPECT_EQ(layer->k, l.k);
  EXPECT_EQ(layer->groupSize, l.g);
  EXPECT_EQ(layer->codes, l.codes);
  EXPECT_EQ(layer->zeros, l.zeros);
  EXPECT_TRUE(layer->inputPermutation.empty());
  std::vector<float> w = layer->dequantize();
  for (int64_t row = 0; row < l.n; ++row)
    for (int64_t col = 0; col < l.k; ++col) {
      int64_t gi = col / l.g;
      float expected = (float(l.codes[row * l.k + col]) - float(l.zeros[row * groups + gi])) *
                       l.scales[gi * l.n + row];
      ASSERT_EQ(w[row * l.k + col], expected) << row << "," << col;
    }
}

TEST(Checkpoint, GPTQWithActOrder) {
  std::mt19937 rng(5);
  Layer l = randomLayer(rng, 8, 128, 32);
  int64_t groups = l.k / l.g;
  // act-order: a random balanced assignment of input channels to groups.
  std::vector<int32_t> gIdx(l.k);
  for (int64_t i = 0; i < l.k; ++i)
    gIdx[i] = int32_t(i / l.g);
  std::shuffle(gIdx.begin(), gIdx.end(), rng);
  std::vector<uint32_t> qweight(l.k / 8 * l.n, 0), qzeros(groups * l.n / 8, 0);
  for (int64_t row = 0; row < l.k; ++row)
    for (int64_t col = 0; col < l.n; ++col)
      qweight[(row / 8) * l.n + col] |= uint32_t(l.codes[col * l.k + row]) << (4 * (row % 8));
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t col = 0; col < l.n; ++col)
      qzeros[gi * (l.n / 8) + col / 8] |= uint32_t(l.zeros[col * groups + gi] - 1) << (4 * (col % 8));
  SafeTensorsFile file;
  std::string p = "layer";
  file.tensors[p + ".qweight"] = int32Tensor({l.k / 8, l.n}, qweight);
  file.tensors[p + ".qzeros"] = int32Tensor({groups, l.n / 8}, qzeros);
  file.tensors[p + ".scales"] = halfTensor({groups, l.n}, l.scales);
  std::vector<uint32_t> gIdxWords(gIdx.begin(), gIdx.end());
  file.tensors[p + ".g_idx"] = int32Tensor({l.k}, gIdxWords);
  std::string path = tempPath("gptq.safetensors");
  ASSERT_FALSE(bool(file.write(path)));
  auto read = SafeTensorsFile::read(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  auto layer = loadGPTQ(*read, p);
  ASSERT_TRUE(bool(layer)) << llvm::toString(layer.takeError());
  ASSERT_EQ(layer->inputPermutation.size(), size_t(l.k));
  // The converted weight times permuted activations is the original product.
  std::vector<float> w = layer->dequantize();
  for (int64_t col = 0; col < l.n; ++col)
    for (int64_t i = 0; i < l.k; ++i) {
      int64_t row = layer->inputPermutation[i];
      int64_t gi = gIdx[row];
      EXPECT_EQ(i / l.g, gi) << "groups are contiguous after reordering";
      float expected = (float(l.codes[col * l.k + row]) - float(l.zeros[col * groups + gi])) *
                       l.scales[gi * l.n + col];
      ASSERT_EQ(w[col * l.k + i], expected) << col << "," << i;
    }
  // Without g_idx the order is kept.
  file.tensors.erase(p + ".g_idx");
  auto plain = loadGPTQ(file, p);
  ASSERT_TRUE(bool(plain));
  EXPECT_TRUE(plain->inputPermutation.empty());
  // The zero offset is one of the two formats': -1 would wrap stored
  // zeros of 0 to 255, and make zero points that fit no code.
  for (int offset : {-1, 2}) {
    auto odd = loadGPTQ(file, p, offset);
    ASSERT_FALSE(bool(odd)) << offset;
    std::string message = llvm::toString(odd.takeError());
    EXPECT_NE(message.find("zero offset is 0 (gptq_v2) or 1"), std::string::npos) << message;
  }
}

/// AutoGPTQ's packing of a sequence of `bits`-bit values into int32 words,
/// written as its pack() does it (not as a bit stream, which is what the
/// loader reads): 2, 4 and 8 bits whole values per word; 3 bits ten values
/// per word and the 11th and 22nd of each 32 split across words.
std::vector<uint32_t> packLikeAutoGPTQ(const std::vector<uint32_t> &v, int bits) {
  std::vector<uint32_t> words;
  size_t i = 0;
  while (i < v.size()) {
    if (bits != 3) {
      uint32_t w = 0;
      for (int j = 0; j < 32 / bits; ++j)
        w |= v[i++] << (bits * j);
      words.push_back(w);
      continue;
    }
    uint32_t w0 = 0, w1 = 0, w2 = 0;
    for (int j = 0; j < 10; ++j)
      w0 |= v[i++] << (3 * j);
    w0 |= v[i] << 30;
    w1 |= (v[i++] >> 2) & 1;
    for (int j = 0; j < 10; ++j)
      w1 |= v[i++] << (3 * j + 1);
    w1 |= v[i] << 31;
    w2 |= (v[i++] >> 1) & 3;
    for (int j = 0; j < 10; ++j)
      w2 |= v[i++] << (3 * j + 2);
    words.insert(words.end(), {w0, w1, w2});
  }
  return words;
}

TEST(Checkpoint, GPTQOfEveryWidth) {
  for (int bits : {2, 3, 4, 8}) {
    std::mt19937 rng(11 + bits);
    int64_t n = 32, k = 128, g = 64, groups = k / g, levels = int64_t(1) << bits;
    std::vector<uint8_t> codes(n * k), zeros(n * groups); // [N, K], [N, K/g]
    for (uint8_t &c : codes)
      c = uint8_t(rng() % levels);
    for (uint8_t &z : zeros)
      z = uint8_t(1 + rng() % (levels - 1)); // stored minus 1
    std::vector<float> scales(groups * n);
    for (float &sc : scales)
      sc = 0.001f * float(1 + rng() % 100);
    // qweight [K * bits / 32, N]: column by column along K, word rows.
    std::vector<uint32_t> qweight(k * bits / 32 * n);
    for (int64_t col = 0; col < n; ++col) {
      std::vector<uint32_t> column(codes.begin() + col * k, codes.begin() + (col + 1) * k);
      std::vector<uint32_t> words = packLikeAutoGPTQ(column, bits);
      for (size_t r = 0; r < words.size(); ++r)
        qweight[r * n + col] = words[r];
    }
    std::vector<uint32_t> qzeros;
    for (int64_t gi = 0; gi < groups; ++gi) {
      std::vector<uint32_t> row;
      for (int64_t col = 0; col < n; ++col)
        row.push_back(zeros[col * groups + gi] - 1);
      std::vector<uint32_t> words = packLikeAutoGPTQ(row, bits);
      qzeros.insert(qzeros.end(), words.begin(), words.end());
    }
    SafeTensorsFile file;
    file.path = "mem";
    file.tensors["l.qweight"] = int32Tensor({k * bits / 32, n}, qweight);
    file.tensors["l.qzeros"] = int32Tensor({groups, n * bits / 32}, qzeros);
    file.tensors["l.scales"] = halfTensor({groups, n}, scales);
    auto layer = loadGPTQ(file, "l");
    ASSERT_TRUE(bool(layer)) << bits << ": " << llvm::toString(layer.takeError());
    EXPECT_EQ(layer->bits, bits);
    EXPECT_EQ(layer->k, k);
    EXPECT_EQ(layer->groupSize, g);
    EXPECT_EQ(layer->codes, codes) << bits << "-bit codes";
    EXPECT_EQ(layer->zeros, zeros) << bits << "-bit zero points";
    for (int64_t col = 0; col < n; ++col)
      for (int64_t gi = 0; gi < groups; ++gi)
        ASSERT_EQ(layer->scales[col * groups + gi], scales[gi * n + col]);
    // A stored zero point of the largest code plus the offset does not fit.
    std::vector<uint32_t> full(n, uint32_t(levels - 1));
    std::vector<uint32_t> fullWords = packLikeAutoGPTQ(full, bits);
    std::copy(fullWords.begin(), fullWords.end(), qzeros.begin());
    file.tensors["l.qzeros"] = int32Tensor({groups, n * bits / 32}, qzeros);
    auto overflow = loadGPTQ(file, "l");
    ASSERT_FALSE(bool(overflow)) << bits;
    EXPECT_EQ(llvm::toString(overflow.takeError()), "mem: l: zero point " + std::to_string(levels) +
                                                        " does not fit " + std::to_string(bits) +
                                                        " bits (wrong zero offset?)");
  }
}

TEST(Checkpoint, GPTQWidthsThatDoNotFitAreErrors) {
  SafeTensorsFile file;
  file.path = "mem";
  std::vector<float> s(2 * 32, 0.5f);
  file.tensors["l.scales"] = halfTensor({2, 32}, s);
  // 32 columns of 5-bit zero points take 5 words a row: not a GPTQ width.
  file.tensors["l.qweight"] = int32Tensor({20, 32}, std::vector<uint32_t>(20 * 32, 0));
  file.tensors["l.qzeros"] = int32Tensor({2, 5}, std::vector<uint32_t>(10, 0));
  auto five = loadGPTQ(file, "l");
  ASSERT_FALSE(bool(five));
  EXPECT_EQ(llvm::toString(five.takeError()),
            "mem: l.qzeros has 5 words per group for N = 32: not 2-, 3-, 4- or 8-bit zero points");
  // 3-bit zero points, but 10 qweight rows: not whole groups of 32 codes.
  file.tensors["l.qweight"] = int32Tensor({10, 32}, std::vector<uint32_t>(10 * 32, 0));
  file.tensors["l.qzeros"] = int32Tensor({2, 3}, std::vector<uint32_t>(6, 0));
  auto partial = loadGPTQ(file, "l");
  ASSERT_FALSE(bool(partial));
  EXPECT_EQ(llvm::toString(partial.takeError()),
            "mem: l.qweight has 10 rows, not whole groups of 32 3-bit codes");
}

TEST(Checkpoint, BadFilesAreErrors) {
  SafeTensorsFile file;
  std::vector<float> s(8, 0.5f);
  file.tensors["x.qweight"] = int32Tensor({16, 1}, std::vector<uint32_t>(16, 0));
  file.tensors["x.scales"] = halfTensor({1, 8}, s);
  file.path = "mem";
  auto missing = loadAWQ(file, "x");
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()), "mem: no tensor 'x.qzeros'");
  file.tensors["x.qzeros"] = SafeTensor{"F32", {1, 1}, std::vector<uint8_t>(4)};
  auto wrongType = loadAWQ(file, "x");
  ASSERT_FALSE(bool(wrongType));
  EXPECT_EQ(llvm::toString(wrongType.takeError()),
            "mem: tensor 'x.qzeros' is F32 of rank 2, expected I32 of rank 2");
  file.tensors["x.qzeros"] = int32Tensor({2, 1}, {0, 0});
  auto wrongShape = loadAWQ(file, "x");
  ASSERT_FALSE(bool(wrongShape));
  EXPECT_EQ(llvm::toString(wrongShape.takeError()),
            "mem: x.qzeros does not match the scales");

  std::string path = tempPath("bad.safetensors");
  auto writeBytes = [&](const std::string &bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  };
  auto readError = [&]() {
    auto r = SafeTensorsFile::read(path);
    EXPECT_FALSE(bool(r));
    return r ? std::string() : llvm::toString(r.takeError());
  };
  writeBytes("abc");
  EXPECT_EQ(readError(), path + ": not a safetensors file (shorter than its header length)");
  writeBytes(std::string("\xff\0\0\0\0\0\0\0{}", 10));
  EXPECT_EQ(readError(), path + ": header length 255 exceeds the file");
  std::string header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}";
  std::string len(8, '\0');
  len[0] = char(header.size());
  writeBytes(len + header + std::string(4, '\0'));
  EXPECT_EQ(readError(), path + ": tensor 'a': data_offsets out of range");
  header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}";
  len[0] = char(header.size());
  writeBytes(len + header + std::string(8, '\0'));
  EXPECT_EQ(readError(), path + ": tensor 'a': holds 8 bytes, dtype and shape need 12");
  header = "{\"a\": {\"dtype\": \"Q7\", \"shape\": [2], \"data_offsets\": [0, 8]}}";
  len[0] = char(header.size());
  writeBytes(len + header + std::string(8, '\0'));
  EXPECT_EQ(readError(), path + ": tensor 'a': unknown dtype 'Q7'");
  header = "{\"a\": ";
  len[0] = char(header.size());
  writeBytes(len + header);
  EXPECT_NE(readError().find("malformed header"), std::string::npos);
}

} // namespace
