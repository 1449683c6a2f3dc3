// Winograd F(2x2, 3x3) Conv2D, f32, for the optimized CPU backend (conv_winograd.h).
//
// The output is cut into 2x2 tiles (TH x TW of them, raster order); tile t reads the 4x4 input
// patch at padded (2 ty, 2 tx). With U = G g G^T (per output/input channel pair, at prepare)
// and V = B^T d B (per input channel and tile), each of the 16 transformed positions e is one
// GEMM  M_e[M, tiles] = U_e[M, C] x V_e[C, tiles],  and Y = A^T M A (+ bias, act) per tile:
// 16 * M * C multiplications per 4 outputs instead of 36 * M * C.
// Per image, tiles go in blocks of <= tb_ (V and M of a block: 16 * (C + M) * tb_ floats,
// shared scratch), each in three parallel phases:
//   1. input: per channel, the block's padded rows (de-interleaved, pad_plane with sw 2) in
//      per-thread scratch, then isa.winograd_input per tile row -> V [16][C][tb]
//   2. the 16 GEMMs (tasks: e), U_e packed at prepare as GEMM A panels, V_e packed as B
//      panels into per-thread scratch -> M [16][M][tb]
//   3. output: per output channel, isa.winograd_output per tile row (bias, the fused residual
//      of PrepareArgs::fused_residual if any, act) -> Y.
// With several threads and enough (image, block) pairs to share evenly, each pair is instead
// one task running the three phases in its thread's own V / M scratch (no barriers, and V, M
// stay in that core's cache).
#include "kernels/cpu/conv_winograd.h"

#include <algorithm>
#include <string>

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kKc = 512;
constexpr int kXi = 16;  // transformed positions per tile

class WinogradKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const auto* res = residual_ ? static_cast<const float*>(args.inputs[3]) : nullptr;
    auto* scratch = static_cast<float*>(args.scratch);
    float* v = scratch;
    float* mprod = v + v_floats_;
    float* per_thread = mprod + m_floats_;
    if (by_block_) {
      // One task per (image, block), all three phases on one thread in its own scratch.
      parallel_for(args.pool, p_.n * blocks_, [&](int64_t task, int thread) {
        const int64_t b = task / blocks_, blk = task % blocks_;
        const int64_t t0 = blk * tb_, t1 = std::min(tiles_, t0 + tb_);
        float* tv = scratch + thread * (v_floats_ + m_floats_ + thread_floats_);
        float* tm = tv + v_floats_;
        float* buf = tm + m_floats_;
        const int64_t out = b * p_.m * p_.oh * p_.ow;
        input_tiles(x + b * p_.c * p_.h * p_.w, 0, p_.c, t0, t1, tv, buf);
        for (int e = 0; e < kXi; ++e) gemm(e, t1 - t0, tv, tm, buf);
        output_tiles(tm, 0, p_.m, t0, t1, y + out, res ? res + out : nullptr);
      });
      return;
    }
    for (int64_t b = 0; b < p_.n; ++b) {
      const float* xb = x + b * p_.c * p_.h * p_.w;
      float* yb = y + b * p_.m * p_.oh * p_.ow;
      const float* rb = res ? res + b * p_.m * p_.oh * p_.ow : nullptr;
      for (int64_t blk = 0; blk < blocks_; ++blk) {
        const int64_t t0 = blk * tb_, t1 = std::min(tiles_, t0 + tb_);
        parallel_for(args.pool, c_chunks_, [&](int64_t chunk, int thread) {
          int64_t c0, c1;
          split_range(p_.c, c_chunks_, chunk, &c0, &c1);
          input_tiles(xb, c0, c1, t0, t1, v, per_thread + thread * thread_floats_);
        });
        parallel_for(args.pool, kXi, [&](int64_t e, int thread) {
          gemm(e, t1 - t0, v, mprod, per_thread + thread * thread_floats_);
        });
        parallel_for(args.pool, m_chunks_, [&](int64_t chunk, int) {
          int64_t m0, m1;
          split_range(p_.m, m_chunks_, chunk, &m0, &m1);
          output_tiles(mprod, m0, m1, t0, t1, yb, rb);
        });
      }
    }
  }

  // Tile row ty's tiles within [t0, t1): [*a, *b) along x.
  void row_span(int64_t ty, int64_t t0, int64_t t1, int64_t* a, int64_t* b) const {
    *a = std::max<int64_t>(0, t0 - ty * tw_);
    *b = std::min<int64_t>(tw_, t1 - ty * tw_);
  }

  void input_tiles(const float* x, int64_t c0, int64_t c1, int64_t t0, int64_t t1, float* v,
                   float* buf) const {
    const int64_t tb = t1 - t0;
    const int64_t ty0 = t0 / tw_, ty1 = (t1 - 1) / tw_ + 1;
    const int32_t rows = static_cast<int32_t>(2 * (ty1 - ty0) + 2);
    for (int64_t c = c0; c < c1; ++c) {
      // Padded rows [2 ty0, 2 ty1 + 2) of channel c: padded row r is input row r - pad_top.
      isa_->pad_plane(x + c * p_.h * p_.w, static_cast<int32_t>(p_.h), static_cast<int32_t>(p_.w),
                      static_cast<int32_t>(p_.pad_top - 2 * ty0), static_cast<int32_t>(p_.pad_left),
                      rows, 2, pw_, half_, 0.f, buf);
      for (int64_t ty = ty0; ty < ty1; ++ty) {
        int64_t a, b;
        row_span(ty, t0, t1, &a, &b);
        isa_->winograd_input(buf + 2 * (ty - ty0) * pw_ + a, pw_, half_, static_cast<int>(b - a),
                             v + c * tb + (ty * tw_ + a - t0), p_.c * tb);
      }
    }
  }

  void gemm(int64_t e, int64_t tb, const float* v, float* mprod, float* bpanels) const {
    const int nr = isa_->nr, mr = isa_->mr;
    const float* ve = v + e * p_.c * tb;
    const int64_t n_panels = ceil_div(tb, nr);
    GemmPanelArgs g;
    g.p0 = 0;
    g.p1 = m_panels_;
    g.rows = rows_.data();
    g.c = mprod + e * p_.m * tb;
    g.ldc = tb;
    g.b = bpanels;
    g.b_panels = n_panels;
    g.nvalid = static_cast<int>(tb - (n_panels - 1) * nr);
    const float* u = packed_.data + e * u_stride_;
    for (int64_t k0 = 0; k0 < p_.c; k0 += kc_) {
      const int kc = static_cast<int>(std::min(kc_, p_.c - k0));
      for (int64_t np = 0; np < n_panels; ++np)
        isa_->pack_b_rows(ve, tb, np * nr, static_cast<int>(std::min<int64_t>(nr, tb - np * nr)),
                          k0, kc, bpanels + np * kc * nr);
      g.kc = kc;
      g.a = u + a_block_offset(k0, m_panels_, mr);
      g.a_panel_stride = static_cast<int64_t>(kc) * mr;
      g.b_panel_stride = static_cast<int64_t>(kc) * nr;
      g.first = k0 == 0;
      isa_->gemm_panel(g);
    }
  }

  // res: this image's residual (laid out like y) or null.
  void output_tiles(const float* mprod, int64_t m0, int64_t m1, int64_t t0, int64_t t1, float* y,
                    const float* res) const {
    const int64_t tb = t1 - t0;
    const int64_t ty0 = t0 / tw_, ty1 = (t1 - 1) / tw_ + 1;
    for (int64_t m = m0; m < m1; ++m) {
      const float bias = bias_ != nullptr ? bias_[m] : 0.f;
      float* ym = y + m * p_.oh * p_.ow;
      const float* rm = res ? res + m * p_.oh * p_.ow : nullptr;
      for (int64_t ty = ty0; ty < ty1; ++ty) {
        int64_t a, b;
        row_span(ty, t0, t1, &a, &b);
        const int rows = static_cast<int>(std::min<int64_t>(2, p_.oh - 2 * ty));
        const int cols = static_cast<int>(std::min<int64_t>(2 * (b - a), p_.ow - 2 * a));
        isa_->winograd_output(mprod + m * tb + (ty * tw_ + a - t0), p_.m * tb,
                              static_cast<int>(b - a), bias, act_.epilogue(),
                              ym + 2 * ty * p_.ow + 2 * a, p_.ow, rows, cols,
                              rm ? rm + 2 * ty * p_.ow + 2 * a : nullptr);
      }
    }
  }

  const IsaKernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  FusedAct act_;
  bool residual_ = false;        // inputs[3] is added before the activation (fused_residual)
  const float* bias_ = nullptr;  // the model's [M], used in place
  AlignedFloats packed_;         // U_e as GEMM A panels, u_stride_ floats per e
  std::vector<int32_t> rows_;    // row panels of M
  int64_t u_stride_ = 0, m_panels_ = 0, kc_ = 0;
  int64_t th_ = 0, tw_ = 0, tiles_ = 0, tb_ = 0, blocks_ = 0;
  int64_t pw_ = 0, half_ = 0;
  int64_t c_chunks_ = 1, m_chunks_ = 1;
  bool by_block_ = false;  // tasks are (image, block) pairs, else phases split C / e / M
  int64_t v_floats_ = 0, m_floats_ = 0, thread_floats_ = 0;
};

int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

}  // namespace

bool winograd_wins(const ref::Conv2DParams& p) {
  // U_e holds 16/9 of the conv's weights: with few tiles per image (7x7 outputs: 16) the
  // layer is bound by streaming them, and the direct GEMM is faster.
  const int64_t tiles = ((p.oh + 1) / 2) * ((p.ow + 1) / 2);
  return p.group == 1 && p.kh == 3 && p.kw == 3 && p.stride_h == 1 && p.stride_w == 1 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.c >= 16 && p.m >= 16 && tiles >= 36;
}

Result<std::unique_ptr<Kernel>> make_conv_winograd(const PrepareArgs& args, const IsaKernels& isa,
                                                   const ref::Conv2DParams& p,
                                                   const ref::ActivationParams& act) {
  if (p.c * p.h * p.w > INT32_MAX / 2 || p.oh * p.ow > INT32_MAX / 2)
    return unsupported(args, "image too large for 32-bit offsets");
  auto k = std::make_unique<WinogradKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->act_.init(act);
  k->residual_ = args.fused_residual;
  if (args.inputs.size() > 2 && args.inputs[2] != nullptr)
    k->bias_ = static_cast<const float*>(args.inputs[2]->constant);
  const int nr = isa.nr, mr = isa.mr, lanes = isa.lanes;
  k->th_ = ceil_div(p.oh, 2);
  k->tw_ = ceil_div(p.ow, 2);
  k->tiles_ = k->th_ * k->tw_;
  // Tiles per block: all of them up to 256 (U_e is then streamed once per image), else blocks
  // of about 8192 / (C + M) >= 64 tiles (V and M of a block: 512 KiB, in L2), multiples of nr.
  if (k->tiles_ <= 256) {
    k->tb_ = k->tiles_;
  } else {
    const int64_t target = std::max<int64_t>(64, 8192 / (p.c + p.m));
    k->tb_ = round_up(ceil_div(k->tiles_, ceil_div(k->tiles_, target)), nr);
  }
  k->blocks_ = ceil_div(k->tiles_, k->tb_);
  // De-interleaved padded rows: tile t reads even/odd columns [t, t + 2); winograd_input reads
  // whole vectors, up to round_up(tw, lanes) + 1 columns of each half.
  k->half_ = round_up(round_up(k->tw_, lanes) + 1, lanes);
  k->pw_ = 2 * k->half_;

  // U_e = (G g G^T)[e] for every (m, c), then GEMM A panels per e.
  k->kc_ = ceil_div(p.c, ceil_div(p.c, kKc));
  k->rows_ = split_panels(p.m, mr);
  k->m_panels_ = static_cast<int64_t>(k->rows_.size()) - 1;
  k->u_stride_ = k->m_panels_ * mr * p.c;
  if (!k->packed_.allocate(static_cast<size_t>(kXi * k->u_stride_)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  AlignedFloats u;
  if (!u.allocate(static_cast<size_t>(kXi * p.m * p.c)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the weight transform");
  const auto* w = static_cast<const float*>(args.inputs[1]->constant);
  for (int64_t m = 0; m < p.m; ++m) {
    for (int64_t c = 0; c < p.c; ++c) {
      const float* g = w + (m * p.c + c) * 9;
      float gg[4][3];  // G g
      for (int j = 0; j < 3; ++j) {
        gg[0][j] = g[j];
        gg[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        gg[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        gg[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; ++i) {
        const float ui[4] = {gg[i][0], 0.5f * (gg[i][0] + gg[i][1] + gg[i][2]),
                             0.5f * (gg[i][0] - gg[i][1] + gg[i][2]), gg[i][2]};
        for (int j = 0; j < 4; ++j) u.data[((i * 4 + j) * p.m + m) * p.c + c] = ui[j];
      }
    }
  }
  for (int e = 0; e < kXi; ++e)
    pack_a_panels(u.data + e * p.m * p.c, p.c, 1, p.c, k->kc_, k->rows_, mr,
                  k->packed_.data + e * k->u_stride_);
  k->packed_bytes = k->packed_.bytes();

  const int threads = std::max(1, args.threads);
  k->c_chunks_ = std::min<int64_t>(p.c, 4 * threads);
  k->m_chunks_ = std::min<int64_t>(p.m, 4 * threads);
  auto aligned = [](int64_t floats) {
    return static_cast<int64_t>(align64(static_cast<size_t>(floats) * sizeof(float)) /
                                sizeof(float));
  };
  k->v_floats_ = aligned(kXi * p.c * k->tb_);
  k->m_floats_ = aligned(kXi * p.m * k->tb_);
  const int64_t block_tile_rows = ceil_div(k->tb_, k->tw_) + 1;
  const int64_t pad_floats = (2 * block_tile_rows + 2) * k->pw_;
  const int64_t b_floats = ceil_div(k->tb_, nr) * nr * k->kc_;
  k->thread_floats_ = aligned(std::max(pad_floats, b_floats));
  // With several threads and enough (image, block) tasks to share evenly (>= 85%), each task
  // runs all three phases on one thread: the phase split costs three barriers per block and
  // moves V and M between the cores' caches (64-channel 56x56 layers: 1.4x on 2 threads).
  const int64_t tasks = p.n * k->blocks_;
  k->by_block_ =
      threads > 1 && tasks >= threads && 100 * tasks >= 85 * threads * ceil_div(tasks, threads);
  const int64_t shared_floats = k->by_block_ ? 0 : k->v_floats_ + k->m_floats_;
  const int64_t thread_floats =
      k->by_block_ ? k->v_floats_ + k->m_floats_ + k->thread_floats_ : k->thread_floats_;
  k->scratch_bytes = static_cast<size_t>(shared_floats + thread_floats * threads) * sizeof(float);
  k->name = std::string(k->residual_ ? "conv2d_winograd2x2_add_f32_" : "conv2d_winograd2x2_f32_") +
            isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
