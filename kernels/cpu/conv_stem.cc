// Direct stem Conv2D f32 (conv_stem.h): tasks are (image, band of output rows, block of
// `lanes` output channels), the channel block fastest so that a band's input rows stay in
// cache across the blocks. Weights are packed at prepare as [block][c * 9 + tap][lanes].
#include "kernels/cpu/conv_stem.h"

#include <algorithm>
#include <string>

#include "kernels/cpu/isa_stem.h"

namespace strix::kernels::cpu {
namespace {

// Output rows per task: the band's input rows (2 * 8 + 1 per channel) stay in L1.
constexpr int64_t kBandRows = 8;

class ConvStemKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const int64_t lanes = lanes_, in_image = p_.c * p_.h * p_.w, plane = p_.oh * p_.ow;
    const int64_t taps = p_.c * 9;
    parallel_for(args.pool, p_.n * bands_ * blocks_, [&](int64_t task, int) {
      const int64_t blk = task % blocks_, band = (task / blocks_) % bands_;
      const int64_t b = task / (blocks_ * bands_);
      const int64_t m0 = blk * lanes;
      const int32_t oy0 = static_cast<int32_t>(band * kBandRows);
      const int32_t oy1 = static_cast<int32_t>(std::min<int64_t>(p_.oh, oy0 + kBandRows));
      fn_(geom_, x + b * in_image, weights_.data + blk * taps * lanes, bias_.data + blk * lanes,
          act_.epilogue(), y + (b * p_.m + m0) * plane,
          static_cast<int>(std::min(lanes, p_.m - m0)), oy0, oy1, zeros_.data);
    });
  }

  StemConvFn fn_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  FusedAct act_;
  AlignedFloats weights_, bias_, zeros_;
  int64_t lanes_ = 0, blocks_ = 0, bands_ = 0;
};

}  // namespace

bool conv_stem_applies(const IsaKernels& isa, const ref::Conv2DParams& p) {
  return isa_stem_kernels(isa.isa) != nullptr && p.group == 1 && p.c <= 4 && p.kh == 3 &&
         p.kw == 3 && p.stride_h == 2 && p.stride_w == 2 && p.dilation_h == 1 &&
         p.dilation_w == 1 && p.ow >= isa.lanes;
}

Result<std::unique_ptr<Kernel>> make_conv_stem(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act) {
  auto k = std::make_unique<ConvStemKernel>();
  k->fn_ = isa_stem_kernels(isa.isa)->conv3x3s2;
  k->p_ = p;
  k->act_.init(act);
  const int64_t lanes = isa.lanes, taps = p.c * 9;
  k->lanes_ = lanes;
  k->blocks_ = ceil_div(p.m, lanes);
  k->bands_ = ceil_div(p.oh, kBandRows);
  if (!k->weights_.allocate(static_cast<size_t>(k->blocks_ * taps * lanes)) ||
      !k->bias_.allocate(static_cast<size_t>(k->blocks_ * lanes)) ||
      !k->zeros_.allocate(static_cast<size_t>(p.w)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  // [M, C, 3, 3] -> [block][c * 9 + tap][lane]; channels past M stay zero.
  const auto* w = static_cast<const float*>(args.inputs[1]->constant);
  for (int64_t m = 0; m < p.m; ++m)
    for (int64_t t = 0; t < taps; ++t)
      k->weights_.data[((m / lanes) * taps + t) * lanes + m % lanes] = w[m * taps + t];
  if (args.inputs.size() > 2 && args.inputs[2] != nullptr)
    std::copy_n(static_cast<const float*>(args.inputs[2]->constant), p.m, k->bias_.data);
  k->packed_bytes = k->weights_.bytes() + k->bias_.bytes();
  k->geom_ = conv_geom(p);  // 3x3, stride 2, dilation 1 (checked above)
  k->name = std::string("conv2d_stem3x3s2_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
