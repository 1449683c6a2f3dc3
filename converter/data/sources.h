// converter/data/sources.h — internal to converter/data: what the idx:, folder: and npy:
// datasets share (the target an item must become, file reading, hashing, label checks) and
// the factory of each kind. Users include dataset.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "converter/data/dataset.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"
#include "strix/vision.h"

namespace strix::data::internal {

// What every item becomes: model input 0 without its batch dim, as f32.
struct Target {
  Shape item_shape;      // the input's dims after the batch dim
  int64_t elements = 0;  // floats per item
  std::string input_name;
  // Images are pre-processed by `pre`, made from the model's input contract and an f32
  // TensorInfo of batch 1. Without a usable contract, `no_contract` says why.
  bool has_contract = false;
  vision::Preprocessor pre;
  std::string no_contract;
  std::vector<std::string> labels;  // the model's labels; may be empty
};

// Pre-processes one decoded image into `out` (resized to target.elements). `what` names the
// item in errors ("idx images '/d/x.idx': item 3").
Status preprocess_image(const Target& target, const vision::Image& image, const std::string& what,
                        std::vector<float>* out);

// kInvalidArgument naming `what` (spec part and item) when the target has labels and `label`
// is not an index into them, or when it is negative.
Status check_label(const Target& target, int64_t label, const std::string& what);

// The whole file. `what` names the spec part in errors ("idx images"): kNotFound for a
// missing file, kIoError otherwise.
Status read_whole_file(const std::string& path, const std::string& what,
                       std::vector<uint8_t>* bytes);

// Incremental SHA-256 (OpenSSL EVP), lower-case hex.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex();  // finishes; call once

 private:
  void* ctx_;  // EVP_MD_CTX
};

// `args` is the spec after "kind:", split at commas.
Result<std::unique_ptr<Dataset>> open_idx(const std::string& spec,
                                          const std::vector<std::string>& args,
                                          const Target& target);
Result<std::unique_ptr<Dataset>> open_folder(const std::string& spec,
                                             const std::vector<std::string>& args,
                                             const Target& target);
Result<std::unique_ptr<Dataset>> open_npy(const std::string& spec,
                                          const std::vector<std::string>& args,
                                          const Target& target);

}  // namespace strix::data::internal
