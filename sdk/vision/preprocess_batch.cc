// Preprocessor::run_batch: a batch of frames into a Context's input, on the CPU or, for a
// device Context, uploaded raw and pre-processed by the device (kernels/preprocess_job.h).
#include <cstring>
#include <vector>

#include "sdk/src/context_access.h"
#include "sdk/vision/preprocess_internal.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/vision.h"

namespace strix::vision {

namespace {

constexpr size_t kPlaneAlignment = 64;
size_t align_up(size_t n) { return (n + kPlaneAlignment - 1) / kPlaneAlignment * kPlaneAlignment; }

// Bytes of frame `im` staged without row padding, each plane 64-byte aligned.
size_t staged_bytes(const Image& im) {
  size_t total = 0;
  for (int p = 0; p < pixel_format_planes(im.format); ++p)
    total += align_up(static_cast<size_t>(internal::plane_row_bytes(im.format, im.width, p)) *
                      internal::plane_rows(im.format, im.height, p));
  return total;
}

kernels::PreStore store_of(DType t) {
  switch (t) {
    case DType::kF16: return kernels::PreStore::kF16;
    case DType::kI8: return kernels::PreStore::kI8;
    case DType::kU8: return kernels::PreStore::kU8;
    default: return kernels::PreStore::kF32;
  }
}

}  // namespace

kernels::PreprocessJob PreprocessorAccess::job(const Preprocessor& p, const Image* frames,
                                               int count, int batch, void* dst, bool channels_last,
                                               kernels::PreprocessFrame* out) {
  kernels::PreprocessJob j;
  j.width = p.width_;
  j.height = p.height_;
  j.channels = p.channels_;
  const bool bgr = p.contract_.color == ColorOrder::kBGR;  // as run()
  j.order[0] = bgr ? 2 : 0;
  j.order[1] = 1;
  j.order[2] = bgr ? 0 : 2;
  for (int c = 0; c < 3; ++c) {
    j.scale[c] = p.scale_[c];
    j.bias[c] = p.bias_[c];
  }
  j.pad = p.contract_.pad_value;
  j.store = store_of(p.dtype_);
  j.q_scale = p.q_scale_;
  j.q_zero_point = p.q_zero_point_;
  // The item's logical dims [D1, D2, D3] and their element strides in memory.
  const bool nchw = p.contract_.layout == Layout::kNCHW;
  const int64_t d1 = nchw ? p.channels_ : p.height_, d2 = nchw ? p.height_ : p.width_,
                d3 = nchw ? p.width_ : p.channels_;
  const int64_t s1 = channels_last ? 1 : d2 * d3, s2 = channels_last ? d3 * d1 : d3,
                s3 = channels_last ? d1 : 1;
  j.c_stride = nchw ? s1 : s3;
  j.y_stride = nchw ? s2 : s1;
  j.x_stride = nchw ? s3 : s2;
  j.item_elems = d1 * d2 * d3;
  j.dst = dst;
  for (int k = 0; k < count; ++k)
    out[k] = internal::device_frame(frames[k], p.mapping(frames[k].width, frames[k].height));
  j.frames = out;
  j.count = count;
  j.batch = batch;
  return j;
}

Status Preprocessor::run_batch(Context& ctx, int input_index, const Image* frames,
                               int count) const {
  if (channels_ == 0)
    return make_status(StatusCode::kInvalidArgument, "Preprocessor used before create()");
  const Engine& engine = ctx.engine();
  if (input_index < 0 || input_index >= engine.num_inputs())
    return make_status(StatusCode::kInvalidArgument,
                       "run_batch: input index %d is out of range (the model has %d)", input_index,
                       engine.num_inputs());
  const TensorInfo& info = engine.input(input_index);
  const Shape& s = info.shape;
  const bool nchw = contract_.layout == Layout::kNCHW;
  const bool same_shape = s.rank() == 4 && s[0] >= 1 && s[nchw ? 1 : 3] == channels_ &&
                          s[nchw ? 2 : 1] == height_ && s[nchw ? 3 : 2] == width_;
  const bool same_quant =
      (dtype_ != DType::kI8 && dtype_ != DType::kU8) ||
      (info.quantization.scales.size() == 1 && info.quantization.scales[0] == q_scale_ &&
       (info.quantization.zero_points.empty() ? q_zero_point_ == 0
                                              : info.quantization.zero_points[0] == q_zero_point_));
  if (!same_shape || info.dtype != dtype_ || !same_quant)
    return make_status(StatusCode::kInvalidArgument,
                       "run_batch: input %d '%s' is %s %s, not the image input of this "
                       "Preprocessor (%dx%dx%d %s %s%s)",
                       input_index, info.name.c_str(), s.to_string().c_str(),
                       dtype_name(info.dtype), channels_, height_, width_, nchw ? "NCHW" : "NHWC",
                       dtype_name(dtype_), same_quant ? "" : ", other quantization");
  const int batch = static_cast<int>(s[0]);
  if (frames == nullptr)
    return make_status(StatusCode::kInvalidArgument, "run_batch: frames is null");
  if (count < 1 || count > batch)
    return make_status(StatusCode::kInvalidArgument,
                       "run_batch: %d frames for input '%s' of batch %d (1..%d)", count,
                       info.name.c_str(), batch, batch);
  size_t staged = 0;
  for (int k = 0; k < count; ++k) {
    Status st = internal::check_frame(frames[k]);
    if (!st.ok()) return make_status(st.code(), "run_batch: frame %d: %s", k, st.message().c_str());
    staged += staged_bytes(frames[k]);
  }
  const size_t item = item_bytes();

  DeviceInputTarget target = ContextAccess::device_input(ctx, input_index);
  if (target.caller_memory)
    return make_status(StatusCode::kInvalidArgument,
                       "run_batch: input %d '%s' reads caller device memory "
                       "(Context::set_device_input); call set_device_input(%d, nullptr) first",
                       input_index, info.name.c_str(), input_index);
  if (target.device == nullptr) {  // host memory: the CPU path, item by item
    auto* dst = static_cast<uint8_t*>(ctx.input(input_index).data);
    for (int k = 0; k < count; ++k) STRIX_RETURN_IF_ERROR(run(frames[k], dst + k * item));
    std::memset(dst + count * item, 0, (batch - count) * item);
    return Status();
  }

  uint8_t *host = nullptr, *device = nullptr;
  STRIX_RETURN_IF_ERROR(ContextAccess::frame_buffers(ctx, staged, &host, &device));
  std::vector<Image> on_device(frames, frames + count);  // planes: device staging copies
  size_t offset = 0;
  for (int k = 0; k < count; ++k) {
    const Image& im = frames[k];
    for (int p = 0; p < pixel_format_planes(im.format); ++p) {
      const size_t row = static_cast<size_t>(internal::plane_row_bytes(im.format, im.width, p));
      const int rows = internal::plane_rows(im.format, im.height, p);
      if (static_cast<size_t>(im.strides[p]) == row) {  // no row padding: one copy
        std::memcpy(host + offset, im.planes[p], row * rows);
      } else {
        for (int r = 0; r < rows; ++r)
          std::memcpy(host + offset + r * row,
                      im.planes[p] + static_cast<size_t>(r) * im.strides[p], row);
      }
      // Each plane goes up as soon as it is staged: its upload overlaps the next copy.
      target.device->copy_async(device + offset, host + offset, row * rows,
                                kernels::CopyKind::kHostToDevice, target.stream);
      on_device[k].planes[p] = device + offset;
      on_device[k].strides[p] = static_cast<int>(row);
      offset += align_up(row * rows);
    }
  }
  std::vector<kernels::PreprocessFrame> descriptors(count);
  const kernels::PreprocessJob job = PreprocessorAccess::job(
      *this, on_device.data(), count, batch, target.data, target.channels_last, descriptors.data());
  STRIX_RETURN_IF_ERROR(target.device->preprocess(job, target.stream));
  return ContextAccess::mark_written_on_device(ctx, input_index);
}

}  // namespace strix::vision
