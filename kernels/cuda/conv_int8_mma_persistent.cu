// INT8 Conv2D on the tensor cores, persistent: each block owns one column tile (its filter rows
// stay the same) and walks a stream of row tiles (blockIdx.x, + gridDim.x, ...), as many blocks
// as fit on the GPU at once. The reduction stages of consecutive tiles form one flat cp.async
// pipeline, so while a block requantizes and stores one tile, the first stage of its next tile
// (and that tile's residual, double-buffered) is already on its way: the short reductions of
// 1x1 convolutions no longer leave the SM waiting for memory between tiles. Same arithmetic
// and pieces as conv_int8_mma.cu (conv_int8_mma.cuh); two stages.
#include <cstdlib>

#include "kernels/cuda/conv_int8_mma.cuh"

namespace strix::kernels::cuda {
namespace {

using namespace mma_i8;  // NOLINT: this family's pieces (conv_int8_mma.cuh)

// Shared memory: two pipeline stages, the output tile, two residual tiles, the Add's tables.
template <class Cfg>
struct StreamSmem {
  static constexpr int kStage = Cfg::kPipeSmem;
  static constexpr int kTile = kStage;
  static constexpr int kResidual = kTile + Cfg::kTileSmem;
  static constexpr int kLut = kResidual + 2 * Cfg::kTileSmem;
  static constexpr int kPlain = kResidual;  // without a fused residual
  static constexpr int kAll = kLut + 512 * 4;
};

template <class Cfg>
__global__ void __launch_bounds__(Cfg::kThreads)
    conv_i8_mma_stream_kernel(DevConvI8 p, const int8_t* __restrict__ x,
                              const int8_t* __restrict__ w, int8_t* __restrict__ y, int tiles_m) {
  static_assert(Cfg::kStages == 2, "the tile stream keeps one stage in flight");
  constexpr int BM = Cfg::kBM, BN = Cfg::kBN, THREADS = Cfg::kThreads;
  using S = StreamSmem<Cfg>;
  extern __shared__ __align__(128) int8_t smem[];
  int8_t* sa = smem;
  int8_t* sb = smem + 2 * BM * kBK;
  int8_t* sy = smem + S::kTile;
  int8_t* sr = smem + S::kResidual;  // [2][kTileSmem]
  int32_t* lut = reinterpret_cast<int32_t*>(smem + S::kLut);
  const int col0 = blockIdx.y * BN;
  const int first = blockIdx.x, step = gridDim.x;
  const int K = p.kh * p.kw * p.c;
  const int ktiles = (K + kBK - 1) / kBK;
  const int my_tiles = (tiles_m - first + step - 1) / step;  // >= 1: gridDim.x <= tiles_m
  const int total = my_tiles * ktiles;                       // the flat stage stream
  const bool residual = p.residual != nullptr;               // launch checks p.m % 16 == 0

  BRows<Cfg> b;
  b.setup(p, col0, K);
  ARows<Cfg> a;  // the loader's rows: the tile of the stage it loads next
  a.setup(p, first * BM);
  if (residual) {
    for (int i = threadIdx.x; i < 512 / 4; i += THREADS)
      cp_async16(lut + 4 * i, p.add_lut + 4 * i, 16);
    load_residual<Cfg>(p, sr, first * BM, col0);
  }
  a.load(p, x, sa, 0, K);
  // With one or two reduction stages per tile, stage buffer s always holds filter stage s % ktiles:
  // the block's filter slice is copied once.
  const bool b_fixed = ktiles <= 2;
  b.load(w, sb, 0, K);
  if (b_fixed) b.load(w, sb + BN * kBK, ktiles - 1, K);
  cp_async_commit();

  int32_t acc[Cfg::MT][Cfg::NT][4];
  zero<Cfg>(acc);
  for (int g = 0; g < total; ++g) {
    cp_async_wait<0>();  // stage g (and, at a tile's first stage, its residual) has landed
    __syncthreads();     // and everyone is done with stage g - 1, the output tile, residual t-1
    if (g + 1 < total) {
      const int t = (g + 1) / ktiles, kt = (g + 1) - t * ktiles;
      if (kt == 0) {  // the next tile begins: its rows and its residual
        const int row0 = (first + t * step) * BM;
        a.setup(p, row0);
        if (residual) load_residual<Cfg>(p, sr + (t & 1) * Cfg::kTileSmem, row0, col0);
      }
      a.load(p, x, sa + ((g + 1) & 1) * BM * kBK, kt, K);
      if (!b_fixed) b.load(w, sb + ((g + 1) & 1) * BN * kBK, kt, K);
    }
    cp_async_commit();
    mma_stage<Cfg>(acc, sa + (g & 1) * BM * kBK, sb + (g & 1) * BN * kBK);
    const int t = g / ktiles;
    if (g - t * ktiles == ktiles - 1) {  // the tile's last stage: epilogue
      const int8_t* srt = sr + (t & 1) * Cfg::kTileSmem;
      if (p.fast_rq)
        requantize_tile<Cfg, true>(p, acc, sy, srt, lut, col0, residual);
      else
        requantize_tile<Cfg, false>(p, acc, sy, srt, lut, col0, residual);
      zero<Cfg>(acc);
      __syncthreads();
      store_tile<Cfg>(p, sy, y, (first + t * step) * BM, col0);
    }
  }
  cp_async_wait<0>();
}

using Eight2 = MmaConfig<2, 4, 4, 4, 2>;  // 128 x 128, 8 warps of 64 x 32
using Mid2 = MmaConfig<2, 2, 4, 4, 2>;    // 128 x 64, 4 warps of 64 x 32
using Small2 = MmaConfig<2, 2, 2, 4, 2>;  // 64 x 64, 4 warps of 32 x 32

// Blocks of each configuration that fit on the GPU at once, without and with a residual.
struct Residency {
  int plain = 0, residual = 0;
};

template <class Cfg>
bool prepare(Residency* r) {
  using S = StreamSmem<Cfg>;
  if (cudaFuncSetAttribute(conv_i8_mma_stream_kernel<Cfg>,
                           cudaFuncAttributeMaxDynamicSharedMemorySize, S::kAll) != cudaSuccess)
    return false;
  int dev = 0, sms = 0, plain = 0, res = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&plain, conv_i8_mma_stream_kernel<Cfg>,
                                                    Cfg::kThreads, S::kPlain) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&res, conv_i8_mma_stream_kernel<Cfg>,
                                                    Cfg::kThreads, S::kAll) != cudaSuccess)
    return false;
  r->plain = sms * plain;
  r->residual = sms * res;
  return r->plain > 0 && r->residual > 0;
}

Residency g_residency[3];

template <class Cfg>
void launch(const Residency& r, const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
            cudaStream_t stream) {
  using S = StreamSmem<Cfg>;
  const int positions = p.n * p.oh * p.ow;
  const int tiles_m = (positions + Cfg::kBM - 1) / Cfg::kBM;
  const int tiles_n = (p.m + Cfg::kBN - 1) / Cfg::kBN;
  const bool residual = p.residual != nullptr;
  const int resident = residual ? r.residual : r.plain;
  int blocks_m = (resident + tiles_n - 1) / tiles_n;
  // Tests cap the stream's blocks so that each walks many tiles even on small problems.
  if (const char* cap = std::getenv("STRIX_CUDA_INT8_STREAM_BLOCKS")) {
    const int c = std::atoi(cap);
    if (c > 0 && c < blocks_m) blocks_m = c;
  }
  blocks_m = blocks_m < 1 ? 1 : (blocks_m > tiles_m ? tiles_m : blocks_m);
  dim3 grid(blocks_m, tiles_n);
  conv_i8_mma_stream_kernel<Cfg>
      <<<grid, Cfg::kThreads, residual ? S::kAll : S::kPlain, stream>>>(p, x, w, y, tiles_m);
}

}  // namespace

bool prepare_conv_i8_mma_stream() {
  static const bool ok = sm80::device_has_sm80() && prepare<Eight2>(&g_residency[0]) &&
                         prepare<Mid2>(&g_residency[1]) && prepare<Small2>(&g_residency[2]);
  return ok;
}

bool conv_i8_mma_stream_fits(const DevConvI8& p) { return p.residual == nullptr || p.m % 16 == 0; }

void launch_conv_i8_mma_stream(int config, const DevConvI8& p, const int8_t* x, const int8_t* w,
                               int8_t* y, cudaStream_t stream) {
  switch (config) {
    case 0: launch<Eight2>(g_residency[0], p, x, w, y, stream); break;
    case 1: launch<Mid2>(g_residency[1], p, x, w, y, stream); break;
    default: launch<Small2>(g_residency[2], p, x, w, y, stream); break;
  }
}

}  // namespace strix::kernels::cuda
