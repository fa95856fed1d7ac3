//===- Npy.h - NumPy .npy files --------------------------------------------===//
//
// Reads and writes .npy files (format versions 1.0 to 3.0, C order,
// little-endian). Bad files are errors naming the problem, never crashes;
// writes go to a temporary file renamed into place, so a failed write leaves
// nothing half-written.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_NPY_H
#define LOWBIT_SUPPORT_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::lowbit {

struct NpyArray {
  /// NumPy's type string without byte order, e.g. "f4", "f2", "u1", "i4",
  /// "b1"; raw types ("V2") are kept as they are.
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // row-major, little-endian elements

  size_t elementSize() const;
  int64_t numElements() const;
};

llvm::Expected<NpyArray> readNpy(const std::string &path);

/// How two results differ: the largest absolute and relative errors and how
/// many elements lie outside `atol + rtol * |expected|` (NaN against non-NaN
/// counts as outside).
struct Comparison {
  int64_t count = 0, outside = 0;
  double maxAbs = 0, maxRel = 0;
  double relativeL2 = 0; // ||got - expected|| / ||expected||
  std::string summary(double rtol, double atol) const;
  /// No element outside the tolerance and, when `maxRelativeL2` >= 0, the
  /// relative L2 error within it (NaN fails).
  bool passes(double maxRelativeL2 = -1) const {
    return outside == 0 && (maxRelativeL2 < 0 || relativeL2 <= maxRelativeL2);
  }
};
Comparison compareValues(llvm::ArrayRef<double> got,
                         llvm::ArrayRef<double> expected, double rtol,
                         double atol);
/// Fails on tolerances that cannot fail a comparison or make no sense:
/// `rtol` and `atol` must be finite and not negative (against a NaN one no
/// error is "outside"), `maxRelativeL2` finite (negative: not checked).
llvm::Error checkTolerances(double rtol, double atol, double maxRelativeL2);
/// IEEE half and bfloat16 bit patterns as doubles (exact).
double halfToDouble(uint16_t bits);
double bf16ToDouble(uint16_t bits);
/// A finite float rounded to the nearest bfloat16 (ties to even), on the
/// bits: what APFloat gives, fast enough for hundreds of millions of values.
uint16_t floatToBf16(float value);
/// A double rounded once to the nearest IEEE half or bfloat16 (ties to
/// even, overflowing to infinity) as its bit pattern, through APFloat.
uint16_t doubleToHalf(double value);
uint16_t doubleToBf16(double value);
/// The values of an array of a numeric .npy dtype (f2, f4, f8, i1, u1, b1,
/// i4, i8, and V2 read as bf16), or an error naming the dtype.
llvm::Expected<std::vector<double>> numericValues(const NpyArray &array);

/// Whether `byte`, one code narrower than a byte given as a byte, holds a
/// `width`-bit code (1 to 7): zero-extended, or an int8 sign-extended from
/// it. Other bits set would be taken as part of the value, or dropped.
inline bool isCodeByte(uint8_t byte, unsigned width) {
  return (byte >> width) == 0 || (int8_t(byte) >> (width - 1)) == -1;
}

/// Writes `path` through a temporary file in the same folder renamed into
/// place, so that readers never see a half-written file; on failure nothing
/// is left behind. A symbolic link's target is written; a path that is not
/// a regular file (/dev/null, a pipe) is written directly, not replaced.
llvm::Error writeFileAtomically(
    const std::string &path,
    llvm::function_ref<void(llvm::raw_ostream &)> write);
llvm::Error writeNpy(const std::string &path, const NpyArray &array);

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_NPY_H
