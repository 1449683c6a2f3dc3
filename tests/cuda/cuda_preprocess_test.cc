// Device pre-processing (kernels/cuda/preprocess.cu through Device::preprocess, and
// vision::Preprocessor::run_batch on a CUDA Context) against the CPU path
// (Preprocessor::run) on random frames with padded strides at odd sizes.
//
// Bounds: the device evaluates the CPU path's formulas in the same order without fused
// multiply-adds, so the values are expected to be identical on x86-64; the tests allow
// f32: 1e-5 absolute, f16: 1 unit in the last place, i8/u8: 1 LSB, and print how many
// elements were not bit-identical.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/device.h"
#include "sdk/vision/preprocess_internal.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/vision/preprocess_batch_util.h"

namespace strix::vision::testing {
namespace {

// Largest difference of `got` from `want` in the bound's unit (f32: absolute; f16: units in
// the last place; i8/u8: LSB) and the number of elements that differ at all.
struct Diff {
  double max = 0;
  size_t differ = 0;
};

Diff diff(DType t, const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  Diff d;
  EXPECT_EQ(got.size(), want.size());
  const size_t es = dtype_size(t), n = std::min(got.size(), want.size()) / es;
  for (size_t i = 0; i < n; ++i) {
    double e = 0;
    if (t == DType::kF32) {
      float a, b;
      std::memcpy(&a, &got[4 * i], 4);
      std::memcpy(&b, &want[4 * i], 4);
      e = std::isfinite(a) ? std::fabs(static_cast<double>(a) - b) : 1e30;
    } else if (t == DType::kF16) {
      uint16_t a, b;
      std::memcpy(&a, &got[2 * i], 2);
      std::memcpy(&b, &want[2 * i], 2);
      // Same sign: ulps apart; else the difference of the magnitudes in ulps.
      const int ma = a & 0x7fff, mb = b & 0x7fff;
      e = (a >> 15) == (b >> 15) ? std::abs(ma - mb) : ma + mb;
    } else if (t == DType::kI8) {
      e = std::abs(static_cast<int>(static_cast<int8_t>(got[i])) - static_cast<int8_t>(want[i]));
    } else {
      e = std::abs(static_cast<int>(got[i]) - want[i]);
    }
    d.max = std::max(d.max, e);
    if (std::memcmp(&got[es * i], &want[es * i], es) != 0) ++d.differ;
  }
  return d;
}

double bound(DType t) { return t == DType::kF32 ? 1e-5 : 1; }

// [N, D1, D2, D3] -> [N, D2, D3, D1] (the device's channels-last form), elements of es bytes.
std::vector<uint8_t> to_channels_last(const std::vector<uint8_t>& x, int64_t n, int64_t d1,
                                      int64_t d2, int64_t d3, size_t es) {
  std::vector<uint8_t> y(x.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t i = 0; i < d1; ++i)
      for (int64_t j = 0; j < d2; ++j)
        for (int64_t k = 0; k < d3; ++k)
          std::memcpy(&y[(((a * d2 + j) * d3 + k) * d1 + i) * es],
                      &x[(((a * d1 + i) * d2 + j) * d3 + k) * es], es);
  return y;
}

TensorInfo tensor(int batch, int c, int h, int w, bool nchw, DType dtype) {
  TensorInfo t;
  t.name = "image";
  t.dtype = dtype;
  t.shape = nchw ? Shape({batch, c, h, w}) : Shape({batch, h, w, c});
  if (dtype == DType::kI8 || dtype == DType::kU8) {
    t.quantization.scales = {dtype == DType::kI8 ? 0.021f : 0.017f};
    t.quantization.zero_points = {dtype == DType::kI8 ? -3 : 120};
  }
  return t;
}

const PixelFormat kFormats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBx,
                                PixelFormat::kBGRx, PixelFormat::kRGBA, PixelFormat::kBGRA,
                                PixelFormat::kNV12, PixelFormat::kI420, PixelFormat::kGray8};
const ResizeKind kResizes[] = {ResizeKind::kStretch, ResizeKind::kLetterbox,
                               ResizeKind::kCenterCrop};
const DType kDtypes[] = {DType::kF32, DType::kF16, DType::kI8, DType::kU8};

// The kernel alone: Device::preprocess with frames uploaded with their padded strides, for
// every format x layout x device layout x dtype x resize, gray and colour models, BT.601 /
// 709, limited / full range; 2 frames into a batch of 3 (the third item must become zero).
TEST(CudaPreprocess, KernelMatchesCpuForEveryFormatLayoutAndDtype) {
  STRIX_REQUIRE_GPU();
  auto backend = kernels::make_cuda_backend(0);
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  const kernels::Device* dev = backend.value()->device();
  dev->activate();
  Result<void*> stream = dev->create_stream();
  ASSERT_TRUE(stream.ok()) << stream.status().to_string();
  const int sizes[][2] = {{641, 357}, {97, 61}, {13, 9}, {300, 301}, {2, 1}};
  const int batch = 3, h = 37, w = 29;
  size_t cases = 0, not_identical = 0, elements = 0;
  double worst[4] = {0, 0, 0, 0};
  int seed = 11;
  for (int channels : {3, 1}) {
    for (bool nchw : {true, false}) {
      for (bool cl : {false, true}) {
        for (DType dt : kDtypes) {
          for (ResizeKind rk : kResizes) {
            for (int fi = 0; fi < 9; ++fi) {
              ++seed;
              const PixelFormat f = kFormats[fi], f2 = kFormats[(fi + 4) % 9];
              const bool full = seed % 2 == 0;
              const YuvMatrix mx = (seed / 2) % 2 ? YuvMatrix::kBT709 : YuvMatrix::kBT601;
              const int* s1 = sizes[seed % 5];
              const int* s2 = sizes[(seed + 2) % 5];
              SCOPED_TRACE(
                  std::string(pixel_format_name(f)) + "+" + pixel_format_name(f2) + " " +
                  std::to_string(s1[0]) + "x" + std::to_string(s1[1]) + " " + dtype_name(dt) +
                  (nchw ? " NCHW" : " NHWC") + (cl ? " channels-last" : "") + " C" +
                  std::to_string(channels) + " resize " + std::to_string(static_cast<int>(rk)) +
                  (full ? " full" : " limited") + (mx == YuvMatrix::kBT709 ? " 709" : " 601"));
              InputContract contract =
                  make_contract(channels == 1 ? ColorOrder::kGray
                                              : (seed % 3 ? ColorOrder::kRGB : ColorOrder::kBGR),
                                nchw ? Layout::kNCHW : Layout::kNHWC, rk);
              contract.unit_range = seed % 5 != 0;
              Result<Preprocessor> pre =
                  Preprocessor::create(contract, tensor(batch, channels, h, w, nchw, dt));
              ASSERT_TRUE(pre.ok()) << pre.status().to_string();
              Frame frames[2];
              fill_frame(&frames[0], f, s1[0], s1[1], seed, 3 + seed % 7, mx, full);
              fill_frame(&frames[1], f2, s2[0], s2[1], seed + 1000, 1 + seed % 5, mx, !full);
              // CPU: items 0, 1, zero item 2, in the model layout.
              const size_t item = pre->item_bytes(), es = dtype_size(dt);
              std::vector<uint8_t> want(item * batch, 0);
              for (int k = 0; k < 2; ++k)
                ASSERT_TRUE(pre->run(frames[k].image, want.data() + k * item).ok());
              if (cl)
                want = to_channels_last(want, batch, nchw ? channels : h, nchw ? h : w,
                                        nchw ? w : channels, es);
              // Device: frames as they are (padded strides), output poisoned.
              Image on_dev[2];
              std::vector<void*> buffers;
              for (int k = 0; k < 2; ++k) {
                Result<void*> m = dev->allocate(frames[k].bytes.size());
                ASSERT_TRUE(m.ok());
                buffers.push_back(m.value());
                ASSERT_TRUE(
                    dev->upload(m.value(), frames[k].bytes.data(), frames[k].bytes.size()).ok());
                on_dev[k] = frames[k].image;
                for (int p = 0; p < 3; ++p)
                  if (frames[k].image.planes[p])
                    on_dev[k].planes[p] = static_cast<const uint8_t*>(m.value()) +
                                          (frames[k].image.planes[p] - frames[k].bytes.data());
              }
              Result<void*> out = dev->allocate(want.size());
              ASSERT_TRUE(out.ok());
              buffers.push_back(out.value());
              std::vector<uint8_t> poison(want.size(), 0xA5);
              ASSERT_TRUE(dev->upload(out.value(), poison.data(), poison.size()).ok());
              kernels::PreprocessFrame descriptors[2];
              const kernels::PreprocessJob job = PreprocessorAccess::job(
                  pre.value(), on_dev, 2, batch, out.value(), cl, descriptors);
              ASSERT_TRUE(dev->preprocess(job, stream.value()).ok());
              std::vector<uint8_t> got(want.size());
              dev->copy_async(got.data(), out.value(), got.size(), kernels::CopyKind::kDeviceToHost,
                              stream.value());
              Status st = dev->synchronize(stream.value());
              for (void* b : buffers) dev->release(b);
              ASSERT_TRUE(st.ok()) << st.to_string();
              const Diff d = diff(dt, got, want);
              ASSERT_LE(d.max, bound(dt));
              for (size_t i = 2 * item; i < got.size(); ++i)
                ASSERT_EQ(got[i], 0) << "item 2 (past count) byte " << i - 2 * item;
              const int ti = dt == DType::kF32   ? 0
                             : dt == DType::kF16 ? 1
                             : dt == DType::kI8  ? 2
                                                 : 3;
              worst[ti] = std::max(worst[ti], d.max);
              not_identical += d.differ;
              elements += got.size() / es;
              ++cases;
            }
          }
        }
      }
    }
  }
  dev->destroy_stream(stream.value());
  std::printf(
      "%zu cases, %zu elements, %zu not bit-identical; worst: f32 %.3g abs, f16 %g ulp, i8 %g, "
      "u8 %g LSB\n",
      cases, elements, not_identical, worst[0], worst[1], worst[2], worst[3]);
}

std::vector<uint8_t> output_bytes(const Context& ctx) {
  const TensorView v = ctx.output(0);
  const auto* b = static_cast<const uint8_t*>(v.data);
  return std::vector<uint8_t>(b, b + v.byte_size());
}

// run() per item, zero items past `count`.
std::vector<uint8_t> expected(const Preprocessor& p, const Image* frames, int count, int batch) {
  std::vector<uint8_t> out(p.item_bytes() * batch, 0);
  for (int k = 0; k < count; ++k)
    EXPECT_TRUE(p.run(frames[k], out.data() + k * p.item_bytes()).ok());
  return out;
}

// run_batch on a CUDA Context, read back through y = x + 0: three different frames, then
// two (the third item becomes zero), then a plain host write (the copy happens again), with
// the CUDA graph replayed across all of them.
void check_context(DType dt, bool nchw, ResizeKind rk) {
  SCOPED_TRACE(std::string(dtype_name(dt)) + (nchw ? " NCHW" : " NHWC") + " resize " +
               std::to_string(static_cast<int>(rk)));
  const int batch = 3, h = 224 - 7, w = 224 + 5;
  auto s = open(image_model(batch, 3, h, w, nchw, dt), "cuda");
  ASSERT_TRUE(s);
  if (dt == DType::kF32 || dt == DType::kF16) {
    EXPECT_EQ(s->engine->report().num_fallbacks, 0);
  }
  Result<Preprocessor> pre = Preprocessor::create(
      make_contract(ColorOrder::kRGB, nchw ? Layout::kNCHW : Layout::kNHWC, rk),
      s->engine->input(0));
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  Frame frames[4];
  fill_frame(&frames[0], PixelFormat::kNV12, 641, 357, 21, 64, YuvMatrix::kBT709, false);
  fill_frame(&frames[1], PixelFormat::kI420, 1281, 721, 22, 3, YuvMatrix::kBT601, true);
  fill_frame(&frames[2], PixelFormat::kBGRx, 333, 222, 23, 12);
  fill_frame(&frames[3], PixelFormat::kRGB, 100, 640, 24, 1);
  const Image images[4] = {frames[0].image, frames[1].image, frames[2].image, frames[3].image};

  const bool quantized = dt == DType::kI8 || dt == DType::kU8;
  const TensorInfo& info = s->engine->input(0);
  auto requantize = [&](const std::vector<uint8_t>& f32) {
    std::vector<uint8_t> q(f32.size() / 4);
    const float scale = info.quantization.scales[0];
    const int zp = static_cast<int>(info.quantization.zero_points[0]);
    for (size_t i = 0; i < q.size(); ++i) {
      float v;
      std::memcpy(&v, &f32[4 * i], 4);
      const long r = std::lround(v / scale) + zp;
      q[i] = static_cast<uint8_t>(dt == DType::kI8 ? static_cast<int8_t>(r) : r);
    }
    return q;
  };
  auto check = [&](const std::vector<uint8_t>& want, const char* what) {
    s->ctx.run();
    ASSERT_TRUE(s->ctx.last_error().ok()) << s->ctx.last_error().to_string();
    // f32/f16: the output y = x + 0; i8: y = Dequantize(x) in f32, quantized back here.
    const Diff d =
        diff(dt, quantized ? requantize(output_bytes(s->ctx)) : output_bytes(s->ctx), want);
    EXPECT_LE(d.max, bound(dt)) << what;
    std::printf("%s %s: %zu of %zu elements not bit-identical, max %g\n", dtype_name(dt), what,
                d.differ, want.size() / dtype_size(dt), d.max);
  };
  // Poison the host staging: a device run must not read it.
  std::memset(s->ctx.input(0).data, 0x7F, s->ctx.input(0).byte_size());
  Status st = pre->run_batch(s->ctx, 0, images, 3);
  ASSERT_TRUE(st.ok()) << st.to_string();
  // The device path leaves the host input alone (and run() must not copy it over).
  const auto* staged = static_cast<const uint8_t*>(s->ctx.input(0).data);
  EXPECT_TRUE(std::all_of(staged, staged + s->ctx.input(0).byte_size(), [](uint8_t b) {
    return b == 0x7F;
  })) << "run_batch wrote the host input: the device path was not taken";
  check(expected(pre.value(), images, 3, batch), "3 frames");
  st = pre->run_batch(s->ctx, 0, images + 1, 3);
  ASSERT_TRUE(st.ok()) << st.to_string();
  check(expected(pre.value(), images + 1, 3, batch), "3 other frames");
  st = pre->run_batch(s->ctx, 0, images + 2, 2);
  ASSERT_TRUE(st.ok()) << st.to_string();
  check(expected(pre.value(), images + 2, 2, batch), "2 frames + zero item");
  // No run_batch: run() copies the host input again.
  const std::vector<uint8_t> host = expected(pre.value(), images, 1, batch);
  std::memcpy(s->ctx.input(0).data, host.data(), host.size());
  check(host, "host write after device runs");
  st = pre->run_batch(s->ctx, 0, images + 3, 1);
  ASSERT_TRUE(st.ok()) << st.to_string();
  check(expected(pre.value(), images + 3, 1, batch), "1 frame");
}

TEST(CudaPreprocess, RunBatchOnCudaContextMatchesCpu) {
  STRIX_REQUIRE_GPU();
  check_context(DType::kF32, true, ResizeKind::kLetterbox);  // device NCHW
  check_context(DType::kF32, false, ResizeKind::kCenterCrop);
  check_context(DType::kF16, true, ResizeKind::kStretch);     // device channels-last
  check_context(DType::kF16, false, ResizeKind::kLetterbox);  // NHWC model, permuted on device
  check_context(DType::kI8, true, ResizeKind::kLetterbox);    // device channels-last (INT8)
  check_context(DType::kI8, false, ResizeKind::kCenterCrop);
}

TEST(CudaPreprocess, HostReadersAndCallerDeviceMemory) {
  STRIX_REQUIRE_GPU();
  // The image input feeds a CPU-fallback node (BatchNormalization) and a CUDA Add: run_batch
  // writes the host input (the device copy comes from it), and both outputs are right.
  writer::ModelBuilder b;
  const int x = b.add_input("image", DType::kF32, {2, 3, 31, 33});
  const int zero = b.add_constant_f32("zero", {1}, {0.f});
  const int sc = b.add_constant_f32("s", {3}, {1, 1, 1}),
            sh = b.add_constant_f32("sh", {3}, {0, 0, 0});
  const int mu = b.add_constant_f32("mu", {3}, {0, 0, 0}),
            var = b.add_constant_f32("v", {3}, {1, 1, 1});
  const int y = b.add_tensor("y", DType::kF32, {2, 3, 31, 33});
  const int bn = b.add_tensor("bn", DType::kF32, {2, 3, 31, 33});
  b.add_node("add", fb::OpType::Add, {x, zero}, {y});
  auto bo = fb::CreateBatchNormOptions(b.fbb(), 0.f);
  b.add_node("bn", fb::OpType::BatchNormalization, {x, sc, sh, mu, var}, {bn},
             fb::OpOptions::BatchNormOptions, bo.Union());
  b.mark_output(y);
  b.mark_output(bn);
  auto s = open(b.finish(), "cuda");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->engine->report().num_fallbacks, 1);
  Result<Preprocessor> pre = Preprocessor::create(
      make_contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kLetterbox), s->engine->input(0));
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  Frame frames[2];
  fill_frame(&frames[0], PixelFormat::kNV12, 641, 357, 31);
  fill_frame(&frames[1], PixelFormat::kRGBA, 64, 48, 32);
  const Image images[2] = {frames[0].image, frames[1].image};
  ASSERT_TRUE(pre->run_batch(s->ctx, 0, images, 2).ok());
  const std::vector<uint8_t> want = expected(pre.value(), images, 2, 2);
  const TensorView in = s->ctx.input(0);
  ASSERT_EQ(std::memcmp(in.data, want.data(), want.size()), 0) << "the host input was not written";
  s->ctx.run();
  ASSERT_TRUE(s->ctx.last_error().ok());
  EXPECT_LE(diff(DType::kF32, output_bytes(s->ctx), want).max, 1e-5);

  // Caller device memory (set_device_input) for an input only the device reads: refused.
  auto t = open(image_model(1, 3, 16, 16, true, DType::kF32), "cuda");
  ASSERT_TRUE(t);
  void* mem = nullptr;
  ASSERT_EQ(cudaMalloc(&mem, t->ctx.input(0).byte_size()), cudaSuccess);
  ASSERT_TRUE(t->ctx.set_device_input(0, mem).ok());
  Result<Preprocessor> p16 = Preprocessor::create(
      make_contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch), t->engine->input(0));
  ASSERT_TRUE(p16.ok());
  Status st = p16->run_batch(t->ctx, 0, images, 1);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_NE(st.message().find("set_device_input"), std::string::npos) << st.message();
  ASSERT_TRUE(t->ctx.set_device_input(0, nullptr).ok());
  st = p16->run_batch(t->ctx, 0, images, 1);
  EXPECT_TRUE(st.ok()) << st.to_string();
  t->ctx.run();
  EXPECT_TRUE(t->ctx.last_error().ok());
  EXPECT_LE(diff(DType::kF32, output_bytes(t->ctx), expected(p16.value(), images, 1, 1)).max, 1e-5);
  cudaFree(mem);

  // Bad frames on a device Context: kInvalidArgument, nothing enqueued.
  Image bad[1] = {frames[0].image};
  bad[0].strides[1] = 3;
  st = p16->run_batch(t->ctx, 0, bad, 1);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_NE(st.message().find("frame 0: NV12 frame 641x357: plane 1 stride 3"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace strix::vision::testing
