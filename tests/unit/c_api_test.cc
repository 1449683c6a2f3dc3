// The C API (strix/strix.h): argument checking, error reporting, and a run whose numbers are
// computed by hand.
#include "strix/strix.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "converter/writer/model_builder.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

// y = relu(a + b), a and b [N, 3] f32 with a dynamic batch.
std::vector<uint8_t> add_relu_model() {
  writer::ModelBuilder b;
  int a = b.add_input("a", DType::kF32, {-1, 3});
  int bb = b.add_input("b", DType::kF32, {-1, 3});
  int s = b.add_tensor("s", DType::kF32, {-1, 3});
  int y = b.add_tensor("y", DType::kF32, {-1, 3});
  auto& f = b.fbb();
  auto add_opts = fb::CreateBinaryOptions(f);
  b.add_node("add", fb::OpType::Add, {a, bb}, {s}, fb::OpOptions::BinaryOptions, add_opts.Union());
  auto relu_opts = fb::CreateUnaryOptions(f);
  b.add_node("relu", fb::OpType::Relu, {s}, {y}, fb::OpOptions::UnaryOptions, relu_opts.Union());
  b.mark_output(y);
  return b.finish();
}

bool error_mentions(const char* what) {
  return std::string(strix_last_error()).find(what) != std::string::npos;
}

TEST(CApiTest, NullArgumentsAreRejected) {
  strix_model* model = nullptr;
  strix_engine* engine = nullptr;
  strix_context* ctx = nullptr;
  int n = 0;
  size_t bytes = 0;
  void* data = nullptr;
  const void* cdata = nullptr;
  strix_tensor_info info;
  EXPECT_EQ(strix_model_load(nullptr, &model), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("path is NULL")) << strix_last_error();
  EXPECT_EQ(strix_model_load("x.strix", nullptr), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("out_model is NULL"));
  EXPECT_EQ(strix_model_load_buffer(nullptr, 10, &model), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_model_load_buffer("abc", 3, nullptr), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_options_init(nullptr), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_create(nullptr, nullptr, &engine), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("strix_engine_create: model is NULL")) << strix_last_error();
  EXPECT_EQ(strix_engine_num_inputs(nullptr, &n), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_num_outputs(nullptr, &n), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_input_info(nullptr, 0, &info), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_output_info(nullptr, 0, &info), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_find_input(nullptr, "a", &n), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_find_output(nullptr, "a", &n), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_engine_arena_bytes(nullptr, &bytes), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_context_create(nullptr, &ctx), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_context_input_data(nullptr, 0, &data, &bytes), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_context_output_data(nullptr, 0, &cdata, &bytes), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_context_set_input(nullptr, 0, "x", 1), STRIX_INVALID_ARGUMENT);
  EXPECT_EQ(strix_context_run(nullptr), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("strix_context_run: context is NULL"));
  // Freeing NULL is a no-op, as with free().
  EXPECT_EQ(strix_model_free(nullptr), STRIX_OK);
  EXPECT_EQ(strix_engine_free(nullptr), STRIX_OK);
  EXPECT_EQ(strix_context_free(nullptr), STRIX_OK);
  // Out-parameters are untouched on failure.
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(engine, nullptr);
  EXPECT_EQ(ctx, nullptr);
}

TEST(CApiTest, MissingFileIsNotFoundWithMessage) {
  strix_model* model = nullptr;
  EXPECT_EQ(strix_model_load("/nonexistent/dir/net.strix", &model), STRIX_NOT_FOUND);
  EXPECT_EQ(model, nullptr);
  EXPECT_TRUE(error_mentions("/nonexistent/dir/net.strix")) << strix_last_error();
  EXPECT_TRUE(error_mentions("not_found")) << strix_last_error();
}

TEST(CApiTest, CorruptBufferIsCorruptModel) {
  std::vector<int8_t> junk = testing::random_i8(4096, 3);
  strix_model* model = nullptr;
  EXPECT_EQ(strix_model_load_buffer(junk.data(), junk.size(), &model), STRIX_CORRUPT_MODEL);
  EXPECT_EQ(model, nullptr);
  EXPECT_STRNE(strix_last_error(), "");
  // A valid file cut short.
  std::vector<uint8_t> file = add_relu_model();
  EXPECT_EQ(strix_model_load_buffer(file.data(), file.size() / 2, &model), STRIX_CORRUPT_MODEL);
  EXPECT_EQ(strix_model_load_buffer(file.data(), 0, &model), STRIX_CORRUPT_MODEL);
}

TEST(CApiTest, RunsAModelAndReportsShapes) {
  std::vector<uint8_t> file = add_relu_model();
  strix_model* model = nullptr;
  ASSERT_EQ(strix_model_load_buffer(file.data(), file.size(), &model), STRIX_OK)
      << strix_last_error();
  file.assign(file.size(), 0);  // the model holds its own copy

  strix_engine_options options;
  ASSERT_EQ(strix_engine_options_init(&options), STRIX_OK);
  EXPECT_STREQ(options.device, "cpu");
  options.batch = 2;
  strix_engine* engine = nullptr;
  ASSERT_EQ(strix_engine_create(model, &options, &engine), STRIX_OK) << strix_last_error();
  ASSERT_EQ(strix_model_free(model), STRIX_OK);  // the engine keeps the model alive

  int n_in = 0, n_out = 0;
  ASSERT_EQ(strix_engine_num_inputs(engine, &n_in), STRIX_OK);
  ASSERT_EQ(strix_engine_num_outputs(engine, &n_out), STRIX_OK);
  EXPECT_EQ(n_in, 2);
  EXPECT_EQ(n_out, 1);
  strix_tensor_info info;
  ASSERT_EQ(strix_engine_input_info(engine, 1, &info), STRIX_OK);
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, STRIX_F32);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], 2);  // batch applied
  EXPECT_EQ(info.dims[1], 3);
  EXPECT_EQ(info.byte_size, 24u);
  ASSERT_EQ(strix_engine_output_info(engine, 0, &info), STRIX_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dims[0], 2);
  EXPECT_EQ(strix_engine_input_info(engine, 2, &info), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("index 2 is out of range [0, 2)")) << strix_last_error();
  EXPECT_EQ(strix_engine_output_info(engine, -1, &info), STRIX_INVALID_ARGUMENT);

  int index = -1;
  ASSERT_EQ(strix_engine_find_input(engine, "b", &index), STRIX_OK);
  EXPECT_EQ(index, 1);
  ASSERT_EQ(strix_engine_find_output(engine, "y", &index), STRIX_OK);
  EXPECT_EQ(index, 0);
  EXPECT_EQ(strix_engine_find_input(engine, "zz", &index), STRIX_NOT_FOUND);
  EXPECT_TRUE(error_mentions("'zz'"));
  size_t arena = 0;
  ASSERT_EQ(strix_engine_arena_bytes(engine, &arena), STRIX_OK);
  EXPECT_GE(arena, 24u);

  strix_context* ctx = nullptr;
  ASSERT_EQ(strix_context_create(engine, &ctx), STRIX_OK) << strix_last_error();
  ASSERT_EQ(strix_engine_free(engine), STRIX_OK);  // the context keeps the engine alive

  const float a[6] = {1.0f, -2.0f, 3.5f, 0.0f, -0.25f, 10.0f};
  EXPECT_EQ(strix_context_set_input(ctx, 0, a, 20), STRIX_SHAPE_MISMATCH);
  EXPECT_STRNE(strix_last_error(), "");
  EXPECT_EQ(strix_context_set_input(ctx, 5, a, 24), STRIX_INVALID_ARGUMENT);
  ASSERT_EQ(strix_context_set_input(ctx, 0, a, sizeof(a)), STRIX_OK) << strix_last_error();
  void* b_data = nullptr;
  size_t b_bytes = 0;
  ASSERT_EQ(strix_context_input_data(ctx, 1, &b_data, &b_bytes), STRIX_OK);
  ASSERT_EQ(b_bytes, 24u);
  const float b[6] = {0.5f, 1.0f, -4.0f, -1.0f, 0.5f, -10.5f};
  std::memcpy(b_data, b, sizeof(b));
  EXPECT_EQ(strix_context_input_data(ctx, 2, &b_data, nullptr), STRIX_INVALID_ARGUMENT);

  ASSERT_EQ(strix_context_run(ctx), STRIX_OK);
  const void* y_data = nullptr;
  size_t y_bytes = 0;
  ASSERT_EQ(strix_context_output_data(ctx, 0, &y_data, &y_bytes), STRIX_OK);
  ASSERT_EQ(y_bytes, 24u);
  // relu(a + b): 1.5, -1 -> 0, -0.5 -> 0, -1 -> 0, 0.25, -0.5 -> 0.
  const float expected[6] = {1.5f, 0.0f, 0.0f, 0.0f, 0.25f, 0.0f};
  const float* y = static_cast<const float*>(y_data);
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], expected[i]) << i;

  // A second run with new inputs overwrites the outputs.
  const float a2[6] = {2, 2, 2, 2, 2, 2};
  ASSERT_EQ(strix_context_set_input(ctx, 0, a2, sizeof(a2)), STRIX_OK);
  ASSERT_EQ(strix_context_run(ctx), STRIX_OK);
  const float expected2[6] = {2.5f, 3.0f, 0.0f, 1.0f, 2.5f, 0.0f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], expected2[i]) << i;
  EXPECT_EQ(strix_context_free(ctx), STRIX_OK);
}

TEST(CApiTest, NullOptionsMeanDefaults) {
  std::vector<uint8_t> file = add_relu_model();
  strix_model* model = nullptr;
  ASSERT_EQ(strix_model_load_buffer(file.data(), file.size(), &model), STRIX_OK);
  strix_engine* engine = nullptr;
  ASSERT_EQ(strix_engine_create(model, nullptr, &engine), STRIX_OK) << strix_last_error();
  strix_tensor_info info;
  ASSERT_EQ(strix_engine_input_info(engine, 0, &info), STRIX_OK);
  EXPECT_EQ(info.dims[0], 1);  // a dynamic batch becomes 1
  strix_engine_free(engine);

  strix_engine_options options;
  strix_engine_options_init(&options);
  options.batch = -1;
  engine = nullptr;
  EXPECT_EQ(strix_engine_create(model, &options, &engine), STRIX_INVALID_ARGUMENT);
  EXPECT_TRUE(error_mentions("batch -1")) << strix_last_error();
  EXPECT_EQ(engine, nullptr);
  options.batch = 0;
  options.device = "no-such-device";
  EXPECT_NE(strix_engine_create(model, &options, &engine), STRIX_OK);
  EXPECT_EQ(engine, nullptr);
  strix_model_free(model);
}

TEST(CApiTest, LastErrorIsThreadLocal) {
  strix_model* model = nullptr;
  EXPECT_EQ(strix_model_load("/nonexistent/main-thread.strix", &model), STRIX_NOT_FOUND);
  std::string other;
  std::thread t([&other] {
    other = strix_last_error();  // nothing failed on this thread yet
    strix_model* m = nullptr;
    strix_model_load("/nonexistent/other-thread.strix", &m);
  });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_TRUE(error_mentions("main-thread.strix")) << strix_last_error();
}

TEST(CApiTest, VersionAndStatusNames) {
  EXPECT_STRNE(strix_version(), "");
  EXPECT_STREQ(strix_status_name(STRIX_CORRUPT_MODEL), "corrupt_model");
  EXPECT_STREQ(strix_status_name(STRIX_OK), "ok");
  EXPECT_STREQ(strix_status_name(static_cast<strix_status>(99)), "unknown");
}

}  // namespace
}  // namespace strix
