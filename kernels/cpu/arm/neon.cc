// The AArch64 Advanced SIMD (NEON) instantiation of kernels_impl.h. NEON is part of the
// AArch64 base architecture, so no flag or run-time check is needed to run it; isa.cc also
// reports the dot-product extension (the same f32 kernels, named "neon_dotprod").
#define STRIX_SIMD_NEON 1
#define STRIX_SIMD_NS neon
#include "kernels/cpu/arm/simd_neon.h"
// simd_neon.h must come first.
#include "kernels/cpu/x86/kernels_impl.h"
// Depthwise planes (isa_depthwise.h): uses kernels_impl.h's helpers.
#include "kernels/cpu/x86/depthwise_impl.h"
// The direct stem conv (isa_stem.h): uses depthwise_impl.h's tap loads.
#include "kernels/cpu/x86/stem_impl.h"
