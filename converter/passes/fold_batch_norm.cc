// fold_batch_norm: Conv2D / FullyConnected followed by BatchNormalization (see passes.h).
#include <cmath>

#include "converter/passes/passes.h"

namespace strix::passes {
namespace {

bool is_f32_constant(const ir::Graph& g, int t, int64_t size) {
  if (t < 0) return false;
  const ir::Tensor& c = g.tensors[t];
  return c.is_constant && c.dtype == ir::DType::kF32 &&
         static_cast<int64_t>(c.floats.size()) == size && (size < 0 || c.num_elements() == size);
}

// Per-channel scale s and shift h of y = s * x + h, or false.
bool bn_affine(const ir::Graph& g, const ir::Node& bn, int64_t channels, std::vector<float>* s,
               std::vector<float>* h) {
  const auto* o = std::get_if<ir::BatchNormOptions>(&bn.options);
  if (o == nullptr || bn.inputs.size() != 5) return false;
  for (int i = 1; i < 5; ++i)
    if (!is_f32_constant(g, bn.inputs[i], channels)) return false;
  const std::vector<float>& scale = g.tensors[bn.inputs[1]].floats;
  const std::vector<float>& bias = g.tensors[bn.inputs[2]].floats;
  const std::vector<float>& mean = g.tensors[bn.inputs[3]].floats;
  const std::vector<float>& var = g.tensors[bn.inputs[4]].floats;
  s->resize(channels);
  h->resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    double sc = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + o->epsilon);
    (*s)[c] = static_cast<float>(sc);
    (*h)[c] = static_cast<float>(bias[c] - mean[c] * sc);
  }
  return true;
}

// Conv2D W [M, C/g, kH, kW], optional B [M].
bool fold_into_conv(ir::Graph& g, ir::Node& conv, const ir::Node& bn) {
  const auto* o = std::get_if<ir::Conv2DOptions>(&conv.options);
  if (o == nullptr || o->activation.kind != fb::ActivationKind::None) return false;
  if (conv.inputs.size() < 2) return false;
  const ir::Tensor& w = g.tensors[conv.inputs[1]];
  if (w.rank() != 4 || !is_f32_constant(g, conv.inputs[1], w.num_elements())) return false;
  const int64_t m = w.shape[0];
  int b = conv.inputs.size() > 2 ? conv.inputs[2] : -1;
  if (b >= 0 && !is_f32_constant(g, b, m)) return false;
  std::vector<float> s, h;
  if (!bn_affine(g, bn, m, &s, &h)) return false;
  std::vector<float> wf = w.floats;
  const int64_t per = w.num_elements() / m;
  for (int64_t k = 0; k < m; ++k)
    for (int64_t i = 0; i < per; ++i) wf[k * per + i] *= s[k];
  std::vector<float> bf(m);
  for (int64_t k = 0; k < m; ++k) bf[k] = (b >= 0 ? g.tensors[b].floats[k] : 0.f) * s[k] + h[k];
  std::string base = w.name;
  std::vector<int64_t> wshape = w.shape;
  conv.inputs.resize(3);
  conv.inputs[1] = detail::add_constant(g, base + "_bnfold", wshape, std::move(wf));
  conv.inputs[2] = detail::add_constant(g, base + "_bnfold_bias", {m}, std::move(bf));
  return true;
}

// FullyConnected Y = alpha op(A) op(B) + beta C, Y [M, N]; C absent, [N] or [1, N].
bool fold_into_fc(ir::Graph& g, ir::Node& fc, const ir::Node& bn) {
  auto* o = std::get_if<ir::FullyConnectedOptions>(&fc.options);
  if (o == nullptr || o->activation.kind != fb::ActivationKind::None) return false;
  if (fc.inputs.size() < 2 || g.tensors[fc.outputs[0]].rank() != 2) return false;
  const ir::Tensor& w = g.tensors[fc.inputs[1]];
  if (w.rank() != 2 || !is_f32_constant(g, fc.inputs[1], w.num_elements())) return false;
  const int64_t n = o->trans_b ? w.shape[0] : w.shape[1];
  const int64_t k_dim = o->trans_b ? w.shape[1] : w.shape[0];
  int c = fc.inputs.size() > 2 ? fc.inputs[2] : -1;
  if (c >= 0) {
    const ir::Tensor& ct = g.tensors[c];
    bool row = (ct.rank() == 1 && ct.shape[0] == n) ||
               (ct.rank() == 2 && ct.shape[0] == 1 && ct.shape[1] == n);
    if (!row || !is_f32_constant(g, c, n)) return false;
  }
  std::vector<float> s, h;
  if (!bn_affine(g, bn, n, &s, &h)) return false;
  std::vector<float> wf = w.floats;
  for (int64_t k = 0; k < k_dim; ++k)
    for (int64_t j = 0; j < n; ++j) {
      int64_t idx = o->trans_b ? j * k_dim + k : k * n + j;
      wf[idx] *= s[j];
    }
  std::vector<float> cf(n);
  for (int64_t j = 0; j < n; ++j)
    cf[j] = (c >= 0 ? o->beta * g.tensors[c].floats[j] : 0.f) * s[j] + h[j];
  std::string base = w.name;
  std::vector<int64_t> wshape = w.shape;
  fc.inputs.resize(3);
  fc.inputs[1] = detail::add_constant(g, base + "_bnfold", wshape, std::move(wf));
  fc.inputs[2] = detail::add_constant(g, base + "_bnfold_bias", {n}, std::move(cf));
  o->beta = 1.f;
  return true;
}

}  // namespace

int fold_batch_norm(ir::Graph& g) {
  std::vector<bool> remove(g.nodes.size(), false);
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (remove[k]) continue;
    ir::Node& n = g.nodes[k];
    if ((n.op != fb::OpType::Conv2D && n.op != fb::OpType::FullyConnected) || n.outputs.size() != 1)
      continue;
    if (g.tensors[n.outputs[0]].dtype != ir::DType::kF32) continue;
    int r = detail::only_reader(g, n.outputs[0]);
    if (r < 0 || remove[r] || g.nodes[r].op != fb::OpType::BatchNormalization) continue;
    const ir::Node& bn = g.nodes[r];
    if (bn.inputs.empty() || bn.inputs[0] != n.outputs[0] || bn.outputs.size() != 1) continue;
    bool ok = n.op == fb::OpType::Conv2D ? fold_into_conv(g, n, bn) : fold_into_fc(g, n, bn);
    if (!ok) continue;
    // The Conv/FC now writes the BatchNormalization's output.
    ir::Node& fused = g.nodes[k];
    fused.outputs[0] = g.nodes[r].outputs[0];
    detail::absorb_sources(fused, g.nodes[r]);
    remove[r] = true;
    ++count;
  }
  g.remove_nodes(remove);
  return count;
}

}  // namespace strix::passes
