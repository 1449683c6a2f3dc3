// Depthwise Conv2D f32 for the optimized CPU backend (group == C == M, multiplier 1), kernel
// <= 8x8, stride_w 1 or 2, no dilation:
//   AVX-512, "same"-padded planes of at most kDwFlatMaxChunks vectors of output positions
//   (7x7, 14x14; stride 1, or 3x3 stride 2 from rows of one vector): each plane one flat run of
//   positions, one masked load per tap and vector (stride 2 on the input's four phases), all
//   lanes busy (isa_depthwise.h: DepthwiseFlatFn). Measured, 1 thread, batch 8, against the
//   kernels below: 3x3 on 960 x 7x7 0.35 -> 0.19 ms, on 576 x 14x14 0.55 -> 0.40 ms.
//   Other small output planes (kLanesMaxPositions): channels on the vector lanes, lanes channels
//   at a time (isa.window_lanes). Larger planes, per (image, channel) plane:
//   3x3 and 5x5 with square stride 1 or 2 (MobileNet, EfficientNet): bands of output rows
//   straight from the input, input rows loaded once per band, stride 2 de-interleaved in
//   registers (isa_depthwise.h, x86/depthwise_impl.h). Other kernels: stride 1 straight
//   from the input (isa.depthwise_s1, masked loads at the edges); stride 2: the padded plane
//   is built in per-thread scratch (de-interleaved) and a vector sliding window computes
//   bias + sum + act.
#include "kernels/cpu/conv_depthwise.h"

#include <algorithm>
#include <memory>
#include <string>

#include "kernels/cpu/isa_depthwise.h"

namespace strix::kernels::cpu {
namespace {

class DepthwiseKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow, taps = p_.kh * p_.kw;
    parallel_for(args.pool, p_.n * p_.c, [&](int64_t plane, int thread) {
      const int64_t c = plane % p_.c;
      if (direct_) {
        isa_->depthwise_s1(direct_geom_, x + plane * in_plane, weights_ + c * taps,
                           has_bias_ ? bias_[c] : 0.f, act_.epilogue(), y + plane * out_plane,
                           zeros_.data);
        return;
      }
      float* buf = scratch + thread * scratch_floats_;
      isa_->pad_plane(x + plane * in_plane, static_cast<int32_t>(p_.h), static_cast<int32_t>(p_.w),
                      static_cast<int32_t>(p_.pad_top), static_cast<int32_t>(p_.pad_left), rows_,
                      geom_.sw, geom_.pw, geom_.half, 0.f, buf);
      isa_->window(geom_, WindowOp::kWeighted, buf, weights_ + c * taps, has_bias_ ? bias_[c] : 0.f,
                   nullptr, act_.epilogue(), y + plane * out_plane);
    });
  }

  const IsaKernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  WindowGeom geom_;
  // Stride 1: isa.depthwise_s1 straight from the input (no padded copy), zero rows from zeros_.
  bool direct_ = false;
  ConvGeom direct_geom_;
  AlignedFloats zeros_;
  FusedAct act_;
  const float* weights_ = nullptr;  // the model's [C, 1, kh, kw], used in place
  const float* bias_ = nullptr;
  bool has_bias_ = false;
  int32_t rows_ = 0;
  int64_t scratch_floats_ = 0;
};

// 3x3 and 5x5, stride 1 or 2 (isa_depthwise.h): one plane per task, straight from the input.
class DepthwisePlaneKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const int64_t in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow, taps = p_.kh * p_.kw;
    const int64_t planes = p_.n * p_.c;
    parallel_for(args.pool, tasks_, [&](int64_t task, int) {
      int64_t begin, end;
      split_range(planes, tasks_, task, &begin, &end);
      for (int64_t plane = begin; plane < end; ++plane) {
        const int64_t c = plane % p_.c;
        fn_(geom_, x + plane * in_plane, weights_ + c * taps, has_bias_ ? bias_[c] : 0.f,
            act_.epilogue(), y + plane * out_plane, zeros_.data);
      }
    });
  }

  DepthwisePlaneFn fn_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  AlignedFloats zeros_;
  FusedAct act_;
  const float* weights_ = nullptr;  // the model's [C, 1, kh, kw], used in place
  const float* bias_ = nullptr;
  bool has_bias_ = false;
  int64_t tasks_ = 1;  // runs of consecutive planes (tasks_for_runs)
};

// Depthwise on small "same"-padded planes, stride 1 or 2 (isa_depthwise.h: DepthwiseFlatFn):
// runs of consecutive (image, channel) planes, each plane one flat run of output positions.
class DepthwiseFlatKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow;
    parallel_for(args.pool, tasks_, [&](int64_t task, int thread) {
      int64_t begin, end;
      split_range(p_.n * p_.c, tasks_, task, &begin, &end);
      if (begin < end)
        fn_(geom_, *plan_, x + begin * in_plane, end - begin, begin % p_.c, p_.c, weights_, bias_,
            act_.epilogue(), y + begin * out_plane,
            scratch_floats_ > 0 ? scratch + thread * scratch_floats_ : nullptr);
    });
  }

  DepthwiseFlatFn fn_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  std::unique_ptr<DwFlatPlan> plan_;
  FusedAct act_;
  const float* weights_ = nullptr;  // the model's [C, 1, kh, kw], used in place
  const float* bias_ = nullptr;     // the model's [C], or null
  int64_t tasks_ = 1;               // runs of consecutive planes (tasks_for_runs)
  int64_t scratch_floats_ = 0;      // per thread (stride 2: dw_flat_s2_buf, else 0)
};

// Depthwise on small planes: `lanes` channels at a time, one per vector lane
// (isa.window_lanes); weights reordered at prepare to [block][taps][lanes].
class DepthwiseLanesKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t lanes = isa_->lanes, in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow;
    const int64_t taps = p_.kh * p_.kw;
    parallel_for(args.pool, tasks_, [&](int64_t task, int thread) {
      int64_t begin, end;
      split_range(p_.n * blocks_, tasks_, task, &begin, &end);
      for (int64_t i = begin; i < end; ++i) {
        const int64_t b = i / blocks_, blk = i % blocks_;
        const int64_t c0 = blk * lanes;
        const int nch = static_cast<int>(std::min(lanes, p_.c - c0));
        isa_->window_lanes(geom_, WindowOp::kWeighted, x + (b * p_.c + c0) * in_plane, in_plane,
                           nch, weights_.data + blk * taps * lanes, bias_.data + blk * lanes,
                           act_.epilogue(), y + (b * p_.c + c0) * out_plane, out_plane,
                           scratch + thread * scratch_floats_);
      }
    });
  }

  const IsaKernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  FusedAct act_;
  AlignedFloats weights_, bias_;
  int64_t blocks_ = 0, scratch_floats_ = 0;
  int64_t tasks_ = 1;  // runs of consecutive channel blocks (tasks_for_runs)
};

// Tasks for `items` equal work items split into runs of consecutive ones: one run per thread
// would leave a thread idle behind a slowed one, one task per item (thousands of 14x14 planes)
// costs more in task hand-out between the cores than it balances (measured: 2 threads slower
// than 1); 4 runs per thread do both.
int64_t tasks_for_runs(int64_t items, int threads) {
  return threads <= 1 ? 1 : std::min<int64_t>(items, 4 * static_cast<int64_t>(threads));
}

// Padded-plane geometry shared with pooling: rows and row stride for a window of the given
// output size, laid out as IsaKernels::window expects.
void plan_window(const IsaKernels& isa, int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh,
                 int64_t sw, WindowGeom* g, int32_t* rows, int64_t* floats) {
  const int64_t lanes = isa.lanes;
  const int64_t ow_up = ceil_div(ow, lanes) * lanes;
  g->kh = static_cast<int32_t>(kh);
  g->kw = static_cast<int32_t>(kw);
  g->sh = static_cast<int32_t>(sh);
  g->sw = static_cast<int32_t>(sw);
  g->oh = static_cast<int32_t>(oh);
  g->ow = static_cast<int32_t>(ow);
  if (sw == 1) {
    g->half = 0;
    g->pw = ceil_div(ow_up + kw - 1, lanes) * lanes;
  } else {
    g->half = ceil_div(ow_up + (kw - 1) / 2 + 1, lanes) * lanes;
    g->pw = 2 * g->half;
  }
  *rows = static_cast<int32_t>((oh - 1) * sh + kh);
  *floats = static_cast<int64_t>(align64(static_cast<size_t>(*rows * g->pw) * sizeof(float)) /
                                 sizeof(float));
}

// Output planes up to this size (7x7; twice that for strided 5x5 and larger kernels) run
// channels-on-lanes: a plane-at-a-time kernel leaves most lanes idle there; on larger planes
// the lanes kernel's gathers and scatters cost more than the plane kernels (measured).
constexpr int64_t kLanesMaxPositions = 98;

Result<std::unique_ptr<Kernel>> make_depthwise_lanes(const PrepareArgs& args, const IsaKernels& isa,
                                                     const ref::Conv2DParams& p,
                                                     const ref::ActivationParams& act) {
  auto k = std::make_unique<DepthwiseLanesKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->act_.init(act);
  const int64_t lanes = isa.lanes, taps = p.kh * p.kw;
  k->blocks_ = ceil_div(p.c, lanes);
  if (!k->weights_.allocate(static_cast<size_t>(k->blocks_ * taps * lanes)) ||
      !k->bias_.allocate(static_cast<size_t>(k->blocks_ * lanes)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  const auto* w = static_cast<const float*>(args.inputs[1]->constant);
  for (int64_t c = 0; c < p.c; ++c)
    for (int64_t t = 0; t < taps; ++t)
      k->weights_.data[((c / lanes) * taps + t) * lanes + c % lanes] = w[c * taps + t];
  if (args.inputs.size() > 2 && args.inputs[2] != nullptr)
    std::copy_n(static_cast<const float*>(args.inputs[2]->constant), p.c, k->bias_.data);
  k->packed_bytes = k->weights_.bytes() + k->bias_.bytes();
  k->tasks_ = tasks_for_runs(p.n * k->blocks_, args.threads);
  k->geom_ = conv_geom(p);  // depthwise: dilation 1 (make_depthwise refuses others)
  const int64_t padded = ((p.oh - 1) * p.stride_h + p.kh) * ((p.ow - 1) * p.stride_w + p.kw);
  k->scratch_floats_ = static_cast<int64_t>(
      align64(static_cast<size_t>(padded * lanes) * sizeof(float)) / sizeof(float));
  k->scratch_bytes = static_cast<size_t>(k->scratch_floats_) * sizeof(float) *
                     static_cast<size_t>(std::max(1, args.threads));
  k->name = std::string("conv2d_depthwise_lanes") + std::to_string(p.kh) + "x" +
            std::to_string(p.kw) + "s" + std::to_string(p.stride_h) + "x" +
            std::to_string(p.stride_w) + "_f32_" + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

// The flat kernels apply (isa_depthwise.h: DepthwiseFlatFn): stride 1 with the output the size
// of the input, or stride 2 with the output half of it and rows of at most two vectors; output
// planes of at most kDwFlatMaxChunks vectors.
bool depthwise_flat_applies(const IsaDepthwiseKernels* dw, const IsaKernels& isa,
                            const ref::Conv2DParams& p) {
  if (dw == nullptr || p.kh * p.kw > kDwFlatMaxTaps ||
      ceil_div(p.oh * p.ow, isa.lanes) > kDwFlatMaxChunks)
    return false;
  if (p.stride_h == 1 && p.stride_w == 1)
    return dw->flat_s1 != nullptr && p.oh == p.h && p.ow == p.w;
  // Stride 2 (flat_s2 takes rows of up to two vectors): 3x3 on input rows of one vector only;
  // measured against the lanes / plane kernels, 1 thread: 576 x 14x14 -> 7x7 0.039 -> 0.034 ms
  // (batch 1), 0.355 -> 0.290 ms (batch 8); from 28x28 (8 x 192 planes) 0.295 -> 0.321 ms and
  // 5x5 from 14x14 on 2 threads (8 x 672 planes) 0.33 -> 0.38 ms were slower.
  return p.stride_h == 2 && p.stride_w == 2 && dw->flat_s2 != nullptr && 2 * p.oh >= p.h &&
         2 * p.ow >= p.w && p.kh <= 3 && p.kw <= 3 && p.w <= isa.lanes && p.ow <= isa.lanes;
}

// DwFlatPlan of a flat depthwise: per tap, its offset and, per chunk of `lanes` output
// positions, the lanes whose tap lies inside the image.
void plan_depthwise_flat(const ConvGeom& g, int s, int lanes, DwFlatPlan* plan) {
  const int out = g.oh * g.ow, chunks = (out + lanes - 1) / lanes;
  const int64_t phase = static_cast<int64_t>((g.h + 1) / 2) * g.ow;
  for (int ky = 0, t = 0; ky < g.kh; ++ky) {
    for (int kx = 0; kx < g.kw; ++kx, ++t) {
      const int a = ky - g.pt, b = kx - g.pl;
      if (s == 1) {
        plan->offsets[t] = static_cast<int64_t>(a) * g.w + b;
      } else {
        const int py = a & 1, px = b & 1;  // two's complement: parity of negative offsets too
        plan->offsets[t] =
            (py * 2 + px) * phase + static_cast<int64_t>((a - py) / 2) * g.ow + (b - px) / 2;
      }
      for (int q = 0; q < chunks; ++q) {
        uint32_t bits = 0;
        for (int j = 0; j < lanes && q * lanes + j < out; ++j) {
          const int i = q * lanes + j, iy = s * (i / g.ow) + a, ix = s * (i % g.ow) + b;
          if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) bits |= 1u << j;
        }
        plan->masks[t][q] = bits;
      }
    }
  }
}

Result<std::unique_ptr<Kernel>> make_depthwise_flat(const PrepareArgs& args,
                                                    const IsaDepthwiseKernels& dw,
                                                    const IsaKernels& isa,
                                                    const ref::Conv2DParams& p,
                                                    const ref::ActivationParams& act) {
  auto k = std::make_unique<DepthwiseFlatKernel>();
  const bool s2 = p.stride_h == 2;
  k->fn_ = s2 ? dw.flat_s2 : dw.flat_s1;
  k->p_ = p;
  k->act_.init(act);
  k->weights_ = static_cast<const float*>(args.inputs[1]->constant);
  if (args.inputs.size() > 2 && args.inputs[2] != nullptr)
    k->bias_ = static_cast<const float*>(args.inputs[2]->constant);
  k->geom_ = conv_geom(p);
  k->plan_ = std::make_unique<DwFlatPlan>();
  plan_depthwise_flat(k->geom_, s2 ? 2 : 1, isa.lanes, k->plan_.get());
  k->tasks_ = tasks_for_runs(p.n * p.c, args.threads);
  if (s2) {
    k->scratch_floats_ = static_cast<int64_t>(
        align64(static_cast<size_t>(dw_flat_s2_buf(p.h, p.ow)) * sizeof(float)) / sizeof(float));
    k->scratch_bytes = static_cast<size_t>(k->scratch_floats_) * sizeof(float) *
                       static_cast<size_t>(std::max(1, args.threads));
  }
  k->name = std::string("conv2d_depthwise_flat") + std::to_string(p.kh) + "x" +
            std::to_string(p.kw) + (s2 ? "s2x2" : "s1x1") + "_f32_" + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_depthwise_plane(const PrepareArgs& args,
                                                     const IsaDepthwiseKernels& dw,
                                                     const IsaKernels& isa,
                                                     const ref::Conv2DParams& p,
                                                     const ref::ActivationParams& act) {
  auto k = std::make_unique<DepthwisePlaneKernel>();
  k->fn_ = p.stride_h == 1 ? dw.plane_s1 : dw.plane_s2;
  k->p_ = p;
  k->act_.init(act);
  k->weights_ = static_cast<const float*>(args.inputs[1]->constant);
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (k->has_bias_) k->bias_ = static_cast<const float*>(args.inputs[2]->constant);
  k->geom_ = conv_geom(p);  // depthwise: dilation 1 (make_depthwise refuses others)
  if (!k->zeros_.allocate(static_cast<size_t>(p.w)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the zero row");
  k->tasks_ = tasks_for_runs(p.n * p.c, args.threads);
  k->name = std::string("conv2d_depthwise") + std::to_string(p.kh) + "x" + std::to_string(p.kw) +
            "s" + std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + "_plane_f32_" +
            isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_depthwise(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act) {
  if (p.dilation_h != 1 || p.dilation_w != 1) return unsupported(args, "dilated depthwise conv");
  if (p.kh > 8 || p.kw > 8) return unsupported(args, "depthwise kernel larger than 8x8");
  if (p.stride_w > 2) return unsupported(args, "depthwise stride_w > 2");
  const bool s1 = p.stride_h == 1 && p.stride_w == 1;
  const IsaDepthwiseKernels* dw = isa_depthwise_kernels(isa.isa);
  if (depthwise_flat_applies(dw, isa, p)) return make_depthwise_flat(args, *dw, isa, p, act);
  // (window_lanes gathers and scatters with 32-bit plane offsets.)
  if (p.oh * p.ow <= (p.kh * p.kw >= 25 && !s1 ? 2 * kLanesMaxPositions : kLanesMaxPositions) &&
      p.h * p.w * isa.lanes <= INT32_MAX)
    return make_depthwise_lanes(args, isa, p, act);
  if (dw != nullptr && depthwise_plane_supported(p.kh, p.kw) && p.stride_h == p.stride_w &&
      (p.stride_h == 1 || p.stride_h == 2))
    return make_depthwise_plane(args, *dw, isa, p, act);
  auto k = std::make_unique<DepthwiseKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->act_.init(act);
  k->weights_ = static_cast<const float*>(args.inputs[1]->constant);
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (k->has_bias_) k->bias_ = static_cast<const float*>(args.inputs[2]->constant);
  plan_window(isa, p.oh, p.ow, p.kh, p.kw, p.stride_h, p.stride_w, &k->geom_, &k->rows_,
              &k->scratch_floats_);
  if (p.stride_h == 1 && p.stride_w == 1) {
    k->direct_ = true;
    k->direct_geom_ = conv_geom(p);  // stride 1, dilation 1 here
    if (!k->zeros_.allocate(static_cast<size_t>(p.w)))
      return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the zero row");
    k->scratch_floats_ = 0;
  }
  k->scratch_bytes = static_cast<size_t>(k->scratch_floats_) * sizeof(float) *
                     static_cast<size_t>(std::max(1, args.threads));
  k->name = std::string("conv2d_depthwise") + std::to_string(p.kh) + "x" + std::to_string(p.kw) +
            "s" + std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + "_f32_" +
            isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

// Shared with pool.cc.
void plan_window_geometry(const IsaKernels& isa, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                          int64_t sh, int64_t sw, WindowGeom* g, int32_t* rows, int64_t* floats) {
  plan_window(isa, oh, ow, kh, kw, sh, sw, g, rows, floats);
}

}  // namespace strix::kernels::cpu
