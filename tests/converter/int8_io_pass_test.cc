// quant::int8_io (converter/quant/int8_io.h) on hand-built graphs: which graph inputs and
// outputs qualify, the reason of those that don't, and the rewrite (names kept, Quantize /
// Dequantize removed or kept). The numerics (i8 I/O model == plain INT8 model) are checked
// end to end by int8_io_test.py.
#include <gtest/gtest.h>

#include "converter/quant/int8_io.h"

namespace strix::quant {
namespace {

using fb::OpType;
using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

Quantization per_tensor(float scale, int64_t zp) { return Quantization{{scale}, {zp}, 0}; }

int i8(Graph& g, const std::string& name, const Quantization& q) {
  Tensor t = Tensor::activation(name, DType::kI8, {-1, 3, 5, 7});
  t.quant = q;
  return g.add_tensor(t);
}

int f32(Graph& g, const std::string& name) {
  return g.add_tensor(Tensor::activation(name, DType::kF32, {-1, 3, 5, 7}));
}

void quantize(Graph& g, int from, int to) {
  g.add_node(Node{g.tensors[to].name + "#q", OpType::Quantize, std::monostate{}, {from}, {to}, {}});
}

void dequantize(Graph& g, int from, int to) {
  g.add_node(
      Node{g.tensors[from].name + "#dq", OpType::Dequantize, std::monostate{}, {from}, {to}, {}});
}

void relu(Graph& g, int from, int to) {
  g.add_node(Node{g.tensors[to].name + "#relu", OpType::Relu, std::monostate{}, {from}, {to}, {}});
}

int count_op(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

// x -> two Quantize nodes (same parameters) -> Add -> Dequantize -> y -> Relu -> r: x becomes
// i8 and both Quantize nodes go; y becomes the Add's i8 output, its Dequantize stays for the
// Relu; r stays f32.
TEST(Int8Io, ConvertsInputWithTwoEqualQuantizesAndKeepsReadDequantize) {
  Graph g;
  const Quantization qx = per_tensor(0.013f, -7);
  const Quantization qy = per_tensor(0.25f, 3);
  int x = f32(g, "x");
  int x1 = i8(g, "x#i8", qx), x2 = i8(g, "x#i8b", qx);
  quantize(g, x, x1);
  quantize(g, x, x2);
  int a = i8(g, "y#i8", qy);
  g.add_node(Node{"add", OpType::Add, ir::BinaryOptions{}, {x1, x2}, {a}, {}});
  int y = f32(g, "y");
  dequantize(g, a, y);
  int r = f32(g, "r");
  relu(g, y, r);
  g.inputs = {x};
  g.outputs = {y, r};
  Int8IoReport rep;
  ASSERT_TRUE(int8_io(g, &rep).ok());
  ASSERT_EQ(rep.entries.size(), 3u);
  EXPECT_TRUE(rep.entries[0].converted);
  EXPECT_EQ(format_entry(rep.entries[0]), "input 'x': int8 (scale 0.013, zero point -7)");
  EXPECT_EQ(format_entry(rep.entries[1]), "output 'y': int8 (scale 0.25, zero point 3)");
  EXPECT_EQ(format_entry(rep.entries[2]),
            "output 'r': stays f32: written by a Relu, not a "
            "Dequantize");
  EXPECT_EQ(rep.quantize_removed, 2);
  EXPECT_EQ(rep.dequantize_removed, 0);
  EXPECT_EQ(g.tensors[x].dtype, DType::kI8);
  EXPECT_EQ(g.tensors[x].quant.scales, qx.scales);
  EXPECT_EQ(count_op(g, OpType::Quantize), 0);
  EXPECT_EQ(count_op(g, OpType::Dequantize), 1);  // the Relu reads y's f32 value
  // Names kept: the graph output "y" is now the i8 tensor; the f32 copy is "y#f32".
  EXPECT_EQ(g.inputs, std::vector<int>{x});
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "y");
  EXPECT_EQ(g.tensors[g.outputs[0]].dtype, DType::kI8);
  EXPECT_EQ(g.tensors[y].name, "y#f32");
  for (const Node& n : g.nodes) {
    if (n.op == OpType::Add) {
      EXPECT_EQ(n.inputs, (std::vector<int>{x, x}));
    }
  }
}

TEST(Int8Io, InputsThatDoNotQualifyStayWithTheirReason) {
  Graph g;
  int a = f32(g, "a"), b = f32(g, "b"), c = f32(g, "c"), d = f32(g, "d"), e = f32(g, "e");
  // a: two Quantize nodes with different scales.
  int a1 = i8(g, "a1", per_tensor(0.1f, 0)), a2 = i8(g, "a2", per_tensor(0.2f, 0));
  quantize(g, a, a1);
  quantize(g, a, a2);
  // b: a Quantize and a Relu.
  int b1 = i8(g, "b1", per_tensor(0.1f, 0)), br = f32(g, "br");
  quantize(g, b, b1);
  relu(g, b, br);
  // c: per-channel quantization.
  int c1 = i8(g, "c1", Quantization{{0.1f, 0.2f, 0.3f}, {0, 0, 0}, 1});
  quantize(g, c, c1);
  // d: also a graph output. e: read by nothing.
  int d1 = i8(g, "d1", per_tensor(0.1f, 0));
  quantize(g, d, d1);
  g.inputs = {a, b, c, d, e};
  g.outputs = {a1, a2, b1, br, c1, d1, d};
  const size_t nodes = g.nodes.size();
  Int8IoReport rep;
  ASSERT_TRUE(int8_io(g, &rep).ok());
  ASSERT_GE(rep.entries.size(), 5u);
  EXPECT_EQ(format_entry(rep.entries[0]),
            "input 'a': stays f32: its quantized copy is a graph output");
  EXPECT_EQ(format_entry(rep.entries[1]), "input 'b': stays f32: feeds a Relu directly");
  EXPECT_EQ(format_entry(rep.entries[4]), "input 'e': stays f32: no node reads it");
  EXPECT_EQ(format_entry(rep.entries[3]), "input 'd': stays f32: it is also a graph output");
  EXPECT_EQ(rep.inputs_converted, 0);
  EXPECT_EQ(g.nodes.size(), nodes);
  for (int t : {a, b, c, d, e}) EXPECT_EQ(g.tensors[t].dtype, DType::kF32);

  // Without the outputs in the way: a's Quantize nodes differ, c is per channel.
  g.outputs = {br};
  ASSERT_TRUE(int8_io(g, &rep).ok());
  EXPECT_EQ(format_entry(rep.entries[0]),
            "input 'a': stays f32: its Quantize nodes differ in quantization");
  EXPECT_EQ(format_entry(rep.entries[2]), "input 'c': stays f32: quantized per channel");
  EXPECT_EQ(format_entry(rep.entries[3]), "input 'd': int8 (scale 0.1, zero point 0)");
}

TEST(Int8Io, OutputsThatDoNotQualifyStay) {
  Graph g;
  int x = f32(g, "x");
  int q = i8(g, "q", per_tensor(0.5f, 1));
  quantize(g, x, q);
  int xr = f32(g, "xr");
  relu(g, x, xr);  // keeps x f32, so that q is not replaced by the input
  // y1 and y2 both dequantize q: the first one converts, then q is a graph output.
  int y1 = f32(g, "y1"), y2 = f32(g, "y2");
  dequantize(g, q, y1);
  g.add_node(Node{"dq2", OpType::Dequantize, std::monostate{}, {q}, {y2}, {}});
  // y3: Dequantize of an i32 tensor.
  Tensor acc = Tensor::activation("acc", DType::kI32, {-1, 3, 5, 7});
  acc.quant = per_tensor(0.01f, 0);
  int ai = g.add_tensor(acc);
  g.add_node(Node{"cast", OpType::Cast, ir::CastOptions{}, {q}, {ai}, {}});
  int y3 = f32(g, "y3");
  dequantize(g, ai, y3);
  g.inputs = {x};
  g.outputs = {y1, y2, y3, xr};
  Int8IoReport rep;
  ASSERT_TRUE(int8_io(g, &rep).ok());
  ASSERT_EQ(rep.entries.size(), 5u);
  EXPECT_EQ(format_entry(rep.entries[0]), "input 'x': stays f32: feeds a Relu directly");
  EXPECT_EQ(format_entry(rep.entries[1]), "output 'y1': int8 (scale 0.5, zero point 1)");
  EXPECT_EQ(format_entry(rep.entries[2]),
            "output 'y2': stays f32: its int8 value is also a graph output");
  EXPECT_EQ(format_entry(rep.entries[3]), "output 'y3': stays f32: its Dequantize reads i32");
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "y1");
  EXPECT_EQ(g.tensors[g.outputs[1]].name, "y2");
  EXPECT_EQ(count_op(g, OpType::Dequantize), 2);  // y1's went, y2's and y3's stay
}

}  // namespace
}  // namespace strix::quant
