#include "kernels/cpu/ref/conv_transpose.h"

#include "kernels/cpu/ref/conv_geometry.h"
#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

class ConvTranspose2DF32 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    conv_transpose2d_f32(p_, act_, static_cast<const float*>(args.inputs[0]),
                         static_cast<const float*>(args.inputs[1]),
                         has_bias_ ? static_cast<const float*>(args.inputs[2]) : nullptr,
                         static_cast<float*>(args.outputs[0]));
  }
  ConvTranspose2DParams p_;
  ActivationParams act_;
  bool has_bias_ = false;
};

Status params_from(const PrepareArgs& args, const fb::ConvTranspose2DOptions* o,
                   ConvTranspose2DParams* p) {
  const KTensor& wt = *args.inputs[1];
  const Shape& x = args.inputs[0]->shape;
  const Shape& w = wt.shape;
  STRIX_RETURN_IF_ERROR(check_conv_shapes(args, x, w, "C,M/group,kH,kW"));
  p->n = x[0], p->c = x[1], p->h = x[2], p->w = x[3];
  p->kh = w[2], p->kw = w[3];
  p->group = o ? o->group() : 1;
  STRIX_RETURN_IF_ERROR(check_conv_group(args, p->group, p->c));
  if (w[0] != p->c)
    return node_error(args, StatusCode::kShapeMismatch,
                      "weights '%s' %s must have %lld (input channels) as dimension 0",
                      wt.name.c_str(), w.to_string().c_str(), static_cast<long long>(p->c));
  p->m = w[1] * p->group;

  ConvWindow win;
  STRIX_RETURN_IF_ERROR(read_conv_window(args, o, w, &win));
  int64_t out_pad[2];
  STRIX_RETURN_IF_ERROR(
      read_ints(args, o ? o->output_padding() : nullptr, "output_padding", 2, 0, out_pad));
  const int64_t *strides = win.strides, *dilations = win.dilations, *pads = win.pads;
  const int64_t in[2] = {p->h, p->w}, k[2] = {p->kh, p->kw};
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    if (out_pad[i] < 0 || (out_pad[i] >= strides[i] && out_pad[i] >= dilations[i]))
      return node_error(args, StatusCode::kCorruptModel,
                        "output_padding %lld must be >= 0 and smaller than the stride %lld or "
                        "the dilation %lld",
                        static_cast<long long>(out_pad[i]), static_cast<long long>(strides[i]),
                        static_cast<long long>(dilations[i]));
    out[i] = strides[i] * (in[i] - 1) + out_pad[i] + (k[i] - 1) * dilations[i] + 1 - pads[i] -
             pads[i + 2];
    if (out[i] < 1)
      return node_error(args, StatusCode::kShapeMismatch,
                        "the pads leave an output %s of %lld (must be >= 1)",
                        i == 0 ? "height" : "width", static_cast<long long>(out[i]));
  }
  p->stride_h = strides[0], p->stride_w = strides[1];
  p->dilation_h = dilations[0], p->dilation_w = dilations[1];
  p->pad_top = pads[0], p->pad_left = pads[1];
  p->oh = out[0], p->ow = out[1];
  return Status();
}

}  // namespace

void conv_transpose2d_f32(const ConvTranspose2DParams& p, const ActivationParams& act,
                          const float* x, const float* w, const float* bias, float* y) {
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  const int64_t out_plane = p.oh * p.ow;
  for (int64_t i = 0; i < p.n * p.m * out_plane; ++i) y[i] = 0.f;
  for (int64_t b = 0; b < p.n; ++b) {
    for (int64_t ic = 0; ic < p.c; ++ic) {
      const int64_t g = ic / cg;
      const float* x_ic = x + (b * p.c + ic) * p.h * p.w;
      for (int64_t m = 0; m < mg; ++m) {
        const int64_t oc = g * mg + m;
        const float* w_k = w + (ic * mg + m) * p.kh * p.kw;
        float* y_oc = y + (b * p.m + oc) * out_plane;
        for (int64_t iy = 0; iy < p.h; ++iy) {
          for (int64_t ix = 0; ix < p.w; ++ix) {
            const float v = x_ic[iy * p.w + ix];
            for (int64_t ky = 0; ky < p.kh; ++ky) {
              const int64_t oy = iy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (oy < 0 || oy >= p.oh) continue;
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t ox = ix * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ox < 0 || ox >= p.ow) continue;
                y_oc[oy * p.ow + ox] += v * w_k[ky * p.kw + kx];
              }
            }
          }
        }
      }
    }
  }
  for (int64_t b = 0; b < p.n; ++b) {
    for (int64_t oc = 0; oc < p.m; ++oc) {
      float* y_oc = y + (b * p.m + oc) * out_plane;
      const float add = bias ? bias[oc] : 0.f;
      for (int64_t i = 0; i < out_plane; ++i) y_oc[i] = apply_activation(act, y_oc[i] + add);
    }
  }
}

Result<std::unique_ptr<Kernel>> make_conv_transpose2d(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::ConvTranspose2DOptions));
  const fb::ConvTranspose2DOptions* o = args.node->options_as_ConvTranspose2DOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_constant(args, 1, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_output_dtype(args, 0, DType::kF32));
  auto k = std::make_unique<ConvTranspose2DF32>();
  STRIX_RETURN_IF_ERROR(params_from(args, o, &k->p_));
  STRIX_RETURN_IF_ERROR(check_f32_bias(args, k->p_.m, &k->has_bias_));
  STRIX_RETURN_IF_ERROR(fused_activation(args, o ? o->activation() : nullptr, &k->act_));
  const ConvTranspose2DParams& p = k->p_;
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{p.n, p.m, p.oh, p.ow}));
  k->name = "conv_transpose2d_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
