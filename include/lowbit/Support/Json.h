//===- Json.h - parsing text whose nesting is bounded ---------------------===//
//
// llvm::json::parse and MLIR's parser recurse once per nested bracket, so a
// file of 100000 '[' (a downloaded safetensors header, a shapes list, IR
// given to the C API) overflows the stack. The text lowbit reads nests a few
// levels deep: deeper text is an error before it is parsed.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_JSON_H
#define LOWBIT_SUPPORT_JSON_H

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace mlir::lowbit {

/// JSON arrays and objects nested deeper than this are refused.
inline constexpr unsigned kMaxJsonDepth = 64;

/// The deepest nesting of ( ) [ ] { } < > in `text` outside "..." strings
/// (and, with `lineComments`, // comments): at each point the sum over the
/// four kinds of the opened and not yet closed ones, each kind's count never
/// below 0 (so that MLIR's "->" closes no '<' that is not there).
unsigned bracketDepth(llvm::StringRef text, bool lineComments);

/// llvm::json::parse(text), or an error where arrays and objects nest deeper
/// than kMaxJsonDepth.
llvm::Expected<llvm::json::Value> parseJson(llvm::StringRef text);

/// IR nested deeper than this is refused before MLIR's parser sees it.
inline constexpr unsigned kMaxIRDepth = 256;

/// An error where `source` (MLIR) nests brackets deeper than kMaxIRDepth.
llvm::Error checkIRDepth(llvm::StringRef source);

/// The contents of IR file `path` ("-": standard input), or an error where
/// it cannot be read or, as text, nests deeper than kMaxIRDepth. The tools that parse
/// IR read it through here.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readIRFile(llvm::StringRef path);

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_JSON_H
