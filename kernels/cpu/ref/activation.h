// kernels/cpu/ref/activation.h — scalar activation functions, shared by the unary op
// kernels and by every fused epilogue (Conv2D, FullyConnected, binary ops), so that fused
// and unfused graphs compute the same values.
#pragma once

#include <cmath>

#include "strix_generated.h"

namespace strix::kernels::ref {

struct ActivationParams {
  fb::ActivationKind kind = fb::ActivationKind::None;
  float alpha = 0;
  float beta = 0;
};

// Reads an optional fb::Activation (null means None).
ActivationParams activation_params(const fb::Activation* activation);

inline float apply_activation(const ActivationParams& p, float x) {
  switch (p.kind) {
    case fb::ActivationKind::None: return x;
    case fb::ActivationKind::Relu: return x > 0.f ? x : 0.f;
    case fb::ActivationKind::Clip: return x < p.alpha ? p.alpha : (x > p.beta ? p.beta : x);
    case fb::ActivationKind::LeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case fb::ActivationKind::Sigmoid: return 1.f / (1.f + std::exp(-x));
    case fb::ActivationKind::Tanh: return std::tanh(x);
    case fb::ActivationKind::HardSigmoid: {
      float y = p.alpha * x + p.beta;
      return y < 0.f ? 0.f : (y > 1.f ? 1.f : y);
    }
    case fb::ActivationKind::HardSwish: {
      float y = x / 6.f + 0.5f;
      return x * (y < 0.f ? 0.f : (y > 1.f ? 1.f : y));
    }
    case fb::ActivationKind::SiLU: return x / (1.f + std::exp(-x));
    case fb::ActivationKind::Gelu: return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case fb::ActivationKind::Elu: return x >= 0.f ? x : p.alpha * (std::exp(x) - 1.f);
    case fb::ActivationKind::Mish: return x * std::tanh(std::log1p(std::exp(x)));
    case fb::ActivationKind::Softplus:
      // log(1 + e^x), stable for large |x|.
      return x > 0.f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case fb::ActivationKind::GeluTanh:
      return 0.5f * x * (1.f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

}  // namespace strix::kernels::ref
