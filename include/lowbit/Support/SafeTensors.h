//===- SafeTensors.h - .safetensors files ---------------------------------===//
//
// Reads and writes the safetensors format: an 8-byte little-endian header
// length, a JSON header mapping names to {dtype, shape, data_offsets}, then
// the data. Every inconsistency (truncation, offsets out of range, sizes that
// do not match dtype and shape) is an error naming the file and the tensor.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_SAFETENSORS_H
#define LOWBIT_SUPPORT_SAFETENSORS_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::lowbit {

struct SafeTensor {
  std::string dtype; // "F32", "F16", "BF16", "I32", "I8", "U8", ...
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
};

class SafeTensorsFile {
public:
  static llvm::Expected<SafeTensorsFile> read(const std::string &path);
  llvm::Error write(const std::string &path) const;

  /// The tensor `name`, or an error naming the file and the tensor.
  llvm::Expected<const SafeTensor &> get(const std::string &name) const;
  std::map<std::string, SafeTensor> tensors;
  std::string path;
};

/// Bytes per element of a safetensors dtype; 0 when unknown.
size_t safeTensorsElementSize(const std::string &dtype);

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_SAFETENSORS_H
