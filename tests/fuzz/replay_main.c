/*
** replay_main.c: a main() for the fuzz targets built without libFuzzer:
** runs LLVMFuzzerTestOneInput once on each file named on the command line
** (a folder stands for the files in it). Without arguments it replays
** $top_srcdir/tests/fuzz/corpus/FUZZ_CORPUS, the committed seeds and crash
** regressions of the target, as a test of `make check`; finding no input
** there fails. A crash, or a sanitizer report in the ASan build, fails too.
*/

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the whole file; NULL on failure. */
static uint8_t *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  for (size_t got = 1; buf && got > 0;) {
    if (len == cap) {
      uint8_t *grown = realloc(buf, cap *= 2);
      if (!grown) free(buf);
      buf = grown;
      if (!buf) break;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = len;
  return buf;
}

static int replay_file(const char *path) {
  size_t size = 0;
  uint8_t *data = slurp(path, &size);
  if (!data) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    return 1;
  }
  LLVMFuzzerTestOneInput(data, size);
  free(data);
  return 0;
}

static int replay(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: no such file or folder: %s\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return replay_file(path);
  }
  DIR *dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  int failed = 0;
  char child[4096];
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_name[0] == '.') continue;
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    failed |= replay(child, count);
  }
  closedir(dir);
  return failed;
}

int main(int argc, char **argv) {
  int failed = 0, count = 0;
  for (int i = 1; i < argc; i++) failed |= replay(argv[i], &count);
  if (argc == 1) {
    const char *top = getenv("top_srcdir");
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", top && *top ? top : ".",
             FUZZ_CORPUS);
    failed |= replay(corpus, &count);
  }
  printf("replay: %d input%s\n", count, count == 1 ? "" : "s");
  return failed || count == 0;
}
