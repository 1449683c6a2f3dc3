// Conv2D f32 for the optimized CPU backend.
//
// group == 1, 3x3 stride 1 with enough channels and tiles: Winograd F(2x2, 3x3)
//   (conv_winograd.cc). Few output positions per image and many channels (7x7 planes, 1x1
//   images): the positions-major GEMM (conv_rows.cc). Otherwise:
// group == 1: a packed GEMM per image, Y[M, OH*OW] = W[M, K] x im2col(X)[K, OH*OW] with
//   K = C*kh*kw. W is packed once at prepare into row panels of <= isa.mr rows.
//   Cache blocking: per K block (<= kKc), a group of <= kGroupPanels B panels (isa.nr output
//   positions each) is packed into per-thread scratch straight from X (1x1 stride-1
//   unpadded: plain rows; else implicit im2col, no K x N buffer) and stays in L2; then each
//   A panel (mr rows x kc, in L1) runs the micro-kernel over every packed B panel. A (the
//   weights, the largest operand of late layers) is thus streamed from memory once per
//   group, with the most arithmetic per byte. W is packed K block by K block so that each
//   block is one contiguous stream. The epilogue (bias, residual, activation) is fused into the
//   last K block's stores.
//   1x1 stride-1 unpadded convs with few output channels and K <= kDirectBMaxK read the B
//   panels in place from the input instead (only an image's partial last panel is packed).
//   Stride 2 with kw >= 5: the input is first de-interleaved (even columns, then odd ones) so
//   that the implicit im2col reads contiguous runs instead of gathers (ConvGeom::half).
//   Tasks: (image, N group, M chunk); M is split only when there are too few groups or
//   they would share the N panels unevenly between the threads.
// group == C == M (depthwise, multiplier 1): conv_depthwise.cc.
// Anything else (other groups, dilated depthwise, huge kernels): kUnsupported.
// Residual fusion (PrepareArgs::fused_residual: y = act(conv + bias + residual)): the group-1
// paths add the residual in their epilogue, before the activation; depthwise convs and
// residuals whose shape differs from the output's return kUnsupported (two nodes instead).
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/conv_depthwise.h"
#include "kernels/cpu/conv_rows.h"
#include "kernels/cpu/conv_stem.h"
#include "kernels/cpu/conv_winograd.h"
#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::cpu {
namespace {

// K block: an A panel (mr x kc, 27 KiB at 12 x 576) stays in L1 while the B panels stream
// from L2. A 3x3 conv of 64 channels is then one block: no C reload, one packing pass.
constexpr int64_t kKc = 576;
// N panels packed together per K block: 8 x 576 x 32 floats = 576 KiB of L2.
constexpr int64_t kGroupPanels = 8;
// 1x1 stride-1 convs with at most this many weight panels (M <= 48 on AVX-512) and K: B is
// read in place from the input (GemmPanelArgs::ldb) instead of packed: with few output
// channels per packed element, packing costs as much as the arithmetic. Measured on AVX-512,
// one thread: 32 -> 16 at 112x112 0.127 -> 0.094 ms, 96 -> 24 at 56x56 0.10 -> 0.082 ms
// (batch 1); larger M gained nothing, K = 144 at 56x56 was 13% slower. One thread only: on 2
// threads the same layers were 15-35% slower than packed (SqueezeNet's squeezes, batch 1).
constexpr int64_t kDirectBMaxPanels = 4;
constexpr int64_t kDirectBMaxK = 128;

class ConvGemmKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const auto* res = residual_ ? static_cast<const float*>(args.inputs[3]) : nullptr;
    auto* scratch = static_cast<float*>(args.scratch);
    int64_t in_image = in_image_;
    if (geom_.half > 0) {
      // Stride 2: every input plane de-interleaved first (ConvGeom::half), for all images.
      float* d = scratch;
      scratch += p_.n * deint_image_;
      const int64_t plane = 2 * static_cast<int64_t>(geom_.half) * geom_.h;
      parallel_for(args.pool, p_.n * p_.c, [&](int64_t i, int) {
        isa_->pad_plane(x + i * geom_.h * geom_.w, geom_.h, geom_.w, 0, 0, geom_.h, 2,
                        2 * geom_.half, geom_.half, 0.f, d + i * plane);
      });
      x = d;
      in_image = deint_image_;
    }
    const int64_t tasks = p_.n * n_groups_ * m_chunks_;
    parallel_for(args.pool, tasks, [&](int64_t task, int thread) {
      const int64_t mc = task % m_chunks_;
      const int64_t ng = (task / m_chunks_) % n_groups_;
      const int64_t b = task / (m_chunks_ * n_groups_);
      run_tile(x + b * in_image, y + b * out_image_, res ? res + b * out_image_ : nullptr, ng, mc,
               scratch + thread * scratch_floats_);
    });
  }

  // One task: the N panels of group ng and the M panels of chunk mc. Per K block, the
  // group's B panels are packed once (<= kGroupPanels x kc x nr floats, L2), then each A
  // panel (L1) runs over all of them: the weights are read from memory once per group.
  // res: this image's residual (laid out like y) or null.
  void run_tile(const float* x, float* y, const float* res, int64_t ng, int64_t mc,
                float* bpanels) const {
    int64_t mp_begin, mp_end, np_begin, np_end;
    split_range(m_panels_, m_chunks_, mc, &mp_begin, &mp_end);
    split_range(n_panels_, n_groups_, ng, &np_begin, &np_end);
    const int nr = isa_->nr;
    GemmPanelArgs g;
    g.rows = rows_.data();
    g.ldc = n_;
    g.row_bias = has_bias_ ? bias_.data : nullptr;
    if (direct_b_) {
      run_tile_direct(x, y, res, np_begin, np_end, mp_begin, mp_end, bpanels);
      return;
    }
    for (int64_t k0 = 0; k0 < k_; k0 += kc_) {
      const int kc = static_cast<int>(std::min(kc_, k_ - k0));
      for (int64_t np = np_begin; np < np_end; ++np) {
        const int64_t n0 = np * nr;
        const int nvalid = static_cast<int>(std::min<int64_t>(nr, n_ - n0));
        float* dst = bpanels + (np - np_begin) * kc * nr;
        if (direct_rows_)
          isa_->pack_b_rows(x, n_, n0, nvalid, k0, kc, dst);
        else
          isa_->pack_b_conv(geom_, x, n0, nvalid, k0, kc, dst);
      }
      g.kc = kc;
      g.a = packed_.data + a_block_offset(k0, m_panels_, isa_->mr);
      g.a_panel_stride = static_cast<int64_t>(kc) * isa_->mr;
      g.first = k0 == 0;
      g.act = k0 + kc == k_ ? act_.epilogue() : nullptr;
      g.residual = res != nullptr && k0 + kc == k_ ? res + np_begin * nr : nullptr;
      g.ldr = n_;
      g.p0 = mp_begin;
      g.p1 = mp_end;
      g.b = bpanels;
      g.b_panels = np_end - np_begin;
      g.b_panel_stride = static_cast<int64_t>(kc) * nr;
      g.c = y + np_begin * nr;
      g.nvalid = static_cast<int>(std::min<int64_t>(nr, n_ - (np_end - 1) * nr));
      isa_->gemm_panel(g);
    }
  }

  // run_tile for direct_b_: the full N panels of [np_begin, np_end) read straight from x (row
  // k of the B matrix is input channel k), the partial last panel of the image packed.
  void run_tile_direct(const float* x, float* y, const float* res, int64_t np_begin, int64_t np_end,
                       int64_t mp_begin, int64_t mp_end, float* bpanel) const {
    const int nr = isa_->nr;
    const int64_t full_end = std::min(np_end, n_ / nr);
    GemmPanelArgs g;
    g.rows = rows_.data();
    g.ldc = n_;
    g.ldr = n_;
    g.row_bias = has_bias_ ? bias_.data : nullptr;
    g.p0 = mp_begin;
    g.p1 = mp_end;
    for (int64_t k0 = 0; k0 < k_; k0 += kc_) {
      const int kc = static_cast<int>(std::min(kc_, k_ - k0));
      const bool last = k0 + kc == k_;
      g.kc = kc;
      g.a = packed_.data + a_block_offset(k0, m_panels_, isa_->mr);
      g.a_panel_stride = static_cast<int64_t>(kc) * isa_->mr;
      g.first = k0 == 0;
      g.act = last ? act_.epilogue() : nullptr;
      if (full_end > np_begin) {
        g.b = x + k0 * n_ + np_begin * nr;
        g.ldb = n_;
        g.b_panels = full_end - np_begin;
        g.b_panel_stride = nr;
        g.c = y + np_begin * nr;
        g.residual = res != nullptr && last ? res + np_begin * nr : nullptr;
        g.nvalid = nr;
        isa_->gemm_panel(g);
      }
      if (np_end > full_end) {  // the image's last, partial panel
        const int64_t n0 = full_end * nr;
        const int nvalid = static_cast<int>(n_ - n0);
        isa_->pack_b_rows(x, n_, n0, nvalid, k0, kc, bpanel);
        g.b = bpanel;
        g.ldb = 0;
        g.b_panels = 1;
        g.c = y + n0;
        g.residual = res != nullptr && last ? res + n0 : nullptr;
        g.nvalid = nvalid;
        isa_->gemm_panel(g);
      }
    }
  }

  const IsaKernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  FusedAct act_;
  bool has_bias_ = false;
  bool residual_ = false;  // inputs[3] is added before the activation (fused_residual)
  bool direct_rows_ = false;
  // 1x1 with few output channels: B read in place from the input (run_tile_direct).
  bool direct_b_ = false;
  AlignedFloats packed_, bias_;
  std::vector<int32_t> rows_;  // GEMM row panels of M
  int64_t k_ = 0, n_ = 0, kc_ = 0;
  int64_t in_image_ = 0, out_image_ = 0;
  int64_t deint_image_ = 0;  // floats of one de-interleaved image (geom_.half > 0)
  int64_t n_panels_ = 0, n_groups_ = 1, m_panels_ = 0, m_chunks_ = 1;
  int64_t scratch_floats_ = 0;
};

Result<std::unique_ptr<Kernel>> make_conv_gemm(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act) {
  if (p.kh > 16 || p.kw > 16) return unsupported(args, "kernel larger than 16x16");
  const int64_t plane = p.h * p.w;
  if (p.c * plane > INT32_MAX / 2 || p.oh * p.ow > INT32_MAX / 2)
    return unsupported(args, "image too large for 32-bit offsets");
  auto k = std::make_unique<ConvGemmKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->act_.init(act);
  k->residual_ = args.fused_residual;
  k->k_ = p.c * p.kh * p.kw;
  k->n_ = p.oh * p.ow;
  const int64_t k_blocks = ceil_div(k->k_, kKc);
  k->kc_ = ceil_div(k->k_, k_blocks);
  k->in_image_ = p.c * plane;
  k->out_image_ = p.m * k->n_;
  k->direct_rows_ = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                    p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
  ConvGeom& g = k->geom_;
  g = conv_geom(p);
  // Stride 2 with a kernel of width >= 5 (7x7 stems with > 4 input channels or too narrow
  // for the direct stem kernel, conv_stem.h; 5x5 stride 2): de-interleaved input (contiguous
  // runs, no gathers). Narrower kernels gather fewer taps per run and were measured faster
  // without the extra pass.
  if (!k->direct_rows_ && p.stride_w == 2 && p.dilation_w == 1 && p.kw >= 5) {
    g.half = static_cast<int32_t>(ceil_div(ceil_div(p.w, 2), isa.lanes) * isa.lanes);
    k->deint_image_ = static_cast<int64_t>(
        align64(static_cast<size_t>(p.c * p.h * 2 * g.half) * sizeof(float)) / sizeof(float));
  }

  // Weights [M, K] -> row panels (isa.h).
  const int mr = isa.mr;
  k->rows_ = split_panels(p.m, mr);
  k->m_panels_ = static_cast<int64_t>(k->rows_.size()) - 1;
  if (!k->packed_.allocate(static_cast<size_t>(k->m_panels_ * mr * k->k_)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  pack_a_panels(static_cast<const float*>(args.inputs[1]->constant), k->k_, 1, k->k_, k->kc_,
                k->rows_, mr, k->packed_.data);
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (k->has_bias_) {
    if (!k->bias_.allocate(static_cast<size_t>(p.m)))
      return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the bias");
    std::copy_n(static_cast<const float*>(args.inputs[2]->constant), p.m, k->bias_.data);
  }
  k->packed_bytes = k->packed_.bytes() + k->bias_.bytes();

  // Tasks: (image, group of <= kGroupPanels N panels, M chunk). The number of groups is a
  // multiple of the threads when there are enough panels; M is split across threads when
  // (image, group) tiles alone would leave threads idle or unevenly loaded.
  const int threads = std::max(1, args.threads);
  k->n_panels_ = ceil_div(k->n_, isa.nr);
  k->n_groups_ = ceil_div(k->n_panels_, kGroupPanels);
  if (threads > 1 && k->n_panels_ >= 2 * threads)
    k->n_groups_ = ceil_div(k->n_groups_, threads) * threads;
  k->n_groups_ = std::min(k->n_groups_, k->n_panels_);
  const int64_t tiles = p.n * k->n_groups_;
  if (threads > 1 && tiles % threads != 0 && tiles < 4 * threads)
    k->m_chunks_ = std::min<int64_t>(k->m_panels_, threads);
  if (threads > 1 && k->m_chunks_ == 1 && p.m >= 128 * threads) {
    // Few N panels (one 14x14 image: 7 panels, 4 + 3 on 2 threads): the (image, group) tasks
    // share the panels unevenly. Below 90% of an even share, the threads split M instead;
    // each then packs the group's B panels itself (K x N: cheap next to its >= 128 x K x N
    // FMAs; with fewer rows per thread, the duplicate packing costs more than the imbalance),
    // and writes whole output channels, which the next (channel-split) layer reads locally.
    std::vector<int64_t> load(static_cast<size_t>(threads), 0);
    for (int64_t t = 0; t < tiles; ++t) {  // dynamic hand-out: the least loaded takes the next
      int64_t g0, g1;
      split_range(k->n_panels_, k->n_groups_, t % k->n_groups_, &g0, &g1);
      *std::min_element(load.begin(), load.end()) += g1 - g0;
    }
    const int64_t most = *std::max_element(load.begin(), load.end());
    if (10 * p.n * k->n_panels_ < 9 * threads * most) {
      k->n_groups_ = ceil_div(k->n_panels_, kGroupPanels);
      k->m_chunks_ = threads;
    }
  }
  k->direct_b_ =
      k->direct_rows_ && k->m_panels_ <= kDirectBMaxPanels && k->k_ <= kDirectBMaxK && threads == 1;
  const int64_t group_panels = ceil_div(k->n_panels_, k->n_groups_);
  k->scratch_floats_ = static_cast<int64_t>(
      align64(static_cast<size_t>(group_panels * k->kc_ * isa.nr) * sizeof(float)) / sizeof(float));
  k->scratch_bytes =
      static_cast<size_t>(k->scratch_floats_ * threads + p.n * k->deint_image_) * sizeof(float);
  k->name = std::string(k->direct_rows_ ? "conv2d_1x1_gemm_" : "conv2d_gemm_") +
            (k->residual_ ? "add_f32_" : "f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv2d(const PrepareArgs& args, const IsaKernels& isa) {
  // A residual fusion is validated as the plain conv (inputs[3], the residual, set aside).
  PrepareArgs plain_args;
  const PrepareArgs* plain = &args;
  if (args.fused_residual) {
    if (args.inputs.size() != 4 || args.inputs[3] == nullptr)
      return node_error(args, StatusCode::kInternal, "residual fusion without a residual");
    plain_args = args;
    plain_args.inputs.resize(3);
    while (!plain_args.inputs.empty() && plain_args.inputs.back() == nullptr)
      plain_args.inputs.pop_back();
    plain_args.fused_residual = false;
    plain = &plain_args;
  }
  // Validation, messages and the output shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_conv2d(*plain);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kF32) return unsupported(args, "not f32");
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  ref::Conv2DParams p;
  STRIX_RETURN_IF_ERROR(
      ref::conv2d_params(*plain, o, args.inputs[0]->shape, args.inputs[1]->shape, &p));
  ref::ActivationParams act = ref::activation_params(o ? o->activation() : nullptr);
  if (args.fused_residual) {
    const KTensor& r = *args.inputs[3];
    if (r.dtype != DType::kF32 || r.shape != args.outputs[0]->shape)
      return unsupported(args, "residual shape or type differs from the output's");
    if (p.group != 1) return unsupported(args, "residual fusion of a grouped convolution");
    // The Add's activation; an invalid one is reported when the Add is compiled alone.
    if (!ref::fused_activation(args, args.residual_activation, &act).ok())
      return unsupported(args, "invalid activation after the residual");
  }
  if (p.group == 1) {
    if (!args.fused_residual && conv_stem_applies(isa, p)) return make_conv_stem(args, isa, p, act);
    if (winograd_wins(p)) return make_conv_winograd(args, isa, p, act);
    if (conv_rows_wins(isa, p.m, p.oh * p.ow, p.c * p.kh * p.kw))
      return make_conv_rows(args, isa, p, act);
    return make_conv_gemm(args, isa, p, act);
  }
  if (p.group == p.c && p.m == p.c) return make_depthwise(args, isa, p, act);
  return unsupported(args, "grouped convolution (neither 1 nor depthwise)");
}

}  // namespace strix::kernels::cpu
