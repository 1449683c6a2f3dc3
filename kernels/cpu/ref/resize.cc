#include "kernels/cpu/ref/resize.h"

#include <cmath>

namespace strix::kernels::ref {

float resize_source_coordinate(float x_out, float scale, int64_t in_len, int64_t out_len,
                               fb::CoordinateMode mode) {
  switch (mode) {
    case fb::CoordinateMode::HalfPixel: return (x_out + 0.5f) / scale - 0.5f;
    case fb::CoordinateMode::PytorchHalfPixel:
      return out_len > 1 ? (x_out + 0.5f) / scale - 0.5f : 0.f;
    case fb::CoordinateMode::AlignCorners:
      return out_len == 1
                 ? 0.f
                 : x_out * static_cast<float>(in_len - 1) / static_cast<float>(out_len - 1);
    case fb::CoordinateMode::Asymmetric: return x_out / scale;
    case fb::CoordinateMode::TfHalfPixelForCenters: return (x_out + 0.5f) / scale;
  }
  return 0.f;
}

int64_t resize_nearest_index(float x, int64_t in_len, fb::NearestMode mode) {
  float f = std::floor(x);
  float r = 0.f;
  switch (mode) {
    case fb::NearestMode::RoundPreferFloor: r = x - f == 0.5f ? f : std::round(x); break;
    case fb::NearestMode::RoundPreferCeil: r = x - f == 0.5f ? f + 1.f : std::round(x); break;
    case fb::NearestMode::Floor: r = f; break;
    case fb::NearestMode::Ceil: r = std::ceil(x); break;
  }
  if (!(r >= 0.f)) return 0;
  if (r >= static_cast<float>(in_len - 1)) return in_len - 1;
  return static_cast<int64_t>(r);
}

namespace {

// Clamped source coordinate for Linear: its lower neighbour i0, upper i1 and weight of i1.
void linear_neighbours(float x, int64_t in_len, int64_t* i0, int64_t* i1, float* w1) {
  float max = static_cast<float>(in_len - 1);
  x = x < 0.f ? 0.f : (x > max ? max : x);
  *i0 = static_cast<int64_t>(x);
  *i1 = *i0 + 1 < in_len ? *i0 + 1 : in_len - 1;
  *w1 = x - static_cast<float>(*i0);
}

}  // namespace

void resize_nchw_f32(const ResizeParams& p, const float* x, int64_t planes, int64_t in_h,
                     int64_t in_w, int64_t out_h, int64_t out_w, float* y) {
  for (int64_t c = 0; c < planes; ++c) {
    const float* src = x + c * in_h * in_w;
    float* dst = y + c * out_h * out_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      float sy = resize_source_coordinate(static_cast<float>(oh), p.scale_h, in_h, out_h,
                                          p.coordinate_mode);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        float sx = resize_source_coordinate(static_cast<float>(ow), p.scale_w, in_w, out_w,
                                            p.coordinate_mode);
        if (p.mode == fb::ResizeMode::Nearest) {
          int64_t iy = resize_nearest_index(sy, in_h, p.nearest_mode);
          int64_t ix = resize_nearest_index(sx, in_w, p.nearest_mode);
          dst[oh * out_w + ow] = src[iy * in_w + ix];
          continue;
        }
        int64_t y0, y1, x0, x1;
        float wy, wx;
        linear_neighbours(sy, in_h, &y0, &y1, &wy);
        linear_neighbours(sx, in_w, &x0, &x1, &wx);
        float top = (1.f - wx) * src[y0 * in_w + x0] + wx * src[y0 * in_w + x1];
        float bottom = (1.f - wx) * src[y1 * in_w + x0] + wx * src[y1 * in_w + x1];
        dst[oh * out_w + ow] = (1.f - wy) * top + wy * bottom;
      }
    }
  }
}

namespace {

class ResizeKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    resize_nchw_f32(params_, static_cast<const float*>(args.inputs[0]), planes_, in_h_, in_w_,
                    out_h_, out_w_, static_cast<float*>(args.outputs[0]));
  }
  ResizeParams params_;
  int64_t planes_ = 0, in_h_ = 0, in_w_ = 0, out_h_ = 0, out_w_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_resize(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  const fb::ResizeOptions* o = args.node->options_as_ResizeOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs ResizeOptions");
  const Shape& in = args.inputs[0]->shape;
  if (in.rank() != 4)
    return node_error(args, StatusCode::kShapeMismatch, "input must be 4-D NCHW, is %s",
                      in.to_string().c_str());
  auto k = std::make_unique<ResizeKernel>();
  ResizeParams& p = k->params_;
  p.mode = o->mode();
  p.coordinate_mode = o->coordinate_mode();
  p.nearest_mode = o->nearest_mode();
  if (p.mode != fb::ResizeMode::Nearest && p.mode != fb::ResizeMode::Linear)
    return node_error(args, StatusCode::kCorruptModel, "unknown resize mode %d",
                      static_cast<int>(p.mode));
  if (static_cast<int>(p.coordinate_mode) < 0 ||
      p.coordinate_mode > fb::CoordinateMode::TfHalfPixelForCenters)
    return node_error(args, StatusCode::kCorruptModel, "unknown coordinate mode %d",
                      static_cast<int>(p.coordinate_mode));
  if (static_cast<int>(p.nearest_mode) < 0 || p.nearest_mode > fb::NearestMode::Ceil)
    return node_error(args, StatusCode::kCorruptModel, "unknown nearest mode %d",
                      static_cast<int>(p.nearest_mode));
  size_t n_scales = o->scales() ? o->scales()->size() : 0;
  size_t n_sizes = o->sizes() ? o->sizes()->size() : 0;
  if ((n_scales == 0) == (n_sizes == 0))
    return node_error(args, StatusCode::kCorruptModel, "needs exactly one of scales and sizes");
  int64_t out_h = 0, out_w = 0;
  if (n_sizes != 0) {
    if (n_sizes != 2)
      return node_error(args, StatusCode::kCorruptModel,
                        "sizes has %zu entries, needs [outH, outW]", n_sizes);
    out_h = o->sizes()->Get(0);
    out_w = o->sizes()->Get(1);
    if (out_h <= 0 || out_w <= 0)
      return node_error(args, StatusCode::kCorruptModel, "sizes [%lld, %lld] must be positive",
                        static_cast<long long>(out_h), static_cast<long long>(out_w));
    if (in[2] <= 0 || in[3] <= 0)
      return node_error(args, StatusCode::kShapeMismatch, "cannot resize the empty input %s",
                        in.to_string().c_str());
    p.scale_h = static_cast<float>(out_h) / static_cast<float>(in[2]);
    p.scale_w = static_cast<float>(out_w) / static_cast<float>(in[3]);
  } else {
    if (n_scales != 2)
      return node_error(args, StatusCode::kCorruptModel, "scales has %zu entries, needs [sH, sW]",
                        n_scales);
    p.scale_h = o->scales()->Get(0);
    p.scale_w = o->scales()->Get(1);
    if (!(p.scale_h > 0.f) || !(p.scale_w > 0.f) || std::isinf(p.scale_h) || std::isinf(p.scale_w))
      return node_error(args, StatusCode::kCorruptModel, "scales [%g, %g] must be positive",
                        p.scale_h, p.scale_w);
    // floor(in * scale), computed in float as ONNX Runtime does.
    out_h = static_cast<int64_t>(std::floor(static_cast<float>(in[2]) * p.scale_h));
    out_w = static_cast<int64_t>(std::floor(static_cast<float>(in[3]) * p.scale_w));
    if (out_h <= 0 || out_w <= 0)
      return node_error(args, StatusCode::kShapeMismatch,
                        "scales [%g, %g] give an empty output for input %s", p.scale_h, p.scale_w,
                        in.to_string().c_str());
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{in[0], in[1], out_h, out_w}));
  k->planes_ = in[0] * in[1];
  k->in_h_ = in[2];
  k->in_w_ = in[3];
  k->out_h_ = out_h;
  k->out_w_ = out_w;
  k->name = p.mode == fb::ResizeMode::Nearest ? "resize_nearest_f32" : "resize_linear_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
