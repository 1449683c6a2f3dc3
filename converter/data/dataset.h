// converter/data/dataset.h — labelled input samples for calibration, evaluation and
// comparison, read from a data spec and pre-processed by the model's input contract.
//
//   Result<std::unique_ptr<data::Dataset>> d =
//       data::open_dataset("idx:/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz,"
//                          "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
//                          model, engine->input(0));
//   data::Sample s;
//   STRIX_RETURN_IF_ERROR(d.value()->read(0, &s));   // s.input: C*H*W floats, s.label
//
// Specs:
//   idx:IMAGES[,LABELS]   IDX files (gzipped or not): images u8 [N, H, W] or [N, H, W, C]
//                         (C = 1 or 3, RGB), labels u8 [N].
//   folder:DIR            DIR/<class>/*.png|*.jpg|*.jpeg; classes sorted by name give the
//                         label index, unless the model has labels: then a folder must be
//                         named as one of them and takes its index.
//   npy:FILE[,LABELS]     f32 [N, C, H, W] (already pre-processed, used as is) or u8
//                         [N, H, W] / [N, H, W, C] (images, pre-processed); labels: an
//                         integer .npy of shape [N].
// Images are pre-processed exactly as strix::vision::Preprocessor does for the model's input
// contract (the same code: resize, colour order, mean/std), so calibration and evaluation see
// what the device sees.
//
// Errors name the spec part and the item (file path or index) that is wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::data {

// One batch item of model input 0, f32, laid out as the input tensor without its batch dim.
struct Sample {
  std::vector<float> input;
  int label = -1;  // -1 when the spec has no labels
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual bool has_labels() const = 0;
  // Fills `sample` with item `index` (0 <= index < size()), pre-processed.
  virtual Status read(int64_t index, Sample* sample) const = 0;
  // The spec it was opened from.
  virtual const std::string& spec() const = 0;
  // sha256 (hex) over the data the items come from: the bytes of every file read (for a
  // folder: each file's path relative to DIR and its bytes, in sorted order). Calibration
  // tables record it; the same data gives the same fingerprint wherever it lives.
  virtual std::string fingerprint() const = 0;
};

// Opens `spec` for input `input` (the compiled f32 input 0 of an Engine of `model`; its
// input contract, if any, is model.metadata().inputs[0]). Images need a contract; f32 npy
// data must match the input's shape without the batch dim.
Result<std::unique_ptr<Dataset>> open_dataset(const std::string& spec, const Model& model,
                                              const TensorInfo& input);

}  // namespace strix::data
