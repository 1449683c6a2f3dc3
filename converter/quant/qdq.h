// converter/quant/qdq.h — explicit quantization from QDQ (quantization-aware) ONNX models:
// the parameters the frontend recorded (onnx_frontend::ImportInfo::qdq_activations /
// qdq_weights, by tensor name) become the calibration table quantize_graph consumes, and
// after quantize_graph the graph is fixed up so that it computes what the QDQ model means.
//
//   quant::fake_quantize_qdq(graph, info.qdq_activations, /*int8=*/true, nullptr);  // unfused
//   passes::optimize(graph, 2);
//   CalibrationTable t = quant::qdq_table(info.qdq_activations);    // no calibration data
//   quant::quantize_graph(graph, t, options, &report);
//   quant::apply_qdq(graph, info.qdq_activations, info.qdq_weights, &qdq_report);
//
// fake_quantize_qdq, on the imported graph before the optimizer: a recorded activation T
// gets Quantize -> Dequantize ("T#fq_i8", "T#fq") for the readers that will stay float, so
// that fusion cannot drop the rounding and saturation ONNX Runtime applies there (e.g.
// Conv -> QDQ -> Sigmoid must not become one Conv with a fused Sigmoid). `int8` false (FP32 /
// FP16 conversions): every reader, and T as a graph output. `int8` true: readers that have no
// INT8 kernel (quant::int8_unsupported_reason; Relu and Clip excepted: they fuse into their
// INT8 producer), and T as a graph output when its producer has none either.
//
// apply_qdq, after the precision step (FP32, FP16 or INT8):
//   1. INT8 weights: a Conv2D / FullyConnected weight (i8 constant) with recorded per-channel
//      scales (zero points 0, same axis and channel count) is re-expressed with exactly those
//      scales, and its i32 bias re-scaled to x_scale * w_scale[c] (from quantize_graph's i32
//      values: within one accumulator step of the float bias). quantize_graph's own
//      max|w| / 127 scales equal them for weights that reach +-127 in every channel; this
//      keeps the model's scales for any other (QAT-learned) weight.
//   2. Fake quantization of what stayed float: a recorded activation T that is still a float
//      tensor is quantized and dequantized (Quantize -> Dequantize with T's parameters) for
//      its float readers, and as a graph output, as ONNX Runtime computes the QDQ model.
//      Names follow quantize_graph's contract: "T#i8" (reused when quantize_graph made it),
//      "T#f32" / "T#f16"; a float graph output T is written by the Dequantize and its
//      producer writes "T#float".
#pragma once

#include <map>
#include <string>

#include "converter/ir/graph.h"
#include "converter/quant/calib_table.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::quant {

// One entry per recorded activation: its scale and zero point, min/max the representable
// range [scale * (-128 - zp), scale * (127 - zp)], threshold max(|min|, |max|);
// calibrator "qdq", samples 0.
CalibrationTable qdq_table(const std::map<std::string, Quantization>& activations);

struct QdqReport {
  int weights_rescaled = 0;  // step 1
  int fake_quantized = 0;    // step 2: activations given a Quantize -> Dequantize
};

// See above. Both leave the graph topologically sorted. `report` may be null.
Status fake_quantize_qdq(ir::Graph& g, const std::map<std::string, Quantization>& activations,
                         bool int8, QdqReport* report);
// `fake_quantize_float` false skips step 2: mixed precision (--precision best) puts a layer
// in float to drop its quantization error, so the QDQ points of its tensors are not kept.
Status apply_qdq(ir::Graph& g, const std::map<std::string, Quantization>& activations,
                 const std::map<std::string, Quantization>& weights, QdqReport* report,
                 bool fake_quantize_float = true);

}  // namespace strix::quant
