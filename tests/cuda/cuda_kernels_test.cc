// Every CUDA kernel against the CPU reference backend on fresh random data (a new seed each
// run, printed on failure), at odd shapes, f32 and f16. Bounds (relative L2, CUDA vs CPU):
//   f32 conv / FC (cuDNN FMA math, cuBLAS without TF32):      1e-5
//   f32 elementwise, pooling, softmax (same formulas, expf):   1e-6 (2e-6 for transcendental)
//   f16 (f16 storage both sides; f32 accumulation; the CPU rounds once per op too): 4e-3
//   data movement (concat, views):                             exactly 0
#include <cmath>
#include <string>
#include <vector>

#include "tests/cuda/cuda_test_util.h"

namespace strix::testing {
namespace {

namespace fb = strix::fb;
using writer::ModelBuilder;

constexpr double kF32Conv = 1e-5, kF32 = 1e-6, kF32Transcendental = 2e-6, kF16 = 4e-3;

std::vector<float> weights(size_t n, uint32_t seed, float scale = 0.5f) {
  return random_floats(n, seed, -scale, scale);
}

// Adds a constant of `dtype` (f16 values rounded).
int add_const(ModelBuilder& b, const std::string& name, DType dtype,
              const std::vector<int64_t>& shape, const std::vector<float>& v) {
  if (dtype == DType::kF32) return b.add_constant_f32(name, shape, v);
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  return b.add_constant(name, DType::kF16, shape, h.data(), h.size() * 2);
}

size_t count(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(d);
  return n;
}

struct ConvCase {
  std::vector<int64_t> x;  // N, C, H, W
  int64_t m, k, stride, pad, dilation, group;
  bool bias;
  fb::ActivationKind act;
  float alpha = 0, beta = 0;
};

std::vector<uint8_t> conv_model(const ConvCase& c, DType dt, uint32_t seed) {
  ModelBuilder b;
  int x = b.add_input("x", dt, c.x);
  std::vector<int64_t> ws = {c.m, c.x[1] / c.group, c.k, c.k};
  int w = add_const(b, "w", dt, ws, weights(count(ws), seed, 0.3f));
  int bias = c.bias ? add_const(b, "b", dt, {c.m}, weights(c.m, seed + 1)) : -1;
  auto out = [&](int64_t in) {
    return (in + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride + 1;
  };
  int y = b.add_tensor("y", dt, {c.x[0], c.m, out(c.x[2]), out(c.x[3])});
  auto& f = b.fbb();
  auto act = fb::CreateActivation(f, c.act, c.alpha, c.beta);
  auto o = fb::CreateConv2DOptions(
      f, f.CreateVector<int32_t>({int(c.k), int(c.k)}),
      f.CreateVector<int32_t>({int(c.stride), int(c.stride)}),
      f.CreateVector<int32_t>({int(c.dilation), int(c.dilation)}),
      f.CreateVector<int32_t>({int(c.pad), int(c.pad), int(c.pad), int(c.pad)}),
      fb::PaddingMode::Explicit, int(c.group), act);
  std::vector<int> ins = {x, w};
  if (c.bias) ins.push_back(bias);
  b.add_node("conv", fb::OpType::Conv2D, ins, {y}, fb::OpOptions::Conv2DOptions, o.Union());
  b.mark_output(y);
  return b.finish();
}

class CudaKernels : public ::testing::Test {
 protected:
  void SetUp() override { STRIX_REQUIRE_GPU(); }
  uint32_t seed_ = fresh_seed();
};

void expect_on_gpu(const Comparison& c) {
  EXPECT_EQ(c.num_fallbacks, 0) << "a node fell back to the CPU";
}

TEST_F(CudaKernels, Conv2D) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  const ConvCase cases[] = {
      {{2, 5, 13, 11}, 7, 3, 1, 1, 1, 1, true, fb::ActivationKind::Relu},   // fused bias+relu
      {{1, 3, 17, 19}, 4, 5, 2, 2, 1, 1, false, fb::ActivationKind::None},  // stride 2, no bias
      {{2, 8, 9, 9}, 8, 3, 1, 1, 1, 8, true, fb::ActivationKind::Clip, 0.f, 6.f},  // depthwise
      {{1, 6, 15, 13}, 9, 3, 1, 2, 2, 3, true, fb::ActivationKind::SiLU},  // dilated, grouped
      {{3, 16, 7, 7}, 32, 1, 1, 0, 1, 1, true, fb::ActivationKind::None},  // 1x1
      {{1, 3, 31, 29}, 8, 7, 2, 3, 1, 1, true, fb::ActivationKind::Relu},  // ResNet stem
      {{2, 24, 10, 9}, 16, 1, 1, 0, 1, 1, false, fb::ActivationKind::Clip, 0.f, 6.f},  // 1x1
      {{1, 7, 12, 10}, 7, 3, 2, 1, 1, 7, true, fb::ActivationKind::Relu},  // depthwise, odd C, s2
      {{2, 32, 14, 13}, 32, 5, 1, 4, 2, 32, false, fb::ActivationKind::None},  // dw 5x5 dil 2
  };
  for (DType dt : {DType::kF32, DType::kF16}) {
    for (const ConvCase& c : cases) {
      auto file = conv_model(c, dt, seed_);
      Comparison r = compare_cpu_cuda(file, {random_tensor(dt, {c.x}, seed_ + 7)});
      ASSERT_EQ(r.rel_l2.size(), 1u);
      EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32Conv : kF16)
          << dtype_name(dt) << " conv k" << c.k << " group " << c.group << " kernel "
          << r.cuda_kernels[0];
      expect_on_gpu(r);
      for (const std::string& kernel : r.cuda_kernels)
        if (kernel.find("conv") != std::string::npos)
          std::printf("conv %s k%lld group %lld: %s\n", dtype_name(dt), (long long)c.k,
                      (long long)c.group, kernel.c_str());
    }
  }
}

// r = relu(x') where x' = 1x1 conv of x (so r is computed before the conv under test);
// y = act(conv3x3(x) + bias + r), or with `share` the conv output is also a graph output
// (then it must not be fused). Add's fused activation is `act`.
std::vector<uint8_t> residual_model(DType dt, fb::ActivationKind act, bool bias, bool share,
                                    uint32_t seed) {
  ModelBuilder b;
  const int64_t n = 2, c = 16, h = 9, w = 11, m = 16;
  int x = b.add_input("x", dt, {n, c, h, w});
  auto& f = b.fbb();
  auto conv_options = [&](int k, fb::ActivationKind a) {
    int p = k / 2;
    return fb::CreateConv2DOptions(f, f.CreateVector<int32_t>({k, k}),
                                   f.CreateVector<int32_t>({1, 1}), f.CreateVector<int32_t>({1, 1}),
                                   f.CreateVector<int32_t>({p, p, p, p}), fb::PaddingMode::Explicit,
                                   1, fb::CreateActivation(f, a))
        .Union();
  };
  int w1 = add_const(b, "w1", dt, {m, c, 1, 1}, weights(m * c, seed, 0.3f));
  int r = b.add_tensor("r", dt, {n, m, h, w});
  b.add_node("shortcut", fb::OpType::Conv2D, {x, w1}, {r}, fb::OpOptions::Conv2DOptions,
             conv_options(1, fb::ActivationKind::Relu));
  int w3 = add_const(b, "w3", dt, {m, c, 3, 3}, weights(m * c * 9, seed + 1, 0.3f));
  std::vector<int> ins = {x, w3};
  if (bias) ins.push_back(add_const(b, "b3", dt, {m}, weights(m, seed + 2)));
  int t = b.add_tensor("t", dt, {n, m, h, w});
  b.add_node("conv", fb::OpType::Conv2D, ins, {t}, fb::OpOptions::Conv2DOptions,
             conv_options(3, fb::ActivationKind::None));
  int y = b.add_tensor("y", dt, {n, m, h, w});
  auto bo = fb::CreateBinaryOptions(f, fb::CreateActivation(f, act));
  b.add_node("add", fb::OpType::Add, {t, r}, {y}, fb::OpOptions::BinaryOptions, bo.Union());
  b.mark_output(y);
  if (share) b.mark_output(t);
  return b.finish();
}

TEST_F(CudaKernels, ConvResidualAddFusion) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  for (DType dt : {DType::kF32, DType::kF16}) {
    for (fb::ActivationKind act : {fb::ActivationKind::Relu, fb::ActivationKind::None}) {
      for (bool bias : {true, false}) {
        for (bool share : {false, true}) {
          auto file = residual_model(dt, act, bias, share, seed_);
          Comparison r = compare_cpu_cuda(file, {random_tensor(dt, {{2, 16, 9, 11}}, seed_ + 5)});
          ASSERT_GE(r.rel_l2.size(), 1u);
          for (double e : r.rel_l2)
            EXPECT_LE(e, dt == DType::kF32 ? kF32Conv : kF16)
                << dtype_name(dt) << " act " << int(act) << " bias " << bias << " share " << share;
          expect_on_gpu(r);
          // The report: shortcut, conv(+add), add; copies around them.
          std::string conv_kernel, add_kernel;
          for (size_t i = 0; i < r.cuda_kernels.size(); ++i) {
            if (r.cuda_kernels[i].find("conv") != std::string::npos &&
                r.cuda_kernels[i].find("fused") == std::string::npos)
              conv_kernel = r.cuda_kernels[i];
            if (r.cuda_kernels[i].rfind("fused into", 0) == 0) add_kernel = r.cuda_kernels[i];
          }
          std::printf("residual %s act %d bias %d share %d: %s | %s\n", dtype_name(dt), int(act),
                      bias, share, conv_kernel.c_str(), add_kernel.c_str());
          if (share) {
            EXPECT_TRUE(add_kernel.empty()) << "fused although t is a graph output";
          }
          // f16 always fuses (graph API); f32 needs cuDNN's legacy fused call (bias, ReLU or
          // identity with IMPLICIT_PRECOMP_GEMM), so it may stay separate.
          if (!share && dt == DType::kF16) {
            EXPECT_EQ(add_kernel, "fused into 'conv'");
          }
        }
      }
    }
  }
}

std::vector<uint8_t> fc_model(DType dt, int64_t m, int64_t k, int64_t n, bool trans_b,
                              std::vector<int64_t> c_shape, uint32_t seed) {
  ModelBuilder b;
  int a = b.add_input("a", dt, {m, k});
  std::vector<int64_t> bs = trans_b ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n};
  int w = add_const(b, "w", dt, bs, weights(count(bs), seed));
  int c = c_shape.empty() ? -1 : add_const(b, "c", dt, c_shape, weights(count(c_shape), seed + 1));
  int y = b.add_tensor("y", dt, {m, n});
  auto& f = b.fbb();
  auto act = fb::CreateActivation(f, fb::ActivationKind::Relu);
  auto o = fb::CreateFullyConnectedOptions(f, 0.75f, 1.5f, false, trans_b, act);
  std::vector<int> ins = {a, w};
  if (c >= 0) ins.push_back(c);
  b.add_node("fc", fb::OpType::FullyConnected, ins, {y}, fb::OpOptions::FullyConnectedOptions,
             o.Union());
  b.mark_output(y);
  return b.finish();
}

TEST_F(CudaKernels, FullyConnected) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  for (DType dt : {DType::kF32, DType::kF16}) {
    struct Case {
      int64_t m, k, n;
      bool tb;
      std::vector<int64_t> c;
    };
    for (const Case& c : {Case{3, 37, 11, true, {11}}, Case{13, 64, 5, false, {13, 5}},
                          Case{1, 127, 1000, true, {1, 1000}}, Case{7, 9, 4, false, {}}}) {
      auto file = fc_model(dt, c.m, c.k, c.n, c.tb, c.c, seed_);
      Comparison r = compare_cpu_cuda(file, {random_tensor(dt, {{c.m, c.k}}, seed_ + 3)});
      ASSERT_EQ(r.rel_l2.size(), 1u);
      EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32Conv : kF16)
          << c.m << "x" << c.k << "x" << c.n;
      expect_on_gpu(r);
    }
  }
}

TEST_F(CudaKernels, Unary) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  using O = fb::OpType;
  struct Case {
    O op;
    float alpha, beta;
    bool gelu_tanh;
  };
  const Case cases[] = {{O::Relu, 0, 0, false},
                        {O::Clip, -0.5f, 0.7f, false},
                        {O::LeakyRelu, 0.1f, 0, false},
                        {O::Elu, 0.9f, 0, false},
                        {O::Sigmoid, 0, 0, false},
                        {O::Tanh, 0, 0, false},
                        {O::HardSigmoid, 0.2f, 0.5f, false},
                        {O::HardSwish, 0, 0, false},
                        {O::SiLU, 0, 0, false},
                        {O::Gelu, 0, 0, false},
                        {O::Gelu, 0, 0, true},
                        {O::Mish, 0, 0, false},
                        {O::Softplus, 0, 0, false}};
  for (DType dt : {DType::kF32, DType::kF16}) {
    for (const Case& c : cases) {
      ModelBuilder b;
      int x = b.add_input("x", dt, {2, 3, 5, 7});
      int y = b.add_tensor("y", dt, {2, 3, 5, 7});
      auto& f = b.fbb();
      if (c.op == O::Gelu) {
        auto o = fb::CreateGeluOptions(f, c.gelu_tanh);
        b.add_node("u", c.op, {x}, {y}, fb::OpOptions::GeluOptions, o.Union());
      } else {
        auto o = fb::CreateUnaryOptions(f, c.alpha, c.beta);
        b.add_node("u", c.op, {x}, {y}, fb::OpOptions::UnaryOptions, o.Union());
      }
      b.mark_output(y);
      Comparison r =
          compare_cpu_cuda(b.finish(), {random_tensor(dt, {{2, 3, 5, 7}, -4.f, 4.f}, seed_)});
      ASSERT_EQ(r.rel_l2.size(), 1u);
      EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32Transcendental : kF16)
          << fb::EnumNameOpType(c.op);
      expect_on_gpu(r);
    }
  }
}

TEST_F(CudaKernels, BinaryBroadcasting) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  using O = fb::OpType;
  struct Shapes {
    std::vector<int64_t> a, b, y;
  };
  const Shapes shapes[] = {{{2, 3, 4, 5}, {3, 1, 5}, {2, 3, 4, 5}},
                           {{2, 3, 13, 11}, {2, 3, 13, 11}, {2, 3, 13, 11}},
                           {{4, 1, 7}, {1, 5, 1}, {4, 5, 7}},
                           {{1}, {3, 127}, {3, 127}}};
  for (DType dt : {DType::kF32, DType::kF16}) {
    for (O op : {O::Add, O::Sub, O::Mul, O::Div, O::Max, O::Min, O::Pow}) {
      for (const Shapes& s : shapes) {
        ModelBuilder b;
        int a = b.add_input("a", dt, s.a);
        int c = b.add_input("b", dt, s.b);
        int y = b.add_tensor("y", dt, s.y);
        auto& f = b.fbb();
        auto act = fb::CreateActivation(
            f, op == O::Add ? fb::ActivationKind::Relu : fb::ActivationKind::None);
        auto o = fb::CreateBinaryOptions(f, act);
        b.add_node("bin", op, {a, c}, {y}, fb::OpOptions::BinaryOptions, o.Union());
        b.mark_output(y);
        // Positive operands keep Pow and Div finite and well conditioned.
        float lo = (op == O::Pow || op == O::Div) ? 0.5f : -1.f;
        Comparison r = compare_cpu_cuda(b.finish(), {random_tensor(dt, {s.a, lo, 2.f}, seed_),
                                                     random_tensor(dt, {s.b, lo, 2.f}, seed_ + 1)});
        ASSERT_EQ(r.rel_l2.size(), 1u);
        EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32Transcendental : kF16)
            << fb::EnumNameOpType(op) << " " << s.a.size() << "-d";
        expect_on_gpu(r);
      }
    }
  }
}

TEST_F(CudaKernels, Pooling) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  using O = fb::OpType;
  struct Case {
    O op;
    int k, s, pad;
    bool ceil, include_pad;
  };
  const Case cases[] = {
      {O::MaxPool, 3, 2, 1, false, false},      {O::MaxPool, 2, 2, 0, true, false},
      {O::AveragePool, 3, 2, 1, false, false},  {O::AveragePool, 3, 2, 1, false, true},
      {O::AveragePool, 3, 2, 1, true, true},    {O::GlobalAveragePool, 0, 0, 0, false, false},
      {O::GlobalMaxPool, 0, 0, 0, false, false}};
  // 3 channels: the generic kernel; 16: the 8-channel vector path of f16 max pooling.
  for (int64_t ch : {3, 16})
    for (DType dt : {DType::kF32, DType::kF16}) {
      for (const Case& c : cases) {
        ModelBuilder b;
        int x = b.add_input("x", dt, {2, ch, 13, 15});
        // ONNX output size; with ceil_mode a window starting in the padding is dropped.
        auto out = [&](int64_t in) {
          int64_t span = in + 2 * c.pad - c.k;
          int64_t o = (c.ceil ? (span + c.s - 1) / c.s : span / c.s) + 1;
          if (c.ceil && (o - 1) * c.s >= in + c.pad) --o;
          return o;
        };
        const bool global = c.op == O::GlobalAveragePool || c.op == O::GlobalMaxPool;
        int y = b.add_tensor("y", dt, {2, ch, global ? 1 : out(13), global ? 1 : out(15)});
        if (global) {
          b.add_node("p", c.op, {x}, {y});
        } else {
          auto& f = b.fbb();
          auto o = fb::CreatePool2DOptions(f, f.CreateVector<int32_t>({c.k, c.k}),
                                           f.CreateVector<int32_t>({c.s, c.s}), 0,
                                           f.CreateVector<int32_t>({c.pad, c.pad, c.pad, c.pad}),
                                           fb::PaddingMode::Explicit, c.ceil, c.include_pad);
          b.add_node("p", c.op, {x}, {y}, fb::OpOptions::Pool2DOptions, o.Union());
        }
        b.mark_output(y);
        Comparison r = compare_cpu_cuda(b.finish(), {random_tensor(dt, {{2, ch, 13, 15}}, seed_)});
        ASSERT_EQ(r.rel_l2.size(), 1u);
        EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32 : kF16) << fb::EnumNameOpType(c.op);
        expect_on_gpu(r);
      }
    }
}

TEST_F(CudaKernels, Softmax) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  struct Case {
    std::vector<int64_t> shape;
    int axis;
    bool log;
  };
  for (DType dt : {DType::kF32, DType::kF16}) {
    for (const Case& c : {Case{{3, 7, 5}, 1, false}, Case{{4, 1000}, -1, false},
                          Case{{2, 13, 3}, 1, true}, Case{{1, 385}, -1, true}}) {
      ModelBuilder b;
      int x = b.add_input("x", dt, c.shape);
      int y = b.add_tensor("y", dt, c.shape);
      auto& f = b.fbb();
      auto o = fb::CreateSoftmaxOptions(f, c.axis);
      b.add_node("s", c.log ? fb::OpType::LogSoftmax : fb::OpType::Softmax, {x}, {y},
                 fb::OpOptions::SoftmaxOptions, o.Union());
      b.mark_output(y);
      Comparison r = compare_cpu_cuda(b.finish(), {random_tensor(dt, {c.shape, -5.f, 5.f}, seed_)});
      ASSERT_EQ(r.rel_l2.size(), 1u);
      EXPECT_LE(r.rel_l2[0], dt == DType::kF32 ? kF32Transcendental : kF16);
      expect_on_gpu(r);
    }
  }
}

TEST_F(CudaKernels, ConcatAndViews) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  for (DType dt : {DType::kF32, DType::kF16}) {
    ModelBuilder b;
    int a = b.add_input("a", dt, {2, 3, 4, 5});
    int c = b.add_input("c", dt, {2, 1, 4, 5});
    int w = add_const(b, "w", dt, {2, 6, 4, 5}, weights(240, seed_));
    int y = b.add_tensor("y", dt, {2, 10, 4, 5});
    int flat = b.add_tensor("flat", dt, {2, 200});
    auto& f = b.fbb();
    auto co = fb::CreateConcatOptions(f, 1);
    b.add_node("cat", fb::OpType::Concat, {a, c, w}, {y}, fb::OpOptions::ConcatOptions, co.Union());
    auto fo = fb::CreateFlattenOptions(f, 1);
    b.add_node("flat", fb::OpType::Flatten, {y}, {flat}, fb::OpOptions::FlattenOptions, fo.Union());
    b.mark_output(flat);
    Comparison r = compare_cpu_cuda(b.finish(), {random_tensor(dt, {{2, 3, 4, 5}}, seed_),
                                                 random_tensor(dt, {{2, 1, 4, 5}}, seed_ + 1)});
    ASSERT_EQ(r.rel_l2.size(), 1u);
    EXPECT_EQ(r.rel_l2[0], 0.0);
    expect_on_gpu(r);
  }
}

}  // namespace
}  // namespace strix::testing
