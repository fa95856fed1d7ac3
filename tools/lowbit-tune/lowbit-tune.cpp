//===- lowbit-tune.cpp - tune a list of shapes into the kernel cache ------===//
//
//   lowbit-tune (--spec="matmul ..." ... | --shapes=LAYERS.json) [--arch=sm_90a]
//               [--cache-dir=DIR] [--runs=30] [--device=0] [--json=REPORT.json]
//
// LAYERS.json is a list of specs (strings), e.g. every linear layer of a
// model at the token counts it serves. Each spec is tuned on GPU --device (see
// lowbit/JIT/Tuner.h) unless the cache already holds its winner; a progress
// bar goes to stderr, a table to stdout. Without a GPU the default configs
// are compiled into the cache and the table says they were not tuned.
//
//===----------------------------------------------------------------------===//
#include "lowbit/JIT/Tuner.h"
#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::lowbit::jit;
namespace cl = llvm::cl;

/// This tool's options: --help lists them, not the hundreds LLVM's
/// libraries register (they stay accepted).
static cl::OptionCategory toolOptions("lowbit-tune options");
static cl::list<std::string> specs("spec", cl::cat(toolOptions),
                                   cl::desc("A spec to tune (repeatable)"));
static cl::opt<std::string> shapesFile("shapes", cl::cat(toolOptions),
                                       cl::desc("JSON list of specs"), cl::init(""));
static cl::opt<std::string> arch("arch", cl::cat(toolOptions), cl::desc("Target chip"),
                                 cl::init("sm_90a"));
static cl::opt<std::string> cacheDir("cache-dir", cl::cat(toolOptions),
                                     cl::desc("Kernel cache folder"), cl::init(""));
static cl::opt<int> runs("runs", cl::cat(toolOptions), cl::desc("Timed launches per candidate"),
                         cl::init(30));
static cl::opt<int> deviceOrdinal("device", cl::cat(toolOptions),
                                  cl::desc("CUDA device to tune on (ordinal)"), cl::init(0));
static cl::opt<std::string> jsonFile("json", cl::cat(toolOptions),
                                     cl::desc("Write the report as JSON"), cl::init(""));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "lowbit-tune: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv, "lowbit autotuner\n");
  std::vector<std::string> todo(specs.begin(), specs.end());
  if (!shapesFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(shapesFile);
    if (!text)
      return fail(shapesFile + ": cannot read: " + text.getError().message());
    auto json = mlir::lowbit::parseJson((*text)->getBuffer());
    if (!json)
      return fail(shapesFile + ": " + llvm::toString(json.takeError()));
    const llvm::json::Array *list = json->getAsArray();
    if (!list)
      return fail(shapesFile + ": expected a JSON list of spec strings");
    for (const llvm::json::Value &v : *list) {
      std::optional<llvm::StringRef> s = v.getAsString();
      if (!s)
        return fail(shapesFile + ": every entry must be a spec string");
      todo.push_back(s->str());
    }
  }
  if (todo.empty())
    return fail("nothing to tune: give --spec or --shapes");
  if (runs < 1)
    return fail("--runs must be at least 1, not " + llvm::Twine(runs.getValue()));
  if (deviceOrdinal < 0)
    return fail("--device must be a device ordinal (0 or more), not " +
                llvm::Twine(deviceOrdinal.getValue()));

  DriverOptions options;
  options.arch = arch;
  if (!cacheDir.empty())
    options.cacheDir = cacheDir;
  Driver driver(options);
  TunerOptions tuning;
  tuning.runs = runs;
  tuning.device = deviceOrdinal;
  llvm::json::Array rows;
  int failures = 0;
  llvm::outs() << llvm::format("%-62s %10s %10s %7s %6s %8s  %s\n", "spec", "default us",
                               "tuned us", "speedup", "cands", "tune s", "config");
  for (size_t i = 0; i < todo.size(); ++i) {
    // The progress bar: done / total and what runs now.
    int width = 30, done = int(width * i / todo.size());
    llvm::errs() << "\r[" << std::string(done, '#') << std::string(width - done, '.') << "] "
                 << i << "/" << todo.size() << " " << todo[i].substr(0, 60);
    llvm::errs().flush();
    TuneReport report;
    auto start = std::chrono::steady_clock::now();
    auto kernel = getOrTune(driver, todo[i], &report, tuning);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "\r" << std::string(width + 80, ' ') << "\r";
    if (!kernel) {
      ++failures;
      std::string message = llvm::toString(kernel.takeError());
      llvm::outs() << todo[i] << ": " << message << "\n";
      // The report lists every spec asked for, in order: a failed one with
      // its error.
      rows.push_back(llvm::json::Object{{"spec", todo[i]}, {"error", message}});
      continue;
    }
    std::string status = report.cached ? "cached" : report.tuned ? "" : "not tuned";
    llvm::outs() << llvm::format("%-62s %10.1f %10.1f %7.2f %6d %8.2f  %s\n",
                                 report.spec.c_str(), report.defaultMicroseconds,
                                 report.bestMicroseconds,
                                 report.tuned ? report.defaultMicroseconds / report.bestMicroseconds
                                              : 1.0,
                                 report.candidates, seconds,
                                 (status.empty() ? report.bestConfig : status).c_str());
    if (!report.note.empty())
      llvm::outs() << "  " << report.note << "\n";
    llvm::json::Array candidates;
    for (const CandidateResult &c : report.results)
      candidates.push_back(llvm::json::Object{
          {"config", c.config}, {"us", c.microseconds}, {"pruned", c.pruned}});
    rows.push_back(llvm::json::Object{
        {"spec", report.spec}, {"default_config", report.defaultConfig},
        {"config", report.bestConfig}, {"default_us", report.defaultMicroseconds},
        {"tuned_us", report.bestMicroseconds}, {"candidates", report.candidates},
        {"compiled", report.compiled}, {"pruned", report.pruned},
        {"compile_s", report.compileSeconds}, {"time_s", report.timeSeconds},
        {"total_s", seconds}, {"rel_l2", report.relativeL2}, {"tuned", report.tuned},
        {"cached", report.cached}, {"note", report.note},
        {"candidate_results", std::move(candidates)}});
  }
  for (const std::string &note : driver.notes())
    llvm::errs() << "lowbit-tune: note: " << note << "\n";
  if (!jsonFile.empty())
    if (llvm::Error e = mlir::lowbit::writeFileAtomically(jsonFile, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", llvm::json::Value(std::move(rows))) << "\n";
        }))
      return fail(llvm::toString(std::move(e)));
  return failures ? 1 : 0;
}
