// Positions-major Conv2D (group 1), f32, for the optimized CPU backend (conv_rows.h).
//
// Per image, Y^T[N, M] = im2col(X)^T[N, K] x W^T[K, M]: the weights are the vector side of
// the micro-kernel (packed once at prepare, K block by K block, into panels of isa.nr output
// channels, like a FullyConnected's B), and the output positions are the broadcast side, packed
// per K block (<= kKc) into row panels of <= isa.mr positions straight from X (isa.pack_a_conv:
// implicit im2col, 1x1 stride-1 unpadded convs as plain rows). Several images (<= kMaxPositions
// positions in all) form one task's rows, so that the weights stream from memory once per
// group: each weight panel runs over every packed A panel (in L2) while the next weight panel
// is prefetched. Bias (per channel: a column bias here) and the activation are fused into the
// last K block's stores. Y^T lands in per-thread scratch and is transposed into NCHW. With a
// fused residual (PrepareArgs::fused_residual) the transpose adds it, and the activation runs
// on the transposed channels (still in L1/L2) instead of in the GEMM epilogue.
// Tasks: (image group, chunk of weight panels); channels are split only when groups alone
// would leave threads idle or unevenly loaded. 1x1 images through a 1x1 kernel (squeeze-and-
// excitation blocks) are "stacked": each image's pixel is one GEMM row, several images per
// panel (measured at batch 8 in MobileNetV3: 960 -> 240 0.147 -> 0.109 ms, 240 -> 960 0.117 ->
// 0.105 ms).
#include "kernels/cpu/conv_rows.h"

#include <algorithm>
#include <string>
#include <vector>

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kKc = 512;
// One image's packed block (N x kc floats) must fit in L2 beside the weights' K block.
constexpr int64_t kMaxPositions = 256;

class ConvRowsKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    const auto* res = residual_ ? static_cast<const float*>(args.inputs[3]) : nullptr;
    auto* scratch = static_cast<float*>(args.scratch);
    const int64_t groups = ceil_div(p_.n, group_images_);
    parallel_for(args.pool, groups * m_chunks_, [&](int64_t task, int thread) {
      const int64_t b0 = (task / m_chunks_) * group_images_, mc = task % m_chunks_;
      run_tile(x, y, res, b0, std::min(p_.n, b0 + group_images_), mc,
               scratch + thread * scratch_floats_);
    });
  }

  // Images [b0, b1) (their positions are consecutive GEMM rows) and the weight panels of
  // chunk mc. res: the residual (laid out like y) or null.
  void run_tile(const float* x, float* y, const float* res, int64_t b0, int64_t b1, int64_t mc,
                float* scratch) const {
    const int nr = isa_->nr, mr = isa_->mr;
    int64_t mp_begin, mp_end;
    split_range(m_panels_, m_chunks_, mc, &mp_begin, &mp_end);
    float* apanels = scratch;
    float* yt = scratch + a_floats_;  // Y^T [(b1 - b0) * n_][m_], this chunk's columns
    // Stacked (1x1 images): the images are the rows, split into panels of <= mr of them.
    const std::vector<int32_t>& rows = stacked_ && b1 - b0 != group_images_ ? rows_last_ : rows_;
    const int64_t panels = stacked_ ? static_cast<int64_t>(rows.size()) - 1 : (b1 - b0) * n_panels_;
    GemmPanelArgs g;
    g.rows = rows.data();
    g.ldc = m_;
    for (int64_t k0 = 0; k0 < k_; k0 += kc_) {
      const int kc = static_cast<int>(std::min(kc_, k_ - k0));
      if (stacked_) {
        // Image b's pixel, its C channels, is row b - b0: panel p row r at [k * mr + r].
        for (int64_t p = 0; p < panels; ++p) {
          float* dst = apanels + p * kc * mr;
          const int nrow = rows[p + 1] - rows[p];
          for (int r = 0; r < mr; ++r) {
            const float* src = x + (b0 + rows[p] + r) * in_image_ + k0;
            if (r < nrow)
              for (int kk = 0; kk < kc; ++kk) dst[kk * mr + r] = src[kk];
            else
              for (int kk = 0; kk < kc; ++kk) dst[kk * mr + r] = 0.f;
          }
        }
      } else {
        for (int64_t b = b0; b < b1; ++b)
          for (int64_t p = 0; p < n_panels_; ++p)
            isa_->pack_a_conv(geom_, x + b * in_image_, rows_[p], rows_[p + 1] - rows_[p], k0, kc,
                              apanels + ((b - b0) * n_panels_ + p) * kc * mr);
      }
      g.kc = kc;
      g.a = apanels;
      g.a_panel_stride = static_cast<int64_t>(kc) * mr;
      g.first = k0 == 0;
      g.act = k0 + kc == k_ && res == nullptr ? act_.epilogue() : nullptr;
      // The K block's weight panels are contiguous ([K block][panel][kc][nr]); each panel
      // runs over every A panel (in L2) while the next one is prefetched.
      const float* block = packed_.data + k0 * m_panels_ * nr;
      const int64_t panel_floats = static_cast<int64_t>(kc) * nr;
      for (int64_t j = mp_begin; j < mp_end; ++j) {
        g.b = block + j * panel_floats;
        g.c = yt + j * nr;
        g.nvalid = static_cast<int>(std::min<int64_t>(nr, m_ - j * nr));
        g.col_bias = has_bias_ ? bias_.data + j * nr : nullptr;
        // One A panel at a time; the first ceil(nr / mr) of them prefetch (into L2, spread
        // over their k loops) the next weight panel, so that the weights stream from memory
        // while the arithmetic runs.
        // (After the last one: the chunk's first weight panel of the next K block.)
        const int64_t k1 = k0 + kc;
        const float* next =
            j + 1 < mp_end ? block + (j + 1) * panel_floats
            : k1 < k_ ? packed_.data + k1 * m_panels_ * nr + mp_begin * std::min(kc_, k_ - k1) * nr
                      : nullptr;
        const int64_t per_call = static_cast<int64_t>(kc) * mr;
        for (int64_t p = 0; p < panels; ++p) {
          g.prefetch =
              next != nullptr && p * per_call < panel_floats ? next + p * per_call : nullptr;
          g.p0 = p;
          g.p1 = p + 1;
          isa_->gemm_panel(g);
        }
      }
    }
    // Y^T[n][m] -> Y[m][n] per image for this chunk's channels, in 16 x 16 blocks.
    const int64_t m_begin = mp_begin * nr, m_end = std::min(m_, mp_end * nr);
    constexpr int64_t kB = 16;
    for (int64_t b = b0; b < b1; ++b) {
      const float* ytb = yt + (b - b0) * n_ * m_;
      float* yb = y + b * out_image_;
      if (res == nullptr) {
        for (int64_t n0 = 0; n0 < n_; n0 += kB) {
          const int64_t n1 = std::min(n_, n0 + kB);
          for (int64_t m0 = m_begin; m0 < m_end; m0 += kB) {
            const int64_t m1 = std::min(m_end, m0 + kB);
            for (int64_t m = m0; m < m1; ++m)
              for (int64_t n = n0; n < n1; ++n) yb[m * n_ + n] = ytb[n * m_ + m];
          }
        }
        continue;
      }
      const float* rb = res + b * out_image_;
      for (int64_t n0 = 0; n0 < n_; n0 += kB) {
        const int64_t n1 = std::min(n_, n0 + kB);
        for (int64_t m0 = m_begin; m0 < m_end; m0 += kB) {
          const int64_t m1 = std::min(m_end, m0 + kB);
          for (int64_t m = m0; m < m1; ++m)
            for (int64_t n = n0; n < n1; ++n) yb[m * n_ + n] = ytb[n * m_ + m] + rb[m * n_ + n];
        }
      }
      if (const Act* act = act_.epilogue())
        isa_->activation(*act, yb + m_begin * n_, yb + m_begin * n_, (m_end - m_begin) * n_);
    }
  }

  const IsaKernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  ConvGeom geom_;
  FusedAct act_;
  bool has_bias_ = false;
  bool residual_ = false;  // inputs[3] is added before the activation (fused_residual)
  AlignedFloats packed_, bias_;
  // Row panels of group_images_ images' positions: image i's panels are one image's split
  // (split_panels(n_, mr)) offset by i * n_, so no panel spans two images. Stacked (1x1
  // images, 1x1 kernel): split_panels(group_images_, mr), one row per image, and rows_last_
  // the same for the last group's images.
  std::vector<int32_t> rows_, rows_last_;
  bool stacked_ = false;
  int64_t group_images_ = 1;
  int64_t m_ = 0, k_ = 0, n_ = 0, kc_ = 0;
  int64_t in_image_ = 0, out_image_ = 0;
  int64_t n_panels_ = 0, m_panels_ = 0, m_chunks_ = 1;
  int64_t a_floats_ = 0, scratch_floats_ = 0;
};

}  // namespace

bool conv_rows_wins(const IsaKernels& isa, int64_t m, int64_t n, int64_t k) {
  if (n > kMaxPositions || m <= 0 || n <= 0) return false;
  // Lane use: channels on the vector side (m of ceil(m / nr) * nr lanes busy) against positions
  // there; positions-major must waste at least 20% fewer lanes, and (but for tiny planes) have
  // enough K to hide its transpose of the output.
  const int64_t nr = isa.nr;
  const bool fewer_idle = 5 * n * ceil_div(m, nr) < 4 * m * ceil_div(n, nr);
  return fewer_idle && (n <= 16 || k >= 256);
}

Result<std::unique_ptr<Kernel>> make_conv_rows(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act) {
  if (p.kh > 16 || p.kw > 16) return unsupported(args, "kernel larger than 16x16");
  const int64_t plane = p.h * p.w;
  if (p.c * plane > INT32_MAX / 2 || p.oh * p.ow > INT32_MAX / 2)
    return unsupported(args, "image too large for 32-bit offsets");
  auto k = std::make_unique<ConvRowsKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->act_.init(act);
  k->residual_ = args.fused_residual;
  k->m_ = p.m;
  k->k_ = p.c * p.kh * p.kw;
  k->n_ = p.oh * p.ow;
  k->kc_ = ceil_div(k->k_, ceil_div(k->k_, kKc));
  k->in_image_ = p.c * plane;
  k->out_image_ = p.m * k->n_;
  ConvGeom& g = k->geom_;
  g.c = static_cast<int32_t>(p.c);
  const bool direct_rows = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                           p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 &&
                           p.pad_right == 0;
  if (direct_rows) {
    // X [C, N] as C planes of one row: every A panel is one contiguous run per k.
    g.h = 1;
    g.w = static_cast<int32_t>(plane);
    g.oh = 1;
    g.ow = static_cast<int32_t>(k->n_);
  } else {
    g = conv_geom(p);
  }

  // Weights W [M, K] -> W^T panels, K block by K block: block k0 (kcl columns) starts at
  // k0 * Mp (Mp = M rounded up to nr) and holds Mp / nr panels [kcl][nr] (zero past M).
  const int nr = isa.nr, mr = isa.mr;
  k->m_panels_ = ceil_div(p.m, nr);
  const int64_t mp = k->m_panels_ * nr;
  if (!k->packed_.allocate(static_cast<size_t>(mp * k->k_)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  const auto* w = static_cast<const float*>(args.inputs[1]->constant);
  for (int64_t k0 = 0; k0 < k->k_; k0 += k->kc_) {
    const int64_t kcl = std::min(k->kc_, k->k_ - k0);
    float* block = k->packed_.data + k0 * mp;
    for (int64_t m = 0; m < p.m; ++m) {
      float* dst = block + (m / nr) * kcl * nr + m % nr;
      for (int64_t kk = 0; kk < kcl; ++kk) dst[kk * nr] = w[m * k->k_ + k0 + kk];
    }
  }
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (k->has_bias_) {
    if (!k->bias_.allocate(static_cast<size_t>(k->m_panels_ * nr)))
      return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the bias");
    std::copy_n(static_cast<const float*>(args.inputs[2]->constant), p.m, k->bias_.data);
  }
  k->packed_bytes = k->packed_.bytes() + k->bias_.bytes();
  // Images per task: their packed block ((images * n) x kc floats) stays within L2, and
  // the weights stream from memory once per group.
  const int64_t max_images = std::max<int64_t>(1, std::min(p.n, kMaxPositions / k->n_));
  k->group_images_ = ceil_div(p.n, ceil_div(p.n, max_images));  // groups of even size
  const std::vector<int32_t> one = split_panels(k->n_, mr);
  k->n_panels_ = static_cast<int64_t>(one.size()) - 1;
  k->rows_.assign(1, 0);
  for (int64_t i = 0; i < k->group_images_; ++i)
    for (int64_t q = 1; q <= k->n_panels_; ++q)
      k->rows_.push_back(static_cast<int32_t>(i * k->n_ + one[q]));
  const int64_t groups = ceil_div(p.n, k->group_images_);
  // 1x1 images through a 1x1 kernel (squeeze-and-excitation): one panel per image would run
  // the micro-kernel on single rows (latency-bound); the images share panels instead.
  k->stacked_ = direct_rows && plane == 1;
  if (k->stacked_) {
    k->rows_ = split_panels(k->group_images_, mr);
    k->rows_last_ = split_panels(p.n - (groups - 1) * k->group_images_, mr);
  }

  const int threads = std::max(1, args.threads);
  if (threads > 1 && groups % threads != 0 && groups < 4 * threads)
    k->m_chunks_ = std::min<int64_t>(k->m_panels_, threads);
  auto aligned = [](int64_t floats) {
    return static_cast<int64_t>(align64(static_cast<size_t>(floats) * sizeof(float)) /
                                sizeof(float));
  };
  k->a_floats_ = aligned(k->group_images_ * k->n_panels_ * mr * k->kc_);
  k->scratch_floats_ = k->a_floats_ + aligned(k->group_images_ * k->n_ * p.m);
  k->scratch_bytes = static_cast<size_t>(k->scratch_floats_) * sizeof(float) * threads;
  k->name = std::string(k->residual_ ? "conv2d_rows_gemm_add_f32_" : "conv2d_rows_gemm_f32_") +
            isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
