// kernels/cpu/common.h — shared by the portable drivers of the optimized CPU backend
// ("cpu"): fused activations, small arithmetic helpers and the factories the backend lists.
//
// Each factory first runs the reference factory of the op (kernels/cpu/ref/), so validation,
// error messages and output shapes are exactly the reference's; then it returns
// kUnsupported for configurations it has no fast path for, and the Engine falls back to
// the reference backend for that node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/ref/activation.h"
#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/kernel.h"

namespace strix::kernels::cpu {

// A fused activation in both forms: the reference parameters (for the scalar fallback
// kinds) and the ISA form. act.ctx points at params: a FusedAct must not move after init().
struct FusedAct {
  ref::ActivationParams params;
  Act act;
  void init(const ref::ActivationParams& p);
  // Null when there is nothing to apply.
  const Act* epilogue() const { return act.kind == ActKind::kNone ? nullptr : &act; }
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The ISA kernels' view of one image of a convolution (half = 0: plain input rows).
inline ConvGeom conv_geom(const ref::Conv2DParams& p) {
  ConvGeom g;
  g.c = static_cast<int32_t>(p.c);
  g.h = static_cast<int32_t>(p.h);
  g.w = static_cast<int32_t>(p.w);
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
  return g;
}
inline size_t align64(size_t n) { return (n + 63) & ~size_t(63); }

// 64-byte aligned float storage owned by a kernel (packed weights, tables).
struct AlignedFloats {
  AlignedFloats() = default;
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  ~AlignedFloats();
  // Zero-filled; false when out of memory.
  bool allocate(size_t count);
  float* data = nullptr;
  size_t size = 0;
  size_t bytes() const { return size * sizeof(float); }
};

// kUnsupported naming the reason: the Engine then asks the next backend (the reference).
Status unsupported(const PrepareArgs& args, const char* why);

// Splits [0, total) into `parts` nearly equal ranges; range i is [begin, end).
inline void split_range(int64_t total, int64_t parts, int64_t i, int64_t* begin, int64_t* end) {
  int64_t q = total / parts, r = total % parts;
  *begin = i * q + (i < r ? i : r);
  *end = *begin + q + (i < r ? 1 : 0);
}

// Row panels for the GEMM (isa.h): ceil(m / mr) panels of nearly equal height (each
// within 1 of the others, <= mr). Returns the panel boundaries, size panels + 1.
std::vector<int32_t> split_panels(int64_t m, int mr);

// Packs a matrix src[m * ld_m + k * ld_k] (m < rows.back(), k < K) into GEMM A panels,
// K block by K block so that each block is one contiguous stream: block b (columns
// [k0, k0 + kcl), k0 = b * kc) starts at dst + k0 * P * mr (P panels), and within it
// dst[... + p * kcl * mr + (k - k0) * mr + r] = src row rows[p] + r. Unused row slots are 0.
// a_block(k0) and a_panel_stride(kcl) below address it.
void pack_a_panels(const float* src, int64_t ld_m, int64_t ld_k, int64_t K, int64_t kc,
                   const std::vector<int32_t>& rows, int mr, float* dst);
inline int64_t a_block_offset(int64_t k0, int64_t panels, int mr) { return k0 * panels * mr; }

// Padded-plane layout for IsaKernels::window over an output of oh x ow with a kh x kw kernel
// and strides sh, sw (1 or 2): fills g, the number of padded rows, and the plane's float count
// (a multiple of 16) for per-thread scratch. conv.cc.
void plan_window_geometry(const IsaKernels& isa, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                          int64_t sh, int64_t sw, WindowGeom* g, int32_t* rows, int64_t* floats);

// Factories of the "cpu" backend (conv.cc, gemm.cc, pool.cc, elementwise.cc).
Result<std::unique_ptr<Kernel>> make_conv2d(const PrepareArgs& args, const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_fully_connected(const PrepareArgs& args,
                                                     const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_matmul(const PrepareArgs& args, const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_pool2d(const PrepareArgs& args, const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_global_average_pool(const PrepareArgs& args,
                                                         const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_unary(const PrepareArgs& args, const IsaKernels& isa);
Result<std::unique_ptr<Kernel>> make_binary(const PrepareArgs& args, const IsaKernels& isa);

}  // namespace strix::kernels::cpu
