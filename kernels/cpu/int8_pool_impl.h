// kernels/cpu/int8_pool_impl.h — the INT8 pooling leaf routines of isa_int8.h (max_plane,
// plane_sums) in portable C++ with GCC vector extensions (lowered to the translation unit's
// ISA). Included ONLY by the INT8 ISA translation units inside their own namespace (define
// STRIX_INT8_NS first); internal linkage.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/cpu/isa_int8.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_pool_impl.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

typedef int8_t PoolI8 __attribute__((vector_size(32)));
constexpr int kPoolBlock = 32;

// Row `s` (w bytes) into the phased padded row d (DwGeom layout, int8, -128 elsewhere).
void pool_pad_row(const int8_t* s, int32_t w, const DwGeom& g, int8_t* d) {
  if (g.sw == 1) {
    std::memcpy(d + g.pl, s, static_cast<size_t>(w));
    return;
  }
  if (g.sw == 2) {
    // x[2j] goes to phase pl % 2 at pl / 2 + j, x[2j + 1] to phase (pl + 1) % 2 at
    // (pl + 1) / 2 + j.
    int8_t* even = d + (g.pl % 2) * g.pwq + g.pl / 2;
    int8_t* odd = d + ((g.pl + 1) % 2) * g.pwq + (g.pl + 1) / 2;
    auto block = [&](int32_t i) {  // x[i, i + 64), i even
      PoolI8 a, b;
      std::memcpy(&a, s + i, sizeof(a));
      std::memcpy(&b, s + i + kPoolBlock, sizeof(b));
      const PoolI8 e = __builtin_shuffle(
          a, b, PoolI8{0,  2,  4,  6,  8,  10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
                       32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62});
      const PoolI8 o = __builtin_shuffle(
          a, b, PoolI8{1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
                       33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63});
      std::memcpy(even + i / 2, &e, sizeof(e));
      std::memcpy(odd + i / 2, &o, sizeof(o));
    };
    int32_t i = 0;
    for (; i + 2 * kPoolBlock <= w; i += 2 * kPoolBlock) block(i);
    if (i < w && w >= 2 * kPoolBlock) {  // a last block overlapping the previous (same values)
      i = (w - 2 * kPoolBlock) & ~1;
      block(i);
      i += 2 * kPoolBlock;
    }
    for (; i < w; ++i) (i % 2 == 0 ? even : odd)[i / 2] = s[i];
    return;
  }
  for (int32_t i = 0, phase = g.pl % g.sw, at = g.pl / g.sw; i < w; ++i) {
    d[phase * g.pwq + at] = s[i];
    if (++phase == g.sw) phase = 0, ++at;
  }
}

void max_plane(const int8_t* x, int32_t h, int32_t w, const DwGeom& g, int8_t* buf, int8_t* y) {
  const int64_t pw = g.pwq * g.sw;
  for (int32_t r = 0; r < g.rows; ++r) {
    int8_t* d = buf + r * pw;
    std::memset(d, -128, static_cast<size_t>(pw));
    const int32_t iy = r - g.pt;
    if (iy >= 0 && iy < h) pool_pad_row(x + static_cast<int64_t>(iy) * w, w, g, d);
  }
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    for (int32_t ox0 = 0; ox0 < g.ow; ox0 += kPoolBlock) {
      PoolI8 m;
      std::memset(&m, -128, sizeof(m));
      for (int32_t ky = 0; ky < g.kh; ++ky) {
        const int8_t* row = buf + static_cast<int64_t>(oy * g.sh + ky * g.dh) * pw + ox0;
        for (int32_t kx = 0; kx < g.kw; ++kx) {
          const int32_t v = kx * g.dw;
          PoolI8 t;
          std::memcpy(&t, row + (v % g.sw) * g.pwq + v / g.sw, sizeof(t));
          m = t > m ? t : m;
        }
      }
      const int32_t n = g.ow - ox0 < kPoolBlock ? g.ow - ox0 : kPoolBlock;
      std::memcpy(y + static_cast<int64_t>(oy) * g.ow + ox0, &m, static_cast<size_t>(n));
    }
  }
}

typedef int8_t PoolI8x16 __attribute__((vector_size(16)));
typedef int32_t PoolI32x16 __attribute__((vector_size(64)));

void plane_sums(const int8_t* x, int64_t planes, int64_t spatial, int32_t zp, int32_t* acc) {
  for (int64_t p = 0; p < planes; ++p) {
    const int8_t* s = x + p * spatial;
    PoolI32x16 v = {};
    int64_t i = 0;
    for (; i + 16 <= spatial; i += 16) {
      PoolI8x16 t;
      std::memcpy(&t, s + i, sizeof(t));
      v += __builtin_convertvector(t, PoolI32x16);
    }
    int32_t sum = 0;
    for (int j = 0; j < 16; ++j) sum += v[j];
    for (; i < spatial; ++i) sum += s[i];
    // sum (x - zp) == sum x - spatial * zp: both fit int32 (the reference caps spatial).
    acc[p] = sum - static_cast<int32_t>(spatial) * zp;
  }
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
