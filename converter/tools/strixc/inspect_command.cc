// strixc inspect: what a .strix file holds (inputs, outputs, metadata, nodes, memory).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "commands.h"
#include "sdk/src/model_impl.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix_generated.h"

namespace strix::strixc {
namespace {

using nlohmann::json;

const char kCommand[] = "strixc inspect";

const char* color_name(ColorOrder c) {
  switch (c) {
    case ColorOrder::kRGB: return "rgb";
    case ColorOrder::kBGR: return "bgr";
    case ColorOrder::kGray: return "gray";
  }
  return "?";
}

const char* resize_name(ResizeKind r) {
  switch (r) {
    case ResizeKind::kStretch: return "stretch";
    case ResizeKind::kLetterbox: return "letterbox";
    case ResizeKind::kCenterCrop: return "center_crop";
  }
  return "?";
}

std::string task_lower(Task t) {
  switch (t) {
    case Task::kGeneric: return "generic";
    case Task::kClassify: return "classify";
    case Task::kDetect: return "detect";
    case Task::kDenoise: return "denoise";
    case Task::kSegment: return "segment";
  }
  return "?";
}

// A quantized tensor (i8/u8/i32) carries "quantization": {scales, zero_points, axis}.
json tensor_json(const TensorInfo& t) {
  json j = {{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape.to_vector()}};
  if (!t.quantization.empty())
    j["quantization"] = {{"scales", t.quantization.scales},
                         {"zero_points", t.quantization.zero_points},
                         {"axis", t.quantization.axis}};
  return j;
}

std::string floats_text(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%g", i ? "," : "", v[i]);
    s += buf;
  }
  return s;
}

json build(const std::string& path, const Model& model, const EngineReport* report,
           const std::string& engine_error) {
  const ModelImpl& m = *model.impl();
  const Metadata& md = model.metadata();
  json j;
  j["file"] = path;
  j["schema_version"] = model.schema_version();
  j["description"] = md.description;
  json inputs = json::array(), outputs = json::array();
  for (int i = 0; i < model.num_inputs(); ++i) inputs.push_back(tensor_json(model.input(i)));
  for (int i = 0; i < model.num_outputs(); ++i) outputs.push_back(tensor_json(model.output(i)));
  j["inputs"] = inputs;
  j["outputs"] = outputs;

  json meta;
  meta["task"] = task_lower(md.task);
  meta["labels"] = md.labels;
  json contracts = json::array();
  for (const InputContract& c : md.inputs) {
    contracts.push_back({{"input_index", c.input_index},
                         {"layout", c.layout == Layout::kNCHW ? "nchw" : "nhwc"},
                         {"width", c.width},
                         {"height", c.height},
                         {"color", color_name(c.color)},
                         {"mean", c.mean},
                         {"std", c.std},
                         {"unit_range", c.unit_range},
                         {"resize", resize_name(c.resize)},
                         {"pad_value", c.pad_value}});
  }
  meta["inputs"] = contracts;
  const PostProcess& p = md.postprocess;
  meta["postprocess"] = {
      {"decoder", fb::EnumNameDecoderKind(static_cast<fb::DecoderKind>(p.decoder))},
      {"score_threshold", p.score_threshold},
      {"nms_iou_threshold", p.nms_iou_threshold},
      {"max_detections", p.max_detections},
      {"top_k", p.top_k},
      {"apply_softmax", p.apply_softmax}};
  meta["producer"] = md.producer;
  meta["producer_version"] = md.producer_version;
  meta["provenance"] = {{"source_file", md.source_file},
                        {"source_sha256", md.source_sha256},
                        {"source_format", md.source_format},
                        {"created_utc", md.created_utc},
                        {"calibrator", md.calibrator},
                        {"calibration_data_sha256", md.calibration_data_sha256},
                        {"target", md.target}};
  json extra = json::object();
  for (const auto& kv : md.extra) extra[kv.first] = kv.second;
  meta["extra"] = extra;
  j["metadata"] = meta;

  json nodes = json::array();
  const auto* fb_nodes = m.graph->nodes();
  for (uint32_t n = 0; fb_nodes && n < fb_nodes->size(); ++n) {
    const fb::Node* node = fb_nodes->Get(n);
    json jn;
    jn["index"] = n;
    jn["name"] = node->name() ? node->name()->str() : "";
    jn["op"] = fb::EnumNameOpType(node->op());
    json ins = json::array(), outs = json::array(), sources = json::array();
    if (node->inputs())
      for (int t : *node->inputs()) ins.push_back(t < 0 ? std::string() : m.tensors[t].name);
    if (node->outputs())
      for (int t : *node->outputs()) outs.push_back(tensor_json(m.tensors[t]));
    if (node->source_nodes())
      for (const auto* s : *node->source_nodes()) sources.push_back(s->str());
    jn["inputs"] = ins;
    jn["outputs"] = outs;
    jn["source_nodes"] = sources;
    if (report != nullptr && n < report->nodes.size()) {
      jn["backend"] = report->nodes[n].backend;
      jn["kernel"] = report->nodes[n].kernel;
    }
    nodes.push_back(jn);
  }
  j["nodes"] = nodes;
  j["weights_bytes"] = model.weights_bytes();
  json mem;
  if (report != nullptr) {
    mem["arena_bytes"] = report->arena_bytes;
    mem["unplanned_bytes"] = report->activation_bytes_unplanned;
    mem["packed_weights_bytes"] = report->packed_weights_bytes;
  }
  if (!engine_error.empty()) mem["engine_error"] = engine_error;
  j["activation_memory"] = mem;
  return j;
}

std::string shape_text(const json& t) {
  std::string s = "[";
  bool first = true;
  for (const auto& d : t["shape"]) {
    int64_t v = d.get<int64_t>();
    s += (first ? "" : "x") + (v < 0 ? std::string("?") : std::to_string(v));
    first = false;
  }
  return s + "] " + t["dtype"].get<std::string>();
}

// " (scale 0.0187, zero point -14)" for a per-tensor quantized input/output; "" else.
std::string quant_text(const json& t) {
  if (!t.contains("quantization") || t["quantization"]["scales"].size() != 1) return "";
  const json& q = t["quantization"];
  char buf[80];
  std::snprintf(buf, sizeof(buf), " (scale %g, zero point %lld)", q["scales"][0].get<double>(),
                q["zero_points"].empty() ? 0LL : q["zero_points"][0].get<long long>());
  return buf;
}

void print_text(const json& j) {
  std::printf("model: %s (schema %u)\n", j["file"].get<std::string>().c_str(),
              j["schema_version"].get<unsigned>());
  const json& meta = j["metadata"];
  std::printf("producer: %s %s\n", meta["producer"].get<std::string>().c_str(),
              meta["producer_version"].get<std::string>().c_str());
  const json& prov = meta["provenance"];
  std::printf("source: %s (%s, sha256 %s), created %s\n",
              prov["source_file"].get<std::string>().c_str(),
              prov["source_format"].get<std::string>().c_str(),
              prov["source_sha256"].get<std::string>().c_str(),
              prov["created_utc"].get<std::string>().c_str());
  if (!j["description"].get<std::string>().empty())
    std::printf("description: %s\n", j["description"].get<std::string>().c_str());
  std::printf("task: %s, %zu labels\n", meta["task"].get<std::string>().c_str(),
              meta["labels"].size());
  for (const auto& kv : meta["extra"].items())
    std::printf("  %s: %s\n", kv.key().c_str(), kv.value().get<std::string>().c_str());
  std::printf("inputs:\n");
  for (const auto& t : j["inputs"])
    std::printf("  '%s' %s%s\n", t["name"].get<std::string>().c_str(), shape_text(t).c_str(),
                quant_text(t).c_str());
  for (const auto& c : meta["inputs"]) {
    std::printf("  input %d contract: %dx%d %s, mean %s, std %s, resize %s\n",
                c["input_index"].get<int>(), c["width"].get<int>(), c["height"].get<int>(),
                c["color"].get<std::string>().c_str(),
                floats_text(c["mean"].get<std::vector<float>>()).c_str(),
                floats_text(c["std"].get<std::vector<float>>()).c_str(),
                c["resize"].get<std::string>().c_str());
  }
  std::printf("outputs:\n");
  for (const auto& t : j["outputs"])
    std::printf("  '%s' %s%s\n", t["name"].get<std::string>().c_str(), shape_text(t).c_str(),
                quant_text(t).c_str());
  std::printf("nodes: %zu\n", j["nodes"].size());
  for (const auto& n : j["nodes"]) {
    std::string outs;
    for (const auto& t : n["outputs"])
      outs +=
          (outs.empty() ? "" : ", ") + ("'" + t["name"].get<std::string>() + "' " + shape_text(t));
    std::string sources;
    for (const auto& s : n["source_nodes"])
      sources += (sources.empty() ? "" : ", ") + s.get<std::string>();
    std::printf("  %3d %-20s %-24s -> %s%s%s\n", n["index"].get<int>(),
                n["op"].get<std::string>().c_str(), n["name"].get<std::string>().c_str(),
                outs.c_str(), sources.empty() ? "" : "  <- ", sources.c_str());
  }
  std::printf("weights: %llu bytes\n",
              static_cast<unsigned long long>(j["weights_bytes"].get<uint64_t>()));
  const json& mem = j["activation_memory"];
  if (mem.contains("arena_bytes"))
    std::printf("activations (batch 1): arena %llu bytes (unplanned sum %llu bytes)\n",
                static_cast<unsigned long long>(mem["arena_bytes"].get<uint64_t>()),
                static_cast<unsigned long long>(mem["unplanned_bytes"].get<uint64_t>()));
  if (mem.contains("engine_error"))
    std::printf("engine: %s\n", mem["engine_error"].get<std::string>().c_str());
}

}  // namespace

int inspect_command(const InspectOptions& o) {
  Result<Model> model = Model::load(o.model);
  if (!model.ok()) return report_error(kCommand, kExitError, model.status().to_string());
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), EngineOptions{});
  std::string engine_error = engine.ok() ? "" : engine.status().to_string();
  json j = build(o.model, model.value(), engine.ok() ? &engine.value()->report() : nullptr,
                 engine_error);
  if (o.json)
    std::printf("%s\n", j.dump(2).c_str());
  else
    print_text(j);
  return kExitOk;
}

}  // namespace strix::strixc
