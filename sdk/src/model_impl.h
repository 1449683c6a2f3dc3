// sdk/src/model_impl.h — the verified in-memory form of a .strix file (internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strix/model.h"
#include "strix_generated.h"

namespace strix {

// Read-only bytes of a model: an mmap of a file or an aligned heap copy.
class ModelBytes {
 public:
  virtual ~ModelBytes() = default;
  virtual const uint8_t* data() const = 0;
  virtual size_t size() const = 0;
};

struct ModelImpl {
  std::unique_ptr<ModelBytes> bytes;
  const fb::Model* fb = nullptr;     // verified root
  const fb::Graph* graph = nullptr;  // non-null after verification
  const uint8_t* data_segment = nullptr;
  size_t data_segment_size = 0;
  std::vector<TensorInfo> tensors;  // decoded, index = tensor index
  // Constant data of each tensor (null when computed at run time).
  std::vector<const void*> constants;
  Metadata metadata;
  uint64_t weights_bytes = 0;
  std::string origin;  // path or "<buffer>", for messages

  int num_tensors() const { return static_cast<int>(tensors.size()); }
};

// "node 12 'conv1' (Conv2D)"
std::string node_label(const fb::Node* node, int index);
// "tensor 3 'conv1.weight'"
std::string tensor_label(const ModelImpl& m, int index);

// Implemented in model_loader.cc.
Result<std::shared_ptr<const ModelImpl>> load_model(std::unique_ptr<ModelBytes> bytes,
                                                    const std::string& origin);

}  // namespace strix
