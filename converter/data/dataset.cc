// data::open_dataset: spec parsing, the model-derived Target every kind fills, and the helpers
// the kinds share (file reading, SHA-256, label checks, image pre-processing).
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "converter/data/dataset.h"
#include "converter/data/sources.h"

namespace strix::data {
namespace internal {

Status preprocess_image(const Target& target, const vision::Image& image, const std::string& what,
                        std::vector<float>* out) {
  if (!target.has_contract)
    return Status(StatusCode::kInvalidArgument,
                  what + ": images need the model's input contract, and " + target.no_contract);
  out->resize(static_cast<size_t>(target.elements));
  Status s = target.pre.run(image, out->data());
  if (!s.ok()) return Status(s.code(), what + ": " + s.message());
  return Status::ok_status();
}

Status check_label(const Target& target, int64_t label, const std::string& what) {
  if (label < 0)
    return make_status(StatusCode::kInvalidArgument, "%s: label %lld is negative", what.c_str(),
                       static_cast<long long>(label));
  if (!target.labels.empty() && label >= static_cast<int64_t>(target.labels.size()))
    return make_status(StatusCode::kInvalidArgument,
                       "%s: label %lld is out of range of the model's %zu labels", what.c_str(),
                       static_cast<long long>(label), target.labels.size());
  return Status::ok_status();
}

Status read_whole_file(const std::string& path, const std::string& what,
                       std::vector<uint8_t>* bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    return Status(e == ENOENT || e == ENOTDIR ? StatusCode::kNotFound : StatusCode::kIoError,
                  what + " '" + path + "': " + (e == ENOENT ? "no such file" : std::strerror(e)));
  }
  if (S_ISDIR(st.st_mode))
    return Status(StatusCode::kInvalidArgument, what + " '" + path + "' is a directory");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return Status(StatusCode::kIoError, what + " '" + path + "': " + std::strerror(errno));
  bytes->clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes->insert(bytes->end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status(StatusCode::kIoError, what + " '" + path + "': read error");
  return Status::ok_status();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr) EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(const void* data, size_t size) {
  if (ctx_ != nullptr && size > 0) EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (ctx_ == nullptr || EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &n) != 1)
    return std::string();
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace internal

namespace {

const char kSpecForms[] = "idx:IMAGES[,LABELS], folder:DIR or npy:FILE[,LABELS]";

Result<internal::Target> make_target(const Model& model, const TensorInfo& input) {
  internal::Target t;
  t.input_name = input.name;
  t.labels = model.metadata().labels;
  if (input.shape.rank() < 1)
    return make_status(StatusCode::kShapeMismatch,
                       "input '%s' is a scalar: data items need a batch dimension",
                       input.name.c_str());
  t.elements = 1;
  for (int i = 1; i < input.shape.rank(); ++i) {
    if (input.shape[i] <= 0)
      return make_status(StatusCode::kShapeMismatch,
                         "input '%s' is %s: only the batch dimension may be dynamic",
                         input.name.c_str(), input.shape.to_string().c_str());
    t.item_shape.push_back(input.shape[i]);
    t.elements *= input.shape[i];
  }
  const InputContract* contract = nullptr;
  for (const InputContract& c : model.metadata().inputs)
    if (c.input_index == 0) contract = &c;
  if (contract == nullptr) {
    t.no_contract = "the model has none (only f32 npy data fits it)";
    return t;
  }
  TensorInfo f32 = input;  // what the device pre-processes into: f32, batch 1
  f32.dtype = DType::kF32;
  f32.quantization = Quantization();
  f32.shape[0] = 1;
  Result<vision::Preprocessor> pre = vision::Preprocessor::create(*contract, f32);
  if (!pre.ok()) {
    t.no_contract = "the model's contract does not fit its input: " + pre.status().message();
    return t;
  }
  t.pre = pre.value();
  t.has_contract = true;
  return t;
}

}  // namespace

Result<std::unique_ptr<Dataset>> open_dataset(const std::string& spec, const Model& model,
                                              const TensorInfo& input) {
  try {
    const size_t colon = spec.find(':');
    const std::string kind = colon == std::string::npos ? std::string() : spec.substr(0, colon);
    if (kind != "idx" && kind != "folder" && kind != "npy")
      return Status(StatusCode::kInvalidArgument,
                    "data spec '" + spec + "': expected " + kSpecForms);
    std::vector<std::string> args;
    const std::string rest = spec.substr(colon + 1);
    size_t start = 0;
    for (;;) {
      const size_t comma = rest.find(',', start);
      args.push_back(rest.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    const size_t max_args = kind == "folder" ? 1 : 2;
    for (const std::string& a : args)
      if (a.empty() || args.size() > max_args)
        return Status(StatusCode::kInvalidArgument, "data spec '" + spec + "': expected " +
                                                        (kind == "idx"      ? "idx:IMAGES[,LABELS]"
                                                         : kind == "folder" ? "folder:DIR"
                                                                            : "npy:FILE[,LABELS]") +
                                                        " (paths may not contain commas)");
    Result<internal::Target> target = make_target(model, input);
    if (!target.ok()) return target.status();
    if (kind == "idx") return internal::open_idx(spec, args, target.value());
    if (kind == "folder") return internal::open_folder(spec, args, target.value());
    return internal::open_npy(spec, args, target.value());
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "data spec '" + spec + "': out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, "data spec '" + spec + "': " + e.what());
  }
}

}  // namespace strix::data
