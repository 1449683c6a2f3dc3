// strix/vision.h — camera frames in, model input tensors out; scores in, labelled classes out.
//
//   strix::Result<strix::vision::Preprocessor> pre =
//       strix::vision::Preprocessor::create(model.metadata().inputs[0], engine->input(0));
//   strix::vision::Image frame = strix::vision::Image::packed(
//       strix::vision::PixelFormat::kNV12, 1920, 1080, pixels);   // or fill planes/strides
//   pre->run(frame, ctx.input(0).data);                            // one batch item
//   // or pre->run_batch(ctx, 0, &frame, 1): the whole batch; on a "cuda" Context the raw
//   // frame is uploaded and pre-processed on the GPU
//   ctx.run();
//   strix::Result<strix::vision::Classifier> cls =
//       strix::vision::Classifier::create(model.metadata(), engine->output(0), {});
//   strix::vision::Classification top[5];
//   int n = cls->run(ctx.output(0).data, top, 5);
//   for (int i = 0; i < n; ++i) std::printf("%s %.3f\n", cls->label(top[i].class_id),
//   top[i].score);
//
// Pre-processing follows the model's InputContract (strix/model.h): the frame (any of
// PixelFormat, any size, any row stride) is resized into the model's width x height by
// stretching, letterboxing (pad_value fills the borders) or centre cropping, with bilinear
// sampling at pixel centres (OpenCV INTER_LINEAR, align_corners = false); then the channels
// are put in the contract's colour order, normalized x = (p / 255 - mean) / std (unit_range)
// or x = (p - mean) / std, laid out NCHW or NHWC and stored as f32, f16, or i8/u8 through
// the input tensor's per-tensor quantization.
//
// YUV frames (NV12, I420) are converted to RGB at full resolution (chroma of the 2x2 block,
// no chroma interpolation) with the frame's matrix and range; a gray model reads the
// expanded luma plane directly. RGB frames feed a gray model through BT.601 luma weights.
//
// Both classes are immutable after create(): run() allocates nothing, validates only the
// frame it is given, and may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {
class Context;
}

namespace strix::vision {

// Frame layouts, named as GStreamer names them. "x" is an ignored padding byte.
enum class PixelFormat {
  kRGB,  // packed R, G, B
  kBGR,
  kRGBx,  // 4 bytes per pixel
  kBGRx,
  kRGBA,  // alpha is ignored
  kBGRA,
  kNV12,   // plane 0: Y; plane 1: interleaved U, V at half width and height
  kI420,   // plane 0: Y; plane 1: U; plane 2: V, both at half width and height
  kGray8,  // plane 0: luma
};

// "RGB", "BGR", ..., "GRAY8". "?" for an unknown value.
const char* pixel_format_name(PixelFormat format);
// Number of planes: 1 for packed and gray formats, 2 for NV12, 3 for I420.
int pixel_format_planes(PixelFormat format);

// YUV -> RGB conversion of NV12 and I420 frames.
enum class YuvMatrix { kBT601, kBT709 };

// A borrowed frame. Pixel (x, y) of plane p starts at planes[p] + y * strides[p] + x * bpp;
// chroma planes of NV12/I420 have (width + 1) / 2 x (height + 1) / 2 samples.
struct Image {
  PixelFormat format = PixelFormat::kRGB;
  int width = 0;
  int height = 0;
  const uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  int strides[3] = {0, 0, 0};  // bytes from one row to the next, >= the row's used bytes
  YuvMatrix matrix = YuvMatrix::kBT601;
  bool full_range = false;  // YUV only: false = Y in 16..235, U/V in 16..240

  // A tightly packed frame (rows without padding, planes back to back) starting at `data`.
  static Image packed(PixelFormat format, int width, int height, const uint8_t* data);
  // Bytes of a tightly packed frame.
  static size_t packed_size(PixelFormat format, int width, int height);
};

// Where the source lands in the model input: the source rectangle (src_*, in source
// pixels, fractional for centre crops) is scaled onto the destination rectangle (dst_*, in
// model-input pixels). Outside dst_* (letterbox borders) the input holds pad_value.
// To map a model-input point (u, v) back to the frame:
//   x = src_x + (u - dst_x) * src_w / dst_w,  y = src_y + (v - dst_y) * src_h / dst_h.
struct Mapping {
  double src_x = 0, src_y = 0, src_w = 0, src_h = 0;
  int dst_x = 0, dst_y = 0, dst_w = 0, dst_h = 0;
};

class Preprocessor {
  friend struct PreprocessorAccess;  // internal: device jobs (sdk/vision/preprocess_internal.h)

 public:
  Preprocessor() = default;

  // Checks the contract against the input tensor `input` (as the Engine compiled it):
  // rank 4, [N, C, H, W] or [N, H, W, C] per the contract's layout, C = 3 for RGB/BGR and
  // 1 for gray (a one-channel tensor is read as gray whatever the colour order), H and W equal to
  // the contract's height and width (0 in the contract takes the tensor's), mean/std of 0, 1 or C
  // values with std != 0, dtype f32, f16, or i8/u8 with a per-tensor quantization. Errors:
  // kInvalidArgument, kShapeMismatch, kUnsupported.
  static Result<Preprocessor> create(const InputContract& contract, const TensorInfo& input);

  // Writes one batch item (item_bytes() bytes) at `dst`. kInvalidArgument when the frame
  // is empty, a plane is null or a stride is too small; nothing is written then.
  Status run(const Image& image, void* dst) const;

  // Writes a batch into graph input `input_index` of `ctx`, which must be the input this
  // Preprocessor was created for (same shape, dtype and quantization): frames[k] becomes
  // batch item k for k < count, and items count..N-1 are set to zero bytes, so an
  // incomplete batch gives the same outputs on every device.
  //   - CPU Context (and a device Context whose input is also read from host memory, by a
  //     CPU-fallback node or as a graph output, or is read by no device node): run() into
  //     ctx.input(input_index).data, item by item; the next ctx.run() uses it as usual.
  //   - Device Context: the used bytes of each frame row are copied into page-locked
  //     staging memory of the Context (allocated on first use and when a batch needs more),
  //     uploaded on the Context's stream, and one kernel per frame writes the input's device
  //     copy in the device layout, with the CPU path's values (same formulas and float
  //     operations; bit-identical to run() on x86-64). ctx.input(input_index).data is NOT
  //     written, and the next ctx.run() -- only that one -- does not copy it to the device:
  //     host writes to it in between are ignored. Later runs copy it again as usual.
  //     Returns once the work is enqueued (it first waits for the Context's earlier device
  //     work); errors of the device work itself show in ctx.last_error() after ctx.run().
  // The frames may be reused as soon as run_batch returns. Uses the Context, so only from
  // the thread that runs it. Errors (nothing written): kInvalidArgument when input_index is
  // out of range or names an input of another shape or type, frames is null, count is
  // not in 1..N, a frame is invalid (as run(), naming frame k), or the input reads caller
  // device memory (Context::set_device_input); device errors of the upload or launch.
  Status run_batch(Context& ctx, int input_index, const Image* frames, int count) const;

  // The geometry run() uses for a width x height frame.
  Mapping mapping(int width, int height) const;

  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  DType dtype() const { return dtype_; }
  size_t item_bytes() const;
  const InputContract& contract() const { return contract_; }

 private:
  InputContract contract_;
  int width_ = 0, height_ = 0, channels_ = 0;
  DType dtype_ = DType::kF32;
  float scale_[3] = {1, 1, 1};  // x = p * scale_[c] + bias_[c], p in 0..255
  float bias_[3] = {0, 0, 0};
  float q_scale_ = 1;  // quantized dtypes
  int32_t q_zero_point_ = 0;
};

// One class of a classification.
struct Classification {
  int class_id = -1;
  float score = 0;  // probability when softmax applies, else the raw (dequantized) output
};

struct ClassifierOptions {
  int top_k = 0;                    // 0: the model's postprocess.top_k (5 when that is 0 too)
  float threshold = 0;              // results with score < threshold are dropped
  int softmax = -1;                 // -1: the model's postprocess.apply_softmax; 0: no; 1: yes
  std::vector<std::string> labels;  // overrides the model's labels when not empty
};

class Classifier {
 public:
  Classifier() = default;

  // `output` is the scores tensor as the Engine compiled it: [C] or [N, C] (or any shape
  // whose last dimension holds the classes), f32, f16, or i8/u8 with per-tensor
  // quantization. Errors: kInvalidArgument (top_k < 0, threshold is NaN), kUnsupported.
  static Result<Classifier> create(const Metadata& metadata, const TensorInfo& output,
                                   const ClassifierOptions& options);

  // Fills out[0..n) with the best min(top_k, capacity) classes of the first batch item,
  // best first (ties: lower class id first), and returns n. Allocates nothing.
  int run(const void* scores, Classification* out, int capacity) const;

  // The class name, or "" when the labels do not name `class_id`.
  const char* label(int class_id) const;
  int num_classes() const { return num_classes_; }
  int top_k() const { return top_k_; }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  float score_at(const void* scores, int i) const;

  int num_classes_ = 0;
  int top_k_ = 5;
  float threshold_ = 0;
  bool softmax_ = false;
  DType dtype_ = DType::kF32;
  float q_scale_ = 1;
  int32_t q_zero_point_ = 0;
  std::vector<std::string> labels_;
};

}  // namespace strix::vision
