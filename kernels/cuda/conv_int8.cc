// INT8 Conv2D and FullyConnected on the GPU (int8_launch.h): the tensor-core implicit GEMM
// where the channels allow (c % 16 == 0, groups 1), our depthwise kernel, and the dp4a direct
// kernel for the rest (the C = 3 stem, grouped convolutions). The quantization constants come
// from the reference's own validation (ref::int8_quant_params), so both backends accept the
// same models; the output bytes equal the CPU INT8 path's. A Conv2D + residual Add fused by the
// Engine (PrepareArgs::fused_residual) requantizes to the conv's own output quantization and
// then applies the Add's arithmetic in the same epilogue.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cpu/ref/activation.h"
#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/ref/fully_connected.h"
#include "kernels/cpu/ref/int8_params.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/int8_kernels.h"
#include "kernels/cuda/int8_launch.h"
#include "kernels/cuda/int8_math.cuh"
#include "kernels/cuda/tuning_cache.h"

namespace strix::kernels::cuda {
namespace {

enum class Path { kMma, kDirect, kDepthwise, kSmallC, kSpaceToDepth, kDepthwise16 };

class ConvI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    DevConvI8 p = p_;
    if (residual_) p.residual = static_cast<const int8_t*>(a.inputs[3]);
    const auto* x = static_cast<const int8_t*>(a.inputs[0]);
    auto* y = static_cast<int8_t*>(a.outputs[0]);
    cudaStream_t s = stream_of(a)->stream;
    switch (path_) {
      case Path::kMma: {
        const auto* w = own_w_ ? static_cast<const int8_t*>(consts_.get(0))
                               : static_cast<const int8_t*>(a.inputs[1]);
        if (p.splits > 1) p.partial = static_cast<int32_t*>(a.scratch);  // scratch_bytes
        launch_conv_i8_mma(config_, p, x, w, y, s);
        break;
      }
      case Path::kDirect:
        launch_conv_i8_direct(DevConvI8Direct{p, group_}, x,
                              static_cast<const int32_t*>(consts_.get(0)), y, s);
        break;
      case Path::kDepthwise:
        launch_depthwise_i8(p, x, static_cast<const int8_t*>(consts_.get(0)), y, s);
        break;
      case Path::kDepthwise16:
        launch_depthwise16_i8(p, x, static_cast<const int32_t*>(consts_.get(0)), y, s);
        break;
      case Path::kSmallC:
        launch_conv_i8_small_c(p, x, static_cast<const int8_t*>(consts_.get(0)), y, s);
        break;
      case Path::kSpaceToDepth: {
        auto* image = static_cast<int8_t*>(a.scratch);
        launch_space_to_depth_i8(s2d_, x, image, s);
        launch_conv_i8_mma(config_, p, image, static_cast<const int8_t*>(consts_.get(0)), y, s);
        break;
      }
    }
  }

  DevConvI8 p_{};  // with kSpaceToDepth: the stride-1 convolution over the s2d image
  DevSpaceToDepthI8 s2d_{};
  Path path_ = Path::kMma;
  int config_ = 0;
  int group_ = 1;
  bool residual_ = false;
  bool own_w_ = false;           // the filter is consts_[0] (FC, s2d) instead of inputs[1]
  DeviceConstants consts_;       // [0] packed filter (when owned), then bias, mult, shift, tables
  ref::AddI8Params add_params_;  // the fused residual Add (host copy, for its table)
};

// The GEMM geometry of a conv or FC, in the reference's terms.
struct Geometry {
  int64_t n, h, w, c, oh, ow, m, kh, kw, sh, sw, dh, dw, pt, pl, group;
};

// Weights as w(m, c_in_group, r, s) from the model's host copy.
using WeightAt = int8_t (*)(const int8_t* w, const Geometry& g, int64_t m, int64_t c, int64_t r,
                            int64_t s);
int8_t conv_weight(const int8_t* w, const Geometry& g, int64_t m, int64_t c, int64_t r, int64_t s) {
  const int64_t cg = g.c / g.group;
  return w[((m * cg + c) * g.kh + r) * g.kw + s];
}

// The tensor-core epilogue's column constants (DevConvI8::cols) for epilogue `epi`.
std::vector<int32_t> epilogue_columns(int epi, const std::vector<int32_t>& bias,
                                      const std::vector<int32_t>& mult,
                                      const std::vector<int32_t>& shift) {
  const size_t m = bias.size(), stride = (m + 3) & ~size_t(3);
  std::vector<int32_t> cols(kEpilogueColumnRows * stride, 0);
  for (size_t j = 0; j < m; ++j) {
    cols[j] = bias[j];
    cols[stride + j] = mult[j];
    cols[2 * stride + j] = shift[j];
    const int e = -shift[j];
    long long c = 0;
    int32_t round = 0;
    if (epi == kEpiFastRelu) {
      round = e - 1;
      c = rq_relu_const(bias[j], mult[j], e);
    } else if (epi != kEpiExact) {
      round = 1 << (e - 1);
      c = static_cast<long long>(bias[j]) * mult[j] + (1ll << 30);
    }
    cols[3 * stride + j] = round;
    cols[4 * stride + j] = static_cast<int32_t>(static_cast<uint32_t>(c));
    cols[5 * stride + j] = static_cast<int32_t>(static_cast<uint64_t>(c) >> 32);
  }
  return cols;
}

// The tile shape and split-K factor of a tensor-core convolution (DevConvI8::splits).
struct MmaChoice {
  int config = 0;
  int splits = 1;
};

// The effective split count for `wanted` splits of `ktiles` stages: every split non-empty.
int effective_splits(int ktiles, int wanted) {
  if (wanted <= 1 || ktiles <= 1) return 1;
  const int per = (ktiles + wanted - 1) / wanted;
  return (ktiles + per - 1) / per;
}

// Split-K's scratch: int32 partial sums of every split.
size_t splitk_bytes(const DevConvI8& p, int splits) {
  return splits > 1 ? size_t(splits) * p.n * p.oh * p.ow * p.m * sizeof(int32_t) : 0;
}

// The fastest tile shape for this convolution and, when one split's grid cannot fill the GPU,
// the fastest split-K factor with it, measured once per shape on scratch buffers, remembered
// for the process and in the tuning cache file (tuning_cache.h; choice "t<config>s<splits>").
// Tests pin them: STRIX_CUDA_INT8_TILE=0 .. kNumMmaConfigs - 1, STRIX_CUDA_INT8_SPLITK=N.
MmaChoice pick_mma_config(const DevConvI8& shape) {
  const int ktiles = (shape.kh * shape.kw * shape.c + 63) / 64;
  int forced_splits = 0;
  if (const char* forced = std::getenv("STRIX_CUDA_INT8_SPLITK"))
    forced_splits = effective_splits(ktiles, std::atoi(forced));
  if (const char* forced = std::getenv("STRIX_CUDA_INT8_TILE")) {
    const int t = std::atoi(forced);
    if (t >= 0 && t < kNumMmaConfigs) return MmaChoice{t, forced_splits > 0 ? forced_splits : 1};
  }
  static std::mutex mu;
  static auto* cache = new std::map<std::string, MmaChoice>();  // never destroyed
  char key[200];
  std::snprintf(key, sizeof(key), "e%d|%d,%d,%d,%d|%d,%d,%d|%d,%d,%d,%d,%d,%d,%d,%d|%d", shape.epi,
                shape.n, shape.h, shape.w, shape.c, shape.m, shape.kh, shape.kw, shape.stride_h,
                shape.stride_w, shape.dilation_h, shape.dilation_w, shape.pad_top, shape.pad_left,
                shape.oh, shape.ow, shape.residual != nullptr ? 1 : 0);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(key);
  if (it != cache->end()) {
    MmaChoice c = it->second;
    if (forced_splits > 0) c.splits = forced_splits;
    return c;
  }
  // The file's key: the device, this kernel family's version (bump it when the tiles or the
  // kernels change: the old choices then never match), the epilogue and the shape.
  int device = 0;
  cudaGetDevice(&device);
  const std::string file_key =
      device_key(device) + "|i8mma-v14-" + std::to_string(kNumMmaConfigs) + "|" + key;
  std::string remembered;
  float remembered_ms = 0.f;
  if (forced_splits == 0 && lookup_tuning(file_key, &remembered, &remembered_ms) &&
      remembered.size() > 1 && remembered[0] == 't') {
    MmaChoice c;
    c.config = std::atoi(remembered.c_str() + 1);
    const size_t sp = remembered.find('s');
    c.splits = sp == std::string::npos ? 1 : std::atoi(remembered.c_str() + sp + 1);
    if (c.config >= 0 && c.config < kNumMmaConfigs && c.splits >= 1 &&
        c.splits == effective_splits(ktiles, c.splits)) {
      (*cache)[key] = c;
      return c;
    }
  }
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) sms = 1;
  // Split-K candidates: while one split's grid leaves SMs idle, up to 32 splits and 64 MiB of
  // partial sums.
  constexpr size_t kMaxPartialBytes = size_t(64) << 20;
  const size_t xb = size_t(shape.n) * shape.h * shape.w * shape.c;
  const size_t yb = size_t(shape.n) * shape.oh * shape.ow * shape.m;
  const size_t wb = size_t(shape.m) * shape.kh * shape.kw * shape.c;
  const size_t cb = size_t(shape.m) * sizeof(int32_t);
  const size_t colb = size_t(kEpilogueColumnRows) * ((shape.m + 3) & ~3) * sizeof(int32_t);
  MmaChoice best;
  best.config = shape.n * shape.oh * shape.ow <= 4096 ? 2 : 0;  // when timing is impossible
  void *x = nullptr, *y = nullptr, *w = nullptr, *r = nullptr, *consts = nullptr;
  void* partial = nullptr;
  // shape.ktab and shape.add_lut are the kernel's own (valid) tables.
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  float best_ms = -1.f;  // < 0: nothing ran
  bool ok = cudaMalloc(&x, xb) == cudaSuccess && cudaMalloc(&y, yb) == cudaSuccess &&
            cudaMalloc(&w, wb) == cudaSuccess &&
            cudaMalloc(&consts, 3 * cb + colb) == cudaSuccess &&
            (shape.residual == nullptr || cudaMalloc(&r, yb) == cudaSuccess) &&
            cudaEventCreate(&e0) == cudaSuccess && cudaEventCreate(&e1) == cudaSuccess;
  if (ok) {
    cudaMemset(x, 1, xb);
    cudaMemset(w, 1, wb);
    cudaMemset(consts, 0, 3 * cb + colb);
    DevConvI8 p = shape;
    p.rq.bias = static_cast<const int32_t*>(consts);
    p.rq.mult = p.rq.bias + shape.m;
    p.rq.shift = p.rq.mult + shape.m;
    p.cols = p.rq.shift + shape.m;
    p.residual = static_cast<const int8_t*>(r);
    auto time = [&](const MmaChoice& c) {
      p.splits = c.splits;
      p.partial = static_cast<int32_t*>(partial);
      auto run = [&] {
        launch_conv_i8_mma(c.config, p, static_cast<const int8_t*>(x),
                           static_cast<const int8_t*>(w), static_cast<int8_t*>(y), nullptr);
      };
      run();  // warm-up
      float ms = 1e30f;
      for (int rep = 0; rep < 3; ++rep) {
        cudaEventRecord(e0, nullptr);
        run();
        cudaEventRecord(e1, nullptr);
        float t = 0;
        if (cudaEventSynchronize(e1) == cudaSuccess &&
            cudaEventElapsedTime(&t, e0, e1) == cudaSuccess)
          ms = t < ms ? t : ms;
      }
      if (cudaGetLastError() != cudaSuccess || ms >= 1e30f) return;
      if (best_ms < 0.f || ms < best_ms) {
        best = c;
        best_ms = ms;
      }
    };
    for (int config = 0; config < kNumMmaConfigs; ++config) time(MmaChoice{config, 1});
    // Split-K with the best tile, while its grid leaves SMs idle.
    const int config = best.config;
    const int64_t blocks = mma_config_blocks(config, shape);
    int last = 1;
    for (int want = 2; want <= 32 && best_ms >= 0.f && blocks * last < sms; want *= 2) {
      const int splits = effective_splits(ktiles, want);
      if (splits <= last || splitk_bytes(shape, splits) > kMaxPartialBytes) break;
      if (partial != nullptr) cudaFree(partial);
      partial = nullptr;
      if (cudaMalloc(&partial, splitk_bytes(shape, splits)) != cudaSuccess) break;
      time(MmaChoice{config, splits});
      last = splits;
    }
  }
  cudaGetLastError();
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  for (void* v : {x, y, w, r, consts, partial})
    if (v) cudaFree(v);
  if (best_ms >= 0.f)
    store_tuning(file_key, "t" + std::to_string(best.config) + "s" + std::to_string(best.splits),
                 best_ms);
  (*cache)[key] = best;
  if (forced_splits > 0) best.splits = forced_splits;
  return best;
}

// Fills the kernel for geometry g: path, packed filters, folded bias, multipliers. `w_host` is
// the model's filter [m, c/group, kh, kw] (FC: [m, 1, 1, k] through `at`). `own_filter`: the
// tensor-core path packs its own channels-last copy of the filter (else it reads inputs[1]).
Status build(const PrepareArgs& args, const Geometry& g, const int8_t* w_host, WeightAt at,
             const int32_t* bias, const ref::QuantParams& q, bool fc, bool own_filter,
             ConvI8Kernel* k) {
  const int64_t int_max = (int64_t(1) << 31) - 1;
  if (g.n * g.h * g.w * g.c > int_max || g.n * g.oh * g.ow * g.m > int_max ||
      g.m * g.kh * g.kw * g.c > int_max)
    return node_error(args, StatusCode::kUnsupported, "tensor too large for the int8 kernels");
  auto i32 = [](int64_t v) { return static_cast<int>(v); };
  DevConvI8& p = k->p_;
  p.n = i32(g.n);
  p.h = i32(g.h);
  p.w = i32(g.w);
  p.c = i32(g.c);
  p.oh = i32(g.oh);
  p.ow = i32(g.ow);
  p.m = i32(g.m);
  p.kh = i32(g.kh);
  p.kw = i32(g.kw);
  p.stride_h = i32(g.sh);
  p.stride_w = i32(g.sw);
  p.dilation_h = i32(g.dh);
  p.dilation_w = i32(g.dw);
  p.pad_top = i32(g.pt);
  p.pad_left = i32(g.pl);
  p.x_zp = q.x_zero_point;
  p.rq.y_zp = q.y_zero_point;
  p.rq.qmin = q.qmin;
  p.rq.qmax = q.qmax;
  k->group_ = i32(g.group);

  const int64_t cg = g.c / g.group, taps = g.kh * g.kw;
  const bool depthwise = g.group == g.c && g.m == g.c && !fc;
  if (depthwise) {
    k->path_ = g.c % 16 == 0 ? Path::kDepthwise16 : Path::kDepthwise;
  } else if (g.group == 1 && g.c % 16 == 0) {
    k->path_ = Path::kMma;
    if (!prepare_conv_i8_mma())
      return node_error(args, StatusCode::kUnsupported, "the int8 tensor-core kernel cannot run");
  } else if (g.group == 1 && taps * g.c <= kSmallCMaxK && prepare_conv_i8_small_c()) {
    k->path_ = Path::kSmallC;
  } else {
    k->path_ = Path::kDirect;
  }

  // Filters the kernel owns.
  if (k->path_ == Path::kDepthwise16) {
    std::vector<int32_t> lanes(static_cast<size_t>(taps * g.c));  // [tap][c], byte in lane c % 4
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t t = 0; t < taps; ++t) {
        const uint8_t byte = static_cast<uint8_t>(at(w_host, g, ch, 0, t / g.kw, t % g.kw));
        lanes[t * g.c + ch] = static_cast<int32_t>(static_cast<uint32_t>(byte) << (8 * (ch % 4)));
      }
    STRIX_RETURN_IF_ERROR(k->consts_.add(lanes.data(), lanes.size() * sizeof(int32_t)));
  } else if (k->path_ == Path::kDepthwise) {
    std::vector<int8_t> packed(static_cast<size_t>(taps * g.c));  // [tap][c]
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t t = 0; t < taps; ++t)
        packed[t * g.c + ch] = at(w_host, g, ch, 0, t / g.kw, t % g.kw);
    STRIX_RETURN_IF_ERROR(k->consts_.add(packed.data(), packed.size()));
  } else if (k->path_ == Path::kSmallC) {
    const int64_t kpad = (taps * g.c + 31) / 32 * 32;
    std::vector<int8_t> packed(static_cast<size_t>(g.m * kpad), 0);  // [m][(r, s, c)], padded
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < g.c; ++c)
          packed[m * kpad + t * g.c + c] = at(w_host, g, m, c, t / g.kw, t % g.kw);
    STRIX_RETURN_IF_ERROR(k->consts_.add(packed.data(), packed.size()));
  } else if (k->path_ == Path::kDirect) {
    const int64_t nq = (cg + 3) / 4;
    std::vector<int32_t> packed(static_cast<size_t>(taps * nq * g.m), 0);  // [tap][q][m]
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < cg; ++c) {
          const uint8_t byte = static_cast<uint8_t>(at(w_host, g, m, c, t / g.kw, t % g.kw));
          packed[(t * nq + c / 4) * g.m + m] |= static_cast<int32_t>(byte) << (8 * (c % 4));
        }
    STRIX_RETURN_IF_ERROR(k->consts_.add(packed.data(), packed.size() * sizeof(int32_t)));
  } else if (own_filter) {  // [m][kh][kw][c]: the channels-last filter
    std::vector<int8_t> packed(static_cast<size_t>(g.m * taps * g.c));
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < g.c; ++c)
          packed[(m * taps + t) * g.c + c] = at(w_host, g, m, c, t / g.kw, t % g.kw);
    STRIX_RETURN_IF_ERROR(k->consts_.add(packed.data(), packed.size()));
    k->own_w_ = true;
  }  // else: the Engine's upload of inputs[1] is already [m, kh, kw, c] (device.h)
  const int first = k->path_ == Path::kMma && !k->own_w_ ? 0 : 1;

  // Bias with the padding correction: the tensor-core, direct and depthwise16 kernels read x_zp
  // in every padding tap and accumulate sum x * w; the reference accumulates sum (x - x_zp) * w
  // over the real taps only. Subtracting x_zp * (sum of all filter taps) makes them equal.
  std::vector<int32_t> folded(static_cast<size_t>(g.m)), mult(g.m), shift(g.m);
  for (int64_t m = 0; m < g.m; ++m) {
    int64_t sum = 0;
    if (k->path_ != Path::kDepthwise)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < cg; ++c) sum += at(w_host, g, m, c, t / g.kw, t % g.kw);
    folded[m] = static_cast<int32_t>((bias ? bias[m] : 0) - int64_t(q.x_zero_point) * sum);
    mult[m] = q.multipliers[m].multiplier;
    shift[m] = q.multipliers[m].shift;
  }
  STRIX_RETURN_IF_ERROR(k->consts_.add(folded.data(), folded.size() * sizeof(int32_t)));
  STRIX_RETURN_IF_ERROR(k->consts_.add(mult.data(), mult.size() * sizeof(int32_t)));
  STRIX_RETURN_IF_ERROR(k->consts_.add(shift.data(), shift.size() * sizeof(int32_t)));
  p.rq.bias = static_cast<const int32_t*>(k->consts_.get(first));
  p.rq.mult = static_cast<const int32_t*>(k->consts_.get(first + 1));
  p.rq.shift = static_cast<const int32_t*>(k->consts_.get(first + 2));
  // The short requantize needs right shifts and a bound on the inputs: |acc| <= K * 128 * 128
  // (raw int8 products, padding included), plus the folded bias.
  p.fast_rq = true;
  for (int64_t m = 0; m < g.m; ++m) {
    const long long bound = taps * cg * (1ll << 14) + std::llabs(static_cast<long long>(folded[m]));
    p.fast_rq = p.fast_rq && rq_fast_ok(shift[m], bound);
  }
  int next = first + 3;
  if (k->path_ == Path::kMma) {  // where each 16-byte chunk of the reduction comes from
    std::vector<int32_t> table;
    for (int64_t kb = 0; kb < taps * g.c; kb += 16) {
      const int64_t tap = kb / g.c, r = tap / g.kw, s = tap % g.kw;
      const int64_t dy = r * g.dh, dx = s * g.dw, c0 = kb % g.c;
      table.insert(table.end(),
                   {static_cast<int32_t>(dy), static_cast<int32_t>(dx), static_cast<int32_t>(c0),
                    static_cast<int32_t>((dy * g.w + dx) * g.c + c0)});
    }
    STRIX_RETURN_IF_ERROR(k->consts_.add(table.data(), table.size() * sizeof(int32_t)));
    p.ktab = static_cast<const int4*>(k->consts_.get(next++));
  }
  if (k->residual_) {  // both terms of ref::add_i8 for every int8 value
    std::vector<int32_t> lut(512);
    const ref::AddI8Params& q = k->add_params_;
    for (int v = -128; v < 128; ++v) {
      lut[v + 128] =
          ref::multiply_by_quantized_multiplier((v - q.a_zp) * (1 << q.left_shift), q.a_mul);
      lut[256 + v + 128] =
          ref::multiply_by_quantized_multiplier((v - q.b_zp) * (1 << q.left_shift), q.b_mul);
    }
    STRIX_RETURN_IF_ERROR(k->consts_.add(lut.data(), lut.size() * sizeof(int32_t)));
    p.add_lut = static_cast<const int32_t*>(k->consts_.get(next++));
    long long max_a = 0, max_b = 0;
    for (int v = 0; v < 256; ++v) {
      max_a = std::max(max_a, std::llabs(static_cast<long long>(lut[v])));
      max_b = std::max(max_b, std::llabs(static_cast<long long>(lut[256 + v])));
    }
    p.fast_rq = p.fast_rq && rq_fast_ok(q.out_mul.shift, max_a + max_b);
    // The Add's clamp at or above its zero point (a fused ReLU): rq_fast_relu over 64-bit terms
    // (DevConvI8::add_lut64). rq_fast_ok's bound keeps |a + b| < 2^31, so the sums of the
    // terms stay far inside 64 bits.
    if (p.fast_rq && k->path_ == Path::kMma && q.qmin >= q.out_zp) {
      const int e = -q.out_mul.shift;
      const int32_t m = q.out_mul.multiplier;
      std::vector<long long> lut64(512);
      for (int i = 0; i < 256; ++i) {
        lut64[i] = static_cast<long long>(lut[i]) * m + (1ll << 30) + (1ll << (30 + e));
        lut64[256 + i] = static_cast<long long>(lut[256 + i]) * m;
      }
      STRIX_RETURN_IF_ERROR(k->consts_.add(lut64.data(), lut64.size() * sizeof(long long)));
      p.add_lut64 = static_cast<const long long*>(k->consts_.get(next++));
    }
  }
  // The tensor-core kernel's epilogue (MmaEpilogue, int8_launch.h).
  if (!p.fast_rq)
    p.epi = kEpiExact;
  else if (k->residual_)
    p.epi = p.add_lut64 != nullptr ? kEpiFastAddRelu : kEpiFast;
  else
    p.epi = p.rq.qmin >= p.rq.y_zp ? kEpiFastRelu : kEpiFast;
  if (k->path_ == Path::kMma) {
    const std::vector<int32_t> cols = epilogue_columns(p.epi, folded, mult, shift);
    STRIX_RETURN_IF_ERROR(k->consts_.add(cols.data(), cols.size() * sizeof(int32_t)));
    p.cols = static_cast<const int32_t*>(k->consts_.get(next++));
    p.div_ohw = make_fast_div(static_cast<uint32_t>(p.oh * p.ow));
    p.div_ow = make_fast_div(static_cast<uint32_t>(p.ow));
    DevConvI8 shape = p;
    shape.residual = k->residual_ ? reinterpret_cast<const int8_t*>(1) : nullptr;
    const MmaChoice choice = pick_mma_config(shape);
    k->config_ = choice.config;
    p.splits = choice.splits;
    k->scratch_bytes = splitk_bytes(p, p.splits);
  }
  static const char* kNames[] = {"cuda_conv_i8_mma",     "cuda_conv_i8_direct_dp4a",
                                 "cuda_depthwise_i8",    "cuda_conv_i8_small_c_mma",
                                 "cuda_conv_i8_s2d_mma", "cuda_depthwise16_i8"};
  k->name = kNames[static_cast<int>(k->path_)];
  if (fc) k->name.replace(0, std::strlen("cuda_conv"), "cuda_fc");
  if (k->path_ == Path::kMma) k->name += "_t" + std::to_string(k->config_);
  if (k->path_ == Path::kMma && p.splits > 1) k->name += "_splitk" + std::to_string(p.splits);
  if (k->residual_) k->name += "_residual";
  return Status();
}

// Stride-2 convolutions over at most 4 channels with a filter of 2 x 2 or more (the stems) run
// as a stride-1 convolution over the space-to-depth image (DevSpaceToDepthI8): 16 channels, so
// the tensor-core kernel reads whole 16-byte chunks instead of building im2col rows bytewise.
bool use_space_to_depth(const Geometry& g) {
  return g.group == 1 && g.c <= 4 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 &&
         g.kh >= 2 && g.kw >= 2 && prepare_conv_i8_mma();
}

Status build_space_to_depth(const PrepareArgs& args, const Geometry& g, const int8_t* w,
                            const int32_t* bias, const ref::QuantParams& q, ConvI8Kernel* k) {
  const int64_t kh2 = (g.kh + 1) / 2, kw2 = (g.kw + 1) / 2, c2 = 16;
  const int64_t sh = g.oh + kh2 - 1, sw = g.ow + kw2 - 1;
  if (g.n * sh * sw * c2 > (int64_t(1) << 31) - 1)
    return node_error(args, StatusCode::kUnsupported, "tensor too large for the int8 kernels");
  // The stride-1 filter in the model's layout [m, c2, kh2, kw2]: tap (r, s), channel
  // (dy * 2 + dx) * c + ch holds w(2r + dy, 2s + dx, ch), zero past the original filter.
  std::vector<int8_t> w2(static_cast<size_t>(g.m * c2 * kh2 * kw2), 0);
  for (int64_t m = 0; m < g.m; ++m)
    for (int64_t r = 0; r < kh2; ++r)
      for (int64_t s = 0; s < kw2; ++s)
        for (int64_t dy = 0; dy < 2; ++dy)
          for (int64_t dx = 0; dx < 2; ++dx)
            for (int64_t ch = 0; ch < g.c; ++ch) {
              if (2 * r + dy >= g.kh || 2 * s + dx >= g.kw) continue;
              const int64_t c = (dy * 2 + dx) * g.c + ch;
              w2[((m * c2 + c) * kh2 + r) * kw2 + s] =
                  conv_weight(w, g, m, ch, 2 * r + dy, 2 * s + dx);
            }
  Geometry g2 = g;
  g2.h = sh;
  g2.w = sw;
  g2.c = c2;
  g2.kh = kh2;
  g2.kw = kw2;
  g2.sh = g2.sw = 1;
  g2.pt = g2.pl = 0;
  STRIX_RETURN_IF_ERROR(build(args, g2, w2.data(), conv_weight, bias, q, false, true, k));
  if (k->path_ != Path::kMma)
    return node_error(args, StatusCode::kInternal, "space-to-depth conv off the tensor cores");
  if (k->p_.splits > 1) {  // its scratch holds the s2d image: no split-K (its grids are large)
    k->p_.splits = 1;
    const size_t at = k->name.find("_splitk");
    if (at != std::string::npos) {
      const size_t end = k->name.find('_', at + 1);
      k->name.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
  }
  k->path_ = Path::kSpaceToDepth;
  k->s2d_ = DevSpaceToDepthI8{static_cast<int>(g.n), static_cast<int>(g.h),  static_cast<int>(g.w),
                              static_cast<int>(g.c), static_cast<int>(g.pt), static_cast<int>(g.pl),
                              static_cast<int>(sh),  static_cast<int>(sw),   q.x_zero_point};
  k->scratch_bytes = static_cast<size_t>(g.n * sh * sw * c2);
  k->name.replace(0, std::strlen("cuda_conv_i8"), "cuda_conv_i8_s2d");
  return Status();
}

// The Add's arithmetic for a fused residual: a = the conv's output, b = inputs[3].
Status fused_add(const PrepareArgs& args, const KTensor& conv_out, ConvI8Kernel* k) {
  const KTensor& r = *args.inputs[3];
  const KTensor& y = *args.outputs[0];
  if (r.dtype != DType::kI8 || conv_out.dtype != DType::kI8 || y.dtype != DType::kI8)
    return node_error(args, StatusCode::kUnsupported, "int8 residual fusion needs i8 tensors");
  if (r.shape != conv_out.shape)
    return node_error(args, StatusCode::kUnsupported, "residual shape differs from the output");
  float sa = 0, sb = 0, so = 0;
  int32_t za = 0, zb = 0, zo = 0;
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, conv_out, &sa, &za));
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, r, &sb, &zb));
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, y, &so, &zo));
  ref::ActivationParams act = ref::activation_params(args.residual_activation);
  int32_t qmin = -128, qmax = 127;
  switch (act.kind) {
    case fb::ActivationKind::None: break;
    case fb::ActivationKind::Relu: qmin = zo > qmin ? zo : qmin; break;
    case fb::ActivationKind::Clip:
      if (!(act.alpha <= act.beta))
        return node_error(args, StatusCode::kCorruptModel, "fused Clip min %g > max %g", act.alpha,
                          act.beta);
      qmin = ref::quantize_value(act.alpha, so, zo, -128, 127);
      qmax = ref::quantize_value(act.beta, so, zo, -128, 127);
      break;
    default: return node_error(args, StatusCode::kUnsupported, "activation after an int8 Add");
  }
  ref::AddI8Params a = ref::make_add_i8_params(sa, za, sb, zb, so, zo, qmin, qmax);
  k->add_params_ = a;
  k->p_.add = dev_add_params(a);
  k->residual_ = true;
  return Status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv2d_i8(const CudaBackendContext& b,
                                               const PrepareArgs& args) {
  // A residual fusion is validated as the plain conv writing the conv's own output tensor.
  PrepareArgs plain = args;
  KTensor conv_out;
  if (args.fused_residual) {
    if (args.inputs.size() != 4 || args.inputs[3] == nullptr || args.fused_conv_output == nullptr)
      return node_error(args, StatusCode::kInternal, "residual fusion without a residual");
    plain.inputs.resize(3);
    while (!plain.inputs.empty() && plain.inputs.back() == nullptr) plain.inputs.pop_back();
    plain.fused_residual = false;
    conv_out = *args.fused_conv_output;
    plain.outputs = {&conv_out};
  }
  STRIX_RETURN_IF_ERROR(b.validate(plain));
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  ref::Conv2DParams cp;
  STRIX_RETURN_IF_ERROR(
      ref::conv2d_params(plain, o, args.inputs[0]->shape, args.inputs[1]->shape, &cp));
  const bool has_bias = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  ref::QuantParams q;
  STRIX_RETURN_IF_ERROR(ref::int8_quant_params(plain, 1, 0, cp.m, has_bias ? 2 : -1,
                                               o ? o->activation() : nullptr, &q));
  auto k = std::make_unique<ConvI8Kernel>();
  if (args.fused_residual) {
    STRIX_RETURN_IF_ERROR(fused_add(args, conv_out, k.get()));
    STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, conv_out.shape));
  }
  Geometry g{cp.n,          cp.h,       cp.w,        cp.c,        cp.oh,       cp.ow,
             cp.m,          cp.kh,      cp.kw,       cp.stride_h, cp.stride_w, cp.dilation_h,
             cp.dilation_w, cp.pad_top, cp.pad_left, cp.group};
  const auto* w = static_cast<const int8_t*>(args.inputs[1]->constant);
  const auto* bias = has_bias ? static_cast<const int32_t*>(args.inputs[2]->constant) : nullptr;
  if (w == nullptr || (has_bias && bias == nullptr))
    return node_error(args, StatusCode::kUnsupported, "int8 weights must be constants");
  if (use_space_to_depth(g)) {
    STRIX_RETURN_IF_ERROR(build_space_to_depth(args, g, w, bias, q, k.get()));
  } else {
    STRIX_RETURN_IF_ERROR(build(args, g, w, conv_weight, bias, q, false, false, k.get()));
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const CudaBackendContext& b,
                                                        const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  ref::FullyConnectedParams fp;
  fp.trans_b = o != nullptr && o->trans_b();
  int64_t kb = 0;
  STRIX_RETURN_IF_ERROR(ref::fully_connected_shapes(args, &fp, &kb));
  const bool has_bias = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  ref::QuantParams q;
  STRIX_RETURN_IF_ERROR(ref::int8_quant_params(args, 1, fp.trans_b ? 0 : 1, fp.n, has_bias ? 2 : -1,
                                               o ? o->activation() : nullptr, &q));
  const auto* w = static_cast<const int8_t*>(args.inputs[1]->constant);
  const auto* bias = has_bias ? static_cast<const int32_t*>(args.inputs[2]->constant) : nullptr;
  if (w == nullptr || (has_bias && bias == nullptr))
    return node_error(args, StatusCode::kUnsupported, "int8 weights must be constants");
  // Rows of A are positions of a 1x1 conv over [m, 1, 1, k].
  Geometry g{fp.m, 1, 1, fp.k, 1, 1, fp.n, 1, 1, 1, 1, 1, 1, 0, 0, 1};
  WeightAt at = fp.trans_b ? [](const int8_t* w, const Geometry& g, int64_t m, int64_t c, int64_t,
                                int64_t) { return w[m * g.c + c]; }
                           : [](const int8_t* w, const Geometry& g, int64_t m, int64_t c, int64_t,
                                int64_t) { return w[c * g.m + m]; };
  auto k = std::make_unique<ConvI8Kernel>();
  STRIX_RETURN_IF_ERROR(build(args, g, w, at, bias, q, true, true, k.get()));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cuda
