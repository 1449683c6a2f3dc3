// fold_pad: constant-0 spatial Pad -> Conv2D becomes the Conv2D's own padding (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {

int fold_pad(ir::Graph& g) {
  std::vector<bool> remove(g.nodes.size(), false);
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& pad = g.nodes[k];
    if (remove[k] || pad.op != fb::OpType::Pad || pad.inputs.size() != 1 || pad.outputs.size() != 1)
      continue;
    const auto* p = std::get_if<ir::PadOptions>(&pad.options);
    if (p == nullptr || p->mode != fb::PadMode::Constant || p->value != 0.f ||
        p->pads.size() != 8 || g.tensors[pad.inputs[0]].rank() != 4)
      continue;
    // ONNX order [n0, c0, h0, w0, n1, c1, h1, w1].
    const std::vector<int64_t>& q = p->pads;
    if (q[0] != 0 || q[1] != 0 || q[4] != 0 || q[5] != 0) continue;
    bool negative = false;
    for (int64_t v : q) negative = negative || v < 0 || v > (1 << 20);
    if (negative) continue;
    int c = detail::only_reader(g, pad.outputs[0]);
    if (c < 0 || remove[c] || g.nodes[c].op != fb::OpType::Conv2D ||
        g.nodes[c].inputs[0] != pad.outputs[0])
      continue;
    auto* o = std::get_if<ir::Conv2DOptions>(&g.nodes[c].options);
    if (o == nullptr || o->padding != fb::PaddingMode::Explicit) continue;
    // Conv pads [top, left, bottom, right].
    o->pads[0] += static_cast<int>(q[2]);
    o->pads[1] += static_cast<int>(q[3]);
    o->pads[2] += static_cast<int>(q[6]);
    o->pads[3] += static_cast<int>(q[7]);
    g.nodes[c].inputs[0] = pad.inputs[0];
    std::vector<std::string> sources =
        pad.source_nodes.empty() ? std::vector<std::string>{pad.name} : pad.source_nodes;
    sources.insert(sources.end(), g.nodes[c].source_nodes.begin(), g.nodes[c].source_nodes.end());
    g.nodes[c].source_nodes = std::move(sources);
    remove[k] = true;
    ++count;
  }
  g.remove_nodes(remove);
  return count;
}

}  // namespace strix::passes
