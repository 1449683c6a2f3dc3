#include "converter/frontends/onnx/convert.h"

#include "converter/ir/export.h"
#include "converter/ir/passes.h"
#include "strix/version.h"

namespace strix::onnx_frontend {

Result<ConvertResult> convert_onnx(const void* data, size_t size, const ConvertOptions& options) {
  ConvertResult result;
  Result<ir::Graph> imported = import_onnx(data, size, options.import, &result.info);
  if (!imported.ok()) return imported.status();
  ir::Graph graph = std::move(imported).value();
  Metadata metadata = options.metadata;
  if (options.complete_metadata)
    STRIX_RETURN_IF_ERROR(options.complete_metadata(graph, result.info, &metadata));
  STRIX_RETURN_IF_ERROR(ir::narrow_integers(graph));
  STRIX_RETURN_IF_ERROR(passes::optimize(graph, options.opt_level, &result.optimize));
  if (options.fp16) STRIX_RETURN_IF_ERROR(ir::convert_to_fp16(graph));

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
