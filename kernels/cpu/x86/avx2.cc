// The AVX2 + FMA instantiation of kernels_impl.h. Compiled with -mavx2 -mfma; called only
// after host_isa() has checked the CPU (isa.cc).
#define STRIX_SIMD_AVX2 1
#define STRIX_SIMD_NS avx2
#include "kernels/cpu/x86/simd.h"
// simd.h must come first.
#include "kernels/cpu/x86/kernels_impl.h"
