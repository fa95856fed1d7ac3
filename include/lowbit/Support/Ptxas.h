//===- Ptxas.h - PTX to cubin with the CUDA toolkit's ptxas ---------------===//
//
// lowbit emits PTX itself; cubins come from ptxas, found at run time
// ($LOWBIT_PTXAS, $CUDA_HOME/bin, /usr/local/cuda/bin, then $PATH), so that
// nothing needs the toolkit to build and PTX output works without it.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_SUPPORT_PTXAS_H
#define LOWBIT_SUPPORT_PTXAS_H

#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace mlir::lowbit {

/// The ptxas to use, or nothing when no CUDA toolkit is found.
std::optional<std::string> findPtxas();

/// What ptxas said about one compilation (from -v; -1 when not reported).
struct PtxasReport {
  std::string log;
  int64_t registers = -1, spillBytes = -1;
};

/// Assembles `ptxPath` for `arch` (sm_80 ... sm_90a) into `cubinPath`; an
/// error carries ptxas's messages.
llvm::Expected<PtxasReport> assembleCubin(const std::string &ptxPath,
                                          const std::string &arch,
                                          const std::string &cubinPath);

} // namespace mlir::lowbit

#endif // LOWBIT_SUPPORT_PTXAS_H
