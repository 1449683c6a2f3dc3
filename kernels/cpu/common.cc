#include "kernels/cpu/common.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace strix::kernels::cpu {
namespace {

void scalar_activation(const void* ctx, float* y, int64_t n) {
  const auto& p = *static_cast<const ref::ActivationParams*>(ctx);
  for (int64_t i = 0; i < n; ++i) y[i] = ref::apply_activation(p, y[i]);
}

ActKind vector_kind(fb::ActivationKind kind) {
  switch (kind) {
    case fb::ActivationKind::None: return ActKind::kNone;
    case fb::ActivationKind::Relu: return ActKind::kRelu;
    case fb::ActivationKind::Clip: return ActKind::kClip;
    case fb::ActivationKind::LeakyRelu: return ActKind::kLeakyRelu;
    case fb::ActivationKind::HardSigmoid: return ActKind::kHardSigmoid;
    case fb::ActivationKind::HardSwish: return ActKind::kHardSwish;
    case fb::ActivationKind::Sigmoid: return ActKind::kSigmoid;
    case fb::ActivationKind::SiLU: return ActKind::kSiLU;
    default: return ActKind::kScalar;
  }
}

}  // namespace

void FusedAct::init(const ref::ActivationParams& p) {
  params = p;
  act.kind = vector_kind(p.kind);
  act.alpha = p.alpha;
  act.beta = p.beta;
  act.scalar = scalar_activation;
  act.ctx = &params;
}

AlignedFloats::~AlignedFloats() { std::free(data); }

bool AlignedFloats::allocate(size_t count) {
  std::free(data);
  size = count;
  data = static_cast<float*>(std::aligned_alloc(64, align64(count * sizeof(float) + 1)));
  if (data == nullptr) {
    size = 0;
    return false;
  }
  std::memset(data, 0, count * sizeof(float));
  return true;
}

std::vector<int32_t> split_panels(int64_t m, int mr) {
  const int64_t panels = ceil_div(m, mr);
  std::vector<int32_t> rows(static_cast<size_t>(panels) + 1, 0);
  for (int64_t p = 0; p < panels; ++p) {
    int64_t begin, end;
    split_range(m, panels, p, &begin, &end);
    rows[p + 1] = static_cast<int32_t>(end);
  }
  return rows;
}

void pack_a_panels(const float* src, int64_t ld_m, int64_t ld_k, int64_t K, int64_t kc,
                   const std::vector<int32_t>& rows, int mr, float* dst) {
  const int64_t panels = static_cast<int64_t>(rows.size()) - 1;
  for (int64_t k0 = 0; k0 < K; k0 += kc) {
    const int64_t kcl = std::min(kc, K - k0);
    float* block = dst + a_block_offset(k0, panels, mr);
    for (int64_t p = 0; p < panels; ++p) {
      float* panel = block + p * kcl * mr;
      const int height = rows[p + 1] - rows[p];
      for (int r = 0; r < height; ++r) {
        const float* s = src + (rows[p] + r) * ld_m + k0 * ld_k;
        for (int64_t k = 0; k < kcl; ++k) panel[k * mr + r] = s[k * ld_k];
      }
      for (int r = height; r < mr; ++r)
        for (int64_t k = 0; k < kcl; ++k) panel[k * mr + r] = 0.f;
    }
  }
}

Status unsupported(const PrepareArgs& args, const char* why) {
  return node_error(args, StatusCode::kUnsupported, "the optimized CPU backend has no kernel: %s",
                    why);
}

}  // namespace strix::kernels::cpu
