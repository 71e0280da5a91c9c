/*
** fuzz_support.c: the scratch files and the sink of fuzz_support.h.
*/
#define _POSIX_C_SOURCE 200809L /* mkstemp, pwrite, ftruncate */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_support.h"

enum { SLOTS = 2 };
static char paths[SLOTS][512];

static void remove_scratch(void) {
  for (int i = 0; i < SLOTS; i++)
    if (paths[i][0]) unlink(paths[i]);
}

/* Creates the slot's file on first use. */
static int scratch(int slot) {
  if (paths[slot][0]) return 0;
  const char *dir = getenv("TMPDIR");
  snprintf(paths[slot], sizeof paths[slot], "%s/netc-fuzz-%d-XXXXXX",
           dir && *dir ? dir : "/tmp", slot);
  int fd = mkstemp(paths[slot]);
  if (fd < 0) {
    paths[slot][0] = '\0';
    return -1;
  }
  close(fd);
  static int registered;
  if (!registered++) atexit(remove_scratch);
  return 0;
}

static int write_all(FILE *f, const void *data, size_t size) {
  return size == 0 || fwrite(data, 1, size, f) == size ? 0 : -1;
}

const char *fuzz_file_write(int slot, size_t prefix, const uint8_t *data,
                            size_t size) {
  if (slot < 0 || slot >= SLOTS || scratch(slot) != 0) return NULL;
  FILE *f = fopen(paths[slot], "wb");
  if (!f) return NULL;
  int err = 0;
  static const uint8_t zeros[512];
  for (size_t left = prefix; left > 0 && !err;) {
    size_t n = left < sizeof zeros ? left : sizeof zeros;
    err = write_all(f, zeros, n);
    left -= n;
  }
  if (!err) err = write_all(f, data, size);
  if (fclose(f) != 0) err = -1;
  return err ? NULL : paths[slot];
}

int fuzz_sink(const char *data, size_t size, void *user) {
  unsigned *sum = user;
  for (size_t i = 0; i < size; i++) *sum += (unsigned char)data[i];
  return 0;
}
