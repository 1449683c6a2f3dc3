// INT8 Conv2D as a tensor-core implicit GEMM (mma.sync.m16n8k32.s8.s8.s32, sm_80+; the pieces
// and the GEMM view are in conv_int8_mma.cuh), one BM x BN output tile per block.
//
// The reduction advances 64 bytes per stage through a STAGES-deep cp.async pipeline. The
// epilogue's column constants, the residual tile of a fused Add and the Add's per-value terms
// (DevConvI8::add_lut / add_lut64) are fetched with cp.async before the reduction starts, so
// their latency hides behind it. The epilogue requantizes every accumulator exactly like
// ref::requantize (the form DevConvI8::epi names: MmaEpilogue), combines it with the residual,
// writes the int8 tile to shared memory (reusing the pipeline's) and stores it with coalesced
// 16-byte writes.
#include <algorithm>

#include "kernels/cuda/conv_int8_mma.cuh"

namespace strix::kernels::cuda {
namespace {

using namespace mma_i8;  // NOLINT: this family's pieces (conv_int8_mma.cuh)

// Shared memory: the pipeline, whose memory the output tile reuses; the column constants; with
// a fused residual, the residual tile and the Add's tables (lut_bytes: 32- or 64-bit terms).
template <class Cfg>
struct TileSmem {
  static constexpr int kConst = Cfg::kPipeSmem > Cfg::kTileSmem ? Cfg::kPipeSmem : Cfg::kTileSmem;
  static constexpr int kBase = kConst + kEpilogueColumnRows * Cfg::kBN * 4;
  static constexpr int kResidual = kBase + Cfg::kTileSmem + lut_bytes(kEpiFastAddRelu);
};

// PAD: see ARows. The epilogue is p.epi's (one switch after the reduction). The per-thread
// state is kept small (one shared-memory slot per loader, A fragments loaded one tile at a
// time) so that ptxas's default budget (at most 128 registers: four 4-warp blocks per SM) holds
// it without recomputing addresses inside the reduction loop: 111 instructions per stage of 32
// mma for the 128 x 64 tile without padding, 160 with the padding checks (244 before). Asking
// for one block per SM instead (more registers, fewer warps) measured slower on the H200.
template <class Cfg, bool PAD>
__global__ void __launch_bounds__(Cfg::kThreads)
    conv_i8_mma_kernel(DevConvI8 p, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                       int8_t* __restrict__ y) {
  constexpr int BM = Cfg::kBM, BN = Cfg::kBN, THREADS = Cfg::kThreads, STAGES = Cfg::kStages;
  constexpr int YS = Cfg::kYStride;
  extern __shared__ __align__(128) int8_t smem[];
  const uint32_t sa = smem_addr(smem);
  const uint32_t sb = sa + STAGES * BM * kBK;
  int32_t* sc = reinterpret_cast<int32_t*>(smem + TileSmem<Cfg>::kConst);
  int8_t* sr = smem + TileSmem<Cfg>::kBase;
  int8_t* lut = sr + Cfg::kTileSmem;
  const int row0 = blockIdx.x * BM, col0 = blockIdx.y * BN;
  const int K = p.kh * p.kw * p.c;
  // This block's stages of the reduction: [kt0, kt0 + ktiles) (all of them without split-K).
  const int all_ktiles = (K + kBK - 1) / kBK;
  const bool split = p.splits > 1;
  const int per_split = split ? (all_ktiles + p.splits - 1) / p.splits : all_ktiles;
  const int kt0 = blockIdx.z * per_split;
  const int ktiles = min(per_split, all_ktiles - kt0);
  const bool residual = p.residual != nullptr && !split;
  const bool vec = (p.m & 15) == 0;

  ARows<Cfg, PAD> a;
  a.setup(p, row0);
  BRows<Cfg> b;
  b.setup(p, w, col0, K);
  FragOffsets<Cfg> frag;
  frag.setup();
  // The first cp.async group (the pipeline's waits cover it): the column constants and a fused
  // residual with the Add's tables.
  load_constants<Cfg>(p, sc, col0);
  if (residual) {
    const bool wide = p.epi == kEpiFastAddRelu;
    const int8_t* src = wide ? reinterpret_cast<const int8_t*>(p.add_lut64)
                             : reinterpret_cast<const int8_t*>(p.add_lut);
    for (int i = threadIdx.x; i < lut_bytes(p.epi) / 16; i += THREADS)
      cp_async16(lut + 16 * i, src + 16 * i, 16);
    if (vec) load_residual<Cfg>(p, sr, row0, col0);
  }
  cp_async_commit();

  int32_t acc[Cfg::MT][Cfg::NT][4];
  zero<Cfg>(acc);
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ktiles) {
      a.load(p, x, sa + s * BM * kBK, kt0 + s, K);
      b.load(sb + s * BN * kBK, kt0 + s, K);
    }
    cp_async_commit();
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int next = kt + STAGES - 1;
    if (next < ktiles) {
      const int slot = next % STAGES;
      a.load(p, x, sa + slot * BM * kBK, kt0 + next, K);
      b.load(sb + slot * BN * kBK, kt0 + next, K);
    }
    cp_async_commit();
    const int slot = kt % STAGES;
    mma_stage<Cfg>(acc, sa + slot * BM * kBK, sb + slot * BN * kBK, frag);
  }
  cp_async_wait<0>();
  if (split) {  // the sums go out raw; splitk_epilogue_kernel requantizes them
    store_partial<Cfg>(p, acc, row0, col0);
    return;
  }
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
  switch (p.epi) {
    case kEpiFastRelu:
      requantize_tile<Cfg, kEpiFastRelu>(p, acc, sy, sr, lut, sc, col0, false);
      break;
    case kEpiFastAddRelu:
      requantize_tile<Cfg, kEpiFastAddRelu>(p, acc, sy, sr, lut, sc, col0, true);
      break;
    case kEpiFast: requantize_tile<Cfg, kEpiFast>(p, acc, sy, sr, lut, sc, col0, residual); break;
    default: requantize_tile<Cfg, kEpiExact>(p, acc, sy, sr, lut, sc, col0, residual); break;
  }
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
  return cudaFuncSetAttribute(conv_i8_mma_kernel<Cfg, true>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              TileSmem<Cfg>::kResidual) == cudaSuccess &&
         cudaFuncSetAttribute(conv_i8_mma_kernel<Cfg, false>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              TileSmem<Cfg>::kResidual) == cudaSuccess;
}

// Whether every tap of every output position lies inside x (no padding anywhere).
bool no_padding(const DevConvI8& p) {
  return p.pad_top == 0 && p.pad_left == 0 &&
         int64_t(p.oh - 1) * p.stride_h + int64_t(p.kh - 1) * p.dilation_h < p.h &&
         int64_t(p.ow - 1) * p.stride_w + int64_t(p.kw - 1) * p.dilation_w < p.w;
}

// Split-K's second step: the sum of every split's partial accumulator, requantized (and added
// to the residual) exactly as the reference does (conv_i8_output).
__global__ void splitk_epilogue_kernel(DevConvI8 p, int8_t* __restrict__ y) {
  const int64_t total = static_cast<int64_t>(p.n) * p.oh * p.ow * p.m;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int32_t acc = 0;
    for (int z = 0; z < p.splits; ++z) acc += p.partial[z * total + i];
    const int ch = static_cast<int>(i % p.m);
    const int32_t r = p.residual != nullptr ? p.residual[i] : 0;
    y[i] = conv_i8_output(p, acc, ch, r);
  }
}

template <class Cfg>
void launch(const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y, cudaStream_t stream) {
  const bool split = p.splits > 1;
  const int positions = p.n * p.oh * p.ow;
  dim3 grid((positions + Cfg::kBM - 1) / Cfg::kBM, (p.m + Cfg::kBN - 1) / Cfg::kBN,
            split ? p.splits : 1);
  // Split-K blocks stop after the reduction: no residual tile, no Add tables.
  const int smem = p.residual != nullptr && !split
                       ? TileSmem<Cfg>::kBase + Cfg::kTileSmem + lut_bytes(p.epi)
                       : TileSmem<Cfg>::kBase;
  if (no_padding(p))
    conv_i8_mma_kernel<Cfg, false><<<grid, Cfg::kThreads, smem, stream>>>(p, x, w, y);
  else
    conv_i8_mma_kernel<Cfg, true><<<grid, Cfg::kThreads, smem, stream>>>(p, x, w, y);
  if (split) {
    const int64_t total = int64_t(positions) * p.m;
    const int blocks = static_cast<int>(std::min<int64_t>((total + 255) / 256, 4096));
    splitk_epilogue_kernel<<<blocks, 256, 0, stream>>>(p, y);
  }
}

// f(Cfg{}) for tile configuration `config` (kNumMmaConfigs of them; see int8_launch.h).
template <class F>
auto with_config(int config, F&& f) {
  switch (config) {
    case 0: return f(Wide{});
    case 1: return f(Mid{});
    case 2: return f(Small{});
    case 3: return f(Eight{});
    case 4: return f(Eight2{});
    default: return f(Mid2{});
  }
}

}  // namespace

bool prepare_conv_i8_mma() {
  static const bool ok = device_has_sm80() && set_smem<Wide>() && set_smem<Mid>() &&
                         set_smem<Small>() && set_smem<Eight>() && set_smem<Eight2>() &&
                         set_smem<Mid2>();
  return ok;
}

int64_t mma_config_blocks(int config, const DevConvI8& p) {
  return with_config(config, [&](auto cfg) {
    using Cfg = decltype(cfg);
    const int64_t positions = int64_t(p.n) * p.oh * p.ow;
    return ((positions + Cfg::kBM - 1) / Cfg::kBM) * ((p.m + Cfg::kBN - 1) / Cfg::kBN);
  });
}

void launch_conv_i8_mma(int config, const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
                        cudaStream_t stream) {
  with_config(config, [&](auto cfg) { launch<decltype(cfg)>(p, x, w, y, stream); });
}

}  // namespace strix::kernels::cuda
