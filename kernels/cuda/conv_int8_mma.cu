// INT8 Conv2D as a tensor-core implicit GEMM (mma.sync.m16n8k32.s8.s8.s32, sm_80+; the pieces
// and the GEMM view are in conv_int8_mma.cuh), one BM x BN output tile per block.
//
// The reduction advances 64 bytes per stage through a STAGES-deep cp.async pipeline. The
// residual tile of a fused Add and the Add's per-value terms (DevConvI8::add_lut) are fetched
// with cp.async before the reduction starts, so their latency hides behind it. The epilogue
// requantizes every accumulator exactly like ref::requantize (rq_fast where the host proved its
// bound), combines it with the residual, writes the int8 tile to shared memory (reusing the
// pipeline's) and stores it with coalesced 16-byte writes.
#include "kernels/cuda/conv_int8_mma.cuh"

namespace strix::kernels::cuda {
namespace {

using namespace mma_i8;  // NOLINT: this family's pieces (conv_int8_mma.cuh)

// Shared memory: the pipeline, whose memory the output tile reuses; the column constants; with
// a fused residual, the residual tile and the Add's tables.
template <class Cfg>
struct TileSmem {
  static constexpr int kConst = Cfg::kPipeSmem > Cfg::kTileSmem ? Cfg::kPipeSmem : Cfg::kTileSmem;
  static constexpr int kBase = kConst + 3 * Cfg::kBN * 4;
  static constexpr int kResidual = kBase + Cfg::kTileSmem + 512 * 4;
};

template <class Cfg>
__global__ void __launch_bounds__(Cfg::kThreads)
    conv_i8_mma_kernel(DevConvI8 p, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                       int8_t* __restrict__ y) {
  constexpr int BM = Cfg::kBM, BN = Cfg::kBN, THREADS = Cfg::kThreads, STAGES = Cfg::kStages;
  constexpr int YS = Cfg::kYStride;
  extern __shared__ __align__(128) int8_t smem[];
  int8_t* sa = smem;
  int8_t* sb = smem + STAGES * BM * kBK;
  int32_t* sc = reinterpret_cast<int32_t*>(smem + TileSmem<Cfg>::kConst);
  int8_t* sr = smem + TileSmem<Cfg>::kBase;
  int32_t* lut = reinterpret_cast<int32_t*>(sr + Cfg::kTileSmem);
  const int row0 = blockIdx.x * BM, col0 = blockIdx.y * BN;
  const int K = p.kh * p.kw * p.c;
  const int ktiles = (K + kBK - 1) / kBK;
  const bool residual = p.residual != nullptr;
  const bool vec = (p.m & 15) == 0;

  ARows<Cfg> a;
  a.setup(p, row0);
  BRows<Cfg> b;
  b.setup(p, col0, K);
  // The first cp.async group (the pipeline's waits cover it): the column constants and a fused
  // residual with the Add's tables.
  load_constants<Cfg>(p, sc, col0);
  if (residual) {
    for (int i = threadIdx.x; i < 512 / 4; i += THREADS)
      cp_async16(lut + 4 * i, p.add_lut + 4 * i, 16);
    if (vec) load_residual<Cfg>(p, sr, row0, col0);
  }
  cp_async_commit();

  int32_t acc[Cfg::MT][Cfg::NT][4];
  zero<Cfg>(acc);
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ktiles) {
      a.load(p, x, sa + s * BM * kBK, s, K);
      b.load(w, sb + s * BN * kBK, s, K);
    }
    cp_async_commit();
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int next = kt + STAGES - 1;
    if (next < ktiles) {
      a.load(p, x, sa + (next % STAGES) * BM * kBK, next, K);
      b.load(w, sb + (next % STAGES) * BN * kBK, next, K);
    }
    cp_async_commit();
    mma_stage<Cfg>(acc, sa + (kt % STAGES) * BM * kBK, sb + (kt % STAGES) * BN * kBK);
  }
  cp_async_wait<0>();
  __syncthreads();  // the pipeline's shared memory becomes the output tile's

  int8_t* sy = smem;
  if (residual && !vec) {  // rows not 16-byte aligned: bytewise, now
    constexpr int CHUNKS = BM * (BN / 16);
    const int positions = p.n * p.oh * p.ow;
    for (int q = threadIdx.x; q < CHUNKS; q += THREADS) {
      const int row = q / (BN / 16), ch = q - row * (BN / 16);
      const int gr = row0 + row, gc = col0 + ch * 16;
      if (gr >= positions || gc >= p.m) continue;
      const int8_t* src = p.residual + static_cast<size_t>(gr) * p.m + gc;
      for (int i = 0; i < 16 && gc + i < p.m; ++i) sr[row * YS + ch * 16 + i] = src[i];
    }
    __syncthreads();
  }
  if (p.fast_rq)
    requantize_tile<Cfg, true>(p, acc, sy, sr, lut, sc, col0, residual);
  else
    requantize_tile<Cfg, false>(p, acc, sy, sr, lut, sc, col0, residual);
  __syncthreads();
  store_tile<Cfg>(p, sy, y, row0, col0);
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
                              TileSmem<Cfg>::kResidual) == cudaSuccess;
}

template <class Cfg>
void launch(const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y, cudaStream_t stream) {
  const int positions = p.n * p.oh * p.ow;
  dim3 grid((positions + Cfg::kBM - 1) / Cfg::kBM, (p.m + Cfg::kBN - 1) / Cfg::kBN);
  const int smem = p.residual != nullptr ? TileSmem<Cfg>::kResidual : TileSmem<Cfg>::kBase;
  conv_i8_mma_kernel<Cfg><<<grid, Cfg::kThreads, smem, stream>>>(p, x, w, y);
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
