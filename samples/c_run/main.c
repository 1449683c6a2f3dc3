/* c_run — the C API end to end: load a model, fill every input with a ramp, run, and print a
 * summary of output 0. Written in C89.
 *
 *   c_run MODEL.strix
 */
#include <stdio.h>
#include <string.h>

#include "strix/strix.h"

static const char* dtype_name(strix_dtype dtype) {
  switch (dtype) {
    case STRIX_F32: return "f32";
    case STRIX_F16: return "f16";
    case STRIX_I8: return "i8";
    case STRIX_U8: return "u8";
    case STRIX_I32: return "i32";
  }
  return "?";
}

static void print_shape(const strix_tensor_info* info) {
  int d;
  printf("[");
  for (d = 0; d < info->rank; ++d) printf("%s%ld", d ? "x" : "", (long)info->dims[d]);
  printf("]");
}

/* f32: x[i] = (i % 64) / 64; integer types: i % 64; f16 (raw bits): zeros. */
static void fill_ramp(void* data, strix_dtype dtype, size_t bytes) {
  size_t i;
  switch (dtype) {
    case STRIX_F32:
      for (i = 0; i < bytes / 4; ++i) ((float*)data)[i] = (float)(i % 64) / 64.0f;
      break;
    case STRIX_I32:
      for (i = 0; i < bytes / 4; ++i) ((int32_t*)data)[i] = (int32_t)(i % 64);
      break;
    case STRIX_I8:
    case STRIX_U8:
      for (i = 0; i < bytes; ++i) ((unsigned char*)data)[i] = (unsigned char)(i % 64);
      break;
    default: memset(data, 0, bytes); break;
  }
}

static int fail(const char* what) {
  fprintf(stderr, "c_run: %s: %s\n", what, strix_last_error());
  return 1;
}

int main(int argc, char** argv) {
  strix_model* model = NULL;
  strix_engine* engine = NULL;
  strix_context* ctx = NULL;
  strix_tensor_info info;
  int num_inputs = 0;
  int i;
  void* data;
  const void* out;
  size_t bytes;
  int rc = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: c_run MODEL.strix\n");
    return 2;
  }
  printf("libstrix %s\n", strix_version());
  if (strix_model_load(argv[1], &model) != STRIX_OK) return fail("load");
  if (strix_engine_create(model, NULL, &engine) != STRIX_OK) {
    rc = fail("engine");
    goto done;
  }
  if (strix_context_create(engine, &ctx) != STRIX_OK) {
    rc = fail("context");
    goto done;
  }
  strix_engine_num_inputs(engine, &num_inputs);
  for (i = 0; i < num_inputs; ++i) {
    strix_engine_input_info(engine, i, &info);
    if (strix_context_input_data(ctx, i, &data, &bytes) != STRIX_OK) {
      rc = fail("input");
      goto done;
    }
    fill_ramp(data, info.dtype, bytes);
    printf("input %d '%s': ", i, info.name);
    print_shape(&info);
    printf(" %s (ramp)\n", dtype_name(info.dtype));
  }
  if (strix_context_run(ctx) != STRIX_OK) {
    rc = fail("run");
    goto done;
  }
  if (strix_engine_output_info(engine, 0, &info) != STRIX_OK ||
      strix_context_output_data(ctx, 0, &out, &bytes) != STRIX_OK) {
    rc = fail("output");
    goto done;
  }
  printf("output 0 '%s': ", info.name);
  print_shape(&info);
  printf(" %s, %lu bytes\n", dtype_name(info.dtype), (unsigned long)bytes);
  if (info.dtype == STRIX_F32 && bytes >= 4) {
    const float* y = (const float*)out;
    size_t n = bytes / 4, k;
    double sum = 0;
    float lo = y[0], hi = y[0];
    for (k = 0; k < n; ++k) {
      sum += y[k];
      if (y[k] < lo) lo = y[k];
      if (y[k] > hi) hi = y[k];
    }
    printf("min %.6f max %.6f mean %.6f sum %.6f\n", lo, hi, sum / (double)n, sum);
    printf("first values:");
    for (k = 0; k < n && k < 8; ++k) printf(" %.6f", y[k]);
    printf("\n");
  }
  rc = 0;
done:
  strix_context_free(ctx);
  strix_engine_free(engine);
  strix_model_free(model);
  return rc;
}
