/*
** progress.c: the Keras-style progress line. The library only formats it;
** printing (in place on a terminal, a line per epoch otherwise) is the
** caller's: the CLI and the examples do it.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_buf.h"
#include "netc.h"

enum { BAR_WIDTH = 30 };

/* "[=====>........]": done/total of the bar, an arrow at the front. */
static void put_bar(nc_buf *b, int64_t done, int64_t total) {
  int64_t filled = total > 0 ? done * BAR_WIDTH / total : BAR_WIDTH;
  nc_buf_putc(b, '[');
  for (int64_t i = 0; i < BAR_WIDTH; i++) {
    char c = '.';
    if (i < filled - 1) c = '=';
    else if (i == filled - 1) c = done < total ? '>' : '=';
    nc_buf_putc(b, c);
  }
  nc_buf_putc(b, ']');
}

int netc_progress_format(const netc_progress *p, char *buf, size_t size) {
  if (!p) return -1;
  nc_buf b;
  nc_buf_init(&b);
  int digits = snprintf(NULL, 0, "%lld", (long long)p->batches);
  nc_buf_printf(&b, "%*lld/%lld ", digits, (long long)p->batch, (long long)p->batches);
  put_bar(&b, p->batch, p->batches);
  double per_step = p->batch > 0 ? p->seconds / (double)p->batch : 0;
  if (p->batch >= p->batches)
    nc_buf_printf(&b, " - %.0fs %.0fms/step", p->seconds, per_step * 1000.0);
  else
    nc_buf_printf(&b, " - ETA: %.0fs", per_step * (double)(p->batches - p->batch));
  for (int i = 0; i < p->n_values; i++)
    nc_buf_printf(&b, " - %s: %.4f", p->names[i], p->values[i]);
  int length = b.failed ? -1 : (int)b.len;
  if (buf && size) snprintf(buf, size, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
  return length;
}
