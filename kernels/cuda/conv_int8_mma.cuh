// kernels/cuda/conv_int8_mma.cuh — the pieces of the INT8 tensor-core convolutions (internal,
// device code): tile configurations, the A (im2col rows) and B (filter rows) loaders of one
// 64-byte reduction stage, the mma over a stage, the exact requantizing epilogue and the
// coalesced store of an output tile. conv_int8_mma.cu builds one output tile per block from
// them. (A persistent variant, each block walking a stream of tiles with the next tile's loads
// in flight during the epilogue, measured slower than these on the H200 and was removed.)
//
// GEMM view: rows = output positions (n, oh, ow), columns = output channels, reduction =
// (kh, kw, c) in the order of the channels-last filter [m, kh, kw, c]; c % 16 == 0 so every
// 16-byte chunk of the reduction lies in one tap (its offsets come from the chunk table, no
// divisions in the loop). A block computes BM x BN outputs; its warps (WARPS_M x WARPS_N) each
// own MT x NT mma tiles (16 x 8). Stages hold A (im2col rows gathered on the fly; padding taps
// are filled with x_zp, the real 0) and B (filter rows, zero-filled past the end), both as
// 64-byte rows whose four 16-byte chunks are XOR-swizzled by (row >> 1) & 3 so that ldmatrix
// reads 8 rows without bank conflicts.
#pragma once

#include "kernels/cuda/int8_math.cuh"
#include "kernels/cuda/mma_sm80.cuh"

namespace strix::kernels::cuda::mma_i8 {

using namespace sm80;  // NOLINT: this family's primitives (mma_sm80.cuh)

constexpr int kBK = 64;  // reduction bytes per stage

// Byte offset of 16-byte chunk `j` of row `row` in a stage (64-byte rows, swizzled).
__device__ __forceinline__ int swz(int row, int j) {
  return row * kBK + ((j ^ ((row >> 1) & 3)) << 4);
}

template <int WARPS_M_, int WARPS_N_, int MT_, int NT_, int STAGES_>
struct MmaConfig {
  static constexpr int WARPS_M = WARPS_M_, WARPS_N = WARPS_N_, MT = MT_, NT = NT_;
  static constexpr int kThreads = WARPS_M * WARPS_N * 32;
  static constexpr int kBM = WARPS_M * MT * 16;
  static constexpr int kBN = WARPS_N * NT * 8;
  static constexpr int kStages = STAGES_;
  static constexpr int kYStride = kBN + 16;  // epilogue tile rows (bytes), conflict-free
  static constexpr int kPipeSmem = STAGES_ * (kBM + kBN) * kBK;
  static constexpr int kTileSmem = kBM * kYStride;     // one int8 output tile
  static constexpr int kA_ITERS = kBM * 4 / kThreads;  // A chunks per thread and stage
  static constexpr int kB_CHUNKS = kBN * 4;
  static constexpr int kB_ITERS = (kB_CHUNKS + kThreads - 1) / kThreads;
  static_assert(NT % 2 == 0, "B fragments load two n8 tiles at a time");
  static_assert((kBM * 4) % kThreads == 0, "A chunks split evenly");
  static_assert(kBN % 16 == 0, "16-byte epilogue chunks");
};

// The A rows one thread gathers for the output tile at row0 (fixed over its reduction): the
// source of each row's tap origin in x (32-bit offsets: the factory refuses larger tensors) and
// the tap origin's coordinates; every thread copies chunk column tid & 3 of rows tid / 4 + i *
// kThreads / 4, whose shared-memory slots are dst + i * kRowStep (a multiple of 16 rows keeps
// the swizzle key). PAD: some taps may fall outside x (they read x_zp); without it every tap of
// every valid row lies inside x (no padding, ConvI8 checks), and rows past the end read row 0.
template <class Cfg, bool PAD>
struct ARows {
  static constexpr int kRowStep = Cfg::kThreads / 4 * kBK;
  int off[Cfg::kA_ITERS], ih0[Cfg::kA_ITERS], iw0[Cfg::kA_ITERS];
  uint32_t dst, pad4;

  __device__ __forceinline__ void setup(const DevConvI8& p, int row0) {
    const int tid = threadIdx.x, ohw = p.oh * p.ow, positions = p.n * ohw;
    const int row_bytes = p.w * p.c;
#pragma unroll
    for (int i = 0; i < Cfg::kA_ITERS; ++i) {
      const int row = (tid + i * Cfg::kThreads) >> 2;
      int pos = row0 + row;
      const bool ok = pos < positions;
      if (!ok) pos = 0;
      const int img = fast_div(pos, p.div_ohw), rem = pos - img * ohw;
      const int oy = fast_div(rem, p.div_ow), ox = rem - oy * p.ow;
      // With PAD, rows past the end read as padding everywhere.
      ih0[i] = ok || !PAD ? oy * p.stride_h - p.pad_top : -(1 << 28);
      iw0[i] = ox * p.stride_w - p.pad_left;
      off[i] = ok || !PAD ? (img * p.h + ih0[i]) * row_bytes + iw0[i] * p.c : 0;
    }
    dst = swz(tid >> 2, tid & 3);
    pad4 = static_cast<uint32_t>(p.x_zp & 0xff) * 0x01010101u;
  }

  // cp.async of reduction stage kt into the stage at shared address sa_stage (padding taps:
  // x_zp). Past K nothing is written: stale bytes meet the zero-filled filter.
  __device__ __forceinline__ void load(const DevConvI8& p, const int8_t* x, uint32_t sa_stage,
                                       int kt, int K) const {
    const int kbyte = kt * kBK + (threadIdx.x & 3) * 16;
    if (kbyte >= K) return;
    // ktab: (tap row, tap column, channel, byte offset of the chunk from the tap origin).
    const int4 e = __ldg(p.ktab + (kbyte >> 4));
#pragma unroll
    for (int i = 0; i < Cfg::kA_ITERS; ++i) {
      const int ih = ih0[i] + e.x, iw = iw0[i] + e.y;
      if (!PAD || (static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                   static_cast<unsigned>(iw) < static_cast<unsigned>(p.w)))
        cp_async16(sa_stage + dst + i * kRowStep, x + (off[i] + e.w), 16);
      else
        st_shared_x4(sa_stage + dst + i * kRowStep, pad4);
    }
  }
};

// The filter rows one thread copies for the column tile at col0 (chunk column tid & 3 of rows
// tid / 4 + i * kThreads / 4, slots dst + i * kRowStep).
template <class Cfg>
struct BRows {
  static constexpr int kRowStep = Cfg::kThreads / 4 * kBK;
  const int8_t* src[Cfg::kB_ITERS];
  uint32_t dst;
  bool ok[Cfg::kB_ITERS];

  __device__ __forceinline__ void setup(const DevConvI8& p, const int8_t* w, int col0, int K) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int i = 0; i < Cfg::kB_ITERS; ++i) {
      const int q = tid + i * Cfg::kThreads;
      const int nrow = q >> 2;
      ok[i] = q < Cfg::kB_CHUNKS && col0 + nrow < p.m;
      src[i] = w + (ok[i] ? (col0 + nrow) * K + (tid & 3) * 16 : 0);
    }
    dst = swz(tid >> 2, tid & 3);
  }

  // Rows past p.m and chunks past K are zero-filled.
  __device__ __forceinline__ void load(uint32_t sb_stage, int kt, int K) const {
    const bool k_ok = kt * kBK + (threadIdx.x & 3) * 16 < K;
#pragma unroll
    for (int i = 0; i < Cfg::kB_ITERS; ++i) {
      if (Cfg::kB_CHUNKS % Cfg::kThreads != 0 && threadIdx.x + i * Cfg::kThreads >= Cfg::kB_CHUNKS)
        break;
      const bool go = ok[i] && k_ok;
      cp_async16(sb_stage + dst + i * kRowStep, go ? src[i] + kt * kBK : src[i], go ? 16 : 0);
    }
  }
};

// This thread's ldmatrix addresses, relative to a stage, for the two 32-byte halves (ks) of a
// stage: of its first A tile (mt = 0; tile mt adds mt * 16 rows) and of its first pair of B
// tiles (nt = 0; pair nt adds nt * 8 rows). Adding multiples of 16 rows keeps the swizzle key
// ((row >> 1) & 3), so the other tiles are fixed offsets from these.
template <class Cfg>
struct FragOffsets {
  uint32_t a[2], b[2];

  __device__ __forceinline__ void setup() {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = warp % Cfg::WARPS_M, wn = warp / Cfg::WARPS_M;
    const int arow = wm * Cfg::MT * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
    const int brow = wn * Cfg::NT * 8 + (lane & 7) + (lane >> 4) * 8;
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {
      a[ks] = swz(arow, ks * 2 + (lane >> 4));
      b[ks] = swz(brow, ks * 2 + ((lane >> 3) & 1));
    }
  }
};

// acc += A stage x B stage (this warp's MT x NT tiles), stages at shared addresses.
template <class Cfg>
__device__ __forceinline__ void mma_stage(int32_t (&acc)[Cfg::MT][Cfg::NT][4], uint32_t sa_stage,
                                          uint32_t sb_stage, const FragOffsets<Cfg>& f) {
  constexpr int MT = Cfg::MT, NT = Cfg::NT;
#pragma unroll
  for (int ks = 0; ks < 2; ++ks) {
    // The B fragments of the half, then one A fragment at a time: fewer live registers.
    uint32_t bf[NT][2];
#pragma unroll
    for (int nt = 0; nt < NT; nt += 2) {
      uint32_t r[4];
      ldmatrix_x4(r, sb_stage + f.b[ks] + nt * 8 * kBK);
      bf[nt][0] = r[0];
      bf[nt][1] = r[1];
      bf[nt + 1][0] = r[2];
      bf[nt + 1][1] = r[3];
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      uint32_t af[4];
      ldmatrix_x4(af, sa_stage + f.a[ks] + mt * 16 * kBK);
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) mma_s8(acc[mt][nt], af, bf[nt][0], bf[nt][1]);
    }
  }
}

template <class Cfg>
__device__ __forceinline__ void zero(int32_t (&acc)[Cfg::MT][Cfg::NT][4]) {
#pragma unroll
  for (int i = 0; i < Cfg::MT; ++i)
#pragma unroll
    for (int j = 0; j < Cfg::NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0;
}

// cp.async of the residual tile at (row0, col0) into sr (rows of kYStride bytes); needs
// p.m % 16 == 0 (16-byte aligned rows).
template <class Cfg>
__device__ __forceinline__ void load_residual(const DevConvI8& p, int8_t* sr, int row0, int col0) {
  constexpr int BN = Cfg::kBN, CHUNKS = Cfg::kBM * (BN / 16);
  const int positions = p.n * p.oh * p.ow;
  for (int q = threadIdx.x; q < CHUNKS; q += Cfg::kThreads) {
    const int row = q / (BN / 16), ch = q - row * (BN / 16);
    const int gr = row0 + row, gc = col0 + ch * 16;
    if (gr < positions && gc < p.m)
      cp_async16(sr + row * Cfg::kYStride + ch * 16,
                 p.residual + static_cast<size_t>(gr) * p.m + gc, 16);
  }
}

// cp.async of the epilogue's constants of columns col0 .. col0 + BN into sc (rows as in
// DevConvI8::cols), zeros past p.m.
template <class Cfg>
__device__ __forceinline__ void load_constants(const DevConvI8& p, int32_t* sc, int col0) {
  constexpr int BN = Cfg::kBN, CHUNKS = BN / 4;
  const int stride = (p.m + 3) & ~3;
  for (int q = threadIdx.x; q < kEpilogueColumnRows * CHUNKS; q += Cfg::kThreads) {
    const int row = q / CHUNKS, c = col0 + (q - row * CHUNKS) * 4;
    const int32_t* src = p.cols + row * stride;
    const int valid = c >= p.m ? 0 : (p.m - c >= 4 ? 4 : p.m - c);
    cp_async16(sc + row * BN + (c - col0), valid > 0 ? src + c : src, 4 * valid);
  }
}

// Bytes of the Add's tables in shared memory for an epilogue.
constexpr int lut_bytes(int epi) { return epi == kEpiFastAddRelu ? 512 * 8 : 512 * 4; }

// The epilogue's arithmetic: every accumulator of this thread requantized (and combined with
// the residual tile `sr` through the Add's tables `lut`: add_lut, or add_lut64 for
// kEpiFastAddRelu) into the int8 tile `sy` (rows of kYStride bytes), with the column constants
// `sc` (load_constants). Thread's accumulators: rows (lane >> 2) and +8 of each m16 tile,
// columns 2 * (lane & 3) and +1 of each n8 tile.
template <class Cfg, int EPI>
__device__ __forceinline__ void requantize_tile(const DevConvI8& p,
                                                const int32_t (&acc)[Cfg::MT][Cfg::NT][4],
                                                int8_t* sy, const int8_t* sr, const void* lut,
                                                const int32_t* sc, int col0, bool residual_arg) {
  constexpr int MT = Cfg::MT, NT = Cfg::NT, WARPS_M = Cfg::WARPS_M, YS = Cfg::kYStride;
  constexpr bool kFast = EPI != kEpiExact;
  const bool residual = EPI == kEpiFastAddRelu || (EPI != kEpiFastRelu && residual_arg);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp % WARPS_M, wn = warp / WARPS_M;
  const RqConst add_rq = rq_const(p.add.out_mult, p.add.out_shift);
  const int add_e = -p.add.out_shift;
  const int32_t add_round = kFast ? 1 << (add_e - 1) : 0;
  const int32_t* lut_a = static_cast<const int32_t*>(lut) + 128;
  const int32_t* lut_b = static_cast<const int32_t*>(lut) + 256 + 128;
  const long long* lut64_a = static_cast<const long long*>(lut) + 128;
  const long long* lut64_b = static_cast<const long long*>(lut) + 256 + 128;
  // One conv output from its accumulator with the column's constants: c is the 64-bit term
  // (bias folded in) of rq_fast_folded, or of rq_fast_relu for kEpiFastRelu (then sh = e - 1).
  auto conv_out = [&](int32_t acc, int32_t b, long long c, int32_t m, int e, int32_t round,
                      const RqConst& q) {
    if (EPI == kEpiFastRelu) {
      const int32_t y = rq_fast_relu(acc, m, c, round) + p.rq.y_zp;
      return min(max(y, p.rq.qmin), p.rq.qmax);
    }
    if (kFast) {
      const int32_t y = rq_fast_folded(acc, m, c, round, e) + p.rq.y_zp;
      return min(max(y, p.rq.qmin), p.rq.qmax);
    }
    return rq_clamp(acc + b, q, p.rq.y_zp, p.rq.qmin, p.rq.qmax);
  };
  // The Add of conv output y1 and residual value r.
  auto add_out = [&](int32_t y1, int r) {
    if (EPI == kEpiFastAddRelu) {
      const long long a = lut64_a[y1] + lut64_b[r];
      const int32_t y = (static_cast<int32_t>(a >> 32) >> (add_e - 1)) + p.add.out_zp;
      return min(max(y, p.add.qmin), p.add.qmax);
    }
    const int32_t sum = lut_a[y1] + lut_b[r];
    if (kFast) {
      const int32_t y = rq_fast(sum, p.add.out_mult, add_round, add_e) + p.add.out_zp;
      return min(max(y, p.add.qmin), p.add.qmax);
    }
    return rq_clamp(sum, add_rq, p.add.out_zp, p.add.qmin, p.add.qmax);
  };
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const int cl = wn * NT * 8 + nt * 8 + (lane & 3) * 2;
    const int col = col0 + cl;
    if (col >= p.m) continue;
    // The column pair's constants (sc: zeros past p.m, whose outputs are never stored): for the
    // fast forms, the host's round and 64-bit term (DevConvI8::cols) and e = -shift >= 1.
    const int2 bias = *reinterpret_cast<const int2*>(sc + cl);
    const int2 mult = *reinterpret_cast<const int2*>(sc + Cfg::kBN + cl);
    const int2 shift = *reinterpret_cast<const int2*>(sc + 2 * Cfg::kBN + cl);
    const int2 round = *reinterpret_cast<const int2*>(sc + 3 * Cfg::kBN + cl);
    const int2 c_lo = *reinterpret_cast<const int2*>(sc + 4 * Cfg::kBN + cl);
    const int2 c_hi = *reinterpret_cast<const int2*>(sc + 5 * Cfg::kBN + cl);
    const int32_t b0 = bias.x, b1 = bias.y, m0 = mult.x, m1 = mult.y;
    const int s0 = shift.x, s1 = shift.y;
    const int e0 = -s0, e1 = -s1;
    const int32_t r0 = round.x, r1 = round.y;
    const long long c0 = static_cast<long long>(static_cast<unsigned long long>(c_hi.x) << 32 |
                                                static_cast<uint32_t>(c_lo.x));
    const long long c1 = static_cast<long long>(static_cast<unsigned long long>(c_hi.y) << 32 |
                                                static_cast<uint32_t>(c_lo.y));
    RqConst q0, q1;
    if (!kFast) {
      q0 = rq_const(m0, s0);
      q1 = rq_const(m1, s1);
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int rl = wm * MT * 16 + mt * 16 + (lane >> 2) + half * 8;
        int32_t v0 = conv_out(acc[mt][nt][half * 2], b0, c0, m0, e0, r0, q0);
        int32_t v1 = conv_out(acc[mt][nt][half * 2 + 1], b1, c1, m1, e1, r1, q1);
        if (residual) {
          const char2 r = *reinterpret_cast<const char2*>(sr + rl * YS + cl);
          v0 = add_out(v0, r.x);
          v1 = add_out(v1, r.y);
        }
        *reinterpret_cast<char2*>(sy + rl * YS + cl) =
            make_char2(static_cast<int8_t>(v0), static_cast<int8_t>(v1));
      }
    }
  }
}

// Split-K: this thread's raw accumulators to split blockIdx.z of p.partial (rows past the
// positions and columns past p.m are not stored).
template <class Cfg>
__device__ __forceinline__ void store_partial(const DevConvI8& p,
                                              const int32_t (&acc)[Cfg::MT][Cfg::NT][4], int row0,
                                              int col0) {
  const int positions = p.n * p.oh * p.ow;
  int32_t* dst = p.partial + static_cast<size_t>(blockIdx.z) * positions * p.m;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp % Cfg::WARPS_M, wn = warp / Cfg::WARPS_M;
#pragma unroll
  for (int nt = 0; nt < Cfg::NT; ++nt) {
    const int col = col0 + wn * Cfg::NT * 8 + nt * 8 + (lane & 3) * 2;
    if (col >= p.m) continue;
#pragma unroll
    for (int mt = 0; mt < Cfg::MT; ++mt)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int row = row0 + wm * Cfg::MT * 16 + mt * 16 + (lane >> 2) + half * 8;
        if (row >= positions) continue;
        int32_t* o = dst + static_cast<size_t>(row) * p.m + col;
        o[0] = acc[mt][nt][half * 2];
        if (col + 1 < p.m) o[1] = acc[mt][nt][half * 2 + 1];
      }
  }
}

// Stores the int8 tile sy (rows of kYStride bytes) at (row0, col0) of y with coalesced 16-byte
// writes (bytewise when p.m % 16 != 0).
template <class Cfg>
__device__ __forceinline__ void store_tile(const DevConvI8& p, const int8_t* sy, int8_t* y,
                                           int row0, int col0) {
  constexpr int BN = Cfg::kBN, CHUNKS = Cfg::kBM * (BN / 16);
  const int positions = p.n * p.oh * p.ow;
  const bool vec = (p.m & 15) == 0;
  for (int q = threadIdx.x; q < CHUNKS; q += Cfg::kThreads) {
    const int row = q / (BN / 16), ch = q - row * (BN / 16);
    const int gr = row0 + row, gc = col0 + ch * 16;
    if (gr >= positions || gc >= p.m) continue;
    int8_t* dst = y + static_cast<size_t>(gr) * p.m + gc;
    const int8_t* src = sy + row * Cfg::kYStride + ch * 16;
    if (vec) {
      *reinterpret_cast<int4*>(dst) = *reinterpret_cast<const int4*>(src);
    } else {
      for (int b = 0; b < 16 && gc + b < p.m; ++b) dst[b] = src[b];
    }
  }
}

}  // namespace strix::kernels::cuda::mma_i8
