//===- ArrayBytes.h - the bytes a file's array header asks for --*- C++ -*-===//
//
// Readers of .npy and .safetensors files compare the bytes a header's shape
// and dtype need with the bytes the file holds. A crafted shape can make
// that product wrap around 64 bits (2^62 elements of 4 bytes need "0"), so
// it is computed with overflow checks.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_ARRAYBYTES_H
#define LOWBIT_SUPPORT_ARRAYBYTES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"

#include <cstdint>
#include <limits>
#include <optional>

namespace mlir::lowbit {

/// The bytes of an array of `shape` with `elementSize`-byte elements, or
/// none where a dimension is negative or the product does not fit 64 bits.
inline std::optional<uint64_t> arrayBytes(llvm::ArrayRef<int64_t> shape, uint64_t elementSize) {
  for (int64_t d : shape)
    if (d < 0)
      return std::nullopt;
  if (llvm::is_contained(shape, 0))
    return 0;
  uint64_t bytes = elementSize;
  for (int64_t d : shape) {
    if (bytes > std::numeric_limits<uint64_t>::max() / uint64_t(d))
      return std::nullopt;
    bytes *= uint64_t(d);
  }
  return bytes;
}

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_ARRAYBYTES_H
