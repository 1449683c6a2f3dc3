// INT8 Conv2D as a tensor-core implicit GEMM (mma.sync.m16n8k32.s8.s8.s32, sm_75+).
//
// GEMM view: rows = output positions (n, oh, ow), columns = output channels, reduction =
// (kh, kw, c) in the order of the channels-last filter [m, kh, kw, c]; c % 16 == 0 so every
// 16-byte chunk of the reduction lies in one tap (its offsets come from the chunk table, no
// divisions in the loop). A block computes BM x BN outputs; its warps (WARPS_M x WARPS_N) each
// own MT x NT mma tiles (16 x 8). The reduction advances 64 bytes per stage through a
// STAGES-deep cp.async pipeline in shared memory: A (im2col rows gathered on the fly; padding
// taps are filled with x_zp, the real 0) and B (filter rows, zero-filled past the end), both as
// 64-byte rows whose four 16-byte chunks are XOR-swizzled by (row >> 1) & 3 so that ldmatrix
// reads 8 rows without bank conflicts.
//
// Epilogue, through shared memory: the residual tile (fused Add) is read with coalesced 16-byte
// loads, every accumulator is requantized exactly like ref::requantize (int8_math.cuh) and
// combined with the residual through the Add's per-value terms (DevConvI8::add_lut, in shared
// memory), the int8 tile is written to shared memory and then stored with coalesced 16-byte
// writes.
#include "kernels/cuda/int8_math.cuh"
#include "kernels/cuda/mma_sm80.cuh"

namespace strix::kernels::cuda {
namespace {

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
  static constexpr int kEpiSmem = 2 * kBM * kYStride + 512 * 4;
  static constexpr int kSmem = kPipeSmem > kEpiSmem ? kPipeSmem : kEpiSmem;
  static_assert(NT % 2 == 0, "B fragments load two n8 tiles at a time");
  static_assert((kBM * 4) % kThreads == 0, "A chunks split evenly");
  static_assert(kBN % 16 == 0, "16-byte epilogue chunks");
};

// The epilogue's arithmetic: every accumulator of this thread requantized (and combined with
// the residual tile `sr` through the Add's tables `lut`) into the int8 tile `sy` (rows of
// kYStride bytes). Thread's accumulators: rows (lane >> 2) and +8 of each m16 tile, columns
// 2 * (lane & 3) and +1 of each n8 tile. FAST: p.fast_rq (rq_fast everywhere), else the general
// form (rq_clamp).
template <class Cfg, bool FAST>
__device__ __forceinline__ void requantize_tile(const DevConvI8& p,
                                                const int32_t (&acc)[Cfg::MT][Cfg::NT][4],
                                                int8_t* sy, const int8_t* sr, const int32_t* lut,
                                                int col0, bool residual) {
  constexpr int MT = Cfg::MT, NT = Cfg::NT, WARPS_M = Cfg::WARPS_M, YS = Cfg::kYStride;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp % WARPS_M, wn = warp / WARPS_M;
  const RqConst add_rq = rq_const(p.add.out_mult, p.add.out_shift);
  const int add_e = -p.add.out_shift;
  const int32_t add_round = FAST ? 1 << (add_e - 1) : 0;
  const int32_t* lut_a = lut + 128;
  const int32_t* lut_b = lut + 256 + 128;
  // One output: requantize v with channel constants (m, shift or its RqConst), then the Add.
  auto conv_out = [&](int32_t v, int32_t m, int e, int32_t round, const RqConst& q) {
    if (FAST) {
      const int32_t y = rq_fast(v, m, round, e) + p.rq.y_zp;
      return min(max(y, p.rq.qmin), p.rq.qmax);
    }
    return rq_clamp<true>(v, q, p.rq.y_zp, p.rq.qmin, p.rq.qmax);
  };
  auto add_out = [&](int32_t y1, int r) {
    const int32_t sum = lut_a[y1] + lut_b[r];
    if (FAST) {
      const int32_t y = rq_fast(sum, p.add.out_mult, add_round, add_e) + p.add.out_zp;
      return min(max(y, p.add.qmin), p.add.qmax);
    }
    return rq_clamp<true>(sum, add_rq, p.add.out_zp, p.add.qmin, p.add.qmax);
  };
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const int cl = wn * NT * 8 + nt * 8 + (lane & 3) * 2;
    const int col = col0 + cl;
    if (col >= p.m) continue;
    const int c1 = col + 1 < p.m ? col + 1 : col;
    const int32_t b0 = __ldg(p.rq.bias + col), b1 = __ldg(p.rq.bias + c1);
    const int32_t m0 = __ldg(p.rq.mult + col), m1 = __ldg(p.rq.mult + c1);
    const int s0 = __ldg(p.rq.shift + col), s1 = __ldg(p.rq.shift + c1);
    // FAST: e = -shift >= 1, round = 2^(e-1); else the general constants.
    const int e0 = -s0, e1 = -s1;
    const int32_t r0 = FAST ? 1 << (e0 - 1) : 0, r1 = FAST ? 1 << (e1 - 1) : 0;
    RqConst q0, q1;
    if (!FAST) {
      q0 = rq_const(m0, s0);
      q1 = rq_const(m1, s1);
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int rl = wm * MT * 16 + mt * 16 + (lane >> 2) + half * 8;
        int32_t v0 = conv_out(acc[mt][nt][half * 2] + b0, m0, e0, r0, q0);
        int32_t v1 = conv_out(acc[mt][nt][half * 2 + 1] + b1, m1, e1, r1, q1);
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

template <class Cfg>
__global__ void __launch_bounds__(Cfg::kThreads)
    conv_i8_mma_kernel(DevConvI8 p, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                       int8_t* __restrict__ y) {
  constexpr int BM = Cfg::kBM, BN = Cfg::kBN, THREADS = Cfg::kThreads, STAGES = Cfg::kStages;
  constexpr int MT = Cfg::MT, NT = Cfg::NT, WARPS_M = Cfg::WARPS_M;
  constexpr int A_ITERS = BM * 4 / THREADS;
  constexpr int B_CHUNKS = BN * 4;
  constexpr int B_ITERS = (B_CHUNKS + THREADS - 1) / THREADS;
  extern __shared__ __align__(128) int8_t smem[];
  int8_t* sa = smem;
  int8_t* sb = smem + STAGES * BM * kBK;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp % WARPS_M, wn = warp / WARPS_M;
  const int ohw = p.oh * p.ow;
  const int positions = p.n * ohw;
  const int row0 = blockIdx.x * BM, col0 = blockIdx.y * BN;
  const int K = p.kh * p.kw * p.c;
  const int ktiles = (K + kBK - 1) / kBK;
  const int pad4 = (p.x_zp & 0xff) * 0x01010101;
  const int4 pad16 = make_int4(pad4, pad4, pad4, pad4);
  const int row_bytes = p.w * p.c;

  // The A rows this thread gathers (fixed over the reduction), as offsets into x (32-bit: the
  // factory refuses larger tensors) and shared-memory destinations, and its chunk column.
  const int a_j = tid & 3;
  int a_off[A_ITERS], a_ih0[A_ITERS], a_iw0[A_ITERS], a_dst[A_ITERS];
#pragma unroll
  for (int i = 0; i < A_ITERS; ++i) {
    const int row = (tid + i * THREADS) >> 2;
    int pos = row0 + row;
    const bool ok = pos < positions;
    if (!ok) pos = 0;
    const int img = pos / ohw, rem = pos - img * ohw;
    const int oy = rem / p.ow, ox = rem - oy * p.ow;
    // Rows past the end read as padding everywhere.
    a_ih0[i] = ok ? oy * p.stride_h - p.pad_top : -(1 << 28);
    a_iw0[i] = ox * p.stride_w - p.pad_left;
    a_off[i] = ok ? (img * p.h + a_ih0[i]) * row_bytes + a_iw0[i] * p.c : 0;
    a_dst[i] = swz(row, a_j);
  }
  // The filter rows this thread copies: all in chunk column b_j = a_j (THREADS % 4 == 0).
  int b_off[B_ITERS], b_dst[B_ITERS];
  bool b_ok[B_ITERS];
#pragma unroll
  for (int i = 0; i < B_ITERS; ++i) {
    const int q = tid + i * THREADS;
    const int nrow = q >> 2;
    b_ok[i] = q < B_CHUNKS && col0 + nrow < p.m;
    b_off[i] = b_ok[i] ? (col0 + nrow) * K + a_j * 16 : 0;
    b_dst[i] = swz(nrow, a_j);
  }

  auto load_stage = [&](int stage, int kt) {
    const int kbyte = kt * kBK + a_j * 16;
    const bool k_ok = kbyte < K;
    if (k_ok) {
      // ktab: (tap row, tap column, channel, byte offset of the chunk from the tap origin).
      const int4 e = __ldg(p.ktab + (kbyte >> 4));
      int8_t* sa_stage = sa + stage * BM * kBK;
#pragma unroll
      for (int i = 0; i < A_ITERS; ++i) {
        const int ih = a_ih0[i] + e.x, iw = a_iw0[i] + e.y;
        if (static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
            static_cast<unsigned>(iw) < static_cast<unsigned>(p.w))
          cp_async16(sa_stage + a_dst[i], x + (a_off[i] + e.w), 16);
        else
          *reinterpret_cast<int4*>(sa_stage + a_dst[i]) = pad16;
      }
    }  // past K: stale bytes meet zero-filled B
    int8_t* sb_stage = sb + stage * BN * kBK;
#pragma unroll
    for (int i = 0; i < B_ITERS; ++i) {
      if (B_CHUNKS % THREADS != 0 && tid + i * THREADS >= B_CHUNKS) break;
      const bool ok = b_ok[i] && k_ok;
      cp_async16(sb_stage + b_dst[i], w + (ok ? b_off[i] + kt * kBK : 0), ok ? 16 : 0);
    }
  };

  int32_t acc[MT][NT][4];
#pragma unroll
  for (int i = 0; i < MT; ++i)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0;

#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ktiles) load_stage(s, s);
    cp_async_commit();
  }

  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int next = kt + STAGES - 1;
    if (next < ktiles) load_stage(next % STAGES, next);
    cp_async_commit();

    const int8_t* sa_stage = sa + (kt % STAGES) * BM * kBK;
    const int8_t* sb_stage = sb + (kt % STAGES) * BN * kBK;
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {
      uint32_t af[MT][4];
      uint32_t bf[NT][2];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        const int row = wm * MT * 16 + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        ldmatrix_x4(af[mt], sa_stage + swz(row, ks * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int nt = 0; nt < NT; nt += 2) {
        const int nrow = wn * NT * 8 + nt * 8 + (lane & 7) + (lane >> 4) * 8;
        uint32_t r[4];
        ldmatrix_x4(r, sb_stage + swz(nrow, ks * 2 + ((lane >> 3) & 1)));
        bf[nt][0] = r[0];
        bf[nt][1] = r[1];
        bf[nt + 1][0] = r[2];
        bf[nt + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) mma_s8(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
    }
  }
  cp_async_wait<0>();
  __syncthreads();  // the pipeline's shared memory becomes the epilogue's

  constexpr int YS = Cfg::kYStride;
  constexpr int CHUNKS = BM * (BN / 16);
  int8_t* sy = smem;
  int8_t* sr = smem + BM * YS;
  int32_t* lut = reinterpret_cast<int32_t*>(smem + 2 * BM * YS);
  const bool residual = p.residual != nullptr;
  const bool vec = (p.m & 15) == 0;
  if (residual) {
    for (int i = tid; i < 512; i += THREADS) lut[i] = __ldg(p.add_lut + i);
    for (int q = tid; q < CHUNKS; q += THREADS) {
      const int row = q / (BN / 16), ch = q - row * (BN / 16);
      const int gr = row0 + row, gc = col0 + ch * 16;
      if (gr >= positions || gc >= p.m) continue;
      const int8_t* src = p.residual + static_cast<size_t>(gr) * p.m + gc;
      int8_t* dst = sr + row * YS + ch * 16;
      if (vec) {
        *reinterpret_cast<int4*>(dst) = __ldg(reinterpret_cast<const int4*>(src));
      } else {
        for (int b = 0; b < 16 && gc + b < p.m; ++b) dst[b] = src[b];
      }
    }
    __syncthreads();
  }

  if (p.fast_rq)
    requantize_tile<Cfg, true>(p, acc, sy, sr, lut, col0, residual);
  else
    requantize_tile<Cfg, false>(p, acc, sy, sr, lut, col0, residual);
  __syncthreads();
  for (int q = tid; q < CHUNKS; q += THREADS) {
    const int row = q / (BN / 16), ch = q - row * (BN / 16);
    const int gr = row0 + row, gc = col0 + ch * 16;
    if (gr >= positions || gc >= p.m) continue;
    int8_t* dst = y + static_cast<size_t>(gr) * p.m + gc;
    const int8_t* src = sy + row * YS + ch * 16;
    if (vec) {
      *reinterpret_cast<int4*>(dst) = *reinterpret_cast<const int4*>(src);
    } else {
      for (int b = 0; b < 16 && gc + b < p.m; ++b) dst[b] = src[b];
    }
  }
}

using Wide = MmaConfig<2, 2, 4, 8, 4>;   // 128 x 128, 4 warps of 64 x 64
using Mid = MmaConfig<2, 2, 4, 4, 4>;    // 128 x 64, 4 warps of 64 x 32
using Small = MmaConfig<2, 2, 2, 4, 4>;  // 64 x 64, 4 warps of 32 x 32
using Eight = MmaConfig<2, 4, 4, 4, 4>;  // 128 x 128, 8 warps of 64 x 32
// Two stages: for short reductions (1x1 convs over few channels) the deep pipeline only costs
// shared memory, i.e. resident blocks.
using Eight2 = MmaConfig<2, 4, 4, 4, 2>;
using Mid2 = MmaConfig<2, 2, 4, 4, 2>;

template <class Cfg>
bool set_smem() {
  return cudaFuncSetAttribute(conv_i8_mma_kernel<Cfg>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              Cfg::kSmem) == cudaSuccess;
}

template <class Cfg>
void launch(const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y, cudaStream_t stream) {
  const int positions = p.n * p.oh * p.ow;
  dim3 grid((positions + Cfg::kBM - 1) / Cfg::kBM, (p.m + Cfg::kBN - 1) / Cfg::kBN);
  conv_i8_mma_kernel<Cfg><<<grid, Cfg::kThreads, Cfg::kSmem, stream>>>(p, x, w, y);
}

}  // namespace

bool prepare_conv_i8_mma() {
  static const bool ok = device_has_sm80() && set_smem<Wide>() && set_smem<Mid>() &&
                         set_smem<Small>() && set_smem<Eight>() && set_smem<Eight2>() &&
                         set_smem<Mid2>();
  return ok;
}

void launch_conv_i8_mma(int config, const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
                        cudaStream_t stream) {
  switch (config) {
    case 0: launch<Wide>(p, x, w, y, stream); break;
    case 1: launch<Mid>(p, x, w, y, stream); break;
    case 2: launch<Small>(p, x, w, y, stream); break;
    case 3: launch<Eight>(p, x, w, y, stream); break;
    case 4: launch<Eight2>(p, x, w, y, stream); break;
    default: launch<Mid2>(p, x, w, y, stream); break;
  }
}

}  // namespace strix::kernels::cuda
