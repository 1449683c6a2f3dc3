#include "kernels/cpu/isa.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "kernels/cpu/isa_depthwise.h"
#include "kernels/cpu/isa_stem.h"

#if defined(STRIX_HAVE_NEON_KERNELS) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace strix::kernels::cpu {

#if defined(STRIX_HAVE_X86_KERNELS)
namespace avx2 {
const IsaKernels* get_kernels();
const IsaDepthwiseKernels* get_depthwise_kernels();
const IsaStemKernels* get_stem_kernels();
}  // namespace avx2
namespace avx512 {
const IsaKernels* get_kernels();
const IsaDepthwiseKernels* get_depthwise_kernels();
const IsaStemKernels* get_stem_kernels();
}  // namespace avx512
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
namespace neon {
const IsaKernels* get_kernels();
const IsaDepthwiseKernels* get_depthwise_kernels();
const IsaStemKernels* get_stem_kernels();
}  // namespace neon
#endif

namespace {

Isa detect() {
  Isa best = Isa::kScalar;
#if defined(STRIX_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  // libgcc's checks include the OS's XSAVE support (XCR0) for the AVX and AVX-512 state.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::kAvx2;
  if (best == Isa::kAvx2 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    best = Isa::kAvx512;
#elif defined(STRIX_HAVE_NEON_KERNELS)
  best = Isa::kNeon;                                  // Advanced SIMD is mandatory in AArch64
#if defined(__linux__)
  constexpr unsigned long kHwcapAsimdDp = 1ul << 20;  // HWCAP_ASIMDDP, <asm/hwcap.h>
  if (getauxval(AT_HWCAP) & kHwcapAsimdDp) best = Isa::kNeonDotprod;
#endif
#endif
  return best;
}

bool is_arm(Isa isa) { return isa == Isa::kNeon || isa == Isa::kNeonDotprod; }

}  // namespace

Isa host_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa selected_isa() {
  Isa best = host_isa();
  if (const char* env = std::getenv("STRIX_CPU_ISA")) {
    Isa asked = best;
    for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon, Isa::kNeonDotprod})
      if (std::strcmp(env, isa_name(i)) == 0) asked = i;
    // Only downward, and only within the host's family (no "avx2" on an Arm host).
    if (asked == Isa::kScalar) return asked;
    if (is_arm(asked) == is_arm(best) && static_cast<int>(asked) < static_cast<int>(best))
      best = asked;
  }
  return best;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDotprod: return "neon_dotprod";
  }
  return "?";
}

const IsaKernels* isa_kernels(Isa isa) {
#if defined(STRIX_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx2) return avx2::get_kernels();
  if (isa == Isa::kAvx512) return avx512::get_kernels();
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
  if (isa == Isa::kNeon) return neon::get_kernels();
  if (isa == Isa::kNeonDotprod) {
    // The NEON f32 kernels under the name that reports the extension.
    static const IsaKernels k = [] {
      IsaKernels t = *neon::get_kernels();
      t.isa = Isa::kNeonDotprod;
      return t;
    }();
    return &k;
  }
#endif
  (void)isa;
  return nullptr;
}

const IsaDepthwiseKernels* isa_depthwise_kernels(Isa isa) {
#if defined(STRIX_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx2) return avx2::get_depthwise_kernels();
  if (isa == Isa::kAvx512) return avx512::get_depthwise_kernels();
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod) return neon::get_depthwise_kernels();
#endif
  (void)isa;
  return nullptr;
}

const IsaStemKernels* isa_stem_kernels(Isa isa) {
#if defined(STRIX_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx2) return avx2::get_stem_kernels();
  if (isa == Isa::kAvx512) return avx512::get_stem_kernels();
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
  if (isa == Isa::kNeon || isa == Isa::kNeonDotprod) return neon::get_stem_kernels();
#endif
  (void)isa;
  return nullptr;
}

}  // namespace strix::kernels::cpu
