// tests/converter/data_test_util.h — helpers for the converter/data tests: a temporary
// folder, writers for IDX (plain and gzip), PNG (libpng), JPEG (libjpeg) and integer .npy
// files, SHA-256 of files, and small .strix models made with the writer. Everything is made
// at test time; no binary data is committed.
#pragma once

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <openssl/evp.h>
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "converter/data/dataset.h"
#include "converter/writer/model_builder.h"
#include "strix/model.h"
#include "strix_generated.h"

namespace strix::testing::datatest {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strix_data_XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::vector<uint8_t> out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  int c;
  while ((c = std::fgetc(f)) != EOF) out.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return out;
}

// An IDX u8 file: 00 00 08 rank, big-endian dims, data; gzipped with zlib when `gz`.
inline void write_idx(const std::string& path, const std::vector<uint32_t>& dims,
                      const std::vector<uint8_t>& data, bool gz = false) {
  std::vector<uint8_t> b = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  if (!gz) return write_bytes(path, b);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
  gzclose(f);
}

// A PNG of `color_type` (PNG_COLOR_TYPE_*) and `depth`; `data` holds the rows as libpng
// expects them (16-bit samples big-endian; palette images: indices, with `palette` RGB).
inline void write_png(const std::string& path, int width, int height, int color_type, int depth,
                      const std::vector<uint8_t>& data,
                      const std::vector<png_color>& palette = {}) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, depth, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  const size_t row = data.size() / height;
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(data.data() + row * y));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

// A baseline JPEG, quality 100, of 1 (gray), 3 (RGB) or 4 (CMYK, stored as given with an
// Adobe marker, which readers take as inverted CMYK: R = C * K / 255) components.
inline void write_jpeg(const std::string& path, int width, int height, int components,
                       const std::vector<uint8_t>& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = width;
  c.image_height = height;
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(data.data() + size_t{c.next_scanline} * width * components);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

// A .npy of little-endian integers: descr like "<i8", "<i4", "|u1".
inline void write_int_npy(const std::string& path, const std::string& descr,
                          const std::vector<int64_t>& shape, const std::vector<int64_t>& v) {
  const int width = descr[2] - '0';
  std::string shape_text = "(";
  for (int64_t d : shape) shape_text += std::to_string(d) + ", ";
  if (shape.size() > 1) shape_text.resize(shape_text.size() - 2);
  shape_text += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> b = {0x93,
                            'N',
                            'U',
                            'M',
                            'P',
                            'Y',
                            1,
                            0,
                            static_cast<uint8_t>(header.size() & 255),
                            static_cast<uint8_t>(header.size() >> 8)};
  b.insert(b.end(), header.begin(), header.end());
  for (int64_t x : v)
    for (int k = 0; k < width; ++k)
      b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(x) >> (8 * k)));
  write_bytes(path, b);
}

inline std::string sha256_of(const std::vector<uint8_t>& bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", d[i]);
    hex += buf;
  }
  return hex;
}

inline InputContract contract(ColorOrder color, std::vector<float> mean, std::vector<float> std) {
  InputContract c;
  c.color = color;
  c.mean = std::move(mean);
  c.std = std::move(std);
  return c;
}

// image [batch, c, h, w] -> Flatten "flat" [batch, c*h*w] -> FullyConnected (B [k, c*h*w],
// trans_b, bias [k]) -> "scores" [batch, k]. `contract` is stored when not null. `batch` -1
// makes the batch dynamic.
inline Model fc_model(int c, int h, int w, int k, const std::vector<float>& weights,
                      const std::vector<float>& bias, const InputContract* input_contract,
                      const std::vector<std::string>& labels = {}, int64_t batch = 1) {
  writer::ModelBuilder b;
  const int64_t n = int64_t{c} * h * w;
  int x = b.add_input("image", DType::kF32, {batch, c, h, w});
  int flat = b.add_tensor("flat", DType::kF32, {batch, n});
  auto fo = fb::CreateFlattenOptions(b.fbb(), 1);
  b.add_node("flatten", fb::OpType::Flatten, {x}, {flat}, fb::OpOptions::FlattenOptions,
             fo.Union());
  int wt = b.add_constant_f32("w", {k, n}, weights);
  int bt = b.add_constant_f32("b", {k}, bias);
  int y = b.add_tensor("scores", DType::kF32, {batch, k});
  auto act = fb::CreateActivation(b.fbb(), fb::ActivationKind::None, 0, 0);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), 1.f, 1.f, false, true, act);
  b.add_node("fc", fb::OpType::FullyConnected, {flat, wt, bt}, {y},
             fb::OpOptions::FullyConnectedOptions, opts.Union());
  b.mark_output(y);
  b.metadata().task = Task::kClassify;
  b.metadata().labels = labels;
  if (input_contract != nullptr) b.metadata().inputs.push_back(*input_contract);
  std::vector<uint8_t> file = b.finish();
  Result<Model> m = Model::from_buffer(file.data(), file.size());
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? m.value() : Model();
}

inline Result<std::unique_ptr<data::Dataset>> open(const std::string& spec, const Model& model) {
  return data::open_dataset(spec, model, model.input(0));
}

}  // namespace strix::testing::datatest
