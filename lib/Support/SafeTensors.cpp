//===- SafeTensors.cpp - .safetensors files -------------------------------===//
#include "lowbit/Support/SafeTensors.h"

#include "lowbit/Support/ArrayBytes.h"
#include "lowbit/Support/Json.h"
#include "lowbit/Support/Npy.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::lowbit;

static llvm::Error fileError(const std::string &path, const std::string &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

size_t mlir::lowbit::safeTensorsElementSize(const std::string &dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},     {"BF16", 2},   {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},      {"U8", 1},     {"BOOL", 1},
      {"U16", 2}, {"U32", 4}, {"U64", 8},     {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

int64_t SafeTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Expected<SafeTensorsFile> SafeTensorsFile::read(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 8)
    return fileError(path, "not a safetensors file (shorter than its header length)");
  uint64_t headerLength = 0;
  for (int i = 0; i < 8; ++i)
    headerLength |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  if (headerLength > bytes.size() - 8)
    return fileError(path, "header length " + std::to_string(headerLength) +
                               " exceeds the file");
  llvm::Expected<llvm::json::Value> header = parseJson(bytes.substr(8, headerLength));
  if (!header)
    return fileError(path, "malformed header: " +
                               llvm::toString(header.takeError()));
  const llvm::json::Object *entries = header->getAsObject();
  if (!entries)
    return fileError(path, "header is not a JSON object");
  llvm::StringRef data = bytes.drop_front(8 + headerLength);

  SafeTensorsFile file;
  file.path = path;
  for (const auto &[key, value] : *entries) {
    std::string name = key.str();
    if (name == "__metadata__")
      continue;
    const llvm::json::Object *entry = value.getAsObject();
    auto bad = [&](const std::string &what) {
      return fileError(path, "tensor '" + name + "': " + what);
    };
    if (!entry)
      return bad("entry is not an object");
    std::optional<llvm::StringRef> dtype = entry->getString("dtype");
    const llvm::json::Array *shape = entry->getArray("shape");
    const llvm::json::Array *offsets = entry->getArray("data_offsets");
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return bad("needs dtype, shape and two data_offsets");
    SafeTensor tensor;
    tensor.dtype = dtype->str();
    size_t elementSize = safeTensorsElementSize(tensor.dtype);
    if (!elementSize)
      return bad("unknown dtype '" + tensor.dtype + "'");
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> size = d.getAsInteger();
      if (!size || *size < 0 || *size > (int64_t(1) << 40))
        return bad("bad shape");
      tensor.shape.push_back(*size);
    }
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin ||
        uint64_t(*end) > data.size())
      return bad("data_offsets out of range");
    std::optional<uint64_t> expected = arrayBytes(tensor.shape, elementSize);
    if (!expected)
      return bad("shape needs more bytes than 64 bits count");
    if (uint64_t(*end - *begin) != *expected)
      return bad("holds " + std::to_string(*end - *begin) + " bytes, dtype and shape need " +
                 std::to_string(*expected));
    tensor.data.assign(data.begin() + *begin, data.begin() + *end);
    file.tensors.emplace(name, std::move(tensor));
  }
  return file;
}

llvm::Expected<const SafeTensor &>
SafeTensorsFile::get(const std::string &name) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return fileError(path, "no tensor '" + name + "'");
  return it->second;
}

llvm::Error SafeTensorsFile::write(const std::string &outPath) const {
  llvm::json::Object header;
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    llvm::json::Array shape;
    for (int64_t d : tensor.shape)
      shape.push_back(d);
    header[name] = llvm::json::Object{
        {"dtype", tensor.dtype},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{int64_t(offset),
                                           int64_t(offset + tensor.data.size())}}};
    offset += tensor.data.size();
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  text.append((8 - text.size() % 8) % 8, ' ');

  return writeFileAtomically(outPath, [&](llvm::raw_ostream &os) {
    uint64_t length = text.size();
    for (int i = 0; i < 8; ++i)
      os << char((length >> (8 * i)) & 0xff);
    os << text;
    for (const auto &[name, tensor] : tensors)
      os.write(reinterpret_cast<const char *>(tensor.data.data()),
               tensor.data.size());
  });
}
