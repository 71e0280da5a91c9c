/*
** nc_buf: growable text buffer with a sticky failure flag.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "common/nc_buf.h"

void nc_buf_init(nc_buf *b) { memset(b, 0, sizeof *b); }

void nc_buf_release(nc_buf *b) {
  nc_free(b->data);
  nc_buf_init(b);
}

void nc_buf_clear(nc_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL. */
static int buf_reserve(nc_buf *b, size_t extra) {
  if (b->failed) return 0;
  if (extra > (size_t)-1 / 4 - b->len) {
    b->failed = 1;
    return 0;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->capacity) return 1;
  size_t cap = b->capacity ? b->capacity : 64;
  while (cap < need) cap *= 2;
  char *p = nc_realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->capacity = cap;
  return 1;
}

void nc_buf_append(nc_buf *b, const char *data, size_t n) {
  if (!buf_reserve(b, n)) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void nc_buf_puts(nc_buf *b, const char *s) { nc_buf_append(b, s, strlen(s)); }

void nc_buf_putc(nc_buf *b, char c) { nc_buf_append(b, &c, 1); }

void nc_buf_repeat(nc_buf *b, char c, size_t n) {
  if (!buf_reserve(b, n)) return;
  memset(b->data + b->len, c, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void nc_buf_vprintf(nc_buf *b, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (!buf_reserve(b, (size_t)n)) return;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void nc_buf_printf(nc_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nc_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

const char *nc_buf_str(const nc_buf *b) { return b->data ? b->data : ""; }
