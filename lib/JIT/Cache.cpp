//===- Cache.cpp - compiled kernels on disk --------------------------------===//
#include "lowbit/JIT/Cache.h"

#include "CompilerFingerprint.h"
#include "Support.h"

#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"
#include "lowbit/Support/Ptxas.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include <chrono>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#ifndef LOWBIT_VERSION
#define LOWBIT_VERSION "unknown"
#endif

using namespace mlir::lowbit::jit;

namespace {
constexpr llvm::StringLiteral kMagic = "lowbit-kernel 1\n";
constexpr llvm::StringLiteral kSuffix = ".lbk";

std::string sha256Hex(llvm::StringRef data) {
  auto digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  return llvm::toHex(digest, /*LowerCase=*/true);
}
} // namespace

std::string mlir::lowbit::jit::defaultCacheDir() {
  if (const char *dir = std::getenv("LOWBIT_CACHE_DIR"); dir && *dir)
    return dir;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    path = xdg;
  } else if (llvm::sys::path::home_directory(path)) { // $HOME, else the user's entry
    llvm::sys::path::append(path, ".cache");
  } else {
    // No home folder: no disk cache. A shared one (/tmp) would load
    // entries any local user could have planted there.
    return "";
  }
  llvm::sys::path::append(path, "lowbit");
  return path.str().str();
}

std::string mlir::lowbit::jit::ptxasVersionOf(const std::string &path) {
  llvm::SmallString<128> out;
  if (!llvm::sys::fs::createTemporaryFile("lowbit-ptxas-version", "txt", out)) {
    std::optional<llvm::StringRef> redirects[] = {std::nullopt, out.str(), out.str()};
    llvm::StringRef args[] = {path, "--version"};
    std::string version;
    if (llvm::sys::ExecuteAndWait(path, args, std::nullopt, redirects, 30) == 0)
      if (auto text = llvm::MemoryBuffer::getFile(out))
        version = (*text)->getBuffer().trim().rsplit('\n').second.str();
    llvm::sys::fs::remove(out);
    if (!version.empty())
      return version;
  }
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(path, status))
    return "unknown " + path;
  return "unknown " + path + " " + std::to_string(status.getSize()) + " " +
         std::to_string(llvm::sys::toTimeT(status.getLastModificationTime()));
}

const std::string &mlir::lowbit::jit::ptxasVersion() {
  static std::string version;
  static std::once_flag once;
  std::call_once(once, [] {
    std::optional<std::string> ptxas = findPtxas();
    version = ptxas ? ptxasVersionOf(*ptxas) : "none";
  });
  return version;
}

std::string CacheKey::hash() const {
  std::string parts;
  for (const std::string &part :
       {spec, arch, features, config, std::string(LOWBIT_VERSION),
        std::string(LOWBIT_COMPILER_FINGERPRINT), std::string(LLVM_VERSION_STRING), ptxasVersion()})
    parts += part + '\0';
  return sha256Hex(parts);
}

std::string KernelCache::pathOf(const std::string &key) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, key + kSuffix.str());
  return path.str().str();
}

namespace {
/// Parses a whole entry file; an error says why it is not a valid one.
llvm::Expected<CacheEntry> parseEntry(llvm::StringRef bytes) {
  if (!bytes.consume_front(kMagic))
    return jitError("not a lowbit kernel entry");
  auto [checksumLine, payload] = bytes.split('\n');
  if (!checksumLine.consume_front("sha256 ") || checksumLine != sha256Hex(payload))
    return jitError("checksum mismatch (truncated or corrupt)");
  auto [headerText, image] = payload.split('\n');
  llvm::Expected<llvm::json::Value> header = mlir::lowbit::parseJson(headerText);
  if (!header)
    return header.takeError();
  const llvm::json::Object *object = header->getAsObject();
  const llvm::json::Object *manifest = object ? object->getObject("manifest") : nullptr;
  if (!manifest)
    return jitError("header without a manifest");
  // Readers take the first kernel's entry as they are: a manifest without
  // kernel objects is a damaged entry, whatever its checksum.
  const llvm::json::Array *kernels = manifest->getArray("kernels");
  if (!kernels || kernels->empty() ||
      !llvm::all_of(*kernels, [](const llvm::json::Value &k) { return k.getAsObject(); }))
    return jitError("manifest without kernel entries");
  CacheEntry entry;
  entry.key = object->getString("key").value_or("").str();
  entry.spec = object->getString("spec").value_or("").str();
  entry.arch = object->getString("arch").value_or("").str();
  entry.cubin = object->getBoolean("cubin").value_or(false);
  entry.manifest = *manifest;
  entry.image = image.str();
  if (int64_t(entry.image.size()) != object->getInteger("image_bytes").value_or(-1))
    return jitError("image size differs from the header");
  return entry;
}
} // namespace

std::optional<CacheEntry> KernelCache::lookup(const std::string &key,
                                              std::string *problem) const {
  std::string path = pathOf(key);
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!file)
    return std::nullopt;
  llvm::Expected<CacheEntry> entry = parseEntry((*file)->getBuffer());
  std::string why;
  if (!entry)
    why = llvm::toString(entry.takeError());
  else if (entry->key != key)
    why = "written for another key";
  if (why.empty())
    return std::move(*entry);
  // Not removed: another process may have renamed a good entry into place
  // since it was read, and removing the path would delete that one. The
  // store after the rebuild replaces it atomically.
  if (problem)
    *problem = path + ": " + why + "; ignored (the rebuilt entry replaces it)";
  return std::nullopt;
}

llvm::Error KernelCache::store(const CacheEntry &entry) const {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return jitError("cannot create the kernel cache " + dir + ": " + ec.message());
  llvm::json::Object header{{"key", entry.key},
                            {"spec", entry.spec},
                            {"arch", entry.arch},
                            {"cubin", entry.cubin},
                            {"lowbit", LOWBIT_VERSION},
                            {"compiler", LOWBIT_COMPILER_FINGERPRINT},
                            {"llvm", LLVM_VERSION_STRING},
                            {"ptxas", ptxasVersion()},
                            {"image_bytes", int64_t(entry.image.size())},
                            {"manifest", llvm::json::Object(entry.manifest)}};
  std::string payload;
  llvm::raw_string_ostream(payload) << llvm::json::Value(std::move(header)) << "\n"
                                    << entry.image;
  return writeFileAtomically(pathOf(entry.key), [&](llvm::raw_ostream &os) {
    os << kMagic << "sha256 " << sha256Hex(payload) << "\n" << payload;
  });
}

llvm::Expected<std::vector<CacheListing>> KernelCache::list() const {
  std::vector<CacheListing> listing;
  // No folder yet: an empty cache. Something else in its place is an error
  // (listing it as empty would hide a mistyped --dir).
  if (!llvm::sys::fs::is_directory(dir)) {
    if (llvm::sys::fs::exists(dir))
      return jitError("cannot list " + dir + ": not a folder");
    return listing;
  }
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.ends_with(kSuffix))
      continue;
    CacheListing item;
    item.path = it->path();
    item.key = name.drop_back(kSuffix.size()).str();
    if (auto status = it->status())
      item.bytes = status->getSize();
    auto file = llvm::MemoryBuffer::getFile(item.path, /*IsText=*/false);
    llvm::Expected<CacheEntry> entry =
        file ? parseEntry((*file)->getBuffer()) : llvm::Expected<CacheEntry>(jitError("unreadable"));
    if (entry && entry->key == item.key) {
      item.spec = entry->spec;
      item.arch = entry->arch;
    } else {
      if (!entry)
        llvm::consumeError(entry.takeError());
      item.valid = false;
    }
    listing.push_back(std::move(item));
  }
  if (ec)
    return jitError("cannot list " + dir + ": " + ec.message());
  std::sort(listing.begin(), listing.end(),
            [](const CacheListing &a, const CacheListing &b) { return a.key < b.key; });
  return listing;
}

namespace {
/// Files in `dir` that writeFileAtomically left behind (a crashed writer):
/// its temporaries last written over ten minutes ago. A younger one may be
/// another process's entry about to be renamed into place.
std::vector<std::string> strayTemporaries(const std::string &dir) {
  std::vector<std::string> stray;
  auto cutoff = std::chrono::system_clock::now() - std::chrono::minutes(10);
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    if (!llvm::sys::path::filename(it->path()).contains(kSuffix.str() + ".tmp"))
      continue;
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(it->path(), status) && status.getLastModificationTime() < cutoff)
      stray.push_back(it->path());
  }
  return stray;
}
} // namespace

llvm::Expected<int64_t> KernelCache::clear() const {
  auto listing = list();
  if (!listing)
    return listing.takeError();
  int64_t removed = 0;
  for (const CacheListing &item : *listing)
    if (!llvm::sys::fs::remove(item.path))
      ++removed;
  for (const std::string &path : strayTemporaries(dir))
    if (!llvm::sys::fs::remove(path))
      ++removed;
  return removed;
}

llvm::Expected<int64_t> KernelCache::prune(uint64_t maxBytes) const {
  auto listing = list();
  if (!listing)
    return listing.takeError();
  int64_t removed = 0;
  struct Kept {
    std::string path;
    uint64_t bytes;
    llvm::sys::TimePoint<> written;
  };
  std::vector<Kept> kept;
  uint64_t total = 0;
  for (const CacheListing &item : *listing) {
    if (!item.valid) {
      removed += !llvm::sys::fs::remove(item.path);
      continue;
    }
    llvm::sys::fs::file_status status;
    llvm::sys::fs::status(item.path, status);
    kept.push_back({item.path, item.bytes, status.getLastModificationTime()});
    total += item.bytes;
  }
  for (const std::string &path : strayTemporaries(dir))
    removed += !llvm::sys::fs::remove(path);
  std::sort(kept.begin(), kept.end(),
            [](const Kept &a, const Kept &b) { return a.written < b.written; });
  for (const Kept &item : kept) {
    if (total <= maxBytes)
      break;
    if (!llvm::sys::fs::remove(item.path)) {
      ++removed;
      total -= item.bytes;
    }
  }
  return removed;
}
