// The ONNX op table: op type -> importer (ops_*.cc), plus the reasons given for known ops
// that Strix does not import.
#include "converter/frontends/onnx/importer.h"

namespace strix::onnx_frontend {

const std::map<std::string, OpEntry>& op_table() {
  static const std::map<std::string, OpEntry> table = [] {
    std::map<std::string, OpEntry> t;
    register_nn_ops(t);
    register_elementwise_ops(t);
    register_tensor_ops(t);
    register_qdq_ops(t);
    // Ops that exist only inside foldable shape computations: no importer.
    for (const char* op :
         {"Constant", "Shape", "Size", "ConstantOfShape", "Range", "Where", "Equal", "Less",
          "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Floor", "Ceil", "Abs"}) {
      if (!t.count(op)) t[op] = OpEntry{};
    }
    return t;
  }();
  return table;
}

std::string unsupported_reason(const std::string& op) {
  if (op == "QLinearConv" || op == "QLinearMatMul" || op == "ConvInteger" || op == "MatMulInteger")
    return "QOperator models are not supported; export QDQ (QuantizeLinear/DequantizeLinear)";
  if (op == "DynamicQuantizeLinear")
    return "dynamic quantization is not supported; export static QDQ "
           "(QuantizeLinear/DequantizeLinear)";
  if (op == "Erf")
    return "Erf is imported only as part of the GELU pattern x * 0.5 * (1 + erf(x / sqrt(2)))";
  if (op == "If" || op == "Loop" || op == "Scan") return "control flow is not supported";
  if (op == "LSTM" || op == "GRU" || op == "RNN") return "recurrent layers are not supported";
  if (op == "NonMaxSuppression" || op == "TopK" || op == "NonZero")
    return "data-dependent output shapes are not supported";
  return "";
}

std::vector<std::string> supported_op_types() {
  std::vector<std::string> ops;
  for (const auto& kv : op_table())
    if (kv.second.import != nullptr) ops.push_back(kv.first);
  return ops;
}

}  // namespace strix::onnx_frontend
