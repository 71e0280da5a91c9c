/*
** fuzz_idx.c: the IDX reader (netc_dataset_load_idx). The input holds both
** files: a little-endian u16 n, then n bytes of the image file, then the
** label file (n is cut to what is there). Each pair is loaded twice: as
** is, and with one-hot labels and a record limit.
*/
#include <stdint.h>

#include "netc.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t n = (size_t)data[0] | (size_t)data[1] << 8;
  data += 2;
  size -= 2;
  if (n > size) n = size;
  const char *images = fuzz_file_write(0, 0, data, n);
  const char *labels = fuzz_file_write(1, 0, data + n, size - n);
  if (!images || !labels) return 0;
  netc_idx_options variants[2] = {{NULL, NULL, 0, 0}, {"x", "y", 2, 1}};
  for (int i = 0; i < 2; i++) {
    netc_dataset *d = NULL;
    netc_error error;
    if (netc_dataset_load_idx(images, labels, &variants[i], &d, &error) == NETC_OK)
      netc_dataset_destroy(d);
  }
  return 0;
}
