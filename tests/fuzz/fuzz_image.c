/*
** fuzz_image.c: the JPEG and PNG decoders and the resize behind
** netc_dataset_load_image_files. The input is the image file; inputs of
** odd length are read as gray, even ones as RGB.
*/
#include <stdint.h>

#include "netc.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_write(0, 0, data, size);
  if (!path) return 0;
  netc_dataset *d = NULL;
  netc_error error;
  if (netc_dataset_load_image_files(&path, 1, 7, 5, size % 2 ? 1 : 3, NULL, &d,
                                    &error) == NETC_OK)
    netc_dataset_destroy(d);
  return 0;
}
