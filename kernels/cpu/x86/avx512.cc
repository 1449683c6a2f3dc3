// The AVX-512 (F, BW, DQ, VL) instantiation of kernels_impl.h. Compiled with
// -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma; called only after host_isa() has
// checked the CPU (isa.cc).
#define STRIX_SIMD_AVX512 1
#define STRIX_SIMD_NS avx512
#include "kernels/cpu/x86/simd.h"
// simd.h must come first.
#include "kernels/cpu/x86/kernels_impl.h"
// Depthwise planes (isa_depthwise.h): uses kernels_impl.h's helpers.
#include "kernels/cpu/x86/depthwise_impl.h"
// The direct stem conv (isa_stem.h): uses depthwise_impl.h's tap loads.
#include "kernels/cpu/x86/stem_impl.h"
