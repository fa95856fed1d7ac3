//===- Ptxas.cpp - PTX to cubin with the CUDA toolkit's ptxas -------------===//
#include "lowbit/Support/Ptxas.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir::lowbit;

std::optional<std::string> mlir::lowbit::findPtxas() {
  if (const char *env = std::getenv("LOWBIT_PTXAS"); env && *env)
    return llvm::sys::fs::can_execute(env) ? std::optional<std::string>(env)
                                           : std::nullopt;
  std::string cudaHome = "/usr/local/cuda";
  if (const char *env = std::getenv("CUDA_HOME"); env && *env)
    cudaHome = env;
  llvm::SmallString<256> path(cudaHome);
  llvm::sys::path::append(path, "bin", "ptxas");
  if (llvm::sys::fs::can_execute(path))
    return path.str().str();
  if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas"))
    return *found;
  return std::nullopt;
}

static llvm::Error ptxasError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<PtxasReport>
mlir::lowbit::assembleCubin(const std::string &ptxPath, const std::string &arch,
                            const std::string &cubinPath) {
  std::optional<std::string> ptxas = findPtxas();
  if (!ptxas)
    return ptxasError("no ptxas (set CUDA_HOME or LOWBIT_PTXAS, or write .ptx "
                      "instead of a cubin)");
  llvm::SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("lowbit-ptxas", "log", logPath))
    return ptxasError("cannot create a temporary file: " + ec.message());
  std::string archFlag = "-arch=" + arch;
  llvm::SmallVector<llvm::StringRef> args = {*ptxas, archFlag, "-v",   ptxPath,
                                             "-o",   cubinPath};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*ptxas, args, std::nullopt, redirects,
                                     /*SecondsToWait=*/120, 0, &message);
  PtxasReport report;
  if (auto log = llvm::MemoryBuffer::getFile(logPath))
    report.log = (*log)->getBuffer().str();
  llvm::sys::fs::remove(logPath);
  if (rc != 0)
    return ptxasError(*ptxas + " failed" + (message.empty() ? "" : ": " + message) +
                      "\n" + report.log);
  // The largest figures over the module's kernels.
  llvm::Regex registers("Used ([0-9]+) registers"), spills("([0-9]+) bytes spill stores");
  llvm::SmallVector<llvm::StringRef> lines, match;
  llvm::StringRef(report.log).split(lines, '\n');
  for (llvm::StringRef line : lines) {
    int64_t value;
    if (registers.match(line, &match) && !match[1].getAsInteger(10, value))
      report.registers = std::max(report.registers, value);
    if (spills.match(line, &match) && !match[1].getAsInteger(10, value))
      report.spillBytes = std::max(report.spillBytes, value);
  }
  return report;
}
