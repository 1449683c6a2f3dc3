// The AVX2 + FMA instantiation of kernels_impl.h. Compiled with -mavx2 -mfma; called only
// after host_isa() has checked the CPU (isa.cc).
#define STRIX_SIMD_AVX2 1
#define STRIX_SIMD_NS avx2
#include "kernels/cpu/x86/simd.h"
// simd.h must come first.
#include "kernels/cpu/x86/kernels_impl.h"
// Depthwise planes (isa_depthwise.h): uses kernels_impl.h's helpers.
#include "kernels/cpu/x86/depthwise_impl.h"
// The direct stem conv (isa_stem.h): uses depthwise_impl.h's tap loads.
#include "kernels/cpu/x86/stem_impl.h"
