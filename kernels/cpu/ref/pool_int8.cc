// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on INT8 tensors quantized per
// tensor. The arithmetic is specified in pool.h.
#include <cmath>

#include "kernels/cpu/ref/int8_params.h"
#include "kernels/cpu/ref/pool.h"

namespace strix::kernels::ref {
namespace {

// Largest window whose int32 sum of (x_q - x_zp), each in [-255, 255], cannot overflow.
constexpr int64_t kMaxWindow = (int64_t{1} << 31) / 256;

// Checks dtypes and reads both quantizations.
Status expect_int8_io(const PrepareArgs& args, float* in_scale, int32_t* in_zp, float* out_scale,
                      int32_t* out_zp) {
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kI8));
  const KTensor& out = *args.outputs[0];
  if (out.dtype != DType::kI8)
    return node_error(args, StatusCode::kUnsupported,
                      "output '%s' is %s, expected i8 like the input", out.name.c_str(),
                      dtype_name(out.dtype));
  STRIX_RETURN_IF_ERROR(int8_tensor_quant(args, *args.inputs[0], in_scale, in_zp));
  return int8_tensor_quant(args, out, out_scale, out_zp);
}

Status expect_same_quant(const PrepareArgs& args, float in_scale, int32_t in_zp, float out_scale,
                         int32_t out_zp) {
  if (in_scale != out_scale || in_zp != out_zp)
    return node_error(args, StatusCode::kUnsupported,
                      "int8 max pooling needs the output quantization (scale %g, zero point %d) "
                      "to equal the input's (scale %g, zero point %d)",
                      out_scale, out_zp, in_scale, in_zp);
  return Status();
}

class Pool2DI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    if (average_)
      average_pool_i8(p_, q_, x, n_, c_, h_, w_, y);
    else
      max_pool_i8(p_, x, n_, c_, h_, w_, y);
  }
  Pool2DParams p_;
  PoolQuantParams q_;
  bool average_ = false;
  int64_t n_ = 0, c_ = 0, h_ = 0, w_ = 0;
};

class GlobalPoolI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    if (average_)
      global_average_pool_i8(q_, x, planes_, spatial_, y);
    else
      global_max_pool_i8(x, planes_, spatial_, y);
  }
  PoolQuantParams q_;
  bool average_ = false;
  int64_t planes_ = 0, spatial_ = 0;
};

}  // namespace

PoolQuantParams make_pool_quant(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                int64_t max_count) {
  PoolQuantParams q;
  q.in_zp = in_zp;
  q.out_zp = out_zp;
  q.same_scale = in_scale == out_scale;
  if (!q.same_scale) {
    q.by_count.resize(static_cast<size_t>(max_count + 1));
    for (int64_t n = 1; n <= max_count; ++n)
      q.by_count[n] =
          quantize_multiplier(static_cast<double>(in_scale) /
                              (static_cast<double>(out_scale) * static_cast<double>(n)));
  }
  return q;
}

int8_t pool_average_q(const PoolQuantParams& q, int32_t acc, int64_t n, QuantizedMultiplier m) {
  int32_t y;
  if (q.same_scale) {
    int32_t count = static_cast<int32_t>(n);
    int32_t mean = acc >= 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    y = mean + q.out_zp;
    y = y < -128 ? -128 : (y > 127 ? 127 : y);
  } else {
    y = requantize(acc, m, q.out_zp, -128, 127);
  }
  return static_cast<int8_t>(y);
}

void max_pool_i8(const Pool2DParams& p, const int8_t* x, int64_t n, int64_t c, int64_t h, int64_t w,
                 int8_t* y) {
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const int8_t* xp = x + plane * h * w;
    int8_t* yp = y + plane * p.out_h * p.out_w;
    for (int64_t oh = 0; oh < p.out_h; ++oh) {
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        int8_t m = -128;
        for_each_pool_tap(p, xp, h, w, oh, ow, [&](int8_t v) {
          if (v > m) m = v;
        });
        yp[oh * p.out_w + ow] = m;
      }
    }
  }
}

void average_pool_i8(const Pool2DParams& p, const PoolQuantParams& q, const int8_t* x, int64_t n,
                     int64_t c, int64_t h, int64_t w, int8_t* y) {
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const int8_t* xp = x + plane * h * w;
    int8_t* yp = y + plane * p.out_h * p.out_w;
    for (int64_t oh = 0; oh < p.out_h; ++oh) {
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        int32_t acc = 0;
        for_each_pool_tap(p, xp, h, w, oh, ow,
                          [&](int8_t v) { acc += static_cast<int32_t>(v) - q.in_zp; });
        int64_t count = pool_window_count(p, h, w, oh, ow);
        QuantizedMultiplier m = q.same_scale ? QuantizedMultiplier{} : q.by_count[count];
        yp[oh * p.out_w + ow] = pool_average_q(q, acc, count, m);
      }
    }
  }
}

void global_max_pool_i8(const int8_t* x, int64_t planes, int64_t spatial, int8_t* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    int8_t m = -128;
    for (int64_t i = 0; i < spatial; ++i)
      m = x[plane * spatial + i] > m ? x[plane * spatial + i] : m;
    y[plane] = m;
  }
}

void global_average_pool_i8(const PoolQuantParams& q, const int8_t* x, int64_t planes,
                            int64_t spatial, int8_t* y) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    int32_t acc = 0;
    for (int64_t i = 0; i < spatial; ++i)
      acc += static_cast<int32_t>(x[plane * spatial + i]) - q.in_zp;
    y[plane] =
        pool_average_q(q, acc, spatial, q.same_scale ? QuantizedMultiplier{} : q.by_count[0]);
  }
}

Result<std::unique_ptr<Kernel>> make_pool2d_i8(const PrepareArgs& args, bool average) {
  float in_scale = 0, out_scale = 0;
  int32_t in_zp = 0, out_zp = 0;
  STRIX_RETURN_IF_ERROR(expect_int8_io(args, &in_scale, &in_zp, &out_scale, &out_zp));
  const Shape& in = args.inputs[0]->shape;
  auto k = std::make_unique<Pool2DI8Kernel>();
  STRIX_RETURN_IF_ERROR(make_pool2d_params(args, in, average, &k->p_));
  int64_t window = static_cast<int64_t>(k->p_.kernel_h) * k->p_.kernel_w;
  if (average) {
    if (window > kMaxWindow)
      return node_error(args, StatusCode::kUnsupported,
                        "int8 average pool window of %lld elements may overflow int32",
                        static_cast<long long>(window));
    k->q_ = make_pool_quant(in_scale, in_zp, out_scale, out_zp, window);
  } else {
    STRIX_RETURN_IF_ERROR(expect_same_quant(args, in_scale, in_zp, out_scale, out_zp));
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{in[0], in[1], k->p_.out_h, k->p_.out_w}));
  k->average_ = average;
  k->n_ = in[0];
  k->c_ = in[1];
  k->h_ = in[2];
  k->w_ = in[3];
  k->packed_bytes = k->q_.by_count.size() * sizeof(QuantizedMultiplier);
  k->name = average ? "average_pool_i8" : "max_pool_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_global_pool_i8(const PrepareArgs& args, bool average) {
  float in_scale = 0, out_scale = 0;
  int32_t in_zp = 0, out_zp = 0;
  STRIX_RETURN_IF_ERROR(expect_int8_io(args, &in_scale, &in_zp, &out_scale, &out_zp));
  const Shape& in = args.inputs[0]->shape;
  Shape out;
  int64_t spatial = 0;
  STRIX_RETURN_IF_ERROR(global_pool_shape(args, in, &out, &spatial));
  auto k = std::make_unique<GlobalPoolI8Kernel>();
  if (average) {
    if (spatial > kMaxWindow)
      return node_error(args, StatusCode::kUnsupported,
                        "int8 global average pool over %lld elements may overflow int32",
                        static_cast<long long>(spatial));
    // Only n = spatial is used: by_count holds that one entry.
    k->q_ = make_pool_quant(in_scale, in_zp, out_scale, out_zp, 0);
    if (!k->q_.same_scale)
      k->q_.by_count = {quantize_multiplier(static_cast<double>(in_scale) /
                                            (static_cast<double>(out_scale) * spatial))};
  } else {
    STRIX_RETURN_IF_ERROR(expect_same_quant(args, in_scale, in_zp, out_scale, out_zp));
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  k->average_ = average;
  k->planes_ = in[0] * in[1];
  k->spatial_ = spatial;
  k->packed_bytes = k->q_.by_count.size() * sizeof(QuantizedMultiplier);
  k->name = average ? "global_average_pool_i8" : "global_max_pool_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
