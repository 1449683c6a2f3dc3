// Conv2D INT8 for the optimized CPU backend (the arithmetic contract: ref/int8_params.h,
// the leaf routines: isa_int8.h). Output bytes are identical to ref::conv2d_i8.
//
// GEMM path (any group whose groups have >= 2 input channels, any kernel, stride, dilation,
// padding): per image and group, Y[M, N] = W[M, K] x X'[K, N] with K grouped by 4 input
// channels at one tap. The input is rewritten once per image into a "phased" layout:
//   plane (c4, py, px) [Hq][Wq][4 channels] = padded input at row r*sh + py, column
//   col*sw + px (stride phases; the padding holds the zero point),
// so that tap (ky, kx) of output position n = oy * Wq + ox (a "wide" grid with Wq >= ow
// columns, the extra ones computed and dropped) reads the 4-byte group at
//   plane(c4, (ky*dh) % sh, (kx*dw) % sw) + ((ky*dh / sh) * Wq + kx*dw / sw + n) * 4:
// every K group is a contiguous run of output positions and needs no im2col packing (B of
// the tile routine, addressed through a per-K-group offset table). W is packed at prepare
// into row panels [panel][k4][mr][4]. Tiles of mr channels x nr positions requantize in
// registers and store int8 directly (Wq == ow) or through a per-thread tile buffer.
// Tasks: per (image, group): the layout planes over the pool, then (N chunk, M chunk) tiles;
// for 1x1 stride-1 unpadded convs without an M split, one pass of N-chunk tasks that each
// interleave their own columns and compute them (no barrier between the two).
//
// Depthwise path (one input channel per group, any multiplier): per (image, output channel)
// plane, x - x_zp as int16 padded with 0 into per-thread scratch (the ISA's dw_pad layout),
// then int32 window sums of 16 outputs in registers, requantized right away (dw_conv); or the
// ISA's dw_plane, which does both its own way (AVX-512 VNNI: x86/int8_dw_vnni.h).
#include <algorithm>
#include <cstring>

#include "kernels/cpu/common.h"
#include "kernels/cpu/int8_common.h"
#include "kernels/cpu/ref/conv.h"

namespace strix::kernels::cpu {

void Int8Channels::init(const ref::QuantParams& q, int64_t channels, int64_t padded,
                        const int32_t* bias, const std::vector<int64_t>& wsum, int32_t zp_eff) {
  offset.assign(static_cast<size_t>(padded), 0);
  mult.assign(static_cast<size_t>(padded), 0);
  lshift.assign(static_cast<size_t>(padded), 0);
  rshift.assign(static_cast<size_t>(padded), 0);
  for (int64_t c = 0; c < channels; ++c) {
    const ref::QuantizedMultiplier& m = q.multipliers[static_cast<size_t>(c)];
    const uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(bias ? bias[c] : 0));
    const uint64_t corr = static_cast<uint64_t>(static_cast<int64_t>(zp_eff) * wsum[c]);
    offset[c] = static_cast<int32_t>(static_cast<uint32_t>(b - corr));
    mult[c] = m.multiplier;
    lshift[c] = m.shift > 0 ? m.shift : 0;
    rshift[c] = m.shift > 0 ? 0 : -m.shift;
    left = left || m.shift > 0;
  }
  zp = q.y_zero_point;
  qmin = q.qmin;
  qmax = q.qmax;
}

void Int8Channels::enable_fast(int64_t channels, const int32_t* bias,
                               const std::vector<int64_t>& wabs) {
  fast_c.clear();
  bool all_round = true, no_round = true;
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t b = bias ? bias[c] : 0;
    if (!fast_requant_ok(255 * wabs[c] + (b < 0 ? -b : b), lshift[c], rshift[c])) return;
    all_round = all_round && rshift[c] > 0;
    no_round = no_round && rshift[c] == 0;
  }
  fast_c.resize(offset.size());
  for (size_t c = 0; c < fast_c.size(); ++c) fast_c[c] = fast_requant_constant(rshift[c], zp);
  fast_mode = no_round ? 0 : (all_round ? 1 : 2);
}

Int8Requant Int8Channels::at(int64_t first) const {
  Int8Requant r;
  r.offset = offset.data() + first;
  r.mult = mult.data() + first;
  r.lshift = lshift.data() + first;
  r.rshift = rshift.data() + first;
  r.zp = zp;
  r.qmin = qmin;
  r.qmax = qmax;
  r.left = left;
  r.fast_c = fast_c.empty() ? nullptr : fast_c.data() + first;
  r.fast_mode = fast_mode;
  return r;
}

namespace {

constexpr int64_t kChunkPanels = 4;  // N panels per task

class ConvI8GemmKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    auto* layout = static_cast<uint8_t*>(args.scratch);
    int8_t* tiles = reinterpret_cast<int8_t*>(layout + layout_bytes_);
    const int64_t in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow;
    const int64_t cg = p_.c / p_.group, mg = p_.m / p_.group;
    for (int64_t b = 0; b < p_.n; ++b) {
      for (int64_t g = 0; g < p_.group; ++g) {
        const int8_t* xg = x + (b * p_.c + g * cg) * in_plane;
        int8_t* yg = y + (b * p_.m + g * mg) * out_plane;
        if (fused_) {
          // Each task interleaves its own N chunk's columns, then computes them.
          parallel_for(args.pool, n_chunks_, [&](int64_t task, int thread) {
            build_columns(xg, task, layout);
            run_task(layout, g, task, yg, tiles + thread * tile_bytes_);
          });
          continue;
        }
        parallel_for(args.pool, c4_ * sh_ * sw_, [&](int64_t plane, int) {
          build_plane(xg, plane, layout + plane * plane_bytes_);
        });
        parallel_for(args.pool, n_chunks_ * m_chunks_, [&](int64_t task, int thread) {
          run_task(layout, g, task, yg, tiles + thread * tile_bytes_);
        });
      }
    }
  }

  // Plane (c4, py, px) of the phased layout (see the file comment).
  void build_plane(const int8_t* xg, int64_t plane, uint8_t* dst) const {
    const int64_t px = plane % sw_, py = (plane / sw_) % sh_, c4 = plane / (sw_ * sh_);
    if (!phase_used_[py * sw_ + px]) return;  // no tap reads it (e.g. 1x1 stride 2)
    const int64_t cg = p_.c / p_.group, in_plane = p_.h * p_.w;
    const int64_t nch = std::min<int64_t>(4, cg - c4 * 4);
    const uint8_t xr = isa_->act_xor;
    // Columns col whose input column ix = col * sw + px - pl is inside [0, w).
    const int64_t col_lo = std::min(wq_, std::max<int64_t>(0, ceil_div(p_.pad_left - px, sw_)));
    const int64_t col_hi = std::max(col_lo, std::min(wq_, ceil_div(p_.w + p_.pad_left - px, sw_)));
    const int8_t* rows[4];
    for (int64_t r = 0; r < hq_; ++r) {
      uint8_t* d = dst + r * wq_ * 4;
      const int64_t iy = r * sh_ + py - p_.pad_top;
      if (iy < 0 || iy >= p_.h || col_lo == col_hi) {
        std::memset(d, pad_byte_, static_cast<size_t>(wq_ * 4));
        continue;
      }
      std::memset(d, pad_byte_, static_cast<size_t>(col_lo * 4));
      std::memset(d + col_hi * 4, pad_byte_, static_cast<size_t>((wq_ - col_hi) * 4));
      const int64_t ix0 = col_lo * sw_ + px - p_.pad_left;
      for (int64_t j = 0; j < 4; ++j)
        rows[j] = xg + (c4 * 4 + std::min(j, nch - 1)) * in_plane + iy * p_.w + ix0;
      if (sw_ == 1 && nch == 4) {
        isa_->interleave4(rows[0], rows[1], rows[2], rows[3], col_hi - col_lo, d + col_lo * 4);
        continue;
      }
      // Strided or partial channel group; channels past cg repeat a real one (their weights
      // are 0).
      for (int64_t col = col_lo; col < col_hi; ++col) {
        const int64_t o = (col - col_lo) * sw_;
        uint8_t* e = d + col * 4;
        for (int64_t j = 0; j < 4; ++j) e[j] = static_cast<uint8_t>(rows[j][o]) ^ xr;
      }
    }
  }

  // fused_ (1x1, stride 1, no padding: layout position n is input position n): positions
  // [n0, n1) of N chunk nc, every channel group.
  void build_columns(const int8_t* xg, int64_t nc, uint8_t* layout) const {
    const int64_t n0 = nc * kChunkPanels * isa_->nr;
    const int64_t n1 = std::min(n_wide_, n0 + kChunkPanels * isa_->nr);
    const int64_t cg = p_.c / p_.group, in_plane = p_.h * p_.w;
    const uint8_t xr = isa_->act_xor;
    for (int64_t c4 = 0; c4 < c4_; ++c4) {
      const int64_t nch = std::min<int64_t>(4, cg - c4 * 4);
      const int8_t* rows[4];
      for (int64_t j = 0; j < 4; ++j)
        rows[j] = xg + (c4 * 4 + std::min(j, nch - 1)) * in_plane + n0;
      uint8_t* d = layout + c4 * plane_bytes_ + n0 * 4;
      if (nch == 4) {
        isa_->interleave4(rows[0], rows[1], rows[2], rows[3], n1 - n0, d);
        continue;
      }
      for (int64_t i = 0; i < n1 - n0; ++i)
        for (int64_t j = 0; j < 4; ++j) d[4 * i + j] = static_cast<uint8_t>(rows[j][i]) ^ xr;
    }
  }

  void run_task(const uint8_t* layout, int64_t g, int64_t task, int8_t* yg, int8_t* tile) const {
    const int64_t mc = task % m_chunks_, nc = task / m_chunks_;
    int64_t mp_begin, mp_end;
    split_range(m_panels_, m_chunks_, mc, &mp_begin, &mp_end);
    const int nr = isa_->nr, mr = isa_->mr;
    const int64_t np_end = std::min(n_panels_, (nc + 1) * kChunkPanels);
    const int64_t mg = p_.m / p_.group, out_plane = p_.oh * p_.ow;
    Int8TileArgs t;
    t.k4 = static_cast<int>(k4_);
    t.b_koff = koff_.data();
    t.weights_in_a = true;
    // N panels outer (a B panel stays in L1/L2 across the M panels) unless a B panel is far
    // bigger than L1 (m_outer_): then M panels outer, the A panel staying near across the
    // chunk's N panels (res5 3x3 512: B 147 KB, all of A 2.3 MB, measured ~4% faster).
    const int64_t np_begin = nc * kChunkPanels;
    const int64_t count = (np_end - np_begin) * (mp_end - mp_begin);
    for (int64_t i = 0; i < count; ++i) {
      int64_t np, mp;
      if (m_outer_) {
        mp = mp_begin + i / (np_end - np_begin);
        np = np_begin + i % (np_end - np_begin);
      } else {
        np = np_begin + i / (mp_end - mp_begin);
        mp = mp_begin + i % (mp_end - mp_begin);
      }
      const int64_t n0 = np * nr;
      const int nvalid = static_cast<int>(std::min<int64_t>(nr, n_wide_ - n0));
      t.b = layout + n0 * 4;
      t.nvalid = nvalid;
      const int64_t m0 = rows_[mp];
      t.rows = rows_[mp + 1] - rows_[mp];
      t.a = packed_.data() + (g * m_panels_ + mp) * k4_ * mr * 4;
      t.rq = ch_.at(g * mg + m0);
      if (direct_) {
        t.c = yg + m0 * out_plane + n0;
        t.ldc = out_plane;
        isa_->tile(t);
        continue;
      }
      t.c = tile;
      t.ldc = nr;
      isa_->tile(t);
      // Wide grid -> output positions: drop columns ox >= ow. Runs of columns within one
      // wide row, each copied per channel row.
      int64_t oy = n0 / wq_, ox = n0 - oy * wq_;
      for (int j = 0; j < nvalid;) {
        const int run = static_cast<int>(std::min<int64_t>(nvalid - j, wq_ - ox));
        const int64_t keep = std::min<int64_t>(run, p_.ow - ox);
        if (keep > 0) {
          int8_t* dst = yg + m0 * out_plane + oy * p_.ow + ox;
          for (int r = 0; r < t.rows; ++r)
            std::memcpy(dst + r * out_plane, tile + r * nr + j, static_cast<size_t>(keep));
        }
        j += run;
        ox += run;
        if (ox == wq_) ox = 0, ++oy;
      }
    }
  }

  const IsaInt8Kernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  Int8Channels ch_;
  std::vector<uint8_t> packed_;      // [group][m panel][k4][mr][4]
  std::vector<int32_t> rows_;        // row panels of one group's M
  std::vector<int32_t> koff_;        // per K group: byte offset into the layout
  std::vector<uint8_t> phase_used_;  // [py * sw + px]: some tap reads that stride phase
  int64_t sh_ = 1, sw_ = 1, hq_ = 0, wq_ = 0, c4_ = 0, k4_ = 0;
  int64_t plane_bytes_ = 0, layout_bytes_ = 0, tile_bytes_ = 0;
  int64_t n_wide_ = 0, n_panels_ = 0, n_chunks_ = 0, m_panels_ = 0, m_chunks_ = 1;
  uint8_t pad_byte_ = 0;
  bool direct_ = false;
  bool m_outer_ = false;  // run_task's tile order (M panels outer)
  bool fused_ = false;    // layout built per N chunk inside the GEMM tasks (build_columns)
};

class ConvI8DepthwiseKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    auto* scratch = static_cast<uint8_t*>(args.scratch);
    const int64_t in_plane = p_.h * p_.w, out_plane = p_.oh * p_.ow, taps = p_.kh * p_.kw;
    const int64_t mg = p_.m / p_.c;
    parallel_for(args.pool, p_.n * p_.m, [&](int64_t plane, int thread) {
      const int64_t b = plane / p_.m, m = plane % p_.m;
      auto* padded = reinterpret_cast<int16_t*>(scratch + thread * plane_bytes_);
      const int8_t* xp = x + (b * p_.c + m / mg) * in_plane;
      const auto h = static_cast<int32_t>(p_.h), w = static_cast<int32_t>(p_.w);
      if (isa_->dw_plane != nullptr) {
        isa_->dw_plane(xp, h, w, geom_, weights_.data() + m * taps, ch_.at(m), padded,
                       y + plane * out_plane);
        return;
      }
      isa_->dw_pad(xp, h, w, x_zp_, geom_, padded);
      isa_->dw_conv(padded, geom_, weights_.data() + m * taps, ch_.at(m), y + plane * out_plane);
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  ref::Conv2DParams p_;
  DwGeom geom_;
  Int8Channels ch_;               // offset = bias (x - x_zp is formed in the padded plane)
  std::vector<int16_t> weights_;  // [M][kh * kw]
  int32_t x_zp_ = 0;
  int64_t plane_bytes_ = 0;
};

Result<std::unique_ptr<Kernel>> make_depthwise_i8(const PrepareArgs& args,
                                                  const IsaInt8Kernels& isa,
                                                  const ref::Conv2DParams& p,
                                                  const ref::QuantParams& q, const int8_t* w,
                                                  const int32_t* bias) {
  auto k = std::make_unique<ConvI8DepthwiseKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  k->x_zp_ = q.x_zero_point;
  const int64_t taps = p.kh * p.kw;
  k->weights_.assign(w, w + p.m * taps);
  k->ch_.init(q, p.m, p.m, bias, std::vector<int64_t>(static_cast<size_t>(p.m), 0), 0);
  DwGeom& g = k->geom_;
  g.kh = static_cast<int32_t>(p.kh);
  g.kw = static_cast<int32_t>(p.kw);
  g.sh = static_cast<int32_t>(p.stride_h);
  g.sw = static_cast<int32_t>(p.stride_w);
  g.dh = static_cast<int32_t>(p.dilation_h);
  g.dw = static_cast<int32_t>(p.dilation_w);
  g.pt = static_cast<int32_t>(p.pad_top);
  g.pl = static_cast<int32_t>(p.pad_left);
  g.oh = static_cast<int32_t>(p.oh);
  g.ow = static_cast<int32_t>(p.ow);
  g.rows = static_cast<int32_t>((p.oh - 1) * p.stride_h + (p.kh - 1) * p.dilation_h + 1);
  // Whole blocks of 16 outputs past every tap's phase offset; every input column too.
  const int64_t need = ceil_div(p.ow, 16) * 16 + (p.kw - 1) * p.dilation_w / p.stride_w;
  g.pwq = ceil_div(std::max(need, ceil_div(p.pad_left + p.w, p.stride_w)), 16) * 16;
  // Pairs plane (x86): slots ox + p * d for p < ceil(kw / 2) and every input column.
  const int64_t d = p.stride_w == 1 ? 2 : 1;
  const int64_t slots = ceil_div(p.ow, 16) * 16 + ((p.kw + 1) / 2 - 1) * d;
  const int64_t cols = p.stride_w == 1 ? p.pad_left + p.w : ceil_div(p.pad_left + p.w, 2);
  g.pairs = ceil_div(std::max(slots, cols), 16) * 16;
  g.x_zp = q.x_zero_point;
  // Quads plane (x86 VNNI, dilation_w 1, stride_w 1 or 2): slots ox + q * 4 / sw for
  // q < ceil(kw / 4), whole blocks of 16.
  int64_t plane = static_cast<int64_t>(g.rows) * std::max(g.pwq * g.sw, 2 * g.pairs);
  if (p.dilation_w == 1 && (p.stride_w == 1 || p.stride_w == 2)) {
    g.quads = ceil_div(ceil_div(p.ow, 16) * 16 + ((p.kw + 3) / 4 - 1) * (4 / p.stride_w), 16) * 16;
    plane = std::max(plane, g.rows * 2 * g.quads);
  }
  if (plane > INT32_MAX / 4) return unsupported(args, "depthwise plane too large");
  k->plane_bytes_ = static_cast<int64_t>(align64(static_cast<size_t>(plane) * sizeof(int16_t)));
  k->scratch_bytes = static_cast<size_t>(k->plane_bytes_) * std::max(1, args.threads);
  k->packed_bytes = k->weights_.size() * sizeof(int16_t) + 4 * k->ch_.offset.size() * 4;
  k->name = std::string("conv2d_i8_depthwise_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_gemm_i8(const PrepareArgs& args, const IsaInt8Kernels& isa,
                                             const ref::Conv2DParams& p, const ref::QuantParams& q,
                                             const int8_t* w, const int32_t* bias) {
  auto k = std::make_unique<ConvI8GemmKernel>();
  k->isa_ = &isa;
  k->p_ = p;
  const int mr = isa.mr, nr = isa.nr;
  const int64_t cg = p.c / p.group, mg = p.m / p.group, taps = p.kh * p.kw;
  k->sh_ = p.stride_h;
  k->sw_ = p.stride_w;
  k->hq_ = p.oh + (p.kh - 1) * p.dilation_h / p.stride_h;
  k->wq_ = p.ow + (p.kw - 1) * p.dilation_w / p.stride_w;
  k->c4_ = ceil_div(cg, 4);
  k->k4_ = k->c4_ * taps;
  k->plane_bytes_ = k->hq_ * k->wq_ * 4;
  k->n_wide_ = p.oh * k->wq_;
  k->n_panels_ = ceil_div(k->n_wide_, nr);
  const int64_t layout = k->c4_ * k->sh_ * k->sw_ * k->plane_bytes_ + (nr + k->wq_) * 4 + 64;
  if (layout > INT32_MAX / 2) return unsupported(args, "input too large for 32-bit offsets");
  k->layout_bytes_ = static_cast<int64_t>(align64(static_cast<size_t>(layout)));
  k->direct_ = k->wq_ == p.ow;
  k->pad_byte_ = static_cast<uint8_t>(q.x_zero_point) ^ isa.act_xor;

  // K group q = (c4 * kh + ky) * kw + kx: its offset in the layout.
  k->koff_.resize(static_cast<size_t>(k->k4_));
  k->phase_used_.assign(static_cast<size_t>(k->sh_ * k->sw_), 0);
  for (int64_t ky = 0; ky < p.kh; ++ky)
    for (int64_t kx = 0; kx < p.kw; ++kx)
      k->phase_used_[((ky * p.dilation_h) % k->sh_) * k->sw_ + (kx * p.dilation_w) % k->sw_] = 1;
  for (int64_t c4 = 0; c4 < k->c4_; ++c4)
    for (int64_t ky = 0; ky < p.kh; ++ky)
      for (int64_t kx = 0; kx < p.kw; ++kx) {
        const int64_t vy = ky * p.dilation_h, vx = kx * p.dilation_w;
        const int64_t plane = (c4 * k->sh_ + vy % k->sh_) * k->sw_ + vx % k->sw_;
        k->koff_[(c4 * p.kh + ky) * p.kw + kx] = static_cast<int32_t>(
            plane * k->plane_bytes_ + ((vy / k->sh_) * k->wq_ + vx / k->sw_) * 4);
      }

  // Weights [M, cg, kh, kw] -> per group, row panels [panel][k4][mr][4] (zero-filled).
  k->rows_ = split_panels(mg, mr);
  k->m_panels_ = static_cast<int64_t>(k->rows_.size()) - 1;
  k->packed_.assign(static_cast<size_t>(p.group * k->m_panels_ * k->k4_ * mr * 4), 0);
  std::vector<int64_t> wsum(static_cast<size_t>(p.m), 0), wabs(static_cast<size_t>(p.m), 0);
  for (int64_t g = 0; g < p.group; ++g)
    for (int64_t mp = 0; mp < k->m_panels_; ++mp)
      for (int32_t m = k->rows_[mp]; m < k->rows_[mp + 1]; ++m) {
        const int64_t oc = g * mg + m, r = m - k->rows_[mp];
        uint8_t* dst = k->packed_.data() + (g * k->m_panels_ + mp) * k->k4_ * mr * 4;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t t = 0; t < taps; ++t) {
            const int8_t v = w[(oc * cg + c) * taps + t];
            wsum[oc] += v;
            wabs[oc] += v < 0 ? -v : v;
            const int64_t qi = (c / 4) * taps + t;
            dst[(qi * mr + r) * 4 + c % 4] = static_cast<uint8_t>(v);
          }
      }
  k->ch_.init(q, p.m, p.m + mr, bias, wsum, effective_zero_point(isa, q.x_zero_point));
  k->ch_.enable_fast(p.m, bias, wabs);

  const int threads = std::max(1, args.threads);
  k->n_chunks_ = ceil_div(k->n_panels_, kChunkPanels);
  k->m_outer_ = k->k4_ * nr * 4 > 64 * 1024;
  if (threads > 1 && k->n_chunks_ < 4 * threads)
    k->m_chunks_ = std::min<int64_t>(k->m_panels_, ceil_div(4 * threads, k->n_chunks_));
  k->fused_ = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
              p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0 && k->m_chunks_ == 1;
  k->tile_bytes_ = static_cast<int64_t>(align64(static_cast<size_t>(mr * nr)));
  k->scratch_bytes = static_cast<size_t>(k->layout_bytes_ + k->tile_bytes_ * threads);
  k->packed_bytes = k->packed_.size() + k->koff_.size() * 4 + 4 * k->ch_.offset.size() * 4 +
                    k->ch_.fast_c.size() * 8;
  k->name =
      std::string(p.kh == 1 && p.kw == 1 && k->direct_ ? "conv2d_i8_1x1_" : "conv2d_i8_gemm_") +
      isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv2d_i8(const PrepareArgs& args, const IsaInt8Kernels& isa) {
  // Validation, messages and the output shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_conv2d(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kI8) return unsupported(args, "not int8");
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  ref::Conv2DParams p;
  STRIX_RETURN_IF_ERROR(
      ref::conv2d_params(args, o, args.inputs[0]->shape, args.inputs[1]->shape, &p));
  const bool has_bias = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  ref::QuantParams q;
  STRIX_RETURN_IF_ERROR(ref::int8_quant_params(args, 1, 0, p.m, has_bias ? 2 : -1,
                                               o ? o->activation() : nullptr, &q));
  const auto* w = static_cast<const int8_t*>(args.inputs[1]->constant);
  const auto* bias = has_bias ? static_cast<const int32_t*>(args.inputs[2]->constant) : nullptr;
  if (p.group == p.c) return make_depthwise_i8(args, isa, p, q, w, bias);
  return make_gemm_i8(args, isa, p, q, w, bias);
}

}  // namespace strix::kernels::cpu
