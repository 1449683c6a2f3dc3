// converter/ir/passes.h — graph rewrites run between a frontend and the writer.
#pragma once

#include "converter/ir/graph.h"
#include "strix/status.h"

namespace strix::ir {

// Makes every kI64 tensor kI32 (constants are range checked and the failure names the tensor
// and the node reading it; Cast nodes already target i32). Fails on kBool or kF64 tensors
// still in use. Run after import, before export.
Status narrow_integers(Graph& graph);

// FP16: weights and activations become f16. Graph inputs and outputs stay f32: a Cast to f16
// follows each f32 input and a Cast to f32 precedes each f32 output, so callers keep f32
// I/O. Integer tensors are unchanged. Leaves the graph topologically sorted.
Status convert_to_fp16(Graph& graph);

}  // namespace strix::ir
