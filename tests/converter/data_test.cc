// converter/data datasets: IDX (plain, gzip), folders of PNG / JPEG and npy files written at
// test time, checked against hand-computed pre-processing (mean/std, resize, colour), label
// mapping, fingerprints, and every error path naming the spec part and item.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "strix/npy.h"
#include "tests/converter/data_test_util.h"

namespace strix::testing::datatest {
namespace {

using data::Dataset;
using data::Sample;

std::vector<Sample> read_all(const Dataset& d) {
  std::vector<Sample> out(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) {
    Status s = d.read(i, &out[i]);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return out;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "value " << i;
}

// An error Status whose message contains every one of `parts`.
void expect_error(const Status& s, StatusCode code, const std::vector<std::string>& parts) {
  EXPECT_EQ(s.code(), code) << s.to_string();
  for (const std::string& p : parts)
    EXPECT_NE(s.message().find(p), std::string::npos) << s.message();
}

template <typename T>
void expect_error(const Result<T>& r, StatusCode code, const std::vector<std::string>& parts) {
  ASSERT_FALSE(r.ok());
  expect_error(r.status(), code, parts);
}

const std::vector<uint8_t> kGray3x2x3 = {0,   51,  102, 153, 204, 255,  // image 0
                                         7,   13,  29,  31,  37,  41,   // image 1
                                         250, 128, 64,  32,  16,  8};   // image 2

TEST(IdxDataset, PlainAndGzipGiveHandValuesLabelsAndFingerprints) {
  TempDir t;
  write_idx(t / "img", {3, 2, 3}, kGray3x2x3);
  write_idx(t / "img.gz", {3, 2, 3}, kGray3x2x3, true);
  write_idx(t / "lab", {3}, {2, 0, 1});
  InputContract c = contract(ColorOrder::kGray, {0.5f}, {0.25f});
  Model m = fc_model(1, 2, 3, 3, std::vector<float>(18, 0.f), {0, 0, 0}, &c, {"a", "b", "c"});
  auto plain = open("idx:" + t / "img" + "," + t / "lab", m);
  auto gz = open("idx:" + t / "img.gz" + "," + t / "lab", m);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  ASSERT_TRUE(gz.ok()) << gz.status().to_string();
  EXPECT_EQ(plain.value()->size(), 3);
  EXPECT_TRUE(plain.value()->has_labels());
  std::vector<Sample> a = read_all(*plain.value()), b = read_all(*gz.value());
  for (int i = 0; i < 3; ++i) {
    std::vector<float> want;
    for (int k = 0; k < 6; ++k) want.push_back((kGray3x2x3[i * 6 + k] / 255.f - 0.5f) / 0.25f);
    expect_near_all(a[i].input, want, 1e-5f);
    EXPECT_EQ(a[i].input, b[i].input);
  }
  EXPECT_EQ(a[0].label, 2);
  EXPECT_EQ(a[1].label, 0);
  EXPECT_EQ(a[2].label, 1);
  EXPECT_EQ(plain.value()->label(2), 1);
  // Fingerprint: the files' bytes as stored, back to back.
  std::vector<uint8_t> cat = read_bytes(t / "img"), lab = read_bytes(t / "lab");
  cat.insert(cat.end(), lab.begin(), lab.end());
  EXPECT_EQ(plain.value()->fingerprint(), sha256_of(cat));
  EXPECT_NE(gz.value()->fingerprint(), plain.value()->fingerprint());
  // Without labels.
  auto nolab = open("idx:" + t / "img", m);
  ASSERT_TRUE(nolab.ok()) << nolab.status().to_string();
  EXPECT_FALSE(nolab.value()->has_labels());
  Sample s;
  ASSERT_TRUE(nolab.value()->read(1, &s).ok());
  EXPECT_EQ(s.label, -1);
  EXPECT_EQ(nolab.value()->fingerprint(), sha256_of(read_bytes(t / "img")));
}

TEST(IdxDataset, StretchResizeAveragesBlocksAndRgbIsPerChannel) {
  TempDir t;
  // 4x4 gray -> 2x2: each output pixel samples the centre of a 2x2 block: its mean.
  std::vector<uint8_t> px(16);
  for (int i = 0; i < 16; ++i) px[i] = static_cast<uint8_t>(i * 13 + 5);
  write_idx(t / "gray", {1, 4, 4}, px);
  InputContract c = contract(ColorOrder::kGray, {0.25f}, {0.5f});
  Model m = fc_model(1, 2, 2, 2, std::vector<float>(8, 0.f), {0, 0}, &c);
  auto d = open("idx:" + t / "gray", m);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  std::vector<float> want;
  for (int by = 0; by < 2; ++by)
    for (int bx = 0; bx < 2; ++bx) {
      const int i = by * 8 + bx * 2;
      const float mean = (px[i] + px[i + 1] + px[i + 4] + px[i + 5]) / 4.f;
      want.push_back((mean / 255.f - 0.25f) / 0.5f);
    }
  expect_near_all(read_all(*d.value())[0].input, want, 1e-5f);

  // RGB [1, 2, 2, 3] into an NCHW RGB model with per-channel mean/std.
  const std::vector<uint8_t> rgb = {10, 20, 30, 40, 50, 60, 70, 80, 90, 200, 150, 100};
  write_idx(t / "rgb", {1, 2, 2, 3}, rgb);
  InputContract c3 = contract(ColorOrder::kRGB, {0.1f, 0.2f, 0.3f}, {0.5f, 0.25f, 2.f});
  Model m3 = fc_model(3, 2, 2, 2, std::vector<float>(24, 0.f), {0, 0}, &c3);
  auto d3 = open("idx:" + t / "rgb", m3);
  ASSERT_TRUE(d3.ok()) << d3.status().to_string();
  want.clear();
  for (int ch = 0; ch < 3; ++ch)
    for (int p = 0; p < 4; ++p)
      want.push_back((rgb[p * 3 + ch] / 255.f - c3.mean[ch]) / c3.std[ch]);
  expect_near_all(read_all(*d3.value())[0].input, want, 1e-5f);

  // The same RGB images into a gray model: BT.601 luma.
  Model mg = fc_model(1, 2, 2, 2, std::vector<float>(8, 0.f), {0, 0}, &c);
  auto dg = open("idx:" + t / "rgb", mg);
  ASSERT_TRUE(dg.ok()) << dg.status().to_string();
  want.clear();
  for (int p = 0; p < 4; ++p) {
    const float y = 0.299f * rgb[p * 3] + 0.587f * rgb[p * 3 + 1] + 0.114f * rgb[p * 3 + 2];
    want.push_back((y / 255.f - 0.25f) / 0.5f);
  }
  expect_near_all(read_all(*dg.value())[0].input, want, 1e-5f);
}

// Every PNG kind decodes to the pixels it holds: 8-bit gray, RGB, RGBA (alpha ignored), gray +
// alpha, 16-bit gray and RGB (scaled to 8 bits, rounded), palette, 1-bit gray.
TEST(FolderDataset, PngKindsDecodeToTheirPixels) {
  TempDir t;
  const std::string dir = t / "png";
  // 2x1 images into an RGB model of 2x1, mean 0 std 1: x = p / 255.
  write_png(dir + "/a_gray8.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {17, 230});
  write_png(dir + "/b_rgb8.png", 2, 1, PNG_COLOR_TYPE_RGB, 8, {1, 2, 3, 250, 251, 252});
  write_png(dir + "/c_rgba8.png", 2, 1, PNG_COLOR_TYPE_RGBA, 8, {9, 8, 7, 0, 90, 80, 70, 255});
  write_png(dir + "/d_ga8.png", 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {44, 1, 55, 200});
  // 16-bit big-endian, scaled v * 255 / 65535 = v / 257 and rounded (dropping the low byte
  // would give 20 and 201): 257 * 20 + 200 -> 20.78 -> 21; 257 * 200 + 100 -> 200.39 -> 200.
  const int g0 = 257 * 20 + 200, g1 = 257 * 200 + 100, g2 = 65535;
  write_png(dir + "/e_gray16.png", 2, 1, PNG_COLOR_TYPE_GRAY, 16,
            {uint8_t(g0 >> 8), uint8_t(g0), uint8_t(g1 >> 8), uint8_t(g1)});
  write_png(dir + "/f_rgb16.png", 2, 1, PNG_COLOR_TYPE_RGB, 16,
            {uint8_t(g0 >> 8), uint8_t(g0), uint8_t(g1 >> 8), uint8_t(g1), 0, 0, uint8_t(g2 >> 8),
             uint8_t(g2), 0, 0, uint8_t(g0 >> 8), uint8_t(g0)});
  write_png(dir + "/g_palette.png", 2, 1, PNG_COLOR_TYPE_PALETTE, 8, {1, 0},
            {{5, 6, 7}, {100, 110, 120}});
  write_png(dir + "/h_gray1.png", 2, 1, PNG_COLOR_TYPE_GRAY, 1, {0x80});  // pixels 1, 0
  const std::vector<std::vector<int>> want_px = {
      {17, 17, 17, 230, 230, 230}, {1, 2, 3, 250, 251, 252},    {9, 8, 7, 90, 80, 70},
      {44, 44, 44, 55, 55, 55},    {21, 21, 21, 200, 200, 200}, {21, 200, 0, 255, 0, 21},
      {100, 110, 120, 5, 6, 7},    {255, 255, 255, 0, 0, 0}};
  InputContract c = contract(ColorOrder::kRGB, {}, {});
  Model m = fc_model(3, 1, 2, 2, std::vector<float>(12, 0.f), {0, 0}, &c);
  auto d = open("folder:" + dir, m);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_FALSE(d.value()->has_labels());  // images directly in DIR
  ASSERT_EQ(d.value()->size(), 8);
  std::vector<Sample> s = read_all(*d.value());
  for (int i = 0; i < 8; ++i) {
    std::vector<float> want(6);  // NCHW: channel-major
    for (int p = 0; p < 2; ++p)
      for (int ch = 0; ch < 3; ++ch) want[ch * 2 + p] = want_px[i][p * 3 + ch] / 255.f;
    SCOPED_TRACE("image " + std::to_string(i));
    expect_near_all(s[i].input, want, 1e-6f);
    EXPECT_EQ(s[i].label, -1);
  }
}

TEST(FolderDataset, JpegGrayAndRgbAndLabelMapping) {
  TempDir t;
  const std::string dir = t / "jpg";
  // Uniform 16x16 images: JPEG at quality 100 keeps a flat colour within a step or two.
  std::vector<uint8_t> rgb(16 * 16 * 3), gray(16 * 16, 90);
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 200;
    rgb[i + 1] = 100;
    rgb[i + 2] = 50;
  }
  write_jpeg(dir + "/dog/1.jpg", 16, 16, 3, rgb);
  write_jpeg(dir + "/T-shirt_top/2.JPEG", 16, 16, 1, gray);
  write_bytes(dir + "/dog/notes.txt", {'h', 'i'});  // not an image: skipped
  // Model 2x2 RGB (resized from 16x16), labels naming both folders ('/' matched as '_').
  InputContract c = contract(ColorOrder::kRGB, {}, {});
  Model m = fc_model(3, 2, 2, 3, std::vector<float>(36, 0.f), {0, 0, 0}, &c,
                     {"cat", "T-shirt/top", "dog"});
  auto d = open("folder:" + dir + "/", m);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d.value()->size(), 2);
  EXPECT_TRUE(d.value()->has_labels());
  std::vector<Sample> s = read_all(*d.value());
  // Items by folder name: "T-shirt_top" < "dog".
  EXPECT_EQ(s[0].label, 1);
  EXPECT_EQ(s[1].label, 2);
  EXPECT_EQ(d.value()->label(0), 1);
  for (int i = 0; i < 12; ++i) {
    EXPECT_NEAR(s[0].input[i], 90 / 255.f, 2.5f / 255.f) << i;
    const int want = i < 4 ? 200 : i < 8 ? 100 : 50;
    EXPECT_NEAR(s[1].input[i], want / 255.f, 2.5f / 255.f) << i;
  }
  // CMYK (Adobe, inverted): C, M, Y, K = 200, 255, 100, 128 -> R, G, B = 100.4, 128, 50.2.
  std::vector<uint8_t> cmyk(16 * 16 * 4);
  for (size_t i = 0; i < cmyk.size(); i += 4) {
    cmyk[i] = 200;
    cmyk[i + 1] = 255;
    cmyk[i + 2] = 100;
    cmyk[i + 3] = 128;
  }
  write_jpeg(t / "cmyk/1.jpg", 16, 16, 4, cmyk);
  auto dc = open("folder:" + t / "cmyk", m);
  ASSERT_TRUE(dc.ok()) << dc.status().to_string();
  std::vector<Sample> sc = read_all(*dc.value());
  for (int i = 0; i < 12; ++i) {
    const float want = i < 4 ? 100.4f : i < 8 ? 128.f : 50.2f;
    EXPECT_NEAR(sc[0].input[i], want / 255.f, 3.f / 255.f) << "cmyk " << i;
  }
  // A model without labels: folders sorted by name give the index.
  Model nolabels = fc_model(3, 2, 2, 3, std::vector<float>(36, 0.f), {0, 0, 0}, &c);
  auto d2 = open("folder:" + dir, nolabels);
  ASSERT_TRUE(d2.ok()) << d2.status().to_string();
  EXPECT_EQ(d2.value()->label(0), 0);
  EXPECT_EQ(d2.value()->label(1), 1);
}

TEST(FolderDataset, FingerprintFollowsContentNotLocation) {
  TempDir t;
  write_png(t / "a/x/1.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {1, 2});
  write_png(t / "a/y/2.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {3, 4});
  write_png(t / "b/x/1.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {1, 2});
  write_png(t / "b/y/2.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {3, 4});
  write_png(t / "c/x/1.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {1, 2});
  write_png(t / "c/y/2.png", 2, 1, PNG_COLOR_TYPE_GRAY, 8, {3, 5});
  InputContract c = contract(ColorOrder::kGray, {}, {});
  Model m = fc_model(1, 1, 2, 2, std::vector<float>(4, 0.f), {0, 0}, &c);
  auto a = open("folder:" + t / "a", m), b = open("folder:" + t / "b", m),
       cc = open("folder:" + t / "c", m);
  ASSERT_TRUE(a.ok() && b.ok() && cc.ok());
  EXPECT_EQ(a.value()->fingerprint(), b.value()->fingerprint());
  EXPECT_NE(a.value()->fingerprint(), cc.value()->fingerprint());
  std::vector<uint8_t> want;
  for (const char* rel : {"x/1.png", "y/2.png"}) {
    want.insert(want.end(), rel, rel + std::strlen(rel) + 1);
    std::vector<uint8_t> f = read_bytes(t / "a/" + rel);
    want.insert(want.end(), f.begin(), f.end());
  }
  EXPECT_EQ(a.value()->fingerprint(), sha256_of(want));
}

TEST(NpyDataset, F32AsIsU8ImagesAndIntegerLabels) {
  TempDir t;
  InputContract c = contract(ColorOrder::kGray, {0.5f}, {0.5f});
  Model m = fc_model(1, 2, 2, 3, std::vector<float>(12, 0.f), {0, 0, 0}, &c, {"a", "b", "c"});
  const std::vector<float> f = {0.5f, -1.25f, 3.f, 7.f, -0.f, 1e-3f, 2.f, -9.f};
  ASSERT_TRUE(write_npy(t / "f.npy", DType::kF32, Shape{2, 1, 2, 2}, f.data()).ok());
  write_int_npy(t / "l64.npy", "<i8", {2}, {2, 0});
  auto d = open("npy:" + t / "f.npy" + "," + t / "l64.npy", m);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  std::vector<Sample> s = read_all(*d.value());
  EXPECT_EQ(s[0].input, std::vector<float>(f.begin(), f.begin() + 4));  // as is, exactly
  EXPECT_EQ(s[1].input, std::vector<float>(f.begin() + 4, f.end()));
  EXPECT_EQ(s[0].label, 2);
  EXPECT_EQ(s[1].label, 0);

  const std::vector<uint8_t> u = {0, 255, 51, 102, 10, 20, 30, 40};
  ASSERT_TRUE(write_npy(t / "u.npy", DType::kU8, Shape{2, 2, 2}, u.data()).ok());
  for (const char* descr : {"<i4", "|u1", "<i2"}) {
    write_int_npy(t / "l.npy", descr, {2, 1}, {1, 2});
    auto du = open("npy:" + t / "u.npy" + "," + t / "l.npy", m);
    ASSERT_TRUE(du.ok()) << descr << ": " << du.status().to_string();
    std::vector<Sample> su = read_all(*du.value());
    std::vector<float> want;
    for (int k = 0; k < 4; ++k) want.push_back((u[4 + k] / 255.f - 0.5f) / 0.5f);
    expect_near_all(su[1].input, want, 1e-5f);
    EXPECT_EQ(su[0].label, 1);
    EXPECT_EQ(su[1].label, 2);
  }
  // f32 data fits a model without a contract; images do not.
  Model bare = fc_model(1, 2, 2, 3, std::vector<float>(12, 0.f), {0, 0, 0}, nullptr);
  EXPECT_TRUE(open("npy:" + t / "f.npy", bare).ok());
  expect_error(open("npy:" + t / "u.npy", bare), StatusCode::kInvalidArgument,
               {t / "u.npy", "contract"});
}

TEST(DatasetErrors, SpecsAndFiles) {
  TempDir t;
  InputContract c = contract(ColorOrder::kGray, {}, {});
  Model m = fc_model(1, 2, 3, 3, std::vector<float>(18, 0.f), {0, 0, 0}, &c, {"a", "b", "c"});
  write_idx(t / "img", {3, 2, 3}, kGray3x2x3);
  write_idx(t / "lab", {3}, {0, 1, 2});
  expect_error(open("jpeg:" + t / "img", m), StatusCode::kInvalidArgument,
               {"jpeg:", "idx:IMAGES[,LABELS]"});
  expect_error(open("idx:", m), StatusCode::kInvalidArgument, {"idx:IMAGES[,LABELS]"});
  expect_error(open("idx:a,b,c", m), StatusCode::kInvalidArgument, {"idx:a,b,c"});
  expect_error(open("folder:a,b", m), StatusCode::kInvalidArgument, {"folder:DIR"});
  // Missing files.
  expect_error(open("idx:" + t / "none", m), StatusCode::kNotFound, {"idx images", t / "none"});
  expect_error(open("idx:" + t / "img," + t / "none", m), StatusCode::kNotFound,
               {"idx labels", t / "none"});
  expect_error(open("npy:" + t / "none.npy", m), StatusCode::kNotFound, {t / "none.npy"});
  expect_error(open("folder:" + t / "nodir", m), StatusCode::kNotFound, {t / "nodir"});
  // Bad magic, truncated data, wrong element type.
  write_bytes(t / "bad", {'P', 'K', 3, 4, 0, 0, 0, 0});
  expect_error(open("idx:" + t / "bad", m), StatusCode::kInvalidArgument,
               {t / "bad", "not an IDX file"});
  std::vector<uint8_t> trunc = read_bytes(t / "img");
  trunc.pop_back();
  write_bytes(t / "trunc", trunc);
  expect_error(open("idx:" + t / "trunc", m), StatusCode::kInvalidArgument,
               {t / "trunc", "[3x2x3]", "17 bytes"});
  std::vector<uint8_t> gz = read_bytes(t / "img");
  write_idx(t / "img.gz", {3, 2, 3}, kGray3x2x3, true);
  gz = read_bytes(t / "img.gz");
  gz.resize(gz.size() - 12);
  write_bytes(t / "cut.gz", gz);
  expect_error(open("idx:" + t / "cut.gz", m), StatusCode::kInvalidArgument,
               {t / "cut.gz", "gzip"});
  // Counts and label ranges.
  write_idx(t / "lab2", {2}, {0, 1});
  expect_error(open("idx:" + t / "img," + t / "lab2", m), StatusCode::kShapeMismatch,
               {t / "lab2", "2 labels for 3 images"});
  write_idx(t / "lab7", {3}, {0, 7, 1});
  expect_error(open("idx:" + t / "img," + t / "lab7", m), StatusCode::kInvalidArgument,
               {t / "lab7", "item 1", "label 7", "3 labels"});
  write_int_npy(t / "neg.npy", "<i8", {3}, {0, -1, 1});
  std::vector<float> f(18, 0.f);
  ASSERT_TRUE(write_npy(t / "f.npy", DType::kF32, Shape{3, 1, 2, 3}, f.data()).ok());
  expect_error(open("npy:" + t / "f.npy," + t / "neg.npy", m), StatusCode::kInvalidArgument,
               {t / "neg.npy", "item 1", "negative"});
  write_int_npy(t / "l4.npy", "<i4", {4}, {0, 1, 2, 0});
  expect_error(open("npy:" + t / "f.npy," + t / "l4.npy", m), StatusCode::kShapeMismatch,
               {"4 labels for 3 items"});
  // Shape mismatch of pre-processed data.
  ASSERT_TRUE(write_npy(t / "g.npy", DType::kF32, Shape{3, 1, 3, 2}, f.data()).ok());
  expect_error(open("npy:" + t / "g.npy", m), StatusCode::kShapeMismatch,
               {t / "g.npy", "[3x1x3x2]", "[1x2x3]"});
  // Images without a contract.
  Model bare = fc_model(1, 2, 3, 3, std::vector<float>(18, 0.f), {0, 0, 0}, nullptr);
  expect_error(open("idx:" + t / "img", bare), StatusCode::kInvalidArgument, {"contract", "npy"});
}

TEST(DatasetErrors, Folders) {
  TempDir t;
  InputContract c = contract(ColorOrder::kGray, {}, {});
  Model m = fc_model(1, 2, 2, 2, std::vector<float>(8, 0.f), {0, 0}, &c, {"cat", "dog"});
  std::filesystem::create_directories(t / "empty");
  expect_error(open("folder:" + t / "empty", m), StatusCode::kInvalidArgument,
               {t / "empty", "holds no images"});
  write_png(t / "f1/cat/1.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  std::filesystem::create_directories(t / "f1/dog");
  expect_error(open("folder:" + t / "f1", m), StatusCode::kInvalidArgument,
               {"class folder 'dog'", "holds no images"});
  write_png(t / "f2/cat/1.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  write_png(t / "f2/bird/1.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  expect_error(open("folder:" + t / "f2", m), StatusCode::kInvalidArgument,
               {"class folder 'bird'", "not among the model's labels", "cat, dog"});
  write_png(t / "f3/cat/1.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  write_png(t / "f3/2.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  expect_error(open("folder:" + t / "f3", m), StatusCode::kInvalidArgument, {"mixes"});
  // Undecodable images are named when read: garbage, a truncated PNG, a truncated JPEG.
  write_png(t / "f4/cat/good.png", 2, 2, PNG_COLOR_TYPE_GRAY, 8, {1, 2, 3, 4});
  write_bytes(t / "f4/dog/garbage.png", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'});
  std::vector<uint8_t> png = read_bytes(t / "f4/cat/good.png");
  png.resize(png.size() - 20);
  write_bytes(t / "f4/dog/short.png", png);
  std::vector<uint8_t> px(64 * 64, 7);
  write_jpeg(t / "jpg.jpg", 64, 64, 1, px);
  std::vector<uint8_t> jpg = read_bytes(t / "jpg.jpg");
  jpg.resize(jpg.size() / 2);
  write_bytes(t / "f4/dog/short.jpg", jpg);
  auto d = open("folder:" + t / "f4", m);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  ASSERT_EQ(d.value()->size(), 4);
  Sample s;
  EXPECT_TRUE(d.value()->read(0, &s).ok());
  expect_error(d.value()->read(1, &s), StatusCode::kInvalidArgument,
               {"dog/garbage.png", "neither a PNG nor a JPEG"});
  expect_error(d.value()->read(2, &s), StatusCode::kInvalidArgument, {"dog/short.jpg", "JPEG"});
  expect_error(d.value()->read(3, &s), StatusCode::kInvalidArgument, {"dog/short.png", "PNG"});
  expect_error(d.value()->read(4, &s), StatusCode::kInvalidArgument, {"out of range"});
}

}  // namespace
}  // namespace strix::testing::datatest
