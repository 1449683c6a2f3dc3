// Direct stem Conv2D f32 (conv_stem.h): tasks are (image, band of output rows, block of
// `lanes` output channels), the channel block fastest so that a band's input rows stay in
// cache across the blocks. Weights are packed at prepare as [block][c * K * K + tap][lanes].
// 7x7: every input plane is first padded and de-interleaved into scratch (pad_plane, all
// images), so that each of the 49 taps is one unaligned load (isa_stem.h, StemPaddedFn);
// 3x3 reads the NCHW input directly (three taps: de-interleaving in registers is cheaper).
#include "kernels/cpu/conv_stem.h"

#include <algorithm>
#include <string>

#include "kernels/cpu/isa_stem.h"

namespace strix::kernels::cpu {
namespace {

// Output rows per task: the band's input rows (2 * 8 + K - 2 per channel) stay in L1 (3x3) or
// L2 (7x7).
constexpr int64_t kBandRows = 8;

class ConvStemKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const int64_t lanes = lanes_, in_image = p_.c * p_.h * p_.w, plane = p_.oh * p_.ow;
    const int64_t taps = p_.c * p_.kh * p_.kw;
    const float* xp = nullptr;
    if (padded_fn_ != nullptr) {
      auto* d = static_cast<float*>(args.scratch);
      const int64_t pplane = prows_ * 2 * half_;
      parallel_for(args.pool, p_.n * p_.c, [&](int64_t i, int) {
        isa_->pad_plane(x + i * p_.h * p_.w, static_cast<int32_t>(p_.h), static_cast<int32_t>(p_.w),
                        geom_.pt, geom_.pl, static_cast<int32_t>(prows_), 2, 2 * half_, half_, 0.f,
                        d + i * pplane);
      });
      xp = d;
    }
    parallel_for(args.pool, p_.n * bands_ * blocks_, [&](int64_t task, int) {
      const int64_t blk = task % blocks_, band = (task / blocks_) % bands_;
      const int64_t b = task / (blocks_ * bands_);
      const int64_t m0 = blk * lanes;
      const int32_t oy0 = static_cast<int32_t>(band * kBandRows);
      const int32_t oy1 = static_cast<int32_t>(std::min<int64_t>(p_.oh, oy0 + kBandRows));
      const int nm = static_cast<int>(std::min(lanes, p_.m - m0));
      const float* w = weights_.data + blk * taps * lanes;
      float* yb = y + (b * p_.m + m0) * plane;
      if (xp == nullptr) {
        fn_(geom_, x + b * in_image, w, bias_.data + blk * lanes, act_.epilogue(), yb, nm, oy0, oy1,
            zeros_.data);
        return;
      }
      padded_fn_(geom_, xp + b * p_.c * prows_ * 2 * half_, prows_, half_, w,
                 bias_.data + blk * lanes, yb, nm, oy0, oy1);
      if (const Act* act = act_.epilogue()) {  // a channel's rows of the band are contiguous
        const int64_t n = static_cast<int64_t>(oy1 - oy0) * p_.ow;
        for (int j = 0; j < nm; ++j) {
          float* band = yb + j * plane + static_cast<int64_t>(oy0) * p_.ow;
          isa_->activation(*act, band, band, n);
        }
      }
    });
  }

  const IsaKernels* isa_ = nullptr;
  StemConvFn fn_ = nullptr;           // 3x3
  StemPaddedFn padded_fn_ = nullptr;  // 7x7
  int64_t prows_ = 0, half_ = 0;      // padded planes (7x7): rows, half row (isa_stem.h)
  ref::Conv2DParams p_;
  ConvGeom geom_;
  FusedAct act_;
  AlignedFloats weights_, bias_, zeros_;
  int64_t lanes_ = 0, blocks_ = 0, bands_ = 0;
};

}  // namespace

bool conv_stem_applies(const IsaKernels& isa, const ref::Conv2DParams& p) {
  return isa_stem_kernels(isa.isa) != nullptr && p.group == 1 && p.c <= 4 &&
         (p.kh == 3 || p.kh == 7) && p.kw == p.kh && p.stride_h == 2 && p.stride_w == 2 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.ow >= isa.lanes;
}

Result<std::unique_ptr<Kernel>> make_conv_stem(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act) {
  auto k = std::make_unique<ConvStemKernel>();
  const IsaStemKernels& fns = *isa_stem_kernels(isa.isa);
  k->isa_ = &isa;
  if (p.kh == 7) {
    k->padded_fn_ = fns.conv7x7s2;
    k->prows_ = 2 * (p.oh - 1) + p.kh;
    k->half_ =
        ceil_div(ceil_div(p.ow, isa.lanes) * isa.lanes + (p.kw - 1) / 2, isa.lanes) * isa.lanes;
    k->scratch_bytes =
        align64(static_cast<size_t>(p.n * p.c * k->prows_ * 2 * k->half_) * sizeof(float));
  } else {
    k->fn_ = fns.conv3x3s2;
  }
  k->p_ = p;
  k->act_.init(act);
  const int64_t lanes = isa.lanes, taps = p.c * p.kh * p.kw;
  k->lanes_ = lanes;
  k->blocks_ = ceil_div(p.m, lanes);
  k->bands_ = ceil_div(p.oh, kBandRows);
  if (!k->weights_.allocate(static_cast<size_t>(k->blocks_ * taps * lanes)) ||
      !k->bias_.allocate(static_cast<size_t>(k->blocks_ * lanes)) ||
      !k->zeros_.allocate(static_cast<size_t>(p.w)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  // [M, C, K, K] -> [block][c * K * K + tap][lane]; channels past M stay zero.
  const auto* w = static_cast<const float*>(args.inputs[1]->constant);
  for (int64_t m = 0; m < p.m; ++m)
    for (int64_t t = 0; t < taps; ++t)
      k->weights_.data[((m / lanes) * taps + t) * lanes + m % lanes] = w[m * taps + t];
  if (args.inputs.size() > 2 && args.inputs[2] != nullptr)
    std::copy_n(static_cast<const float*>(args.inputs[2]->constant), p.m, k->bias_.data);
  k->packed_bytes = k->weights_.bytes() + k->bias_.bytes();
  k->geom_ = conv_geom(p);  // 3x3 or 7x7, stride 2, dilation 1 (checked above)
  k->name = std::string(p.kh == 7 ? "conv2d_stem7x7s2_f32_" : "conv2d_stem3x3s2_f32_") +
            isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
