// Model storage: read-only mmap of a file, or a 64-byte aligned copy of a caller's buffer.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "sdk/src/model_impl.h"

namespace strix {
namespace {

class MappedBytes : public ModelBytes {
 public:
  MappedBytes(void* base, size_t size) : base_(base), size_(size) {}
  ~MappedBytes() override {
    if (base_ != nullptr) munmap(base_, size_);
  }
  const uint8_t* data() const override { return static_cast<const uint8_t*>(base_); }
  size_t size() const override { return size_; }

 private:
  void* base_;
  size_t size_;
};

class HeapBytes : public ModelBytes {
 public:
  explicit HeapBytes(size_t size) : size_(size) {
    data_ = static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) & ~size_t(63)));
  }
  ~HeapBytes() override { std::free(data_); }
  const uint8_t* data() const override { return data_; }
  uint8_t* mutable_data() { return data_; }
  size_t size() const override { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

}  // namespace

Result<Model> Model::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    StatusCode code = err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError;
    return make_status(code, "cannot open model '%s': %s", path.c_str(), std::strerror(err));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_status(StatusCode::kIoError, "model '%s' is not a regular file", path.c_str());
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return make_status(StatusCode::kCorruptModel, "model '%s' is empty (0 bytes)", path.c_str());
  }
  void* base = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (base == MAP_FAILED)
    return make_status(StatusCode::kIoError, "cannot map model '%s': %s", path.c_str(),
                       std::strerror(err));
  Result<std::shared_ptr<const ModelImpl>> impl =
      load_model(std::make_unique<MappedBytes>(base, size), path);
  if (!impl.ok()) return impl.status();
  return Model(std::move(impl).value());
}

Result<Model> Model::from_buffer(const void* data, size_t size) {
  if (data == nullptr || size == 0)
    return make_status(StatusCode::kCorruptModel, "model buffer is empty");
  auto bytes = std::make_unique<HeapBytes>(size);
  if (bytes->data() == nullptr)
    return make_status(StatusCode::kOutOfMemory, "cannot allocate %zu bytes for the model", size);
  std::memcpy(bytes->mutable_data(), data, size);
  Result<std::shared_ptr<const ModelImpl>> impl = load_model(std::move(bytes), "<buffer>");
  if (!impl.ok()) return impl.status();
  return Model(std::move(impl).value());
}

}  // namespace strix
