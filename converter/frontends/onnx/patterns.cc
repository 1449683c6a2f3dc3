// Multi-node patterns imported as one Strix op. Only GELU for now, as PyTorch (opset < 20)
// exports nn.GELU():
//   (a) y = Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
//   (b) y = Mul(Mul(x, 0.5), Add(Erf(Div(x, sqrt 2)), 1))
// Div(x, sqrt 2) may also be Mul(x, 1 / sqrt 2); Add and Mul inputs may come in either order.
#include <cmath>
#include <unordered_map>

#include "converter/frontends/onnx/importer.h"

namespace strix::onnx_frontend {
namespace {

class Matcher {
 public:
  explicit Matcher(Importer& imp) : imp_(imp), g_(imp.graph()) {
    for (int i = 0; i < g_.node_size(); ++i)
      for (const std::string& o : g_.node(i).output()) producer_[o] = i;
  }

  // Node producing `name` if its op is `op`, else -1.
  int producer(const std::string& name, const char* op) const {
    auto it = producer_.find(name);
    if (it == producer_.end() || g_.node(it->second).op_type() != op) return -1;
    return it->second;
  }

  // The one node reading `name` (which is no graph output) if its op is `op`, else -1.
  int only_reader(const std::string& name, const char* op) const {
    const std::vector<int>& r = imp_.readers(name);
    if (r.size() != 1 || imp_.use_count(name) != 1 || g_.node(r[0]).op_type() != op) return -1;
    return r[0];
  }

  // True when `name` is a constant whose every element is within 1e-3 of `v`. Before
  // folding (the support check) values are not known yet and any name passes.
  bool is_scalar(const std::string& name, double v) const {
    if (imp_.num_worlds() == 0) return true;
    Value c = imp_.value(name, 0);
    if (!c || !ir::is_float(c->dtype) || c->floats.empty()) return false;
    for (float f : c->floats)
      if (std::fabs(f - v) > 1e-3 * std::fabs(v)) return false;
    return true;
  }

  // For a two-input node, the input other than `name` (or "" when `name` is not an input).
  std::string other_input(int node, const std::string& name) const {
    const onnx::NodeProto& n = g_.node(node);
    if (n.input_size() != 2) return "";
    if (n.input(0) == name) return n.input(1);
    if (n.input(1) == name) return n.input(0);
    return "";
  }

  // Tries to match GELU around Erf node `erf`; fills `m` on success.
  bool gelu(int erf, PatternMatch* m) const {
    const onnx::NodeProto& e = g_.node(erf);
    if (e.input_size() != 1 || e.output_size() != 1) return false;
    // x / sqrt(2) or x * (1 / sqrt(2)).
    std::string scaled = e.input(0);
    int div = producer(scaled, "Div");
    int scale = div >= 0 ? div : producer(scaled, "Mul");
    if (scale < 0 || imp_.use_count(scaled) != 1) return false;
    const onnx::NodeProto& s = g_.node(scale);
    std::string x;
    if (div >= 0) {
      if (!is_scalar(s.input(1), std::sqrt(2.0))) return false;
      x = s.input(0);
    } else if (is_scalar(s.input(1), std::sqrt(0.5))) {
      x = s.input(0);
    } else if (is_scalar(s.input(0), std::sqrt(0.5))) {
      x = s.input(1);
    } else {
      return false;
    }
    int add = only_reader(e.output(0), "Add");
    if (add < 0 || !is_scalar(other_input(add, e.output(0)), 1.0)) return false;
    const std::string& a = g_.node(add).output(0);
    int mul1 = only_reader(a, "Mul");
    if (mul1 < 0) return false;
    std::string other = other_input(mul1, a);
    if (other == x) {  // (a): the 0.5 comes last
      const std::string& m1 = g_.node(mul1).output(0);
      int mul2 = only_reader(m1, "Mul");
      if (mul2 < 0 || !is_scalar(other_input(mul2, m1), 0.5)) return false;
      m->members = {scale, erf, add, mul1, mul2};
    } else {  // (b): other = x * 0.5
      int half = producer(other, "Mul");
      if (half < 0 || imp_.use_count(other) != 1) return false;
      std::string hx = other_input(half, x);
      if (hx.empty() || !is_scalar(hx, 0.5)) return false;
      m->members = {scale, half, erf, add, mul1};
    }
    m->input = x;
    return true;
  }

 private:
  Importer& imp_;
  const onnx::GraphProto& g_;
  std::unordered_map<std::string, int> producer_;
};

Status import_gelu(NodeContext& ctx) {
  Result<int> x = ctx.imp.tensor(ctx.imp.current_pattern->input, ctx.label());
  if (!x.ok()) return x.status();
  Result<int> y = ctx.output(0);
  if (!y.ok()) return y.status();
  ctx.add(fb::OpType::Gelu, ir::GeluOptions{}, {x.value()}, {y.value()});
  return Status();
}

}  // namespace

void match_patterns(Importer& imp, std::vector<bool>* replaced,
                    std::map<int, PatternMatch>* anchors) {
  Matcher matcher(imp);
  const onnx::GraphProto& g = imp.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    if (g.node(i).op_type() != "Erf") continue;
    PatternMatch m;
    if (!matcher.gelu(i, &m)) continue;
    m.import = import_gelu;
    for (int member : m.members) (*replaced)[member] = true;
    int anchor = m.members.back();
    (*replaced)[anchor] = false;
    (*anchors)[anchor] = m;
  }
  match_qdq_pairs(imp, replaced, anchors);
}

}  // namespace strix::onnx_frontend
