//===- Cache.h - compiled kernels on disk ----------------------------------===//
//
// One file per kernel, `<dir>/<key>.lbk`: a magic line, the SHA-256 of the
// rest, a JSON header (key, spec, target, versions, manifest) and the image
// (PTX or cubin). The key is the SHA-256 of everything that decides the
// image: the canonical spec, chip and PTX features, config, and the lowbit,
// LLVM and ptxas versions. Entries are written to a temporary file in the
// same folder and renamed into place, so a reader sees a whole entry or none;
// one that is truncated, corrupt or written for another key is detected by
// its checksum or header, removed, and reported as a miss.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_JIT_CACHE_H
#define LOWBIT_JIT_CACHE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::lowbit::jit {

/// $LOWBIT_CACHE_DIR, else $XDG_CACHE_HOME/lowbit, else $HOME/.cache/lowbit.
std::string defaultCacheDir();

/// What decides a kernel image.
struct CacheKey {
  std::string spec, arch, features, config;
  /// The SHA-256 (hex) of the parts and of the lowbit, LLVM and ptxas
  /// versions.
  std::string hash() const;
};

/// The version of the ptxas that cubins come from ("none" without one),
/// found once per process.
const std::string &ptxasVersion();

/// The version line of the ptxas at `path`. One whose `--version` fails is
/// told apart by its path, size and modification time ("unknown ..."), so
/// that its cubins never share keys with another ptxas's, nor with the PTX
/// images of a machine without one.
std::string ptxasVersionOf(const std::string &path);

struct CacheEntry {
  std::string key, spec, arch;
  llvm::json::Object manifest;
  std::string image;
  bool cubin = false;
};

struct CacheListing {
  std::string key, spec, arch, path;
  uint64_t bytes = 0;
  bool valid = true; // false: corrupt or foreign
};

class KernelCache {
public:
  explicit KernelCache(std::string dir) : dir(std::move(dir)) {}
  const std::string &directory() const { return dir; }

  /// The entry for `key`, or nothing. A damaged entry is removed and
  /// `problem` (if given) says what was wrong with it.
  std::optional<CacheEntry> lookup(const std::string &key,
                                   std::string *problem = nullptr) const;
  /// Writes `entry` atomically; an error (read-only or full folder) leaves
  /// no partial file behind.
  llvm::Error store(const CacheEntry &entry) const;

  llvm::Expected<std::vector<CacheListing>> list() const;
  /// Removes every entry (and stray temporary files); returns how many.
  llvm::Expected<int64_t> clear() const;
  /// Removes damaged entries and stray temporary files, then the least
  /// recently written entries until the rest take at most `maxBytes`;
  /// returns how many files went.
  llvm::Expected<int64_t> prune(uint64_t maxBytes) const;

private:
  std::string pathOf(const std::string &key) const;
  std::string dir;
};

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_CACHE_H
