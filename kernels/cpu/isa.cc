#include "kernels/cpu/isa.h"

#include <cstdlib>
#include <cstring>

namespace strix::kernels::cpu {

#if defined(STRIX_HAVE_X86_KERNELS)
namespace avx2 {
const IsaKernels* get_kernels();
}
namespace avx512 {
const IsaKernels* get_kernels();
}
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
#endif
  return best;
}

}  // namespace

Isa host_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa selected_isa() {
  Isa best = host_isa();
  if (const char* env = std::getenv("STRIX_CPU_ISA")) {
    Isa asked = best;
    if (std::strcmp(env, "scalar") == 0) asked = Isa::kScalar;
    if (std::strcmp(env, "avx2") == 0) asked = Isa::kAvx2;
    if (std::strcmp(env, "avx512") == 0) asked = Isa::kAvx512;
    if (static_cast<int>(asked) < static_cast<int>(best)) best = asked;
  }
  return best;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

const IsaKernels* isa_kernels(Isa isa) {
#if defined(STRIX_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx2) return avx2::get_kernels();
  if (isa == Isa::kAvx512) return avx512::get_kernels();
#endif
  (void)isa;
  return nullptr;
}

}  // namespace strix::kernels::cpu
