// converter/quant/int8_io.h — INT8 graph inputs and outputs (`strixc convert --precision int8
// --int8-io`): the caller quantizes the inputs and dequantizes the outputs itself, so a GPU
// copies 1 byte per element instead of 4, as with TensorRT's int8 I/O formats.
//
//   quant::quantize_graph(graph, table, options, &report);   // (and quant::apply_qdq)
//   quant::Int8IoReport io;
//   STRIX_RETURN_IF_ERROR(quant::int8_io(graph, &io));
//   for (const quant::Int8IoEntry& e : io.entries) std::printf("%s\n", format_entry(e).c_str());
//
// CONTRACT, on a graph quantize_graph has rewritten (topologically sorted):
//   Input  An f32 graph input X becomes an i8 (or u8) input when every node that reads it is a
//          Quantize, all those Quantize outputs have one dtype and one per-tensor quantization,
//          X is not also a graph output, and no Quantize output is a graph output. X then
//          carries that dtype and quantization; the Quantize nodes are removed and their
//          readers read X. The caller feeds round_half_even(x / scale) + zero_point, clamped
//          to the dtype's range: exactly what the Quantize computed, so the graph's results
//          are unchanged.
//   Output An f32 graph output T written by a Dequantize whose input Q is an i8 (or u8)
//          per-tensor quantized activation that is neither a graph input, a graph output nor
//          a constant becomes Q: Q takes the name T (the names of the graph's inputs and
//          outputs never change) and keeps its quantization; the f32 tensor is renamed
//          "T#f32" (quantize_graph's naming contract) and its Dequantize stays only when
//          other nodes read it. The output's values are then the integers the Dequantize read.
//   Anything else stays as it is, with the reason in the report. Every graph input and output
//   gets one report entry, inputs first, each in graph order.
#pragma once

#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::quant {

struct Int8IoEntry {
  bool is_input = true;
  std::string name;                   // the graph input's / output's name
  bool converted = false;             // now i8 / u8
  ir::DType dtype = ir::DType::kF32;  // the dtype it has now
  Quantization quant;                 // when converted: its per-tensor quantization
  std::string reason;                 // when not converted: why ("feeds a Conv2D directly")
};

struct Int8IoReport {
  std::vector<Int8IoEntry> entries;
  int inputs_converted = 0;
  int outputs_converted = 0;
  int quantize_removed = 0;    // Quantize nodes of the converted inputs
  int dequantize_removed = 0;  // Dequantize nodes of the converted outputs that nothing reads
};

// Rewrites `g` in place as described above and leaves it topologically sorted. Fails only
// on errors of the graph itself (topological_sort). `report` may be null.
Status int8_io(ir::Graph& g, Int8IoReport* report);

// "input 'x': int8 (scale 0.0187, zero point -14)" or
// "input 'y': stays f32: feeds a Conv2D directly" (scale printed with %g).
std::string format_entry(const Int8IoEntry& e);

}  // namespace strix::quant
