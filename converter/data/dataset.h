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
//                         named as one of them ('/' in a label matched as '_', e.g.
//                         "T-shirt_top") and takes its index. Images directly in DIR (no
//                         class folders) make an unlabelled set, e.g. for calibration.
//                         Items: by class folder name, then file name (byte order).
//   npy:FILE[,LABELS]     f32 (or f16) [N, <input dims>], e.g. [N, C, H, W]: already
//                         pre-processed, used as is; or u8 [N, H, W] / [N, H, W, C] with
//                         C = 1, 3 or 4 (images, pre-processed; alpha ignored); labels: an
//                         integer .npy (any width, int64 included) of shape [N] or [N, 1].
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
  // Fills `sample` with item `index` (0 <= index < size()), pre-processed. Thread-safe
  // (read() changes no state), so items may be read in parallel.
  virtual Status read(int64_t index, Sample* sample) const = 0;
  // The label of item `index` without reading it (-1 when the set has no labels).
  // Precondition: 0 <= index < size().
  virtual int label(int64_t index) const = 0;
  // The spec it was opened from.
  virtual const std::string& spec() const = 0;
  // sha256 (hex) over the data the items come from: the bytes of every file read, as
  // stored (gzip included), in spec order: for idx and npy the files' bytes back to back
  // (`cat IMAGES LABELS | sha256sum`); for a folder, per item in item order, its path
  // relative to DIR ('/'-separated), a NUL byte, then its bytes. Calibration tables record
  // it; the same data gives the same fingerprint wherever it lives. Computed by
  // open_dataset(), which reads every file once.
  virtual std::string fingerprint() const = 0;
};

// Opens `spec` for input `input` (input 0 of `model`, as stored or as an Engine compiled it:
// its batch dim and dtype do not matter; every other dim must be static). Its input
// contract, if any, is the model's InputContract with input_index 0. Images need a
// contract; f32 npy data must match the input's shape without the batch dim. Labels are
// checked against the model's labels when it has some. Errors: kInvalidArgument (bad spec,
// bad file content, label out of range, no images), kNotFound (missing file or folder),
// kShapeMismatch (item or label count does not fit), kUnsupported (an element type),
// kIoError.
Result<std::unique_ptr<Dataset>> open_dataset(const std::string& spec, const Model& model,
                                              const TensorInfo& input);

}  // namespace strix::data
