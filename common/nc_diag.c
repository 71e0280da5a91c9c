/*
** nc_diag: rendering diagnostics in the GNU format with a caret line.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_buf.h"
#include "common/nc_diag.h"

void nc_diag_init(nc_diag_sink *sink, const nc_source_table *sources,
                  netc_diagnostic_fn callback, void *user, int max_errors) {
  memset(sink, 0, sizeof *sink);
  sink->sources = sources;
  sink->callback = callback;
  sink->user = user;
  sink->max_errors = max_errors > 0 ? max_errors : 50;
}

int nc_diag_full(const nc_diag_sink *sink) {
  return sink->errors >= sink->max_errors;
}

static const char *severity_word(netc_severity severity) {
  switch (severity) {
  case NETC_SEVERITY_ERROR: return "error";
  case NETC_SEVERITY_WARNING: return "warning";
  case NETC_SEVERITY_NOTE: return "note";
  }
  return "error";
}

/* The source line with a gutter, then `^~~~` under the span (clipped to
** the line). Tabs are copied into the underline so it stays aligned. A
** long line is shown as a window around the span, marked with "...". */
static void render_excerpt(nc_buf *out, const nc_source *src, nc_span span,
                           int line) {
  enum { WINDOW = 100, BEFORE = 40 };
  const char *text;
  size_t length;
  nc_source_line(src, span.start, &text, &length);
  size_t line_offset = (size_t)(text - src->text);
  size_t col = span.start - line_offset;
  size_t width = span.end > span.start ? span.end - span.start : 1;
  if (col > length) col = length;
  if (col + width > length) width = length > col ? length - col : 1;
  size_t first = 0, shown = length;
  if (length > WINDOW) {
    first = col > BEFORE ? col - BEFORE : 0;
    if (first + WINDOW > length) first = length - WINDOW;
    shown = WINDOW;
    if (col + width > first + shown) width = first + shown > col ? first + shown - col : 1;
  }
  const char *lead = first > 0 ? "..." : "";
  char gutter[16];
  int gw = snprintf(gutter, sizeof gutter, "%5d", line);
  nc_buf_printf(out, "%s | %s", gutter, lead);
  nc_buf_append(out, text + first, shown);
  nc_buf_puts(out, first + shown < length ? "...\n" : "\n");
  nc_buf_repeat(out, ' ', (size_t)gw);
  nc_buf_printf(out, " | %s", first > 0 ? "   " : "");
  for (size_t i = first; i < col; i++) nc_buf_putc(out, text[i] == '\t' ? '\t' : ' ');
  nc_buf_putc(out, '^');
  nc_buf_repeat(out, '~', width - 1);
  nc_buf_putc(out, '\n');
}

/* FNV-1a over the location and the text. */
static uint64_t fingerprint(nc_span span, netc_severity severity,
                            const char *text) {
  uint64_t h = 1469598103934665603u;
  uint64_t parts[4] = {(uint64_t)(uint32_t)span.file, span.start, span.end,
                       (uint64_t)severity};
  for (int i = 0; i < 4; i++) {
    h ^= parts[i];
    h *= 1099511628211u;
  }
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    h ^= *p;
    h *= 1099511628211u;
  }
  return h;
}

/* Remembers a diagnostic; returns 1 when it was reported before. */
static int already_reported(nc_diag_sink *sink, uint64_t print) {
  for (int i = 0; i < sink->n_seen; i++)
    if (sink->seen[i] == print) return 1;
  if (sink->n_seen < (int)(sizeof sink->seen / sizeof *sink->seen))
    sink->seen[sink->n_seen++] = print;
  return 0;
}

void nc_diag_vreport(nc_diag_sink *sink, netc_severity severity, nc_span span,
                     const char *hint, const char *fmt, va_list ap) {
  if (severity == NETC_SEVERITY_ERROR && nc_diag_full(sink)) return;
  nc_buf message, rendered;
  nc_buf_init(&message);
  nc_buf_init(&rendered);
  nc_buf_vprintf(&message, fmt, ap);
  if (already_reported(sink, fingerprint(span, severity, nc_buf_str(&message)))) {
    nc_buf_release(&message);
    return;
  }
  if (severity == NETC_SEVERITY_ERROR)
    sink->errors++;
  else if (severity == NETC_SEVERITY_WARNING)
    sink->warnings++;

  netc_diagnostic d = {severity, "", 0, 0, nc_buf_str(&message), hint, NULL};
  const nc_source *src = nc_source_get(sink->sources, span.file);
  if (src) {
    d.file = src->path;
    nc_source_position(src, span.start, &d.line, &d.column);
    nc_buf_printf(&rendered, "%s:%d:%d: ", d.file, d.line, d.column);
  }
  nc_buf_printf(&rendered, "%s: %s\n", severity_word(severity), d.message);
  if (src) render_excerpt(&rendered, src, span, d.line);
  if (hint) nc_buf_printf(&rendered, "hint: %s\n", hint);
  d.rendered = nc_buf_str(&rendered);
  if (message.failed || rendered.failed) sink->out_of_memory = 1;
  else if (sink->callback) sink->callback(&d, sink->user);
  nc_buf_release(&message);
  nc_buf_release(&rendered);
  if (severity == NETC_SEVERITY_ERROR && nc_diag_full(sink))
    nc_diag_report(sink, NETC_SEVERITY_NOTE, NC_NO_SPAN, NULL,
                   "stopping after %d errors", sink->errors);
}

void nc_diag_report(nc_diag_sink *sink, netc_severity severity, nc_span span,
                    const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  nc_diag_vreport(sink, severity, span, hint, fmt, ap);
  va_end(ap);
}
