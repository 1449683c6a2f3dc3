// Preprocessor::run_batch on a CPU Context: every item equals Preprocessor::run() of its
// frame (NV12, I420, BGRx, RGB, GRAY8 at odd sizes and padded strides; f32, f16, i8; NCHW
// and NHWC), items past `count` are zero bytes, and every bad argument is a one-line
// kInvalidArgument that writes nothing. The device path is tested in
// tests/cuda/cuda_preprocess_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "strix/context.h"
#include "strix/engine.h"
#include "tests/vision/preprocess_batch_util.h"

namespace strix::vision::testing {
namespace {

// Items of run() for each frame, then zero bytes up to `batch` items.
std::vector<uint8_t> expected(const Preprocessor& p, const Frame* frames, int count, int batch) {
  std::vector<uint8_t> out(p.item_bytes() * batch, 0);
  for (int k = 0; k < count; ++k) {
    Status s = p.run(frames[k].image, out.data() + k * p.item_bytes());
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return out;
}

std::vector<uint8_t> input_bytes(const Context& ctx) {
  const TensorView v = ctx.input(0);
  const auto* b = static_cast<const uint8_t*>(v.data);
  return std::vector<uint8_t>(b, b + v.byte_size());
}

void check_batch(DType dtype, bool nchw, ResizeKind resize) {
  SCOPED_TRACE(std::string(dtype_name(dtype)) + (nchw ? " NCHW" : " NHWC") + " resize " +
               std::to_string(static_cast<int>(resize)));
  const int batch = 3, h = 37, w = 29;
  auto s = open(image_model(batch, 3, h, w, nchw, dtype));
  ASSERT_TRUE(s);
  Result<Preprocessor> pre = Preprocessor::create(
      make_contract(ColorOrder::kRGB, nchw ? Layout::kNCHW : Layout::kNHWC, resize),
      s->engine->input(0));
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  Frame frames[3];
  fill_frame(&frames[0], PixelFormat::kNV12, 641, 357, 1, 13, YuvMatrix::kBT709, true);
  fill_frame(&frames[1], PixelFormat::kI420, 99, 161, 2);
  fill_frame(&frames[2], PixelFormat::kBGRx, 45, 30, 3, 5);
  Image images[3] = {frames[0].image, frames[1].image, frames[2].image};

  ASSERT_TRUE(pre->run_batch(s->ctx, 0, images, 3).ok());
  EXPECT_EQ(input_bytes(s->ctx), expected(pre.value(), frames, 3, batch));
  // Two frames: the third item becomes zero bytes (it held frame 2 before).
  Status st = pre->run_batch(s->ctx, 0, images + 1, 2);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(input_bytes(s->ctx), expected(pre.value(), frames + 1, 2, batch));
  s->ctx.run();
  ASSERT_TRUE(s->ctx.last_error().ok());
}

TEST(PreprocessBatch, CpuContextMatchesRunPerItem) {
  check_batch(DType::kF32, true, ResizeKind::kLetterbox);
  check_batch(DType::kF32, false, ResizeKind::kCenterCrop);
  check_batch(DType::kF16, false, ResizeKind::kStretch);
  check_batch(DType::kF16, true, ResizeKind::kLetterbox);
  check_batch(DType::kI8, true, ResizeKind::kCenterCrop);
  check_batch(DType::kU8, false, ResizeKind::kLetterbox);
}

TEST(PreprocessBatch, GrayModelAndRunFeedsTheModel) {
  // A gray NCHW model fed RGB and GRAY8 frames; the run's output (x + 0) equals the input.
  auto s = open(image_model(2, 1, 17, 23, true, DType::kF32));
  ASSERT_TRUE(s);
  Result<Preprocessor> pre = Preprocessor::create(
      make_contract(ColorOrder::kGray, Layout::kNCHW, ResizeKind::kLetterbox), s->engine->input(0));
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  Frame frames[2];
  fill_frame(&frames[0], PixelFormat::kRGB, 64, 31, 4);
  fill_frame(&frames[1], PixelFormat::kGray8, 23, 40, 5);
  Image images[2] = {frames[0].image, frames[1].image};
  ASSERT_TRUE(pre->run_batch(s->ctx, 0, images, 2).ok());
  const std::vector<uint8_t> want = expected(pre.value(), frames, 2, 2);
  EXPECT_EQ(input_bytes(s->ctx), want);
  s->ctx.run();
  const TensorView out = s->ctx.output(0);
  ASSERT_EQ(out.byte_size(), want.size());
  EXPECT_EQ(std::memcmp(out.data, want.data(), want.size()), 0);
}

TEST(PreprocessBatch, BadArgumentsWriteNothing) {
  // A model with the image input and a second, non-image input.
  writer::ModelBuilder b;
  const int x = b.add_input("image", DType::kF32, {2, 3, 8, 8});
  const int t = b.add_input("scores", DType::kF32, {2, 10});
  const int zero = b.add_constant_f32("zero", {1}, {0.f});
  const int y = b.add_tensor("y", DType::kF32, {2, 3, 8, 8});
  const int u = b.add_tensor("u", DType::kF32, {2, 10});
  b.add_node("add", fb::OpType::Add, {x, zero}, {y});
  b.add_node("add2", fb::OpType::Add, {t, zero}, {u});
  b.mark_output(y);
  b.mark_output(u);
  auto s = open(b.finish());
  ASSERT_TRUE(s);
  Result<Preprocessor> pre = Preprocessor::create(
      make_contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch), s->engine->input(0));
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  Frame good, other;
  fill_frame(&good, PixelFormat::kNV12, 33, 21, 6);
  fill_frame(&other, PixelFormat::kRGBA, 10, 12, 7);
  const TensorView in = s->ctx.input(0);
  std::memset(in.data, 0x5A, in.byte_size());
  const std::vector<uint8_t> poisoned = input_bytes(s->ctx);

  auto expect_error = [&](Status st, const char* needle) {
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
    EXPECT_EQ(input_bytes(s->ctx), poisoned) << "written despite: " << st.message();
  };
  Image two[2] = {good.image, other.image};
  expect_error(pre->run_batch(s->ctx, 2, two, 1), "out of range");
  expect_error(pre->run_batch(s->ctx, -1, two, 1), "out of range");
  expect_error(pre->run_batch(s->ctx, 1, two, 1), "not the image input");
  expect_error(pre->run_batch(s->ctx, 0, nullptr, 1), "frames is null");
  expect_error(pre->run_batch(s->ctx, 0, two, 0), "0 frames");
  expect_error(pre->run_batch(s->ctx, 0, two, 3), "3 frames");
  two[1].planes[0] = nullptr;
  expect_error(pre->run_batch(s->ctx, 0, two, 2), "frame 1: RGBA frame: plane 0 is null");
  two[1] = other.image;
  two[1].strides[0] = 39;  // < 40 bytes per row
  expect_error(pre->run_batch(s->ctx, 0, two, 2), "frame 1: RGBA frame 10x12: plane 0 stride 39");
  two[0].planes[1] = nullptr;
  two[1] = other.image;
  expect_error(pre->run_batch(s->ctx, 0, two, 2), "frame 0: NV12 frame: plane 1 is null");

  // Another dtype than the Preprocessor's.
  auto f16 = open(image_model(2, 3, 8, 8, true, DType::kF16));
  ASSERT_TRUE(f16);
  Image one[1] = {good.image};
  Status st = pre->run_batch(f16->ctx, 0, one, 1);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_NE(st.message().find("not the image input"), std::string::npos) << st.message();
  // An unused Preprocessor.
  EXPECT_EQ(Preprocessor().run_batch(s->ctx, 0, one, 1).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strix::vision::testing
