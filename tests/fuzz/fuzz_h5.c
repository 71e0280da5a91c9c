/*
** fuzz_h5.c: the .h5 model loader (netc_session_load) past its seal. The
** input is an HDF5 file body, the bytes after the 512-byte user block; the
** target writes it behind an empty user block and seals it as netc does,
** so that mutations reach HDF5 and the graph, weight and state readers
** instead of stopping at the checksum. The full load runs (a session
** holding the saved state; the model-only load is the first half of it),
** then the summary and the state report, as `netc summary` and `netc
** inspect` print them. Opening an HDF5 file costs a large calloc, which
** bounds the rate under ASan to some tens of inputs a second.
*/
#include <stdint.h>

#include "netc.h"
#include "runtime/io/seal.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_write(0, RT_SEAL_BYTES, data, size);
  if (!path) return 0;
  rt_h5 h;
  rt_h5_begin(&h, path);
  rt_seal_write(&h, path);
  if (rt_h5_end(&h) != NETC_OK) return 0;
  unsigned sum = 0;
  netc_model *model = NULL;
  netc_session *session = NULL;
  netc_error error;
  netc_session_options options = {0, 4, 1};
  if (netc_session_load(path, &options, &model, &session, &error) == NETC_OK) {
    netc_model_write_summary(model, fuzz_sink, &sum);
    netc_session_write_state(session, fuzz_sink, &sum);
    netc_session_destroy(session);
    netc_model_destroy(model);
  }
  return 0;
}
