//===- Support.h - small helpers shared by the JIT's files ---------------===//
#ifndef LOWBIT_LIB_JIT_SUPPORT_H
#define LOWBIT_LIB_JIT_SUPPORT_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <chrono>

namespace mlir::lowbit::jit {

/// An error carrying `message` (the JIT's errors are strings for the user).
inline llvm::Error jitError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Seconds from `start` to now, for the stage and tuning times reported.
inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace mlir::lowbit::jit

#endif // LOWBIT_LIB_JIT_SUPPORT_H
