// make_bench_models — writes ResNet-50, ResNet-18 and MobileNetV2 graphs (torchvision
// layouts, BatchNorm folded into the convolutions: conv + bias + ReLU/ReLU6, residual Adds,
// pooling, FC) with random weights, for benchmarks where real weights need not travel:
//
//   make_bench_models OUT_DIR [--f16]
//
// writes OUT_DIR/{resnet50,resnet18,mobilenet_v2}[_f16].strix with a dynamic batch (-1), input
// "input" [N,3,224,224], output "logits" [N,1000]. Weights are uniform in
// +-sqrt(1/fan_in) (seed fixed), biases in +-0.01, so activations stay finite in f16.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"

namespace {

namespace fb = strix::fb;
using strix::DType;

class Net {
 public:
  explicit Net(DType dt) : dt_(dt), rng_(1234) {}

  struct T {
    int id;
    int64_t c, h, w;
  };

  T input(int64_t c, int64_t h, int64_t w) {
    return T{b_.add_input("input", dt_, {-1, c, h, w}), c, h, w};
  }

  // Conv2D + bias with a fused activation (None, Relu or Clip(0, 6)).
  T conv(const T& x, int64_t m, int k, int stride, int pad, int group, fb::ActivationKind act) {
    const int64_t fan_in = (x.c / group) * k * k;
    int w = weights({m, x.c / group, k, k}, std::sqrt(1.0f / fan_in));
    int bias = weights({m}, 0.01f);
    int64_t oh = (x.h + 2 * pad - k) / stride + 1, ow = (x.w + 2 * pad - k) / stride + 1;
    int y = b_.add_tensor(name("conv"), dt_, {-1, m, oh, ow});
    auto& f = b_.fbb();
    auto a = fb::CreateActivation(f, act, 0.f, act == fb::ActivationKind::Clip ? 6.f : 0.f);
    auto o = fb::CreateConv2DOptions(
        f, f.CreateVector<int32_t>({k, k}), f.CreateVector<int32_t>({stride, stride}),
        f.CreateVector<int32_t>({1, 1}), f.CreateVector<int32_t>({pad, pad, pad, pad}),
        fb::PaddingMode::Explicit, group, a);
    b_.add_node(name("conv_node"), fb::OpType::Conv2D, {x.id, w, bias}, {y},
                fb::OpOptions::Conv2DOptions, o.Union());
    return T{y, m, oh, ow};
  }

  T add(const T& a, const T& c, bool relu) {
    int y = b_.add_tensor(name("add"), dt_, {-1, a.c, a.h, a.w});
    auto& f = b_.fbb();
    auto act = fb::CreateActivation(f, relu ? fb::ActivationKind::Relu : fb::ActivationKind::None);
    auto o = fb::CreateBinaryOptions(f, act);
    b_.add_node(name("add_node"), fb::OpType::Add, {a.id, c.id}, {y}, fb::OpOptions::BinaryOptions,
                o.Union());
    return T{y, a.c, a.h, a.w};
  }

  T max_pool(const T& x, int k, int s, int p) {
    int64_t oh = (x.h + 2 * p - k) / s + 1, ow = (x.w + 2 * p - k) / s + 1;
    int y = b_.add_tensor(name("pool"), dt_, {-1, x.c, oh, ow});
    auto& f = b_.fbb();
    auto o =
        fb::CreatePool2DOptions(f, f.CreateVector<int32_t>({k, k}), f.CreateVector<int32_t>({s, s}),
                                0, f.CreateVector<int32_t>({p, p, p, p}));
    b_.add_node(name("pool_node"), fb::OpType::MaxPool, {x.id}, {y}, fb::OpOptions::Pool2DOptions,
                o.Union());
    return T{y, x.c, oh, ow};
  }

  // GlobalAveragePool -> Flatten -> FC (trans_b) -> "logits".
  void head(const T& x, int64_t classes) {
    int gap = b_.add_tensor("gap", dt_, {-1, x.c, 1, 1});
    b_.add_node("gap", fb::OpType::GlobalAveragePool, {x.id}, {gap});
    int flat = b_.add_tensor("flat", dt_, {-1, x.c});
    auto& f = b_.fbb();
    auto fo = fb::CreateFlattenOptions(f, 1);
    b_.add_node("flatten", fb::OpType::Flatten, {gap}, {flat}, fb::OpOptions::FlattenOptions,
                fo.Union());
    int w = weights({classes, x.c}, std::sqrt(1.0f / x.c));
    int bias = weights({classes}, 0.01f);
    int y = b_.add_tensor("logits", dt_, {-1, classes});
    auto o = fb::CreateFullyConnectedOptions(f, 1.f, 1.f, false, true);
    b_.add_node("fc", fb::OpType::FullyConnected, {flat, w, bias}, {y},
                fb::OpOptions::FullyConnectedOptions, o.Union());
    b_.mark_output(y);
  }

  strix::Status write(const std::string& path, const std::string& description) {
    b_.metadata().description = description;
    b_.metadata().producer = "make_bench_models (random weights)";
    return b_.write(path);
  }

 private:
  int weights(const std::vector<int64_t>& shape, float scale) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng_);
    if (dt_ == DType::kF32) return b_.add_constant_f32(name("w"), shape, v);
    std::vector<uint16_t> h(n);
    for (size_t i = 0; i < n; ++i) h[i] = strix::float_to_half(v[i]);
    return b_.add_constant(name("w"), DType::kF16, shape, h.data(), h.size() * 2);
  }
  std::string name(const char* what) { return std::string(what) + "_" + std::to_string(next_++); }

  DType dt_;
  std::mt19937 rng_;
  strix::writer::ModelBuilder b_;
  int next_ = 0;
};

using A = fb::ActivationKind;

strix::Status resnet(const std::string& path, DType dt, bool bottleneck, const int (&blocks)[4]) {
  Net n(dt);
  Net::T x = n.input(3, 224, 224);
  x = n.conv(x, 64, 7, 2, 3, 1, A::Relu);
  x = n.max_pool(x, 3, 2, 1);
  const int64_t widths[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int i = 0; i < blocks[stage]; ++i) {
      int stride = (i == 0 && stage > 0) ? 2 : 1;
      int64_t w = widths[stage], out = bottleneck ? 4 * w : w;
      Net::T shortcut = x;
      if (stride != 1 || x.c != out) shortcut = n.conv(x, out, 1, stride, 0, 1, A::None);
      Net::T y;
      if (bottleneck) {
        y = n.conv(x, w, 1, 1, 0, 1, A::Relu);
        y = n.conv(y, w, 3, stride, 1, 1, A::Relu);
        y = n.conv(y, out, 1, 1, 0, 1, A::None);
      } else {
        y = n.conv(x, w, 3, stride, 1, 1, A::Relu);
        y = n.conv(y, w, 3, 1, 1, 1, A::None);
      }
      x = n.add(y, shortcut, true);
    }
  }
  n.head(x, 1000);
  return n.write(path, bottleneck ? "ResNet-50 (BN folded, random weights)"
                                  : "ResNet-18 (BN folded, random weights)");
}

strix::Status mobilenet_v2(const std::string& path, DType dt) {
  Net n(dt);
  Net::T x = n.input(3, 224, 224);
  x = n.conv(x, 32, 3, 2, 1, 1, A::Clip);
  const int settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  for (const auto& s : settings) {
    for (int i = 0; i < s[2]; ++i) {
      int stride = i == 0 ? s[3] : 1;
      int64_t hidden = x.c * s[0];
      Net::T y = x;
      if (s[0] != 1) y = n.conv(y, hidden, 1, 1, 0, 1, A::Clip);
      y = n.conv(y, hidden, 3, stride, 1, static_cast<int>(hidden), A::Clip);
      y = n.conv(y, s[1], 1, 1, 0, 1, A::None);
      x = (stride == 1 && x.c == s[1]) ? n.add(y, x, false) : y;
    }
  }
  x = n.conv(x, 1280, 1, 1, 0, 1, A::Clip);
  n.head(x, 1000);
  return n.write(path, "MobileNetV2 (BN folded, random weights)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_bench_models OUT_DIR [--f16]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const bool half = argc > 2 && std::strcmp(argv[2], "--f16") == 0;
  const DType dt = half ? DType::kF16 : DType::kF32;
  const std::string suffix = half ? "_f16.strix" : ".strix";
  const int r50[4] = {3, 4, 6, 3}, r18[4] = {2, 2, 2, 2};
  strix::Status s = resnet(dir + "/resnet50" + suffix, dt, true, r50);
  if (s.ok()) s = resnet(dir + "/resnet18" + suffix, dt, false, r18);
  if (s.ok()) s = mobilenet_v2(dir + "/mobilenet_v2" + suffix, dt);
  if (!s.ok()) {
    std::fprintf(stderr, "make_bench_models: %s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}
