// kernels/cpu/isa.h — the interface between the portable optimized-kernel drivers
// (kernels/cpu/*.cc: validation, weight packing, tasking over the thread pool) and the
// instruction-set-specific leaf routines (kernels/cpu/x86/*.cc, compiled with -mavx2 -mfma
// or -mavx512f -mavx512bw -mavx512dq -mavx512vl; kernels/cpu/arm/neon.cc on AArch64). Plain
// types only: the ISA files include
// nothing with inline code shared with portable files, so no AVX instruction can leak into
// code that runs before the run-time ISA check.
//
// GEMM contract (one "B panel" step):
//   C[m, j] (+)= sum_{k < kc} A[m, k] * B[k, j]   for the rows m of panels [p0, p1), j < nvalid,
// where A is packed in panels of at most `mr` rows: panel p holds rows [rows[p], rows[p+1])
// and row m = rows[p] + r, column k lives at a[p * a_panel_stride + k * mr + r] (the row
// slot stride is always mr; `a` points at the K block's panel 0). M is split into panels as evenly
// as possible (see split_panels) so no panel is much shorter than mr. B is one panel of `nr`
// columns packed as b[k * nr + j] (columns past nvalid are zero). C is row-major with row stride
// ldc, starting at column n0 of the full matrix. `first`: C = bias + A*B (row_bias[m] and/or
// col_bias[j], each optional), else C += A*B. `act` (non-null only on the last K block): C = act(C)
// afterwards. Several B panels (b_panels > 1, b_panel_stride floats apart, for C columns n0 + j *
// nr): each A panel is run over all of them while it is in L1 (the A-stationary order: A, the
// weights of a conv, is read from memory once); all but the last B panel are full.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strix::kernels::cpu {

// Two families, each ordered weakest first: x86 (kAvx2 < kAvx512) and AArch64 (kNeon <
// kNeonDotprod: NEON plus the dot-product extension; its f32 kernels are the NEON ones).
enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3, kNeonDotprod = 4 };

// The best ISA that this CPU supports and this build compiled (x86: __builtin_cpu_supports;
// AArch64 Linux: NEON always, dotprod from getauxval(AT_HWCAP) & HWCAP_ASIMDDP).
Isa host_isa();
// host_isa(), lowered by STRIX_CPU_ISA=<isa_name> in the environment: "scalar", or a weaker
// ISA of the host's family (x86: avx2; AArch64: neon); other values are ignored. Read at every
// call: each new backend, i.e. each Engine, sees the current value; for tests and debugging.
Isa selected_isa();
// "scalar", "avx2", "avx512", "neon", "neon_dotprod".
const char* isa_name(Isa isa);

// Epilogue activations computed in vector registers; kScalar calls `scalar` on the stored
// values (portable code: ref::apply_activation, for Tanh, Gelu, Elu, Mish, Softplus, ...).
enum class ActKind : int32_t {
  kNone,
  kRelu,
  kClip,         // min(max(x, alpha), beta)
  kLeakyRelu,    // x >= 0 ? x : alpha * x
  kHardSigmoid,  // clamp(alpha * x + beta, 0, 1)
  kHardSwish,    // x * clamp(x / 6 + 0.5, 0, 1)
  kSigmoid,
  kSiLU,
  kScalar,
};

struct Act {
  ActKind kind = ActKind::kNone;
  float alpha = 0, beta = 0;
  void (*scalar)(const void* ctx, float* y, int64_t n) = nullptr;
  const void* ctx = nullptr;
};

struct GemmPanelArgs {
  int64_t p0 = 0, p1 = 0;         // panels
  const int32_t* rows = nullptr;  // panel p: rows [rows[p], rows[p + 1])
  int kc = 0;
  const float* a = nullptr;  // packed A, already offset to column k0
  int64_t a_panel_stride = 0;
  const float* b = nullptr;  // [kc][nr]
  int64_t b_panels = 1;
  int64_t b_panel_stride = 0;
  float* c = nullptr;  // &C[0][n0]
  int64_t ldc = 0;
  int nvalid = 0;                   // 1..nr, columns of the last B panel
  const float* row_bias = nullptr;  // [M], indexed by m
  const float* col_bias = nullptr;  // [nvalid], at column n0
  bool first = true;
  const Act* act = nullptr;
  // Optional read-ahead: each A panel's first micro-kernel prefetches (into L2, spread over its
  // k loop) the next A panel; the last panel p1 - 1 prefetches kc * mr floats from here
  // instead (the caller's next operand, e.g. the next weight panel), when set.
  const float* prefetch = nullptr;
  // Optional residual (a Conv2D fused with the Add after it), set only with the last K block:
  // C[m, j] += residual[m * ldr + j] (laid out like c, starting at column n0) after the bias
  // or accumulation and before act.
  const float* residual = nullptr;
  int64_t ldr = 0;
  // Optional read-ahead of B (> 0: B streams from memory once, e.g. the weights of a
  // FullyConnected at batch 1): each k step prefetches b + b_ahead floats (into L1). (Each
  // micro-kernel also prefetches, for writing, the C tile of its next B panel.)
  int b_ahead = 0;
  // B's row stride in floats: 0, packed panels (b[k * nr + j]); else B is read in place, row k
  // of a panel at b + k * ldb (every panel full: nvalid == nr).
  int64_t ldb = 0;
};

// One image of a Conv2D for implicit-im2col packing: K index k = (c * kh + ky) * kw + kx,
// N index n = oy * ow + ox (the weights' [M, C, kh, kw] order and NCHW output order).
// half > 0 (only with sw == 2, dw == 1): x is stored de-interleaved, each input row as its
// even columns then, `half` floats later, its odd ones (row stride 2 * half, as pad_plane
// writes it with sw 2), so that stride-2 taps read contiguous runs instead of gathers.
struct ConvGeom {
  int32_t c = 0, h = 0, w = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0;
  int32_t oh = 0, ow = 0;
  int32_t half = 0;
};

// A 2-D sliding window over one padded plane (depthwise conv, pooling): rows of the padded
// plane are `pw` floats apart; output (oy, ox) reads padded rows oy*sh + ky and columns
// ox*sw + kx. For sw == 2 the plane is stored de-interleaved: each padded row holds its even
// columns then, `half` floats later, its odd columns.
struct WindowGeom {
  int32_t kh = 1, kw = 1, sh = 1, sw = 1;
  int32_t oh = 0, ow = 0;
  int64_t pw = 0;    // row stride of the padded plane
  int64_t half = 0;  // sw == 2: offset of the odd columns within a row
};

enum class WindowOp : int32_t { kMax, kAvg, kWeighted };

struct IsaKernels {
  Isa isa = Isa::kScalar;
  int mr = 0;  // rows of the micro-kernel (the broadcast side)
  int nr = 0;  // columns of a B panel (two vectors)
  int lanes = 0;

  // B panel from a row-major [K, N] matrix with row stride ldb: dst[k][j] = b[(k0 + k) * ldb
  // + n0 + j] for j < nvalid, 0 for nvalid <= j < nr.
  void (*pack_b_rows)(const float* b, int64_t ldb, int64_t n0, int nvalid, int64_t k0, int kc,
                      float* dst);
  // B panel of the implicit im2col matrix of one image x [C, H, W] (zero outside the image).
  void (*pack_b_conv)(const ConvGeom& g, const float* x, int64_t n0, int nvalid, int64_t k0, int kc,
                      float* dst);
  void (*gemm_panel)(const GemmPanelArgs& args);
  // A panel of the transposed implicit im2col matrix (output positions as GEMM rows): dst[k *
  // mr + r] = im2col(x)[k0 + k][n0 + r] for r < rows (<= mr), 0 for rows <= r < mr; the
  // layout of a pack_a_panels panel, for positions-major convolutions (conv_rows.cc).
  void (*pack_a_conv)(const ConvGeom& g, const float* x, int64_t n0, int rows, int64_t k0, int kc,
                      float* dst);

  // Builds the padded plane for a window op: rows [0, rows) of the padded plane take input row
  // r - pt (fill outside [0, h) x [0, w)); columns as in WindowGeom (`sw` 1 or 2).
  void (*pad_plane)(const float* x, int32_t h, int32_t w, int32_t pt, int32_t pl, int32_t rows,
                    int32_t sw, int64_t pw, int64_t half, float fill, float* dst);
  // y[oy][ox] for the whole plane (row stride ow). kMax: max of the taps. kAvg: sum / count
  // where count = counts[oy * ow + ox]. kWeighted: bias + sum w[ky * kw + kx] * tap, then
  // act. sw must be 1 or 2.
  void (*window)(const WindowGeom& g, WindowOp op, const float* plane, const float* w, float bias,
                 const float* counts, const Act* act, float* y);

  // Max pooling of one [h, w] plane x with a window 3 wide, stride_w 2 (kh <= 16, any sh,
  // pt, pl; geometry from g, no dilation; -inf outside the image), straight from the plane:
  // y [oh, ow]. buf: 2 * half floats of scratch, half a multiple of lanes and >= ow + 1.
  void (*max_pool_w3s2)(const ConvGeom& g, const float* x, float* y, float* buf, int64_t half);

  // A window op over nch <= lanes planes at once, one per lane: plane l reads x + l * in_plane
  // and writes y + l * out_plane ([h, w] and [oh, ow] planes, geometry from g: kh, kw, sh, sw,
  // pt, pl; no dilation). kWeighted (depthwise conv, multiplier 1): w holds the planes' weights
  // as [kh * kw][lanes] and bias [lanes] (zero-padded past nch), act fused. kMax (max pooling,
  // -inf outside the image): w, bias and act unused. buf: ((oh - 1) * sh + kh) * ((ow - 1) * sw
  // + kw) * lanes floats of scratch.
  void (*window_lanes)(const ConvGeom& g, WindowOp op, const float* x, int64_t in_plane, int nch,
                       const float* w, const float* bias, const Act* act, float* y,
                       int64_t out_plane, float* buf);

  // One plane of a stride-1 undilated depthwise conv (kh, kw <= 8), straight from the [h, w]
  // input plane x: y [oh, ow] = act(bias + sum over taps w[ky * kw + kx] * x, zero padding at
  // pt / pl). zero_row: w zeros.
  void (*depthwise_s1)(const ConvGeom& g, const float* x, const float* w, float bias,
                       const Act* act, float* y, const float* zero_row);

  // Winograd F(2x2, 3x3) (conv_winograd.cc), vectorized over `count` tiles along x. Input:
  // V = B^T d B of each 4x4 tile d (padded rows [0, 4) of a de-interleaved plane as built by
  // pad_plane with sw 2, tile t at padded column 2t); V element e of tile t -> dst[e *
  // xi_stride + t]; reads up to count + lanes + 1 floats of each half row. Output: y = act(A^T M
  // A + bias) of each tile's 16 products m[e * xi_stride + t], output rows [0, rows) (rows <= 2)
  // at y + r * ldy, columns [0, cols) (cols <= 2 * count). res (null: none): a residual laid out
  // like y, added before act: y = act(A^T M A + bias + res).
  void (*winograd_input)(const float* plane, int64_t pw, int64_t half, int count, float* dst,
                         int64_t xi_stride);
  void (*winograd_output)(const float* m, int64_t xi_stride, int count, float bias, const Act* act,
                          float* y, int64_t ldy, int rows, int cols, const float* res);

  // y[i] = act(x[i]); x may equal y.
  void (*activation)(const Act& act, const float* x, float* y, int64_t n);
  // y[i] = act(a[i] op b[i]) with op 0 add, 1 sub, 2 mul, 3 div; a_step / b_step 0 broadcast
  // the first element, 1 walk. y may equal a or b.
  void (*binary)(int op, const float* a, int a_step, const float* b, int b_step, float* y,
                 int64_t n, const Act& act);
  // y[p] = sum(x[p * spatial ...]) / spatial for p < planes.
  void (*global_avg)(const float* x, int64_t planes, int64_t spatial, float* y);
};

// Null when `isa` is not compiled into this build.
const IsaKernels* isa_kernels(Isa isa);

}  // namespace strix::kernels::cpu
