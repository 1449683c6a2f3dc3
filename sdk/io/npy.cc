// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
//
// File layout: "\x93NUMPY" major minor, then the header length (u16 LE for 1.x, u32 LE for
// 2.x/3.x), then the header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the raw C-order element data.
// Nothing in the file is trusted: every length and dimension is checked before use.
#include "strix/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace strix {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// Upper bound on a header: numpy itself refuses headers over 10000 bytes by default.
constexpr size_t kMaxHeaderBytes = 1 << 20;

// Maps a descr string to a DType. Returns false for anything unsupported.
bool descr_to_dtype(const std::string& descr, DType* dtype) {
  // Single-byte types have no byte order; numpy writes '|' but accepts '<', '>', '='.
  if (descr == "|i1" || descr == "<i1" || descr == ">i1" || descr == "=i1" || descr == "i1" ||
      descr == "|b" || descr == "b") {
    *dtype = DType::kI8;
    return true;
  }
  if (descr == "|u1" || descr == "<u1" || descr == ">u1" || descr == "=u1" || descr == "u1" ||
      descr == "|B" || descr == "B") {
    *dtype = DType::kU8;
    return true;
  }
  if (descr == "<f4") {
    *dtype = DType::kF32;
    return true;
  }
  if (descr == "<f2") {
    *dtype = DType::kF16;
    return true;
  }
  if (descr == "<i4") {
    *dtype = DType::kI32;
    return true;
  }
  return false;
}

const char* dtype_to_descr(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "<f4";
    case DType::kF16: return "<f2";
    case DType::kI8: return "|i1";
    case DType::kU8: return "|u1";
    case DType::kI32: return "<i4";
  }
  return nullptr;
}

// A minimal parser for the header dict: string keys, values that are strings, True/False,
// or tuples of non-negative integers. Errors are reported through `error`.
class HeaderParser {
 public:
  HeaderParser(const char* text, size_t size) : p_(text), end_(text + size) {}

  bool parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape,
             std::string* error) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    if (!consume('{')) return fail(error, "header is not a dict (no '{')");
    for (;;) {
      skip_space();
      if (consume('}')) break;
      std::string key;
      if (!parse_string(&key)) return fail(error, "header dict has a key that is not a string");
      skip_space();
      if (!consume(':')) return fail(error, "header dict: no ':' after key '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (!parse_string(descr)) return fail(error, "header 'descr' is not a string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (!parse_bool(fortran_order))
          return fail(error, "header 'fortran_order' is not True or False");
        have_order = true;
      } else if (key == "shape") {
        std::string why;
        if (!parse_shape(shape, &why)) return fail(error, "header 'shape': " + why);
        have_shape = true;
      } else {
        return fail(error, "header dict has an unknown key '" + key + "'");
      }
      skip_space();
      if (consume(',')) continue;
      skip_space();
      if (consume('}')) break;
      return fail(error, "header dict: expected ',' or '}' after key '" + key + "'");
    }
    skip_space();
    if (p_ != end_) return fail(error, "header has bytes after the dict");
    if (!have_descr) return fail(error, "header has no 'descr'");
    if (!have_order) return fail(error, "header has no 'fortran_order'");
    if (!have_shape) return fail(error, "header has no 'shape'");
    return true;
  }

 private:
  static bool fail(std::string* error, const std::string& what) {
    *error = what;
    return false;
  }
  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool consume(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool parse_string(std::string* out) {
    if (p_ >= end_ || (*p_ != '\'' && *p_ != '"')) return false;
    char quote = *p_++;
    out->clear();
    while (p_ < end_ && *p_ != quote) {
      if (*p_ == '\\' || *p_ == '\n') return false;  // numpy never writes escapes here
      out->push_back(*p_++);
    }
    return consume(quote);
  }
  bool parse_word(const char* word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }
  bool parse_bool(bool* out) {
    if (parse_word("True")) {
      *out = true;
      return true;
    }
    if (parse_word("False")) {
      *out = false;
      return true;
    }
    return false;
  }
  // "(2, 3)", "(5,)", "()". Each dimension must fit int64 and the rank Shape::kMaxRank.
  bool parse_shape(std::vector<int64_t>* shape, std::string* why) {
    shape->clear();
    if (!consume('(')) return fail(why, "not a tuple");
    for (;;) {
      skip_space();
      if (consume(')')) return true;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return fail(why, "a dimension is not an integer");
      int64_t value = 0;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        int digit = *p_++ - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return fail(why, "a dimension overflows int64");
        value = value * 10 + digit;
      }
      if (p_ < end_ && *p_ == 'L') ++p_;  // Python 2 longs
      if (static_cast<int>(shape->size()) == Shape::kMaxRank)
        return fail(why, "rank exceeds " + std::to_string(Shape::kMaxRank));
      shape->push_back(value);
      skip_space();
      if (consume(',')) continue;
      skip_space();
      if (consume(')')) return true;
      return fail(why, "expected ',' or ')'");
    }
  }

  const char* p_;
  const char* end_;
};

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Status corrupt(const std::string& origin, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, origin + ": not a valid .npy file: " + what);
}

}  // namespace

Result<NpyArray> parse_npy(const uint8_t* bytes, size_t size, const std::string& origin) {
  if (bytes == nullptr && size != 0) return corrupt(origin, "no data");
  if (size < kMagicSize + 2)
    return corrupt(origin, "file is " + std::to_string(size) + " bytes, shorter than the magic");
  if (std::memcmp(bytes, kMagic, kMagicSize) != 0)
    return corrupt(origin, "bad magic (expected \\x93NUMPY)");
  const int major = bytes[6];
  const int minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    return Status(StatusCode::kUnsupported, origin + ": unsupported .npy format version " +
                                                std::to_string(major) + "." +
                                                std::to_string(minor));
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + len_bytes;
  if (size < prefix) return corrupt(origin, "truncated header length field");
  const size_t header_len = read_le(bytes + 8, static_cast<int>(len_bytes));
  if (header_len > kMaxHeaderBytes)
    return corrupt(origin, "header length " + std::to_string(header_len) + " is implausible");
  if (header_len > size - prefix)
    return corrupt(origin, "truncated header (needs " + std::to_string(header_len) +
                               " bytes, file has " + std::to_string(size - prefix) + ")");

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> dims;
  std::string error;
  HeaderParser parser(reinterpret_cast<const char*>(bytes + prefix), header_len);
  if (!parser.parse(&descr, &fortran_order, &dims, &error)) return corrupt(origin, error);

  NpyArray array;
  if (!descr_to_dtype(descr, &array.dtype)) {
    return Status(StatusCode::kUnsupported,
                  origin + ": unsupported dtype '" + descr +
                      "' (supported: <f4, <f2, |i1, |u1, <i4, little-endian)");
  }
  if (fortran_order) {
    return Status(StatusCode::kUnsupported,
                  origin + ": fortran_order True is not supported (save a C-order array)");
  }

  const size_t data_offset = prefix + header_len;
  const size_t available = size - data_offset;
  const uint64_t elem = dtype_size(array.dtype);
  uint64_t count = 1;
  for (int64_t d : dims) {
    uint64_t next;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &next) ||
        next > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return corrupt(origin, "shape " + Shape(dims).to_string() + " overflows int64");
    count = next;
  }
  uint64_t needed;
  if (__builtin_mul_overflow(count, elem, &needed) ||
      needed > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return corrupt(origin, "shape " + Shape(dims).to_string() + " overflows int64 bytes");
  if (needed != available) {
    return corrupt(origin, "data is " + std::to_string(available) + " bytes, shape " +
                               Shape(dims).to_string() + " " + dtype_name(array.dtype) + " needs " +
                               std::to_string(needed));
  }
  array.shape = Shape(dims);
  array.data.assign(bytes + data_offset, bytes + size);
  return array;
}

Result<NpyArray> read_npy(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  path + ": cannot open: " + std::strerror(err));
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  for (;;) {
    size_t n = std::fread(chunk, 1, sizeof(chunk), f);
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (n < sizeof(chunk)) break;
  }
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return Status(StatusCode::kIoError, path + ": read error: " + std::strerror(err));
  return parse_npy(bytes.data(), bytes.size(), path);
}

Status write_npy(const std::string& path, DType dtype, const Shape& shape, const void* data) {
  const char* descr = dtype_to_descr(dtype);
  if (descr == nullptr)
    return Status(StatusCode::kInvalidArgument, path + ": cannot write an unknown dtype");
  for (int64_t d : shape) {
    if (d < 0) {
      return Status(StatusCode::kInvalidArgument,
                    path + ": cannot write shape " + shape.to_string() + " (dynamic dimension)");
    }
  }
  const size_t bytes = static_cast<size_t>(shape.num_elements()) * dtype_size(dtype);
  if (bytes != 0 && data == nullptr)
    return Status(StatusCode::kInvalidArgument, path + ": no data to write");

  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < shape.rank(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.rank() == 1 || i + 1 < shape.rank()) dict += ",";
    if (i + 1 < shape.rank()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary; the header ends in '\n'.
  const size_t prefix = kMagicSize + 2 + 2;
  size_t total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');

  uint8_t head[prefix];
  std::memcpy(head, kMagic, kMagicSize);
  head[6] = 1;
  head[7] = 0;
  head[8] = static_cast<uint8_t>(dict.size() & 0xff);
  head[9] = static_cast<uint8_t>(dict.size() >> 8);

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  path + ": cannot create: " + std::strerror(err));
  }
  bool ok = std::fwrite(head, 1, prefix, f) == prefix &&
            std::fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
            (bytes == 0 || std::fwrite(data, 1, bytes, f) == bytes);
  int err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) return Status(StatusCode::kIoError, path + ": write error: " + std::strerror(err));
  return Status();
}

}  // namespace strix
