// strix/model.h — a verified, immutable .strix model.
//
//   strix::Result<strix::Model> loaded = strix::Model::load("classifier.strix");
//   if (!loaded.ok()) return report(loaded.status());
//   const strix::Model& model = loaded.value();
//   for (const std::string& label : model.metadata().labels) { ... }
//
// load() maps the file read-only and uses weights in place. Nothing in the file is trusted:
// the FlatBuffers verifier runs first, then semantic checks (indices in range, buffer sizes
// equal dtype x shape, options valid for their op, graph acyclic, every input produced
// before use). A failure is a Status naming the tensor or node at fault.
//
// Thread safety: a Model is immutable; copies share the mapping and may be used from any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

enum class Task { kGeneric = 0, kClassify = 1, kDetect = 2, kDenoise = 3, kSegment = 4 };
enum class ColorOrder { kRGB = 0, kBGR = 1, kGray = 2 };
enum class ResizeKind { kStretch = 0, kLetterbox = 1, kCenterCrop = 2 };
enum class Layout { kNCHW = 0, kNHWC = 1 };

const char* task_name(Task task);

// How a frame becomes the model input: x[c] = (p[c] / 255 - mean[c]) / std[c] (unit_range)
// or (p[c] - mean[c]) / std[c], resized as `resize` says.
struct InputContract {
  int input_index = 0;
  Layout layout = Layout::kNCHW;
  int width = 0;
  int height = 0;
  ColorOrder color = ColorOrder::kRGB;
  std::vector<float> mean;
  std::vector<float> std;
  bool unit_range = true;
  ResizeKind resize = ResizeKind::kStretch;
  float pad_value = 0;
};

struct PostProcess {
  int decoder = 0;  // strix.fb.DecoderKind
  float score_threshold = 0.5f;
  float nms_iou_threshold = 0.45f;
  int max_detections = 100;
  int top_k = 5;
  std::vector<float> anchors;
  bool apply_softmax = false;
};

struct Metadata {
  Task task = Task::kGeneric;
  std::vector<InputContract> inputs;
  std::vector<std::string> labels;
  PostProcess postprocess;
  std::string producer;
  std::string producer_version;
  std::string description;
  // Provenance.
  std::string source_file;
  std::string source_sha256;
  std::string source_format;
  std::string created_utc;
  std::string calibrator;
  std::string calibration_data_sha256;
  std::string target;
  std::vector<std::pair<std::string, std::string>> extra;
};

struct ModelImpl;  // internal

class Model {
 public:
  Model() = default;

  // Maps `path` read-only. Errors: kNotFound, kIoError, kCorruptModel, kVersionMismatch.
  static Result<Model> load(const std::string& path);
  // Copies `size` bytes, so the caller's buffer may be freed after the call.
  static Result<Model> from_buffer(const void* data, size_t size);

  bool valid() const { return impl_ != nullptr; }
  uint32_t schema_version() const;
  const Metadata& metadata() const;

  // Graph inputs and outputs as stored in the file (dim 0 may be -1: dynamic batch).
  int num_inputs() const;
  int num_outputs() const;
  TensorInfo input(int i) const;
  TensorInfo output(int i) const;
  int num_nodes() const;
  int num_tensors() const;
  // Bytes of constant data (weights) in the data segment.
  uint64_t weights_bytes() const;

  // Internal: the verified representation, for the Engine and tools.
  const ModelImpl* impl() const { return impl_.get(); }

 private:
  explicit Model(std::shared_ptr<const ModelImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const ModelImpl> impl_;
  friend struct ModelLoader;
};

}  // namespace strix
