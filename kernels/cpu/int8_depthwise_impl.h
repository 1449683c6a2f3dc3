// kernels/cpu/int8_depthwise_impl.h — the depthwise INT8 leaf routines of isa_int8.h (dw_pad,
// dw_conv) in portable C++ with GCC vector extensions: 16 int32 sums per output block live in
// registers across all taps. Included ONLY by the INT8 ISA translation units, each
// compiled with its own -m flags, inside their own namespace (define STRIX_INT8_NS first);
// internal linkage, so copies built with different flags are never merged.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/cpu/isa_int8.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_depthwise_impl.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

constexpr int kDwBlock = 16;

void dw_pad(const int8_t* x, int32_t h, int32_t w, int32_t zp, const DwGeom& g, int16_t* dst) {
  const int64_t pw = g.pwq * g.sw;
  for (int32_t r = 0; r < g.rows; ++r) {
    int16_t* d = dst + r * pw;
    std::memset(d, 0, static_cast<size_t>(pw) * sizeof(int16_t));
    const int32_t iy = r - g.pt;
    if (iy < 0 || iy >= h) continue;
    const int8_t* s = x + static_cast<int64_t>(iy) * w;
    if (g.sw == 1) {
      int16_t* __restrict o = d + g.pl;
      for (int32_t i = 0; i < w; ++i) o[i] = static_cast<int16_t>(s[i] - zp);
    } else {
      for (int32_t i = 0, phase = g.pl % g.sw, at = g.pl / g.sw; i < w; ++i) {
        d[phase * g.pwq + at] = static_cast<int16_t>(s[i] - zp);
        if (++phase == g.sw) phase = 0, ++at;
      }
    }
  }
}

// GCC vector extensions: 16 lanes, lowered to the translation unit's ISA (one zmm, two ymm,
// four NEON q registers).
typedef int16_t DwI16 __attribute__((vector_size(32)));
typedef int32_t DwI32 __attribute__((vector_size(64)));

template <void (*Requant)(const int32_t*, int64_t, const Int8Requant&, int8_t*)>
void dw_conv(const int16_t* plane, const DwGeom& g, const int16_t* w, const Int8Requant& rq,
             int8_t* y) {
  const int64_t pw = g.pwq * g.sw;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    for (int32_t ox0 = 0; ox0 < g.ow; ox0 += kDwBlock) {
      DwI32 acc = {};
      for (int32_t ky = 0; ky < g.kh; ++ky) {
        const int16_t* row = plane + static_cast<int64_t>(oy * g.sh + ky * g.dh) * pw + ox0;
        for (int32_t kx = 0; kx < g.kw; ++kx) {
          const int32_t v = kx * g.dw;
          DwI16 s;
          std::memcpy(&s, row + (v % g.sw) * g.pwq + v / g.sw, sizeof(s));
          acc += __builtin_convertvector(s, DwI32) * static_cast<int32_t>(w[ky * g.kw + kx]);
        }
      }
      int32_t out[kDwBlock];
      std::memcpy(out, &acc, sizeof(out));
      const int32_t n = g.ow - ox0 < kDwBlock ? g.ow - ox0 : kDwBlock;
      Requant(out, n, rq, y + static_cast<int64_t>(oy) * g.ow + ox0);
    }
  }
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
