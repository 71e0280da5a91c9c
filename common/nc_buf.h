/*
** nc_buf: a growable byte buffer for building text (reports, diagnostics).
** An allocation failure sets `failed` and turns later appends into no-ops, so
** callers check once at the end.
*/
#ifndef NC_BUF_H
#define NC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct nc_buf {
  char *data;      /* always NUL-terminated when len > 0 */
  size_t len;      /* bytes used, without the NUL */
  size_t capacity; /* bytes allocated */
  int failed;      /* set once an allocation failed */
} nc_buf;

void nc_buf_init(nc_buf *b);
void nc_buf_release(nc_buf *b);
void nc_buf_clear(nc_buf *b);
void nc_buf_append(nc_buf *b, const char *data, size_t n);
void nc_buf_puts(nc_buf *b, const char *s);
void nc_buf_putc(nc_buf *b, char c);
void nc_buf_repeat(nc_buf *b, char c, size_t n);
void nc_buf_printf(nc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void nc_buf_vprintf(nc_buf *b, const char *fmt, va_list ap);
/* The text so far; "" when empty. */
const char *nc_buf_str(const nc_buf *b);

#endif
