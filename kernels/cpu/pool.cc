// MaxPool, AveragePool and GlobalAveragePool, f32, for the optimized CPU backend.
//
// 2-D pools: per (image, channel) plane, the padded plane (fill -inf for max, 0 for
// average; de-interleaved for stride_w 2) is built in per-thread scratch, then the vector
// sliding window of IsaKernels::window computes every output. AveragePool divides by the
// reference's window count (ref::pool_window_count), tabulated per output position at
// prepare. Dilation, stride_w > 2 and windows over 64 taps: kUnsupported.
// MaxPool with small output planes (<= kLanesMaxPositions): lanes planes at a time, one per
// vector lane (isa.window_lanes), planes of all images in one sequence.
// Other MaxPools 3 wide with stride_w 2 (the 3x3/2 pools of ResNet and SqueezeNet): per plane,
// straight from the input (isa.max_pool_w3s2: the rows' max, de-interleaved, then 3 taps; no
// padded copy of the plane).
// GlobalAveragePool: vector sums per plane, planes split over the threads.
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/pool.h"

namespace strix::kernels::cpu {
namespace {

// Max pools with output planes up to this size run planes-on-lanes (window_lanes): the
// plane-at-a-time window leaves most lanes idle and pays its padding per plane there.
constexpr int64_t kLanesMaxPositions = 98;

class Pool2DKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t in_plane = h_ * w_, out_plane = static_cast<int64_t>(geom_.oh) * geom_.ow;
    parallel_for(args.pool, planes_, [&](int64_t plane, int thread) {
      float* buf = scratch + thread * scratch_floats_;
      isa_->pad_plane(x + plane * in_plane, static_cast<int32_t>(h_), static_cast<int32_t>(w_),
                      p_.pad_top, p_.pad_left, rows_, geom_.sw, geom_.pw, geom_.half, fill_, buf);
      isa_->window(geom_, average_ ? WindowOp::kAvg : WindowOp::kMax, buf, nullptr, 0.f,
                   counts_.data, nullptr, y + plane * out_plane);
    });
  }

  const IsaKernels* isa_ = nullptr;
  ref::Pool2DParams p_;
  WindowGeom geom_;
  bool average_ = false;
  float fill_ = 0;
  AlignedFloats counts_;  // average: the divisor of each output position
  int64_t planes_ = 0, h_ = 0, w_ = 0;
  int32_t rows_ = 0;
  int64_t scratch_floats_ = 0;
};

// MaxPool on small output planes: `lanes` planes (of all images) at once, one per vector lane
// (isa.window_lanes).
class MaxPoolLanesKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t lanes = isa_->lanes, in_plane = static_cast<int64_t>(geom_.h) * geom_.w;
    const int64_t out_plane = static_cast<int64_t>(geom_.oh) * geom_.ow;
    parallel_for(args.pool, ceil_div(planes_, lanes), [&](int64_t blk, int thread) {
      const int64_t p0 = blk * lanes;
      const int nch = static_cast<int>(std::min(lanes, planes_ - p0));
      isa_->window_lanes(geom_, WindowOp::kMax, x + p0 * in_plane, in_plane, nch, nullptr, nullptr,
                         nullptr, y + p0 * out_plane, out_plane,
                         scratch + thread * scratch_floats_);
    });
  }

  const IsaKernels* isa_ = nullptr;
  ConvGeom geom_;
  int64_t planes_ = 0, scratch_floats_ = 0;
};

// MaxPool 3 wide, stride_w 2, per (image, channel) plane (isa.max_pool_w3s2).
class MaxPoolW3S2Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t in_plane = static_cast<int64_t>(geom_.h) * geom_.w;
    const int64_t out_plane = static_cast<int64_t>(geom_.oh) * geom_.ow;
    parallel_for(args.pool, planes_, [&](int64_t plane, int thread) {
      isa_->max_pool_w3s2(geom_, x + plane * in_plane, y + plane * out_plane,
                          scratch + thread * 2 * half_, half_);
    });
  }

  const IsaKernels* isa_ = nullptr;
  ConvGeom geom_;
  int64_t planes_ = 0, half_ = 0;
};

class GlobalAveragePoolKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const int64_t tasks = std::min<int64_t>(planes_, 64);
    parallel_for(args.pool, tasks, [&](int64_t t, int) {
      int64_t begin, end;
      split_range(planes_, tasks, t, &begin, &end);
      isa_->global_avg(x + begin * spatial_, end - begin, spatial_, y + begin);
    });
  }

  const IsaKernels* isa_ = nullptr;
  int64_t planes_ = 0, spatial_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_pool2d(const PrepareArgs& args, const IsaKernels& isa) {
  const bool average = args.node->op() == fb::OpType::AveragePool;
  Result<std::unique_ptr<Kernel>> reference =
      average ? ref::make_average_pool(args) : ref::make_max_pool(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kF32) return unsupported(args, "not f32");
  const Shape& in = args.inputs[0]->shape;
  auto k = std::make_unique<Pool2DKernel>();
  STRIX_RETURN_IF_ERROR(ref::make_pool2d_params(args, in, average, &k->p_));
  const ref::Pool2DParams& p = k->p_;
  if (p.dilation_h != 1 || p.dilation_w != 1) return unsupported(args, "dilated pooling");
  if (p.stride_w > 2) return unsupported(args, "stride_w > 2");
  if (p.kernel_h * p.kernel_w > 64) return unsupported(args, "window over 64 taps");
  if (!average && p.out_h * p.out_w <= kLanesMaxPositions &&
      in[2] * in[3] * isa.lanes <= INT32_MAX) {  // window_lanes' 32-bit plane offsets
    auto lk = std::make_unique<MaxPoolLanesKernel>();
    lk->isa_ = &isa;
    lk->planes_ = in[0] * in[1];
    ConvGeom& g = lk->geom_;
    g.h = static_cast<int32_t>(in[2]);
    g.w = static_cast<int32_t>(in[3]);
    g.kh = static_cast<int32_t>(p.kernel_h);
    g.kw = static_cast<int32_t>(p.kernel_w);
    g.sh = static_cast<int32_t>(p.stride_h);
    g.sw = static_cast<int32_t>(p.stride_w);
    g.pt = static_cast<int32_t>(p.pad_top);
    g.pl = static_cast<int32_t>(p.pad_left);
    g.oh = static_cast<int32_t>(p.out_h);
    g.ow = static_cast<int32_t>(p.out_w);
    const int64_t padded =
        ((p.out_h - 1) * p.stride_h + p.kernel_h) * ((p.out_w - 1) * p.stride_w + p.kernel_w);
    lk->scratch_floats_ = static_cast<int64_t>(
        align64(static_cast<size_t>(padded * isa.lanes) * sizeof(float)) / sizeof(float));
    lk->scratch_bytes = static_cast<size_t>(lk->scratch_floats_) * sizeof(float) *
                        static_cast<size_t>(std::max(1, args.threads));
    lk->name = std::string("max_pool_lanes_f32_") + isa_name(isa.isa);
    return std::unique_ptr<Kernel>(std::move(lk));
  }
  if (!average && p.kernel_w == 3 && p.stride_w == 2 && p.kernel_h <= 16) {
    auto mk = std::make_unique<MaxPoolW3S2Kernel>();
    mk->isa_ = &isa;
    mk->planes_ = in[0] * in[1];
    ConvGeom& g = mk->geom_;
    g.h = static_cast<int32_t>(in[2]);
    g.w = static_cast<int32_t>(in[3]);
    g.kh = static_cast<int32_t>(p.kernel_h);
    g.kw = 3;
    g.sh = static_cast<int32_t>(p.stride_h);
    g.sw = 2;
    g.pt = static_cast<int32_t>(p.pad_top);
    g.pl = static_cast<int32_t>(p.pad_left);
    g.oh = static_cast<int32_t>(p.out_h);
    g.ow = static_cast<int32_t>(p.out_w);
    // A multiple of 16 floats: each thread's buffer stays 64-byte aligned.
    mk->half_ = ceil_div(p.out_w + 1, std::max(16, isa.lanes)) * std::max(16, isa.lanes);
    mk->scratch_bytes = static_cast<size_t>(2 * mk->half_) * sizeof(float) *
                        static_cast<size_t>(std::max(1, args.threads));
    mk->name = std::string("max_pool3s2_f32_") + isa_name(isa.isa);
    return std::unique_ptr<Kernel>(std::move(mk));
  }
  k->isa_ = &isa;
  k->average_ = average;
  k->fill_ = average ? 0.f : -__builtin_inff();
  k->planes_ = in[0] * in[1];
  k->h_ = in[2];
  k->w_ = in[3];
  plan_window_geometry(isa, p.out_h, p.out_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                       &k->geom_, &k->rows_, &k->scratch_floats_);
  if (average) {
    if (!k->counts_.allocate(static_cast<size_t>(p.out_h * p.out_w)))
      return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the count table");
    for (int64_t oy = 0; oy < p.out_h; ++oy)
      for (int64_t ox = 0; ox < p.out_w; ++ox)
        k->counts_.data[oy * p.out_w + ox] =
            static_cast<float>(ref::pool_window_count(p, k->h_, k->w_, oy, ox));
  }
  k->packed_bytes = k->counts_.bytes();
  k->scratch_bytes = static_cast<size_t>(k->scratch_floats_) * sizeof(float) *
                     static_cast<size_t>(std::max(1, args.threads));
  k->name = std::string(average ? "average_pool_f32_" : "max_pool_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_global_average_pool(const PrepareArgs& args,
                                                         const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_global_average_pool(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kF32) return unsupported(args, "not f32");
  const Shape& in = args.inputs[0]->shape;
  auto k = std::make_unique<GlobalAveragePoolKernel>();
  k->isa_ = &isa;
  k->planes_ = in[0] * in[1];
  k->spatial_ = in.num_elements() / std::max<int64_t>(1, k->planes_);
  if (k->spatial_ == 0) return unsupported(args, "empty planes");
  k->name = std::string("global_average_pool_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
