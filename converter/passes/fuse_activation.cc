// fuse_activation: producer + activation op -> producer with a fused activation (see
// passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {
namespace {

using AK = fb::ActivationKind;

// The activation an op computes, or false when it is not an activation op.
bool activation_of(const ir::Node& n, ir::Activation* a) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1) return false;
  const auto* u = std::get_if<ir::UnaryOptions>(&n.options);
  float alpha = u != nullptr ? u->alpha : 0.f, beta = u != nullptr ? u->beta : 0.f;
  *a = ir::Activation{};
  switch (n.op) {
    case fb::OpType::Relu: a->kind = AK::Relu; return true;
    case fb::OpType::Sigmoid: a->kind = AK::Sigmoid; return true;
    case fb::OpType::Tanh: a->kind = AK::Tanh; return true;
    case fb::OpType::HardSwish: a->kind = AK::HardSwish; return true;
    case fb::OpType::SiLU: a->kind = AK::SiLU; return true;
    case fb::OpType::Mish: a->kind = AK::Mish; return true;
    case fb::OpType::Softplus: a->kind = AK::Softplus; return true;
    case fb::OpType::Clip:
    case fb::OpType::LeakyRelu:
    case fb::OpType::HardSigmoid:
    case fb::OpType::Elu:
      if (u == nullptr) return false;
      a->kind = n.op == fb::OpType::Clip        ? AK::Clip
                : n.op == fb::OpType::LeakyRelu ? AK::LeakyRelu
                : n.op == fb::OpType::Elu       ? AK::Elu
                                                : AK::HardSigmoid;
      a->alpha = alpha;
      a->beta = beta;
      return true;
    case fb::OpType::Gelu: {
      const auto* o = std::get_if<ir::GeluOptions>(&n.options);
      a->kind = o != nullptr && o->tanh_approximation ? AK::GeluTanh : AK::Gelu;
      return true;
    }
    default: return false;
  }
}

// The producer's activation slot, or null when it has none or it is already in use.
ir::Activation* activation_slot(ir::Node& n) {
  switch (n.op) {
    case fb::OpType::Conv2D: {
      auto* o = std::get_if<ir::Conv2DOptions>(&n.options);
      return o != nullptr && o->activation.kind == AK::None ? &o->activation : nullptr;
    }
    case fb::OpType::ConvTranspose2D: {
      auto* o = std::get_if<ir::ConvTranspose2DOptions>(&n.options);
      return o != nullptr && o->activation.kind == AK::None ? &o->activation : nullptr;
    }
    case fb::OpType::FullyConnected: {
      auto* o = std::get_if<ir::FullyConnectedOptions>(&n.options);
      return o != nullptr && o->activation.kind == AK::None ? &o->activation : nullptr;
    }
    case fb::OpType::MatMul: {
      if (std::holds_alternative<std::monostate>(n.options)) n.options = ir::MatMulOptions{};
      auto* o = std::get_if<ir::MatMulOptions>(&n.options);
      return o != nullptr && o->activation.kind == AK::None ? &o->activation : nullptr;
    }
    case fb::OpType::Add:
    case fb::OpType::Sub:
    case fb::OpType::Mul:
    case fb::OpType::Div: {
      if (std::holds_alternative<std::monostate>(n.options)) n.options = ir::BinaryOptions{};
      auto* o = std::get_if<ir::BinaryOptions>(&n.options);
      return o != nullptr && o->activation.kind == AK::None ? &o->activation : nullptr;
    }
    default: return nullptr;
  }
}

}  // namespace

int fuse_activation(ir::Graph& g) {
  std::vector<bool> remove(g.nodes.size(), false);
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (remove[k] || g.nodes[k].outputs.size() != 1) continue;
    const int t = g.nodes[k].outputs[0];
    const ir::DType dtype = g.tensors[t].dtype;
    if (dtype != ir::DType::kF32 && dtype != ir::DType::kF16) continue;
    int r = detail::only_reader(g, t);
    if (r < 0 || remove[r]) continue;
    ir::Activation act;
    if (!activation_of(g.nodes[r], &act) || g.nodes[r].inputs[0] != t) continue;
    const ir::Tensor& out = g.tensors[g.nodes[r].outputs[0]];
    if (out.dtype != dtype || out.shape != g.tensors[t].shape) continue;
    ir::Activation* slot = activation_slot(g.nodes[k]);
    if (slot == nullptr) continue;
    *slot = act;
    g.nodes[k].outputs[0] = g.nodes[r].outputs[0];
    detail::absorb_sources(g.nodes[k], g.nodes[r]);
    remove[r] = true;
    ++count;
  }
  g.remove_nodes(remove);
  return count;
}

}  // namespace strix::passes
