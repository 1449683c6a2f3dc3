// Run-time choice of the INT8 leaf routines (isa_int8.h).
#include "kernels/cpu/isa_int8.h"

namespace strix::kernels::cpu {

#if defined(STRIX_HAVE_X86_KERNELS)
namespace avx2_int8 {
const IsaInt8Kernels* get_int8_kernels();
}
namespace avx512_vnni {
const IsaInt8Kernels* get_int8_kernels();
}
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
namespace neon_int8 {
const IsaInt8Kernels* get_int8_kernels();
}
namespace neon_dotprod {
const IsaInt8Kernels* get_int8_kernels();
}
#endif

const IsaInt8Kernels* isa_int8_kernels(Isa isa) {
#if defined(STRIX_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx512) {
    // host_isa() has checked F/BW/DQ/VL (and the OS state); VNNI is checked here.
    __builtin_cpu_init();
    static const bool vnni = __builtin_cpu_supports("avx512vnni");
    return vnni ? avx512_vnni::get_int8_kernels() : avx2_int8::get_int8_kernels();
  }
  if (isa == Isa::kAvx2) return avx2_int8::get_int8_kernels();
#endif
#if defined(STRIX_HAVE_NEON_KERNELS)
  if (isa == Isa::kNeon) return neon_int8::get_int8_kernels();
  if (isa == Isa::kNeonDotprod) return neon_dotprod::get_int8_kernels();
#endif
  (void)isa;
  return nullptr;
}

}  // namespace strix::kernels::cpu
