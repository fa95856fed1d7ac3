//===- Json.cpp - parsing text whose nesting is bounded -------------------===//

#include "lowbit/Support/Json.h"

unsigned mlir::lowbit::bracketDepth(llvm::StringRef text, bool lineComments) {
  static constexpr llvm::StringLiteral kOpen = "([{<", kClose = ")]}>";
  unsigned depth[4] = {0, 0, 0, 0}, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character, a quote included
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (lineComments && c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = std::min(text.find('\n', i), text.size());
    } else if (size_t kind = kOpen.find(c); kind != llvm::StringRef::npos) {
      ++depth[kind];
      deepest = std::max(deepest, depth[0] + depth[1] + depth[2] + depth[3]);
    } else if (size_t kind = kClose.find(c); kind != llvm::StringRef::npos && depth[kind]) {
      --depth[kind];
    }
  }
  return deepest;
}

llvm::Expected<llvm::json::Value> mlir::lowbit::parseJson(llvm::StringRef text) {
  // JSON has no ( or <, nor outside strings.
  if (bracketDepth(text, /*lineComments=*/false) > kMaxJsonDepth)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "JSON nested deeper than " +
                                                                       llvm::Twine(kMaxJsonDepth) +
                                                                       " levels");
  return llvm::json::parse(text);
}

llvm::Error mlir::lowbit::checkIRDepth(llvm::StringRef source) {
  if (unsigned depth = bracketDepth(source, /*lineComments=*/true); depth > kMaxIRDepth)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the source nests brackets " + llvm::Twine(depth) +
                                       " deep; at most " + llvm::Twine(kMaxIRDepth) +
                                       " are parsed");
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> mlir::lowbit::readIRFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path + "': " + buffer.getError().message());
  // MLIR bytecode (which the tools parse too) is binary: its bytes say
  // nothing of nesting, and its reader does not recurse per byte.
  llvm::StringRef text = (*buffer)->getBuffer();
  if (!text.starts_with("ML\xEFR"))
    if (llvm::Error error = checkIRDepth(text))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     path + ": " + llvm::toString(std::move(error)));
  return std::move(*buffer);
}
