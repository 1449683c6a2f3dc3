// Model accessors over the verified ModelImpl.
#include "sdk/src/model_impl.h"
#include "strix/version.h"

namespace strix {

const char* version_string() { return "0.1.0"; }

const char* task_name(Task task) {
  switch (task) {
    case Task::kGeneric: return "generic";
    case Task::kClassify: return "classify";
    case Task::kDetect: return "detect";
    case Task::kDenoise: return "denoise";
    case Task::kSegment: return "segment";
  }
  return "?";
}

uint32_t Model::schema_version() const { return impl_->fb->schema_version(); }
const Metadata& Model::metadata() const { return impl_->metadata; }
int Model::num_inputs() const { return static_cast<int>(impl_->graph->inputs()->size()); }
int Model::num_outputs() const { return static_cast<int>(impl_->graph->outputs()->size()); }
TensorInfo Model::input(int i) const { return impl_->tensors[impl_->graph->inputs()->Get(i)]; }
TensorInfo Model::output(int i) const { return impl_->tensors[impl_->graph->outputs()->Get(i)]; }
int Model::num_nodes() const { return static_cast<int>(impl_->graph->nodes()->size()); }
int Model::num_tensors() const { return impl_->num_tensors(); }
uint64_t Model::weights_bytes() const { return impl_->weights_bytes; }

}  // namespace strix
