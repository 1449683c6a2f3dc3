// tests/vision/preprocess_batch_util.h — random camera frames with padded strides, tiny models
// whose image input feeds y = x + 0 (or Dequantize for int8) and a Session that opens one, for
// the tests of Preprocessor::run_batch on the CPU (tests/vision) and on CUDA (tests/cuda).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/vision.h"

namespace strix::vision::testing {

// Used bytes of one row of plane p and rows of plane p (written out here, not taken from
// the library, so that a wrong formula there shows).
inline int test_row_bytes(PixelFormat f, int w, int p) {
  const int cw = (w + 1) / 2;
  switch (f) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR: return 3 * w;
    case PixelFormat::kGray8: return w;
    case PixelFormat::kNV12: return p == 0 ? w : 2 * cw;
    case PixelFormat::kI420: return p == 0 ? w : cw;
    default: return 4 * w;
  }
}
inline int test_rows(PixelFormat f, int h, int p) { return p == 0 ? h : (h + 1) / 2; }

// A frame of random bytes (padding included) whose rows are `pad` bytes longer than used.
struct Frame {
  std::vector<uint8_t> bytes;
  Image image;
  Frame() = default;
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
};

inline void fill_frame(Frame* fr, PixelFormat f, int w, int h, uint32_t seed, int pad = 13,
                       YuvMatrix matrix = YuvMatrix::kBT601, bool full_range = false) {
  const int planes = f == PixelFormat::kNV12 ? 2 : f == PixelFormat::kI420 ? 3 : 1;
  size_t offsets[3] = {0, 0, 0}, total = 0;
  int strides[3] = {0, 0, 0};
  for (int p = 0; p < planes; ++p) {
    strides[p] = test_row_bytes(f, w, p) + pad;
    offsets[p] = total;
    total += static_cast<size_t>(strides[p]) * test_rows(f, h, p);
  }
  fr->bytes.resize(total);
  std::mt19937 rng(seed);
  for (uint8_t& b : fr->bytes) b = static_cast<uint8_t>(rng() >> 24);
  fr->image = Image();
  fr->image.format = f;
  fr->image.width = w;
  fr->image.height = h;
  fr->image.matrix = matrix;
  fr->image.full_range = full_range;
  for (int p = 0; p < planes; ++p) {
    fr->image.planes[p] = fr->bytes.data() + offsets[p];
    fr->image.strides[p] = strides[p];
  }
}

// Input "image" [batch, c, h, w] (NCHW) or [batch, h, w, c] (NHWC) of `dtype`; f32/f16:
// y = image + 0 (the output equals the input, in the model layout, whatever the device
// layout); i8/u8 (scale `q_scale`, zero point `zp`): y = Dequantize(image).
inline std::vector<uint8_t> image_model(int batch, int c, int h, int w, bool nchw, DType dtype,
                                        float q_scale = 0.05f, int zp = 3) {
  writer::ModelBuilder b;
  const std::vector<int64_t> shape =
      nchw ? std::vector<int64_t>{batch, c, h, w} : std::vector<int64_t>{batch, h, w, c};
  const int x = b.add_input("image", dtype, shape);
  if (dtype == DType::kI8 || dtype == DType::kU8) {
    Quantization q;
    q.scales = {q_scale};
    q.zero_points = {zp};
    b.set_quantization(x, q);
    const int y = b.add_tensor("y", DType::kF32, shape);
    b.add_node("dq", fb::OpType::Dequantize, {x}, {y});
    b.mark_output(y);
  } else {
    int zero;
    if (dtype == DType::kF16) {
      const uint16_t z = 0;
      zero = b.add_constant("zero", DType::kF16, {1}, &z, sizeof(z));
    } else {
      zero = b.add_constant_f32("zero", {1}, {0.f});
    }
    const int y = b.add_tensor("y", dtype, shape);
    b.add_node("add", fb::OpType::Add, {x, zero}, {y});
    b.mark_output(y);
  }
  return b.finish();
}

inline InputContract make_contract(ColorOrder color, Layout layout, ResizeKind resize) {
  InputContract c;
  c.color = color;
  c.layout = layout;
  c.resize = resize;
  c.mean = {0.485f, 0.456f, 0.406f};
  c.std = {0.229f, 0.224f, 0.225f};
  c.pad_value = 114.f;
  if (color == ColorOrder::kGray) {
    c.mean = {0.5f};
    c.std = {0.25f};
  }
  return c;
}

// A model in memory, its Engine and one Context.
struct Session {
  std::vector<uint8_t> file;
  std::shared_ptr<Engine> engine;
  Context ctx;
};

inline std::unique_ptr<Session> open(std::vector<uint8_t> file, const char* device = "cpu") {
  auto s = std::make_unique<Session>();
  s->file = std::move(file);
  Result<Model> model = Model::from_buffer(s->file.data(), s->file.size());
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  if (!model.ok()) return nullptr;
  EngineOptions options;
  options.device = device;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), options);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  if (!engine.ok()) return nullptr;
  s->engine = engine.value();
  Result<Context> ctx = s->engine->create_context();
  EXPECT_TRUE(ctx.ok()) << ctx.status().to_string();
  if (!ctx.ok()) return nullptr;
  s->ctx = std::move(ctx).value();
  return s;
}

}  // namespace strix::vision::testing
