//===- Json.h - JSON parsing with a bounded nesting depth -----------------===//
//
// llvm::json::parse recurses once per nested array or object, so a file of
// 100000 '[' (a downloaded safetensors header, a shapes list) overflows the
// stack. The files lowbit reads nest a few levels deep: deeper text is an
// error before it is parsed.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_JSON_H
#define LOWBIT_SUPPORT_JSON_H

#include "llvm/Support/JSON.h"

namespace mlir::lowbit {

/// Arrays and objects nested deeper than this are refused.
inline constexpr unsigned kMaxJsonDepth = 64;

/// llvm::json::parse(text), or an error where arrays and objects nest deeper
/// than kMaxJsonDepth (outside strings).
llvm::Expected<llvm::json::Value> parseJson(llvm::StringRef text);

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_JSON_H
