//===- Tuner.h - the fastest config of a spec, measured on the GPU ---------===//
//
// A few dozen candidate configs around the default (tiles, warp tiles,
// pipeline depth, K splits), compiled in parallel (one MLIRContext per
// thread), pruned (failed compiles, spills, registers x threads past the
// register file), timed on the GPU (median of event-timed launches over
// operand copies larger than L2), the winner checked against a float64 host
// product, and cached under the label "tuned". Without a GPU the default
// config is compiled and the report says so.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_JIT_TUNER_H
#define LOWBIT_JIT_TUNER_H

#include "lowbit/JIT/Driver.h"

namespace mlir::lowbit::jit {

/// One candidate's outcome: its time, or why it was not timed or lost
/// (compile error, spills, registers, shared memory, launch error, wrong
/// result).
struct CandidateResult {
  std::string config;
  double microseconds = 0; // 0: not timed
  std::string pruned;      // empty: timed (and correct where checked)
};

struct TuneReport {
  std::string spec, defaultConfig, bestConfig;
  double defaultMicroseconds = 0, bestMicroseconds = 0, relativeL2 = 0;
  int candidates = 0, compiled = 0, pruned = 0;
  double compileSeconds = 0, timeSeconds = 0;
  bool tuned = false;   // false: no GPU, or a cached winner was served
  bool cached = false;  // the winner came from the cache
  std::string note;
  std::vector<CandidateResult> results; // every candidate, default first
};

struct TunerOptions {
  int runs = 30;
  int device = 0;       // the CUDA device ordinal timed on
  unsigned threads = 0; // 0: one per hardware thread
};

/// The candidate configs for `spec` around `defaultConfig` (default first)
/// for the chip `arch`. Mostly the default's strategy with other tiles; on
/// sm_90a, decode of packed 4-bit weights with real activations also tries
/// the `wgmma` kernel at 64 tokens beside the streaming GEMV.
llvm::Expected<std::vector<std::string>> candidateConfigs(const std::string &spec,
                                                          const std::string &defaultConfig,
                                                          const std::string &arch = "");

/// The tuned kernel of `spec`: from the cache, or tuned now on GPU
/// `options.device`.
llvm::Expected<std::shared_ptr<const Kernel>>
getOrTune(Driver &driver, const std::string &spec, TuneReport *report = nullptr,
          const TunerOptions &options = TunerOptions());

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_TUNER_H
