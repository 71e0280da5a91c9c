/*
** fuzz_net.c: the .net front end as `netc check` drives it (scanner,
** parser, compiler, diagnostics rendered through a callback), then the
** summary and DOT writers on whatever compiled. Imports resolve against
** the current folder: run it where no name can block (tests/fuzz/run.sh
** runs it in a scratch folder with the golden imports).
*/
#include <stdint.h>
#include <string.h>

#include "netc.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_diagnostic(const netc_diagnostic *d, void *user) {
  fuzz_sink(d->rendered, strlen(d->rendered), user);
  fuzz_sink(d->message, strlen(d->message), user);
  if (d->hint) fuzz_sink(d->hint, strlen(d->hint), user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned sum = 0;
  static const char *const no_imports[] = {NULL};
  netc_compile_options options = {on_diagnostic, &sum, no_imports, 0};
  netc_model *model = NULL;
  if (netc_model_compile_source("fuzz.net", (const char *)data, size, &options,
                                &model) != NETC_OK)
    return 0;
  int64_t trainable, frozen;
  netc_model_param_counts(model, &trainable, &frozen);
  netc_model_write_summary(model, fuzz_sink, &sum);
  netc_model_write_dot(model, fuzz_sink, &sum);
  netc_model_destroy(model);
  return 0;
}
