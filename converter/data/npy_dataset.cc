// The npy: data spec — one .npy of all items and an optional .npy of labels.
//
// Data (strix::read_npy): f32 or f16 [N, <input dims>] is pre-processed already and used as
// is; u8 [N, H, W] (gray) or [N, H, W, C] with C = 1, 3 (RGB) or 4 (RGBA, alpha ignored) are
// images, pre-processed by the model's contract. Labels: an integer array [N] (or [N, 1]) of
// any width numpy writes (|i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8): numpy's default int64 included,
// which strix::read_npy does not read, so labels have their own small reader here.
#include <cstdint>
#include <cstring>
#include <new>

#include "converter/data/sources.h"
#include "strix/npy.h"

namespace strix::data::internal {
namespace {

// Finds the value of `key` in a .npy header dict: the text after "'key':" (spaces skipped).
const char* find_key(const std::string& header, const char* key) {
  for (const char* quote : {"'", "\""}) {
    const size_t at = header.find(std::string(quote) + key + quote);
    if (at == std::string::npos) continue;
    size_t p = header.find(':', at);
    if (p == std::string::npos) return nullptr;
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    return header.c_str() + p;
  }
  return nullptr;
}

Status read_labels_npy(const std::string& path, Sha256* hash, std::vector<int64_t>* labels,
                       std::vector<int64_t>* dims) {
  const std::string what = "npy labels '" + path + "'";
  std::vector<uint8_t> b;
  STRIX_RETURN_IF_ERROR(read_whole_file(path, "npy labels", &b));
  hash->update(b.data(), b.size());
  auto bad = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument, what + ": not a valid .npy file: " + why);
  };
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0)
    return bad("bad magic (expected \\x93NUMPY)");
  const int major = b[6];
  if (major < 1 || major > 3) return bad("format version " + std::to_string(major));
  const size_t len_bytes = major == 1 ? 2 : 4, prefix = 8 + len_bytes;
  if (b.size() < prefix) return bad("truncated header");
  size_t header_len = 0;
  for (size_t i = len_bytes; i-- > 0;) header_len = (header_len << 8) | b[8 + i];
  if (header_len > b.size() - prefix) return bad("truncated header");
  const std::string header(reinterpret_cast<const char*>(b.data() + prefix), header_len);

  const char* d = find_key(header, "descr");
  if (d == nullptr || (*d != '\'' && *d != '"')) return bad("no 'descr' string");
  const std::string descr(d + 1, std::strcspn(d + 1, "'\""));
  const char kind = descr.size() == 3 ? descr[1] : 0;
  const int width = descr.size() == 3 ? descr[2] - '0' : 0;
  const bool little = descr[0] == '<' || descr[0] == '|' || descr[0] == '=';
  if (!little || (kind != 'i' && kind != 'u') ||
      (width != 1 && width != 2 && width != 4 && width != 8))
    return Status(
        StatusCode::kUnsupported,
        what + ": labels must be little-endian integers (|u1, <i4, <i8, ...), not '" + descr + "'");
  const char* s = find_key(header, "shape");
  if (s == nullptr || *s != '(') return bad("no 'shape' tuple");
  dims->clear();
  for (++s; *s != ')' && *s != '\0';) {
    if (*s == ' ' || *s == ',') {
      ++s;
      continue;
    }
    if (*s < '0' || *s > '9') return bad("a shape dimension is not an integer");
    int64_t v = 0;
    while (*s >= '0' && *s <= '9' && v < (int64_t{1} << 40)) v = v * 10 + (*s++ - '0');
    dims->push_back(v);
  }
  if (dims->empty() || dims->size() > 2 || (dims->size() == 2 && (*dims)[1] != 1))
    return Status(StatusCode::kShapeMismatch,
                  what + " is " + Shape(*dims).to_string() + ": labels must be [N] or [N, 1]");
  const int64_t n = (*dims)[0];
  const size_t available = b.size() - prefix - header_len;
  if (static_cast<uint64_t>(n) * width != available)
    return bad("data is " + std::to_string(available) + " bytes, " + std::to_string(n) + " x " +
               descr + " needs " + std::to_string(n * width));
  labels->resize(static_cast<size_t>(n));
  const uint8_t* p = b.data() + prefix + header_len;
  for (int64_t i = 0; i < n; ++i, p += width) {
    uint64_t u = 0;
    for (int k = width - 1; k >= 0; --k) u = (u << 8) | p[k];
    int64_t v = static_cast<int64_t>(u);
    if (kind == 'i' && width < 8 && (u >> (8 * width - 1)) != 0)
      v = static_cast<int64_t>(u) - (int64_t{1} << (8 * width));  // sign-extend
    if (kind == 'u' && width == 8 && v < 0) v = INT64_MAX;        // out of range below
    (*labels)[static_cast<size_t>(i)] = v;
  }
  return Status::ok_status();
}

class NpyDataset : public Dataset {
 public:
  NpyDataset(std::string spec, std::string path, Target target)
      : spec_(std::move(spec)), path_(std::move(path)), target_(std::move(target)) {}

  Status open(const std::vector<std::string>& args) {
    const std::string what = "npy data '" + path_ + "'";
    Sha256 hash;
    std::vector<uint8_t> raw;
    STRIX_RETURN_IF_ERROR(read_whole_file(path_, "npy data", &raw));
    hash.update(raw.data(), raw.size());
    Result<NpyArray> a = parse_npy(raw.data(), raw.size(), what);
    if (!a.ok()) return a.status();
    raw = std::vector<uint8_t>();
    data_ = std::move(a.value());
    const Shape& s = data_.shape;
    if (s.rank() < 1 || s[0] == 0)
      return Status(StatusCode::kInvalidArgument, what + " is " + s.to_string() + ": no items");
    n_ = s[0];
    if (data_.dtype == DType::kF32 || data_.dtype == DType::kF16) {
      Shape item;
      for (int i = 1; i < s.rank(); ++i) item.push_back(s[i]);
      if (item != target_.item_shape)
        return Status(StatusCode::kShapeMismatch,
                      what + " is " + s.to_string() + " " + dtype_name(data_.dtype) +
                          ": pre-processed data must be [N] + the item shape " +
                          target_.item_shape.to_string() + " of input '" + target_.input_name +
                          "'");
    } else if (data_.dtype == DType::kU8) {
      if (s.rank() != 3 && !(s.rank() == 4 && (s[3] == 1 || s[3] == 3 || s[3] == 4)))
        return Status(StatusCode::kShapeMismatch,
                      what + " is " + s.to_string() +
                          " u8: images must be [N, H, W] or [N, H, W, C] with C = 1, 3 or 4");
      if (s[1] <= 0 || s[2] <= 0 || s[1] > (1 << 15) || s[2] > (1 << 15))
        return Status(StatusCode::kShapeMismatch,
                      what + " is " + s.to_string() + ": height and width must be in 1..32768");
      if (!target_.has_contract)
        return Status(
            StatusCode::kInvalidArgument,
            what + ": u8 images need the model's input contract, and " + target_.no_contract);
    } else {
      return Status(StatusCode::kUnsupported,
                    what + " holds " + dtype_name(data_.dtype) +
                        ": expected f32 or f16 (pre-processed items) or u8 (images)");
    }
    if (args.size() > 1) {
      std::vector<int64_t> dims;
      STRIX_RETURN_IF_ERROR(read_labels_npy(args[1], &hash, &labels_, &dims));
      const std::string lwhat = "npy labels '" + args[1] + "'";
      if (static_cast<int64_t>(labels_.size()) != n_)
        return Status(StatusCode::kShapeMismatch,
                      lwhat + " holds " + std::to_string(labels_.size()) + " labels for " +
                          std::to_string(n_) + " items in '" + path_ + "'");
      for (int64_t i = 0; i < n_; ++i)
        STRIX_RETURN_IF_ERROR(
            check_label(target_, labels_[i], lwhat + ": item " + std::to_string(i)));
      for (int64_t& v : labels_)
        if (v > INT32_MAX)
          return Status(StatusCode::kInvalidArgument,
                        lwhat + ": label " + std::to_string(v) + " does not fit an int");
    }
    fingerprint_ = hash.hex();
    return Status::ok_status();
  }

  int64_t size() const override { return n_; }
  bool has_labels() const override { return !labels_.empty(); }
  const std::string& spec() const override { return spec_; }
  std::string fingerprint() const override { return fingerprint_; }
  int label(int64_t index) const override {
    return labels_.empty() || index < 0 || index >= n_
               ? -1
               : static_cast<int>(labels_[static_cast<size_t>(index)]);
  }

  Status read(int64_t index, Sample* sample) const override {
    const std::string what = "npy data '" + path_ + "': item " + std::to_string(index);
    if (index < 0 || index >= n_)
      return Status(StatusCode::kInvalidArgument,
                    what + " is out of range (" + std::to_string(n_) + " items)");
    try {
      const Shape& s = data_.shape;
      const size_t item = static_cast<size_t>(s.num_elements() / n_);
      const uint8_t* base = data_.data.data() + item * dtype_size(data_.dtype) * index;
      if (data_.dtype == DType::kF32) {
        sample->input.resize(item);
        std::memcpy(sample->input.data(), base, item * sizeof(float));
      } else if (data_.dtype == DType::kF16) {
        sample->input.resize(item);
        const uint16_t* h = reinterpret_cast<const uint16_t*>(base);
        for (size_t i = 0; i < item; ++i) sample->input[i] = half_to_float(h[i]);
      } else {
        const int c = s.rank() == 4 ? static_cast<int>(s[3]) : 1;
        const vision::PixelFormat f = c == 1   ? vision::PixelFormat::kGray8
                                      : c == 3 ? vision::PixelFormat::kRGB
                                               : vision::PixelFormat::kRGBA;
        vision::Image im =
            vision::Image::packed(f, static_cast<int>(s[2]), static_cast<int>(s[1]), base);
        STRIX_RETURN_IF_ERROR(preprocess_image(target_, im, what, &sample->input));
      }
      sample->label = labels_.empty() ? -1 : static_cast<int>(labels_[index]);
      return Status::ok_status();
    } catch (const std::bad_alloc&) {
      return Status(StatusCode::kOutOfMemory, what + ": out of memory");
    }
  }

 private:
  std::string spec_, path_;
  Target target_;
  NpyArray data_;
  std::vector<int64_t> labels_;
  int64_t n_ = 0;
  std::string fingerprint_;
};

}  // namespace

Result<std::unique_ptr<Dataset>> open_npy(const std::string& spec,
                                          const std::vector<std::string>& args,
                                          const Target& target) {
  auto d = std::make_unique<NpyDataset>(spec, args[0], target);
  STRIX_RETURN_IF_ERROR(d->open(args));
  return std::unique_ptr<Dataset>(std::move(d));
}

}  // namespace strix::data::internal
