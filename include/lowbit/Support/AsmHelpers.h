//===- AsmHelpers.h - Shared parse/print helpers for lowbit attributes ----===//
//
// Bracketed integer lists (`[128, 128, 64]`) used as attribute parameters by
// both dialects. ODS's default list parser takes an unbracketed list, which is
// ambiguous inside `struct(...)` formats; these keep the brackets.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_ASMHELPERS_H
#define LOWBIT_SUPPORT_ASMHELPERS_H

#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::lowbit {

inline FailureOr<SmallVector<int64_t>> parseIntList(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        int64_t v;
        if (parser.parseInteger(v))
          return failure();
        values.push_back(v);
        return success();
      }))
    return failure();
  return values;
}

inline void printIntList(AsmPrinter &printer, ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_ASMHELPERS_H
