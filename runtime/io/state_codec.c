/*
** state_codec.c: a session's weights and training state in an HDF5 file.
** Weights are float32 arrays at /params/<param name> ("conv2d/kernel"
** becomes /params/conv2d/kernel, Keras's layout), optimizer slots at
** /optimizer/<slot name> ("conv2d/kernel/m"). /state holds the counters as
** attributes: the step and seed (dropout masks and initializers are
** functions of seed, key and step, so these two are the whole RNG state),
** the data cursor and the current epoch's running sums. /history is a table
** of (epoch, metric, value) rows.
*/
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/io/state_codec.h"

static const rt_h5_field history_fields[] = {
    {"epoch", RT_H5_I64, offsetof(rt_record, epoch), 0, 0, NULL},
    {"metric", RT_H5_CHARS, offsetof(rt_record, name), sizeof ((rt_record *)0)->name, 0, NULL},
    {"value", RT_H5_F64, offsetof(rt_record, value), 0, 0, NULL},
};
static const rt_h5_table history_table = {
    "/history", history_fields, sizeof history_fields / sizeof *history_fields,
    sizeof(rt_record)};

/* /classes: the class names (a table of char * rows, one field at offset 0)
** with the pixel scale as its attribute; only in files of models trained on
** an image folder. */
static const rt_h5_field class_fields[] = {
    {"name", RT_H5_TEXT, 0, 0, 0, NULL},
};
static const rt_h5_table class_table = {"/classes", class_fields, 1, sizeof(char *)};

static void write_classes(rt_h5 *h, const netc_session *s) {
  if (!s->n_classes) return;
  rt_h5_write_table(h, &class_table, s->class_names, NULL, s->n_classes);
  hid_t table = rt_h5_open(h, "/classes");
  if (table >= 0)
    rt_h5_set_attr(h, table, "pixel_scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                   &s->pixel_scale);
  rt_h5_close(table);
}

static void read_classes(rt_h5 *h, netc_session *s) {
  if (h->status != NETC_OK || H5Lexists(h->file, "classes", H5P_DEFAULT) <= 0) return;
  double scale = 0;
  hid_t table = rt_h5_open(h, "/classes");
  if (table >= 0) rt_h5_get_attr(h, table, "/classes", "pixel_scale", H5T_NATIVE_DOUBLE, 0, &scale);
  rt_h5_close(table);
  nc_arena arena;
  nc_arena_init(&arena);
  int64_t n = 0;
  const char *const *names = rt_h5_read_table(h, &class_table, &arena, &n);
  if (h->status == NETC_OK &&
      (n < 1 || n > INT32_MAX || netc_session_set_classes(s, names, (int)n, scale) != NETC_OK))
    rt_h5_fail(h, NETC_EFORMAT, 0, "/classes: %s", n < 1 ? "no class" : s->error);
  nc_arena_release(&arena);
}

/* "/params/conv2d/kernel" into buf; 0 (recorded) when it does not fit. */
static int object_path(rt_h5 *h, char *buf, size_t size, const char *group,
                       const char *name) {
  int n = snprintf(buf, size, "/%s/%s", group, name);
  if (n > 0 && (size_t)n < size) return 1;
  rt_h5_fail(h, NETC_EINVAL, 0, "the name %s is too long", name);
  return 0;
}

/* Every weight (slots = 0) or slot (slots = 1): its path and node, for
** `visit`. Both kinds live in one float buffer at per-tensor offsets. */
typedef void (*tensor_fn)(rt_h5 *h, const char *path, const cc_shape *shape,
                          float *data);

static void each_tensor(rt_h5 *h, const cc_graph *g, int slots, float *buffer,
                        const size_t *offsets, tensor_fn visit) {
  int n = slots ? g->n_slots : g->n_params;
  for (int i = 0; h->status == NETC_OK && i < n; i++) {
    const char *name = slots ? g->slots[i].name : g->params[i].name;
    int node = slots ? g->slots[i].node : g->params[i].node;
    char path[1024];
    if (object_path(h, path, sizeof path, slots ? "optimizer" : "params", name))
      visit(h, path, &g->nodes[node].shape, buffer ? buffer + offsets[i] : NULL);
  }
}

static void write_tensor(rt_h5 *h, const char *path, const cc_shape *shape,
                         float *data) {
  rt_h5_write_floats(h, path, data, shape->rank, shape->dim);
}

static void read_tensor(rt_h5 *h, const char *path, const cc_shape *shape,
                        float *data) {
  rt_h5_read_floats(h, path, data, shape->rank, shape->dim);
}

void rt_state_write(rt_h5 *h, const netc_session *s) {
  const cc_graph *g = s->g;
  rt_h5_close(rt_h5_group(h, "/params"));
  each_tensor(h, g, 0, s->params, s->param_offset, write_tensor);
  hid_t opt = rt_h5_group(h, "/optimizer");
  if (opt >= 0)
    rt_h5_set_text(h, opt, "name", g->train.present ? g->train.optimizer : "none");
  rt_h5_close(opt);
  each_tensor(h, g, 1, s->slots, s->slot_offset, write_tensor);
  hid_t state = rt_h5_group(h, "/state");
  if (state >= 0) {
    rt_h5_set_int(h, state, "step", s->step);
    rt_h5_set_attr(h, state, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &s->seed);
    rt_h5_set_int(h, state, "epoch", s->epoch);
    rt_h5_set_int(h, state, "epoch_batch", s->epoch_batch);
    rt_h5_set_int(h, state, "epoch_rows", s->epoch_rows);
    rt_h5_set_int(h, state, "world_size", s->world_size);
    if (s->n_epoch_sums)
      rt_h5_set_attr(h, state, "epoch_sums", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                     s->n_epoch_sums, s->epoch_sums);
  }
  rt_h5_close(state);
  rt_h5_write_table(h, &history_table, s->history, NULL, s->n_history);
  write_classes(h, s);
}

void rt_state_check(rt_h5 *h, const cc_graph *g, uint64_t *seed) {
  hid_t state = rt_h5_open(h, "/state");
  if (state >= 0)
    rt_h5_get_attr(h, state, "/state", "seed", H5T_NATIVE_UINT64, 0, seed);
  rt_h5_close(state);
  rt_h5_close(rt_h5_open(h, "/optimizer"));
  each_tensor(h, g, 0, NULL, NULL, read_tensor);
  each_tensor(h, g, 1, NULL, NULL, read_tensor);
}

void rt_state_read(rt_h5 *h, netc_session *s) {
  each_tensor(h, s->g, 0, s->params, s->param_offset, read_tensor);
  each_tensor(h, s->g, 1, s->slots, s->slot_offset, read_tensor);
  hid_t state = rt_h5_open(h, "/state");
  if (state >= 0) {
    s->step = rt_h5_get_int(h, state, "/state", "step");
    s->epoch = rt_h5_get_int(h, state, "/state", "epoch");
    s->epoch_batch = rt_h5_get_int(h, state, "/state", "epoch_batch");
    s->epoch_rows = rt_h5_get_int(h, state, "/state", "epoch_rows");
    /* files from before data-parallel training were all trained alone */
    s->world_size = H5Aexists(state, "world_size") > 0
                        ? rt_h5_get_int(h, state, "/state", "world_size")
                        : 1;
    if (s->n_epoch_sums)
      rt_h5_get_attr(h, state, "/state", "epoch_sums", H5T_NATIVE_DOUBLE,
                     s->n_epoch_sums, s->epoch_sums);
  }
  rt_h5_close(state);
  if (h->status == NETC_OK &&
      (s->step < 0 || s->epoch < 0 || s->epoch_batch < 0 || s->epoch_rows < 0))
    rt_h5_fail(h, NETC_EFORMAT, 0, "/state has a negative counter");
  if (h->status == NETC_OK && s->world_size < 1)
    rt_h5_fail(h, NETC_EFORMAT, 0, "/state has a world_size below 1");
  int64_t n = 0;
  rt_record *history = rt_h5_read_table(h, &history_table, NULL, &n);
  if (h->status == NETC_OK) {
    nc_free(s->history);
    s->history = history;
    s->n_history = s->cap_history = n;
  }
  read_classes(h, s);
}
