/*
** inspect.c: netc_session_write_state, the text behind `netc inspect`: the
** counters of a session (typically one just loaded from a file), its
** optimizer and training settings, and its history with one line per epoch
** in the words of the progress bar ("xent: 0.3012 - acc: 0.8905").
*/
#include <stdio.h>

#include "common/nc_buf.h"
#include "runtime/session.h"

/* One setting per line under its heading: "  lr: 0.001". */
static void put_settings(nc_buf *out, const cc_setting *s, int n) {
  for (int i = 0; i < n; i++) {
    if (s[i].text)
      nc_buf_printf(out, "  %s: %s\n", s[i].key, s[i].text);
    else
      nc_buf_printf(out, "  %s: %g\n", s[i].key, s[i].value);
  }
}

static void put_training(nc_buf *out, const cc_graph *g) {
  const cc_train *t = &g->train;
  if (!t->present) {
    nc_buf_puts(out, "optimizer: none (the model has no train declaration)\n");
    return;
  }
  nc_buf_printf(out, "optimizer: %s, minimizing %s\n", t->optimizer,
                g->outputs[t->loss].name);
  put_settings(out, t->hyper, t->n_hyper);
  nc_buf_printf(out, "schedule: %s\n", t->schedule ? t->schedule : "constant");
  put_settings(out, t->schedule_args, t->n_schedule_args);
  nc_buf_puts(out, t->n_settings ? "settings:\n" : "settings: none\n");
  put_settings(out, t->settings, t->n_settings);
}

static void put_history(nc_buf *out, const netc_session *s) {
  if (s->n_history == 0) {
    nc_buf_puts(out, "history: none (no epoch finished yet)\n");
    return;
  }
  nc_buf_puts(out, "history:\n");
  for (int64_t i = 0; i < s->n_history; i++) {
    const rt_record *r = &s->history[i];
    int first = i == 0 || s->history[i - 1].epoch != r->epoch;
    int last = i + 1 == s->n_history || s->history[i + 1].epoch != r->epoch;
    if (first) nc_buf_printf(out, "  epoch %lld: ", (long long)r->epoch);
    nc_buf_printf(out, "%s: %.4f%s", r->name, r->value, last ? "\n" : " - ");
  }
}

netc_status netc_session_write_state(const netc_session *s, netc_write_fn write,
                                     void *user) {
  if (!s || !write) return NETC_EINVAL;
  nc_buf out;
  nc_buf_init(&out);
  nc_buf_printf(&out, "model: %s\nstep: %lld\nepoch: %lld finished", s->g->model_name,
                (long long)s->step, (long long)s->epoch);
  if (s->epoch_batch)
    nc_buf_printf(&out, ", %lld batches into epoch %lld", (long long)s->epoch_batch,
                  (long long)s->epoch + 1);
  nc_buf_printf(&out, "\nseed: %llu\n", (unsigned long long)s->seed);
  if (s->world_size > 1)
    nc_buf_printf(&out, "trained data-parallel on %lld processes\n", (long long)s->world_size);
  put_training(&out, s->g);
  put_history(&out, s);
  for (int i = 0; i < s->n_classes; i++)
    nc_buf_printf(&out, "%s%d %s%s", i ? ", " : "classes: ", i, s->class_names[i],
                  i + 1 < s->n_classes ? "" : "\n");
  if (s->n_classes) nc_buf_printf(&out, "pixel scale: %g\n", s->pixel_scale);
  netc_status st = NETC_OK;
  if (out.failed)
    st = NETC_ENOMEM;
  else if (write(nc_buf_str(&out), out.len, user) != 0)
    st = NETC_EIO;
  nc_buf_release(&out);
  return st;
}
