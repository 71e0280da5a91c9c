/*
** test_files.h: files of a CUnit test binary: a fresh folder under
** $TMPDIR (made on first use, removed with its contents at exit) and the
** models of the source tree, compiled. Include it once, in a file that
** defines _XOPEN_SOURCE 700 (mkdtemp, nftw) before any header.
*/
#ifndef TEST_FILES_H
#define TEST_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "netc.h"

static char folder[512];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_folder(void) {
  if (*folder) nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path in the test's own temporary folder (static buffer per slot). */
static const char *tmp_path(int slot, const char *name) {
  static char paths[4][1024];
  if (!*folder) {
    const char *tmp = getenv("TMPDIR");
    snprintf(folder, sizeof folder, "%s/netc-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(folder)) {
      perror(folder);
      exit(2);
    }
    atexit(remove_folder);
  }
  snprintf(paths[slot], sizeof paths[slot], "%s/%s", folder, name);
  return paths[slot];
}

/* The path of models/NAME in the source tree (static buffer). */
static const char *model_path(const char *name) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  if (top && *top) {
    snprintf(path, sizeof path, "%s/models/%s", top, name);
    return path;
  }
  static const char *const dirs[] = {"..", ".", "../.."};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(path, sizeof path, "%s/models/%s", dirs[i], name);
    if (access(path, R_OK) == 0) return path;
  }
  return path;
}

static netc_model *compile_file(const char *name) {
  netc_model *m = NULL;
  netc_status st = netc_model_compile_file(model_path(name), NULL, &m);
  if (st != NETC_OK) fprintf(stderr, "\n%s: %s\n", model_path(name), netc_status_name(st));
  CU_ASSERT_EQUAL(st, NETC_OK);
  return m;
}

#endif
