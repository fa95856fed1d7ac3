//===- Json.cpp - JSON parsing with a bounded nesting depth ---------------===//

#include "lowbit/Support/Json.h"

llvm::Expected<llvm::json::Value> mlir::lowbit::parseJson(llvm::StringRef text) {
  unsigned depth = 0;
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
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "JSON nested deeper than " + llvm::Twine(kMaxJsonDepth) +
                                           " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return llvm::json::parse(text);
}
