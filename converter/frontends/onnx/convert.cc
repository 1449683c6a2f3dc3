#include "converter/frontends/onnx/convert.h"

#include "converter/ir/export.h"
#include "converter/ir/passes.h"
#include "converter/quant/qdq.h"
#include "strix/version.h"

namespace strix::onnx_frontend {

Result<PreparedGraph> prepare_onnx(const void* data, size_t size, const ConvertOptions& options) {
  PreparedGraph p;
  Result<ir::Graph> imported = import_onnx(data, size, options.import, &p.info);
  if (!imported.ok()) return imported.status();
  p.graph = std::move(imported).value();
  p.metadata = options.metadata;
  if (options.complete_metadata)
    STRIX_RETURN_IF_ERROR(options.complete_metadata(p.graph, p.info, &p.metadata));
  STRIX_RETURN_IF_ERROR(ir::narrow_integers(p.graph));
  // QDQ models: fake quantization where float readers would lose it to fusion (qdq.h).
  if (!p.info.qdq_activations.empty())
    STRIX_RETURN_IF_ERROR(
        quant::fake_quantize_qdq(p.graph, p.info.qdq_activations, options.int8, nullptr));
  STRIX_RETURN_IF_ERROR(passes::optimize(p.graph, options.opt_level, &p.optimize));
  return p;
}

Result<quant::CalibrationTable> calibration_table(const PreparedGraph& p,
                                                  const ConvertOptions& options) {
  const Int8Options& o = options.int8_options;
  // QDQ models carry their quantization (converter/quant/qdq.h): no calibration.
  if (!p.info.qdq_activations.empty()) return quant::qdq_table(p.info.qdq_activations);
  if (o.calib_table.empty() && o.calib_data.empty())
    return Status(StatusCode::kInvalidArgument,
                  "int8 needs calibration data (--calib-data SPEC) or a calibration table "
                  "(--calib-table FILE)");
  if (o.calib_table.empty())
    return quant::calibrate_spec(p.graph, p.metadata, o.calib_data, o.calibrate);
  Result<quant::CalibrationTable> table = quant::load_table(o.calib_table);
  if (!table.ok()) return table.status();
  Result<std::string> ghash = quant::graph_hash(p.graph);
  if (!ghash.ok()) return ghash.status();
  STRIX_RETURN_IF_ERROR(quant::check_table(table.value(), ghash.value(),
                                           quant::preprocess_hash(p.metadata), o.calib_table));
  return table;
}

Result<ConvertResult> convert_onnx(const void* data, size_t size, const ConvertOptions& options) {
  ConvertResult result;
  Result<PreparedGraph> prepared = prepare_onnx(data, size, options);
  if (!prepared.ok()) return prepared.status();
  PreparedGraph& p = prepared.value();
  result.info = p.info;
  result.optimize = p.optimize;
  if (options.int8) {
    // Calibrated on (and checked against) the fused FP32 graph, before it is rewritten.
    Result<quant::CalibrationTable> table = calibration_table(p, options);
    if (!table.ok()) return table.status();
    result.table = std::move(table).value();
  }
  ir::Graph graph = std::move(p.graph);
  Metadata metadata = p.metadata;
  if (options.int8) {
    quant::QuantizeOptions qo = options.int8_options.quantize;
    qo.float_is_fp16 = options.fp16;
    if (options.int8_options.choose_precision)
      STRIX_RETURN_IF_ERROR(
          options.int8_options.choose_precision(graph, metadata, result.table, &qo));
    STRIX_RETURN_IF_ERROR(quant::quantize_graph(graph, result.table, qo, &result.quantize));
    metadata.calibrator = result.table.calibrator;
    metadata.calibration_data_sha256 = result.table.dataset_hash;
  } else if (options.fp16) {
    STRIX_RETURN_IF_ERROR(ir::convert_to_fp16(graph));
  }
  // QDQ models: the recorded weight scales, and fake quantization where float remains
  // (not for layers that mixed precision put in float on purpose).
  if (!result.info.qdq_activations.empty() || !result.info.qdq_weights.empty())
    STRIX_RETURN_IF_ERROR(quant::apply_qdq(graph, result.info.qdq_activations,
                                           result.info.qdq_weights, nullptr,
                                           !options.int8_options.choose_precision));
  if (options.int8 && options.int8_options.int8_io)
    STRIX_RETURN_IF_ERROR(quant::int8_io(graph, &result.int8_io));

  if (metadata.producer.empty()) metadata.producer = "strixc";
  if (metadata.producer_version.empty()) metadata.producer_version = version_string();
  if (metadata.source_format.empty()) metadata.source_format = "onnx";
  Result<std::vector<uint8_t>> file = ir::export_strix(graph, metadata);
  if (!file.ok()) return file.status();
  result.file = std::move(file).value();

  // Verification: the file must load and compile, else the converter has a bug or the
  // model uses something the runtime rejects; either way the message names the node.
  Result<Model> model = Model::from_buffer(result.file.data(), result.file.size());
  if (!model.ok())
    return Status(model.status().code(),
                  "the converted model does not load: " + model.status().message());
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), EngineOptions{});
  if (!engine.ok())
    return Status(engine.status().code(),
                  "the converted model does not compile on the CPU: " + engine.status().message());
  result.report = engine.value()->report();
  result.num_nodes = model.value().num_nodes();
  result.num_tensors = model.value().num_tensors();
  return result;
}

}  // namespace strix::onnx_frontend
