//===- InitAll.h - register everything lowbit provides --------------------===//
//
// One place that knows which dialects and passes lowbit tools understand:
// lowbit-opt, lowbit-compile, the C API and the JIT all call these.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_INITALL_H
#define LOWBIT_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::lowbit {
/// Our dialects plus the upstream ones lowbit IR uses (func, arith, tensor, and
/// linalg and math, which the reference lowering produces).
void registerAllDialects(DialectRegistry &registry);
/// Our passes plus the upstream passes our pipelines use.
void registerAllPasses();
} // namespace mlir::lowbit

#endif // LOWBIT_INITALL_H
