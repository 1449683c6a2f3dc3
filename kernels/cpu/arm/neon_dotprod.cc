// The NEON dot-product INT8 leaf routines (sdot), neon_int8_impl.h. Compiled with
// -march=armv8.2-a+dotprod; called only when host_isa() found HWCAP_ASIMDDP (isa_int8.cc).
#define STRIX_INT8_NS neon_dotprod
#define STRIX_INT8_DOTPROD 1
#include "kernels/cpu/arm/neon_int8_impl.h"

namespace strix::kernels::cpu::neon_dotprod {
const IsaInt8Kernels* get_int8_kernels() {
  static const IsaInt8Kernels k = make_table(Isa::kNeonDotprod, "neon_dotprod");
  return &k;
}
}  // namespace strix::kernels::cpu::neon_dotprod
