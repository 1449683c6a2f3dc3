#include "kernels/cpu/ref/conv.h"

#include "kernels/cpu/ref/conv_geometry.h"
#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

// One spatial axis: resolves the pads for `mode` and the output size.
Status conv_axis(const PrepareArgs& args, const char* axis, int64_t in, int64_t k, int64_t stride,
                 int64_t dilation, fb::PaddingMode mode, int64_t* pad_begin, int64_t* pad_end,
                 int64_t* out) {
  const int64_t extent = (k - 1) * dilation + 1;  // the dilated kernel
  switch (mode) {
    case fb::PaddingMode::Explicit: break;
    case fb::PaddingMode::Valid: *pad_begin = *pad_end = 0; break;
    case fb::PaddingMode::SameUpper:
    case fb::PaddingMode::SameLower: {
      int64_t target = (in + stride - 1) / stride;
      int64_t total = (target - 1) * stride + extent - in;
      if (total < 0) total = 0;
      int64_t small = total / 2, large = total - total / 2;
      *pad_begin = mode == fb::PaddingMode::SameUpper ? small : large;
      *pad_end = mode == fb::PaddingMode::SameUpper ? large : small;
      break;
    }
  }
  int64_t padded = in + *pad_begin + *pad_end;
  if (padded < extent)
    return node_error(args, StatusCode::kShapeMismatch,
                      "%s: padded input size %lld is smaller than the dilated kernel %lld", axis,
                      static_cast<long long>(padded), static_cast<long long>(extent));
  *out = (padded - extent) / stride + 1;
  return Status();
}

class Conv2DF32 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    conv2d_f32(p_, act_, static_cast<const float*>(args.inputs[0]),
               static_cast<const float*>(args.inputs[1]),
               has_bias_ ? static_cast<const float*>(args.inputs[2]) : nullptr,
               static_cast<float*>(args.outputs[0]));
  }
  Conv2DParams p_;
  ActivationParams act_;
  bool has_bias_ = false;
};

}  // namespace

Status conv2d_params(const PrepareArgs& args, const fb::Conv2DOptions* o, const Shape& x,
                     const Shape& w, Conv2DParams* p) {
  const KTensor& wt = *args.inputs[1];
  STRIX_RETURN_IF_ERROR(check_conv_shapes(args, x, w, "M,C/group,kH,kW"));
  p->n = x[0], p->c = x[1], p->h = x[2], p->w = x[3];
  p->m = w[0], p->kh = w[2], p->kw = w[3];
  p->group = o ? o->group() : 1;
  STRIX_RETURN_IF_ERROR(check_conv_group(args, p->group, p->c));
  if (p->m % p->group != 0)
    return node_error(args, StatusCode::kShapeMismatch,
                      "group %lld does not divide the %lld output channels of weights '%s'",
                      static_cast<long long>(p->group), static_cast<long long>(p->m),
                      wt.name.c_str());
  if (w[1] != p->c / p->group)
    return node_error(args, StatusCode::kShapeMismatch,
                      "weights '%s' %s have %lld input channels per group, but input 0 has %lld "
                      "channels / group %lld = %lld",
                      wt.name.c_str(), w.to_string().c_str(), static_cast<long long>(w[1]),
                      static_cast<long long>(p->c), static_cast<long long>(p->group),
                      static_cast<long long>(p->c / p->group));

  ConvWindow win;
  STRIX_RETURN_IF_ERROR(read_conv_window(args, o, w, &win));
  const int64_t* pads = win.pads;
  fb::PaddingMode mode = o ? o->padding() : fb::PaddingMode::Explicit;
  if (mode < fb::PaddingMode::MIN || mode > fb::PaddingMode::MAX)
    return node_error(args, StatusCode::kCorruptModel, "unknown padding mode %d",
                      static_cast<int>(mode));
  if (mode != fb::PaddingMode::Explicit && (pads[0] || pads[1] || pads[2] || pads[3]))
    return node_error(args, StatusCode::kCorruptModel,
                      "pads must be empty or zero when padding is %s",
                      fb::EnumNamePaddingMode(mode));
  p->stride_h = win.strides[0], p->stride_w = win.strides[1];
  p->dilation_h = win.dilations[0], p->dilation_w = win.dilations[1];
  p->pad_top = pads[0], p->pad_left = pads[1], p->pad_bottom = pads[2], p->pad_right = pads[3];
  STRIX_RETURN_IF_ERROR(conv_axis(args, "height", p->h, p->kh, p->stride_h, p->dilation_h, mode,
                                  &p->pad_top, &p->pad_bottom, &p->oh));
  STRIX_RETURN_IF_ERROR(conv_axis(args, "width", p->w, p->kw, p->stride_w, p->dilation_w, mode,
                                  &p->pad_left, &p->pad_right, &p->ow));
  return Status();
}

void conv2d_f32(const Conv2DParams& p, const ActivationParams& act, const float* x, const float* w,
                const float* bias, float* y) {
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  for (int64_t b = 0; b < p.n; ++b) {
    for (int64_t oc = 0; oc < p.m; ++oc) {
      const int64_t g = oc / mg;
      const float* w_oc = w + oc * cg * p.kh * p.kw;
      float* y_oc = y + (b * p.m + oc) * p.oh * p.ow;
      for (int64_t oy = 0; oy < p.oh; ++oy) {
        for (int64_t ox = 0; ox < p.ow; ++ox) {
          float acc = bias ? bias[oc] : 0.f;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const float* x_ic = x + (b * p.c + g * cg + ic) * p.h * p.w;
            const float* w_ic = w_oc + ic * p.kh * p.kw;
            for_each_conv_tap(p, x_ic, w_ic, oy, ox, [&](float xv, float wv) { acc += xv * wv; });
          }
          y_oc[oy * p.ow + ox] = apply_activation(act, acc);
        }
      }
    }
  }
}

Result<std::unique_ptr<Kernel>> make_conv2d(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  if (args.inputs[0]->dtype == DType::kI8) return make_conv2d_i8(args);
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::Conv2DOptions));
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_constant(args, 1, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_output_dtype(args, 0, DType::kF32));
  auto k = std::make_unique<Conv2DF32>();
  STRIX_RETURN_IF_ERROR(
      conv2d_params(args, o, args.inputs[0]->shape, args.inputs[1]->shape, &k->p_));
  STRIX_RETURN_IF_ERROR(check_f32_bias(args, k->p_.m, &k->has_bias_));
  STRIX_RETURN_IF_ERROR(fused_activation(args, o ? o->activation() : nullptr, &k->act_));
  const Conv2DParams& p = k->p_;
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{p.n, p.m, p.oh, p.ow}));
  k->name = "conv2d_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
