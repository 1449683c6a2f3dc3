/* strix/strix.h — the C API of libstrix (C89; link with -lstrix).
 *
 *   strix_model* model = NULL;
 *   strix_engine* engine = NULL;
 *   strix_context* ctx = NULL;
 *   strix_engine_options options;
 *   void* in;
 *   const void* out;
 *   size_t in_bytes, out_bytes;
 *
 *   if (strix_model_load("net.strix", &model) != STRIX_OK) {
 *     fprintf(stderr, "%s\n", strix_last_error());
 *     return 1;
 *   }
 *   strix_engine_options_init(&options);        (device "cpu", batch from the file)
 *   options.batch = 4;
 *   if (strix_engine_create(model, &options, &engine) != STRIX_OK) ...
 *   strix_model_free(model);                     (the engine keeps what it needs)
 *   if (strix_context_create(engine, &ctx) != STRIX_OK) ...
 *   strix_context_input_data(ctx, 0, &in, &in_bytes);   (write the input in place, or use
 *   fill(in, in_bytes);                                  strix_context_set_input to copy)
 *   strix_context_run(ctx);
 *   strix_context_output_data(ctx, 0, &out, &out_bytes);
 *   strix_context_free(ctx);
 *   strix_engine_free(engine);
 *
 * Conventions:
 *   - Every function returns a strix_status (STRIX_OK == 0) except strix_last_error() and
 *     strix_version(). On failure, strix_last_error() returns a message naming the problem;
 *     it is thread-local and keeps the message of this thread's last failure.
 *   - A NULL handle or out-pointer gives STRIX_INVALID_ARGUMENT, never a crash. The
 *     *_free functions accept NULL (a no-op returning STRIX_OK).
 *   - Out-parameters are written only on success.
 *   - Handles: a model is immutable and may be shared by threads. An engine is immutable once
 *     built; any number of contexts may run it concurrently, each used by one thread at a
 *     time. A context keeps its engine alive, so the engine may be freed first.
 *   - Pointers returned by strix_context_input_data/output_data point into the context's
 *     arena and stay valid until the context is freed; outputs are overwritten by each run.
 *     Names in strix_tensor_info stay valid until the engine (and its contexts) are freed.
 */
#ifndef STRIX_STRIX_H_
#define STRIX_STRIX_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Mirrors strix::StatusCode (same values, same order). */
typedef enum strix_status {
  STRIX_OK = 0,
  STRIX_INVALID_ARGUMENT = 1, /* bad argument from the caller (NULL, index out of range) */
  STRIX_NOT_FOUND = 2,        /* missing file or tensor name */
  STRIX_IO_ERROR = 3,
  STRIX_CORRUPT_MODEL = 4,
  STRIX_VERSION_MISMATCH = 5,
  STRIX_UNSUPPORTED = 6,
  STRIX_SHAPE_MISMATCH = 7,
  STRIX_OUT_OF_MEMORY = 8,
  STRIX_INTERNAL = 9
} strix_status;

/* Mirrors strix::DType. */
typedef enum strix_dtype {
  STRIX_F32 = 0,
  STRIX_F16 = 1,
  STRIX_I8 = 2,
  STRIX_U8 = 3,
  STRIX_I32 = 4
} strix_dtype;

#define STRIX_MAX_RANK 8

typedef struct strix_model strix_model;
typedef struct strix_engine strix_engine;
typedef struct strix_context strix_context;

typedef struct strix_engine_options {
  const char* device; /* "cpu" (also when NULL or ""), "cuda", "cuda:N" */
  int64_t batch;      /* replaces dim 0 of every graph input; 0 keeps the file's value */
  int threads;        /* CPU worker threads; 0 = number of physical cores */
} strix_engine_options;

/* A compiled graph input or output. */
typedef struct strix_tensor_info {
  const char* name;
  strix_dtype dtype;
  int rank;
  int64_t dims[STRIX_MAX_RANK];
  size_t byte_size;
} strix_tensor_info;

/* "0.1.0". */
const char* strix_version(void);
/* The message of this thread's last failure; "" when none. Never NULL. */
const char* strix_last_error(void);
/* Stable lower-case name of a status, e.g. "corrupt_model". Never NULL. */
const char* strix_status_name(strix_status status);

/* ---- Models. */
strix_status strix_model_load(const char* path, strix_model** out_model);
/* Copies `size` bytes: the buffer may be freed after the call. */
strix_status strix_model_load_buffer(const void* data, size_t size, strix_model** out_model);
strix_status strix_model_free(strix_model* model);

/* ---- Engines. options may be NULL (defaults). */
strix_status strix_engine_options_init(strix_engine_options* options);
strix_status strix_engine_create(const strix_model* model, const strix_engine_options* options,
                                 strix_engine** out_engine);
strix_status strix_engine_free(strix_engine* engine);
strix_status strix_engine_num_inputs(const strix_engine* engine, int* out_count);
strix_status strix_engine_num_outputs(const strix_engine* engine, int* out_count);
strix_status strix_engine_input_info(const strix_engine* engine, int index,
                                     strix_tensor_info* out_info);
strix_status strix_engine_output_info(const strix_engine* engine, int index,
                                      strix_tensor_info* out_info);
/* Index of the graph input/output called `name`; STRIX_NOT_FOUND when there is none. */
strix_status strix_engine_find_input(const strix_engine* engine, const char* name, int* out_index);
strix_status strix_engine_find_output(const strix_engine* engine, const char* name, int* out_index);
/* Bytes of one context's activation arena. */
strix_status strix_engine_arena_bytes(const strix_engine* engine, size_t* out_bytes);

/* ---- Contexts. */
strix_status strix_context_create(const strix_engine* engine, strix_context** out_context);
strix_status strix_context_free(strix_context* context);
/* Pointer to input `index` inside the arena and its size in bytes (out_bytes may be NULL). */
strix_status strix_context_input_data(strix_context* context, int index, void** out_data,
                                      size_t* out_bytes);
strix_status strix_context_output_data(const strix_context* context, int index,
                                       const void** out_data, size_t* out_bytes);
/* Copies `bytes` bytes into input `index`; STRIX_SHAPE_MISMATCH unless bytes equals its size. */
strix_status strix_context_set_input(strix_context* context, int index, const void* data,
                                     size_t bytes);
/* Runs the graph once. Inputs must have been written. */
strix_status strix_context_run(strix_context* context);

#ifdef __cplusplus
}
#endif

#endif /* STRIX_STRIX_H_ */
