// converter/ir/export.h — writes an ir::Graph as a .strix file (through
// converter/writer/model_builder.h).
//
// Preconditions: the graph is topologically sorted, every tensor it uses has a file dtype
// (no kI64 / kBool / kF64 left: see converter/ir/passes.h) and a shape whose only unknown
// dimension is dim 0. Tensors no node or graph input/output uses are not written. Constant
// data is converted to the tensor's dtype (f16 rounds to nearest even; integers are range
// checked). Any violation is a Status naming the tensor and the node that produces it.
#pragma once

#include <cstdint>
#include <vector>

#include "converter/ir/graph.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::ir {

Result<std::vector<uint8_t>> export_strix(const Graph& graph, const Metadata& metadata);

}  // namespace strix::ir
