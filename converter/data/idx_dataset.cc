// The idx: data spec — IDX files (the MNIST format), gzipped or not.
//
// An IDX file is: two zero bytes, a type byte (0x08 = u8), a rank byte, one big-endian u32
// per dimension, then the elements in C order. Images are u8 [N, H, W] (gray) or
// [N, H, W, C] with C = 1 or 3 (RGB); labels are u8 [N]. Gzip is recognized by its magic
// bytes, not the file name; both files are held in memory, decompressed.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

#include "converter/data/sources.h"

namespace strix::data::internal {
namespace {

Status gunzip(const std::vector<uint8_t>& in, const std::string& what, std::vector<uint8_t>* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return Status(StatusCode::kOutOfMemory, what + ": cannot set up zlib");
  out->clear();
  size_t pos = 0;
  int rc = Z_OK;
  uint8_t buf[1 << 16];
  for (;;) {
    if (zs.avail_in == 0 && pos < in.size()) {
      const size_t n = std::min<size_t>(in.size() - pos, UINT_MAX);
      zs.next_in = const_cast<Bytef*>(in.data() + pos);
      zs.avail_in = static_cast<uInt>(n);
      pos += n;
    }
    zs.next_out = buf;
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out->insert(out->end(), buf, buf + (sizeof(buf) - zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && pos == in.size()) break;
      inflateReset(&zs);  // concatenated gzip members, as gzip -d reads them
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && pos == in.size()) break;  // truncated
    if (rc != Z_OK) break;
  }
  const std::string msg = zs.msg != nullptr ? zs.msg : "";
  inflateEnd(&zs);
  if (rc == Z_STREAM_END) return Status::ok_status();
  if (rc == Z_BUF_ERROR)
    return Status(StatusCode::kInvalidArgument, what + ": gzip data is truncated");
  return Status(StatusCode::kInvalidArgument,
                what + ": gzip data is corrupt" + (msg.empty() ? "" : " (" + msg + ")"));
}

struct IdxArray {
  std::vector<uint8_t> bytes;  // the whole file, decompressed
  size_t offset = 0;           // of the first element
  std::vector<int64_t> dims;
};

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s + "]";
}

// Reads, decompresses, hashes (the file's own bytes) and parses one IDX file.
Status load_idx(const std::string& path, const std::string& part, Sha256* hash, IdxArray* a) {
  const std::string what = part + " '" + path + "'";
  std::vector<uint8_t> raw;
  STRIX_RETURN_IF_ERROR(read_whole_file(path, part, &raw));
  hash->update(raw.data(), raw.size());
  if (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
    STRIX_RETURN_IF_ERROR(gunzip(raw, what, &a->bytes));
  } else {
    a->bytes = std::move(raw);
  }
  const std::vector<uint8_t>& b = a->bytes;
  if (b.size() < 4)
    return Status(StatusCode::kInvalidArgument,
                  what + ": " + std::to_string(b.size()) + " bytes, too short for an IDX header");
  if (b[0] != 0 || b[1] != 0 || b[3] == 0) {
    char magic[64];
    std::snprintf(magic, sizeof(magic), "%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
    return Status(StatusCode::kInvalidArgument,
                  what + ": not an IDX file (magic " + magic + ", expected 00 00 TYPE RANK)");
  }
  if (b[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof(type), "0x%02x", b[2]);
    return Status(StatusCode::kUnsupported, what + ": element type " + type +
                                                " is not supported (only unsigned bytes, 0x08)");
  }
  const int rank = b[3];
  a->offset = 4 + 4 * static_cast<size_t>(rank);
  if (b.size() < a->offset)
    return Status(StatusCode::kInvalidArgument,
                  what + ": truncated header (rank " + std::to_string(rank) + ")");
  uint64_t count = 1;
  bool too_big = false;
  for (int i = 0; i < rank; ++i) {
    const uint8_t* p = b.data() + 4 + 4 * i;
    const int64_t d = (int64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    a->dims.push_back(d);
    count *= static_cast<uint64_t>(d);
    if (count > b.size()) too_big = true;  // stays true: no overflow past this point matters
  }
  const size_t data = b.size() - a->offset;
  if (too_big || count != data)
    return Status(StatusCode::kInvalidArgument, what + ": the header says " + dims_text(a->dims) +
                                                    " but the file holds " + std::to_string(data) +
                                                    " bytes of elements");
  return Status::ok_status();
}

class IdxDataset : public Dataset {
 public:
  IdxDataset(std::string spec, std::string path, Target target)
      : spec_(std::move(spec)), path_(std::move(path)), target_(std::move(target)) {}

  Status open(const std::vector<std::string>& args) {
    Sha256 hash;
    STRIX_RETURN_IF_ERROR(load_idx(path_, "idx images", &hash, &images_));
    const std::string what = "idx images '" + path_ + "'";
    const std::vector<int64_t>& d = images_.dims;
    if ((d.size() != 3 && d.size() != 4) || (d.size() == 4 && d[3] != 1 && d[3] != 3))
      return Status(StatusCode::kShapeMismatch,
                    what + " is " + dims_text(d) +
                        ": images must be [N, H, W] or [N, H, W, C] with C = 1 or 3");
    n_ = d[0];
    height_ = static_cast<int>(d[1]);
    width_ = static_cast<int>(d[2]);
    channels_ = d.size() == 4 ? static_cast<int>(d[3]) : 1;
    if (n_ == 0) return Status(StatusCode::kInvalidArgument, what + " holds no images");
    if (height_ == 0 || width_ == 0 || height_ > (1 << 15) || width_ > (1 << 15))
      return Status(StatusCode::kShapeMismatch,
                    what + " is " + dims_text(d) + ": height and width must be in 1..32768");
    if (!target_.has_contract)
      return Status(StatusCode::kInvalidArgument,
                    what + ": images need the model's input contract, and " + target_.no_contract);
    if (args.size() > 1) {
      const std::string& lpath = args[1];
      IdxArray labels;
      STRIX_RETURN_IF_ERROR(load_idx(lpath, "idx labels", &hash, &labels));
      const std::string lwhat = "idx labels '" + lpath + "'";
      if (labels.dims.size() != 1)
        return Status(StatusCode::kShapeMismatch,
                      lwhat + " is " + dims_text(labels.dims) + ": labels must be [N]");
      if (labels.dims[0] != n_)
        return Status(StatusCode::kShapeMismatch,
                      lwhat + " holds " + std::to_string(labels.dims[0]) + " labels for " +
                          std::to_string(n_) + " images in '" + path_ + "'");
      labels_.assign(labels.bytes.begin() + labels.offset, labels.bytes.end());
      for (int64_t i = 0; i < n_; ++i)
        STRIX_RETURN_IF_ERROR(
            check_label(target_, labels_[i], lwhat + ": item " + std::to_string(i)));
    }
    fingerprint_ = hash.hex();
    return Status::ok_status();
  }

  int64_t size() const override { return n_; }
  bool has_labels() const override { return !labels_.empty(); }
  const std::string& spec() const override { return spec_; }
  std::string fingerprint() const override { return fingerprint_; }
  int label(int64_t index) const override {
    return labels_.empty() || index < 0 || index >= n_ ? -1 : labels_[static_cast<size_t>(index)];
  }

  Status read(int64_t index, Sample* sample) const override {
    const std::string what = "idx images '" + path_ + "': item " + std::to_string(index);
    if (index < 0 || index >= n_)
      return Status(StatusCode::kInvalidArgument,
                    what + " is out of range (" + std::to_string(n_) + " images)");
    try {
      const size_t item = static_cast<size_t>(height_) * width_ * channels_;
      const uint8_t* pixels = images_.bytes.data() + images_.offset + item * index;
      vision::Image im = vision::Image::packed(
          channels_ == 1 ? vision::PixelFormat::kGray8 : vision::PixelFormat::kRGB, width_, height_,
          pixels);
      STRIX_RETURN_IF_ERROR(preprocess_image(target_, im, what, &sample->input));
      sample->label = labels_.empty() ? -1 : labels_[index];
      return Status::ok_status();
    } catch (const std::bad_alloc&) {
      return Status(StatusCode::kOutOfMemory, what + ": out of memory");
    }
  }

 private:
  std::string spec_, path_;
  Target target_;
  IdxArray images_;
  std::vector<uint8_t> labels_;
  int64_t n_ = 0;
  int height_ = 0, width_ = 0, channels_ = 1;
  std::string fingerprint_;
};

}  // namespace

Result<std::unique_ptr<Dataset>> open_idx(const std::string& spec,
                                          const std::vector<std::string>& args,
                                          const Target& target) {
  auto d = std::make_unique<IdxDataset>(spec, args[0], target);
  STRIX_RETURN_IF_ERROR(d->open(args));
  return std::unique_ptr<Dataset>(std::move(d));
}

}  // namespace strix::data::internal
