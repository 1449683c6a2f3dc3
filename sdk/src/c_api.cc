// The C API (strix/strix.h): thin handles over the C++ classes. Every entry point checks its
// arguments, converts a Status to strix_status and records the message for strix_last_error().
#include "strix/strix.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"
#include "strix/version.h"

struct strix_model {
  strix::Model model;
};

struct strix_engine {
  std::shared_ptr<strix::Engine> engine;
};

struct strix_context {
  strix::Context context;
};

namespace {

static_assert(static_cast<int>(strix::StatusCode::kInternal) == STRIX_INTERNAL,
              "strix_status must mirror strix::StatusCode");
static_assert(static_cast<int>(strix::DType::kI32) == STRIX_I32,
              "strix_dtype must mirror strix::DType");
static_assert(strix::Shape::kMaxRank == STRIX_MAX_RANK, "STRIX_MAX_RANK must equal kMaxRank");

thread_local std::string last_error;

strix_status fail(const strix::Status& status) {
  last_error = status.to_string();
  return static_cast<strix_status>(status.code());
}

strix_status fail(strix_status code, const char* function, const char* what) {
  last_error = std::string(strix_status_name(code)) + ": " + function + ": " + what;
  return code;
}

strix_status null_argument(const char* function, const char* argument) {
  return fail(STRIX_INVALID_ARGUMENT, function, (std::string(argument) + " is NULL").c_str());
}

strix_status bad_index(const char* function, int index, int count) {
  std::string what =
      "index " + std::to_string(index) + " is out of range [0, " + std::to_string(count) + ")";
  return fail(STRIX_INVALID_ARGUMENT, function, what.c_str());
}

void fill_info(const strix::TensorInfo& t, strix_tensor_info* out) {
  out->name = t.name.c_str();
  out->dtype = static_cast<strix_dtype>(t.dtype);
  out->rank = t.shape.rank();
  for (int i = 0; i < STRIX_MAX_RANK; ++i) out->dims[i] = i < t.shape.rank() ? t.shape[i] : 0;
  out->byte_size = t.byte_size();
}

strix_status tensor_info(const strix_engine* engine, int index, strix_tensor_info* out, bool input,
                         const char* function) {
  if (engine == nullptr) return null_argument(function, "engine");
  if (out == nullptr) return null_argument(function, "out_info");
  const strix::Engine& e = *engine->engine;
  int count = input ? e.num_inputs() : e.num_outputs();
  if (index < 0 || index >= count) return bad_index(function, index, count);
  fill_info(input ? e.input(index) : e.output(index), out);
  return STRIX_OK;
}

strix_status find_tensor(const strix_engine* engine, const char* name, int* out, bool input,
                         const char* function) {
  if (engine == nullptr) return null_argument(function, "engine");
  if (name == nullptr) return null_argument(function, "name");
  if (out == nullptr) return null_argument(function, "out_index");
  int index = input ? engine->engine->find_input(name) : engine->engine->find_output(name);
  if (index < 0) {
    std::string what = std::string("the model has no graph ") + (input ? "input" : "output") +
                       " named '" + name + "'";
    return fail(STRIX_NOT_FOUND, function, what.c_str());
  }
  *out = index;
  return STRIX_OK;
}

strix_status wrap_model(strix::Result<strix::Model> loaded, strix_model** out_model) {
  if (!loaded.ok()) return fail(loaded.status());
  strix_model* m = new (std::nothrow) strix_model;
  if (m == nullptr) return fail(STRIX_OUT_OF_MEMORY, "strix_model_load", "allocation failed");
  m->model = std::move(loaded).value();
  *out_model = m;
  return STRIX_OK;
}

}  // namespace

extern "C" {

const char* strix_version(void) { return strix::version_string(); }

const char* strix_last_error(void) { return last_error.c_str(); }

const char* strix_status_name(strix_status status) {
  if (status < STRIX_OK || status > STRIX_INTERNAL) return "unknown";
  return strix::status_code_name(static_cast<strix::StatusCode>(status));
}

strix_status strix_model_load(const char* path, strix_model** out_model) {
  if (path == nullptr) return null_argument("strix_model_load", "path");
  if (out_model == nullptr) return null_argument("strix_model_load", "out_model");
  return wrap_model(strix::Model::load(path), out_model);
}

strix_status strix_model_load_buffer(const void* data, size_t size, strix_model** out_model) {
  if (data == nullptr) return null_argument("strix_model_load_buffer", "data");
  if (out_model == nullptr) return null_argument("strix_model_load_buffer", "out_model");
  return wrap_model(strix::Model::from_buffer(data, size), out_model);
}

strix_status strix_model_free(strix_model* model) {
  delete model;
  return STRIX_OK;
}

strix_status strix_engine_options_init(strix_engine_options* options) {
  if (options == nullptr) return null_argument("strix_engine_options_init", "options");
  options->device = "cpu";
  options->batch = 0;
  options->threads = 0;
  return STRIX_OK;
}

strix_status strix_engine_create(const strix_model* model, const strix_engine_options* options,
                                 strix_engine** out_engine) {
  const char* fn = "strix_engine_create";
  if (model == nullptr) return null_argument(fn, "model");
  if (out_engine == nullptr) return null_argument(fn, "out_engine");
  strix::EngineOptions o;
  if (options != nullptr) {
    if (options->device != nullptr && options->device[0] != '\0') o.device = options->device;
    if (options->batch < 0) {
      return fail(STRIX_INVALID_ARGUMENT, fn,
                  ("batch " + std::to_string(options->batch) + " is negative").c_str());
    }
    if (options->threads < 0) {
      return fail(STRIX_INVALID_ARGUMENT, fn,
                  ("threads " + std::to_string(options->threads) + " is negative").c_str());
    }
    o.batch = options->batch;
    o.threads = options->threads;
  }
  strix::Result<std::shared_ptr<strix::Engine>> engine = strix::Engine::create(model->model, o);
  if (!engine.ok()) return fail(engine.status());
  strix_engine* e = new (std::nothrow) strix_engine;
  if (e == nullptr) return fail(STRIX_OUT_OF_MEMORY, fn, "allocation failed");
  e->engine = std::move(engine).value();
  *out_engine = e;
  return STRIX_OK;
}

strix_status strix_engine_free(strix_engine* engine) {
  delete engine;
  return STRIX_OK;
}

strix_status strix_engine_num_inputs(const strix_engine* engine, int* out_count) {
  if (engine == nullptr) return null_argument("strix_engine_num_inputs", "engine");
  if (out_count == nullptr) return null_argument("strix_engine_num_inputs", "out_count");
  *out_count = engine->engine->num_inputs();
  return STRIX_OK;
}

strix_status strix_engine_num_outputs(const strix_engine* engine, int* out_count) {
  if (engine == nullptr) return null_argument("strix_engine_num_outputs", "engine");
  if (out_count == nullptr) return null_argument("strix_engine_num_outputs", "out_count");
  *out_count = engine->engine->num_outputs();
  return STRIX_OK;
}

strix_status strix_engine_input_info(const strix_engine* engine, int index,
                                     strix_tensor_info* out_info) {
  return tensor_info(engine, index, out_info, true, "strix_engine_input_info");
}

strix_status strix_engine_output_info(const strix_engine* engine, int index,
                                      strix_tensor_info* out_info) {
  return tensor_info(engine, index, out_info, false, "strix_engine_output_info");
}

strix_status strix_engine_find_input(const strix_engine* engine, const char* name, int* out_index) {
  return find_tensor(engine, name, out_index, true, "strix_engine_find_input");
}

strix_status strix_engine_find_output(const strix_engine* engine, const char* name,
                                      int* out_index) {
  return find_tensor(engine, name, out_index, false, "strix_engine_find_output");
}

strix_status strix_engine_arena_bytes(const strix_engine* engine, size_t* out_bytes) {
  if (engine == nullptr) return null_argument("strix_engine_arena_bytes", "engine");
  if (out_bytes == nullptr) return null_argument("strix_engine_arena_bytes", "out_bytes");
  *out_bytes = engine->engine->report().arena_bytes;
  return STRIX_OK;
}

strix_status strix_context_create(const strix_engine* engine, strix_context** out_context) {
  const char* fn = "strix_context_create";
  if (engine == nullptr) return null_argument(fn, "engine");
  if (out_context == nullptr) return null_argument(fn, "out_context");
  strix::Result<strix::Context> ctx = engine->engine->create_context();
  if (!ctx.ok()) return fail(ctx.status());
  strix_context* c = new (std::nothrow) strix_context;
  if (c == nullptr) return fail(STRIX_OUT_OF_MEMORY, fn, "allocation failed");
  c->context = std::move(ctx).value();
  *out_context = c;
  return STRIX_OK;
}

strix_status strix_context_free(strix_context* context) {
  delete context;
  return STRIX_OK;
}

strix_status strix_context_input_data(strix_context* context, int index, void** out_data,
                                      size_t* out_bytes) {
  const char* fn = "strix_context_input_data";
  if (context == nullptr) return null_argument(fn, "context");
  if (out_data == nullptr) return null_argument(fn, "out_data");
  int count = context->context.engine().num_inputs();
  if (index < 0 || index >= count) return bad_index(fn, index, count);
  strix::TensorView view = context->context.input(index);
  *out_data = view.data;
  if (out_bytes != nullptr) *out_bytes = view.byte_size();
  return STRIX_OK;
}

strix_status strix_context_output_data(const strix_context* context, int index,
                                       const void** out_data, size_t* out_bytes) {
  const char* fn = "strix_context_output_data";
  if (context == nullptr) return null_argument(fn, "context");
  if (out_data == nullptr) return null_argument(fn, "out_data");
  int count = context->context.engine().num_outputs();
  if (index < 0 || index >= count) return bad_index(fn, index, count);
  strix::TensorView view = context->context.output(index);
  *out_data = view.data;
  if (out_bytes != nullptr) *out_bytes = view.byte_size();
  return STRIX_OK;
}

strix_status strix_context_set_input(strix_context* context, int index, const void* data,
                                     size_t bytes) {
  const char* fn = "strix_context_set_input";
  if (context == nullptr) return null_argument(fn, "context");
  if (data == nullptr && bytes != 0) return null_argument(fn, "data");
  int count = context->context.engine().num_inputs();
  if (index < 0 || index >= count) return bad_index(fn, index, count);
  strix::Status s = context->context.set_input(index, data, bytes);
  if (!s.ok()) return fail(s);
  return STRIX_OK;
}

strix_status strix_context_run(strix_context* context) {
  if (context == nullptr) return null_argument("strix_context_run", "context");
  context->context.run();
  return STRIX_OK;
}

}  // extern "C"
