// The plain NEON INT8 leaf routines (smull + sadalp), neon_int8_impl.h. NEON is baseline on
// AArch64: no flag, no run-time check.
#define STRIX_INT8_NS neon_int8
#include "kernels/cpu/arm/neon_int8_impl.h"

namespace strix::kernels::cpu::neon_int8 {
const IsaInt8Kernels* get_int8_kernels() {
  static const IsaInt8Kernels k = make_table(Isa::kNeon, "neon");
  return &k;
}
}  // namespace strix::kernels::cpu::neon_int8
