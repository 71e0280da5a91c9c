/*
** nc_diag: the diagnostics sink. Compiler stages report here; the sink
** renders `file:line:col: error: message`, the source line, a caret
** underline and an optional hint, then hands it to the caller's callback.
** Nothing is printed by the library.
*/
#ifndef NC_DIAG_H
#define NC_DIAG_H

#include "common/nc_source.h"
#include "netc.h"

typedef struct nc_diag_sink {
  const nc_source_table *sources; /* where spans point */
  netc_diagnostic_fn callback;    /* may be NULL */
  void *user;                     /* passed to callback */
  int errors;                     /* errors reported so far */
  int warnings;                   /* warnings reported so far */
  int max_errors;                 /* errors beyond this are dropped */
  int out_of_memory;              /* set when rendering ran out of memory */
  uint64_t seen[256];             /* fingerprints of reported diagnostics */
  int n_seen;                     /* entries in seen */
} nc_diag_sink;

void nc_diag_init(nc_diag_sink *sink, const nc_source_table *sources,
                  netc_diagnostic_fn callback, void *user, int max_errors);

/* Reports one diagnostic. `hint` may be NULL. A diagnostic identical to an
** earlier one (same place, same text) is dropped: a block expanded twice
** reports its mistakes once. */
void nc_diag_report(nc_diag_sink *sink, netc_severity severity, nc_span span,
                    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void nc_diag_vreport(nc_diag_sink *sink, netc_severity severity, nc_span span,
                     const char *hint, const char *fmt, va_list ap);

/* Shorthands for the common cases. */
#define nc_error(sink, span, ...) \
  nc_diag_report((sink), NETC_SEVERITY_ERROR, (span), NULL, __VA_ARGS__)
#define nc_error_hint(sink, span, hint, ...) \
  nc_diag_report((sink), NETC_SEVERITY_ERROR, (span), (hint), __VA_ARGS__)
#define nc_warning(sink, span, ...) \
  nc_diag_report((sink), NETC_SEVERITY_WARNING, (span), NULL, __VA_ARGS__)

/* True once max_errors is reached: stages stop early. */
int nc_diag_full(const nc_diag_sink *sink);

#endif
