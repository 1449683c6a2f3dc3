// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, f32; option validation and window
// geometry shared with the INT8 kernels (pool_int8.cc). See pool.h for the exact semantics.
#include "kernels/cpu/ref/pool.h"

#include <cmath>
#include <limits>

namespace strix::kernels::ref {
namespace {

// One spatial dimension of a pool, as stored in Pool2DOptions.
struct PoolDim {
  int64_t in = 0, kernel = 1, stride = 1, dilation = 1;
  int64_t pad_begin = 0, pad_end = 0;  // explicit pads; replaced by the resolved ones
  int64_t out = 0;
};

// Resolves pads and output size of one dimension; returns false when the padded input is
// smaller than the effective kernel.
bool resolve_dim(fb::PaddingMode mode, bool ceil_mode, PoolDim* d) {
  int64_t ek = (d->kernel - 1) * d->dilation + 1;
  if (mode == fb::PaddingMode::SameUpper || mode == fb::PaddingMode::SameLower) {
    d->out = (d->in + d->stride - 1) / d->stride;
    int64_t total = (d->out - 1) * d->stride + ek - d->in;
    if (total < 0) total = 0;
    int64_t small = total / 2;
    d->pad_begin = mode == fb::PaddingMode::SameUpper ? small : total - small;
    d->pad_end = total - d->pad_begin;
    return d->in > 0;
  }
  if (mode == fb::PaddingMode::Valid) {
    d->pad_begin = d->pad_end = 0;
    ceil_mode = false;
  }
  int64_t span = d->in + d->pad_begin + d->pad_end - ek;
  if (span < 0) return false;
  if (!ceil_mode) {
    d->out = span / d->stride + 1;
  } else {
    d->out = (span + d->stride - 1) / d->stride + 1;
    // A last window starting in the end padding (or beyond) is dropped.
    if ((d->out - 1) * d->stride >= d->in + d->pad_begin) --d->out;
  }
  return true;
}

// Taps of output index o that fall in [lo, hi).
int64_t taps_in_range(int64_t o, int64_t stride, int64_t pad_begin, int64_t kernel,
                      int64_t dilation, int64_t lo, int64_t hi) {
  int64_t count = 0;
  for (int64_t i = 0; i < kernel; ++i) {
    int64_t x = o * stride - pad_begin + i * dilation;
    if (x >= lo && x < hi) ++count;
  }
  return count;
}

Status read_pair(const PrepareArgs& args, const flatbuffers::Vector<int32_t>* v, const char* what,
                 int default_value, int min_value, int* a, int* b) {
  *a = *b = default_value;
  if (v == nullptr || v->size() == 0) return Status();
  if (v->size() != 2)
    return node_error(args, StatusCode::kCorruptModel, "%s must have 2 values (h, w), has %u", what,
                      v->size());
  *a = v->Get(0);
  *b = v->Get(1);
  if (*a < min_value || *b < min_value)
    return node_error(args, StatusCode::kCorruptModel, "%s (%d, %d) must be >= %d", what, *a, *b,
                      min_value);
  return Status();
}

class Pool2DKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (average_)
      average_pool_f32(p_, x, n_, c_, h_, w_, y);
    else
      max_pool_f32(p_, x, n_, c_, h_, w_, y);
  }
  Pool2DParams p_;
  bool average_ = false;
  int64_t n_ = 0, c_ = 0, h_ = 0, w_ = 0;
};

class GlobalPoolKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (average_)
      global_average_pool_f32(x, planes_, spatial_, y);
    else
      global_max_pool_f32(x, planes_, spatial_, y);
  }
  bool average_ = false;
  int64_t planes_ = 0, spatial_ = 0;
};

Status expect_float_io(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  if (args.outputs[0]->dtype != DType::kF32)
    return node_error(args, StatusCode::kShapeMismatch, "output '%s' is %s, expected f32",
                      args.outputs[0]->name.c_str(), dtype_name(args.outputs[0]->dtype));
  return Status();
}

Result<std::unique_ptr<Kernel>> make_pool2d(const PrepareArgs& args, bool average) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  if (args.inputs[0]->dtype == DType::kI8) return make_pool2d_i8(args, average);
  STRIX_RETURN_IF_ERROR(expect_float_io(args));
  const Shape& in = args.inputs[0]->shape;
  auto k = std::make_unique<Pool2DKernel>();
  STRIX_RETURN_IF_ERROR(make_pool2d_params(args, in, average, &k->p_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{in[0], in[1], k->p_.out_h, k->p_.out_w}));
  k->average_ = average;
  k->n_ = in[0];
  k->c_ = in[1];
  k->h_ = in[2];
  k->w_ = in[3];
  k->name = average ? "average_pool_f32" : "max_pool_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_global_pool(const PrepareArgs& args, bool average) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  if (args.inputs[0]->dtype == DType::kI8) return make_global_pool_i8(args, average);
  STRIX_RETURN_IF_ERROR(expect_float_io(args));
  const Shape& in = args.inputs[0]->shape;
  Shape out;
  int64_t spatial = 0;
  STRIX_RETURN_IF_ERROR(global_pool_shape(args, in, &out, &spatial));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  auto k = std::make_unique<GlobalPoolKernel>();
  k->average_ = average;
  k->planes_ = in[0] * in[1];
  k->spatial_ = spatial;
  k->name = average ? "global_average_pool_f32" : "global_max_pool_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Status make_pool2d_params(const PrepareArgs& args, const Shape& input, bool average,
                          Pool2DParams* p) {
  if (input.rank() != 4)
    return node_error(args, StatusCode::kShapeMismatch, "input %s must be 4-D NCHW",
                      input.to_string().c_str());
  const fb::Pool2DOptions* o = args.node->options_as_Pool2DOptions();
  if (o == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "needs Pool2DOptions (kernel is required)");
  if (o->kernel() == nullptr || o->kernel()->size() == 0)
    return node_error(args, StatusCode::kCorruptModel, "Pool2DOptions.kernel is missing");
  STRIX_RETURN_IF_ERROR(read_pair(args, o->kernel(), "kernel", 1, 1, &p->kernel_h, &p->kernel_w));
  STRIX_RETURN_IF_ERROR(read_pair(args, o->strides(), "strides", 1, 1, &p->stride_h, &p->stride_w));
  STRIX_RETURN_IF_ERROR(
      read_pair(args, o->dilations(), "dilations", 1, 1, &p->dilation_h, &p->dilation_w));
  fb::PaddingMode mode = o->padding();
  if (mode != fb::PaddingMode::Explicit && mode != fb::PaddingMode::SameUpper &&
      mode != fb::PaddingMode::SameLower && mode != fb::PaddingMode::Valid)
    return node_error(args, StatusCode::kCorruptModel, "unknown padding mode %d",
                      static_cast<int>(mode));
  int pads[4] = {0, 0, 0, 0};
  if (o->pads() != nullptr && o->pads()->size() != 0) {
    if (o->pads()->size() != 4)
      return node_error(args, StatusCode::kCorruptModel,
                        "pads must have 4 values (top, left, bottom, right), has %u",
                        o->pads()->size());
    for (int i = 0; i < 4; ++i) {
      pads[i] = o->pads()->Get(i);
      if (pads[i] < 0)
        return node_error(args, StatusCode::kCorruptModel, "pads[%d] = %d is negative", i, pads[i]);
      if (pads[i] != 0 && mode != fb::PaddingMode::Explicit)
        return node_error(args, StatusCode::kCorruptModel,
                          "explicit pads are given together with padding mode %s",
                          fb::EnumNamePaddingMode(mode));
    }
  }
  PoolDim dh{input[2], p->kernel_h, p->stride_h, p->dilation_h, pads[0], pads[2]};
  PoolDim dw{input[3], p->kernel_w, p->stride_w, p->dilation_w, pads[1], pads[3]};
  if (!resolve_dim(mode, o->ceil_mode(), &dh) || !resolve_dim(mode, o->ceil_mode(), &dw))
    return node_error(args, StatusCode::kShapeMismatch,
                      "kernel %dx%d (dilations %dx%d) does not fit input %s with pads %d,%d,%d,%d",
                      p->kernel_h, p->kernel_w, p->dilation_h, p->dilation_w,
                      input.to_string().c_str(), pads[0], pads[1], pads[2], pads[3]);
  // Every window must read at least one element of the input.
  for (const PoolDim* d : {&dh, &dw}) {
    for (int64_t o_i = 0; o_i < d->out; ++o_i) {
      if (taps_in_range(o_i, d->stride, d->pad_begin, d->kernel, d->dilation, 0, d->in) == 0)
        return node_error(args, StatusCode::kShapeMismatch,
                          "output %lld along %s reads only padding (input %s, pads %lld/%lld)",
                          static_cast<long long>(o_i), d == &dh ? "H" : "W",
                          input.to_string().c_str(), static_cast<long long>(d->pad_begin),
                          static_cast<long long>(d->pad_end));
    }
  }
  p->pad_top = static_cast<int>(dh.pad_begin);
  p->pad_bottom = static_cast<int>(dh.pad_end);
  p->pad_left = static_cast<int>(dw.pad_begin);
  p->pad_right = static_cast<int>(dw.pad_end);
  p->out_h = dh.out;
  p->out_w = dw.out;
  p->count_include_pad = average && o->count_include_pad();
  return Status();
}

Status global_pool_shape(const PrepareArgs& args, const Shape& in, Shape* out, int64_t* spatial) {
  if (in.rank() < 3)
    return node_error(args, StatusCode::kShapeMismatch,
                      "input %s must have rank >= 3 (N, C, spatial...)", in.to_string().c_str());
  *out = in;
  *spatial = 1;
  for (int d = 2; d < in.rank(); ++d) {
    *spatial *= in[d];
    (*out)[d] = 1;
  }
  if (*spatial <= 0)
    return node_error(args, StatusCode::kShapeMismatch, "input %s has no spatial elements",
                      in.to_string().c_str());
  return Status();
}

int64_t pool_window_count(const Pool2DParams& p, int64_t in_h, int64_t in_w, int64_t oh,
                          int64_t ow) {
  int64_t h_lo = p.count_include_pad ? -p.pad_top : 0;
  int64_t h_hi = p.count_include_pad ? in_h + p.pad_bottom : in_h;
  int64_t w_lo = p.count_include_pad ? -p.pad_left : 0;
  int64_t w_hi = p.count_include_pad ? in_w + p.pad_right : in_w;
  return taps_in_range(oh, p.stride_h, p.pad_top, p.kernel_h, p.dilation_h, h_lo, h_hi) *
         taps_in_range(ow, p.stride_w, p.pad_left, p.kernel_w, p.dilation_w, w_lo, w_hi);
}

void max_pool_f32(const Pool2DParams& p, const float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                  float* y) {
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const float* xp = x + plane * h * w;
    float* yp = y + plane * p.out_h * p.out_w;
    for (int64_t oh = 0; oh < p.out_h; ++oh) {
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        float m = -std::numeric_limits<float>::infinity();
        for_each_pool_tap(p, xp, h, w, oh, ow, [&](float v) {
          if (v > m) m = v;
        });
        yp[oh * p.out_w + ow] = m;
      }
    }
  }
}

void average_pool_f32(const Pool2DParams& p, const float* x, int64_t n, int64_t c, int64_t h,
                      int64_t w, float* y) {
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const float* xp = x + plane * h * w;
    float* yp = y + plane * p.out_h * p.out_w;
    for (int64_t oh = 0; oh < p.out_h; ++oh) {
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        float sum = 0.f;
        for_each_pool_tap(p, xp, h, w, oh, ow, [&](float v) { sum += v; });
        yp[oh * p.out_w + ow] = sum / static_cast<float>(pool_window_count(p, h, w, oh, ow));
      }
    }
  }
}

void global_average_pool_f32(const float* x, int64_t planes, int64_t spatial, float* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    float sum = 0.f;
    for (int64_t i = 0; i < spatial; ++i) sum += x[plane * spatial + i];
    y[plane] = sum / static_cast<float>(spatial);
  }
}

void global_max_pool_f32(const float* x, int64_t planes, int64_t spatial, float* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    float m = x[plane * spatial];
    for (int64_t i = 1; i < spatial; ++i)
      m = x[plane * spatial + i] > m ? x[plane * spatial + i] : m;
    y[plane] = m;
  }
}

Result<std::unique_ptr<Kernel>> make_max_pool(const PrepareArgs& args) {
  return make_pool2d(args, false);
}
Result<std::unique_ptr<Kernel>> make_average_pool(const PrepareArgs& args) {
  return make_pool2d(args, true);
}
Result<std::unique_ptr<Kernel>> make_global_average_pool(const PrepareArgs& args) {
  return make_global_pool(args, true);
}
Result<std::unique_ptr<Kernel>> make_global_max_pool(const PrepareArgs& args) {
  return make_global_pool(args, false);
}

}  // namespace strix::kernels::ref
