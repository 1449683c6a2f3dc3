/* external_app_c — the C API of an installed Strix SDK: loads a model, prints its inputs and
 * outputs.
 *
 *   external_app_c MODEL.strix
 */
#include <stdio.h>

#include "strix/strix.h"

static int fail(void) {
  fprintf(stderr, "external_app_c: %s\n", strix_last_error());
  return 1;
}

int main(int argc, char** argv) {
  strix_model* model = NULL;
  strix_engine* engine = NULL;
  strix_tensor_info info;
  int n = 0;
  int i;

  if (argc != 2) {
    fprintf(stderr, "usage: external_app_c MODEL.strix\n");
    return 2;
  }
  printf("strix %s (C API)\n", strix_version());
  if (strix_model_load(argv[1], &model) != STRIX_OK) return fail();
  if (strix_engine_create(model, NULL, &engine) != STRIX_OK) return fail();
  strix_model_free(model);
  if (strix_engine_num_inputs(engine, &n) != STRIX_OK) return fail();
  for (i = 0; i < n; ++i) {
    if (strix_engine_input_info(engine, i, &info) != STRIX_OK) return fail();
    printf("input %d: %s, %lu bytes\n", i, info.name, (unsigned long)info.byte_size);
  }
  if (strix_engine_num_outputs(engine, &n) != STRIX_OK) return fail();
  for (i = 0; i < n; ++i) {
    if (strix_engine_output_info(engine, i, &info) != STRIX_OK) return fail();
    printf("output %d: %s, %lu bytes\n", i, info.name, (unsigned long)info.byte_size);
  }
  strix_engine_free(engine);
  return 0;
}
